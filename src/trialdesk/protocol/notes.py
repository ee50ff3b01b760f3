"""Gaps and assumptions: what the record does not say, and what we took instead.

A registry record is a summary, not a protocol. The import lists every piece
the trial needs but the record leaves out (a *gap*: to be filled from the
sponsor's protocol) and every default it applied (an *assumption*: a value in
use until someone confirms or changes it). Both carry a stable ``id`` so a
reviewer's sign-off can refer to them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trialdesk.protocol.provenance import Source

__all__ = ["Assumption", "Gap", "HandText"]

_ID = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_\-]+)*$"


class Gap(BaseModel):
    """Something the study needs that the record does not state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    text: str
    source: Source | None = None


class Assumption(BaseModel):
    """A default the import applied where the record is silent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    value: str
    text: str
    source: Source | None = None


class HandText(BaseModel):
    """Text added by hand where the record is silent; ``source.note`` says from where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    source: Source
