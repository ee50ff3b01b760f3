"""Clinical measures with published definitions: pure functions over typed values, no I/O."""

from trialdesk.clinical.ctcae import (
    ClinicalFacts,
    Grade,
    LabResult,
    find_term,
    grade_analyte,
    grade_ctcae,
)
from trialdesk.clinical.errors import ClinicalInputError, UnitError
from trialdesk.clinical.gli import (
    Ethnicity,
    GliEquation,
    GliInputError,
    GliParameter,
    GliResult,
    TransferUnits,
    compute_gli,
    compute_gli_lms,
    compute_hb_corrected_transfer,
)
from trialdesk.clinical.gli import Sex as GliSex
from trialdesk.clinical.sgrq import (
    SgrqInputError,
    SgrqResponses,
    SgrqScore,
    compute_sgrq,
    parse_sgrq_responses,
)
from trialdesk.clinical.units import Quantity, conversion_factor, parse_unit

__all__ = [
    "ClinicalFacts",
    "ClinicalInputError",
    "Ethnicity",
    "GliEquation",
    "GliInputError",
    "GliParameter",
    "GliResult",
    "GliSex",
    "Grade",
    "LabResult",
    "Quantity",
    "SgrqInputError",
    "SgrqResponses",
    "SgrqScore",
    "TransferUnits",
    "UnitError",
    "compute_gli",
    "compute_gli_lms",
    "compute_hb_corrected_transfer",
    "compute_sgrq",
    "conversion_factor",
    "find_term",
    "grade_analyte",
    "grade_ctcae",
    "parse_sgrq_responses",
    "parse_unit",
]
