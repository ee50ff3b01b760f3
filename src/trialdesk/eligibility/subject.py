"""What the evaluator reads about one subject: dated observations, facts, attestations.

Each value carries its date and the form it came from, because a verdict must show
its evidence and a lab from any date is not evidence (a criterion's window decides
which dates count). Nothing here is inferred: a fact not recorded is unknown, not
absent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Attestation", "FactRecord", "Observation", "SubjectData", "age_in_years"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Observation(BaseModel):
    """One measured value: the measure (lexicon id), value, UCUM unit, date, source form.

    ``lln``/``uln`` are the reporting lab's reference limits and ``control`` the
    control run beside the sample, all in ``unit``; ``x ULN`` thresholds need them.
    """

    model_config = _FROZEN

    measure: str
    value: Decimal
    unit: str | None
    date: dt.date
    source: str
    lln: Decimal | None = None
    uln: Decimal | None = None
    control: Decimal | None = None


class FactRecord(BaseModel):
    """A condition or event recorded present or absent, with its date when known."""

    model_config = _FROZEN

    name: str
    present: bool
    date: dt.date | None = None
    source: str


class Attestation(BaseModel):
    """An investigator's confirmation that criterion ``criterion`` holds (or not)."""

    model_config = _FROZEN

    criterion: str
    holds: bool
    by: str = Field(min_length=1)
    date: dt.date


class SubjectData(BaseModel):
    """Everything known about one subject at the screening date."""

    model_config = _FROZEN

    subject_id: str = Field(min_length=1)
    screening_date: dt.date
    birth_date: dt.date | None = None
    observations: tuple[Observation, ...] = ()
    facts: tuple[FactRecord, ...] = ()
    attestations: tuple[Attestation, ...] = ()


def age_in_years(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on`` (a subject aged 75 is eligible until the 76th birthday)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)
