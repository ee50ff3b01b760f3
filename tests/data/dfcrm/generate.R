# Golden values for tests/unit/design/test_crm.py and test_skeleton.py, from the R peer dfcrm.
#
# Run from the repository root, after ../shared/peers/install-r-peers .r-peers:
#
#     Rscript --vanilla tests/data/dfcrm/generate.R
#
# It writes crm.json, titecrm.json and getprior.json beside itself. Each case keeps the exact R
# call that produced it (built from its `inputs`, then parsed and evaluated), so a reader can
# paste the call into R. Values are printed with jsonlite's maximum precision (digits = NA).
# The tests read these files; they never need R.

lib <- ".r-peers"
suppressPackageStartupMessages(library(dfcrm, lib.loc = lib))
out_dir <- "tests/data/dfcrm"

call_text <- function(fun, args) {
  parts <- vapply(names(args), function(name) paste(name, "=", deparse1(args[[name]])), "")
  paste0(fun, "(", paste(parts, collapse = ", "), ")")
}

run_case <- function(id, fun, args, keys) {
  call <- call_text(fun, args)
  result <- eval(parse(text = call))
  output <- if (is.list(result)) unclass(result)[keys] else list(prior = result)
  list(id = id, call = call, inputs = args, output = output)
}

write_cases <- function(file, cases) {
  doc <- list(
    source = "dfcrm (Ken Cheung), CRAN source dfcrm_0.2-2.1.tar.gz",
    package_version = packageDescription("dfcrm", lib.loc = lib)$Version,
    r_version = R.version.string,
    generated_by = "tests/data/dfcrm/generate.R",
    cases = cases
  )
  text <- jsonlite::toJSON(doc, digits = NA, auto_unbox = TRUE, pretty = TRUE)
  writeLines(text, file.path(out_dir, file))
}

skeleton <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
# crm.Rd's example data.
ex_level <- c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2)
ex_tox <- c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0)
# A 24-subject history in cohorts of three (the performance case).
big_level <- c(1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3, 4, 4, 4, 3, 3, 3)
big_tox <- c(0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1)

crm_keys <- c("estimate", "post.var", "ptox", "ptoxL", "ptoxU", "mtd")
crm_case <- function(id, ...) run_case(id, "crm", list(...), crm_keys)
crm_cases <- list(
  crm_case("example_empiric_bayes", prior = skeleton, target = 0.2, tox = ex_tox, level = ex_level),
  crm_case("example_logistic_bayes", prior = skeleton, target = 0.2, tox = ex_tox,
           level = ex_level, model = "logistic"),
  crm_case("example_empiric_mle", prior = skeleton, target = 0.2, tox = ex_tox, level = ex_level,
           method = "mle"),
  crm_case("example_logistic_mle", prior = skeleton, target = 0.2, tox = ex_tox,
           level = ex_level, method = "mle", model = "logistic"),
  crm_case("brief_five_subjects", prior = skeleton, target = 0.2, tox = c(0, 0, 1, 0, 0),
           level = c(3, 4, 4, 3, 3)),
  crm_case("no_dlt_yet", prior = skeleton, target = 0.25, tox = c(0, 0, 0),
           level = c(1, 1, 1)),
  crm_case("all_dlt", prior = skeleton, target = 0.25, tox = c(1, 1), level = c(2, 2),
           model = "logistic"),
  crm_case("logistic_intercept_2_conf_95", prior = skeleton, target = 0.3, tox = ex_tox,
           level = ex_level, model = "logistic", intcpt = 2, conf.level = 0.95),
  crm_case("prior_sd_1", prior = skeleton, target = 0.2, tox = ex_tox, level = ex_level,
           scale = 1),
  crm_case("prior_sd_2", prior = skeleton, target = 0.2, tox = ex_tox, level = ex_level,
           scale = 2),
  crm_case("n24_empiric_bayes", prior = skeleton, target = 0.2, tox = big_tox, level = big_level),
  crm_case("n24_logistic_bayes", prior = skeleton, target = 0.2, tox = big_tox,
           level = big_level, model = "logistic"),
  crm_case("n24_empiric_mle", prior = skeleton, target = 0.2, tox = big_tox, level = big_level,
           method = "mle")
)
write_cases("crm.json", crm_cases)

