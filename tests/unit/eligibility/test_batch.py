"""The vectorised evaluator gives every subject the scalar evaluator's verdict, exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import ELIGIBILITY_SCREENING_DATE, eligibility_rule_sets, eligibility_subjects
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
from trialdesk.eligibility.batch import (
    NO_VALUE,
    ObservationColumns,
    SubjectBatch,
    day_number,
    evaluate_batch,
)
from trialdesk.errors import InputError

SCREENING = ELIGIBILITY_SCREENING_DATE


def _scalar(rules: RuleSet, subject: SubjectData) -> tuple[object, ...]:
    verdict = evaluate(rules, subject)
    return verdict.status, tuple((c.criterion, c.status, c.passes) for c in verdict.criteria)


def _batched(rules: RuleSet, subjects: list[SubjectData]) -> list[tuple[object, ...]]:
    batch = SubjectBatch.from_subjects(subjects)
    as_of = np.array([day_number(subject.screening_date) for subject in subjects])
    verdict = evaluate_batch(rules, batch, as_of)
    return [
        (
            verdict.eligibility_of(index),
            tuple(
                (c.id, verdict.status_of(index, c.id), verdict.passes_of(index, c.id))
                for c in rules.criteria
            ),
        )
        for index in range(len(subjects))
    ]


def _assert_same(rules: RuleSet, subjects: list[SubjectData]) -> None:
    assert _batched(rules, subjects) == [_scalar(rules, subject) for subject in subjects]


@st.composite
def subject_lists(draw: st.DrawFn) -> list[SubjectData]:
    subjects = draw(st.lists(eligibility_subjects(), min_size=1, max_size=6))
    return [s.model_copy(update={"subject_id": f"S{i}"}) for i, s in enumerate(subjects)]


@settings(max_examples=300, deadline=None)
@given(eligibility_rule_sets(), subject_lists())
def test_batch_equals_scalar_for_random_rules_and_subjects(
    rules: RuleSet, subjects: list[SubjectData]
) -> None:
    _assert_same(rules, subjects)


# --- what the shared strategies leave out: age, x control, %-points, odd units, big values ----

_DECIMALS = st.decimals(
    min_value=Decimal("-1e3"), max_value=Decimal("1e3"), places=6, allow_nan=False
)
_VALUES = st.one_of(
    st.integers(0, 40).map(lambda k: Decimal(k) / 4),
    _DECIMALS,
    st.integers(-(10**12), 10**12).map(Decimal),
)
_THRESHOLDS = st.one_of(
    st.integers(0, 40).map(lambda k: Decimal(k) / 4),
    st.sampled_from([Decimal("1.333333333333"), Decimal("2.5"), Decimal("88.42"), Decimal("1e13")]),
    _DECIMALS,
)
# (measure, units a chart uses, units a threshold uses)
_EXTRA_MEASURES = (
    ("age", ("a", "mo", None), ("a", "mo", "wk", None, "10*9/L")),
    ("aptt", ("s", "min", "furlong"), ("s", "x control", "x ULN", "furlong")),
    ("bilirubin", ("mg/dL", "umol/L", "10^9/L"), ("mg/dL", "umol/L", "x ULN")),
    ("fvc_percent_predicted", ("%", "L/L", "L"), ("%",)),
)
_DAYS_BEFORE = st.integers(-3, 200)


@st.composite
def extra_leaves(draw: st.DrawFn, criterion: str) -> Rule:
    measure, _, units = draw(st.sampled_from(_EXTRA_MEASURES))
    kind = draw(st.sampled_from(("compare", "range", "decline", "attest")))
    if kind == "compare":
        threshold = Threshold(value=draw(_THRESHOLDS), unit=draw(st.sampled_from(units)))
        comparator = draw(st.sampled_from(list(Comparator)))
        return Compare(
            criterion=criterion, measure=measure, comparator=comparator, threshold=threshold
        )
    if kind == "range":
        unit = draw(st.sampled_from(units))
        low, high = sorted((draw(_THRESHOLDS), draw(_THRESHOLDS)))
        return Between(
            criterion=criterion,
            measure=measure,
            low=Threshold(value=low, unit=unit),
            high=Threshold(value=high, unit=draw(st.sampled_from((unit, *units)))),
            low_inclusive=draw(st.booleans()),
            high_inclusive=draw(st.booleans()),
        )
    if kind == "attest":
        return Attest(criterion=criterion, statement="confirmed")
    return Decline(
        criterion=criterion,
        measure=measure,
        comparator=draw(st.sampled_from((">", ">="))),
        amount=Threshold(
            value=draw(_THRESHOLDS), unit=draw(st.sampled_from(("%", "%-points", "mo", None, "L")))
        ),
        over_days=draw(st.sampled_from((1, 30, 180, 10**8))),
        tolerance_days=draw(st.sampled_from((0, 10, 30, 10**8 + 5, 10**20))),
    )


@st.composite
def extra_rules(draw: st.DrawFn, criterion: str, depth: int = 2) -> Rule:
    if depth == 0 or draw(st.booleans()):
        return draw(extra_leaves(criterion))
    child = extra_rules(criterion, depth - 1)
    kind = draw(st.sampled_from(("all_of", "any_of", "at_least", "not", "when", "within")))
    if kind in {"all_of", "any_of", "at_least"}:
        items = tuple(draw(st.lists(child, min_size=1, max_size=3)))
        if kind == "at_least":
            return AtLeast(criterion=criterion, n=draw(st.integers(1, len(items) + 1)), items=items)
        return (AllOf if kind == "all_of" else AnyOf)(criterion=criterion, items=items)
    if kind == "not":
        return Not(criterion=criterion, item=draw(child))
    if kind == "when":
        return When(criterion=criterion, condition=draw(child), then=draw(child))
    days = draw(st.sampled_from((0, 30, 10**9)))
    return Within(criterion=criterion, days=days, item=draw(child))


@st.composite
def extra_rule_sets(draw: st.DrawFn) -> RuleSet:
    criteria = []
    for index in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(list(Section)))
        cid = ("I" if section is Section.INCLUSION else "E") + str(index + 1)
        criteria.append(Criterion(id=cid, section=section, text="-", rule=draw(extra_rules(cid))))
    window = draw(st.sampled_from((0, 28, 365, 10**9)))
    return RuleSet(criteria=tuple(criteria), lab_window_days=window, lab_window_source="-")


@st.composite
def extra_subjects(draw: st.DrawFn, index: int) -> SubjectData:
    screening = SCREENING + dt.timedelta(days=draw(st.sampled_from((0, -1, 40))))
    observations = []
    for _ in range(draw(st.integers(0, 8))):
        measure, units, _ = draw(st.sampled_from(_EXTRA_MEASURES))
        limit = st.none() | _VALUES
        observations.append(
            Observation(
                measure=measure,
                value=draw(_VALUES),
                unit=draw(st.sampled_from(units)),
                date=SCREENING - dt.timedelta(days=draw(_DAYS_BEFORE)),
                source="-",
                lln=draw(limit),
                uln=draw(limit),
                control=draw(limit),
            )
        )
    birth = draw(st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)))
    attestations = [
        Attestation(
            criterion=draw(st.sampled_from(("I1", "E1", "I2"))), holds=h, by="-", date=screening
        )
        for h in draw(st.lists(st.booleans(), max_size=3))
    ]
    return SubjectData(
        subject_id=f"X{index}",
        screening_date=screening,
        birth_date=birth,
        observations=tuple(observations),
        attestations=tuple(attestations),
    )


@settings(max_examples=300, deadline=None)
@given(
    extra_rule_sets(),
    st.integers(1, 5).flatmap(lambda n: st.tuples(*map(extra_subjects, range(n)))),
)
def test_batch_equals_scalar_on_age_references_declines_and_each_subjects_own_date(
    rules: RuleSet, subjects: tuple[SubjectData, ...]
) -> None:
    _assert_same(rules, list(subjects))


# --- readable cases: each checked against the scalar evaluator too -----------------------------


def _obs(
    measure: str, value: str, unit: str | None, days_before: int = 0, **limits: str
) -> Observation:
    return Observation(
        measure=measure,
        value=Decimal(value),
        unit=unit,
        date=SCREENING - dt.timedelta(days=days_before),
        source="lab",
        **{name: Decimal(limit) for name, limit in limits.items()},
    )


def _subject(
    *observations: Observation,
    birth_date: dt.date | None = None,
    facts: tuple[FactRecord, ...] = (),
    attestations: tuple[Attestation, ...] = (),
) -> SubjectData:
    return SubjectData(
        subject_id="S1",
        screening_date=SCREENING,
        birth_date=birth_date,
        observations=observations,
        facts=facts,
        attestations=attestations,
    )


def _cmp(measure: str, comparator: str, value: str, unit: str | None) -> Compare:
    threshold = Threshold(value=Decimal(value), unit=unit)
    return Compare(
        criterion="I1", measure=measure, comparator=Comparator(comparator), threshold=threshold
    )


def _within(days: int, item: Rule) -> Within:
    return Within(criterion="I1", days=days, item=item)


def _born(year: int, month: int, day: int) -> SubjectData:
    return _subject(birth_date=dt.date(year, month, day))


def _record(name: str, present: bool, days_before: int | None) -> FactRecord:
    date = None if days_before is None else SCREENING - dt.timedelta(days=days_before)
    return FactRecord(name=name, present=present, date=date, source="chart")


def _truth(rule: Rule, subject: SubjectData, window: int = 28) -> Truth:
    criterion = Criterion(id="I1", section=Section.INCLUSION, text="-", rule=rule)
    rules = RuleSet(criteria=(criterion,), lab_window_days=window, lab_window_source="-")
    _assert_same(rules, [subject])
    batch = SubjectBatch.from_subjects([subject])
    return evaluate_batch(rules, batch, subject.screening_date).status_of(0, "I1")


AGE_18_75 = Between(
    criterion="I1",
    measure="age",
    low=Threshold(value=Decimal(18), unit="a"),
    high=Threshold(value=Decimal(75), unit="a"),
)
FVC_FELL_10_PERCENT = Decline(
    criterion="I1",
    measure="fvc",
    comparator=">=",
    amount=Threshold(value=Decimal(10), unit="%"),
    over_days=180,
    tolerance_days=30,
)
FVC_FELL_10_POINTS = Decline(
    criterion="I1",
    measure="fvc_percent_predicted",
    comparator=">=",
    amount=Threshold(value=Decimal(10), unit="%-points"),
    over_days=180,
    tolerance_days=30,
)
EXACERBATION = Fact(criterion="I1", name="acute_exacerbation")
FVC_PP = "fvc_percent_predicted"
TERA = "1000000000000"
MET, NOT_MET, UNKNOWN = Truth.MET, Truth.NOT_MET, Truth.UNKNOWN

CASES = [
    # Exact unit conversion: 50,000 /uL is exactly 50 10*9/L.
    ("platelets < 50 10*9/L; 50000 /uL", _cmp("platelets", "<", "50", "10*9/L"),
     _subject(_obs("platelets", "50000", "/uL")), NOT_MET),
    ("platelets < 50 10*9/L; 49999 /uL", _cmp("platelets", "<", "50", "10*9/L"),
     _subject(_obs("platelets", "49999", "/uL")), MET),
    # 2.5 mg/dL x 88.42 = 221.05 umol/L (the creatinine factor of trialdesk.clinical.units).
    ("creatinine > 2.5 mg/dL; 221.05 umol/L", _cmp("creatinine", ">", "2.5", "mg/dL"),
     _subject(_obs("creatinine", "221.05", "umol/L")), NOT_MET),
    ("creatinine > 2.5 mg/dL; 221.050001 umol/L", _cmp("creatinine", ">", "2.5", "mg/dL"),
     _subject(_obs("creatinine", "221.050001", "umol/L")), MET),
    ("creatinine > 2.5 mg/dL; in U/L", _cmp("creatinine", ">", "2.5", "mg/dL"),
     _subject(_obs("creatinine", "3", "U/L")), UNKNOWN),
    # A threshold finer than the values' 10^-6: each comparator rounds it its own way.
    ("hct < 30.0000005 %; 30.000000", _cmp("haematocrit", "<", "30.0000005", "%"),
     _subject(_obs("haematocrit", "30", "%")), MET),
    ("hct <= 30.0000005 %; 30.000001", _cmp("haematocrit", "<=", "30.0000005", "%"),
     _subject(_obs("haematocrit", "30.000001", "%")), NOT_MET),
    ("hct > 30.0000005 %; 30.000000", _cmp("haematocrit", ">", "30.0000005", "%"),
     _subject(_obs("haematocrit", "30", "%")), NOT_MET),
    ("hct >= 30.0000005 %; 30.000001", _cmp("haematocrit", ">=", "30.0000005", "%"),
     _subject(_obs("haematocrit", "30.000001", "%")), MET),
    ("AST > 5 x ULN; 200 of ULN 40", _cmp("ast", ">", "5", "x ULN"),
     _subject(_obs("ast", "200", "U/L", uln="40")), NOT_MET),
    ("AST > 5 x ULN; 200.000001 of ULN 40", _cmp("ast", ">", "5", "x ULN"),
     _subject(_obs("ast", "200.000001", "U/L", uln="40")), MET),
    ("AST > 5 x ULN; no ULN", _cmp("ast", ">", "5", "x ULN"),
     _subject(_obs("ast", "900", "U/L")), UNKNOWN),
    ("aPTT > 2.5 x control; 75 s of control 30", _cmp("aptt", ">", "2.5", "x control"),
     _subject(_obs("aptt", "75.000001", "s", control="30")), MET),
    # Products past int64 (int64 arithmetic would wrap and answer the opposite).
    ("x > 2.000000000001 x ULN; 10^12 of ULN 10^12", _cmp("ast", ">", "2.000000000001", "x ULN"),
     _subject(_obs("ast", TERA, "U/L", uln=TERA)), NOT_MET),
    ("x > 0.5000000000001 x ULN; 10^12 of ULN 10^12", _cmp("ast", ">", "0.5000000000001", "x ULN"),
     _subject(_obs("ast", TERA, "U/L", uln=TERA)), MET),
    # Dates: the window, values after screening, ties on a date.
    ("platelets > 60; 28 d old, window 28", _cmp("platelets", ">", "60", "10*9/L"),
     _subject(_obs("platelets", "100", "10*9/L", 28)), MET),
    ("platelets > 60; 29 d old, window 28", _cmp("platelets", ">", "60", "10*9/L"),
     _subject(_obs("platelets", "100", "10*9/L", 29)), UNKNOWN),
    ("platelets > 60; only after screening", _cmp("platelets", ">", "60", "10*9/L"),
     _subject(_obs("platelets", "100", "10*9/L", -1)), UNKNOWN),
    ("platelets > 60; two on a date, last listed 40", _cmp("platelets", ">", "60", "10*9/L"),
     _subject(_obs("platelets", "100", "10*9/L", 3), _obs("platelets", "40", "10*9/L", 3)),
     NOT_MET),
    ("within 7 d: platelets > 60; 10 d old", _within(7, _cmp("platelets", ">", "60", "10*9/L")),
     _subject(_obs("platelets", "100", "10*9/L", 10)), UNKNOWN),
    # Age: completed years on the screening date (2026-06-01).
    ("age 18-75; born 2008-06-02 (17)", AGE_18_75, _born(2008, 6, 2), NOT_MET),
    ("age 18-75; born 2008-06-01 (18)", AGE_18_75, _born(2008, 6, 1), MET),
    ("age 18-75; born 1950-06-02 (75)", AGE_18_75, _born(1950, 6, 2), MET),
    ("age 18-75; born 1950-06-01 (76)", AGE_18_75, _born(1950, 6, 1), NOT_MET),
    ("age 18-75; no birth date, 40 a", AGE_18_75, _subject(_obs("age", "40", "a", 10)), MET),
    ("age 18-75; nothing", AGE_18_75, _subject(), UNKNOWN),
    ("age >= 216 mo; born 2008-06-01 (18 a)", _cmp("age", ">=", "216", "mo"),
     _born(2008, 6, 1), MET),
    # Declines: 3.0 L -> 2.7 L is exactly 10 %.
    ("FVC fell >= 10 % over 180 d; 3.0 -> 2.7", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "3.0", "L", 185), _obs("fvc", "2.7", "L")), MET),
    ("FVC fell >= 10 %; baselines 150 and 210 d back: the earlier", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "3.0", "L", 210), _obs("fvc", "2.8", "L", 150), _obs("fvc", "2.7", "L")),
     MET),
    ("FVC fell >= 10 %; baseline 0", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "0", "L", 180), _obs("fvc", "0", "L")), UNKNOWN),
    ("FVC fell >= 10 %; no baseline in 180 +- 30 d", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "3.0", "L", 90), _obs("fvc", "2.0", "L")), UNKNOWN),
    ("FVC fell >= 10 %; baseline in mL", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "3000", "mL", 180), _obs("fvc", "2.0", "L")), UNKNOWN),
    ("FVC fell >= 10 %; current value 40 d old, window 28", FVC_FELL_10_PERCENT,
     _subject(_obs("fvc", "3.0", "L", 220), _obs("fvc", "2.0", "L", 40)), UNKNOWN),
    ("FVC %pred fell >= 10 %-points; 70 -> 60 %", FVC_FELL_10_POINTS,
     _subject(_obs(FVC_PP, "70", "%", 180), _obs(FVC_PP, "60", "%")), MET),
    ("FVC %pred fell >= 10 %-points; in L/L", FVC_FELL_10_POINTS,
     _subject(_obs(FVC_PP, "0.7", "L/L", 180), _obs(FVC_PP, "0.6", "L/L")), UNKNOWN),
    # Facts, attestations, conditions.
    ("within 28 d: exacerbation; undated present", _within(28, EXACERBATION),
     _subject(facts=(_record("acute_exacerbation", True, None),)), UNKNOWN),
    ("within 28 d: exacerbation; present 28 d ago", _within(28, EXACERBATION),
     _subject(facts=(_record("acute_exacerbation", True, 28),)), MET),
    ("exacerbation; present only after screening", EXACERBATION,
     _subject(facts=(_record("acute_exacerbation", True, -1),)), UNKNOWN),
    ("exacerbation; undated present", EXACERBATION,
     _subject(facts=(_record("acute_exacerbation", True, None),)), MET),
    ("attested yes then no", Attest(criterion="I1", statement="consent"),
     _subject(attestations=(Attestation(criterion="I1", holds=True, by="PI", date=SCREENING),
                            Attestation(criterion="I1", holds=False, by="PI", date=SCREENING))),
     NOT_MET),
    ("when gilbert's: bilirubin < 3; no gilbert's", When(
        criterion="I1", condition=Fact(criterion="I1", name="gilberts_syndrome"),
        then=_cmp("bilirubin", "<", "3", "mg/dL")),
     _subject(facts=(_record("gilberts_syndrome", False, 100),)), MET),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "subject", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_readable_cases(rule: Rule, subject: SubjectData, expected: Truth) -> None:
    assert _truth(rule, subject) is expected


def test_completed_years_on_a_leap_day_birthday() -> None:
    rule = _cmp("age", ">=", "18", "a")
    born = dt.date(2008, 2, 29)
    before = SubjectData(subject_id="S1", screening_date=dt.date(2026, 2, 28), birth_date=born)
    after = SubjectData(subject_id="S1", screening_date=dt.date(2026, 3, 1), birth_date=born)
    assert (_truth(rule, before), _truth(rule, after)) == (NOT_MET, MET)


def test_a_decline_interval_beyond_every_date_span_still_decides_exactly() -> None:
    # 10^8 d back, 10^8 - 100 d tolerance: a baseline counts only if 100 d or more before.
    rule = FVC_FELL_10_PERCENT.model_copy(
        update={"over_days": 10**8, "tolerance_days": 10**8 - 100}
    )
    near = _subject(_obs("fvc", "3.0", "L", 99), _obs("fvc", "2.0", "L"))
    far = _subject(_obs("fvc", "3.0", "L", 100), _obs("fvc", "2.0", "L"))
    assert (_truth(rule, near), _truth(rule, far)) == (UNKNOWN, MET)


def test_the_overall_verdict_and_its_counts() -> None:
    rules = RuleSet(
        criteria=(
            Criterion(id="I1", section=Section.INCLUSION, text="-", rule=AGE_18_75),
            Criterion(
                id="E1",
                section=Section.EXCLUSION,
                text="-",
                rule=_cmp("creatinine", ">", "2.5", "mg/dL"),
            ),
        ),
        lab_window_days=28,
        lab_window_source="-",
    )
    adult = dt.date(1980, 1, 1)
    subjects = [
        SubjectData(subject_id="ok", screening_date=SCREENING, birth_date=adult,
                    observations=(_obs("creatinine", "1", "mg/dL"),)),
        SubjectData(subject_id="renal", screening_date=SCREENING, birth_date=adult,
                    observations=(_obs("creatinine", "3", "mg/dL"),)),
        SubjectData(subject_id="no lab", screening_date=SCREENING, birth_date=adult),
    ]  # fmt: skip
    verdict = evaluate_batch(rules, SubjectBatch.from_subjects(subjects), SCREENING)
    assert [verdict.eligibility_of(i) for i in range(3)] == [
        Eligibility.ELIGIBLE,
        Eligibility.NOT_ELIGIBLE,
        Eligibility.INCOMPLETE,
    ]
    assert verdict.passes_of(1, "E1") is NOT_MET
    assert verdict.status_of(1, "E1") is MET
    assert verdict.counts() == dict.fromkeys(Eligibility, 1)
    assert verdict.subject_ids == ("ok", "renal", "no lab")
    _assert_same(rules, subjects)


# --- building a batch ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0.1234567", "1E+13", "-1000000000000.000001"])
def test_a_value_the_batch_cannot_hold_exactly_is_refused_by_name(value: str) -> None:
    subject = _subject(_obs("ast", "1", "U/L"), _obs("ast", value, "U/L"))
    with pytest.raises(
        InputError, match=r"subjects\[0\] \(S1\)\.observations\[1\]\.value"
    ) as error:
        SubjectBatch.from_subjects([subject])
    assert "at most 6 decimals" in str(error.value)


def test_a_limit_with_seven_decimals_is_refused_by_name() -> None:
    subject = _subject(_obs("ast", "1", "U/L", uln="40.0000001"))
    with pytest.raises(InputError, match=r"observations\[0\]\.uln"):
        SubjectBatch.from_subjects([subject])


def test_a_subject_id_twice_is_refused() -> None:
    with pytest.raises(InputError, match="subject_ids"):
        SubjectBatch.from_subjects([_subject(), _subject()])


def _columns(
    subject: list[int], value: list[int], measure: list[int] | None = None
) -> ObservationColumns:
    rows = len(subject)
    none = np.full(rows, NO_VALUE)
    return ObservationColumns(
        subject=np.array(subject),
        measure=np.zeros(rows, np.int32) if measure is None else np.array(measure),
        date=np.full(rows, day_number(SCREENING)),
        value=np.array(value),
        unit=np.zeros(rows, np.int32),
        lln=none,
        uln=none,
        control=none,
    )


def test_arrays_out_of_subject_order_are_sorted_keeping_each_subjects_listing_order() -> None:
    # Subject 1's two values share a date: the one listed last (70) counts.
    rows = _columns(subject=[1, 0, 1], value=[40 * 10**6, 80 * 10**6, 70 * 10**6])
    batch = SubjectBatch(
        birth_days=np.full(2, -(2**31)),
        observations=rows,
        measures=("platelets",),
        units=("10*9/L",),
    )
    assert batch.observations.subject.tolist() == [0, 1, 1]
    assert batch.observations.value.tolist() == [80 * 10**6, 40 * 10**6, 70 * 10**6]
    criterion = Criterion(
        id="I1", section=Section.INCLUSION, text="-", rule=_cmp("platelets", ">", "60", "10*9/L")
    )
    rules = RuleSet(criteria=(criterion,), lab_window_days=28, lab_window_source="-")
    verdict = evaluate_batch(rules, batch, SCREENING)
    assert verdict.status[:, 0].tolist() == [2, 2]
    assert verdict.subject_ids is None


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"measure": [0, 1]}, r"observations\.measure\[1\]"),
        ({"value": [0, 10**18 + 1]}, r"observations\.value\[1\]"),
        ({"subject": [0, 2]}, r"observations\.subject\[1\]"),
    ],
)
def test_arrays_outside_their_vocabulary_or_bounds_are_refused_by_row(
    change: dict[str, list[int]], argument: str
) -> None:
    arguments = {"subject": [0, 1], "value": [0, 0]} | change
    with pytest.raises(InputError, match=argument):
        SubjectBatch(
            birth_days=np.full(2, -(2**31)),
            observations=_columns(**arguments),
            measures=("platelets",),
            units=("10*9/L",),
        )


def test_an_empty_batch_has_an_empty_verdict() -> None:
    rules = RuleSet(
        criteria=(Criterion(id="I1", section=Section.INCLUSION, text="-", rule=AGE_18_75),),
        lab_window_days=28,
        lab_window_source="-",
    )
    verdict = evaluate_batch(rules, SubjectBatch.from_subjects([]), SCREENING)
    assert verdict.status.shape == (0, 1)
    assert verdict.counts() == dict.fromkeys(Eligibility, 0)


def test_as_of_needs_one_day_per_subject() -> None:
    batch = SubjectBatch.from_subjects([_subject()])
    rules = RuleSet(
        criteria=(Criterion(id="I1", section=Section.INCLUSION, text="-", rule=AGE_18_75),),
        lab_window_days=28,
        lab_window_source="-",
    )
    with pytest.raises(InputError, match="as_of"):
        evaluate_batch(rules, batch, np.array([1, 2]))
