# Reference values for tests/reference/test_analysis_reference.py.
# Run: Rscript tests/reference/analysis_reference.R
# Needs r-base-core, r-cran-survival, r-cran-nlme. The tests never run R: the output
# below each call is pasted beside the asserted values.
options(digits = 15)
library(survival)
library(nlme)

# 1. Paired tests, no ties, mixed signs (CK U/L, baseline and month 1)
ck0 <- c(1681, 1520, 2100, 1300, 1850, 1200, 2210, 1590)
ck1 <- c(1893, 310, 420, 1180, 350, 1262, 300, 240)
t1 <- t.test(ck1, ck0, paired = TRUE)
cat("t1", t1$estimate, t1$conf.int, t1$p.value, "\n")
w1 <- wilcox.test(ck1, ck0, paired = TRUE, exact = TRUE)
cat("w1", w1$statistic, w1$p.value, "\n")

# 2. Paired tests with ties in |difference| (MMT-8): normal approximation
mmt0 <- c(45, 52, 38, 60, 41, 55, 47, 30, 62, 50)
mmt1 <- c(67, 50, 59, 71, 39, 66, 58, 49, 61, 65)
t2 <- t.test(mmt1, mmt0, paired = TRUE)
cat("t2", t2$estimate, t2$conf.int, t2$p.value, "\n")
w2 <- suppressWarnings(wilcox.test(mmt1, mmt0, paired = TRUE, exact = TRUE))
cat("w2", w2$statistic, w2$p.value, "\n")

# 3. A zero difference: R drops it and uses the normal approximation
vas0 <- c(6, 7, 5, 8, 6, 7)
vas1 <- c(3, 7, 2.5, 4, 5.5, 1)
w3 <- suppressWarnings(wilcox.test(vas1, vas0, paired = TRUE, exact = TRUE))
cat("w3", w3$statistic, w3$p.value, "\n")

# 4. Exact binomial (Clopper-Pearson) intervals
for (xn in list(c(7, 10), c(0, 8), c(8, 8), c(3, 25))) {
  b <- binom.test(xn[1], xn[2])
  cat("binom", xn, b$conf.int, "\n")
}

# 5. Kaplan-Meier, log-log interval
days <- c(30, 45, 45, 60, 90, 120, 150, 180, 200, 240)
relapse <- c(1, 1, 0, 1, 0, 1, 1, 0, 1, 0)
km <- survfit(Surv(days, relapse) ~ 1, conf.type = "log-log")
s <- summary(km, censored = TRUE)
print(data.frame(time = s$time, n.risk = s$n.risk, n.event = s$n.event,
                 n.censor = s$n.censor, surv = s$surv, lower = s$lower, upper = s$upper))
print(summary(km)$table[c("median", "0.95LCL", "0.95UCL")])

# 6. Mixed model: random intercept per patient, REML (time point as factor)
long <- data.frame(
  id = rep(c("P1", "P2", "P3", "P4", "P5"), each = 3),
  tp = factor(rep(c("baseline", "month1", "month3"), times = 5),
              levels = c("baseline", "month1", "month3")),
  y = c(45, 60, 64, 52, 66, 70, 38, 59, 55, 60, 71, 75, 41, 50, NA)
)
fit <- lme(y ~ tp, random = ~ 1 | id, data = long, method = "REML", na.action = na.omit)
print(summary(fit)$tTable[, c("Value", "Std.Error")])
print(as.numeric(VarCorr(fit)[, "Variance"]))
