"""Clinical measures with published definitions: pure functions over typed values, no I/O."""

from trialdesk.clinical.sgrq import (
    SgrqInputError,
    SgrqResponses,
    SgrqScore,
    compute_sgrq,
    parse_sgrq_responses,
)

__all__ = [
    "SgrqInputError",
    "SgrqResponses",
    "SgrqScore",
    "compute_sgrq",
    "parse_sgrq_responses",
]
