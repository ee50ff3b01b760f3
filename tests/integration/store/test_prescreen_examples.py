"""The pre-screen on hand-built subjects, on SQLite and PostgreSQL: one behaviour per test.

Each case states the subject, the rule and the verdict the evaluator gives (checked
here too, so an example can never drift from the reference semantics).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trialdesk.eligibility import (
    AllOf,
    Comparator,
    Compare,
    Criterion,
    Decline,
    Eligibility,
    Fact,
    FactRecord,
    Observation,
    Rule,
    RuleSet,
    Section,
    SubjectData,
    Threshold,
    Truth,
    Within,
    evaluate,
)
from trialdesk.store.prescreen import Candidate, compile_rule_set, prescreen, rule_column
from trialdesk.store.prescreen_schema import PrescreenInputError, save_subjects

AS_OF = dt.date(2026, 3, 1)
SQL = {True: Truth.MET, False: Truth.NOT_MET, None: Truth.UNKNOWN}


def _obs(
    measure: str, value: str, unit: str | None, days_before: int = 1, **ref: str
) -> Observation:
    return Observation(
        measure=measure,
        value=Decimal(value),
        unit=unit,
        date=AS_OF - dt.timedelta(days=days_before),
        source="labs",
        **{name: Decimal(v) for name, v in ref.items()},
    )


def _subject(subject_id: str = "S1", *observations: Observation, **extra: object) -> SubjectData:
    return SubjectData.model_validate(
        {"subject_id": subject_id, "screening_date": AS_OF, "observations": observations, **extra}
    )


def _rules(rule: Rule, section: Section = Section.INCLUSION, window: int = 28) -> RuleSet:
    criterion = Criterion(id="C1", section=section, text="example", rule=rule)
    return RuleSet(criteria=(criterion,), lab_window_days=window, lab_window_source="test")


def _cmp(measure: str, op: str, value: str, unit: str | None) -> Compare:
    threshold = Threshold(value=Decimal(value), unit=unit)
    return Compare(criterion="C1", measure=measure, comparator=Comparator(op), threshold=threshold)


def _sql_truth(database, rules: RuleSet, *subjects: SubjectData) -> list[Truth]:
    """The SQL truth of criterion C1 per subject, checked against the evaluator."""
    with database.fresh() as connection:
        save_subjects(connection, subjects)
        rows = connection.execute(compile_rule_set(rules, AS_OF)).all()
    found = [SQL[row._mapping[rule_column("C1")]] for row in rows]
    assert found == [evaluate(rules, s).criteria[0].status for s in subjects]
    return found


PLATELETS_OVER_60 = _cmp("platelets", ">", "60", "10*9/L")


def test_a_lab_older_than_the_window_is_unknown_not_a_pass(database) -> None:
    fresh = _subject("S1", _obs("platelets", "200", "10*9/L", days_before=28))
    stale = _subject("S2", _obs("platelets", "200", "10*9/L", days_before=29))
    assert _sql_truth(database, _rules(PLATELETS_OVER_60), fresh, stale) == [
        Truth.MET,
        Truth.UNKNOWN,
    ]


def test_a_within_window_replaces_the_default(database) -> None:
    rule = Within(criterion="C1", days=7, item=PLATELETS_OVER_60)
    subject = _subject("S1", _obs("platelets", "200", "10*9/L", days_before=10))
    assert _sql_truth(database, _rules(rule, window=365), subject) == [Truth.UNKNOWN]


def test_a_later_stale_value_hides_an_earlier_fresh_one_only_by_being_latest(database) -> None:
    # The latest value (3 days old) decides even though an older one would fail.
    subject = _subject(
        "S1",
        _obs("platelets", "20", "10*9/L", days_before=20),
        _obs("platelets", "200", "10*9/L", days_before=3),
    )
    assert _sql_truth(database, _rules(PLATELETS_OVER_60), subject) == [Truth.MET]


def test_a_value_after_the_as_of_date_is_not_read(database) -> None:
    subject = _subject(
        "S1",
        _obs("platelets", "200", "10*9/L", days_before=5),
        _obs("platelets", "20", "10*9/L", days_before=-2),
    )
    assert _sql_truth(database, _rules(PLATELETS_OVER_60), subject) == [Truth.MET]


def test_two_values_on_one_date_the_one_listed_last_wins(database) -> None:
    first_high = _subject(
        "S1", _obs("platelets", "200", "10*9/L", 2), _obs("platelets", "20", "10*9/L", 2)
    )
    first_low = _subject(
        "S2", _obs("platelets", "20", "10*9/L", 2), _obs("platelets", "200", "10*9/L", 2)
    )
    assert _sql_truth(database, _rules(PLATELETS_OVER_60), first_high, first_low) == [
        Truth.NOT_MET,
        Truth.MET,
    ]


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        # 2.5 mg/dL x 88.42 = 221.05 umol/L exactly (the cited creatinine factor)
        ("221.05", "umol/L", Truth.NOT_MET),
        ("221.050001", "umol/L", Truth.MET),
        ("2.5", "mg/dL", Truth.NOT_MET),
        ("2.500001", "mg/dL", Truth.MET),
        ("0.221051", "mmol/L", Truth.MET),
        ("25.000001", "mg/L", Truth.MET),
    ],
)
def test_units_convert_exactly_at_the_edge(database, value, unit, expected) -> None:
    rule = _cmp("creatinine", ">", "2.5", "mg/dL")
    subject = _subject("S1", _obs("creatinine", value, unit))
    assert _sql_truth(database, _rules(rule), subject) == [expected]


@pytest.mark.parametrize("unit", ["U/L", "furlong", None])
def test_a_unit_that_does_not_convert_is_refused_as_unknown(database, unit) -> None:
    rule = _cmp("creatinine", ">", "2.5", "mg/dL")
    subject = _subject("S1", _obs("creatinine", "9", unit))
    assert _sql_truth(database, _rules(rule), subject) == [Truth.UNKNOWN]


@pytest.mark.parametrize(
    ("value", "uln", "expected"),
    [("200", "40", Truth.NOT_MET), ("200.000001", "40", Truth.MET), ("9", "1.8", Truth.NOT_MET)],
)
def test_times_uln_uses_the_observation_s_own_limit(database, value, uln, expected) -> None:
    rule = _cmp("ast", ">", "5", "x ULN")
    subject = _subject("S1", _obs("ast", value, "U/L", uln=uln))
    assert _sql_truth(database, _rules(rule), subject) == [expected]


def test_times_uln_without_a_limit_is_unknown(database) -> None:
    rule = _cmp("ast", ">", "5", "x ULN")
    subject = _subject("S1", _obs("ast", "500", "U/L"))
    assert _sql_truth(database, _rules(rule), subject) == [Truth.UNKNOWN]


def test_a_fact_counts_only_inside_its_window(database) -> None:
    rule = Within(criterion="C1", days=90, item=Fact(criterion="C1", name="immunotherapy"))

    def fact(present: bool, days_before: int | None) -> FactRecord:
        date = None if days_before is None else AS_OF - dt.timedelta(days=days_before)
        return FactRecord(name="immunotherapy", present=present, date=date, source="chart")

    subjects = [
        _subject("S1", facts=[fact(True, 30)]),  # present in the window
        _subject("S2", facts=[fact(True, 120)]),  # only before the window: unknown
        _subject("S3", facts=[fact(False, 10), fact(True, 20)]),  # present beats absent
        _subject("S4", facts=[fact(False, 10)]),  # recorded absent in the window
        _subject("S5", facts=[fact(True, None)]),  # undated: cannot be placed in the window
    ]
    assert _sql_truth(database, _rules(rule), *subjects) == [
        Truth.MET,
        Truth.UNKNOWN,
        Truth.MET,
        Truth.NOT_MET,
        Truth.UNKNOWN,
    ]


def test_age_is_completed_years_from_the_birth_date(database) -> None:
    rule = _cmp("age", "<=", "75", "a")
    subjects = [
        _subject("S1", birth_date=dt.date(1950, 3, 2)),  # 75 until tomorrow's birthday
        _subject("S2", birth_date=dt.date(1950, 3, 1)),  # 76 today
        _subject("S3", _obs("age", "75", "a")),  # no birth date: the recorded age
    ]
    assert _sql_truth(database, _rules(rule), *subjects) == [
        Truth.MET,
        Truth.NOT_MET,
        Truth.MET,
    ]


def test_a_decline_reads_the_baseline_closest_to_its_period(database) -> None:
    rule = Decline(
        criterion="C1",
        measure="fvc",
        comparator=">=",
        amount=Threshold(value=Decimal(10), unit="%"),
        over_days=180,
        tolerance_days=30,
    )
    subject = _subject(
        "S1",
        _obs("fvc", "2.7", "L", days_before=1),
        _obs("fvc", "3.0", "L", days_before=181),  # 10 % fall, the closest to 180 d
        _obs("fvc", "2.8", "L", days_before=200),
    )
    assert _sql_truth(database, _rules(rule), subject) == [Truth.MET]


def test_prescreen_counts_and_lists_the_candidates_with_their_unknowns(database) -> None:
    blood_counts = AllOf(
        criterion="C1",
        items=(PLATELETS_OVER_60, _cmp("haematocrit", ">", "30", "%")),
    )
    rules = _rules(blood_counts)
    subjects = [
        _subject("S1", _obs("platelets", "200", "10*9/L"), _obs("haematocrit", "40", "%")),
        _subject("S2", _obs("platelets", "20", "10*9/L")),
        _subject("S3", _obs("platelets", "200", "10*9/L")),  # no haematocrit: unknown
    ]
    with database.fresh() as connection:
        save_subjects(connection, subjects)
        result = prescreen(connection, rules, AS_OF)
    assert dict(result.counts) == {
        Eligibility.ELIGIBLE: 1,
        Eligibility.NOT_ELIGIBLE: 1,
        Eligibility.INCOMPLETE: 1,
    }
    assert result.candidates == (
        Candidate("S1", Eligibility.ELIGIBLE, ()),
        Candidate("S3", Eligibility.INCOMPLETE, ("C1",)),
    )


def test_an_empty_registry_has_no_candidates(database) -> None:
    with database.fresh() as connection:
        result = prescreen(connection, _rules(PLATELETS_OVER_60), AS_OF)
    assert result.candidates == ()
    assert set(result.counts.values()) == {0}


def test_two_criteria_with_one_id_are_refused() -> None:
    criterion = Criterion(id="C1", section=Section.INCLUSION, text="t", rule=PLATELETS_OVER_60)
    rules = RuleSet(criteria=(criterion, criterion), lab_window_days=28, lab_window_source="t")
    with pytest.raises(PrescreenInputError, match="each criterion id once"):
        compile_rule_set(rules, AS_OF)


def test_a_decline_of_age_is_refused_by_criterion() -> None:
    rule = Decline(
        criterion="C1",
        measure="age",
        comparator=">",
        amount=Threshold(value=Decimal(1), unit="a"),
        over_days=30,
        tolerance_days=0,
    )
    with pytest.raises(PrescreenInputError, match="C1: rule"):
        compile_rule_set(_rules(rule), AS_OF)
