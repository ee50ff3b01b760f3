"""CTCAE v5.0 laboratory terms as typed rows.

Source: U.S. Department of Health and Human Services, National Cancer Institute,
*Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0*, published
November 27, 2017 (``CTCAE_v5_Quick_Reference_8.5x11.pdf`` and
``CTCAE_v5.0.xlsx``, https://ctep.cancer.gov/protocoldevelopment/electronic_applications/ctc.htm).
Each band's ``text`` is that grade's cell of the term's row, as printed (counts in
``/mm3`` and ``x 10e9/L``; the two are equal, since 1/mm3 = 10*-3 x 10*9/L). The
bounds are transcribed by hand from the text: ``<a - b`` (a decreasing term) is
``b <= x < a``; ``>a - b`` (an increasing term) is ``a < x <= b``; a range of whole
numbers ``125-129 mmol/L`` is ``125 <= x < 130``.

Cross-checked band by band (93 bands, 17 terms, grades 1-5) against two sources, with
no band found wrong: the NCI spreadsheet ``CTCAE_v5.0.xlsx`` (sheet "CTCAE v5.0 Clean
Copy"; every band's ``text`` is taken from its cells); and pharmaverse admiral's
grading metadata (``data-raw/adlb_grading/ncictcaev5.json``, commit ``6eb5125a``),
evaluated on a grid of values at every edge. admiral differs only where it assumes the
worst case (symptomatic for hypokalaemia and hyponatraemia; both INR readings) and at
two edges where the NCI text supports ours (GGT at 2.0 x baseline; sodium between 129
and 130): see the comments on those terms. The hand transcription, the NCI cells and
admiral's grades are pinned in ``tests/unit/clinical/test_ctcae_v5_source_table.py``
(data and provenance in ``tests/data/ctcae/``); the edges of every term in
``tests/unit/clinical/test_ctcae.py``.
"""

from __future__ import annotations

from types import MappingProxyType

from trialdesk.clinical.ctcae_model import (
    Band,
    Context,
    Reference,
    Requirement,
    Scale,
    Term,
    TermTable,
    ge,
    gt,
    le,
    lt,
)

__all__ = ["CTCAE_V5"]

SOURCE = "NCI CTCAE v5.0, November 27, 2017"
_ULN, _LLN, _BASE = Reference.ULN, Reference.LLN, Reference.BASELINE
_NORMAL, _ABNORMAL = Context.BASELINE_NORMAL, Context.BASELINE_ABNORMAL


def _where(section: str) -> str:
    return f"{SOURCE}, {section}"


def _decreased_count(
    name: str, analyte: str, edges: tuple[str, str, str], texts: list[str]
) -> Term:
    """A count term whose bands are "<LLN - a", "<a - b", "<b - c", "<c" (10*9/L)."""
    a, b, c = edges
    bands = (
        Band(1, texts[0], (ge(a), lt("1", _LLN))),
        Band(2, texts[1], (ge(b), lt(a))),
        Band(3, texts[2], (ge(c), lt(b))),
        Band(4, texts[3], (lt(c),)),
    )
    return Term(name, analyte, (Scale("10*9/L", bands),), _where("Investigations"))


def _baseline_rule(
    name: str, analyte: str, edges: tuple[str, str, str], abnormal_g1: tuple[str, bool]
) -> Term:
    """A term graded x ULN, or x baseline when baseline was abnormal (enzymes, bilirubin).

    ``edges`` are the G1/G2, G2/G3 and G3/G4 multiples; ``abnormal_g1`` is the G1
    lower multiple of baseline and whether CTCAE prints it with ">" (bilirubin
    "> 1.0") or without (ALT "1.5 - 3.0", inclusive).
    """
    a, b, c = edges
    low, strict = abnormal_g1
    # ALT/AST "1.5 - 3.0" and ALP/GGT "2.0 - 2.5 x baseline" print no ">", so the lower end
    # is inclusive (as admiral's ALT, AST and ALP rows read it; its GGT row uses "> 2*BASE",
    # which the NCI text does not say, so ours grades exactly 2.0 x baseline as 1).
    normal = " x ULN if baseline was normal"
    abnormal = " x baseline if baseline was abnormal"
    bands = (
        Band(1, f">ULN - {a}{normal}", (gt("1", _ULN), le(a, _ULN)), _NORMAL),
        Band(2, f">{a} - {b}{normal}", (gt(a, _ULN), le(b, _ULN)), _NORMAL),
        Band(3, f">{b} - {c}{normal}", (gt(b, _ULN), le(c, _ULN)), _NORMAL),
        Band(4, f">{c}{normal}", (gt(c, _ULN),), _NORMAL),
        Band(
            1,
            f"{'>' if strict else ''}{low} - {a}{abnormal}",
            ((gt if strict else ge)(low, _BASE), le(a, _BASE)),
            _ABNORMAL,
        ),
        Band(2, f">{a} - {b}{abnormal}", (gt(a, _BASE), le(b, _BASE)), _ABNORMAL),
        Band(3, f">{b} - {c}{abnormal}", (gt(b, _BASE), le(c, _BASE)), _ABNORMAL),
        Band(4, f">{c}{abnormal}", (gt(c, _BASE),), _ABNORMAL),
    )
    return Term(name, analyte, (Scale("U/L", bands),), _where("Investigations"))


