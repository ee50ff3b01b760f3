"""Exact comparisons of stored integers with rational thresholds, inside ``BIGINT``.

Stored values are integers ``x`` with ``|x| <= bound`` (``value_micro``: ``bound =
10¹⁸``, :data:`~trialdesk.store.prescreen_schema.MAX_ABS_VALUE`). A threshold is a
:class:`~fractions.Fraction` known when the rule is compiled, so the comparison
with a constant needs no arithmetic in SQL at all: for an integer ``x``,

- ``x > t``  ⇔ ``x > ⌊t⌋``      - ``x >= t`` ⇔ ``x >= ⌈t⌉``
- ``x < t``  ⇔ ``x < ⌈t⌉``      - ``x <= t`` ⇔ ``x <= ⌊t⌋``

and an integer beyond ``±bound`` is clamped to ``±(bound + 1)``, which decides the
same way for every stored ``x`` and is itself a ``BIGINT``.

A threshold relative to another column (``k x ULN``, a decline of ``k %`` of the
baseline) is ``a <op> (p/q)·b`` with two columns; ``a·q <op> p·b`` could overflow,
so :func:`scaled_compare` decides it in steps that provably stay within ``2⁶³``
(see its docstring). Nothing is ever converted to a floating-point number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from sqlalchemy import BigInteger, ColumnElement, case, false, literal, true

from trialdesk.eligibility.ast import Comparator

__all__ = ["BIGINT_MAX", "compare_constant", "integer", "scaled_compare"]

#: The largest ``BIGINT`` (both SQLite's INTEGER and PostgreSQL's int8).
BIGINT_MAX = 2**63 - 1

_SQL: dict[Comparator, Callable[[ColumnElement[int], ColumnElement[int]], ColumnElement[bool]]] = {
    Comparator.GT: lambda left, right: left > right,
    Comparator.GE: lambda left, right: left >= right,
    Comparator.LT: lambda left, right: left < right,
    Comparator.LE: lambda left, right: left <= right,
}


def integer(value: int) -> ColumnElement[int]:
    """``value`` as a ``BIGINT`` bound parameter (never a narrower type on PostgreSQL)."""
    if abs(value) > BIGINT_MAX:
        message = f"{value} does not fit a BIGINT"
        raise OverflowError(message)
    return literal(value, BigInteger)


def _integer_limit(comparator: Comparator, limit: Fraction, bound: int) -> int:
    rounded = (
        math.floor(limit) if comparator in {Comparator.GT, Comparator.LE} else math.ceil(limit)
    )
    return max(-bound - 1, min(bound + 1, rounded))


def compare_constant(
    column: ColumnElement[int], comparator: Comparator, limit: Fraction, bound: int
) -> ColumnElement[bool]:
    """``column <comparator> limit`` for an integer column with ``|column| <= bound``."""
    return _SQL[comparator](column, integer(_integer_limit(comparator, limit, bound)))


def _holds(comparator: Comparator, sign: int) -> ColumnElement[bool]:
    """Whether ``left <comparator> right`` holds when ``sign`` is that of ``left - right``."""
    return true() if comparator.holds(Fraction(sign), Fraction(0)) else false()


def scaled_compare(
    left: ColumnElement[int],
    comparator: Comparator,
    factor: Fraction,
    right: ColumnElement[int],
    bounds: tuple[int, int],
) -> ColumnElement[bool]:
    """``left <comparator> factor · right`` exactly, with no intermediate beyond ``2⁶³``.

    ``bounds = (A, B)`` bound ``|left|`` and ``|right|``; ``2A`` and ``|p|·q`` (``factor
    = p/q``) must be below ``2⁶³``. With ``x = (p/q)·right``:

    1. ``|right| > T = ⌊A·q/|p|⌋``: ``|x| > A >= |left|``, so the sign of ``x`` decides.
    2. Otherwise ``right = q·r₁ + r₀`` (SQL's integer division, either rounding) and
       ``x = M + R/q`` with ``M = p·r₁`` (``|M| <= |x| <= A``) and ``R = p·r₀``
       (``|R| < |p|·q``). With ``d = left - M`` (``|d| <= 2A``): ``d >= |p|`` means
       ``left > x``, ``d <= -|p|`` means ``left < x``, and otherwise ``|d·q| < |p|·q``
       and ``d·q <comparator> R`` decides.

    When ``A·q`` and ``|p|·B`` both fit, it is simply ``left·q <comparator> p·right``.
    """
    bound_left, bound_right = bounds
    p, q = factor.numerator, factor.denominator
    if p == 0:
        return _SQL[comparator](left, integer(0))
    if bound_left * q <= BIGINT_MAX and abs(p) * bound_right <= BIGINT_MAX:
        return _SQL[comparator](left * integer(q), right * integer(p))
    if 2 * bound_left > BIGINT_MAX or abs(p) * q > BIGINT_MAX:
        message = f"factor {factor} or bound {bound_left} is too large for BIGINT"
        raise OverflowError(message)
    sign = 1 if p > 0 else -1
    whens: list[tuple[ColumnElement[bool], ColumnElement[bool]]] = []
    beyond = bound_left * q // abs(p)
    if beyond < bound_right:
        # right > T: x has the sign of p, and left lies on the other side of it.
        whens.append((right > integer(beyond), _holds(comparator, -sign)))
        whens.append((right < integer(-beyond), _holds(comparator, sign)))
    # ``//`` renders SQL's integer division on both engines (truncating: either rounding
    # keeps right = q·r₁ + r₀ with |r₀| < q).
    quotient = right // integer(q)
    whole = integer(p) * quotient
    remainder = integer(p) * (right - quotient * integer(q))
    difference = left - whole
    whens.append((difference >= integer(abs(p)), _holds(comparator, 1)))
    whens.append((difference <= integer(-abs(p)), _holds(comparator, -1)))
    return case(*whens, else_=_SQL[comparator](difference * integer(q), remainder))
