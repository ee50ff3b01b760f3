"""Outcome measures with their time frames read into days."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.provenance import Source
from trialdesk.protocol.timeframes import TimeFrame

__all__ = ["Outcome", "OutcomeKind"]


class OutcomeKind(StrEnum):
    """Which list of the outcomes module the measure is in."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    OTHER = "other"


class Outcome(BaseModel):
    """One registered outcome measure; ``time_frame`` holds its parsed time points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: OutcomeKind
    measure: str
    description: str | None = None
    time_frame: TimeFrame
    source: Source
