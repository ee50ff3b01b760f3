"""forms.yaml: loads, and every problem comes back with its path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.errors import StudyFileError
from trialdesk.protocol.forms import FormSet
from trialdesk.store import load_study
from trialdesk.store.forms_yaml import check_form_set_text, load_form_set, parse_form_set_text

SEED_DIR = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959"
SEED_STUDY = load_study(SEED_DIR / "study.yaml")

MINIMAL = """\
forms:
  - id: vitals
    version: '1.0'
    title: Vitals
    groups:
      - id: main
        label: Main
        items:
          - {id: weight, label: Weight, type: quantity, unit: kg}
visit_forms:
  day_0: [vitals]
outcome_items:
  P1: [vitals.weight]
"""


def test_the_seed_forms_load_against_the_seed_study() -> None:
    form_set = load_form_set(SEED_DIR / "forms.yaml", SEED_STUDY)
    assert isinstance(form_set, FormSet)
    assert (
        check_form_set_text((SEED_DIR / "forms.yaml").read_text(encoding="utf-8"), SEED_STUDY) == []
    )


def test_a_minimal_file_parses_to_its_model() -> None:
    form_set = parse_form_set_text(MINIMAL)
    assert form_set.item("vitals.weight").unit == "kg"
    assert form_set.visit_forms == {"day_0": ("vitals",)}


def test_a_bad_unit_is_located_on_its_line() -> None:
    [problem] = check_form_set_text(MINIMAL.replace("unit: kg", "unit: stone"))
    assert problem.line == 9
    assert problem.path == "forms[0].groups[0].items[0]"
    assert "argument `unit` got 'stone'" in problem.message


def test_study_cross_checks_are_located() -> None:
    problems = check_form_set_text(MINIMAL.replace("day_0:", "day_99:"), SEED_STUDY)
    errors = [p for p in problems if p.severity == "error"]
    assert (errors[0].path, errors[0].line) == ("visit_forms.day_99", 11)
    assert any("registered outcome `S1` is captured by no item" in p.message for p in errors)
    assert any(
        p.severity == "warning" and "`screening` requires no form" in p.message for p in problems
    )
    with pytest.raises(StudyFileError, match=r"forms.yaml: \d+ problem\(s\)"):
        parse_form_set_text(MINIMAL, study=SEED_STUDY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("forms: [", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping with a `forms` key"),
    ],
)
def test_a_file_that_is_not_a_forms_mapping(text: str, message: str) -> None:
    [problem] = check_form_set_text(text)
    assert message in problem.message


def test_an_unreadable_file_is_a_study_file_error(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="cannot read"):
        load_form_set(tmp_path / "missing.yaml")
