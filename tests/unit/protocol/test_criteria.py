"""Splitting eligibility free text: the seed, 20 real records, each shape, and properties."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from strategies import GenRecord, criteria_like_text, criteria_lists
from trialdesk.protocol.criteria import (
    CriterionItem,
    SplitCriteria,
    flatten_text,
    split_criteria,
)
from trialdesk.protocol.provenance import Source

# --- Helpers ----------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[3]
PATH = "protocolSection.eligibilityModule.eligibilityCriteria"


def seed_text() -> str:
    """The seed's criteria: a Python-literal dict on the line after "Raw JSON"."""
    page = (REPO / "studies" / "NCT07329959" / "record.txt").read_text(encoding="utf-8")
    raw = next(ln for ln in page.split("Raw JSON", 1)[1].splitlines() if ln.startswith("{"))
    text: str = ast.literal_eval(raw)["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    return text


def record_text(nct: str) -> str:
    study = json.loads(
        (REPO / "tests" / "data" / "records" / f"{nct}.json").read_text(encoding="utf-8")
    )
    text: str = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    return text


def walk(items: tuple[CriterionItem, ...]) -> list[CriterionItem]:
    return [x for item in items for x in (item, *walk(item.sub_items))]


def outline(result: SplitCriteria) -> list[str]:
    """Every item as "id text", depth first: the compact form the shape cases are written in."""
    return [f"{i.id} {i.text}" for i in walk(result.inclusion) + walk(result.exclusion)]


def words(text: str | None) -> Counter[str]:
    return Counter((text or "").split())


# --- The seed (NCT07329959) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> SplitCriteria:
    return split_criteria(seed_text(), path=PATH)


def test_seed_counts(seed: SplitCriteria) -> None:
    # Counted by hand in the seed text: inclusion "1\." to "5\." on their own lines plus "6."
    # run on after item 5 (6 items); "4\." is followed by a list "1." to "5." (5 sub-items);
    # exclusion "1." to "13." (13 items), none nested. DESIGN.md also says 6 + 13.
    assert len(seed.inclusion) == 6
    assert len(seed.exclusion) == 13
    assert [len(i.sub_items) for i in seed.inclusion] == [0, 0, 0, 5, 0, 0]
    assert all(not e.sub_items for e in seed.exclusion)
    assert [i.id for i in walk(seed.inclusion)] == [
        *("I1", "I2", "I3", "I4"),
        *("I4.1", "I4.2", "I4.3", "I4.4", "I4.5", "I5", "I6"),
    ]


def test_seed_texts(seed: SplitCriteria) -> None:
    inc, exc = seed.inclusion, seed.exclusion
    assert inc[0].text == (
        "Aged between 18 and 75 years, inclusive, with a diagnosis of idiopathic pulmonary"
        " fibrosis (IPF)."
    )
    assert inc[3].text.endswith("while not consenting to a transplant. The criteria include:")
    assert inc[3].sub_items[2].text == (
        "Six-minute walk test results showing oxygen saturation <88%, a distance walked <250"
        " meters, or a decline of >50 meters in distance over 6 months."
    )
    assert inc[3].sub_items[4].id == "I4.5"
    assert inc[4].text == "No prior cellular immunotherapy within the last 3 months."
    assert inc[5].text.startswith("Hematological parameters meeting the following thresholds:")
    assert inc[5].text.endswith("and platelet count >60 \u00d7 10⁹/L.")
    assert exc[7].text == (
        "History of severe renal failure requiring renal dialysis, or serum creatinine level"
        " >2.5 mg/dL."
    )
    # "≥5 years" inside exclusion 4 is no run-on item "5.".
    assert "no recurrence for ≥5 years" in exc[3].text


def test_seed_run_on_split_is_quoted_and_noted(seed: SplitCriteria) -> None:
    assert seed.inclusion[4].source.quote == (
        "5\\. No prior cellular immunotherapy within the last 3 months."
    )
    assert (seed.inclusion[5].source.quote or "").startswith("6. Hematological parameters")
    assert seed.notes == ("inclusion item 5 ran into item 6 on one line; split at '6.'",)
    assert seed.preamble is None


def test_seed_quotes_are_verbatim(seed: SplitCriteria) -> None:
    text = seed_text()
    for item in walk(seed.inclusion) + walk(seed.exclusion):
        assert item.source.path == PATH
        assert item.source.quote
        assert item.source.quote in text
    # The parent's quote stops before its sub-items.
    assert (seed.inclusion[3].source.quote or "").endswith("The criteria include:")


def test_flatten_text_folds_sub_items(seed: SplitCriteria) -> None:
    lines = flatten_text(seed.inclusion[3]).split("\n")
    assert len(lines) == 6
    assert lines[0] == seed.inclusion[3].text
    assert (
        lines[1]
        == "  - A decline in forced vital capacity (FVC) ≥10% over a 6-month follow-up period."
    )
    assert flatten_text(seed.inclusion[0]) == seed.inclusion[0].text


def test_models_are_frozen_and_closed() -> None:
    item = CriterionItem(id="I1", text="x", source=Source(path=PATH, quote="* x"))
    with pytest.raises(ValidationError):
        item.text = "y"  # type: ignore[misc]  # proving the model refuses it
    with pytest.raises(ValidationError):
        CriterionItem(id="I1", text="x", source=Source(), label="1.")  # type: ignore[call-arg]


# --- The 20 real records ----------------------------------------------------------------------

# (record, inclusion items, exclusion items, {item id: sub-item count} for every nested item).
# Each was counted by hand from the record's eligibilityCriteria printed with line numbers
# (`cat -n`), reading its markers and indentation; not taken from the splitter's output.
RECORD_COUNTS = [
    # Inclusion: 7 "* " lines at column 0; the first ends "provided that:" and has "  1." to
    # "  4." indented under it. Exclusion: 7 "* " lines.
    pytest.param("NCT00184067", 7, 7, {"I1": 4}, id="NCT00184067"),
    # Inclusion: 14 "* " lines (Patients must have had ... to Tumor accessible). Exclusion: 14.
    pytest.param("NCT00244972", 14, 14, {}, id="NCT00244972"),
    # Inclusion: 5 "* " lines (GBM ... surgical resection). Exclusion: 4.
    pytest.param("NCT00984438", 5, 4, {}, id="NCT00984438"),
    # One line, no markers. Inclusion reads as 4 criteria run together: "PSA level ... negative
    # biopsy" | "No major comorbidities" | "No other cancers ..." | "No history of allergic
    # reactions ...". Exclusion: "No concurrent finasteride or dutasteride" (1).
    pytest.param("NCT01105338", 4, 1, {}, id="NCT01105338"),
    # "1." to "5." under Key Inclusion, "1." to "7." under Key Exclusion; the closing
    # "The information listed above ..." paragraph is no criterion.
    pytest.param("NCT02210780", 5, 7, {}, id="NCT02210780"),
    # Inclusion: 6 "* " lines, the unbulleted "FFPE tumor tissue block ..." paragraph (a
    # criterion), 6 "* " lines, "-Patients must either be initiating ..." and 7 "* " lines: 21.
    # Exclusion: 13 "* " lines, but "... potent inhibitors or inducers of" / "* CYP3A
    # isoenzymes within 7 days ..." is one sentence broken by a stray bullet: 12.
    pytest.param("NCT02513394", 21, 12, {}, id="NCT02513394"),
    # Inclusion: 5 "* " lines. Exclusion: 7.
    pytest.param("NCT03475563", 5, 7, {}, id="NCT03475563"),
    # Inclusion: 25 "* " lines at column 0; indented "  * " under the 1st (2: hysterectomy,
    # postmenopausal), the 5th (1: "Note: Patients with pathologic N2 ...") and the 15th
    # (1: "Therefore, for women ..."). No exclusion header at all.
    pytest.param("NCT04267848", 25, 0, {"I1": 2, "I5": 1, "I15": 1}, id="NCT04267848"),
    # Inclusion: 3 "* " lines at column 0, the first with "  * a)" to "  * f)" (6 cohorts).
    # Exclusion: 6 "* " lines; the closing "Note: Other protocol defined ..." is no criterion.
    pytest.param("NCT04431453", 3, 6, {"I1": 6}, id="NCT04431453"),
    # Inclusion: 11 "* " lines. Exclusion: 14 "* " lines at column 0, the 6th ("... the
    # following conditions:") with 6 indented "  * " lines.
    pytest.param("NCT04497038", 11, 14, {"E6": 6}, id="NCT04497038"),
    # Inclusion: 7 "* " lines. Exclusion: 6.
    pytest.param("NCT04523987", 7, 6, {}, id="NCT04523987"),
    # Inclusion: 10 "* " lines. Exclusion: 10 at column 0; the 8th ("The following patients
    # will be excluded ...:") has 3 indented "  * " lines.
    pytest.param("NCT04956640", 10, 10, {"E8": 3}, id="NCT04956640"),
    # "Inclusion Criteria" (no colon) "1." to "7."; "Exclusion Criteria" "1." to "4.".
    pytest.param("NCT05052671", 7, 4, {}, id="NCT05052671"),
    # Each section opens with an unbulleted "Subjects who meet ...:" line (a lead-in, not a
    # criterion), then "1." to "7."; exclusion 6 has 3 indented "   * " exceptions.
    pytest.param("NCT05147467", 7, 7, {"E6": 3}, id="NCT05147467"),
    # Inclusion: 3 "* " lines. Exclusion: 3.
    pytest.param("NCT05150938", 3, 3, {}, id="NCT05150938"),
    # Inclusion: 7 "* " lines, ending ";". Exclusion: 7.
    pytest.param("NCT05288205", 7, 7, {}, id="NCT05288205"),
    # Inclusion: 4 "* " lines, then "Part 1 Dose Escalation cohort ONLY:" over 5 "* Part 1x"
    # lines and "Part 2 ... ONLY:" over 8 "* Part 2xx" lines: 6 items, two of them groups.
    # Exclusion: 14 "* " lines.
    pytest.param("NCT05786924", 6, 14, {"I5": 5, "I6": 8}, id="NCT05786924"),
    # No inclusion header: a "Subjects must meet all the following inclusion criteria ...:"
    # line, then 6 "* " lines. "Exclusion Criteria", a lead-in line, 9 "* " lines.
    pytest.param("NCT06385925", 6, 9, {}, id="NCT06385925"),
    # Inclusion: 14 "* " lines at column 0. The 10th (SUB-STUDY A) has "  * Cohort A1:" (4
    # "    * Stage" lines) and "  * Cohort A2:" (9, the last "Substantial LVI is defined ...");
    # the 11th has 1 "  * Note:"; the 12th (SUB-STUDY B) has 4 "  * Stage" lines.
    # Exclusion: 9 "* " lines, the 6th with 1 indented "  * Abnormal p53 ..." line.
    pytest.param(
        "NCT06388018",
        14,
        9,
        {"I10": 2, "I10.1": 4, "I10.2": 9, "I11": 1, "I12": 4, "E6": 1},
        id="NCT06388018",
    ),
    # Inclusion: 15 "* " lines (Age ... informed consent). Exclusion: 21 (candidate for
    # resection ... hypersensitivity to Hiltonol).
    pytest.param("NCT06411691", 15, 21, {}, id="NCT06411691"),
]
RECORDS = [str(p.values[0]) for p in RECORD_COUNTS]


@pytest.mark.parametrize(("nct", "n_inclusion", "n_exclusion", "subs"), RECORD_COUNTS)
def test_record_counts(nct: str, n_inclusion: int, n_exclusion: int, subs: dict[str, int]) -> None:
    result = split_criteria(record_text(nct), path=PATH)
    assert len(result.inclusion) == n_inclusion
    assert len(result.exclusion) == n_exclusion
    nested = walk(result.inclusion) + walk(result.exclusion)
    assert {i.id: len(i.sub_items) for i in nested if i.sub_items} == subs


def test_the_records_are_all_here() -> None:
    assert sorted(p.stem for p in (REPO / "tests" / "data" / "records").glob("*.json")) == sorted(
        RECORDS
    )


@pytest.mark.parametrize("nct", RECORDS)
def test_record_items_are_clean_and_quoted(nct: str) -> None:
    text = record_text(nct)
    result = split_criteria(text, path=PATH)
    for item in walk(result.inclusion) + walk(result.exclusion):
        assert item.text
        assert item.text == " ".join(item.text.split())
        assert not any(f"\\{c}" in item.text for c in "<>[]^*.()_~-")
        assert item.source.quote
        assert item.source.quote in text


def test_record_run_on_line_split_before_each_criterion() -> None:
    result = split_criteria(record_text("NCT01105338"), path=PATH)
    assert [i.text for i in result.inclusion] == [
        "PSA level 2.0-2.95 ng/mL OR PSA level ≥ 3.0 ng/mL with a negative biopsy",
        "No major comorbidities",
        "No other cancers or prior prostate malignancy",
        (
            "No history of allergic reactions to green tea or lycopene-containing products,"
            " including guava or watermelon"
        ),
    ]
    assert [i.text for i in result.exclusion] == ["No concurrent finasteride or dutasteride"]


def test_record_stray_bullet_and_loose_paragraph() -> None:
    result = split_criteria(record_text("NCT02513394"), path=PATH)
    assert result.inclusion[6].text.startswith("FFPE tumor tissue block must be confirmed")
    assert result.inclusion[13].text == (
        "Patients must either be initiating or have already started adjuvant hormonal treatment."
    )
    assert result.exclusion[4].text == (
        "Patients receiving any medications or substances that are potent inhibitors or"
        " inducers of CYP3A isoenzymes within 7 days of randomization."
    )
    assert result.notes == (
        "inclusion item 7 is an unbulleted paragraph between items",
        (
            "exclusion item 5 ended mid-sentence ('...inhibitors or inducers of'); joined with"
            " the next bullet"
        ),
    )


@pytest.mark.parametrize(
    ("nct", "preamble"),
    [
        ("NCT02210780", "The information listed above is not intended to contain all"),
        ("NCT04431453", "Note: Other protocol defined Inclusion/Exclusion criteria may apply"),
        ("NCT05147467", "Subjects who meet each of the following inclusion criteria are"),
        ("NCT06385925", "Subjects must meet all the following inclusion criteria to be"),
    ],
)
def test_record_text_that_is_no_criterion_goes_to_preamble(nct: str, preamble: str) -> None:
    assert (split_criteria(record_text(nct), path=PATH).preamble or "").startswith(preamble)


def test_record_without_inclusion_header() -> None:
    notes = split_criteria(record_text("NCT06385925"), path=PATH).notes
    assert notes[0] == "no inclusion header: items before the exclusion header treated as inclusion"


def test_record_without_exclusion_section() -> None:
    assert split_criteria(record_text("NCT04267848"), path=PATH).notes == ("no exclusion section",)


# --- One small case per shape -----------------------------------------------------------------

NO_EXCLUSION = "no exclusion section"
NO_HEADERS = "no section headers: all items treated as inclusion"
# (text, items as "id text", preamble, notes)
SHAPES = [
    pytest.param(
        "Inclusion Criteria:\n\n* Age 18\n* Consent\n\nExclusion Criteria:\n\n* Pregnant",
        ["I1 Age 18", "I2 Consent", "E1 Pregnant"],
        None,
        [],
        id="header-colon",
    ),
    pytest.param(
        "Inclusion criteria\n- Age 18\nExclusion criteria\n- Pregnant",
        ["I1 Age 18", "E1 Pregnant"],
        None,
        [],
        id="header-no-colon",
    ),
    pytest.param(
        "INCLUSION CRITERIA\n1. Age 18\nEXCLUSION CRITERIA\n1. Pregnant",
        ["I1 Age 18", "E1 Pregnant"],
        None,
        [],
        id="header-upper-case",
    ),
    pytest.param(
        "Inclusion Criteria\uff1a\n• Age 18\nExclusion Criteria\uff1a\n• Pregnant",
        ["I1 Age 18", "E1 Pregnant"],
        None,
        [],
        id="header-full-width-colon",
    ),
    pytest.param(
        "Key Inclusion Criteria:\n1) Age 18\nKey Exclusion Criteria:\n1) Pregnant",
        ["I1 Age 18", "E1 Pregnant"],
        None,
        [],
        id="header-key",
    ),
    pytest.param(
        "**Inclusion Criteria:**\n* Age 18\n**Exclusion Criteria\\:**\n* Pregnant",
        ["I1 Age 18", "E1 Pregnant"],
        None,
        [],
        id="header-markdown",
    ),
    pytest.param(
        "Inclusion Criteria: - age > 18 - able to consent Exclusion Criteria: - pregnant - HIV",
        ["I1 age > 18", "I2 able to consent", "E1 pregnant", "E2 HIV"],
        None,
        [],
        id="header-inline-one-line",
    ),
    pytest.param(
        "Inclusion Criteria: 1. Age 18 - 65 2. Consent Exclusion Criteria: 1) Pregnant",
        ["I1 Age 18 - 65", "I2 Consent", "E1 Pregnant"],
        None,
        [],
        id="header-inline-numbered",
    ),
    pytest.param(
        "1\\. Age \\>= 18\n2\\. Consent",
        ["I1 Age >= 18", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="marker-escaped-number",
    ),
    pytest.param(
        "* 1\\. Age\n* 2\\. Consent",
        ["I1 Age", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="marker-bullet-then-number",
    ),
    pytest.param(
        "1.Age 18-75\n2.Consent\n(3) ECOG 0-1",
        ["I1 Age 18-75", "I2 Consent", "I3 ECOG 0-1"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="marker-without-space-or-parenthesised",
    ),
    pytest.param(
        "I. Age\nII. Consent\nIII. ECOG 0-1\nIV. Biopsy",
        ["I1 Age", "I2 Consent", "I3 ECOG 0-1", "I4 Biopsy"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="marker-roman",
    ),
    pytest.param(
        "a) Age\nb) Consent",
        ["I1 Age", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="marker-letter",
    ),
    pytest.param(
        "1. One of:\na. Age\nb. Weight\n2. Consent",
        ["I1 One of:", "I1.1 Age", "I1.2 Weight", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="nesting-letters-after-colon",
    ),
    pytest.param(
        "1. Adequate organ function\na) ANC 1500\nb) Platelets 100\n2. Consent",
        ["I1 Adequate organ function", "I1.1 ANC 1500", "I1.2 Platelets 100", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="nesting-letters-under-numbers",
    ),
    pytest.param(
        "* Parent\n  * Child\n    - Grandchild\n* Next",
        ["I1 Parent", "I1.1 Child", "I1.1.1 Grandchild", "I2 Next"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="nesting-by-indent",
    ),
    pytest.param(
        "1\\. First\n\n2\\. Meets one of:\n\n1. A\n2. B\n\n3\\. Third",
        ["I1 First", "I2 Meets one of:", "I2.1 A", "I2.2 B", "I3 Third"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="nesting-restarted-numbering",
    ),
    pytest.param(
        "Inclusion Criteria:\n1. Prior therapy over 3 months ago. 2. Platelets >60.\n"
        "Exclusion Criteria:\n1. Pregnant",
        ["I1 Prior therapy over 3 months ago.", "I2 Platelets >60.", "E1 Pregnant"],
        None,
        ["inclusion item 1 ran into item 2 on one line; split at '2.'"],
        id="run-on-next-number",
    ),
    pytest.param(
        "1. Free of cancer for ≥5 years.\n2. Bilirubin 1.5 \u00d7 ULN. 4. Fine\n"
        "3. Neuropathy below Grade 4. Toxicity resolved.",
        [
            "I1 Free of cancer for ≥5 years.",
            "I2 Bilirubin 1.5 \u00d7 ULN. 4. Fine",
            "I3 Neuropathy below Grade 4. Toxicity resolved.",
        ],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="run-on-not-split",
    ),
    pytest.param(
        "* Adequate renal\nfunction and\n   hepatic function\n* Consent",
        ["I1 Adequate renal function and hepatic function", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="hard-wrapped",
    ),
    pytest.param(
        "Inclusion Criteria:\r\n\r\n1. Age\r\n\r\n\r\n2. Consent\r\n   signed",
        ["I1 Age", "I2 Consent signed"],
        None,
        [NO_EXCLUSION],
        id="blank-lines-crlf",
    ),
    pytest.param(
        "Patients must meet all of\nthe following.\n\nInclusion Criteria:\n* Age",
        ["I1 Age"],
        "Patients must meet all of the following.",
        [NO_EXCLUSION],
        id="lead-in-paragraph",
    ),
    pytest.param(
        "Inclusion Criteria:\n\nSubjects must meet:\n\n1. Age\n2. Consent",
        ["I1 Age", "I2 Consent"],
        "Subjects must meet:",
        [NO_EXCLUSION, "inclusion lead-in kept in preamble: 'Subjects must meet:'"],
        id="lead-in-under-header",
    ),
    pytest.param(
        "- Age\n- Consent",
        ["I1 Age", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="no-headers",
    ),
    pytest.param(
        "Inclusion Criteria:\n* Age\n\nPatients in part 2 must meet:\n\n* Biopsy\n* ECOG 0\n\n"
        "Patients in part 3 must meet:\n1. Scan\n\nExclusion Criteria:\n* Pregnant",
        [
            "I1 Age",
            "I2 Patients in part 2 must meet:",
            "I2.1 Biopsy",
            "I2.2 ECOG 0",
            "I3 Patients in part 3 must meet:",
            "I3.1 Scan",
            "E1 Pregnant",
        ],
        None,
        [
            "inclusion item 2 is an unbulleted sub-heading; its list is its sub-items",
            "inclusion item 3 is an unbulleted sub-heading; its list is its sub-items",
        ],
        id="sub-header-with-colon",
    ),
    pytest.param(
        "Inclusion Criteria:\n* Age\n\nTissue block received.\n\n* Consent",
        ["I1 Age", "I2 Tissue block received.", "I3 Consent"],
        None,
        [NO_EXCLUSION, "inclusion item 2 is an unbulleted paragraph between items"],
        id="paragraph-between-items",
    ),
    pytest.param(
        "Exclusion Criteria:\n* Pregnant\n\nOther criteria may apply.",
        ["E1 Pregnant"],
        "Other criteria may apply.",
        [
            "no inclusion section",
            "text after exclusion item 1 kept in preamble: 'Other criteria may apply.'",
        ],
        id="closing-remark",
    ),
    pytest.param(
        "* Inducers of\n* CYP3A within 7 days\n* Hepatitis A",
        ["I1 Inducers of CYP3A within 7 days", "I2 Hepatitis A"],
        None,
        [
            NO_HEADERS,
            NO_EXCLUSION,
            "inclusion item 1 ended mid-sentence ('...Inducers of'); joined with the next bullet",
        ],
        id="stray-bullet",
    ),
    pytest.param(
        "-Patients must be initiating treatment. -\n* Consent",
        ["I1 Patients must be initiating treatment.", "I2 Consent"],
        None,
        [NO_HEADERS, NO_EXCLUSION],
        id="dash-without-space",
    ),
    pytest.param(
        "Inclusion criteria: PSA under 3 ng/mL at biopsy No major illness Exclusion criteria: No"
        " finasteride",
        ["I1 PSA under 3 ng/mL at biopsy", "I2 No major illness", "E1 No finasteride"],
        None,
        [
            f"{kind} section has no item markers; split by line and before capitalised words"
            " (check)"
            for kind in ("inclusion", "exclusion")
        ],
        id="run-on-without-markers",
    ),
    pytest.param("", [], None, ["no eligibility criteria text"], id="empty"),
    pytest.param(
        "Healthy volunteers.",
        [],
        "Healthy volunteers.",
        ["no inclusion section", NO_EXCLUSION, "no items found: all text kept in preamble"],
        id="no-items",
    ),
]


@pytest.mark.parametrize(("text", "items", "preamble", "notes"), SHAPES)
def test_shape(text: str, items: list[str], preamble: str | None, notes: list[str]) -> None:
    result = split_criteria(text, path=PATH)
    assert outline(result) == items
    assert result.preamble == preamble
    assert list(result.notes) == notes
    assert all((i.source.quote or "\0") in text for i in walk(result.inclusion + result.exclusion))


# --- Properties -------------------------------------------------------------------------------


@given(st.text() | criteria_like_text)
def test_never_raises(text: str) -> None:
    result = split_criteria(text, path=PATH)
    assert isinstance(result, SplitCriteria)


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(" " * (2 * i) + "* x" for i in range(1500)),
        "\n".join("a. x:\n1. y:" for _ in range(1500)),
        "999. Item one. 1000. Another one. 1001. And more",
        "* " + "word " * 50_000,
    ],
    ids=["indent-1500-deep", "colon-groups-1500-deep", "label-past-999", "one-huge-item"],
)
def test_pathological_input_stays_bounded(text: str) -> None:
    result = split_criteria(text, path=PATH)
    assert result.inclusion
    assert max(i.id.count(".") for i in walk(result.inclusion)) < 10


@given(criteria_like_text)
def test_quotes_are_verbatim_substrings(text: str) -> None:
    result = split_criteria(text, path=PATH)
    for item in walk(result.inclusion) + walk(result.exclusion):
        assert item.source.quote
        assert item.source.quote in text


@settings(max_examples=300)
@given(criteria_lists())
def test_generated_lists_split_exactly(record: GenRecord) -> None:
    result = split_criteria(record.text, path=PATH)
    got = [(i.text, tuple(s.text for s in i.sub_items)) for i in result.inclusion]
    assert got == [(i.text, i.subs) for i in record.inclusion]
    got = [(i.text, tuple(s.text for s in i.sub_items)) for i in result.exclusion]
    assert got == [(i.text, i.subs) for i in record.exclusion]
    assert result.preamble == record.preamble
    for item in walk(result.inclusion) + walk(result.exclusion):
        assert item.source.quote
        assert item.source.quote in record.text


@settings(max_examples=300)
@given(criteria_lists())
def test_generated_lists_lose_and_repeat_no_word(record: GenRecord) -> None:
    # The input's words less markers and headers are exactly the generated words.
    result = split_criteria(record.text, path=PATH)
    expected = words(record.preamble)
    for item in record.inclusion + record.exclusion:
        expected += words(" ".join((item.text, *item.subs)))
    got = words(result.preamble)
    for found in walk(result.inclusion) + walk(result.exclusion):
        got += words(found.text)
    assert got == expected
