"""CTCAE v5.0 laboratory grading: every band edge on both sides, exactness, missing inputs.

Each block cites the term's row of NCI CTCAE v5.0 (November 27, 2017). Edges: a
decreasing band "<a - b" includes b; an increasing band ">a - b" includes b.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trialdesk.clinical.ctcae import (
    CTCAE_VERSIONS,
    NO_TERM,
    ClinicalFacts,
    Grade,
    LabResult,
    ctcae_terms,
    find_term,
    grade_analyte,
    grade_ctcae,
)
from trialdesk.clinical.ctcae_model import Band
from trialdesk.clinical.errors import ClinicalInputError, UnitError
from trialdesk.clinical.units import Quantity

SYMPTOMATIC = ClinicalFacts(symptomatic=True)
ANTICOAGULATED = ClinicalFacts(anticoagulated=True)
NONE = ClinicalFacts()

# (term, unit, references, facts, [(value, expected grade), ...])
EDGES: list[tuple[str, str, dict[str, str], ClinicalFacts, list[tuple[str, int]]]] = [
    # Neutrophil count decreased: G1 <LLN - 1500/mm3; G2 <1500 - 1000/mm3;
    # G3 <1000 - 500/mm3; G4 <500/mm3 (x 10e9/L: 1.5, 1.0, 0.5)
    (
        "Neutrophil count decreased",
        "10*9/L",
        {"lln": "2.0"},
        NONE,
        [
            ("2.0", 0),
            ("1.99", 1),
            ("1.5", 1),
            ("1.49", 2),
            ("1.0", 2),
            ("0.99", 3),
            ("0.5", 3),
            ("0.49", 4),
            ("0", 4),
        ],
    ),
    (
        "Neutrophil count decreased",
        "/mm3",
        {"lln": "2000"},
        NONE,
        [("1500", 1), ("1499", 2), ("1000", 2), ("999", 3), ("500", 3), ("499", 4)],
    ),
    # Lymphocyte count decreased: G1 <LLN - 800/mm3; G2 <800 - 500; G3 <500 - 200; G4 <200
    (
        "Lymphocyte count decreased",
        "10*9/L",
        {"lln": "1.0"},
        NONE,
        [
            ("1.0", 0),
            ("0.99", 1),
            ("0.8", 1),
            ("0.79", 2),
            ("0.5", 2),
            ("0.49", 3),
            ("0.2", 3),
            ("0.19", 4),
        ],
    ),
    # Lymphocyte count increased: G2 >4000/mm3 - 20,000/mm3; G3 >20,000/mm3 (no G1, G4)
    (
        "Lymphocyte count increased",
        "10*9/L",
        {},
        NONE,
        [("4.0", 0), ("4.01", 2), ("20.0", 2), ("20.01", 3)],
    ),
    # Platelet count decreased: G1 <LLN - 75,000/mm3; G2 <75,000 - 50,000;
    # G3 <50,000 - 25,000; G4 <25,000/mm3
    (
        "Platelet count decreased",
        "10*9/L",
        {"lln": "150"},
        NONE,
        [
            ("150", 0),
            ("149.9", 1),
            ("75", 1),
            ("74.9", 2),
            ("50", 2),
            ("49.9", 3),
            ("25", 3),
            ("24.9", 4),
        ],
    ),
    ("Platelet count decreased", "/uL", {"lln": "150000"}, NONE, [("50000", 2), ("49999", 3)]),
    # White blood cell decreased: G1 <LLN - 3000/mm3; G2 <3000 - 2000; G3 <2000 - 1000; G4 <1000
    (
        "White blood cell decreased",
        "10^9/L",
        {"lln": "4.0"},
        NONE,
        [
            ("4.0", 0),
            ("3.99", 1),
            ("3.0", 1),
            ("2.99", 2),
            ("2.0", 2),
            ("1.99", 3),
            ("1.0", 3),
            ("0.99", 4),
        ],
    ),
    # CD4 lymphocytes decreased: G1 <LLN - 500/mm3; G2 <500 - 200; G3 <200 - 50; G4 <50
    (
        "CD4 lymphocytes decreased",
        "/uL",
        {"lln": "700"},
        NONE,
        [
            ("700", 0),
            ("699", 1),
            ("500", 1),
            ("499", 2),
            ("200", 2),
            ("199", 3),
            ("50", 3),
            ("49", 4),
        ],
    ),
    # Anemia: G1 Hgb <LLN - 10.0 g/dL; <LLN - 6.2 mmol/L; <LLN - 100 g/L;
    # G2 <10.0 - 8.0 g/dL; <6.2 - 4.9 mmol/L; <100 - 80 g/L; G3 <8.0 g/dL; <4.9 mmol/L; <80 g/L
    (
        "Anemia",
        "g/dL",
        {"lln": "12.0"},
        NONE,
        [("12.0", 0), ("11.9", 1), ("10.0", 1), ("9.9", 2), ("8.0", 2), ("7.9", 3)],
    ),
    (
        "Anemia",
        "g/L",
        {"lln": "120"},
        NONE,
        [("120", 0), ("119", 1), ("100", 1), ("99", 2), ("80", 2), ("79", 3)],
    ),
    (
        "Anemia",
        "mmol/L",
        {"lln": "7.4"},
        NONE,
        [("7.4", 0), ("7.3", 1), ("6.2", 1), ("6.19", 2), ("4.9", 2), ("4.89", 3)],
    ),
    # Blood bilirubin increased: G1 >ULN - 1.5 x ULN; G2 >1.5 - 3.0 x ULN;
    # G3 >3.0 - 10.0 x ULN; G4 >10.0 x ULN (baseline normal)
    (
        "Blood bilirubin increased",
        "mg/dL",
        {"uln": "1.2"},
        NONE,
        [
            ("1.2", 0),
            ("1.21", 1),
            ("1.8", 1),
            ("1.81", 2),
            ("3.6", 2),
            ("3.61", 3),
            ("12", 3),
            ("12.01", 4),
        ],
    ),
    (
        "Blood bilirubin increased",
        "mg/dL",
        {"uln": "1.2", "baseline": "1.0"},
        NONE,
        [("1.8", 1), ("1.81", 2)],
    ),
    # ... baseline abnormal: G1 >1.0 - 1.5 x baseline; G2 >1.5 - 3.0; G3 >3.0 - 10.0; G4 >10.0
    (
        "Blood bilirubin increased",
        "mg/dL",
        {"uln": "1.2", "baseline": "2.0"},
        NONE,
        [
            ("2.0", 0),
            ("2.01", 1),
            ("3.0", 1),
            ("3.01", 2),
            ("6.0", 2),
            ("6.01", 3),
            ("20", 3),
            ("20.01", 4),
        ],
    ),
    # 1.2 mg/dL = 20.52 umol/L and 1.8 mg/dL = 30.78 umol/L (x 17.1)
    ("Blood bilirubin increased", "umol/L", {"uln": "20.52"}, NONE, [("30.78", 1), ("30.79", 2)]),
    # Creatinine increased: G1 >ULN - 1.5 x ULN; G2 >1.5 - 3.0 x ULN;
    # G3 >3.0 - 6.0 x ULN; G4 >6.0 x ULN
    (
        "Creatinine increased",
        "mg/dL",
        {"uln": "1.0"},
        NONE,
        [
            ("1.0", 0),
            ("1.01", 1),
            ("1.5", 1),
            ("1.51", 2),
            ("3.0", 2),
            ("3.01", 3),
            ("6.0", 3),
            ("6.01", 4),
        ],
    ),
    # ... or G2 >1.5 - 3.0 x baseline; G3 >3.0 x baseline (the higher grade wins)
    (
        "Creatinine increased",
        "mg/dL",
        {"uln": "1.0", "baseline": "0.5"},
        NONE,
        [("0.75", 0), ("0.76", 2), ("1.5", 2), ("1.51", 3), ("6.01", 4)],
    ),
    # Hypokalemia: G1 <LLN - 3.0 mmol/L; G2 symptomatic with <LLN - 3.0;
    # G3 <3.0 - 2.5 mmol/L; G4 <2.5 mmol/L
    (
        "Hypokalemia",
        "mmol/L",
        {"lln": "3.5"},
        NONE,
        [("3.5", 0), ("3.49", 1), ("3.0", 1), ("2.99", 3), ("2.5", 3), ("2.49", 4)],
    ),
    (
        "Hypokalemia",
        "mmol/L",
        {"lln": "3.5"},
        SYMPTOMATIC,
        [("3.5", 0), ("3.49", 2), ("3.0", 2), ("2.99", 3)],
    ),
    # Hyperkalemia: G1 >ULN - 5.5 mmol/L; G2 >5.5 - 6.0; G3 >6.0 - 7.0; G4 >7.0
    (
        "Hyperkalemia",
        "mmol/L",
        {"uln": "5.0"},
        NONE,
        [
            ("5.0", 0),
            ("5.01", 1),
            ("5.5", 1),
            ("5.51", 2),
            ("6.0", 2),
            ("6.01", 3),
            ("7.0", 3),
            ("7.01", 4),
        ],
    ),
    # Hyponatremia: G1 <LLN - 130 mmol/L; G2 125-129 mmol/L and asymptomatic;
    # G3 125-129 symptomatic, 120-124 regardless of symptoms; G4 <120 mmol/L
    (
        "Hyponatremia",
        "mmol/L",
        {"lln": "135"},
        NONE,
        [
            ("135", 0),
            ("134.9", 1),
            ("130", 1),
            ("129.9", 2),
            ("125", 2),
            ("124.9", 3),
            ("120", 3),
            ("119.9", 4),
        ],
    ),
    (
        "Hyponatremia",
        "mmol/L",
        {"lln": "135"},
        SYMPTOMATIC,
        [("130", 1), ("129.9", 3), ("125", 3), ("119.9", 4)],
    ),
    # INR increased: G1 >1.2 - 1.5; G2 >1.5 - 2.5; G3 >2.5
    (
        "INR increased",
        "{INR}",
        {},
        NONE,
        [("1.2", 0), ("1.21", 1), ("1.5", 1), ("1.51", 2), ("2.5", 2), ("2.51", 3)],
    ),
    # ... if on anticoagulation: G1 >1 - 1.5 x baseline; G2 >1.5 - 2.5; G3 >2.5 x baseline
    (
        "INR increased",
        "INR",
        {"baseline": "2.0"},
        ANTICOAGULATED,
        [("2.0", 0), ("2.01", 1), ("3.0", 1), ("3.01", 2), ("5.0", 2), ("5.01", 3)],
    ),
]

# ALT/AST: G1 >ULN - 3.0 x ULN if baseline was normal; 1.5 - 3.0 x baseline if abnormal;
# G2 >3.0 - 5.0; G3 >5.0 - 20.0; G4 >20.0 (x ULN, or x baseline)
# ALP/GGT: G1 >ULN - 2.5 x ULN if normal; 2.0 - 2.5 x baseline if abnormal;
# G2 >2.5 - 5.0; G3 >5.0 - 20.0; G4 >20.0
for _name in ("Alanine aminotransferase increased", "Aspartate aminotransferase increased"):
    EDGES += [
        (
            _name,
            "U/L",
            {"uln": "40"},
            NONE,
            [
                ("40", 0),
                ("40.1", 1),
                ("120", 1),
                ("120.1", 2),
                ("200", 2),
                ("200.1", 3),
                ("800", 3),
                ("800.1", 4),
            ],
        ),
        (_name, "U/L", {"uln": "40", "baseline": "30"}, NONE, [("120", 1), ("120.1", 2)]),
        (
            _name,
            "U/L",
            {"uln": "40", "baseline": "60"},
            NONE,
            [
                ("89.9", 0),
                ("90", 1),
                ("180", 1),
                ("180.1", 2),
                ("300", 2),
                ("300.1", 3),
                ("1200", 3),
                ("1200.1", 4),
            ],
        ),
    ]
for _name in ("Alkaline phosphatase increased", "GGT increased"):
    EDGES += [
        (
            _name,
            "U/L",
            {"uln": "100"},
            NONE,
            [
                ("100", 0),
                ("100.1", 1),
                ("250", 1),
                ("250.1", 2),
                ("500", 2),
                ("500.1", 3),
                ("2000", 3),
                ("2000.1", 4),
            ],
        ),
        (
            _name,
            "U/L",
            {"uln": "100", "baseline": "150"},
            NONE,
            [
                ("299.9", 0),
                ("300", 1),
                ("375", 1),
                ("375.1", 2),
                ("750", 2),
                ("750.1", 3),
                ("3000", 3),
                ("3000.1", 4),
            ],
        ),
    ]

CASES = [
    pytest.param(
        (term, unit, refs, facts), value, grade, id=f"{term}|{value} {unit}|{refs}|{facts}"
    )
    for term, unit, refs, facts, values in EDGES
    for value, grade in values
]
Edge = tuple[str, str, dict[str, str], ClinicalFacts]


def lab(value: str, unit: str, **refs: str) -> LabResult:
    quantities = {name: Quantity.of(text, unit) for name, text in refs.items()}
    return LabResult(Quantity.of(value, unit), **quantities)


@pytest.mark.parametrize(("edge", "value", "expected"), CASES)
def test_band_edges(edge: Edge, value: str, expected: int) -> None:
    term, unit, refs, facts = edge
    grade = grade_ctcae(term, lab(value, unit, **refs), facts)
    assert grade.value == expected, grade.rule
    assert grade.term == term
    assert grade.version == "5.0"
    assert grade.rule.startswith(f"Grade {expected}:")


def test_every_term_of_the_brief_is_covered_by_edge_cases() -> None:
    assert {term for term, *_ in EDGES} == set(ctcae_terms())


def test_exactness_1_5_times_1_2_uln_is_on_the_edge() -> None:
    # Binary floating point would miss it: 1.5 * 1.2 = 1.7999999999999998 < 1.8.
    assert 1.5 * 1.2 != 1.8
    # Blood bilirubin increased G1 ">ULN - 1.5 x ULN" includes 1.5 x ULN exactly.
    result = LabResult(Quantity.of(1.8, "mg/dL"), uln=Quantity.of(1.2, "mg/dL"))
    assert grade_ctcae("Blood bilirubin increased", result).value == 1


def test_references_may_be_in_another_unit_of_the_analyte() -> None:
    # 1.5 x ULN: ULN 1.0 mg/dL = 88.42 umol/L; 132.63 umol/L = 1.5 mg/dL -> G1
    result = LabResult(Quantity.of("132.63", "umol/L"), uln=Quantity.of("1.0", "mg/dL"))
    assert grade_ctcae("Creatinine increased", result).value == 1


def test_missing_reference_gives_none_with_the_reason() -> None:
    grade = grade_ctcae("Alanine aminotransferase increased", lab("100", "U/L"))
    assert grade.value is None
    assert grade.reason is not None
    assert grade.reason.startswith("ULN needed")


def test_missing_lln_matters_only_when_grade_1_is_possible() -> None:
    assert grade_ctcae("Neutrophil count decreased", lab("0.9", "10*9/L")).value == 3
    grade = grade_ctcae("Neutrophil count decreased", lab("1.6", "10*9/L"))
    assert grade.value is None
    assert grade.reason is not None
    assert "LLN needed" in grade.reason


def test_baseline_without_uln_cannot_tell_normal_from_abnormal() -> None:
    grade = grade_ctcae("GGT increased", lab("300", "U/L", baseline="150"))
    assert grade.value is None
    assert grade.reason is not None
    assert "ULN" in grade.reason


def test_anticoagulated_inr_needs_a_baseline() -> None:
    grade = grade_ctcae("INR increased", lab("3.0", "{INR}"), ANTICOAGULATED)
    assert grade.value is None
    assert grade.reason is not None
    assert "baseline needed" in grade.reason


def test_rule_says_when_graded_lab_only_or_without_baseline() -> None:
    hyponatremia = grade_ctcae("Hyponatremia", lab("127", "mmol/L"))
    assert "graded lab-only: grade 3 needs '125-129 mmol/L symptomatic'" in hyponatremia.rule
    hypokalemia = grade_ctcae("Hypokalemia", lab("3.2", "mmol/L", lln="3.5"))
    assert "graded lab-only: grade 2" in hypokalemia.rule
    alt = grade_ctcae("Alanine aminotransferase increased", lab("50", "U/L", uln="40"))
    assert "baseline not given: graded as if baseline was normal" in alt.rule
    creatinine = grade_ctcae("Creatinine increased", lab("1.2", "mg/dL", uln="1.0"))
    assert "x baseline criteria were not applied" in creatinine.rule
    anemia = grade_ctcae("Anemia", lab("7.0", "g/dL"))
    assert "grade 4" in anemia.rule


def test_inputs_are_recorded() -> None:
    grade = grade_ctcae("Hyponatremia", lab("127", "mmol/L", lln="135"), SYMPTOMATIC)
    assert grade.inputs == {
        "value": "127 mmol/L",
        "lln": "135 mmol/L",
        "symptomatic": "true",
        "anticoagulated": "false",
    }


@pytest.mark.parametrize("analyte", ["crp", "C-reactive protein", "haematocrit", "Hematocrit"])
def test_analytes_without_a_term_are_no_term_not_grade_0(analyte: str) -> None:
    grade = grade_ctcae(analyte, lab("30", "%"))
    assert grade.value is None
    assert grade.term == NO_TERM
    assert grade.reason is not None
    assert "no laboratory term" in grade.reason
    assert grade_analyte(analyte.lower(), lab("30", "%"))[0].term == NO_TERM


def test_grade_analyte_grades_every_term_of_the_analyte() -> None:
    grades = grade_analyte("potassium", lab("3.2", "mmol/L", lln="3.5", uln="5.0"))
    assert [(g.term, g.value) for g in grades] == [("Hypokalemia", 1), ("Hyperkalemia", 0)]


def test_terms_are_found_in_any_case_and_british_spelling() -> None:
    assert find_term("anaemia").name == "Anemia"
    assert find_term("  neutrophil COUNT decreased ").name == "Neutrophil count decreased"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: grade_ctcae("Nausea", lab("1", "10*9/L")), ClinicalInputError, "`term`"),
        (
            lambda: grade_ctcae("Anemia", lab("1", "g/dL"), version="4.03"),
            ClinicalInputError,
            "`version`",
        ),
        (lambda: grade_ctcae("Anemia", lab("-1", "g/dL")), ClinicalInputError, "`value`"),
        (lambda: grade_ctcae("Anemia", lab("9", "g/dL", lln="0")), ClinicalInputError, "`lln`"),
        (lambda: grade_ctcae("Anemia", lab("9", "10*9/L")), UnitError, r"10\*9/L"),
        (lambda: grade_analyte("troponin", lab("1", "g/L")), ClinicalInputError, "`analyte`"),
    ],
)
def test_bad_inputs_are_refused(
    call: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


def test_grade_is_none_exactly_when_it_gives_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        Grade(None, "Anemia", "5.0", "rule", {})
    with pytest.raises(ValueError, match="0 to 4"):
        Grade(5, "Anemia", "5.0", "rule", {})


def test_a_band_cannot_be_grade_5() -> None:
    with pytest.raises(ValueError, match="1 to 4"):
        Band(5, "Death", ())


def test_the_table_is_keyed_by_version_and_cites_its_source() -> None:
    table = CTCAE_VERSIONS["5.0"]
    assert "November 27, 2017" in table.source
    assert all("CTCAE v5.0" in term.source for term in table.terms.values())
    assert all(1 <= term.max_lab_grade <= 4 for term in table.terms.values())
