# ruff: noqa: RUF001 - look-alike characters are what these tests are about
"""One example of each form the criteria parser must read, as real records write it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trialdesk.eligibility._parse_found import DAYS_PER
from trialdesk.eligibility.ast import Attest
from trialdesk.eligibility.parse import parse_criterion
from trialdesk.protocol.timeframes import DAYS_PER_MONTH, DAYS_PER_WEEK

Row = tuple[str | None, str, str, str | None, str]

FORMS: list[tuple[str, list[Row]]] = [
    ("ANC ≥ 1500/mm3", [("neutrophils", ">=", "1500", "/mm3", "≥ 1500/mm3")]),
    ("Creatinine ≤ 1.5 mg/dL", [("creatinine", "<=", "1.5", "mg/dL", "≤ 1.5 mg/dL")]),
    ("QTcF > 470 ms", [("qtc", ">", "470", "ms", "> 470 ms")]),
    ("LVEF < 50%", [("lvef", "<", "50", "%", "< 50%")]),
    ("ANC >/= 1,500/mcL", [("neutrophils", ">=", "1500", "/uL", ">/= 1,500/mcL")]),
    ("Platelets \\>= 100,000/mcL", [("platelets", ">=", "100000", "/uL", "\\>= 100,000/mcL")]),
    ("Bilirubin =\\< 1.5 mg/dl", [("bilirubin", "<=", "1.5", "mg/dL", "=\\< 1.5 mg/dl")]),
    ("Age at least 18 years", [("age", ">=", "18", "a", "at least 18 years")]),
    ("Hemoglobin greater than 9 g/dL", [("haemoglobin", ">", "9", "g/dL", "greater than 9 g/dL")]),
    (
        "Creatinine no more than 2 mg/dL",
        [("creatinine", "<=", "2", "mg/dL", "no more than 2 mg/dL")],
    ),
    ("ECOG 2 or fewer", [("ecog", "<=", "2", "{score}", "2 or fewer")]),
    (
        "Age 18-75 years",
        [("age", ">=", "18", "a", "18-75 years"), ("age", "<=", "75", "a", "18-75 years")],
    ),
    (
        "Aged between 18 and 75 years, inclusive",
        [
            ("age", ">=", "18", "a", "between 18 and 75 years"),
            ("age", "<=", "75", "a", "between 18 and 75 years"),
        ],
    ),
    ("ANC ≥ 1.5×10^9/L", [("neutrophils", ">=", "1.5", "10^9/L", "≥ 1.5×10^9/L")]),
    ("ANC ≥ 1.5×10⁹/L", [("neutrophils", ">=", "1.5", "10^9/L", "≥ 1.5×10⁹/L")]),
    ("Platelets ≥ 100 x 109/L", [("platelets", ">=", "100", "10^9/L", "≥ 100 x 109/L")]),
    ("Creatinine ≤ 2,5 mg/dl", [("creatinine", "<=", "2.5", "mg/dL", "≤ 2,5 mg/dl")]),
    ("Platelets ≥ 100.000/µl", [("platelets", ">=", "100000", "/uL", "≥ 100.000/µl")]),
    ("Platelets ≥ 80,000/mm3", [("platelets", ">=", "80000", "/mm3", "≥ 80,000/mm3")]),
    (
        "AST > 5.0 times the upper limit of normal",
        [("ast", ">", "5.0", "x ULN", "> 5.0 times the upper limit of normal")],
    ),
    (
        "ＡＮＣ ≧ １．５ × １０⁹／Ｌ",
        [("neutrophils", ">=", "1.5", "10^9/L", "≧ １．５ × １０⁹／Ｌ")],
    ),
    (
        "NYHA class III–IV",
        [
            ("nyha", ">=", "3", "{score}", "class III–IV"),
            ("nyha", "<=", "4", "{score}", "class III–IV"),
        ],
    ),
    ("ECOG 0-1", [("ecog", ">=", "0", "{score}", "0-1"), ("ecog", "<=", "1", "{score}", "0-1")]),
    (
        "ECOG performance status 0 or 1",
        [("ecog", ">=", "0", "{score}", "0 or 1"), ("ecog", "<=", "1", "{score}", "0 or 1")],
    ),
    (
        "Platelets ≥ 100,000 per cu mm",
        [("platelets", ">=", "100000", "/mm3", "≥ 100,000 per cu mm")],
    ),
    ("Gestational age > 37 weeks", [("gestational_age", ">", "37", "wk", "> 37 weeks")]),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_forms(text: str, expected: list[Row]) -> None:
    parsed = parse_criterion("I1", text)
    got = [
        (t.measure, t.comparator.value, t.value, t.unit, t.as_written) for t in parsed.thresholds
    ]
    assert got == [(m, c, Decimal(v), u, w) for m, c, v, u, w in expected]


def test_conditional_limit() -> None:
    parsed = parse_criterion("I1", "AST ≤ 5 × ULN for subjects with liver metastases")
    (threshold,) = parsed.thresholds
    assert (threshold.measure, threshold.value, threshold.unit) == ("ast", Decimal(5), "x ULN")
    assert threshold.condition_fact == "liver_metastases"
    assert str(parsed.rule) == "when(liver_metastases, ast <= 5 x ULN)"


def test_alternatives() -> None:
    parsed = parse_criterion("I1", "creatinine ≤ 1.5 × ULN or creatinine clearance ≥ 50 mL/min")
    assert [t.any_of for t in parsed.thresholds] == [1, 1]
    assert str(parsed.rule) == "any_of(creatinine <= 1.5 x ULN, creatinine_clearance >= 50 mL/min)"


def test_exclusion_describes_the_excluding_state() -> None:
    (threshold,) = parse_criterion("E1", "Serum creatinine > 2.5 mg/dL").thresholds
    assert (threshold.comparator.value, threshold.value) == (">", Decimal("2.5"))


def test_lost_exponent_is_kept_as_text_with_a_warning() -> None:
    parsed = parse_criterion("I1", "Platelets ≥ 100 x 10/L")
    (threshold,) = parsed.thresholds
    assert threshold.unit is None
    assert any("power of ten lost" in w for w in parsed.warnings)
    assert isinstance(parsed.rule, Attest)


def test_implausible_unit_is_kept_and_warned() -> None:
    parsed = parse_criterion("I1", "hemoglobin > 90 g/dL")
    (threshold,) = parsed.thresholds
    assert (threshold.value, threshold.unit) == (Decimal(90), "g/dL")
    assert any("implausible" in w for w in parsed.warnings)


def test_identifiers_are_not_ranges() -> None:
    for text in ("completed protocol 10M-01-1", "DAKO 28-8 assay", "call 613-533-6430"):
        assert parse_criterion("I1", text).thresholds == (), text


def test_weight_after_age_is_weight() -> None:
    parsed = parse_criterion("I1", "< 18 years of age and weight at screening ≥ 40 kg")
    assert [t.measure for t in parsed.thresholds] == ["age", "weight"]


def test_the_parsers_month_is_the_study_definitions_month() -> None:
    # "within 3 months" and "over 6 months" count 30-day months, as visit time frames do.
    assert (DAYS_PER["month"], DAYS_PER["week"]) == (DAYS_PER_MONTH, DAYS_PER_WEEK)
