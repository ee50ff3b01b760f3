"""The :class:`~trialdesk.eligibility.ast.Decline` leaf over a whole batch.

As the scalar evaluator: the current value is the subject's latest (and fresh) value
of the measure; the baseline is the row of the measure dated before it whose distance
from ``over_days`` before it is within ``tolerance_days``, the smallest distance, then
the earlier date, then the earlier listed. The candidate rows of all subjects are
sorted once by (subject, distance, date, row) and the first of each subject kept.
The fall is then compared exactly: ``%`` as ``(before - after) x 100 / before``,
``%-points`` as ``before - after`` of a ``%`` value, any other unit as ``before -
after`` converted into it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from trialdesk.eligibility.ast import Comparator, Decline
from trialdesk.eligibility.batch_exact import bounds_by_unit, compare, compare_products
from trialdesk.eligibility.batch_leaves import HORIZON_DAYS, Frame, Latest, horizon, truth_codes
from trialdesk.eligibility.batch_rows import I8, I64, SCALE, Bools

__all__ = ["decline_leaf"]


def decline_leaf(frame: Frame, rule: Decline, window: int) -> I8:
    """Whether each subject's measure fell by the rule's amount over its interval."""
    current = frame.latest(rule.measure)
    fresh = current.found & (frame.as_of - current.date <= horizon(window))
    chosen = _baseline_rows(frame, rule, current, fresh)
    has_baseline = chosen >= 0
    if not has_baseline.any():
        return truth_codes(has_baseline, has_baseline)
    rows = frame.batch.observations
    take = np.where(has_baseline, chosen, 0)
    before = rows.value[take]
    same_unit = rows.unit[take] == current.unit
    holds, refused = _fall_holds(frame, rule, before, current)
    return truth_codes(fresh & has_baseline & same_unit & ~refused, holds)


def _baseline_rows(frame: Frame, rule: Decline, current: Latest, fresh: Bools) -> I64:
    """Each subject's baseline row (``-1`` for none) for a fresh current value."""
    chosen = np.full(frame.size, -1, np.int64)
    code = frame.measure_code(rule.measure)
    if code is None:
        return chosen
    rows = frame.batch.observations
    index = np.flatnonzero(rows.measure == code)
    index = index[fresh[rows.subject[index]]]
    subject = rows.subject[index]
    date = rows.date[index].astype(np.int64)
    reference = current.date[subject]
    over, tolerance = _interval(rule.over_days, rule.tolerance_days)
    distance = np.abs(reference - date - over)
    near = (date < reference) & (distance <= tolerance)
    index, subject, date, distance = index[near], subject[near], date[near], distance[near]
    if index.size == 0:
        return chosen
    order = np.lexsort((index, date, distance, subject))
    ordered = subject[order]
    first = order[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    chosen[subject[first]] = index[first]
    return chosen


def _interval(over_days: int, tolerance_days: int) -> tuple[int, int]:
    """``over_days`` and ``tolerance_days`` brought into int64 range, deciding the same.

    Every interval between two dates is under ``HORIZON_DAYS``, so when ``over_days``
    exceeds it every distance is ``over_days - interval``: shifting ``over_days`` and
    ``tolerance_days`` down by the same amount keeps both the test and the order.
    """
    cap = horizon(over_days)
    tolerance = tolerance_days - (over_days - cap)
    return cap, max(-1, min(tolerance, 2 * HORIZON_DAYS))


def _fall_holds(frame: Frame, rule: Decline, before: I64, current: Latest) -> tuple[Bools, Bools]:
    """Whether the fall meets the amount, and where it cannot be read (as the scalar refuses)."""
    comparator = Comparator(rule.comparator)
    amount = Fraction(rule.amount.value)
    fall = before - current.value
    if rule.amount.unit == "%":
        # (before - after) / before x 100 vs p / q, with before > 0.
        holds = compare_products(
            comparator, fall, 100 * amount.denominator, before, amount.numerator
        )
        return holds, before <= 0
    if rule.amount.unit == "%-points":
        # (before - after) / 10^6 vs p / q.
        percent = np.array([unit == "%" for unit in frame.units])[current.unit]
        scale = np.full(frame.size, SCALE, np.int64)
        holds = compare_products(comparator, fall, amount.denominator, scale, amount.numerator)
        return holds, ~percent
    bounds, refused = bounds_by_unit(
        comparator, rule.amount.value, rule.amount.unit, frame.units, None
    )
    return compare(comparator, fall, bounds[current.unit]), refused[current.unit]
