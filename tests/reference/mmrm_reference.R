# Reference values of the MMRM row of arm_comparison (tests/reference/test_mmrm.py).
# Data: mmrm_mmt8_data.csv, the MMT-8 change from the randomisation baseline of every
# post-baseline time point, make_registry(200, seed = 11) (simulated patients) with the time points
# month1, month3, month6 and month12 of docs/trial-format.md.
# Model: change ~ 0 + time + time:arm + time:baseline, unstructured covariance
# (corSymm + varIdent by time), REML, fitted by nlme::gls; arm difference at month12.
# Satterthwaite df: 2 v^2 / (g' W g), v the variance of the estimate, g its gradient in
# the covariance parameters, W = 2 H^-1 with H the Hessian of -2 REML log-likelihood,
# all at the gls estimate, written out below and differentiated with numDeriv
# (Richardson extrapolation). emmeans' "appx-satterthwaite" df is printed for comparison.
# Run: Rscript mmrm_reference.R  (writes mmrm_mmt8_expected.csv)
library(nlme)
library(emmeans)
library(numDeriv)
d <- read.csv("mmrm_mmt8_data.csv", stringsAsFactors = FALSE)
times <- c("month1", "month3", "month6", "month12")
d$time <- factor(d$time, levels = times)
d$tnum <- as.integer(d$time)
d$arm <- factor(d$arm, levels = c("control", "MSCT"))
fit <- gls(
  change ~ 0 + time + time:arm + time:baseline,
  data = d,
  correlation = corSymm(form = ~ tnum | id),
  weights = varIdent(form = ~ 1 | time),
  method = "REML",
  control = glsControl(opt = "optim", optimMethod = "BFGS", maxIter = 500, msMaxIter = 500, tolerance = 1e-12, msTol = 1e-12, returnObject = TRUE)
)
term <- "timemonth12:armMSCT"
est <- coef(fit)[[term]]
se <- sqrt(vcov(fit)[term, term])
grid <- emmeans(fit, ~ arm | time, mode = "appx-satterthwaite", data = d)
contrast_m12 <- summary(contrast(grid, "revpairwise"), infer = TRUE)
row <- contrast_m12[contrast_m12$time == "month12", ]

# -2 REML log-likelihood (without constants) as a function of log-Cholesky parameters
X <- model.matrix(~ 0 + time + time:arm + time:baseline, d)
k <- which(colnames(X) == term)
parts <- split(seq_len(nrow(d)), d$id)
sigma_of <- function(par) {
  L <- matrix(0, length(times), length(times))
  L[lower.tri(L, diag = TRUE)] <- par
  diag(L) <- exp(diag(L))
  L %*% t(L)
}
sums <- function(par) {
  S <- sigma_of(par)
  xwx <- matrix(0, ncol(X), ncol(X)); xwy <- numeric(ncol(X)); ywy <- 0; logdet <- 0
  for (rows in parts) {
    o <- d$tnum[rows]
    W <- solve(S[o, o, drop = FALSE])
    Xi <- X[rows, , drop = FALSE]; yi <- d$change[rows]
    xwx <- xwx + t(Xi) %*% W %*% Xi
    xwy <- xwy + t(Xi) %*% W %*% yi
    ywy <- ywy + drop(t(yi) %*% W %*% yi)
    logdet <- logdet + as.numeric(determinant(S[o, o, drop = FALSE])$modulus)
  }
  list(xwx = xwx, xwy = xwy, ywy = ywy, logdet = logdet)
}
criterion <- function(par) {
  s <- sums(par)
  beta <- solve(s$xwx, s$xwy)
  s$logdet + as.numeric(determinant(s$xwx)$modulus) + s$ywy - sum(beta * s$xwy)
}
variance <- function(par) solve(sums(par)$xwx)[k, k]
L_hat <- t(chol(getVarCov(fit, individual = names(parts)[lengths(parts) == length(times)][1])))
par_hat <- { p <- L_hat; diag(p) <- log(diag(p)); p[lower.tri(p, diag = TRUE)] }
H <- hessian(criterion, par_hat)
g <- grad(variance, par_hat)
v <- variance(par_hat)
df <- 2 * v^2 / drop(t(g) %*% (2 * solve(H)) %*% g)
crit <- qt(0.975, df)
out <- data.frame(
  estimate = est,
  std_error = se,
  df = df,
  ci_low = est - crit * se,
  ci_high = est + crit * se,
  p_value = 2 * pt(-abs(est / se), df),
  emmeans_appx_df = row$df,
  reml_loglik = as.numeric(logLik(fit))
)
write.csv(out, "mmrm_mmt8_expected.csv", row.names = FALSE)
print(format(out, digits = 15))
