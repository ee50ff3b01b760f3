# ruff: noqa: RUF001, RUF003 - look-alike characters are what these tests are about
"""The parser on real ClinicalTrials.gov records (tests/data/records), checked by hand.

Each expected threshold below was read off the record's text, not off the parser's
output: (measure, comparator, value, unit, as written).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from trialdesk.eligibility.parse import parse_criterion
from trialdesk.eligibility.quantities import fold
from trialdesk.protocol.criteria import CriterionItem, split_criteria

RECORDS = Path(__file__).resolve().parents[2] / "data" / "records"  # copies of ../shared/records
PATH = "protocolSection.eligibilityModule.eligibilityCriteria"


Row = tuple[str | None, str, str, str | None, str]


def _items(items: tuple[CriterionItem, ...]) -> Iterator[CriterionItem]:
    for item in items:
        yield item
        yield from _items(item.sub_items)


def _record_items(nct: str) -> dict[str, str]:
    study = json.loads((RECORDS / f"{nct}.json").read_text(encoding="utf-8"))
    split = split_criteria(
        study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"], path=PATH
    )
    return {item.id: item.text for item in _items(split.inclusion + split.exclusion)}


CASES: list[tuple[str, str, list[Row]]] = [
    # NCT00244972 I2: "ECOG performance status =< 2 (Karnofsky >= 60%)"
    (
        "NCT00244972",
        "I2",
        [("ecog", "<=", "2", "{score}", "=< 2"), ("karnofsky", ">=", "60", "{score}", ">= 60%")],
    ),
    # NCT00244972 I4: "Leukocytes >= 3,000/mcL"
    ("NCT00244972", "I4", [("wbc", ">=", "3000", "/uL", ">= 3,000/mcL")]),
    # NCT00244972 I5: "Absolute neutrophil count >= 1,500/mcL"
    ("NCT00244972", "I5", [("neutrophils", ">=", "1500", "/uL", ">= 1,500/mcL")]),
    # NCT00244972 I6: "Platelets >= 100,000/mcL"
    ("NCT00244972", "I6", [("platelets", ">=", "100000", "/uL", ">= 100,000/mcL")]),
    # NCT00244972 I7: "Total bilirubin =< 1.5" (no unit written: kept without one)
    ("NCT00244972", "I7", [("bilirubin", "<=", "1.5", None, "=< 1.5")]),
    # NCT00244972 I8: "AST (SGOT [...])/ALT (SGPT [...]) =< 2.5 x institutional upper limit
    # of normal"
    (
        "NCT00244972",
        "I8",
        [
            ("ast", "<=", "2.5", "x ULN", "=< 2.5 x institutional upper limit of normal"),
            ("alt", "<=", "2.5", "x ULN", "=< 2.5 x institutional upper limit of normal"),
        ],
    ),
    # NCT00244972 E5: "systolic blood pressure of > 140 mmHg or diastolic pressure > 90 mmHg"
    (
        "NCT00244972",
        "E5",
        [("sbp", ">", "140", "mm[Hg]", "> 140 mmHg"), ("dbp", ">", "90", "mm[Hg]", "> 90 mmHg")],
    ),
    # NCT00244972 E12: "New York Heart Association (NYHA) classification > 2"
    ("NCT00244972", "E12", [("nyha", ">", "2", "{score}", "> 2")]),
    # NCT02513394 I2: "Age ≥18 years (or per national guidelines)."
    ("NCT02513394", "I2", [("age", ">=", "18", "a", "≥18 years")]),
    # NCT02513394 I8: "ECOG performance status 0-1."
    (
        "NCT02513394",
        "I8",
        [("ecog", ">=", "0", "{score}", "0-1"), ("ecog", "<=", "1", "{score}", "0-1")],
    ),
    # NCT02513394 I16: "Absolute neutrophil count ≥ 1,500/µL"
    ("NCT02513394", "I16", [("neutrophils", ">=", "1500", "/uL", "≥ 1,500/µL")]),
    # NCT02513394 I17: "Platelets ≥ 100,000/ mm3"
    ("NCT02513394", "I17", [("platelets", ">=", "100000", "/mm3", "≥ 100,000/ mm3")]),
    # NCT02513394 I18: "Hemoglobin ≥ 10g/dL"
    ("NCT02513394", "I18", [("haemoglobin", ">=", "10", "g/dL", "≥ 10g/dL")]),
    # NCT02513394 I20: "Aspartate amino transferase (AST or SGOT) and alanine amino transferase
    # (ALT or SGPT) ≤ 1.5 × institutional ULN."
    (
        "NCT02513394",
        "I20",
        [
            ("ast", "<=", "1.5", "x ULN", "≤ 1.5 × institutional ULN"),
            ("alt", "<=", "1.5", "x ULN", "≤ 1.5 × institutional ULN"),
        ],
    ),
    # NCT04267848 I12: "Age >= 18 years"
    ("NCT04267848", "I12", [("age", ">=", "18", "a", ">= 18 years")]),
    # NCT04267848 I13: "ECOG performance status (PS): 0-1"
    (
        "NCT04267848",
        "I13",
        [("ecog", ">=", "0", "{score}", "0-1"), ("ecog", "<=", "1", "{score}", "0-1")],
    ),
    # NCT04267848 I20: "Absolute neutrophil count (ANC) >= 1,500/mm^3"
    ("NCT04267848", "I20", [("neutrophils", ">=", "1500", "/mm3", ">= 1,500/mm^3")]),
    # NCT04267848 I21: "Platelet count >= 100,000/mm^3"
    ("NCT04267848", "I21", [("platelets", ">=", "100000", "/mm3", ">= 100,000/mm^3")]),
    # NCT04267848 I22: "Hemoglobin >= 8 gm/dl"
    ("NCT04267848", "I22", [("haemoglobin", ">=", "8", "g/dL", ">= 8 gm/dl")]),
    # NCT04267848 I23: "Calculated (Calc.) creatinine clearance >= 45 mL/min"
    ("NCT04267848", "I23", [("creatinine_clearance", ">=", "45", "mL/min", ">= 45 mL/min")]),
    # NCT04267848 I24: "Total bilirubin =< 1.5 x upper limit of normal (ULN)"
    (
        "NCT04267848",
        "I24",
        [("bilirubin", "<=", "1.5", "x ULN", "=< 1.5 x upper limit of normal (ULN)")],
    ),
    # NCT04267848 I25: "AST / ALT =< 2.5 x upper limit of normal (ULN)"
    (
        "NCT04267848",
        "I25",
        [
            ("ast", "<=", "2.5", "x ULN", "=< 2.5 x upper limit of normal (ULN)"),
            ("alt", "<=", "2.5", "x ULN", "=< 2.5 x upper limit of normal (ULN)"),
        ],
    ),
    # NCT04523987 I2: "Age ≥ 21 years"
    ("NCT04523987", "I2", [("age", ">=", "21", "a", "≥ 21 years")]),
    # NCT04523987 I5: "Life expectancy >3 months"
    ("NCT04523987", "I5", [("life_expectancy", ">", "3", "mo", ">3 months")]),
    # NCT04523987 I6: "ECOG performance status of 0-2"
    (
        "NCT04523987",
        "I6",
        [("ecog", ">=", "0", "{score}", "0-2"), ("ecog", "<=", "2", "{score}", "0-2")],
    ),
    # NCT04523987 I7: "CrCl ≥ 30 ml/min"
    ("NCT04523987", "I7", [("creatinine_clearance", ">=", "30", "mL/min", "≥ 30 ml/min")]),
    # NCT04523987 E3: "Known QTc prolongation (QTc >500 msec) or torsade de pointes"
    ("NCT04523987", "E3", [("qtc", ">", "500", "ms", ">500 msec")]),
    # NCT00184067 I2: "Serum creatinine of 2.0 mg/dl or less, total bilirubin of 2.0 mg/dl or less
    # and SGOT/SGPT of 2.5 X institutional norm or less." ("institutional norm": not read)
    (
        "NCT00184067",
        "I2",
        [
            ("creatinine", "<=", "2.0", "mg/dL", "2.0 mg/dl or less"),
            ("bilirubin", "<=", "2.0", "mg/dL", "2.0 mg/dl or less"),
        ],
    ),
    # NCT00184067 I3: "Total whte blood cell (WBC) of 3,000 or more with at least 1500 granulocytes,
    # hemoglobin of 9.0 gm/dl or more, and platelet count of 100,000 per cu mm or more."
    # (no unit written for WBC; granulocytes are no measure of the lexicon: kept, warned)
    (
        "NCT00184067",
        "I3",
        [
            ("wbc", ">=", "3000", None, "3,000 or more"),
            (None, ">=", "1500", None, "at least 1500"),
            ("haemoglobin", ">=", "9.0", "g/dL", "9.0 gm/dl or more"),
            ("platelets", ">=", "100000", "/mm3", "100,000 per cu mm or more"),
        ],
    ),
    # NCT00184067 I4: "ECOG performance status of 0 or 1."
    (
        "NCT00184067",
        "I4",
        [("ecog", ">=", "0", "{score}", "0 or 1"), ("ecog", "<=", "1", "{score}", "0 or 1")],
    ),
    # NCT00984438 I3: "KPS >50; ECOG <3"
    (
        "NCT00984438",
        "I3",
        [("karnofsky", ">", "50", "{score}", ">50"), ("ecog", "<", "3", "{score}", "<3")],
    ),
    # NCT00984438 I4: "Predicted life expectancy of > 3 months"
    ("NCT00984438", "I4", [("life_expectancy", ">", "3", "mo", "> 3 months")]),
    # NCT04431453 I1.1: "Cohort 1: ≥ 12 years to < 18 years of age and weight at screening ≥ 40 kg"
    (
        "NCT04431453",
        "I1.1",
        [
            ("age", ">=", "12", "a", "≥ 12 years"),
            ("age", "<", "18", "a", "< 18 years of age"),
            ("weight", ">=", "40", "kg", "≥ 40 kg"),
        ],
    ),
    # NCT04431453 E3: "eGFR < 30 mL/min/1.73m^2 using Schwartz formula for individuals
    # ≥ 1 year of age."
    (
        "NCT04431453",
        "E3",
        [
            ("egfr", "<", "30", "mL/min/{1.73_m2}", "< 30 mL/min/1.73m^2"),
            ("age", ">=", "1", "a", "≥ 1 year of age"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("nct", "item_id", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_record_thresholds(nct: str, item_id: str, expected: list[Row]) -> None:
    text = _record_items(nct)[item_id]
    parsed = parse_criterion(item_id, text)
    got = [
        (t.measure, t.comparator.value, t.value, t.unit, t.as_written) for t in parsed.thresholds
    ]
    want = [(m, c, Decimal(v), u, w) for m, c, v, u, w in expected]
    assert got == want


_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _digits(text: str) -> str:
    text = re.sub(r"\b(IV|I{1,3})\b", lambda m: _ROMAN[m[1]], fold(text))
    return re.sub(r"\D", "", text)


def _all_items() -> Iterator[tuple[str, str, str]]:
    for path in sorted(RECORDS.glob("NCT*.json")):
        for item_id, text in _record_items(path.stem).items():
            yield path.stem, item_id, text


def test_every_record_parses_and_keeps_what_it_read() -> None:
    items = list(_all_items())
    assert len({nct for nct, _, _ in items}) == 20
    for nct, item_id, text in items:
        parsed = parse_criterion(item_id, text)
        for threshold in parsed.thresholds:
            where = f"{nct} {item_id}: {threshold.as_written!r}"
            assert threshold.as_written in text, where
            assert text[threshold.start : threshold.end].strip() == threshold.as_written, where
            if threshold.value is not None:
                written = format(threshold.value, "f")
                written = written.rstrip("0").rstrip(".") if "." in written else written
                assert _digits(written).lstrip("0") in _digits(threshold.as_written), where
