# Reference values for the donor random effect in tests/reference/test_product_reference.py.
# Run: Rscript tests/reference/donor_model.R (needs r-cran-lme4). The tests never run R:
# the printed values are pasted beside the asserts. Data: donor_model.csv (synthetic,
# log CK-like outcome of 24 patients nested in 6 donors, some visits missing).
options(digits = 15)
library(lme4)
d <- read.csv("tests/reference/donor_model.csv")
d$timepoint <- factor(d$timepoint, levels = c("baseline", "month1", "month3", "month6"))
fit <- lmer(y ~ timepoint + (1 | donor/patient), data = d, REML = TRUE)
print(fixef(fit))
print(sqrt(diag(as.matrix(vcov(fit)))))
vc <- as.data.frame(VarCorr(fit))
print(vc[, c("grp", "vcov")])
cat("share", vc$vcov[vc$grp == "donor"] / sum(vc$vcov), "\n")
cat("REML criterion", REMLcrit(fit), "\n")
