"""Clinical measures with published definitions: pure functions over typed values, no I/O."""

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

__all__ = [
    "Ethnicity",
    "GliEquation",
    "GliInputError",
    "GliParameter",
    "GliResult",
    "GliSex",
    "SgrqInputError",
    "SgrqResponses",
    "SgrqScore",
    "TransferUnits",
    "compute_gli",
    "compute_gli_lms",
    "compute_hb_corrected_transfer",
    "compute_sgrq",
    "parse_sgrq_responses",
]
