"""The leaves of a rule over a whole batch: measured values, facts, attestations.

Each leaf returns one int8 truth code per subject (:data:`NOT_MET` 0 < :data:`UNKNOWN`
1 < :data:`MET` 2) with the scalar evaluator's semantics
(:mod:`trialdesk.eligibility.evaluate`), computed with whole-column NumPy operations:
the work grows with the number of rows, never with a Python loop over subjects.

The latest value of a measure is found once per evaluation: among the rows of the
measure dated on or before the subject's as-of day, the greatest ``(date, row)``, a
``maximum.reduceat`` over the rows grouped by subject; since rows keep each subject's
listing order, the greater row is the one listed last, as in the scalar evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from trialdesk.eligibility.ast import Between, Comparator, Compare, Fact, Threshold
from trialdesk.eligibility.batch_columns import SubjectBatch
from trialdesk.eligibility.batch_exact import bounds_by_unit, compare, compare_products
from trialdesk.eligibility.batch_rows import (
    I8,
    I64,
    NO_DATE,
    NO_VALUE,
    SCALE,
    Bools,
    ObservationColumns,
)
from trialdesk.eligibility.lexicon import measure as lexicon_measure

__all__ = [
    "HORIZON_DAYS",
    "MET",
    "NOT_MET",
    "UNKNOWN",
    "Frame",
    "Latest",
    "attest_leaf",
    "compare_leaf",
    "completed_years",
    "fact_leaf",
    "horizon",
    "truth_codes",
]

NOT_MET = np.int8(0)
UNKNOWN = np.int8(1)
MET = np.int8(2)

#: More days than lie between any two dates of years 1-9999: a longer window or
#: interval decides nothing a window of this length does not.
HORIZON_DAYS = 10**7
_REFERENCES = {"x ULN": "uln", "x LLN": "lln", "x control": "control"}


def horizon(days: int) -> int:
    """``days`` capped where the cap changes no comparison of two dates (int64-safe)."""
    return min(days, HORIZON_DAYS)


def truth_codes(decided: Bools, holds: Bools) -> I8:
    """``MET``/``NOT_MET`` by ``holds`` where ``decided``, else ``UNKNOWN``."""
    return np.where(decided, holds.astype(np.int8) * MET, UNKNOWN).astype(np.int8)


@dataclass(frozen=True, slots=True)
class Latest:
    """Each subject's latest value of one measure (read only where ``found``).

    ``unit`` is a code into :attr:`Frame.units`. ``row`` is the observation row read
    (0 where none was), and ``computed`` marks an age computed from a birth date: the
    limits and control are read from the row only when a relative threshold needs them.
    """

    found: Bools
    date: I64
    value: I64
    unit: I64
    row: I64
    computed: Bools

    def reference(self, rows: ObservationColumns, name: str) -> I64:
        """The ``lln``, ``uln`` or ``control`` of each value (scaled), else ``NO_VALUE``."""
        if len(rows) == 0:
            return np.full(self.found.size, NO_VALUE, np.int64)
        column: I64 = getattr(rows, name)
        return np.where(self.found & ~self.computed, column[self.row], NO_VALUE)


class Frame:
    """One evaluation of one batch: each subject's as-of day and each measure's latest value.

    ``units`` is the batch's unit vocabulary, with ``a`` (years) added when absent,
    for the age the evaluator computes from a birth date.
    """

    def __init__(self, batch: SubjectBatch, as_of: I64) -> None:
        self.batch = batch
        self.as_of = as_of
        self.size = batch.size
        self.units: tuple[str | None, ...] = batch.units
        if "a" not in self.units:
            self.units = (*self.units, "a")
        rows = batch.observations
        self._dated = rows.date <= as_of[rows.subject]
        self._first_day = int(rows.date.min()) if len(rows) else 0
        self._latest: dict[str, Latest] = {}

    def measure_code(self, measure: str) -> int | None:
        """The batch's code for ``measure``; ``None`` when no row has it."""
        measures = self.batch.measures
        return measures.index(measure) if measure in measures else None

    def latest(self, measure: str) -> Latest:
        """Each subject's latest value of ``measure`` dated on or before the as-of day.

        The age, when a birth date is known, is the completed years on the as-of day,
        in ``a``, dated that day, as the scalar evaluator makes it.
        """
        if measure not in self._latest:
            latest = self._read(self._latest_rows(measure))
            self._latest[measure] = self._with_age(latest) if measure == "age" else latest
        return self._latest[measure]

    def _latest_rows(self, measure: str) -> I64:
        rows = self.batch.observations
        chosen = np.full(self.size, -1, np.int64)
        code = self.measure_code(measure)
        if code is None:
            return chosen
        index = np.flatnonzero(self._dated & (rows.measure == code))
        if index.size == 0:
            return chosen
        subject = rows.subject[index]
        # (date, row) as one int64 key: the row breaks ties on a date, last listed wins.
        key = (rows.date[index].astype(np.int64) - self._first_day) * len(rows) + index
        starts = np.flatnonzero(np.concatenate(([True], subject[1:] != subject[:-1])))
        chosen[subject[starts]] = np.maximum.reduceat(key, starts) % len(rows)
        return chosen

    def _read(self, chosen: I64) -> Latest:
        rows = self.batch.observations
        found = chosen >= 0
        nowhere = np.zeros(self.size, np.bool_)
        if len(rows) == 0:
            zeros = np.zeros(self.size, np.int64)
            return Latest(found, zeros, zeros, zeros, zeros, nowhere)
        take = np.where(found, chosen, 0)
        date, unit = rows.date[take].astype(np.int64), rows.unit[take].astype(np.int64)
        return Latest(found, date, rows.value[take], unit, take, nowhere)

    def _with_age(self, latest: Latest) -> Latest:
        birth = self.batch.birth_days
        known = birth != NO_DATE
        years = np.zeros(self.size, np.int64)
        years[known] = completed_years(birth[known].astype(np.int64), self.as_of[known])
        return Latest(
            latest.found | known,
            np.where(known, self.as_of, latest.date),
            np.where(known, years * SCALE, latest.value),
            np.where(known, self.units.index("a"), latest.unit),
            latest.row,
            known,
        )