def _bilirubin() -> Term:
    term = _baseline_rule(
        "Blood bilirubin increased", "bilirubin", ("1.5", "3.0", "10.0"), ("1.0", True)
    )
    return Term(term.name, term.analyte, (Scale("mg/dL", term.scales[0].bands),), term.source)


_COUNTS = (
    _decreased_count(
        "Neutrophil count decreased",
        "neutrophils",
        ("1.5", "1.0", "0.5"),
        [
            "<LLN - 1500/mm3; <LLN - 1.5 x 10e9 /L",
            "<1500 - 1000/mm3; <1.5 - 1.0 x 10e9 /L",
            "<1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L",
            "<500/mm3; <0.5 x 10e9 /L",
        ],
    ),
    _decreased_count(
        "Lymphocyte count decreased",
        "lymphocytes",
        ("0.8", "0.5", "0.2"),
        [
            "<LLN - 800/mm3; <LLN - 0.8 x 10e9/L",
            "<800 - 500/mm3; <0.8 - 0.5 x 10e9 /L",
            "<500 - 200/mm3; <0.5 - 0.2 x 10e9 /L",
            "<200/mm3; <0.2 x 10e9 /L",
        ],
    ),
    _decreased_count(
        "Platelet count decreased",
        "platelets",
        ("75.0", "50.0", "25.0"),
        [
            "<LLN - 75,000/mm3; <LLN - 75.0 x 10e9 /L",
            "<75,000 - 50,000/mm3; <75.0 - 50.0 x 10e9 /L",
            "<50,000 - 25,000/mm3; <50.0 - 25.0 x 10e9 /L",
            "<25,000/mm3; <25.0 x 10e9 /L",
        ],
    ),
    _decreased_count(
        "White blood cell decreased",
        "leukocytes",
        ("3.0", "2.0", "1.0"),
        [
            "<LLN - 3000/mm3; <LLN - 3.0 x 10e9 /L",
            "<3000 - 2000/mm3; <3.0 - 2.0 x 10e9 /L",
            "<2000 - 1000/mm3; <2.0 - 1.0 x 10e9 /L",
            "<1000/mm3; <1.0 x 10e9 /L",
        ],
    ),
    _decreased_count(
        "CD4 lymphocytes decreased",
        "cd4_lymphocytes",
        ("0.5", "0.2", "0.05"),
        [
            "<LLN - 500/mm3; <LLN - 0.5 x 10e9 /L",
            "<500 - 200/mm3; <0.5 - 0.2 x 10e9 /L",
            "<200 - 50/mm3; <0.2 x 0.05 - 10e9 /L",
            "<50/mm3; <0.05 x 10e9 /L",
        ],
    ),
)

_LYMPHOCYTOSIS = Term(
    "Lymphocyte count increased",
    "lymphocytes",
    (
        Scale(
            "10*9/L",
            (
                Band(2, ">4000/mm3 - 20,000/mm3", (gt("4.0"), le("20.0"))),
                Band(3, ">20,000/mm3", (gt("20.0"),)),
            ),
        ),
    ),
    _where("Investigations"),
    note="CTCAE v5.0 defines no grade 1 or 4 for this term",
)

