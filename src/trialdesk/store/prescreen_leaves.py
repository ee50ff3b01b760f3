"""The leaves of a rule as SQL, each matching :mod:`trialdesk.eligibility.evaluate`.

A leaf over observations is compiled to a *code* computed on the one row that is the
subject's latest value of the measure on the as-of date (``0`` unknown, ``1`` not
met, ``2`` met): :func:`compare_code` for :class:`Compare`/:class:`Between`,
:func:`decline_code` for :class:`Decline`. Age from a birth date needs no row:
:func:`age_from_birth_date`. Facts: :func:`fact_code`, aggregated with ``max``.

Thresholds are converted, when the rule is compiled, into every unit a value can be
stored in (the UCUM codes and aliases of :mod:`trialdesk.clinical.units`), by the
same :func:`~trialdesk.clinical.units.conversion_factor` and the measure's analyte;
a unit that does not convert, or is not a unit at all, gives "unknown", as the
evaluator's "unit refused".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeAlias

from sqlalchemy import (
    Column,
    ColumnElement,
    FromClause,
    Integer,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import ALIASES, UNITS, conversion_factor
from trialdesk.eligibility.ast import Between, Comparator, Compare, Decline, Threshold
from trialdesk.eligibility.lexicon import measure as lexicon_measure
from trialdesk.store.prescreen_exact import compare_constant, integer, scaled_compare
from trialdesk.store.prescreen_schema import (
    MAX_ABS_VALUE,
    MICRO,
    PrescreenInputError,
    measures,
)
from trialdesk.store.prescreen_schema import units as units_table

__all__ = [
    "Code",
    "Scope",
    "age_from_birth_date",
    "compare_code",
    "compare_years",
    "day",
    "decline_code",
    "fact_code",
    "is_measure",
    "key_of",
    "one_of",
]

#: Bound of a stored ``*_micro`` value, and of the difference of two.
_BOUND = MAX_ABS_VALUE * MICRO
_DIFFERENCE_BOUND = 2 * _BOUND
#: Every unit string a value may carry that converts to something.
_KNOWN_UNITS: tuple[str, ...] = (*UNITS, *ALIASES)
_REFERENCE_COLUMNS = {"x ULN": "uln_micro", "x LLN": "lln_micro", "x control": "control_micro"}
_MET, _NOT_MET, _UNKNOWN = 2, 1, 0

Code: TypeAlias = ColumnElement[int]
"""``2`` met, ``1`` not met, ``0`` unknown."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a leaf sits: its criterion, the enclosing ``Within`` (if any), the dates."""

    criterion: str
    within: int | None
    lab_window_days: int
    as_of: dt.date

    @property
    def window(self) -> int:
        """Days a measured value may be old: the enclosing ``Within``, else the default."""
        return self.lab_window_days if self.within is None else self.within

    @property
    def day(self) -> int:
        """The as-of date's day number."""
        return self.as_of.toordinal()


def day(column: ColumnElement[dt.date]) -> ColumnElement[int]:
    """A date column as the integer day number it is stored as."""
    return type_coerce(column, Integer)


def _code(condition: ColumnElement[bool], scale: int = 1) -> Code:
    return case((condition, integer(_MET * scale)), else_=integer(_NOT_MET * scale))


def _unit_limit(
    value: Fraction, unit: str | None, target: str | None, analyte: str | None
) -> Fraction | None:
    """``value`` (a limit in ``target``) in micro-units of ``unit``, or ``None`` if refused."""
    if unit is None or target is None:
        return value * MICRO if unit == target else None
    try:
        factor = conversion_factor(unit, target, analyte)
    except UnitError:
        return None
    return value * MICRO / factor


def _units_by_limits(
    limits: Callable[[str | None], tuple[Fraction, ...] | None], usual: str | None
) -> dict[tuple[Fraction, ...], list[str | None]]:
    """Every unit that converts, grouped by the limits it gives (one SQL branch each).

    The group of ``usual`` (the measure's canonical unit) comes first: most rows stop
    at the first test.
    """
    groups: dict[tuple[Fraction, ...], list[str | None]] = {}
    for unit in (usual, *_KNOWN_UNITS, None):
        found = limits(unit)
        if found is not None and unit not in groups.get(found, ()):
            groups.setdefault(found, []).append(unit)
    return groups


def key_of(column: Column[str], text: str) -> ColumnElement[int]:
    """The key of ``text`` in ``column``'s table (``measures.name``, ``units.code``).

    An uncorrelated subquery: each engine reads it once per statement, and it is
    ``NULL`` when no row has that text, so an observation never matches it.
    """
    return select(column.table.c.id).where(column == text).scalar_subquery()


def is_measure(row: FromClause, name: str) -> ColumnElement[bool]:
    """``row``'s measure is ``name``."""
    return row.c.measure_id == key_of(measures.c.name, name)


def one_of(column: ColumnElement[str | None], values: Sequence[str]) -> ColumnElement[bool]:
    """``column = a OR column = b ...``, most likely first.

    SQLite tests an IN list through a temporary index, which costs more per row than a
    few comparisons.
    """
    return or_(*(column == value for value in values))