def completed_years(birth: I64, on: I64) -> I64:
    """Completed years of age on ``on`` (day numbers), as ``age_in_years`` counts them."""
    born_year, born_month, born_day = _calendar(birth)
    year, month, day = _calendar(on)
    before_birthday = (month < born_month) | ((month == born_month) & (day < born_day))
    years: I64 = year - born_year - before_birthday.astype(np.int64)
    return years


def _calendar(days: I64) -> tuple[I64, I64, I64]:
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64)
    months = dates.astype("datetime64[M]")
    day = (dates - months).astype(np.int64)
    return years + 1970, months.astype(np.int64) - 12 * years, day


def compare_leaf(frame: Frame, rule: Compare | Between, window: int) -> I8:
    """A :class:`Compare` or :class:`Between` on each subject's latest value."""
    latest = frame.latest(rule.measure)
    fresh = latest.found & (frame.as_of - latest.date <= horizon(window))
    known = lexicon_measure(rule.measure)
    analyte = known.analyte if known is not None else None
    holds = np.ones(frame.size, np.bool_)
    refused = np.zeros(frame.size, np.bool_)
    for comparator, threshold in _checks(rule):
        if threshold.relative:
            check, refusal = _relative(frame.batch.observations, latest, comparator, threshold)
        else:
            bounds, refusals = bounds_by_unit(
                comparator, threshold.value, threshold.unit, frame.units, analyte
            )
            check, refusal = (
                compare(comparator, latest.value, bounds[latest.unit]),
                refusals[latest.unit],
            )
        holds &= check
        refused |= refusal
    return truth_codes(fresh & ~refused, holds)


def _checks(rule: Compare | Between) -> list[tuple[Comparator, Threshold]]:
    if isinstance(rule, Compare):
        return [(rule.comparator, rule.threshold)]
    return [
        (Comparator.GE if rule.low_inclusive else Comparator.GT, rule.low),
        (Comparator.LE if rule.high_inclusive else Comparator.LT, rule.high),
    ]


def _relative(
    rows: ObservationColumns, latest: Latest, comparator: Comparator, threshold: Threshold
) -> tuple[Bools, Bools]:
    """``value <comparator> t x reference``: ``value x q`` against ``p x reference``, t = p/q."""
    reference = latest.reference(rows, _REFERENCES[str(threshold.unit)])
    missing = reference == NO_VALUE
    ratio = Fraction(threshold.value)
    holds = compare_products(
        comparator,
        latest.value,
        ratio.denominator,
        np.where(missing, 0, reference),
        ratio.numerator,
    )
    return holds, missing


def fact_leaf(frame: Frame, rule: Fact, within: int | None) -> I8:
    """A :class:`Fact`: ``MET`` when a counted record is present, ``NOT_MET`` when only absent.

    Counted: records dated on or before the as-of day, and undated ones; inside a
    :class:`Within`, only those dated in its window (an undated present record then
    leaves the fact unknown, as does no record at all).
    """
    truth = np.full(frame.size, UNKNOWN, np.int8)
    names = frame.batch.fact_names
    if rule.name not in names:
        return truth
    rows = frame.batch.facts
    as_of = frame.as_of[rows.subject]
    dated = rows.date != NO_DATE
    named = rows.name == names.index(rule.name)
    if within is None:
        counted = named & (~dated | (rows.date <= as_of))
    else:
        start = as_of - horizon(within)
        counted = named & dated & (rows.date <= as_of) & (rows.date >= start)
    truth[rows.subject[counted]] = NOT_MET
    truth[rows.subject[counted & rows.present]] = MET
    return truth


def attest_leaf(frame: Frame, criterion: str) -> I8:
    """An :class:`Attest` in ``criterion``: that criterion's last attestation decides.

    The scalar evaluator too reads attestations by the id of the criterion being
    evaluated, not by the node's own ``criterion`` field.
    """
    truth = np.full(frame.size, UNKNOWN, np.int8)
    if criterion not in frame.batch.criteria:
        return truth
    rows = frame.batch.attestations
    index = np.flatnonzero(rows.criterion == frame.batch.criteria.index(criterion))
    if index.size == 0:
        return truth
    subject = rows.subject[index]
    last = np.concatenate((subject[1:] != subject[:-1], [True]))
    truth[subject[last]] = np.where(rows.holds[index[last]], MET, NOT_MET)
    return truth
