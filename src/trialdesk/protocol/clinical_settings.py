"""The study's choices for its clinical measures, which no registry record states.

Reference equations change every %-predicted value and z-score; the reading of
"a 10 % decline" changes who is eligible; whether hypoxia is judged against a
subject's home oxygen changes CRS grades in end-stage lung disease. So each is
named here, in the study definition, and never defaulted: while unset, the
import lists it as a gap and the measures that need it refuse to guess.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from trialdesk.clinical.gli import Ethnicity, GliEquation
from trialdesk.clinical.transplant import DeclineReading
from trialdesk.protocol.provenance import Source

__all__ = ["ClinicalSettings"]


class ClinicalSettings(BaseModel):
    """Reference equations, decline readings and CRS hypoxia baseline for one study."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lung_function_equation: GliEquation | None = None
    lung_function_ethnicity: Ethnicity | None = None
    fvc_decline_reading: DeclineReading | None = None
    dlco_decline_reading: DeclineReading | None = None
    crs_hypoxia_above_home_oxygen: bool | None = None
    source: Source | None = None
