"""The seed study's 19 criteria as the reviewed rule set, evaluated on hand-built subjects.

Each expectation is read from NCT07329959's eligibility text (studies/NCT07329959/record.txt):
age 18-75; haematocrit > 30 %; lymphocytes > 0.5 x 10^9/L; platelets > 60 x 10^9/L;
creatinine > 2.5 mg/dL excludes; AST or ALT > 5 x ULN or bilirubin > 3 mg/dL excludes;
platelets < 50,000/uL, INR > 2.5 or aPTT > 2.5 x control (without anticoagulant) exclude;
inclusion 4 as at least one of five ISHLT sub-criteria; AE-IPF within 4 weeks excludes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from trialdesk.eligibility import (
    Attestation,
    Eligibility,
    FactRecord,
    Observation,
    RuleSet,
    SubjectData,
    Truth,
    evaluate,
)
from trialdesk.store import load_study

STUDY = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
SCREENING = dt.date(2026, 5, 4)
ATTESTED = (
    *("I1", "I2", "I3", "I4", "I4.4", "I4.5"),
    *("E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12"),
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    study = load_study(STUDY)
    assert study.eligibility.rules is not None
    return study.eligibility.rules


def _lab(measure: str, value: str, unit: str | None, days: int = 3, **ref: str) -> Observation:
    return Observation(
        measure=measure,
        value=Decimal(value),
        unit=unit,
        date=SCREENING - dt.timedelta(days=days),
        source="screening labs",
        **{k: Decimal(v) for k, v in ref.items()},
    )


def _eligible_subject(**changes: object) -> SubjectData:
    """A subject who meets every criterion; ``changes`` replace fields."""
    holds = {"I1", "I2", "I3", "I4", "I4.4"}  # inclusion attestations hold; I4.4: PH present
    attestations = tuple(
        Attestation(criterion=c, holds=c in holds, by="Dr Investigator", date=SCREENING)
        for c in ATTESTED
    )
    data: dict[str, object] = {
        "subject_id": "S-001",
        "screening_date": SCREENING,
        "birth_date": dt.date(1960, 7, 1),
        "observations": (
            _lab("haematocrit", "38", "%"),
            _lab("lymphocytes", "1.2", "10*9/L"),
            _lab("platelets", "180", "10*9/L"),
            _lab("creatinine", "88", "umol/L"),
            _lab("ast", "30", "U/L", uln="40"),
            _lab("alt", "25", "U/L", uln="41"),
            _lab("bilirubin", "0.8", "mg/dL"),
            _lab("inr", "1.1", "{INR}"),
            _lab("aptt", "32", "s", control="30"),
        ),
        "facts": (
            FactRecord(
                name="cellular_immunotherapy", present=False, date=SCREENING, source="history"
            ),
            FactRecord(
                name="acute_exacerbation_of_ipf", present=False, date=SCREENING, source="history"
            ),
            FactRecord(name="anticoagulant_therapy", present=False, date=SCREENING, source="meds"),
        ),
        "attestations": attestations,
    }
    return SubjectData.model_validate(data | changes)


def _replace_lab(subject: SubjectData, lab: Observation) -> SubjectData:
    kept = tuple(o for o in subject.observations if o.measure != lab.measure)
    return subject.model_copy(update={"observations": (*kept, lab)})


def test_the_rule_set_has_all_19_criteria(rules: RuleSet) -> None:
    ids = [c.id for c in rules.criteria]
    assert ids == [*(f"I{i}" for i in range(1, 7)), *(f"E{i}" for i in range(1, 14))]


def test_a_subject_meeting_every_criterion_is_eligible(rules: RuleSet) -> None:
    verdict = evaluate(rules, _eligible_subject())
    assert verdict.status is Eligibility.ELIGIBLE, verdict.missing


@pytest.mark.parametrize(
    ("lab", "criterion"),
    [
        (_lab("haematocrit", "30", "%"), "I6"),  # > 30 % is strict
        (_lab("lymphocytes", "0.5", "10*9/L"), "I6"),
        (_lab("platelets", "60", "10*9/L"), "I6"),
        (_lab("creatinine", "2.6", "mg/dL"), "E8"),
        (_lab("creatinine", "230", "umol/L"), "E8"),  # 230 umol/L = 2.60 mg/dL (x 88.42)
        (_lab("ast", "201", "U/L", uln="40"), "E13"),  # > 5 x ULN = 200
        (_lab("alt", "205.5", "U/L", uln="41"), "E13"),  # > 5 x 41 = 205
        (_lab("bilirubin", "3.1", "mg/dL"), "E13"),
        (_lab("inr", "2.6", "{INR}"), "E12"),
        (_lab("aptt", "76", "s", control="30"), "E12"),  # > 2.5 x 30 = 75 s, no anticoagulant
    ],
)
def test_one_lab_over_its_limit_fails_its_criterion(
    rules: RuleSet, lab: Observation, criterion: str
) -> None:
    verdict = evaluate(rules, _replace_lab(_eligible_subject(), lab))
    assert verdict.status is Eligibility.NOT_ELIGIBLE
    assert verdict.reason == f"not met: {criterion}"


@pytest.mark.parametrize(
    ("lab", "holds"),
    [
        (_lab("platelets", "49999", "/uL"), True),  # < 50,000/uL excludes (E12) - and I6 fails too
        (_lab("aptt", "75", "s", control="30"), False),  # exactly 2.5 x control: not > 2.5
    ],
)
def test_e12_edges(rules: RuleSet, lab: Observation, *, holds: bool) -> None:
    verdict = evaluate(rules, _replace_lab(_eligible_subject(), lab))
    e12 = next(c for c in verdict.criteria if c.criterion == "E12")
    assert e12.status is Truth.of(holds)


def test_aptt_limit_does_not_apply_on_anticoagulant_therapy(rules: RuleSet) -> None:
    subject = _replace_lab(_eligible_subject(), _lab("aptt", "90", "s", control="30"))
    on_therapy = FactRecord(
        name="anticoagulant_therapy", present=True, date=SCREENING, source="meds"
    )
    facts = (*(f for f in subject.facts if f.name != "anticoagulant_therapy"), on_therapy)
    verdict = evaluate(rules, subject.model_copy(update={"facts": facts}))
    assert verdict.status is Eligibility.ELIGIBLE


def test_a_stale_lab_makes_the_verdict_incomplete_and_says_why(rules: RuleSet) -> None:
    subject = _replace_lab(_eligible_subject(), _lab("platelets", "180", "10*9/L", days=40))
    verdict = evaluate(rules, subject)
    assert verdict.status is Eligibility.INCOMPLETE
    stale = "latest platelets (2026-03-25) is 40 d old; the window is 28 d"
    assert verdict.missing == (f"I6: {stale}", f"E12: {stale}")  # both read platelets


def test_age_bounds_are_inclusive(rules: RuleSet) -> None:
    turns_76 = _eligible_subject(birth_date=dt.date(1950, 5, 4))
    assert evaluate(rules, turns_76).status is Eligibility.NOT_ELIGIBLE
    still_75 = _eligible_subject(birth_date=dt.date(1950, 5, 5))
    assert evaluate(rules, still_75).status is Eligibility.ELIGIBLE


def test_inclusion_4_is_met_by_an_fvc_decline_of_exactly_ten_percent(rules: RuleSet) -> None:
    no_ph = tuple(
        a.model_copy(update={"holds": False}) if a.criterion == "I4.4" else a
        for a in _eligible_subject().attestations
    )
    subject = _eligible_subject(attestations=no_ph)
    assert evaluate(rules, subject).status is Eligibility.INCOMPLETE  # no I4 data yet
    fvc = (_lab("fvc", "2.0", "L", days=185), _lab("fvc", "1.8", "L", days=5))
    with_fvc = subject.model_copy(update={"observations": (*subject.observations, *fvc)})
    i4 = next(c for c in evaluate(rules, with_fvc).criteria if c.criterion == "I4")
    assert i4.status is Truth.MET  # 2.0 -> 1.8 L is exactly 10 %
