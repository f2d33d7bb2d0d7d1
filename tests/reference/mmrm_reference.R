# Reference values of the MMRM row of arm_comparison (tests/reference/test_mmrm.py).
# Data: mmrm_mmt8_data.csv, the MMT-8 change from the randomisation baseline of every
# post-baseline time point, make_registry(600, seed = 11) (simulated patients).
# Model: change ~ 0 + time + time:arm + time:baseline, unstructured covariance
# (corSymm + varIdent by time), REML; arm difference at month12 with Satterthwaite df
# (emmeans, mode = "satterthwaite", from the gls fit).
# Run: Rscript mmrm_reference.R  (writes mmrm_mmt8_expected.csv)
library(nlme)
library(emmeans)
d <- read.csv("mmrm_mmt8_data.csv", stringsAsFactors = FALSE)
times <- c("week1", "week2", "month1", "month3", "month6", "month12")
d$time <- factor(d$time, levels = times)
d$tnum <- as.integer(d$time)
d$arm <- factor(d$arm, levels = c("control", "MSCT"))
fit <- gls(
  change ~ 0 + time + time:arm + time:baseline,
  data = d,
  correlation = corSymm(form = ~ tnum | id),
  weights = varIdent(form = ~ 1 | time),
  method = "REML",
  control = glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500)
)
term <- "timemonth12:armMSCT"
est <- coef(fit)[[term]]
se <- sqrt(vcov(fit)[term, term])
grid <- emmeans(fit, ~ arm | time, mode = "satterthwaite", data = d)
contrast_m12 <- summary(contrast(grid, "revpairwise"), infer = TRUE)
row <- contrast_m12[contrast_m12$time == "month12", ]
out <- data.frame(
  estimate = est,
  std_error = se,
  emmeans_estimate = row$estimate,
  df = row$df,
  ci_low = row$lower.CL,
  ci_high = row$upper.CL,
  p_value = row$p.value,
  reml_loglik = as.numeric(logLik(fit))
)
write.csv(out, "mmrm_mmt8_expected.csv", row.names = FALSE)
print(format(out, digits = 15))
