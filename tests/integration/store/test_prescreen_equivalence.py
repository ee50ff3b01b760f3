"""The compiled pre-screen gives the evaluator's verdicts, on SQLite and on PostgreSQL.

For random rule sets and several random subjects per example, loaded into an empty
database: every criterion's rule truth and pass, and the overall status, equal those
of :func:`trialdesk.eligibility.evaluate`; :func:`prescreen` agrees on the counts,
the candidates and their unknown criteria.

``tests/strategies.py`` draws the rules and subjects; the strategies below widen them
to what those leave out (age from a birth date or an observation in other units,
``x control``, ``%-points`` declines, unit-less and aliased thresholds, values with
six decimals, several values of a measure on one date, other as-of dates).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from strategies import ELIGIBILITY_SCREENING_DATE, eligibility_rule_sets, eligibility_subjects
from trialdesk.eligibility import (
    Between,
    Comparator,
    Compare,
    Criterion,
    Decline,
    Eligibility,
    Observation,
    Rule,
    RuleSet,
    SubjectData,
    Threshold,
    Truth,
    Within,
    evaluate,
)
from trialdesk.store.prescreen import compile_rule_set, pass_column, prescreen, rule_column
from trialdesk.store.prescreen_schema import save_subjects

SQL_TRUTH = {Truth.MET: True, Truth.NOT_MET: False, Truth.UNKNOWN: None}
AS_OF_DATES = (ELIGIBILITY_SCREENING_DATE, dt.date(2028, 2, 29), dt.date(2027, 2, 28))
DB_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# (measure, units a threshold may name, units a value may carry, value grid step)
_AGE_UNITS = ("a", "mo", "wk", "d", "mg/dL", "x ULN")
_SIX_DECIMALS = st.integers(0, 3_000_000).map(lambda k: Decimal(k).scaleb(-5))
_YEARS = st.integers(-4, 400).map(lambda k: Decimal(k) / 4)


@st.composite
def wider_leaves(draw: st.DrawFn, criterion: str) -> Rule:
    """Leaves the shared strategies do not draw."""
    kind = draw(st.sampled_from(("age", "age_range", "control", "points", "unitless", "alias")))
    comparator = draw(st.sampled_from(list(Comparator)))
    if kind == "age":
        unit = draw(st.sampled_from(_AGE_UNITS))
        scale = {"mo": 12, "wk": 52, "d": 365}.get(unit, 1)
        value = draw(_YEARS) * scale
        threshold = Threshold(value=value, unit=unit)
        return Compare(
            criterion=criterion, measure="age", comparator=comparator, threshold=threshold
        )
    if kind == "age_range":
        low, high = sorted((draw(_YEARS), draw(_YEARS)))
        return Between(
            criterion=criterion,
            measure="age",
            low=Threshold(value=low, unit="a"),
            high=Threshold(value=high, unit="a"),
            low_inclusive=draw(st.booleans()),
            high_inclusive=draw(st.booleans()),
        )
    if kind == "control":
        threshold = Threshold(
            value=Decimal(draw(st.sampled_from(("1.5", "2.5", "0.7")))), unit="x control"
        )
        return Compare(
            criterion=criterion, measure="aptt", comparator=comparator, threshold=threshold
        )
    if kind == "points":
        return Decline(
            criterion=criterion,
            measure="fvc_percent_predicted",
            comparator=draw(st.sampled_from((">", ">="))),
            amount=Threshold(value=Decimal(draw(st.integers(0, 20))), unit="%-points"),
            over_days=180,
            tolerance_days=draw(st.sampled_from((0, 30, 400))),
        )
    if kind == "unitless":
        threshold = Threshold(value=Decimal(draw(st.integers(0, 4))), unit=None)
        return Compare(
            criterion=criterion, measure="ecog", comparator=comparator, threshold=threshold
        )
    unit = draw(st.sampled_from(("umol/L", "µmol/L", "mmol/L", "g/L", "furlong")))
    threshold = Threshold(value=draw(_SIX_DECIMALS) * 100, unit=unit)
    return Compare(
        criterion=criterion, measure="creatinine", comparator=comparator, threshold=threshold
    )


@st.composite
def wider_rule_sets(draw: st.DrawFn) -> RuleSet:
    """A shared rule set, with some criteria replaced by (or wrapped around) wider leaves."""
    rules = draw(eligibility_rule_sets())
    criteria = []
    for drawn in rules.criteria:
        criterion = drawn
        if draw(st.booleans()):
            leaf = draw(wider_leaves(drawn.id))
            days = draw(st.sampled_from((None, 0, 30, 200)))
            rule = leaf if days is None else Within(criterion=drawn.id, days=days, item=leaf)
            criterion = Criterion(id=drawn.id, section=drawn.section, text="wider", rule=rule)
        criteria.append(criterion)
    return rules.model_copy(update={"criteria": tuple(criteria)})


def _dated(draw: st.DrawFn, as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=draw(st.integers(-3, 420)))


@st.composite
def wider_observations(draw: st.DrawFn, as_of: dt.date) -> Observation:
    kind = draw(st.sampled_from(("age", "aptt", "fvc_percent_predicted", "ecog", "creatinine")))
    date = _dated(draw, as_of)
    if kind == "age":
        unit = draw(st.sampled_from(("a", "mo", None, "kg")))
        value = draw(_YEARS) * (12 if unit == "mo" else 1)
        return Observation(measure="age", value=value, unit=unit, date=date, source="w")
    if kind == "aptt":
        control = draw(st.none() | st.integers(20, 40).map(Decimal))
        value = Decimal(draw(st.integers(10, 120)))
        return Observation(
            measure="aptt", value=value, unit="s", date=date, source="w", control=control
        )
    if kind == "fvc_percent_predicted":
        unit = draw(st.sampled_from(("%", "%", "L")))
        value = Decimal(draw(st.integers(30, 110)))
        return Observation(measure=kind, value=value, unit=unit, date=date, source="w")
    if kind == "ecog":
        unit = draw(st.sampled_from((None, "{score}")))
        value = Decimal(draw(st.integers(0, 4)))
        return Observation(measure="ecog", value=value, unit=unit, date=date, source="w")
    unit = draw(st.sampled_from(("mg/dL", "umol/L", "µmol/L", "mmol/L")))
    value = draw(_SIX_DECIMALS)
    return Observation(measure="creatinine", value=value, unit=unit, date=date, source="w")


@st.composite
def wider_subjects(draw: st.DrawFn, subject_id: str, as_of: dt.date) -> SubjectData:
    """A shared subject, on ``as_of``, with more measures and same-date repeats."""
    subject = draw(eligibility_subjects(subject_id))
    extra = draw(st.lists(wider_observations(as_of), max_size=6))
    observations = [*subject.observations, *extra]
    for _ in range(draw(st.integers(0, 2))):
        if observations:
            repeated = draw(st.sampled_from(observations))
            changed = repeated.value + draw(st.sampled_from((Decimal(-1), Decimal("0.25"))))
            observations.insert(
                draw(st.integers(0, len(observations))),
                repeated.model_copy(update={"value": changed}),
            )
    return subject.model_copy(update={"screening_date": as_of, "observations": tuple(observations)})


@st.composite
def cases(draw: st.DrawFn) -> tuple[RuleSet, dt.date, tuple[SubjectData, ...]]:
    as_of = draw(st.sampled_from(AS_OF_DATES))
    rules = draw(wider_rule_sets())
    count = draw(st.integers(1, 5))
    subjects = tuple(draw(wider_subjects(f"S{i}", as_of)) for i in range(count))
    return rules, as_of, subjects


def _check(connection, rules: RuleSet, as_of: dt.date, subjects: tuple[SubjectData, ...]) -> None:
    save_subjects(connection, subjects)
    rows = {row.subject_id: row for row in connection.execute(compile_rule_set(rules, as_of))}
    verdicts = {s.subject_id: evaluate(rules, s) for s in subjects}
    assert set(rows) == set(verdicts)
    for subject_id, verdict in verdicts.items():
        row = rows[subject_id]._mapping
        for criterion in verdict.criteria:
            assert row[rule_column(criterion.criterion)] is SQL_TRUTH[criterion.status], criterion
            assert row[pass_column(criterion.criterion)] is SQL_TRUTH[criterion.passes], criterion
        assert row["status"] == verdict.status.value
        event(f"status: {verdict.status.value}")
    result = prescreen(connection, rules, as_of)
    expected = dict.fromkeys(Eligibility, 0)
    for verdict in verdicts.values():
        expected[verdict.status] += 1
    assert dict(result.counts) == expected
    candidates = {c.subject_id: (c.status, c.unknown) for c in result.candidates}
    assert candidates == {
        subject_id: (
            verdict.status,
            tuple(c.criterion for c in verdict.criteria if c.passes is Truth.UNKNOWN),
        )
        for subject_id, verdict in verdicts.items()
        if verdict.status is not Eligibility.NOT_ELIGIBLE
    }


@DB_SETTINGS
@given(
    rules=eligibility_rule_sets(),
    subjects=st.integers(1, 5).flatmap(
        lambda n: st.tuples(*(eligibility_subjects(f"S{i}") for i in range(n)))
    ),
)
def test_sql_verdicts_equal_the_evaluator(database, rules, subjects) -> None:
    with database.fresh() as connection:
        _check(connection, rules, ELIGIBILITY_SCREENING_DATE, subjects)


@DB_SETTINGS
@given(case=cases())
def test_sql_verdicts_equal_the_evaluator_on_wider_rules_and_dates(database, case) -> None:
    rules, as_of, subjects = case
    with database.fresh() as connection:
        _check(connection, rules, as_of, subjects)
