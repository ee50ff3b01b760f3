"""The evaluator on hand-built subjects: every path (MET, NOT_MET, UNKNOWN for missing,
stale, refused unit, missing reference), Kleene combination and the overall verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given

from strategies import eligibility_rule_sets, eligibility_subjects
from trialdesk.eligibility import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    Attestation,
    Between,
    Comparator,
    Compare,
    Criterion,
    Decline,
    Eligibility,
    Fact,
    FactRecord,
    Not,
    Observation,
    Rule,
    RuleSet,
    Section,
    SubjectData,
    Threshold,
    Truth,
    When,
    Within,
    evaluate,
)

SCREENING = dt.date(2026, 3, 1)


def _obs(
    measure: str, value: str, unit: str | None, days_before: int = 1, **ref: str
) -> Observation:
    return Observation(
        measure=measure,
        value=Decimal(value),
        unit=unit,
        date=SCREENING - dt.timedelta(days=days_before),
        source="labs",
        **{name: Decimal(v) for name, v in ref.items()},
    )


def _subject(*observations: Observation, **extra: object) -> SubjectData:
    return SubjectData.model_validate(
        {"subject_id": "S1", "screening_date": SCREENING, "observations": observations, **extra}
    )


def _truth(rule: Rule, subject: SubjectData, window: int = 28) -> Truth:
    criterion = Criterion(id="I1", section=Section.INCLUSION, text="t", rule=rule)
    rules = RuleSet(criteria=(criterion,), lab_window_days=window, lab_window_source="test")
    return evaluate(rules, subject).criteria[0].status


def _cmp(measure: str, op: str, value: str, unit: str | None) -> Compare:
    threshold = Threshold(value=Decimal(value), unit=unit)
    return Compare(criterion="I1", measure=measure, comparator=Comparator(op), threshold=threshold)


PLATELETS_OVER_60 = _cmp("platelets", ">", "60", "10*9/L")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("61", "10*9/L", Truth.MET),
        ("60", "10*9/L", Truth.NOT_MET),  # strict: the edge itself fails
        ("60001", "/uL", Truth.MET),  # 60,001/uL = 60.001 x 10^9/L
        ("60000", "/uL", Truth.NOT_MET),
        ("60.5", "10*3/uL", Truth.MET),
        ("61", "mg/dL", Truth.UNKNOWN),  # a platelet count in mg/dL is refused, not compared
    ],
)
def test_compare_converts_exactly_or_refuses(value: str, unit: str, expected: Truth) -> None:
    assert _truth(PLATELETS_OVER_60, _subject(_obs("platelets", value, unit))) is expected


def test_creatinine_in_umol_per_litre_meets_a_mg_per_dl_limit_through_88_42() -> None:
    # 2.5 mg/dL x 88.42 = 221.05 umol/L (clinical.units, cited factor): the edge is exact.
    rule = _cmp("creatinine", ">", "2.5", "mg/dL")
    assert _truth(rule, _subject(_obs("creatinine", "221.05", "umol/L"))) is Truth.NOT_MET
    assert _truth(rule, _subject(_obs("creatinine", "221.06", "umol/L"))) is Truth.MET


def test_missing_value_is_unknown_and_named() -> None:
    criterion = Criterion(id="I1", section=Section.INCLUSION, text="t", rule=PLATELETS_OVER_60)
    rules = RuleSet(criteria=(criterion,), lab_window_days=28, lab_window_source="test")
    verdict = evaluate(rules, _subject())
    assert verdict.status is Eligibility.INCOMPLETE
    assert verdict.missing == ("I1: no platelets value",)


def test_stale_value_is_unknown_with_its_age_and_window() -> None:
    subject = _subject(_obs("platelets", "200", "10*9/L", days_before=29))
    assert _truth(PLATELETS_OVER_60, subject, window=28) is Truth.UNKNOWN
    assert _truth(PLATELETS_OVER_60, subject, window=29) is Truth.MET
    criterion = Criterion(id="I1", section=Section.INCLUSION, text="t", rule=PLATELETS_OVER_60)
    rules = RuleSet(criteria=(criterion,), lab_window_days=28, lab_window_source="test")
    (evidence,) = evaluate(rules, subject).criteria[0].evidence
    assert evidence.reason == "latest platelets (2026-01-31) is 29 d old; the window is 28 d"


def test_latest_value_wins_and_a_later_one_on_the_same_day_wins_the_tie() -> None:
    older_high = _obs("platelets", "200", "10*9/L", days_before=5)
    newer_low = _obs("platelets", "50", "10*9/L", days_before=2)
    same_day_high = _obs("platelets", "70", "10*9/L", days_before=2)
    assert _truth(PLATELETS_OVER_60, _subject(older_high, newer_low)) is Truth.NOT_MET
    assert _truth(PLATELETS_OVER_60, _subject(newer_low, same_day_high)) is Truth.MET
    assert _truth(PLATELETS_OVER_60, _subject(same_day_high, newer_low)) is Truth.NOT_MET


def test_value_after_the_screening_date_is_not_evidence() -> None:
    future = _obs("platelets", "200", "10*9/L", days_before=-1)
    assert _truth(PLATELETS_OVER_60, _subject(future)) is Truth.UNKNOWN


@pytest.mark.parametrize(
    ("value", "uln", "expected"),
    [("200", "40", Truth.NOT_MET), ("201", "40", Truth.MET), ("54.01", "10.8", Truth.MET)],
)
def test_multiple_of_uln_uses_the_subjects_own_reference_range(
    value: str, uln: str, expected: Truth
) -> None:
    rule = _cmp("ast", ">", "5", "x ULN")
    assert _truth(rule, _subject(_obs("ast", value, "U/L", uln=uln))) is expected


def test_multiple_of_uln_without_a_reference_range_is_unknown() -> None:
    rule = _cmp("ast", ">", "5", "x ULN")
    assert _truth(rule, _subject(_obs("ast", "500", "U/L"))) is Truth.UNKNOWN


def test_exact_arithmetic_at_a_decimal_edge() -> None:
    # 1.5 x 1.2 is 1.8 exactly (1.7999999999999998 in binary floating point).
    rule = _cmp("bilirubin", "<=", "1.5", "x ULN")
    subject = _subject(_obs("bilirubin", "1.8", "mg/dL", uln="1.2"))
    assert _truth(rule, subject) is Truth.MET


def test_range_inclusive_and_exclusive_ends() -> None:
    low, high = Threshold(value=Decimal(18), unit="a"), Threshold(value=Decimal(75), unit="a")
    inclusive = Between(criterion="I1", measure="age", low=low, high=high)
    exclusive = inclusive.model_copy(update={"high_inclusive": False})
    for birth, expected_in, expected_ex in [
        (dt.date(1951, 3, 1), Truth.MET, Truth.NOT_MET),  # 75th birthday on screening day
        (dt.date(1951, 3, 2), Truth.MET, Truth.MET),  # still 74
        (dt.date(1950, 3, 1), Truth.NOT_MET, Truth.NOT_MET),  # 76
        (dt.date(2008, 3, 2), Truth.NOT_MET, Truth.NOT_MET),  # 17
    ]:
        subject = _subject(birth_date=birth)
        assert _truth(inclusive, subject) is expected_in
        assert _truth(exclusive, subject) is expected_ex


def _fact(name: str, present: bool, days_before: int | None) -> FactRecord:
    date = None if days_before is None else SCREENING - dt.timedelta(days=days_before)
    return FactRecord(name=name, present=present, date=date, source="history")


AE_WITHIN_28 = Within(criterion="I1", days=28, item=Fact(criterion="I1", name="ae_ipf"))


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ((), Truth.UNKNOWN),
        ((_fact("ae_ipf", True, 10),), Truth.MET),
        ((_fact("ae_ipf", True, 40),), Truth.UNKNOWN),  # old event: nothing said about the window
        ((_fact("ae_ipf", True, 40), _fact("ae_ipf", False, 0)), Truth.NOT_MET),
        ((_fact("ae_ipf", False, 0), _fact("ae_ipf", True, 3)), Truth.MET),
        ((_fact("ae_ipf", True, None),), Truth.UNKNOWN),  # undated
        ((_fact("other", True, 1),), Truth.UNKNOWN),
    ],
)
def test_event_within_a_window(records: tuple[FactRecord, ...], expected: Truth) -> None:
    assert _truth(AE_WITHIN_28, _subject(facts=records)) is expected


def test_fact_without_a_window_reads_any_date() -> None:
    rule = Fact(criterion="I1", name="malignancy")
    assert _truth(rule, _subject(facts=(_fact("malignancy", True, 4000),))) is Truth.MET
    assert _truth(rule, _subject(facts=(_fact("malignancy", False, 0),))) is Truth.NOT_MET


def test_conditional_limit_applies_only_when_its_condition_holds() -> None:
    gilbert = Fact(criterion="I1", name="gilberts_syndrome")
    rule = AllOf(
        criterion="I1",
        items=(
            When(
                criterion="I1",
                condition=Not(criterion="I1", item=gilbert),
                then=_cmp("bilirubin", "<=", "1.5", "x ULN"),
            ),
            When(criterion="I1", condition=gilbert, then=_cmp("bilirubin", "<=", "3", "x ULN")),
        ),
    )
    two_uln = _obs("bilirubin", "2", "mg/dL", uln="1")
    assert _truth(rule, _subject(two_uln)) is Truth.UNKNOWN  # depends on Gilbert's
    with_gilbert = _subject(two_uln, facts=(_fact("gilberts_syndrome", True, None),))
    assert _truth(rule, with_gilbert) is Truth.MET
    without = _subject(two_uln, facts=(_fact("gilberts_syndrome", False, 0),))
    assert _truth(rule, without) is Truth.NOT_MET
    one_uln = _subject(_obs("bilirubin", "1", "mg/dL", uln="1"))
    assert _truth(rule, one_uln) is Truth.MET  # both limits met: Gilbert's does not matter


def test_kleene_combinations() -> None:
    met = _cmp("platelets", ">", "1", "10*9/L")
    not_met = _cmp("platelets", ">", "1000", "10*9/L")
    unknown = _cmp("creatinine", ">", "1", "mg/dL")
    subject = _subject(_obs("platelets", "100", "10*9/L"))
    assert _truth(AllOf(criterion="I1", items=(met, unknown)), subject) is Truth.UNKNOWN
    assert _truth(AllOf(criterion="I1", items=(not_met, unknown)), subject) is Truth.NOT_MET
    assert _truth(AnyOf(criterion="I1", items=(met, unknown)), subject) is Truth.MET
    assert _truth(AnyOf(criterion="I1", items=(not_met, unknown)), subject) is Truth.UNKNOWN
    assert _truth(Not(criterion="I1", item=unknown), subject) is Truth.UNKNOWN
    two_of = AtLeast(criterion="I1", n=2, items=(met, unknown, not_met))
    assert _truth(two_of, subject) is Truth.UNKNOWN
    one_of = AtLeast(criterion="I1", n=1, items=(met, unknown, not_met))
    assert _truth(one_of, subject) is Truth.MET


@pytest.mark.parametrize(
    ("before", "after", "days_apart", "expected"),
    [
        ("2.0", "1.8", 180, Truth.MET),  # exactly 10 % (not 9.999999999999998 %)
        ("2.0", "1.81", 180, Truth.NOT_MET),
        ("2.0", "1.8", 100, Truth.UNKNOWN),  # no baseline about 6 months before
    ],
)
def test_relative_decline_over_six_months(
    before: str, after: str, days_apart: int, expected: Truth
) -> None:
    rule = Decline(
        criterion="I1",
        measure="fvc",
        comparator=">=",
        amount=Threshold(value=Decimal(10), unit="%"),
        over_days=180,
        tolerance_days=30,
    )
    subject = _subject(
        _obs("fvc", before, "L", days_before=1 + days_apart), _obs("fvc", after, "L", days_before=1)
    )
    assert _truth(rule, subject) is expected


def test_attestation_decides_and_its_absence_is_unknown() -> None:
    rule = Attest(criterion="I1", statement="understands the risks")
    assert _truth(rule, _subject()) is Truth.UNKNOWN
    yes = Attestation(criterion="I1", holds=True, by="Dr A", date=SCREENING)
    no = Attestation(criterion="I1", holds=False, by="Dr A", date=SCREENING)
    assert _truth(rule, _subject(attestations=(yes,))) is Truth.MET
    assert _truth(rule, _subject(attestations=(yes, no))) is Truth.NOT_MET


def test_exclusion_inverts_and_overall_needs_every_criterion() -> None:
    inclusion = Criterion(id="I1", section=Section.INCLUSION, text="t", rule=PLATELETS_OVER_60)
    exclusion = Criterion(
        id="E1", section=Section.EXCLUSION, text="t", rule=_cmp("creatinine", ">", "2.5", "mg/dL")
    )
    rules = RuleSet(criteria=(inclusion, exclusion), lab_window_days=28, lab_window_source="t")
    ok = _subject(_obs("platelets", "100", "10*9/L"), _obs("creatinine", "1", "mg/dL"))
    assert evaluate(rules, ok).status is Eligibility.ELIGIBLE
    excluded = _subject(_obs("platelets", "100", "10*9/L"), _obs("creatinine", "3", "mg/dL"))
    verdict = evaluate(rules, excluded)
    assert verdict.status is Eligibility.NOT_ELIGIBLE
    assert verdict.reason == "not met: E1"
    assert verdict.criteria[1].status is Truth.MET
    assert verdict.criteria[1].passes is Truth.NOT_MET


@given(eligibility_rule_sets(), eligibility_subjects())
def test_overall_status_is_the_kleene_conjunction_of_the_passes(
    rules: RuleSet, subject: SubjectData
) -> None:
    verdict = evaluate(rules, subject)
    passes = {v.passes for v in verdict.criteria}
    if Truth.NOT_MET in passes:
        assert verdict.status is Eligibility.NOT_ELIGIBLE
    elif Truth.UNKNOWN in passes:
        assert verdict.status is Eligibility.INCOMPLETE
        assert verdict.missing  # an incomplete verdict always names what is missing
    else:
        assert verdict.status is Eligibility.ELIGIBLE
    for criterion in verdict.criteria:
        flipped = (
            criterion.status
            if criterion.section is Section.INCLUSION
            else criterion.status.negate()
        )
        assert criterion.passes is flipped
