# Grades that admiral's CTCAE v5.0 metadata gives on a grid of lab values, for
# tests/unit/clinical/test_ctcae_v5_source_table.py (an independent oracle for our bands).
#
# Needs base R and jsonlite only (not admiral, not dplyr): it loads admiral's
# data/atoxgr_criteria_ctcv5.rda and evaluates each term's GRADE_CRITERIA_CODE the way
# admiral::derive_var_atoxgr_dir() does (a case_when over AVAL, ANRLO, ANRHI, BASE, BNRIND,
# with signif_dig = 15, admiral's default, and high_indicator = "HIGH"). Run from the
# repository root, with a checkout (or `git archive`) of pharmaverse/admiral:
#
#     Rscript --vanilla tests/data/ctcae/generate_admiral_grades.R <admiral-dir> <admiral-commit>
#
# It writes admiral_ctcv5_grades.json beside itself. The grid is written here by hand from the
# NCI CTCAE v5.0 thresholds (each edge, and a step either side), never from trialdesk's tables.

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 2)
admiral_dir <- args[[1]]
admiral_commit <- args[[2]]
out_file <- "tests/data/ctcae/admiral_ctcv5_grades.json"

load(file.path(admiral_dir, "data", "atoxgr_criteria_ctcv5.rda"))
meta <- atoxgr_criteria_ctcv5
admiral_version <- read.dcf(file.path(admiral_dir, "DESCRIPTION"), fields = "Version")[[1]]

# dplyr::case_when for one row: the first condition that is TRUE gives the grade.
row_data <- NULL
case_when <- function(...) {
  for (rule in list(...)) {
    if (isTRUE(eval(rule[[2]], row_data))) {
      return(eval(rule[[3]], row_data))
    }
  }
  NA_character_
}

admiral_grade <- function(term, aval, anrlo, anrhi, base, bnrind) {
  code <- meta$GRADE_CRITERIA_CODE[meta$TERM == term]
  stopifnot(length(code) == 1)
  row_data <<- list(
    AVAL = aval, ANRLO = anrlo, ANRHI = anrhi, BASE = base, BNRIND = bnrind,
    signif_dig = 15L, high_indicator = "HIGH", low_indicator = "LOW"
  )
  eval(parse(text = code))
}

num <- function(text) if (is.null(text)) NA_real_ else as.numeric(text)

# One panel: a term, the references, and values at each edge and one step either side.
panel <- function(term, unit, edges, step, lln = NULL, uln = NULL, base = NULL) {
  points <- sort(unique(round(c(edges - step, edges, edges + step), 10)))
  values <- vapply(points[points >= 0], as.character, "")
  bnrind <- if (is.null(base) || is.null(uln)) {
    NA_character_
  } else if (num(base) > num(uln)) {
    "HIGH"
  } else {
    "NORMAL"
  }
  grades <- lapply(values, function(value) {
    grade <- admiral_grade(term, num(value), num(lln), num(uln), num(base), bnrind)
    list(value, if (is.na(grade)) NULL else as.integer(grade))
  })
  list(
    term = term, unit = unit, ANRLO = lln, ANRHI = uln, BASE = base,
    BNRIND = if (is.na(bnrind)) NULL else bnrind, grades = grades
  )
}

counts <- list(
  list("Neutrophil count decreased", c(1.5, 1.0, 0.5), "2.0", 0.01),
  list("Lymphocyte count decreased", c(0.8, 0.5, 0.2), "1.0", 0.01),
  list("Platelet count decreased", c(75, 50, 25), "150", 0.1),
  list("White blood cell decreased", c(3.0, 2.0, 1.0), "4.0", 0.01),
  list("CD4 lymphocytes decreased", c(0.5, 0.2, 0.05), "0.7", 0.001)
)
panels <- list()
for (count in counts) {
  lln <- count[[3]]
  panels[[length(panels) + 1]] <- panel(
    count[[1]], "10*9/L", c(num(lln), count[[2]], 0), count[[4]], lln = lln
  )
}
panels[[length(panels) + 1]] <- panel(
  "Neutrophil count decreased", "10*9/L", c(1.5, 1.0, 0.5), 0.01, lln = "1.5"
)
panels[[length(panels) + 1]] <- panel(
  "Lymphocyte count increased", "10*9/L", c(4, 20), 0.01, uln = "4.0"
)
panels[[length(panels) + 1]] <- panel("Anemia", "g/L", c(120, 100, 80, 0), 1, lln = "120")

# x ULN if baseline was normal (or not given), x baseline if it was abnormal (> ULN).
hepatic <- list(
  list("Alanine aminotransferase increased", "U/L", c(1.5, 3, 5, 20)),
  list("Aspartate aminotransferase increased", "U/L", c(1.5, 3, 5, 20)),
  list("Alkaline phosphatase increased", "U/L", c(2, 2.5, 5, 20)),
  list("GGT increased", "U/L", c(2, 2.5, 5, 20)),
  list("Blood bilirubin increased", "umol/L", c(1, 1.5, 3, 10))
)
for (term in hepatic) {
  multiples <- term[[3]]
  for (base in list(NULL, "30", "60")) {
    edges <- c(40, 40 * multiples[-1], 0)
    if (!is.null(base)) edges <- c(edges, num(base) * multiples)
    panels[[length(panels) + 1]] <- panel(term[[1]], term[[2]], edges, 0.1, uln = "40", base = base)
  }
}
for (base in list(NULL, "50", "200")) {
  edges <- c(100, 150, 300, 600, 0)
  if (!is.null(base)) edges <- c(edges, num(base) * c(1, 1.5, 3))
  panels[[length(panels) + 1]] <- panel(
    "Creatinine increased", "umol/L", edges, 0.1, uln = "100", base = base
  )
}
panels[[length(panels) + 1]] <- panel(
  "Hypokalemia", "mmol/L", c(3.5, 3.0, 2.5, 0), 0.01, lln = "3.5"
)
panels[[length(panels) + 1]] <- panel(
  "Hyperkalemia", "mmol/L", c(5.1, 5.5, 6, 7), 0.01, uln = "5.1"
)
panels[[length(panels) + 1]] <- panel(
  "Hyponatremia", "mmol/L", c(135, 130, 129, 125, 124, 120, 0), 0.5, lln = "135"
)
for (base in c("0.9", "1.0", "2.0")) {
  edges <- c(1, 1.2, 1.5, 2.5, num(base) * c(1, 1.5, 2.5))
  panels[[length(panels) + 1]] <- panel("INR increased", "{INR}", edges, 0.01, base = base)
}

header <- list(
  source = "pharmaverse/admiral, data/atoxgr_criteria_ctcv5.rda (GRADE_CRITERIA_CODE)",
  admiral_commit = admiral_commit,
  admiral_version = admiral_version,
  licence = "admiral is Apache-2.0; see PROVENANCE.md",
  r_version = R.version.string,
  generated_by = "tests/data/ctcae/generate_admiral_grades.R"
)
to_json <- function(x) jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", digits = NA)
# One panel a line, so a diff shows which panel changed.
head_text <- sub("}$", "", to_json(header))
panel_text <- vapply(panels, function(p) as.character(to_json(p)), "")
writeLines(c(
  paste0(head_text, ",\"panels\": ["),
  paste0(panel_text, c(rep(",", length(panel_text) - 1), "")),
  "]}"
), out_file)
