"""Many subjects as columns of integers, for the vectorised evaluator.

A :class:`SubjectBatch` holds what :class:`~trialdesk.eligibility.subject.SubjectData`
holds, for every subject at once: a birth day per subject, and one row per observation,
fact record and attestation, keyed by the subject's index
(:mod:`~trialdesk.eligibility.batch_rows`), with the vocabularies its codes refer to. A
value with more than 6 decimals, or beyond 10^12 in its unit, is refused when the batch
is built: the evaluator compares integers, never floats, so a value it cannot hold
exactly must not enter.

Within a subject, rows keep the order they were listed in, because the evaluator's
ties (two values of a measure on one date: the one listed last) depend on it. Rows
given out of subject order are sorted stably by subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from trialdesk.eligibility.batch_rows import (
    A_DATE,
    I32,
    MAX_SCALED,
    NO_DATE,
    NO_VALUE,
    SCALE,
    AttestationColumns,
    Columns,
    FactColumns,
    ObservationColumns,
    as_column,
    day_number,
    outside_dates,
    refuse_rows,
    too_large,
)
from trialdesk.eligibility.subject import SubjectData
from trialdesk.errors import InputError

__all__ = ["SubjectBatch", "scaled_value"]


def scaled_value(value: Decimal, argument: str) -> int:
    """``value x 10^6`` as an exact integer; refused when that is not exact or too large."""
    expected = "a finite value with at most 6 decimals, of magnitude at most 10^12"
    if not value.is_finite():
        raise InputError(argument, value, expected)
    exact = Fraction(value) * SCALE
    if exact.denominator != 1 or abs(exact) > MAX_SCALED:
        raise InputError(argument, value, expected)
    return int(exact)


def _unsorted(subject: I32) -> bool:
    return bool(np.any(subject[1:] < subject[:-1]))


@dataclass(frozen=True, slots=True)
class SubjectBatch:
    """Many subjects' data as columns; ``birth_days`` has one entry per subject.

    Build it from :class:`SubjectData` with :meth:`from_subjects`, or directly from
    arrays (a million subjects need no million pydantic objects). Vocabularies map
    codes to names: ``observations.measure == k`` means ``measures[k]``. A unit may be
    ``None`` (a score with no unit written), as in :class:`Observation`.
    """

    birth_days: I32
    observations: ObservationColumns
    measures: tuple[str, ...]
    units: tuple[str | None, ...]
    facts: FactColumns = field(default_factory=FactColumns.empty)
    fact_names: tuple[str, ...] = ()
    attestations: AttestationColumns = field(default_factory=AttestationColumns.empty)
    criteria: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        birth = as_column("birth_days", self.birth_days, np.int32)
        object.__setattr__(self, "birth_days", birth)
        refuse_rows("birth_days", birth, (birth != NO_DATE) & outside_dates(birth), A_DATE)
        for name in ("measures", "units", "fact_names", "criteria", "subject_ids"):
            _unique(name, getattr(self, name))
        if self.subject_ids is not None and len(self.subject_ids) != self.size:
            raise InputError("subject_ids", f"{len(self.subject_ids)} ids", f"{self.size} ids")
        self._check_observations()
        self._check_rows("facts", self.facts, name=len(self.fact_names))
        facts = self.facts
        refuse_rows(
            "facts.date", facts.date, (facts.date != NO_DATE) & outside_dates(facts.date), A_DATE
        )
        self._check_rows("attestations", self.attestations, criterion=len(self.criteria))
        for table in ("observations", "facts", "attestations"):
            rows = getattr(self, table)
            if _unsorted(rows.subject):
                object.__setattr__(self, table, rows.take(np.argsort(rows.subject, kind="stable")))

    @property
    def size(self) -> int:
        """The number of subjects."""
        return int(self.birth_days.size)

    def _check_rows(self, table: str, rows: Columns, **codes: int) -> None:
        subject = rows.subject
        expected = f"a subject index in [0, {self.size})"
        refuse_rows(f"{table}.subject", subject, (subject < 0) | (subject >= self.size), expected)
        for name, count in codes.items():
            column = getattr(rows, name)
            expected = f"a code in [0, {count}) of the batch's vocabulary"
            refuse_rows(f"{table}.{name}", column, (column < 0) | (column >= count), expected)

    def _check_observations(self) -> None:
        rows = self.observations
        self._check_rows("observations", rows, measure=len(self.measures), unit=len(self.units))
        refuse_rows("observations.date", rows.date, outside_dates(rows.date), A_DATE)
        expected = f"a value x 10^6 of magnitude at most {MAX_SCALED}"
        refuse_rows("observations.value", rows.value, too_large(rows.value), expected)
        for name in ("lln", "uln", "control"):
            column = getattr(rows, name)
            bad = (column != NO_VALUE) & too_large(column)
            refuse_rows(f"observations.{name}", column, bad, expected + ", or NO_VALUE")

    @classmethod
    def from_subjects(cls, subjects: Sequence[SubjectData]) -> SubjectBatch:
        """The batch of ``subjects``, in their order; values must be exact at 10^-6.

        Screening dates are not kept: :func:`~trialdesk.eligibility.batch.evaluate_batch`
        takes the as-of date (one for all, or one day number per subject).

        Raises:
            InputError: a value (or limit, or control) with more than 6 decimals or
                beyond 10^12, named by subject and position; a subject id twice.
        """
        builder = _Builder()
        for index, subject in enumerate(subjects):
            builder.add(index, subject)
        return builder.build()


def _unique(name: str, values: tuple[object, ...] | None) -> None:
    if values is None or len(set(values)) == len(values):
        return
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise InputError(name, value, "each entry once")
        seen.add(value)


_T = TypeVar("_T")


class _Vocabulary(Generic[_T]):
    """Codes handed out in first-seen order."""

    def __init__(self) -> None:
        self.codes: dict[_T, int] = {}

    def code(self, value: _T) -> int:
        return self.codes.setdefault(value, len(self.codes))

    def names(self) -> tuple[_T, ...]:
        return tuple(self.codes)


class _Builder:
    """Collects the rows of subjects one at a time, then makes the columns."""

    def __init__(self) -> None:
        self.measures = _Vocabulary[str]()
        self.units = _Vocabulary[str | None]()
        self.fact_names = _Vocabulary[str]()
        self.criteria = _Vocabulary[str]()
        self.ids: list[str] = []
        self.births: list[int] = []
        self.observations: dict[str, list[int]] = {n: [] for n in ObservationColumns.DTYPES}
        self.facts: dict[str, list[int]] = {n: [] for n in FactColumns.DTYPES}
        self.attestations: dict[str, list[int]] = {n: [] for n in AttestationColumns.DTYPES}

    def add(self, index: int, subject: SubjectData) -> None:
        self.ids.append(subject.subject_id)
        birth = subject.birth_date
        self.births.append(NO_DATE if birth is None else day_number(birth))
        for position, obs in enumerate(subject.observations):
            where = f"subjects[{index}] ({subject.subject_id}).observations[{position}]"
            row = {
                "subject": index,
                "measure": self.measures.code(obs.measure),
                "date": day_number(obs.date),
                "value": scaled_value(obs.value, f"{where}.value"),
                "unit": self.units.code(obs.unit),
            }
            for name in ("lln", "uln", "control"):
                limit: Decimal | None = getattr(obs, name)
                row[name] = NO_VALUE if limit is None else scaled_value(limit, f"{where}.{name}")
            _append(self.observations, row)
        for fact in subject.facts:
            date = NO_DATE if fact.date is None else day_number(fact.date)
            row = {"subject": index, "name": self.fact_names.code(fact.name), "date": date}
            _append(self.facts, row | {"present": fact.present})
        for attestation in subject.attestations:
            code = self.criteria.code(attestation.criterion)
            _append(
                self.attestations, {"subject": index, "criterion": code, "holds": attestation.holds}
            )

    def build(self) -> SubjectBatch:
        return SubjectBatch(
            birth_days=np.array(self.births, np.int32),
            observations=ObservationColumns(**_arrays(self.observations, ObservationColumns)),
            measures=self.measures.names(),
            units=self.units.names(),
            facts=FactColumns(**_arrays(self.facts, FactColumns)),
            fact_names=self.fact_names.names(),
            attestations=AttestationColumns(**_arrays(self.attestations, AttestationColumns)),
            criteria=self.criteria.names(),
            subject_ids=tuple(self.ids),
        )


def _append(columns: dict[str, list[int]], row: dict[str, int]) -> None:
    for name, value in row.items():
        columns[name].append(value)


def _arrays(columns: dict[str, list[int]], kind: type[Columns]) -> dict[str, npt.NDArray[Any]]:
    return {name: np.array(values, dtype=kind.DTYPES[name]) for name, values in columns.items()}
