"""Clinical measures with published definitions: pure functions over typed values, no I/O."""

from trialdesk.clinical.crs_icans import classify_oxygen, grade_crs, grade_icans
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
from trialdesk.clinical.mrc import DyspnoeaScale, DyspnoeaScore
from trialdesk.clinical.results import Assessment, AssessmentInputError, AssessmentStatus
from trialdesk.clinical.sgrq import (
    SgrqInputError,
    SgrqResponses,
    SgrqScore,
    compute_sgrq,
    parse_sgrq_responses,
)
from trialdesk.clinical.six_mwt import SixMinuteWalk, evaluate_ishlt_6mwt
from trialdesk.clinical.transplant import (
    DeclineReading,
    LungMeasure,
    evaluate_both_readings,
    evaluate_listing_decline,
)
from trialdesk.clinical.units import Quantity, conversion_factor, parse_unit

__all__ = [
    "Assessment",
    "AssessmentInputError",
    "AssessmentStatus",
    "ClinicalFacts",
    "ClinicalInputError",
    "DeclineReading",
    "DyspnoeaScale",
    "DyspnoeaScore",
    "Ethnicity",
    "GliEquation",
    "GliInputError",
    "GliParameter",
    "GliResult",
    "GliSex",
    "Grade",
    "LabResult",
    "LungMeasure",
    "Quantity",
    "SgrqInputError",
    "SgrqResponses",
    "SgrqScore",
    "SixMinuteWalk",
    "TransferUnits",
    "UnitError",
    "classify_oxygen",
    "compute_gli",
    "compute_gli_lms",
    "compute_hb_corrected_transfer",
    "compute_sgrq",
    "conversion_factor",
    "evaluate_both_readings",
    "evaluate_ishlt_6mwt",
    "evaluate_listing_decline",
    "find_term",
    "grade_analyte",
    "grade_crs",
    "grade_ctcae",
    "grade_icans",
    "parse_sgrq_responses",
    "parse_unit",
]
