"""A study's eligibility criteria as rules: each criterion, its section, its rule.

An inclusion criterion must hold; an exclusion criterion's rule describes the
excluding state as written, and must not hold. ``lab_window_days`` is the window a
measured value must fall in when a rule states none: a lab from any date is not
evidence, so the rule set always states it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from trialdesk.eligibility.ast import Rule

__all__ = ["Criterion", "RuleSet", "Section"]


class Section(StrEnum):
    """Which list a criterion belongs to."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Criterion(BaseModel):
    """One numbered criterion: its id (``I4``), section, text as written, and rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    section: Section
    text: str
    rule: Rule
    notes: tuple[str, ...] = ()


class RuleSet(BaseModel):
    """All criteria of a study, and the default window for measured values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    criteria: tuple[Criterion, ...] = Field(min_length=1)
    lab_window_days: int = Field(ge=0)
    lab_window_source: str
