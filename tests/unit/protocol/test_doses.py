# ruff: noqa: RUF001, RUF003 - registry records write amounts with the signs × and −, verbatim
"""Dose levels from free text: the seed, each written shape, real records, and never a guess."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    dose_level_lists,
    dose_record_like_text,
    dose_unrelated_sentences,
    written_amounts,
)
from trialdesk.protocol.doses import DoseLevels, parse_amount, parse_dose_levels
from trialdesk.protocol.importer import record_free_texts
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.record import parse_record_text

if TYPE_CHECKING:
    from pathlib import Path

# --- helpers ------------------------------------------------------------------------------------

SEED_PATH = "protocolSection.armsInterventionsModule.interventions[1].description"


def summary(levels: DoseLevels) -> list[tuple[int | str, float, str]]:
    return [(level.label, level.amount, level.unit) for level in levels.levels]


def assert_quotes_are_verbatim(result: DoseLevels, texts: list[tuple[str, str]]) -> None:
    by_path = dict(texts)
    sources = [level.source for level in result.levels]
    for source in [*sources, *([result.start_source] if result.start_source else [])]:
        assert source.path in by_path
        assert source.quote
        assert source.quote in by_path[source.path]


@pytest.fixture(scope="module")
def seed_texts(seed_record_path: Path) -> list[tuple[str, str]]:
    return record_free_texts(parse_record_text(seed_record_path.read_text(encoding="utf-8")))


# --- the seed record ------------------------------------------------------------------------------


def test_seed_levels_exactly(seed_texts: list[tuple[str, str]]) -> None:
    # NCT07329959 interventions[1]: "Dose Level -1 at 1×10⁵ cells/kg, Dose Level 1 (starting
    # dose) at 4×10⁵ cells/kg, and Dose Level 2 at 8×10⁵ cells/kg"
    result = parse_dose_levels(seed_texts)
    assert result.stated is True
    assert [(lv.label, lv.order, lv.amount, lv.unit, lv.is_start) for lv in result.levels] == [
        (-1, 1, 100000.0, "cells/kg", False),
        (1, 2, 400000.0, "cells/kg", True),
        (2, 3, 800000.0, "cells/kg", False),
    ]
    assert [lv.amount_as_written for lv in result.levels] == ["1×10⁵", "4×10⁵", "8×10⁵"]
    assert {lv.unit_as_written for lv in result.levels} == {"cells/kg"}
    assert [lv.source for lv in result.levels] == [
        Source(path=SEED_PATH, quote="Dose Level -1 at 1×10⁵ cells/kg"),
        Source(path=SEED_PATH, quote="Dose Level 1 (starting dose) at 4×10⁵ cells/kg"),
        Source(path=SEED_PATH, quote="Dose Level 2 at 8×10⁵ cells/kg"),
    ]
    assert result.start_label == 1
    assert result.start_source == Source(
        path=SEED_PATH, quote="Dose Level 1 (starting dose) at 4×10⁵ cells/kg"
    )
    assert result.notes == ()


def test_seed_labels_are_not_indices(seed_texts: list[tuple[str, str]]) -> None:
    labels = [level.label for level in parse_dose_levels(seed_texts).levels]
    assert 0 not in labels
    assert all(isinstance(label, int) for label in labels)


@pytest.mark.parametrize(
    "statement",
    [
        "Dose Level 1 (starting dose) at 4×10⁵ cells/kg.",
        "Dose Level 1 at 4×10⁵ cells/kg. The starting dose was determined to be 4×10⁵ cells/kg.",
        "Dose Level 1 at 4×10⁵ cells/kg. The 3+3 dose escalation begins with the Dose Level 1.",
    ],
)
def test_seed_start_follows_from_each_statement_alone(statement: str) -> None:
    # NCT07329959 states the start three ways: the "(starting dose)" mark, "the starting dose
    # was determined to be 4×10⁵ cells/kg", and "The 3+3 dose escalation begins with the Dose
    # Level 1". Each alone names level 1.
    text = f"Dose Level -1 at 1×10⁵ cells/kg, Dose Level 2 at 8×10⁵ cells/kg. {statement}"
    result = parse_dose_levels([("p", text)])
    assert result.start_label == 1
    assert [level.is_start for level in result.levels] == [False, False, True]


# --- parse_amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("4×10⁵", 400000.0),
        ("4x10^5", 400000.0),
        ("4 x 10e5", 400000.0),
        ("4*10^5", 400000.0),
        ("4.0E+05", 400000.0),
        ("1.5 × 10⁶", 1500000.0),
        ("400,000", 400000.0),
        ("0.5", 0.5),
        ("2 x 10⁻³", 0.002),
        ("10⁶", 1000000.0),
        ("10^6", 1000000.0),
        ("3 million", 3000000.0),
        ("4 x 10^−5", 0.00004),
    ],
)
def test_parse_amount_notations(written: str, value: float) -> None:
    assert parse_amount(written) == (value, written)


def test_parse_amount_reads_only_the_leading_amount() -> None:
    assert parse_amount("  8×10⁵ cells/kg") == (800000.0, "8×10⁵")
    assert parse_amount("4 x 10 patients") == (4.0, "4")


@pytest.mark.parametrize("written", ["", "cells", "x10^5", "1,5", "4x10^12345", "2^5", "1.2.3"])
def test_parse_amount_refuses_what_it_cannot_read_whole(written: str) -> None:
    assert parse_amount(written) is None


@given(written_amounts)
def test_parse_amount_round_trips_every_notation(amount: tuple[str, float]) -> None:
    written, value = amount
    assert parse_amount(written) == (value, written)


@given(st.integers(min_value=1000, max_value=10**12))
def test_parse_amount_reads_thousands_separators(n: int) -> None:
    assert parse_amount(f"{n:,}") == (float(n), f"{n:,}")


@given(st.text())
def test_parse_amount_never_raises(text: str) -> None:
    parse_amount(text)


# --- shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "start"),
    [
        ("Dose level 1: 100 mg", [(1, 100.0, "mg")], None),
        ("DL1 = 0.3 mg/kg", [(1, 0.3, "mg/kg")], None),
        ("dose level -1 (50 mg/m2) if level 1 is too toxic", [(-1, 50.0, "mg/m2")], None),
        ("Cohort 1: 1 x 10^6 CAR-T cells/kg", [(1, 1000000.0, "cells/kg")], None),
        (
            "Cohort A: 100 mg BID, Cohort B: 200 mg BID",
            [("A", 100.0, "mg"), ("B", 200.0, "mg")],
            None,
        ),
        ("Dose level 1a: 5 µg/kg", [("1a", 5.0, "ug/kg")], None),
        ("Dose level 2 is 2 mcg/m² per day", [(2, 2.0, "ug/m2/day")], None),
        ("Dose level 1: 10 mg/kg/day", [(1, 10.0, "mg/kg/day")], None),
        ("Dose level 1: 1 x10^6 cells", [(1, 1000000.0, "cells")], None),
        (
            "DL-1: 50 mg; DL1: 100 mg (starting dose); DL2: 200 mg",
            [(-1, 50.0, "mg"), (1, 100.0, "mg"), (2, 200.0, "mg")],
            1,
        ),
        (
            "The escalation starts at dose level 2. Dose level 1: 10 mg, Dose level 2: 20 mg",
            [(1, 10.0, "mg"), (2, 20.0, "mg")],
            2,
        ),
        (
            "The starting dose is 20 mg. Dose level 1 is 10 mg. Dose level 2 is 20 mg.",
            [(1, 10.0, "mg"), (2, 20.0, "mg")],
            2,
        ),
        (
            "Dose levels (x10^5 cells/kg):\n- Level 1: 4\n- Level 2: 8\n",
            [(1, 400000.0, "cells/kg"), (2, 800000.0, "cells/kg")],
            None,
        ),
        (
            "Dose levels:\n- Level 1: 4 x 10^5 cells/kg\n- Level 2: 8 x 10^5",
            [(1, 400000.0, "cells/kg"), (2, 800000.0, "cells/kg")],
            None,
        ),
    ],
)
def test_labelled_shapes(
    text: str, expected: list[tuple[int | str, float, str]], start: int | None
) -> None:
    result = parse_dose_levels([("p", text)])
    assert result.stated is True
    assert summary(result) == expected
    assert result.start_label == start
    assert_quotes_are_verbatim(result, [("p", text)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Escalation uses dose levels of 100, 200 and 400 mg.", [100.0, 200.0, 400.0]),
        ("Planned dose levels: 0.3, 1, 3, and 10 mg/kg", [0.3, 1.0, 3.0, 10.0]),
        ("escalating doses of 1×10⁶, 3×10⁶ and 1×10⁷ cells/kg", [1e6, 3e6, 1e7]),
        ("dose levels are 100 mg, 200 mg or 300 mg", [100.0, 200.0, 300.0]),
    ],
)
def test_unlabelled_lists_are_labelled_in_order_with_a_note(
    text: str, expected: list[float]
) -> None:
    result = parse_dose_levels([("p", text)])
    assert [level.label for level in result.levels] == list(range(1, len(expected) + 1))
    assert [level.amount for level in result.levels] == expected
    assert any("carry no labels" in note for note in result.notes)


def test_order_ranks_by_amount_not_by_label_or_position() -> None:
    text = "Dose level 2: 200 mg. Dose level -1: 25 mg. Dose level 1: 100 mg. Dose level 3: 100 mg."
    result = parse_dose_levels([("p", text)])
    assert [(lv.label, lv.order) for lv in result.levels] == [(2, 4), (-1, 1), (1, 2), (3, 3)]


def test_conflicting_texts_keep_the_first_and_say_so() -> None:
    texts = [("a", "Dose level 2: 200 mg"), ("b", "Dose level 2: 250 mg")]
    result = parse_dose_levels(texts)
    assert summary(result) == [(2, 200.0, "mg")]
    assert result.notes == (
        (
            "two statements give different amounts for level 2: kept the first "
            "(a: 'Dose level 2: 200 mg'), ignored (b: 'Dose level 2: 250 mg')"
        ),
    )


def test_repeated_agreeing_texts_give_one_level_and_no_note() -> None:
    texts = [("a", "Dose level 1: 4×10⁵ cells/kg"), ("b", "Dose Level 1 at 4 x 10^5 cells/kg")]
    result = parse_dose_levels(texts)
    assert summary(result) == [(1, 400000.0, "cells/kg")]
    assert result.notes == ()


def test_conflicting_start_statements_take_none() -> None:
    text = "Dose level 1: 10 mg (starting dose). Dose level 2: 20 mg. Escalation begins at level 2."
    result = parse_dose_levels([("p", text)])
    assert result.start_label is None
    assert result.start_source is None
    assert any("different starting levels" in note for note in result.notes)


def test_unit_less_rows_without_a_table_unit_are_not_read() -> None:
    result = parse_dose_levels([("p", "Dose levels:\n- Level 1: 4\n- Level 2: 8\n")])
    assert result.stated is False
    assert result.notes == (
        "no unit is written beside dose level(s) 1, 2 in p, nor one for its table: not read",
    )


def test_levels_in_mixed_units_are_flagged() -> None:
    result = parse_dose_levels([("p", "Dose level 1: 100 mg. Dose level 2: 2 mg/kg.")])
    assert "the dose levels are written in different units: their order needs review" in (
        result.notes
    )


def test_a_label_without_a_readable_amount_is_noted() -> None:
    result = parse_dose_levels([("p", "Dose level 1: drug A 100 mg + drug B 5 mg")])
    assert result.stated is False
    assert result.notes == ("Dose level 1 in p is followed by something not read as an amount",)


@pytest.mark.parametrize(
    "text",
    [
        "approximately 100 ml of blood using a blood cell separator",
        "Subjects aged 18-75 years; ≥ 5 years since diagnosis; within 14 days",
        "Cohort 1: ≥ 12 years to < 18 years and weight ≥ 40 kg",
        "Dose level 1 at 2 mg/dL",
        "patients receive doses of 100 mg and 200 mg",
        "APG-2575 orally once daily at 600mg dose levels, every 28 days as a cycle.",
        "The phase 1 part will evaluate the prespecified dose levels of TSN1611.",
        "Cabozantinib 20-60 mg by mouth once daily.",
        "Two injections of Dupilumab 300 mg (for a total of 600 mg) as a loading dose",
    ],
)
def test_numbers_not_tied_to_a_dose_level_are_not_levels(text: str) -> None:
    result = parse_dose_levels([("p", text)])
    assert result.stated is False
    assert result.levels == ()
    assert result.start_label is None


# --- real records ---------------------------------------------------------------------------------

# Read by hand: none of these states numeric dose levels.
NO_LEVELS = {
    "NCT00184067": "melanoma peptide vaccine, randomised by adjuvant; no doses in the texts",
    "NCT00244972": '"This is a dose-escalation study of tipifarnib." - but no amounts are given',
    "NCT00984438": "carmustine wafer + irinotecan/bevacizumab 'every 2 weeks'; no amounts",
    "NCT01105338": "lycopene / green tea capsules; no amounts",
    "NCT02210780": '"Dupilumab 300 mg (for a total of 600 mg) as a loading dose": one fixed dose',
    "NCT02513394": '"Palbociclib at a dose of 125 mg orally once daily": one fixed dose',
    "NCT03475563": "coronary stent registry; no doses",
    "NCT04267848": "pembrolizumab + platinum doublets, 'every 21 days'; no amounts",
    "NCT04431453": '"Cohort 1: ≥ 12 years to < 18 years and weight ≥ 40 kg": cohorts by age',
    "NCT04523987": "ciprofloxacin twice a day in 28-day cycles; no amounts",
    "NCT04956640": '"Phase 1a dose escalation" with no levels stated',
    "NCT05052671": "observational ctDNA study",
    "NCT05147467": '"APG-2575 orally once daily at 600mg dose levels": one fixed dose',
    "NCT05150938": "observational registry study",
    "NCT05288205": '"dose escalation phase" with no levels stated',
    "NCT05786924": '"at escalating dose levels until the BED range is determined": no amounts',
    "NCT06385925": '"will evaluate the prespecified dose levels of TSN1611": no amounts',
    "NCT06388018": "radiotherapy de-escalation by molecular class; no doses",
    "NCT06411691": '"0.3 mg per peptide vaccine", "240 mg IV", "75 mg IV": fixed doses',
}


@pytest.mark.parametrize("nct", sorted(NO_LEVELS))
def test_records_that_state_no_levels(records_dir: Path, nct: str) -> None:
    record = parse_record_text((records_dir / f"{nct}.json").read_text(encoding="utf-8"))
    result = parse_dose_levels(record_free_texts(record))
    assert result.stated is False
    assert result.levels == ()
    assert result.start_label is None


def test_record_with_a_start_dose_but_no_levels_says_so(records_dir: Path) -> None:
    # NCT04497038 interventions[0]: "Dosage in the trial will start at 40 mg PO daily. ...
    # The maximum dosage will be 60 mg PO daily and the minimum will be 20 mg PO daily."
    # A start, a minimum and a maximum are not a list of levels: nothing is invented between.
    text = (records_dir / "NCT04497038.json").read_text(encoding="utf-8")
    result = parse_dose_levels(record_free_texts(parse_record_text(text)))
    assert result.stated is False
    assert result.notes == (
        (
            "a starting dose is stated (protocolSection.armsInterventionsModule.interventions[0]"
            ".description: 'start at 40 mg') but the record states no dose levels"
        ),
    )


# --- properties -----------------------------------------------------------------------------------


@given(dose_level_lists)
def test_generated_level_lists_come_back_whole(
    levels: list[tuple[int, tuple[str, float], str]],
) -> None:
    items = [f"Dose Level {label} at {written} {unit}" for label, (written, _), unit in levels]
    text = "The dose levels are " + ", ".join(items[:-1]) + (" and " if items[:-1] else "")
    text += items[-1] + "."
    result = parse_dose_levels([("p", text)])
    assert summary(result) == [(label, value, unit) for label, (_, value), unit in levels]
    assert sorted(level.order for level in result.levels) == list(range(1, len(levels) + 1))
    assert_quotes_are_verbatim(result, [("p", text)])


@given(dose_unrelated_sentences)
def test_unrelated_numbers_never_become_levels(sentences: list[str]) -> None:
    result = parse_dose_levels([("p", ". ".join(sentences) + ".")])
    assert result.stated is False
    assert result.levels == ()


@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.text() | dose_record_like_text),
        max_size=4,
        unique_by=lambda pair: pair[0],
    )
)
def test_parse_dose_levels_never_raises(texts: list[tuple[str, str]]) -> None:
    result = parse_dose_levels(texts)
    assert result.stated == bool(result.levels)
    assert_quotes_are_verbatim(result, texts)