_G3_TEXT = "<8.0 g/dL; <4.9 mmol/L; <80 g/L; transfusion indicated"
_ANEMIA = Term(
    "Anemia",
    "haemoglobin",
    (
        Scale(
            "g/dL",
            (
                Band(
                    1,
                    "Hemoglobin (Hgb) <LLN - 10.0 g/dL; <LLN - 100 g/L",
                    (ge("10.0"), lt("1", _LLN)),
                ),
                Band(2, "Hgb <10.0 - 8.0 g/dL; <100 - 80g/L", (ge("8.0"), lt("10.0"))),
                Band(3, f"Hgb {_G3_TEXT}", (lt("8.0"),)),
            ),
        ),
        Scale(
            "mmol/L",
            (
                Band(1, "Hemoglobin (Hgb) <LLN - 6.2 mmol/L", (ge("6.2"), lt("1", _LLN))),
                Band(2, "Hgb <6.2 - 4.9 mmol/L", (ge("4.9"), lt("6.2"))),
                Band(3, f"Hgb {_G3_TEXT}", (lt("4.9"),)),
            ),
        ),
    ),
    _where("Blood and lymphatic system disorders"),
    note="grade 4 (life-threatening consequences; urgent intervention indicated) "
    "needs clinical information: a laboratory value grades at most 3",
)

# Creatinine: v5.0 deleted v4.03's G1 ">1 - 1.5 x baseline" (the spreadsheet's Tracked
# Changes sheet); its G2 and G3 keep "x baseline" beside "x ULN", whichever is higher.
_CREATININE = Term(
    "Creatinine increased",
    "creatinine",
    (
        Scale(
            "mg/dL",
            (
                Band(1, ">ULN - 1.5 x ULN", (gt("1", _ULN), le("1.5", _ULN))),
                Band(2, ">1.5 - 3.0 x ULN", (gt("1.5", _ULN), le("3.0", _ULN))),
                Band(
                    2,
                    ">1.5 - 3.0 x baseline",
                    (gt("1.5", _BASE), le("3.0", _BASE)),
                    Context.WITH_BASELINE,
                ),
                Band(3, ">3.0 - 6.0 x ULN", (gt("3.0", _ULN), le("6.0", _ULN))),
                Band(3, ">3.0 x baseline", (gt("3.0", _BASE),), Context.WITH_BASELINE),
                Band(4, ">6.0 x ULN", (gt("6.0", _ULN),)),
            ),
        ),
    ),
    _where("Investigations"),
)

# Grade 2 hypokalaemia and 125-129 mmol/L grade 3 hyponatraemia need symptoms: without
# them we grade lab-only (1 and 2) and say so in the rule. admiral assumes "symptomatic"
# (its COMMENT: "Take worst case"), so it grades these 2 and 3; the bands are the same.
# Sodium "125-129" is 125 <= x < 130 because G1 "<LLN - 130" includes 130: admiral's
# "<= 129" would leave 129 < x < 130 at grade 1 (NCI CTCAE v5.0; admiral 6eb5125a).
_SYMPTOMATIC = Requirement.SYMPTOMATIC
_ELECTROLYTES = (
    Term(
        "Hypokalemia",
        "potassium",
        (
            Scale(
                "mmol/L",
                (
                    Band(1, "<LLN - 3.0 mmol/L", (ge("3.0"), lt("1", _LLN))),
                    Band(
                        2,
                        "Symptomatic with <LLN - 3.0 mmol/L; intervention indicated",
                        (ge("3.0"), lt("1", _LLN)),
                        requires=_SYMPTOMATIC,
                    ),
                    Band(3, "<3.0 - 2.5 mmol/L; hospitalization indicated", (ge("2.5"), lt("3.0"))),
                    Band(4, "<2.5 mmol/L; life-threatening consequences", (lt("2.5"),)),
                ),
            ),
        ),
        _where("Metabolism and nutrition disorders"),
    ),
    Term(
        "Hyperkalemia",
        "potassium",
        (
            Scale(
                "mmol/L",
                (
                    Band(1, ">ULN - 5.5 mmol/L", (gt("1", _ULN), le("5.5"))),
                    Band(2, ">5.5 - 6.0 mmol/L; intervention initiated", (gt("5.5"), le("6.0"))),
                    Band(3, ">6.0 - 7.0 mmol/L; hospitalization indicated", (gt("6.0"), le("7.0"))),
                    Band(4, ">7.0 mmol/L; life-threatening consequences", (gt("7.0"),)),
                ),
            ),
        ),
        _where("Metabolism and nutrition disorders"),
        note="graded from the value alone; the interventions CTCAE names are not required",
    ),
    Term(
        "Hyponatremia",
        "sodium",
        (
            Scale(
                "mmol/L",
                (
                    Band(1, "<LLN - 130 mmol/L", (ge("130"), lt("1", _LLN))),
                    Band(2, "125-129 mmol/L and asymptomatic", (ge("125"), lt("130"))),
                    Band(
                        3,
                        "125-129 mmol/L symptomatic",
                        (ge("125"), lt("130")),
                        requires=_SYMPTOMATIC,
                    ),
                    Band(3, "120-124 mmol/L regardless of symptoms", (ge("120"), lt("125"))),
                    Band(4, "<120 mmol/L; life-threatening consequences", (lt("120"),)),
                ),
            ),
        ),
        _where("Metabolism and nutrition disorders"),
    ),
)

