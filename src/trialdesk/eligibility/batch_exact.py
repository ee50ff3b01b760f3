"""Exact comparisons of scaled integer values with decimal thresholds, over whole columns.

A value ``v`` is held as the integer ``v x 10^6``. Comparing it with a threshold ``t``
in another unit is comparing ``v x 10^6`` with ``L = t x 10^6 / f``, where ``f`` is the
exact factor from the value's unit to the threshold's (a :class:`~fractions.Fraction`).
For an integer ``n`` and a rational ``L``: ``n > L`` iff ``n > floor(L)``, ``n >= L`` iff
``n >= ceil(L)``, ``n < L`` iff ``n < ceil(L)``, ``n <= L`` iff ``n <= floor(L)``. So each
threshold becomes one integer per unit of the batch, computed once with fractions,
and the column is compared with integers: never a float, never a rounding.

A relative threshold (``1.5 x ULN``) multiplies by each subject's own limit, so it is
compared as two products, ``v x q`` against ``p x ULN`` for ``t = p/q``; rows whose
products could leave the int64 range are compared with Python integers instead.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import conversion_factor
from trialdesk.eligibility.ast import Comparator
from trialdesk.eligibility.batch_rows import I64, SCALE, Bools

__all__ = ["bounds_by_unit", "compare", "compare_products", "unit_factor"]

_INT64_MAX = 2**63 - 1
_PRODUCT_LIMIT = 2.0**62  # a float estimate under this leaves a factor of 2 to spare
_ARRAY_OPS: dict[Comparator, Callable[[Any, Any], Bools]] = {
    Comparator.GT: np.greater,
    Comparator.GE: np.greater_equal,
    Comparator.LT: np.less,
    Comparator.LE: np.less_equal,
}
_INT_OPS: dict[Comparator, Callable[[int, int], bool]] = {
    Comparator.GT: operator.gt,
    Comparator.GE: operator.ge,
    Comparator.LT: operator.lt,
    Comparator.LE: operator.le,
}


def unit_factor(from_unit: str | None, to_unit: str | None, analyte: str | None) -> Fraction | None:
    """The exact factor from ``from_unit`` to ``to_unit``; ``None`` where the units refuse.

    As the scalar evaluator: no unit converts only to no unit, and a unit
    :func:`~trialdesk.clinical.units.conversion_factor` refuses is refused.
    """
    if from_unit is None or to_unit is None:
        return Fraction(1) if from_unit == to_unit else None
    try:
        return conversion_factor(from_unit, to_unit, analyte)
    except UnitError:
        return None


def _integer_bound(limit: Fraction, comparator: Comparator) -> int:
    """``K`` with ``n <comparator> limit`` iff ``n <comparator> K`` for every int64 ``n``."""
    rounded = (
        math.floor(limit) if comparator in {Comparator.GT, Comparator.LE} else math.ceil(limit)
    )
    # Scaled values are at most 10^18 in magnitude, so clipping changes no comparison.
    return max(-_INT64_MAX, min(_INT64_MAX, rounded))


def bounds_by_unit(
    comparator: Comparator,
    value: Decimal,
    unit: str | None,
    units: Sequence[str | None],
    analyte: str | None,
) -> tuple[I64, Bools]:
    """For each unit code ``u``: the integer a scaled value in ``u`` is compared with.

    Returns the bounds and, per unit code, whether that unit refuses to convert to
    ``unit`` (a refused unit's bound is 0 and must not be read).
    """
    bounds = np.zeros(len(units), np.int64)
    refused = np.zeros(len(units), np.bool_)
    threshold = Fraction(value) * SCALE
    for code, from_unit in enumerate(units):
        factor = unit_factor(from_unit, unit, analyte)
        if factor is None:
            refused[code] = True
        else:
            bounds[code] = _integer_bound(threshold / factor, comparator)
    return bounds, refused


def compare(comparator: Comparator, values: I64, bounds: I64) -> Bools:
    """``values <comparator> bounds``, element by element."""
    return _ARRAY_OPS[comparator](values, bounds)


def compare_products(comparator: Comparator, x: I64, p: int, y: I64, q: int) -> Bools:
    """``x * p <comparator> y * q`` exactly, element by element.

    The products are formed in int64 where a float estimate shows they fit with room
    to spare, and with Python integers for the other rows (rare: values near 10^12).
    """
    small = max(abs(p), abs(q)) < _PRODUCT_LIMIT
    fits = (
        (np.abs(x.astype(np.float64)) * abs(p) < _PRODUCT_LIMIT)
        & (np.abs(y.astype(np.float64)) * abs(q) < _PRODUCT_LIMIT)
        if small
        else np.zeros(x.shape, np.bool_)
    )
    if fits.all():
        return _ARRAY_OPS[comparator](x * p, y * q)
    result = np.zeros(x.shape, np.bool_)
    result[fits] = _ARRAY_OPS[comparator](x[fits] * p, y[fits] * q)
    holds = _INT_OPS[comparator]
    rest = np.flatnonzero(~fits)
    result[rest] = [holds(int(a) * p, int(b) * q) for a, b in zip(x[rest], y[rest], strict=True)]
    return result
