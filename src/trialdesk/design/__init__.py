"""Dose-finding designs: configured once, ``decide(history) -> Decision``, no I/O."""

from trialdesk.design.decision import Decision, Design, ModelFit
from trialdesk.design.history import (
    DoseCounts,
    DoseLadder,
    Label,
    SubjectOutcome,
    count_by_dose,
    parse_outcomes,
)

__all__ = [
    "Decision",
    "Design",
    "DoseCounts",
    "DoseLadder",
    "Label",
    "ModelFit",
    "SubjectOutcome",
    "count_by_dose",
    "parse_outcomes",
]
