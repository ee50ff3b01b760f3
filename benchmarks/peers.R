# Time the R peer packages on the benchmark scenarios; print one JSON object.
# Run by benchmarks/run.py when Rscript and the private library .r-peers exist
# (install with ../shared/peers/install-r-peers .r-peers). Package loading is
# kept out of the timings (system.time inside one Rscript).
args <- commandArgs(trailingOnly = TRUE)
lib <- if (length(args) >= 1) args[[1]] else ".r-peers"
suppressPackageStartupMessages({
  library(BOIN, lib.loc = lib)
  library(dfcrm, lib.loc = lib)
  library(bcrm, lib.loc = lib)
})
p_true <- c(0.05, 0.15, 0.30, 0.45, 0.60)

boin_mc <- system.time(
  BOIN::get.oc(target = 0.3, p.true = p_true, ncohort = 10, cohortsize = 3,
               ntrial = 10000, seed = 6)
)[["elapsed"]]

crm_trials <- 200
crm_mc <- system.time(invisible(capture.output(
  dfcrm::crmsim(PI = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70),
                prior = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), target = 0.2,
                n = 24, x0 = 1, nsim = crm_trials, seed = 1009)
)))[["elapsed"]] / crm_trials

tite_trials <- 50
tite_adaptive <- system.time(invisible(capture.output(
  dfcrm::titesim(PI = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70),
                 prior = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), target = 0.2,
                 n = 24, x0 = 1, nsim = tite_trials, obswin = 28, rate = 2.8,
                 accrual = "poisson", scheme = "adaptive", seed = 1009)
)))[["elapsed"]] / tite_trials

tpt_exact <- system.time(
  bcrm::threep3(truep = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), threep3.start = 1,
                dose = 1:6, quietly = TRUE)
)[["elapsed"]]

cat(jsonlite::toJSON(list(
  boin_mc_10000 = boin_mc,
  crm_per_trial = crm_mc,
  tite_adaptive_per_trial = tite_adaptive,
  three_plus_three_exact_6 = tpt_exact,
  versions = list(
    BOIN = as.character(packageVersion("BOIN", lib.loc = lib)),
    dfcrm = as.character(packageVersion("dfcrm", lib.loc = lib)),
    bcrm = as.character(packageVersion("bcrm", lib.loc = lib))
  )
), auto_unbox = TRUE, digits = NA))
