"""Study-level stopping rules: named rules the conduct core enforces, never free text.

A rule is chosen from :data:`STOPPING_RULES` by id; the study definition says which
apply and where they come from (the registry rarely states them: the sponsor
protocol does).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.provenance import Source

__all__ = ["STOPPING_RULES", "StoppingRule", "StoppingRuleId"]

StoppingRuleId = Literal["death_pauses_enrolment"]

#: What each rule does, as conduct enforces it.
STOPPING_RULES: dict[str, str] = {
    "death_pauses_enrolment": (
        "an adverse event of grade 5 (death) pauses enrolment until the safety review "
        "committee chair resumes it; whether the death is attributable to the product is "
        "judged at that review"
    ),
}


class StoppingRule(BaseModel):
    """One named stopping rule the study applies, with its source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: StoppingRuleId
    source: Source
