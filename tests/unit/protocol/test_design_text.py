# ruff: noqa: RUF001, RUF003 - registry records write amounts with the signs × and −, verbatim
"""Design name, 3+3 options and DLT window from free text: seed, shapes, real records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    design_record_like_text,
    design_unrelated_sentences,
    dlt_phrasings,
    dlt_time_units,
    dlt_window_days,
)
from trialdesk.protocol.design_text import DesignSpec, parse_design, parse_dlt_window
from trialdesk.protocol.importer import record_free_texts
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.record import parse_record_text

if TYPE_CHECKING:
    from pathlib import Path

# --- helpers ------------------------------------------------------------------------------------

SEED_INTERVENTION = "protocolSection.armsInterventionsModule.interventions[1].description"
SEED_PRIMARY = "protocolSection.outcomesModule.primaryOutcomes[0].description"


def options(spec: DesignSpec) -> dict[str, tuple[bool | int | str, bool]]:
    return {option.name: (option.value, option.default_taken) for option in spec.options}


def design_of(sentence: str) -> DesignSpec:
    return parse_design([("p", sentence)])


@pytest.fixture(scope="module")
def seed_texts(seed_record_path: Path) -> list[tuple[str, str]]:
    return record_free_texts(parse_record_text(seed_record_path.read_text(encoding="utf-8")))


# --- the seed record ------------------------------------------------------------------------------


def test_seed_design_is_3_plus_3_with_cohorts_of_three(seed_texts: list[tuple[str, str]]) -> None:
    spec = parse_design(seed_texts)
    assert spec.name == "3+3"
    assert spec.source == Source(
        path=SEED_INTERVENTION,
        quote='This trial will employ a standard "3+3" dose-escalation design: Dose Level -1 at '
        "1×10⁵ cells/kg, Dose Level 1 (starting dose) at 4×10⁵ cells/kg, and Dose Level 2 at "
        "8×10⁵ cells/kg.",
    )
    # "The 3+3 dose escalation begins with the Dose Level 1 administered to a cohort of three
    # subjects."
    assert spec.cohort_size == 3


def test_seed_rules_as_written_are_the_four_escalation_sentences(
    seed_texts: list[tuple[str, str]],
) -> None:
    quotes = [rule.quote for rule in parse_design(seed_texts).rules_as_written]
    assert quotes == [
        (
            "The 3+3 dose escalation begins with the Dose Level 1 administered to a cohort of "
            "three subjects."
        ),
        (
            "If no dose-limiting toxicities (DLTs) are observed, the dose is escalated for the "
            "next cohort."
        ),
        (
            "If one DLT occurs, the cohort is expanded to six subjects at the same dose; "
            "escalation proceeds only if no further DLTs are seen in the expanded cohort."
        ),
        (
            "If two or more DLTs occur at any point within a cohort, dose escalation stops, and "
            "the maximum tolerated dose (MTD) is defined as the highest dose level with an "
            "observed DLT rate of less than 2 out of 6 subjects."
        ),
    ]
    assert {rule.path for rule in parse_design(seed_texts).rules_as_written} == {SEED_INTERVENTION}


def test_seed_options(seed_texts: list[tuple[str, str]]) -> None:
    spec = parse_design(seed_texts)
    assert options(spec) == {
        # Only implied: "Dose Level -1 at 1×10⁵ cells/kg" is listed, no rule says "de-escalate".
        "deescalate": (True, True),
        "lower_zero_of_three": ("expand", True),
        "expand_top": (False, True),
        # Stated: "MTD is defined as the highest dose level with an observed DLT rate of less
        # than 2 out of 6 subjects".
        "mtd_requires_six": (True, False),
        "replace_non_evaluable": (True, True),
        "sentinel_dosing": (False, True),
    }
    by_name = {option.name: option for option in spec.options}
    six = by_name["mtd_requires_six"]
    assert six.source is not None
    assert six.source.path == SEED_INTERVENTION
    assert six.source.quote is not None
    assert "less than 2 out of 6 subjects" in six.source.quote
    deescalate = by_name["deescalate"]
    assert deescalate.source is None
    assert "dose level -1" in deescalate.reason
    assert SEED_INTERVENTION in deescalate.reason
    assert six.reason == (
        "the record defines the MTD by a DLT rate out of 6 subjects, so a dose holds 6 before it "
        "is the MTD"
    )
    assert all(o.source is None for o in spec.options if o.default_taken)


def test_seed_dlt_window_is_14_days(seed_texts: list[tuple[str, str]]) -> None:
    # Primary outcome: "The incidence of dose-limiting toxicity (DLT) and treatment-related
    # adverse events (TEAE) within 14 days was evaluated ..."
    window = parse_dlt_window(seed_texts)
    assert window is not None
    assert window.days == 14
    assert window.source.path == SEED_PRIMARY
    assert window.source.quote is not None
    assert window.source.quote.startswith("The incidence of dose-limiting toxicity (DLT)")


# --- design names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ('This trial will employ a standard "3+3" dose-escalation design.', "3+3"),
        ("A traditional 3 + 3 design will be used.", "3+3"),
        ("Escalation follows a three-plus-three scheme.", "3+3"),
        ("Dose escalation will follow the Bayesian optimal interval (BOIN) design.", "BOIN"),
        ("Doses are assigned by the BOIN design.", "BOIN"),
        ("Dose adjustments per the Time-To-Event Continual Reassessment Method.", "TITE-CRM"),
        ("Escalation uses a TITE-CRM.", "TITE-CRM"),
        ("The continual reassessment method (CRM) guides escalation.", "CRM"),
        ("Escalation follows the mTPI-2 design.", "mTPI-2"),
        ("Escalation follows the mTPI design.", "mTPI"),
        ("The modified toxicity probability interval (mTPI-2) design is used.", "mTPI-2"),
        ("The continual reassessment method (TITE-CRM) is used for escalation.", "TITE-CRM"),
        ("An i3+3 design will be used.", "i3+3"),
        ("The Keyboard design guides dose escalation.", "Keyboard"),
        ("An accelerated titration design is used.", "accelerated titration"),
        ("Patients are enrolled using the rolling six design.", "rolling six"),
        ("A Bayesian logistic regression model (BLRM) with EWOC guides escalation.", "BLRM"),
        ("Unlike the traditional 3+3 design, this trial uses BOIN.", "BOIN"),
        ("Rather than a 3+3 design, escalation follows the CRM.", "CRM"),
    ],
)
def test_design_names(sentence: str, name: str) -> None:
    spec = design_of(sentence)
    assert spec.name == name
    assert spec.source == Source(path="p", quote=sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This is a dose-escalation study of tipifarnib.",
        "3 + 3 = 6",
        "A 3+3+3 design is used.",
        "The Phase 1a part is a dose escalation.",
        "Patients use a keyboard to answer questionnaires.",
    ],
)
def test_no_design_named(sentence: str) -> None:
    spec = design_of(sentence)
    assert spec.name is None
    assert spec.source is None
    assert spec.options == ()


@pytest.mark.parametrize(
    ("sentence", "size"),
    [
        ("A 3+3 design treats cohorts of three patients.", 3),
        ("A 3+3 design is used.", 3),
        ("A 3+3 design is used with cohorts of 4 evaluable patients.", 4),
        ("BOIN design; 2 patients per cohort.", 2),
        ("BOIN design.", None),
        ("A 3+3 design; the cohort is expanded to a cohort of six subjects.", 3),
    ],
)
def test_cohort_size(sentence: str, size: int | None) -> None:
    assert design_of(sentence).cohort_size == size


def test_non_3_plus_3_designs_have_no_options_yet() -> None:
    assert design_of("Escalation follows the BOIN design.").options == ()


# --- 3+3 options ----------------------------------------------------------------------------------

THREE_PLUS_THREE = "A standard 3+3 dose-escalation design is used. "


@pytest.mark.parametrize(
    ("sentence", "name", "value"),
    [
        (
            "If 2 or more DLTs occur at dose level 1, the dose is de-escalated to level -1.",
            "deescalate",
            True,
        ),
        ("If the dose is too toxic, the next lower dose level is used.", "deescalate", True),
        ("There will be no de-escalation below the starting dose.", "deescalate", False),
        (
            "If the MTD is exceeded, 3 additional patients are treated at the next lower dose.",
            "lower_zero_of_three",
            "expand",
        ),
        (
            "The previous dose level is declared the MTD without further expansion.",
            "lower_zero_of_three",
            "stop",
        ),
        (
            "If no DLT occurs at the highest dose level, 3 more patients are enrolled there.",
            "expand_top",
            True,
        ),
        (
            "The MTD is the highest dose at which no more than 1 of 6 patients has a DLT.",
            "mtd_requires_six",
            True,
        ),
        (
            "The MTD is the highest dose with 0/3 or at most 1 of 6 patients with a DLT.",
            "mtd_requires_six",
            False,
        ),
        ("At least 6 patients must be treated at the MTD.", "mtd_requires_six", True),
        ("Patients who are not evaluable for DLT will be replaced.", "replace_non_evaluable", True),
        (
            "Subjects who withdraw before the end of the DLT period will not be replaced.",
            "replace_non_evaluable",
            False,
        ),
        ("Dosing within each cohort is staggered by 7 days.", "sentinel_dosing", True),
        ("A sentinel patient is dosed first in each cohort.", "sentinel_dosing", True),
        ("Patients in a cohort are treated at least 48 hours apart.", "sentinel_dosing", True),
        ("Dosing will not be staggered.", "sentinel_dosing", False),
    ],
)
def test_stated_options_are_quoted(sentence: str, name: str, value: object) -> None:
    spec = design_of(THREE_PLUS_THREE + sentence)
    option = next(o for o in spec.options if o.name == name)
    assert (option.value, option.default_taken) == (value, False)
    assert option.source == Source(path="p", quote=sentence)
    assert option.reason.startswith("the record ")


def test_defaults_name_their_reason() -> None:
    spec = design_of("A 3+3 design is used.")
    assert options(spec) == {
        "deescalate": (True, True),
        "lower_zero_of_three": ("expand", True),
        "expand_top": (False, True),
        "mtd_requires_six": (True, True),
        "replace_non_evaluable": (True, True),
        "sentinel_dosing": (False, True),
    }
    by_name = {o.name: o for o in spec.options}
    assert by_name["mtd_requires_six"].reason == (
        "the record does not say how many subjects a dose needs before it is the MTD; "
        "classical 3+3 (Storer 1989) expands a dose to 6 before declaring it the MTD"
    )
    assert "dose level -1" not in by_name["deescalate"].reason
    assert all(o.source is None and o.reason.startswith("the record ") for o in spec.options)


def test_the_highest_dose_in_an_mtd_definition_is_not_the_top_dose() -> None:
    # The seed's "the highest dose level with an observed DLT rate of less than 2 out of 6"
    # defines the MTD; it says nothing of expanding the top dose.
    spec = design_of(
        "A 3+3 design is used. The MTD is defined as the highest dose level with an observed "
        "DLT rate of less than 2 out of 6 subjects."
    )
    assert options(spec)["expand_top"] == (False, True)


def test_de_escalated_treatment_outside_a_design_is_not_an_option() -> None:
    # NCT06388018: "treated with a de-escalated adjuvant treatment directed by tumour molecular
    # status" - radiotherapy, no escalation design.
    assert design_of("Patients are treated with a de-escalated adjuvant treatment.").options == ()


# --- DLT windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "days"),
    [
        ("The DLT observation period is 28 days after the infusion.", 28),
        ("A 21-day DLT evaluation period follows each dose.", 21),
        ("DLTs are assessed during the first 29 days of therapy.", 29),
        ("A DLT is any event meeting the DLT criteria within the first 28-day cycle.", 28),
        ("DLTs are evaluated in the first cycle (21 days).", 21),
        ("DLTs are evaluated in Cycle 1 (Days 1-28).", 28),
        ("Dose-limiting toxicity is assessed within 4 weeks of dosing.", 28),
        ("DLT window: 6 weeks.", 42),
        ("DLTs are counted through Day 30.", 30),
        (
            (
                "A DLT is grade 3 toxicity not resolving within 7 days, occurring within 28 days "
                "of the first dose."
            ),
            28,
        ),
    ],
)
def test_dlt_windows(sentence: str, days: int) -> None:
    window = parse_dlt_window([("p", sentence)])
    assert window is not None
    assert window.days == days
    assert window.source == Source(path="p", quote=sentence)


@pytest.mark.parametrize(
    "text",
    [
        "Patients are followed for 28 days.",
        "DLTs will be assessed. Follow-up lasts 90 days.",
        "Grade 4 neutropenia lasting more than 7 days is a DLT.",
        "DLT is an adverse event occurring in Cycle 1 (DLT assessment period).",
        "Measured by the number of patients with dose-limiting toxicities (DLTs)",
        "A DLT is grade 3 nausea not resolving within 3 days.",
    ],
)
def test_no_dlt_window(text: str) -> None:
    assert parse_dlt_window([("p", text)]) is None


def test_an_explicit_window_beats_an_earlier_bare_within() -> None:
    texts = [
        ("a", "Patients with DLTs within 7 days of dosing are reviewed."),
        ("b", "The DLT observation period is 28 days."),
    ]
    window = parse_dlt_window(texts)
    assert window is not None
    assert (window.days, window.source.path) == (28, "b")


# --- real records ---------------------------------------------------------------------------------

# (design name, DLT window days), each read by hand from the record's free texts.
RECORDS: dict[str, tuple[str | None, int | None]] = {
    "NCT00184067": (None, None),
    # "OUTLINE: This is a dose-escalation study of tipifarnib." - no design named, no DLTs.
    "NCT00244972": (None, None),
    "NCT00984438": (None, None),
    "NCT01105338": (None, None),
    "NCT02210780": (None, None),
    "NCT02513394": (None, None),
    "NCT03475563": (None, None),
    "NCT04267848": (None, None),
    "NCT04431453": (None, None),
    # interventions[0]: "Dose adjustments may be made per the Time-To-Event modification of the
    # Continual Reassessment Method (TITE-CRM)."; primaryOutcomes[0]: "MTD/RP2D determined by
    # dose limiting toxicities (DLT) during the first 29 days of therapy."
    "NCT04497038": ("TITE-CRM", 29),
    "NCT04523987": (None, None),
    # "Phase 1a dose escalation"; "Measured by the number of patients with dose-limiting
    # toxicities (DLTs)" - neither a design nor a window.
    "NCT04956640": (None, None),
    "NCT05052671": (None, None),
    "NCT05147467": (None, None),
    "NCT05150938": (None, None),
    # primaryOutcomes[1]: "... occurring in Cycle 1 (DLT assessment period) ..." - the cycle's
    # length is not stated in the texts, so no window.
    "NCT05288205": (None, None),
    # primaryOutcomes[0]: "A DLT is defined as any event meeting the DLT criteria occurring
    # within the first 28-day cycle"; no design named.
    "NCT05786924": (None, 28),
    # "Dose escalation will continue until up to the highest planned dose or the MTD" - no design.
    "NCT06385925": (None, None),
    # "treated with a de-escalated adjuvant treatment" - radiotherapy, no design.
    "NCT06388018": (None, None),
    "NCT06411691": (None, None),
}


@pytest.mark.parametrize("nct", sorted(RECORDS))
def test_real_records(records_dir: Path, nct: str) -> None:
    record = parse_record_text((records_dir / f"{nct}.json").read_text(encoding="utf-8"))
    texts = record_free_texts(record)
    name, days = RECORDS[nct]
    spec = parse_design(texts)
    window = parse_dlt_window(texts)
    assert spec.name == name
    assert (window.days if window else None) == days
    assert spec.options == ()  # none of these names a 3+3
    by_path = dict(texts)
    for source in [*spec.rules_as_written, *([window.source] if window else [])]:
        assert source.path is not None
        assert source.quote is not None
        assert source.quote in by_path[source.path]


def test_real_record_rules_as_written(records_dir: Path) -> None:
    # NCT04497038 primaryOutcomes[0] is the only other record with escalation-rule sentences.
    record = parse_record_text((records_dir / "NCT04497038.json").read_text(encoding="utf-8"))
    rules = parse_design(record_free_texts(record)).rules_as_written
    assert [rule.quote for rule in rules] == [
        (
            "MTD/RP2D determined by dose limiting toxicities (DLT) during the first 29 days of "
            "therapy."
        ),
        (
            "The MTD/RP2D will be determined as the dose level with the highest probability of "
            "DLT not exceeding 35%."
        ),
    ]


# --- properties -----------------------------------------------------------------------------------


@given(dlt_phrasings, dlt_window_days, dlt_time_units)
def test_generated_windows_come_back(template: str, n: int, unit: tuple[str, int]) -> None:
    word, days_per_unit = unit
    window = parse_dlt_window([("p", template.format(n=n, unit=word))])
    assert window is not None
    assert window.days == n * days_per_unit


@given(design_unrelated_sentences)
def test_time_spans_without_dlt_are_no_window(sentences: list[str]) -> None:
    assert parse_dlt_window([("p", " ".join(sentences))]) is None


@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.text() | design_record_like_text),
        max_size=4,
        unique_by=lambda pair: pair[0],
    )
)
def test_parsers_never_raise(texts: list[tuple[str, str]]) -> None:
    spec = parse_design(texts)
    window = parse_dlt_window(texts)
    by_path = dict(texts)
    sources = [*spec.rules_as_written, *([spec.source] if spec.source else [])]
    for source in [*sources, *([window.source] if window else [])]:
        assert source.quote is not None
        assert source.quote in by_path[source.path or ""]
    assert (spec.options != ()) == (spec.name == "3+3")
