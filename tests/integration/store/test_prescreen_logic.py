"""Kleene's three values as two conditions, bit tests merged, on SQLite and PostgreSQL.

A random formula over leaves packed two bits a slot in two columns is compiled with
:mod:`trialdesk.store.prescreen_logic` and rendered; for random leaf values, "met" and
"not met" hold exactly when :mod:`trialdesk.eligibility.truth` says ``MET`` or
``NOT_MET``, whatever the merging of tests on one column made of the formula.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, literal, select

from trialdesk.eligibility import Truth
from trialdesk.eligibility.truth import at_least as kleene_at_least
from trialdesk.store.prescreen_logic import Bits, Pair, all_of, any_of, at_least, render

LEAVES = 6
CODES = {Truth.MET: 2, Truth.NOT_MET: 1, Truth.UNKNOWN: 0}

Formula = tuple[Any, ...]

formulas: st.SearchStrategy[Formula] = st.recursive(
    st.integers(0, LEAVES - 1).map(lambda i: ("leaf", i)),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4).flatmap(
            lambda items: st.integers(1, len(items)).map(lambda n: ("at_least", n, tuple(items)))
        ),
        inner.map(lambda item: ("not", item)),
        st.tuples(inner, inner).map(lambda pair: ("when", *pair)),
    ),
    max_leaves=10,
)


def _truth(formula: Formula, values: list[Truth]) -> Truth:
    """The evaluator's reading (``all``/``any`` are ``at_least`` with n = len and 1)."""
    match formula:
        case ("leaf", int(index)):
            return values[index]
        case ("at_least", int(n), tuple(items)):
            return kleene_at_least([_truth(item, values) for item in items], n)
        case ("not", item):
            return _truth(item, values).negate()
        case ("when", test, then):
            return kleene_at_least([_truth(test, values).negate(), _truth(then, values)], 1)
    raise AssertionError(formula)


def _pair(formula: Formula) -> Pair:
    """As :mod:`trialdesk.store.prescreen_compile` compiles: leaf ``i`` in column ``c{i % 2}``."""
    match formula:
        case ("leaf", int(index)):
            column, shift = f"c{index % 2}", 2 * (index // 2)
            return Pair(Bits(column, 2 << shift, every=True), Bits(column, 1 << shift, every=True))
        case ("at_least", int(n), tuple(items)):
            pairs = [_pair(item) for item in items]
            return Pair(
                at_least([p.met for p in pairs], n),
                at_least([p.not_met for p in pairs], len(pairs) - n + 1),
            )
        case ("not", item):
            return _pair(item).negate()
        case ("when", test, then):
            condition, limit = _pair(test), _pair(then)
            return Pair(
                any_of([condition.not_met, limit.met]), all_of([condition.met, limit.not_met])
            )
    raise AssertionError(formula)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    formula=formulas,
    values=st.lists(st.sampled_from(list(Truth)), min_size=LEAVES, max_size=LEAVES),
)
def test_met_and_not_met_are_kleene_s_values(database, formula, values) -> None:
    packed = [
        sum(
            CODES[value] << 2 * (index // 2) for index, value in enumerate(values) if index % 2 == c
        )
        for c in (0, 1)
    ]
    columns = {f"c{c}": literal(packed[c], BigInteger) for c in (0, 1)}
    compiled = _pair(formula)
    with database.fresh() as connection:
        met, not_met = connection.execute(
            select(render(compiled.met, columns), render(compiled.not_met, columns))
        ).one()
    expected = _truth(formula, values)
    assert (bool(met), bool(not_met)) == (expected is Truth.MET, expected is Truth.NOT_MET)


def test_tests_on_one_column_merge_into_one() -> None:
    met = any_of([Bits("c0", 2, every=True), Bits("c0", 8, every=True), Bits("c1", 2, every=True)])
    assert met == any_of([Bits("c0", 10, every=False), Bits("c1", 2, every=False)])
    assert all_of([Bits("c0", 2, every=True), Bits("c0", 8, every=True)]) == Bits(
        "c0", 10, every=True
    )
