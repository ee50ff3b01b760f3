"""Form definitions: refused when they cannot be right; the seed's forms load and cover it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from trialdesk.clinical.mrc import MRC_DESCRIPTORS
from trialdesk.clinical.sgrq_weights import SGRQ_ITEMS
from trialdesk.protocol.forms import FormDef, FormSet, ItemDef, ItemType, check_form_set
from trialdesk.store import load_study
from trialdesk.store.forms_yaml import load_form_set

SEED_DIR = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959"
SEED_STUDY = load_study(SEED_DIR / "study.yaml")
SEED_FORMS = load_form_set(SEED_DIR / "forms.yaml", SEED_STUDY)


def _item(**fields: Any) -> ItemDef:
    return ItemDef.model_validate({"id": "x", "label": "X", "type": "decimal", **fields})


def _form(*items: dict[str, Any], form_id: str = "f") -> FormDef:
    return FormDef.model_validate(
        {
            "id": form_id,
            "version": "1.0",
            "title": "F",
            "groups": [{"id": "g", "label": "G", "items": list(items)}],
        }
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "quantity"}, "a quantity item needs a unit"),
        ({"type": "quantity", "unit": "furlong"}, "a UCUM code"),
        ({"type": "quantity", "unit": "mmHg"}, "is an alias; write the UCUM code 'mm[Hg]'"),
        ({"type": "text", "unit": "kg"}, "a text item has no unit"),
        ({"unit": "pg per mL"}, "is not a UCUM code"),
        ({"range": {"min": 5, "max": 1}}, "range min 5 is greater than max 1"),
        ({"range": {}}, "a range needs a min, a max or both"),
        ({"type": "date", "range": {"min": 0}}, "a date item has no numeric range"),
        ({"type": "code"}, "a code item needs a non-empty code list"),
        ({"type": "code", "codes": {}}, "a code item needs a non-empty code list"),
        ({"codes": {"a": "A"}}, "a decimal item has no code list"),
        ({"reference_range": True}, "belong to quantity items only"),
        ({"analyte": "creatinine"}, "belong to quantity items only"),
        (
            {"required": True, "derived_from": {"method": "m", "items": ["y"]}},
            "cannot be required",
        ),
        ({"derived_from": {"method": "m", "items": ["x"]}}, "cannot be derived from itself"),
        ({"id": "Bad-Id"}, "String should match pattern"),
        ({"type": "colour"}, "Input should be"),
    ],
)
def test_an_impossible_item_is_refused_with_its_reason(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace("[", r"\[")):
        _item(**fields)


def test_a_quantity_item_with_a_known_unit_and_a_fixed_unit_decimal_are_accepted() -> None:
    quantity = _item(type="quantity", unit="mg/dL", analyte="creatinine", reference_range=True)
    fixed = _item(unit="pg/mL", range={"min": 0})
    assert (quantity.type, quantity.unit, fixed.unit) == (ItemType.QUANTITY, "mg/dL", "pg/mL")


def test_item_and_group_ids_are_unique_across_a_form() -> None:
    with pytest.raises(ValidationError, match="ids used twice: a"):
        _form({"id": "a", "label": "A", "type": "text"}, {"id": "a", "label": "A", "type": "date"})
    with pytest.raises(ValidationError, match="ids used twice: g"):
        _form({"id": "g", "label": "G", "type": "text"})


def test_a_derivation_must_name_items_of_its_form() -> None:
    derived = {"method": "m", "items": ["missing"]}
    with pytest.raises(ValidationError, match=r"`y` is derived from unknown item\(s\) missing"):
        _form({"id": "y", "label": "Y", "type": "decimal", "derived_from": derived})


def test_a_form_set_resolves_its_references() -> None:
    form = _form({"id": "a", "label": "A", "type": "text"})
    other = _form(
        {
            "id": "b",
            "label": "B",
            "type": "decimal",
            "derived_from": {"method": "m", "items": ["f.a"]},
        },
        form_id="g2",
    )
    assert FormSet(forms=(form, other), outcome_items={"P1": ("f.a",)}).item("f.a").label == "A"
    with pytest.raises(ValidationError, match="form ids used twice: f"):
        FormSet(forms=(form, form))
    with pytest.raises(ValidationError, match=r"visit_forms\.day_0: unknown form `nope`"):
        FormSet(forms=(form,), visit_forms={"day_0": ("nope",)})
    with pytest.raises(ValidationError, match=r"outcome_items.P1: `f.zz` names no item"):
        FormSet(forms=(form,), outcome_items={"P1": ("f.zz",)})
    bad = _form(
        {
            "id": "b",
            "label": "B",
            "type": "decimal",
            "derived_from": {"method": "m", "items": ["f.q"]},
        },
        form_id="g2",
    )
    with pytest.raises(ValidationError, match=r"forms.g2.b.derived_from: `f.q` names no item"):
        FormSet(forms=(form, bad))


def test_check_form_set_against_the_study_visits_and_outcomes() -> None:
    form = _form({"id": "a", "label": "A", "type": "text"})
    form_set = FormSet(
        forms=(form,),
        visit_forms={"day_0": ("f",), "day_99": ("f",)},
        outcome_items={"P1": ("f.a",), "X9": ("f.a",)},
    )
    problems = check_form_set(form_set, ["day_0", "day_3"], ["P1", "S1"])
    assert [(p.dotted, p.message, p.severity) for p in problems] == [
        ("visit_forms.day_99", "`day_99` is not a visit of the study", "error"),
        ("visit_forms", "visit `day_3` requires no form", "warning"),
        ("outcome_items", "registered outcome `S1` is captured by no item", "error"),
        ("outcome_items.X9", "`X9` is not a registered outcome", "error"),
    ]


def test_the_seed_forms_validate_against_the_seed_study() -> None:
    visit_ids = [visit.id for visit in SEED_STUDY.visits]
    outcome_ids = [outcome.id for outcome in SEED_STUDY.outcomes]
    assert check_form_set(SEED_FORMS, visit_ids, outcome_ids) == []
    assert set(SEED_FORMS.visit_forms) == set(visit_ids)
    assert {form.version for form in SEED_FORMS.forms} == {"1.0"}


def test_every_registered_outcome_of_the_seed_is_captured_by_an_item() -> None:
    outcome_ids = {outcome.id for outcome in SEED_STUDY.outcomes}
    assert outcome_ids == set(SEED_FORMS.outcome_items)
    for outcome_id in outcome_ids:
        refs = SEED_FORMS.outcome_items[outcome_id]
        assert refs, outcome_id
        for ref in refs:
            assert SEED_FORMS.item(ref).id == ref.partition(".")[2]


def test_the_seed_has_every_form_the_issue_lists() -> None:
    assert set(SEED_FORMS.by_id) == {
        "demographics", "eligibility", "vital_signs", "physical_exam", "lung_function",
        "six_mwt", "qct", "sgrq", "mrc", "chemistry", "cbc", "lymphocyte_subsets",
        "cytokines", "crp", "car_copies", "leukapheresis", "product_release", "infusion",
        "adverse_events", "dlt_assessment", "ae_ipf", "concomitant_medications", "disposition",
    }  # fmt: skip


def test_the_sgrq_form_holds_exactly_the_scorers_items_and_codes() -> None:
    sgrq = SEED_FORMS.by_id["sgrq"].group_of("q1")
    assert [item.id for item in sgrq.items] == list(SGRQ_ITEMS)
    for item in sgrq.items:
        assert item.codes is not None
        assert set(item.codes) == {str(code) for code, _ in SGRQ_ITEMS[item.id].weights}


def test_the_mrc_form_codes_are_the_mrc_grades() -> None:
    codes = SEED_FORMS.item("mrc.mrc_grade").codes
    assert codes == {str(grade): text for grade, text in MRC_DESCRIPTORS.items()}


def test_lung_function_names_its_equations_and_haemoglobin() -> None:
    lung = SEED_FORMS.by_id["lung_function"].items
    assert set(lung["spirometry_equation"].codes or {}) >= {"gli-2012"}
    assert lung["dlco_haemoglobin"].unit == "g/dL"
    derivation = lung["dlco_hb_corrected"].derived_from
    assert derivation is not None
    assert "dlco_haemoglobin" in derivation.items


def test_laboratory_items_carry_the_labs_reference_range() -> None:
    for form_id in ("chemistry", "cbc", "lymphocyte_subsets", "crp"):
        results = [i for i in SEED_FORMS.by_id[form_id].items.values() if i.reference_range]
        assert results, form_id
        assert all(item.type is ItemType.QUANTITY for item in results)


def test_adverse_events_and_medications_are_repeating_groups() -> None:
    for ref in (
        "adverse_events.ae_grade",
        "concomitant_medications.medication",
        "ae_ipf.aeipf_met",
    ):
        form_id, _, item_id = ref.partition(".")
        assert SEED_FORMS.by_id[form_id].group_of(item_id).repeating, ref


def test_forms_for_a_visit_in_order() -> None:
    assert [form.id for form in SEED_FORMS.forms_for("day_14")][-3:] == [
        "dlt_assessment",
        "ae_ipf",
        "concomitant_medications",
    ]
    assert SEED_FORMS.forms_for("no_such_visit") == ()


_SERIOUS = {"id": "serious", "label": "Serious", "type": "boolean"}
_GRADE = {"id": "grade", "label": "Grade", "type": "code", "codes": {"1": "mild", "3": "severe"}}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"item": "nowhere", "equals": [True]}, "`nowhere`, which is not an item of this group"),
        ({"item": "serious", "equals": ["yes"]}, "compares `serious` with 'yes'; expected bool"),
        ({"item": "grade", "equals": ["2"]}, "expected one of its codes ['1', '3']"),
        ({"item": "grade", "equals": []}, "at least 1 item"),
        ({"item": "note", "equals": ["a"]}, "reads `note`, a text item"),
    ],
)
def test_a_condition_that_cannot_be_read_is_refused(
    condition: dict[str, Any], message: str
) -> None:
    note = {"id": "note", "label": "Note", "type": "text"}
    follow_up = {"id": "why", "label": "Why", "type": "text", "required_when": condition}
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        _form(_SERIOUS, _GRADE, note, follow_up)


def test_an_item_is_not_both_required_and_required_when() -> None:
    with pytest.raises(ValidationError, match="not both"):
        _item(required=True, required_when={"item": "y", "equals": [True]})


def test_the_seed_asks_follow_up_items_only_when_they_apply() -> None:
    forms = SEED_FORMS.by_id
    seriousness = forms["adverse_events"].items["ae_seriousness"].required_when
    assert seriousness is not None
    assert (seriousness.item, seriousness.equals) == ("ae_serious", (True,))
    dlt = forms["dlt_assessment"].items
    for item_id in ("dlt_ae_term", "dlt_onset_date"):
        condition = dlt[item_id].required_when
        assert condition is not None
        assert (condition.item, condition.equals) == ("dlt_occurred", (True,))
