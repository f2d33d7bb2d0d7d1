# Reference group-sequential boundaries from rpact's getDesignGroupSequential.
# Run from this folder: Rscript boundaries_reference.R  (writes boundaries_reference.csv,
# read by test_boundaries_reference.py; the tests never need R).
library(rpact)

cases <- list(
  list(k = 2, rates = c(0.5, 1), a = "asOF", ga = NA, b = "none", gb = NA, binding = FALSE),
  list(k = 3, rates = c(0.33, 0.67, 1), a = "asOF", ga = NA, b = "none", gb = NA, binding = FALSE),
  list(k = 4, rates = c(0.25, 0.5, 0.75, 1), a = "asP", ga = NA, b = "none", gb = NA, binding = FALSE),
  list(k = 5, rates = c(0.2, 0.4, 0.6, 0.8, 1), a = "asHSD", ga = -4, b = "none", gb = NA, binding = FALSE),
  list(k = 3, rates = c(0.3, 0.6, 1), a = "asHSD", ga = 1, b = "none", gb = NA, binding = FALSE),
  list(k = 3, rates = c(0.33, 0.67, 1), a = "asOF", ga = NA, b = "bsOF", gb = NA, binding = FALSE),
  list(k = 3, rates = c(0.33, 0.67, 1), a = "asOF", ga = NA, b = "bsOF", gb = NA, binding = TRUE),
  list(k = 4, rates = c(0.2, 0.5, 0.8, 1), a = "asP", ga = NA, b = "bsP", gb = NA, binding = FALSE),
  list(k = 2, rates = c(0.4, 1), a = "asHSD", ga = -2, b = "bsHSD", gb = -2, binding = TRUE),
  list(k = 4, rates = c(0.25, 0.5, 0.75, 1), a = "asHSD", ga = -4, b = "bsHSD", gb = 1, binding = FALSE),
  list(k = 5, rates = c(0.15, 0.35, 0.6, 0.8, 1), a = "asOF", ga = NA, b = "bsHSD", gb = -3, binding = TRUE)
)

rows <- list()
for (i in seq_along(cases)) {
  cs <- cases[[i]]
  args <- list(
    kMax = cs$k, alpha = 0.025, beta = 0.2, sided = 1, typeOfDesign = cs$a,
    informationRates = cs$rates
  )
  if (!is.na(cs$ga)) args$gammaA <- cs$ga
  if (cs$b != "none") {
    args$typeBetaSpending <- cs$b
    args$bindingFutility <- cs$binding
    if (!is.na(cs$gb)) args$gammaB <- cs$gb
  }
  d <- do.call(getDesignGroupSequential, args)
  ch <- getDesignCharacteristics(d)
  fut <- if (cs$b == "none") rep(NA, cs$k) else c(d$futilityBounds, d$criticalValues[cs$k])
  beta <- if (cs$b == "none") rep(NA, cs$k) else d$betaSpent
  rows[[i]] <- data.frame(
    case = i, k = cs$k, spending = cs$a, gamma_a = cs$ga, futility = cs$b,
    gamma_b = cs$gb, binding = cs$binding, look = seq_len(cs$k),
    info_rate = cs$rates, efficacy_z = d$criticalValues, futility_z = fut,
    cumulative_alpha = d$alphaSpent, cumulative_beta = beta,
    inflation_factor = ch$inflationFactor
  )
}
out <- do.call(rbind, rows)
write.csv(out, "boundaries_reference.csv", row.names = FALSE, na = "")
cat(sprintf("rpact %s: %d cases written\n", packageVersion("rpact"), length(cases)))
