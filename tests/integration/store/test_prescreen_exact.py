"""Exact integer comparisons in SQL equal Python's on Fractions, at the BIGINT bounds.

Values are drawn near 0, near the thresholds and at the storage bounds (``±10¹⁸``,
and ``±2·10¹⁸`` for a difference), where ``a·q`` or ``p·b`` would overflow a BIGINT
if computed directly; both engines must still agree with exact arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, literal, select

from trialdesk.eligibility import Comparator
from trialdesk.store.prescreen_exact import BIGINT_MAX, compare_constant, scaled_compare

BOUND = 10**18
DB_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _values(bound: int) -> st.SearchStrategy[int]:
    edges = st.sampled_from((0, 1, -1, bound, -bound, bound - 1, -bound + 1))
    return edges | st.integers(-bound, bound) | st.integers(-1000, 1000)


factors = st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6) | st.sampled_from(
    (Fraction(5), Fraction(5, 2), Fraction(1, 10**6), Fraction(-7, 3), Fraction(10**9, 7))
)


@DB_SETTINGS
@given(
    comparator=st.sampled_from(list(Comparator)),
    factor=factors,
    pairs=st.lists(st.tuples(_values(2 * BOUND), _values(BOUND)), min_size=1, max_size=20),
)
def test_scaled_compare_is_exact(database, comparator, factor, pairs) -> None:
    expressions = [
        scaled_compare(
            literal(a, BigInteger), comparator, factor, literal(b, BigInteger), (2 * BOUND, BOUND)
        )
        for a, b in pairs
    ]
    with database.fresh() as connection:
        found = connection.execute(select(*expressions)).one()
    expected = [comparator.holds(Fraction(a), factor * b) for a, b in pairs]
    assert [bool(value) for value in found] == expected


@DB_SETTINGS
@given(
    comparator=st.sampled_from(list(Comparator)),
    limit=st.fractions(max_denominator=10**9) | st.integers(-(10**20), 10**20).map(Fraction),
    values=st.lists(_values(BOUND), min_size=1, max_size=20),
)
def test_compare_constant_is_exact_and_clamped(database, comparator, limit, values) -> None:
    expressions = [
        compare_constant(literal(v, BigInteger), comparator, limit, BOUND) for v in values
    ]
    with database.fresh() as connection:
        found = connection.execute(select(*expressions)).one()
    assert [bool(value) for value in found] == [
        comparator.holds(Fraction(v), limit) for v in values
    ]


def test_a_factor_too_long_for_bigint_is_refused() -> None:
    huge = Fraction(BIGINT_MAX, 3)
    a, b = literal(1, BigInteger), literal(1, BigInteger)
    with pytest.raises(OverflowError, match="too large for BIGINT"):
        scaled_compare(a, Comparator.GT, huge, b, (BOUND, BOUND))