# titecrm.Rd's example data: follow-up in days of a 180-day window; a DLT subject's follow-up is
# its time to DLT.
tite_level <- c(3, 3, 3, 4, 4, 3, 2, 2, 2, 3)
tite_tox <- c(0, 0, 1, 0, 1, 0, 0, 0, 0, 0)
tite_u <- c(178, 181, 168, 181, 24, 181, 179, 102, 42, 3)
# The seed's case: a 14-day window, the last subjects still inside it.
seed_level <- c(1, 1, 1, 2, 2, 2, 3, 3, 3)
seed_tox <- c(0, 0, 0, 0, 1, 0, 1, 0, 0)
seed_u <- c(14, 14, 14, 14, 5, 14, 9, 6, 2)
tite_keys <- c(crm_keys, "weights")
tite_case <- function(id, ...) run_case(id, "titecrm", list(...), tite_keys)
tite_cases <- list(
  tite_case("example_linear", prior = skeleton, target = 0.2, tox = tite_tox, level = tite_level,
            followup = tite_u, obswin = 180),
  tite_case("example_adaptive", prior = skeleton, target = 0.2, tox = tite_tox,
            level = tite_level, followup = tite_u, obswin = 180, scheme = "adaptive"),
  tite_case("example_logistic_linear", prior = skeleton, target = 0.2, tox = tite_tox,
            level = tite_level, followup = tite_u, obswin = 180, model = "logistic"),
  tite_case("example_empiric_mle", prior = skeleton, target = 0.2, tox = tite_tox,
            level = tite_level, followup = tite_u, obswin = 180, method = "mle"),
  tite_case("seed_14_day_linear", prior = skeleton, target = 0.25, tox = seed_tox,
            level = seed_level, followup = seed_u, obswin = 14),
  tite_case("seed_14_day_adaptive", prior = skeleton, target = 0.25, tox = seed_tox,
            level = seed_level, followup = seed_u, obswin = 14, scheme = "adaptive"),
  tite_case("seed_14_day_adaptive_logistic", prior = skeleton, target = 0.25, tox = seed_tox,
            level = seed_level, followup = seed_u, obswin = 14, scheme = "adaptive",
            model = "logistic")
)
write_cases("titecrm.json", tite_cases)

prior_case <- function(id, ...) run_case(id, "getprior", list(...), character(0))
prior_cases <- list(
  prior_case("getprior_rd_logistic", halfwidth = 0.1, target = 0.25, nu = 3, nlevel = 6,
             model = "logistic"),
  prior_case("empiric_nu3_of6", halfwidth = 0.05, target = 0.25, nu = 3, nlevel = 6),
  prior_case("empiric_nu1", halfwidth = 0.05, target = 0.2, nu = 1, nlevel = 5),
  prior_case("empiric_nu_top", halfwidth = 0.04, target = 0.3, nu = 5, nlevel = 5),
  prior_case("logistic_intercept_4", halfwidth = 0.08, target = 0.3, nu = 2, nlevel = 4,
             model = "logistic", intcpt = 4),
  prior_case("empiric_wide", halfwidth = 0.15, target = 0.33, nu = 4, nlevel = 7)
)
write_cases("getprior.json", prior_cases)

# One simulated CRM trial (subjects one at a time, dfcrm's restrictions on): its doses, DLTs,
# the posterior mean of β before each subject, and the final MTD. dfcrm's own random draws, so
# a test can replay the outcomes through CrmDesign and compare each decision.
sim_keys <- c("level", "tox", "beta.hat", "MTD")
sim_cases <- list(
  run_case("onetrial_n20", "crmsim", list(PI = c(0.02, 0.06, 0.12, 0.25, 0.4, 0.6),
           prior = skeleton, target = 0.2, n = 20, x0 = 1, nsim = 1, seed = 1009), sim_keys)
)
write_cases("crmsim.json", sim_cases)
