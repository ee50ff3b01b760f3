"""Form entries: every validation path, exact unit conversion, versioned corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from trialdesk.clinical.units import Quantity
from trialdesk.conduct.form_entry import (
    EntryValidation,
    FormEntry,
    FormEntryError,
    IssueKind,
    MeasuredValue,
    correct_entry,
    record_entry,
    validate_entry,
)
from trialdesk.protocol.forms import FormDef

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
FORM = FormDef.model_validate(
    {
        "id": "labs",
        "version": "1.0",
        "title": "Labs",
        "groups": [
            {
                "id": "main",
                "label": "Main",
                "items": [
                    {
                        "id": "sampled_at",
                        "label": "Sampled at",
                        "type": "datetime",
                        "required": True,
                    },
                    {"id": "visit_date", "label": "Visit date", "type": "date"},
                    {"id": "note", "label": "Note", "type": "text"},
                    {"id": "fasting", "label": "Fasting", "type": "boolean"},
                    {
                        "id": "count",
                        "label": "Count",
                        "type": "integer",
                        "range": {"min": 0, "max": 10},
                    },
                    {
                        "id": "il6",
                        "label": "IL-6",
                        "type": "decimal",
                        "unit": "pg/mL",
                        "range": {"min": 0, "max": 1000},
                    },
                    {
                        "id": "grade",
                        "label": "Grade",
                        "type": "code",
                        "codes": {"1": "mild", "2": "moderate"},
                    },
                    {
                        "id": "creatinine",
                        "label": "Creatinine",
                        "type": "quantity",
                        "unit": "mg/dL",
                        "analyte": "creatinine",
                        "range": {"min": "0.1", "max": 20},
                        "reference_range": True,
                    },
                    {
                        "id": "weight",
                        "label": "Weight",
                        "type": "quantity",
                        "unit": "kg",
                        "range": {"min": 20, "max": 250},
                    },
                ],
            },
            {
                "id": "events",
                "label": "Events",
                "repeating": True,
                "items": [
                    {"id": "term", "label": "Term", "type": "text", "required": True},
                    {
                        "id": "ae_grade",
                        "label": "AE grade",
                        "type": "code",
                        "required": True,
                        "codes": {"1": "g1", "2": "g2"},
                    },
                ],
            },
        ],
    }
)
VALID: dict[str, object] = {"sampled_at": "2026-03-01T08:00+08:00"}


def _issues(values: dict[str, object]) -> list[tuple[str, IssueKind, str]]:
    return [(i.path, i.kind, i.message) for i in validate_entry(FORM, values).issues]


def test_a_valid_entry_is_normalised() -> None:
    result = validate_entry(
        FORM,
        {
            "sampled_at": "2026-03-01T08:00+08:00",
            "visit_date": "2026-03-01",
            "note": "  haemolysed  ",
            "fasting": "yes",
            "count": "3",
            "il6": 12.5,
            "grade": 2,
            "creatinine": {"value": "1.2", "unit": "mg/dL", "lln": "0.6", "uln": "1.3"},
            "weight": Quantity(Decimal(70500), "g"),
            "events": [{"term": "Fever", "ae_grade": "1"}],
        },
    )
    assert result.ok, result.describe()
    assert result.values == {
        "sampled_at": datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))),
        "visit_date": date(2026, 3, 1),
        "note": "haemolysed",
        "fasting": True,
        "count": 3,
        "il6": Decimal("12.5"),
        "grade": "2",
        "creatinine": MeasuredValue(
            value=Decimal("1.2"), unit="mg/dL", lln=Decimal("0.6"), uln=Decimal("1.3")
        ),
        "weight": MeasuredValue(value=Decimal("70.5"), unit="kg", as_entered="70500 g"),
        "events": ({"term": "Fever", "ae_grade": "1"},),
    }
    assert (result.form_id, result.form_version) == ("labs", "1.0")


def test_a_missing_required_item_is_named() -> None:
    assert _issues({"sampled_at": None}) == [
        ("sampled_at", IssueKind.MISSING, "Sampled at (`sampled_at`) is required")
    ]
    assert _issues({"sampled_at": "  "})[0][1] is IssueKind.MISSING


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("count", 2.5, "expected a whole number, got 2.5 (float)"),
        ("count", True, "expected a whole number, got True (bool)"),
        ("il6", "twelve", "expected a number, got 'twelve' (str)"),
        ("il6", float("nan"), "expected a number, got nan (float)"),
        ("note", 5, "expected text, got 5 (int)"),
        ("fasting", "maybe", "expected yes or no (true/false), got 'maybe' (str)"),
        ("visit_date", "01/03/2026", "expected a date (YYYY-MM-DD), got '01/03/2026' (str)"),
        ("visit_date", AT, "expected a date (YYYY-MM-DD)"),
        ("sampled_at", "2026-03-01T08:00", "with its UTC offset"),
        ("sampled_at", datetime(2026, 3, 1), "with its UTC offset"),  # noqa: DTZ001 - the point
        ("grade", True, "expected a code (text), got True (bool)"),
        ("weight", "heavy", "expected a number in kg, got 'heavy' (str)"),
        ("weight", {"value": 70, "unit": "kg", "colour": "red"}, "a mapping of value, unit"),
    ],
)
def test_a_wrong_type_is_named_with_what_was_expected(
    item: str, value: object, expected: str
) -> None:
    [(path, kind, message)] = _issues({**VALID, item: value})
    assert (path, kind) == (item, IssueKind.WRONG_TYPE)
    assert expected in message


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("count", 11, "Count: 11 is outside the allowed range 0 to 10"),
        ("il6", "-1", "IL-6: -1 pg/mL is outside the allowed range 0 to 1000 pg/mL"),
        (
            "creatinine",
            {"value": "2000", "unit": "umol/L", "uln": 110},
            (
                "Creatinine: 2000 umol/L (= 22.61931689662972178240217145 mg/dL) "
                "is outside the allowed range 0.1 to 20 mg/dL"
            ),
        ),
        ("weight", 19, "Weight: 19 kg is outside the allowed range 20 to 250 kg"),
    ],
)
def test_a_value_out_of_range_names_the_range_and_unit(
    item: str, value: object, message: str
) -> None:
    assert _issues({**VALID, item: value}) == [(item, IssueKind.OUT_OF_RANGE, message)]


def test_an_incompatible_unit_is_refused_naming_both_units() -> None:
    [(path, kind, message)] = _issues({**VALID, "weight": {"value": 70, "unit": "mmol/L"}})
    assert (path, kind) == ("weight", IssueKind.UNIT)
    assert "'mmol/L' cannot be converted to kg" in message
    [(_, kind, message)] = _issues({**VALID, "weight": {"value": 70, "unit": "stone"}})
    assert kind is IssueKind.UNIT
    assert "'stone' cannot be converted to kg" in message


def test_a_cross_dimension_conversion_uses_the_items_analyte() -> None:
    # Creatinine 1 mg/dL = 88.42 umol/L (trialdesk.clinical.units.ANALYTE_FACTORS).
    result = validate_entry(
        FORM, {**VALID, "creatinine": {"value": "88.42", "unit": "umol/L", "uln": "97.262"}}
    )
    assert result.values["creatinine"] == MeasuredValue(
        value=Decimal(1), unit="mg/dL", uln=Decimal("1.1"), as_entered="88.42 umol/L"
    )


def test_an_unknown_code_lists_the_codes() -> None:
    expected = "Grade: '3' is not a code of this item; expected one of: 1 (mild), 2 (moderate)"
    assert _issues({**VALID, "grade": "3"}) == [("grade", IssueKind.UNKNOWN_CODE, expected)]


def test_unknown_items_are_named() -> None:
    assert _issues({**VALID, "colour": "red", "term": "x"}) == [
        ("colour", IssueKind.UNKNOWN_ITEM, "form labs has no item `colour`"),
        (
            "term",
            IssueKind.UNKNOWN_ITEM,
            "`term` belongs to the repeating group `events`: give it inside its rows",
        ),
    ]


def test_repeating_rows_are_checked_one_by_one() -> None:
    rows = [{"term": "Fever", "ae_grade": "9"}, {"ae_grade": "1", "extra": 1}, "not a row"]
    assert _issues({**VALID, "events": rows}) == [
        (
            "events[0].ae_grade",
            IssueKind.UNKNOWN_CODE,
            "AE grade: '9' is not a code of this item; expected one of: 1 (g1), 2 (g2)",
        ),
        ("events[1].term", IssueKind.MISSING, "Term (`term`) is required"),
        ("events[1].extra", IssueKind.UNKNOWN_ITEM, "group events has no `extra`"),
        ("events[2]", IssueKind.WRONG_TYPE, "row 3: expected a mapping of items, got str"),
    ]
    assert _issues({**VALID, "events": {"term": "x"}}) == [
        ("events", IssueKind.WRONG_TYPE, "expected a list of rows, got dict")
    ]
    assert validate_entry(FORM, {**VALID, "events": []}).values == {
        "sampled_at": datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    }


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("creatinine", {"value": 1}, "the lab's reference range (lln and/or uln) is required"),
        ("creatinine", {"value": 1, "lln": 2, "uln": 1}, "lln 2 is above uln 1 mg/dL"),
        ("creatinine", {"value": 1, "uln": "high"}, "uln: expected a number in mg/dL"),
        ("weight", {"value": 70, "uln": 80}, "this item takes no uln (it is not a lab result)"),
    ],
)
def test_reference_ranges_of_lab_results(item: str, value: object, message: str) -> None:
    [(path, kind, text)] = _issues({**VALID, item: value})
    assert (path, kind) == (item, IssueKind.REFERENCE_RANGE)
    assert message in text


def test_every_issue_is_reported_at_once() -> None:
    issues = _issues({"count": 99, "grade": "x", "colour": 1})
    assert [kind for _, kind, _ in issues] == [
        IssueKind.MISSING,
        IssueKind.OUT_OF_RANGE,
        IssueKind.UNKNOWN_CODE,
        IssueKind.UNKNOWN_ITEM,
    ]


@given(st.decimals(min_value=-50, max_value=300, places=3, allow_nan=False))
def test_decimal_range_is_inclusive_and_exact(value: Decimal) -> None:
    inside = Decimal(20) <= value <= Decimal(250)
    result = validate_entry(FORM, {**VALID, "weight": value})
    assert result.ok is inside
    if inside:
        assert result.values["weight"] == MeasuredValue(value=value, unit="kg")


@given(st.integers(min_value=-5, max_value=15))
def test_integer_range_is_inclusive(value: int) -> None:
    assert validate_entry(FORM, {**VALID, "count": value}).ok is (0 <= value <= 10)


@given(st.decimals(min_value=20, max_value=250, places=6, allow_nan=False))
def test_grams_convert_to_kilograms_exactly(kilograms: Decimal) -> None:
    grams = kilograms * 1000
    result = validate_entry(FORM, {**VALID, "weight": {"value": grams, "unit": "g"}})
    measured = result.values["weight"]
    assert isinstance(measured, MeasuredValue)
    assert Fraction(measured.value) == Fraction(kilograms)


@given(st.decimals(min_value="0.1", max_value=20, places=4, allow_nan=False))
def test_creatinine_round_trips_through_umol_per_litre(mg_dl: Decimal) -> None:
    umol_l = mg_dl * Decimal("88.42")
    result = validate_entry(
        FORM, {**VALID, "creatinine": {"value": umol_l, "unit": "umol/L", "uln": 110}}
    )
    measured = result.values["creatinine"]
    assert isinstance(measured, MeasuredValue)
    assert measured.value == mg_dl


def _entry(values: dict[str, Any] | None = None) -> FormEntry:
    validation = validate_entry(FORM, {**VALID, "count": 1, **(values or {})})
    return record_entry(validation, "S-001", "day_0", "coordinator", AT)


def test_record_entry_keeps_the_form_version_and_refuses_invalid_values() -> None:
    entry = _entry()
    assert (entry.form_id, entry.form_version, entry.version, entry.reason) == (
        "labs",
        "1.0",
        1,
        None,
    )
    with pytest.raises(
        FormEntryError, match=r"form labs v1.0 has 1 invalid item\(s\):\ncount: Count: 99"
    ):
        _entry({"count": 99})


def test_A4_a_correction_without_a_reason_is_refused() -> None:
    entry = _entry()
    corrected = validate_entry(FORM, {**VALID, "count": 2})
    for reason in (None, "", "   "):
        with pytest.raises(
            FormEntryError, match=r"refused \(PART11 A4: a correction names its reason\)"
        ):
            correct_entry(entry, corrected, reason, "monitor", AT)
    with pytest.raises(ValidationError, match="version 2 is a correction and needs a reason"):
        FormEntry.model_validate({**entry.model_dump(), "version": 2})


def test_a_correction_is_a_new_version_and_leaves_the_previous_untouched() -> None:
    entry = _entry()
    before = entry.model_dump()
    corrected = correct_entry(
        entry, validate_entry(FORM, {**VALID, "count": 2}), " transcription error ", "monitor", AT
    )
    assert entry.model_dump() == before
    assert (corrected.version, corrected.reason, corrected.entered_by) == (
        2,
        "transcription error",
        "monitor",
    )
    assert (corrected.values["count"], entry.values["count"]) == (2, 1)
    assert (corrected.subject_id, corrected.visit_id) == ("S-001", "day_0")
    again = correct_entry(
        corrected, validate_entry(FORM, {**VALID, "count": 3}), "lab re-run", "pi", AT
    )
    assert again.version == 3


def test_a_correction_must_be_valid_and_of_the_same_form() -> None:
    entry = _entry()
    with pytest.raises(FormEntryError, match="every item is valid"):
        correct_entry(entry, validate_entry(FORM, {"count": 50}), "typo", "monitor", AT)
    other = EntryValidation(form_id="vitals", form_version="1.0", values={})
    with pytest.raises(FormEntryError, match="cannot be corrected with form vitals"):
        correct_entry(entry, other, "typo", "monitor", AT)


def test_an_entry_needs_an_aware_time_and_a_first_version_has_no_reason() -> None:
    entry = _entry()
    with pytest.raises(ValidationError, match="timezone"):
        FormEntry.model_validate({**entry.model_dump(), "entered_at": datetime(2026, 3, 1)})  # noqa: DTZ001
    with pytest.raises(ValidationError, match="not a correction"):
        FormEntry.model_validate({**entry.model_dump(), "reason": "why"})


def test_a_stored_entry_revalidates_to_the_same_values() -> None:
    entry = _entry(
        {"creatinine": {"value": 1, "uln": "1.3"}, "events": [{"term": "Rash", "ae_grade": 2}]}
    )
    stored = entry.model_dump(mode="json")["values"]
    stored["creatinine"] = {k: v for k, v in stored["creatinine"].items() if k != "as_entered"}
    assert validate_entry(FORM, stored).values == entry.values


AE_FORM = FormDef.model_validate(
    {
        "id": "ae",
        "version": "1.0",
        "title": "Adverse events",
        "groups": [
            {
                "id": "events",
                "label": "Events",
                "repeating": True,
                "items": [
                    {"id": "serious", "label": "Serious", "type": "boolean", "required": True},
                    {
                        "id": "criterion",
                        "label": "Seriousness criterion",
                        "type": "code",
                        "codes": {"death": "death", "hospitalisation": "hospitalisation"},
                        "required_when": {"item": "serious", "equals": [True]},
                    },
                ],
            }
        ],
    }
)


def test_an_item_required_when_another_holds_a_value_is_required_only_then() -> None:
    rows = [{"serious": True}, {"serious": False}, {"serious": "yes", "criterion": "death"}, {}]
    issues = validate_entry(AE_FORM, {"events": rows}).issues
    assert [(issue.path, issue.kind) for issue in issues] == [
        ("events[0].criterion", IssueKind.MISSING),
        ("events[3].serious", IssueKind.MISSING),
    ]
    assert issues[0].message == (
        "Seriousness criterion (`criterion`) is required when `serious` is true"
    )


@given(st.booleans(), st.sampled_from([None, "death", "hospitalisation"]))
def test_required_when_follows_its_condition(serious: bool, criterion: str | None) -> None:
    row: dict[str, object] = {"serious": serious, "criterion": criterion}
    issues = validate_entry(AE_FORM, {"events": [row]}).issues
    assert bool(issues) == (serious and criterion is None)