# INR: v5.0 grades the absolute INR (v4.03's "x ULN" was deleted) unless the subject is
# on anticoagulation, when it grades x baseline. admiral applies both parts to everyone
# (its COMMENT: 'Take worst case and assume "on anticoagulation"'), i.e. the higher of
# our two readings; we apply the one the subject's anticoagulation status selects.
_ANTICOAG, _NO_ANTICOAG = Context.ANTICOAGULATED, Context.NOT_ANTICOAGULATED
_INR = Term(
    "INR increased",
    "inr",
    (
        Scale(
            "{INR}",
            (
                Band(
                    1, ">1.2 - 1.5; monitoring only indicated", (gt("1.2"), le("1.5")), _NO_ANTICOAG
                ),
                Band(
                    2, ">1.5 - 2.5; dose adjustment indicated", (gt("1.5"), le("2.5")), _NO_ANTICOAG
                ),
                Band(3, ">2.5; bleeding", (gt("2.5"),), _NO_ANTICOAG),
                Band(
                    1,
                    ">1 - 1.5 x baseline if on anticoagulation",
                    (gt("1", _BASE), le("1.5", _BASE)),
                    _ANTICOAG,
                ),
                Band(
                    2,
                    ">1.5 - 2.5 x baseline if on anticoagulation",
                    (gt("1.5", _BASE), le("2.5", _BASE)),
                    _ANTICOAG,
                ),
                Band(3, ">2.5 x baseline if on anticoagulation", (gt("2.5", _BASE),), _ANTICOAG),
            ),
        ),
    ),
    _where("Investigations"),
    note="CTCAE v5.0 defines no grade 4; grade 3's 'bleeding' is not required",
)

_TERMS = (
    *_COUNTS,
    _LYMPHOCYTOSIS,
    _ANEMIA,
    _baseline_rule(
        "Alanine aminotransferase increased", "alt", ("3.0", "5.0", "20.0"), ("1.5", False)
    ),
    _baseline_rule(
        "Aspartate aminotransferase increased", "ast", ("3.0", "5.0", "20.0"), ("1.5", False)
    ),
    _baseline_rule("Alkaline phosphatase increased", "alp", ("2.5", "5.0", "20.0"), ("2.0", False)),
    _baseline_rule("GGT increased", "ggt", ("2.5", "5.0", "20.0"), ("2.0", False)),
    _bilirubin(),
    _CREATININE,
    *_ELECTROLYTES,
    _INR,
)

#: CTCAE v5.0, keyed by term name.
CTCAE_V5 = TermTable(
    version="5.0",
    source=SOURCE,
    terms=MappingProxyType({term.name: term for term in _TERMS}),
    aliases=MappingProxyType(
        {
            "anaemia": "Anemia",
            "hypokalaemia": "Hypokalemia",
            "hyperkalaemia": "Hyperkalemia",
            "hyponatraemia": "Hyponatremia",
            "gamma-glutamyltransferase increased": "GGT increased",
        }
    ),
    analytes_without_term=MappingProxyType(
        {
            "crp": "C-reactive protein",
            "c-reactive protein": "C-reactive protein",
            "haematocrit": "Haematocrit",
            "hematocrit": "Haematocrit",
        }
    ),
)