def _unit_is(column: ColumnElement[int | None], units: Sequence[str | None]) -> ColumnElement[bool]:
    """The unit key in ``column`` is one of ``units`` (``None``: no unit), most likely first."""
    tests = [column == key_of(units_table.c.code, unit) for unit in units if unit is not None]
    if None in units:
        tests.append(column.is_(None))
    return or_(*tests)


def _ends(rule: Compare | Between) -> list[tuple[Comparator, Threshold]]:
    if isinstance(rule, Compare):
        return [(rule.comparator, rule.threshold)]
    return [
        (Comparator.GE if rule.low_inclusive else Comparator.GT, rule.low),
        (Comparator.LE if rule.high_inclusive else Comparator.LT, rule.high),
    ]


def _relative(
    row: FromClause, comparator: Comparator, threshold: Threshold, criterion: str
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(reference missing, ``value <op> k x reference``) for a relative threshold."""
    reference = row.c[_REFERENCE_COLUMNS[str(threshold.unit)]]
    try:
        holds = scaled_compare(
            row.c.value_micro,
            comparator,
            Fraction(threshold.value),
            reference,
            (_BOUND, _BOUND),
        )
    except OverflowError:
        raise PrescreenInputError(
            f"{criterion}: threshold", str(threshold), "a multiplier with fewer digits"
        ) from None
    return reference.is_(None), holds


def _stale(row: FromClause, scope: Scope, earliest: int) -> list[tuple[ColumnElement[bool], Code]]:
    """The test for a value older than the window, as a ``case`` branch.

    None when the row filter (rows dated ``earliest`` or later) leaves such values out.
    """
    start = scope.day - scope.window
    if start <= earliest:
        return []
    return [(day(row.c.date) < integer(start), integer(_UNKNOWN))]


def compare_code(
    rule: Compare | Between, row: FromClause, scope: Scope, earliest: int, scale: int = 1
) -> Code:
    """The code (times ``scale``) of a comparison on ``row``, the latest value of the measure.

    Rows dated before ``earliest`` are filtered out by the caller. The code comes
    scaled so that packing it into its slot costs no multiplication per row.
    """
    ends = _ends(rule)
    known = lexicon_measure(rule.measure)
    analyte = known.analyte if known is not None else None
    relative = [_relative(row, c, t, scope.criterion) for c, t in ends if t.relative]
    absolute = [(c, t) for c, t in ends if not t.relative]

    def limits(unit: str | None) -> tuple[Fraction, ...] | None:
        found = [_unit_limit(Fraction(t.value), unit, t.unit, analyte) for _, t in absolute]
        return None if None in found else tuple(f for f in found if f is not None)

    def branch(limits_in_unit: tuple[Fraction, ...]) -> Code:
        holds = [
            compare_constant(row.c.value_micro, comparator, limit, _BOUND)
            for (comparator, _), limit in zip(absolute, limits_in_unit, strict=True)
        ] + [condition for _, condition in relative]
        missing = [missing for missing, _ in relative]
        met = _code(and_(*holds), scale)
        return case((or_(*missing), integer(_UNKNOWN)), else_=met) if missing else met

    stale = _stale(row, scope, earliest)
    if not absolute:  # relative thresholds read the value in its own unit
        return case(*stale, else_=branch(())) if stale else branch(())
    usual = known.unit if known is not None else None
    whens = stale + [
        (_unit_is(row.c.unit_id, units), branch(found))
        for found, units in _units_by_limits(limits, usual).items()
    ]
    return case(*whens, else_=integer(_UNKNOWN)) if whens else integer(_UNKNOWN)


def decline_code(
    rule: Decline, row: FromClause, baseline: FromClause, scope: Scope, earliest: int
) -> Code:
    """The code of a decline, ``row`` being the current (latest) value.

    The baseline is the value dated closest to ``target = current date - over_days``
    within ``tolerance_days`` (ties: the earlier date, then the earlier in order). SQLite
    cannot order a correlated subquery by an outer column, so the two nearest values
    are looked up on each side of the target (on the (subject, measure, date) index),
    each as ``day x 4 + code``, and the nearer one is taken.
    """
    current = day(row.c.date)
    target = current - integer(rule.over_days)
    tolerance = integer(rule.tolerance_days)
    when = day(baseline.c.date)
    reading = when * integer(4) + _decline_reading(rule, row, baseline)

    def nearest(side: ColumnElement[bool], order: ColumnElement[int]) -> ColumnElement[int]:
        return (
            select(reading)
            .where(
                baseline.c.subject == row.c.subject,
                is_measure(baseline, rule.measure),
                when < current,
                side,
            )
            .order_by(order, baseline.c.id)
            .limit(1)
            .correlate(row)
            .scalar_subquery()
        )

    below = nearest(and_(when <= target, when >= target - tolerance), baseline.c.date.desc())
    above = nearest(and_(when > target, when <= target + tolerance), baseline.c.date.asc())
    four = integer(4)
    chosen = case(
        (below.is_(None), above % four),
        (above.is_(None), below % four),
        (target - below // four <= above // four - target, below % four),
        else_=above % four,
    )
    found = func.coalesce(chosen, integer(_UNKNOWN))
    stale = _stale(row, scope, earliest)
    return case(*stale, else_=found) if stale else found


def _decline_reading(rule: Decline, current: FromClause, baseline: FromClause) -> Code:
    """The code from one baseline row: ``_decline_amount`` of the evaluator."""
    before, after = baseline.c.value_micro, current.c.value_micro
    fall = before - after
    amount = Fraction(rule.amount.value)
    comparator = Comparator(rule.comparator)
    whens: list[tuple[ColumnElement[bool], Code]] = [
        (baseline.c.unit_id.is_distinct_from(current.c.unit_id), integer(_UNKNOWN))
    ]
    if rule.amount.unit == "%":
        # (before - after) / before x 100 <op> k  ⇔  fall <op> (k/100) x before, before > 0
        whens.append((before <= integer(0), integer(_UNKNOWN)))
        holds = scaled_compare(fall, comparator, amount / 100, before, (_DIFFERENCE_BOUND, _BOUND))
        return case(*whens, else_=_code(holds))
    if rule.amount.unit == "%-points":
        percent = key_of(units_table.c.code, "%")
        not_percent = or_(current.c.unit_id.is_(None), current.c.unit_id.is_distinct_from(percent))
        whens.append((not_percent, integer(_UNKNOWN)))
        holds = compare_constant(fall, comparator, amount * MICRO, _DIFFERENCE_BOUND)
        return case(*whens, else_=_code(holds))

    def limits(unit: str | None) -> tuple[Fraction, ...] | None:
        found = _unit_limit(amount, unit, rule.amount.unit, None)
        return None if found is None else (found,)

    for found, units in _units_by_limits(limits, rule.amount.unit).items():
        holds = compare_constant(fall, comparator, found[0], _DIFFERENCE_BOUND)
        whens.append((_unit_is(current.c.unit_id, units), _code(holds)))
    return case(*whens, else_=integer(_UNKNOWN))


def _birthday_cutoff(as_of: dt.date, years: int) -> int:
    """The last birth date (day number) at which the age on ``as_of`` is ``years`` or more."""
    year = as_of.year - years
    if year < dt.MINYEAR:
        return 0  # no birth date is early enough
    if year > dt.MAXYEAR:
        return dt.date.max.toordinal()  # every birth date is
    day_of_month = as_of.day
    if (as_of.month, as_of.day) == (2, 29) and not _leap(year):
        day_of_month = 28
    return dt.date(year, as_of.month, day_of_month).toordinal()


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def age_from_birth_date(
    rule: Compare | Between, as_of: dt.date
) -> Callable[[ColumnElement[dt.date]], ColumnElement[bool]] | None:
    """The comparison on age in completed years, given a birth date; ``None`` if refused.

    ``age >= n`` is ``birth_date <= cutoff(n)``, so the age is never computed: each
    threshold becomes one date comparison (the evaluator's value is ``age_in_years``
    in unit ``a``, dated the as-of date, with no reference limits). Returned as a
    function of the birth-date column, which each query shape names differently.
    """
    known = lexicon_measure(rule.measure)
    analyte = known.analyte if known is not None else None
    cutoffs: list[tuple[bool, int]] = []
    for comparator, threshold in _ends(rule):
        if threshold.relative:
            return None
        limit = _unit_limit(Fraction(threshold.value), "a", threshold.unit, analyte)
        if limit is None:
            return None
        years = compare_years(comparator, limit / MICRO)
        at_least = comparator in {Comparator.GT, Comparator.GE}
        cutoffs.append((at_least, _birthday_cutoff(as_of, years)))

    def holds(birth_date: ColumnElement[dt.date]) -> ColumnElement[bool]:
        born = day(birth_date)
        return and_(
            *(
                born <= integer(cutoff) if at_least else born > integer(cutoff)
                for at_least, cutoff in cutoffs
            )
        )

    return holds


def compare_years(comparator: Comparator, limit: Fraction) -> int:
    """The ``n`` with ``age <op> limit`` ⇔ ``age >= n`` (``>``, ``>=``) or ``age < n``."""
    bound = dt.MAXYEAR + 1  # |age| on any two dates is below this
    n = math.floor(limit) + 1 if comparator in {Comparator.GT, Comparator.LE} else math.ceil(limit)
    return max(-bound, min(bound, n))


def fact_code(facts: FromClause, name: str, scope: Scope) -> Code:
    """Per fact row: ``2`` present, ``1`` absent, ``NULL`` out of scope; ``max`` decides.

    Present anywhere in scope beats absent (the evaluator picks a present record first);
    with a ``Within``, only records dated in the window count (an undated one leaves it
    unknown), without one, undated records and any date up to the as-of date count.
    """
    date = day(facts.c.date)
    if scope.within is None:
        in_scope = or_(facts.c.date.is_(None), date <= integer(scope.day))
    else:
        in_scope = and_(date >= integer(scope.day - scope.within), date <= integer(scope.day))
    value = case((facts.c.present, integer(_MET)), else_=integer(_NOT_MET))
    return case((and_(facts.c.name == name, in_scope), value))
