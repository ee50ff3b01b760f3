"""study.yaml: exact round trip, comments for reviewers, every problem with its line."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import dose_level_labels, finite_floats, yaml_free_texts
from trialdesk.errors import OutputExistsError, RecordRefusedError, StudyFileError
from trialdesk.protocol import Study, import_study, parse_record_text
from trialdesk.store import (
    check_study_text,
    load_study,
    parse_study_text,
    render_study_yaml,
    save_study,
)

RECORDS = Path(__file__).resolve().parents[2] / "data" / "records"
SEED = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "record.txt"
FREE_TEXT_KEYS = {"text", "quote", "description", "measure", "brief_title", "note", "preamble"}


def _seed() -> Study:
    return import_study(parse_record_text(SEED.read_text(encoding="utf-8")))


SEED_STUDY = _seed()


def _importable_records() -> list[Study]:
    """Every record that imports; the refused ones are covered in test_records.py."""
    studies = []
    for path in sorted(RECORDS.glob("*.json")):
        with contextlib.suppress(RecordRefusedError):
            studies.append(import_study(parse_record_text(path.read_text(encoding="utf-8"))))
    return studies


@pytest.mark.parametrize(
    "study", [SEED_STUDY, *_importable_records()], ids=lambda s: s.identification.nct_id
)
def test_round_trip_of_every_imported_record(study: Study) -> None:
    assert parse_study_text(render_study_yaml(study)) == study


def _replace_texts(value: Any, texts: list[str]) -> Any:
    """Replace free-text leaves, in order, by the given strings (cycling)."""
    if isinstance(value, dict):
        return {
            key: (
                texts[len(key) % len(texts)]
                if key in FREE_TEXT_KEYS and isinstance(item, str)
                else _replace_texts(item, texts)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_replace_texts(item, texts) for item in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(yaml_free_texts, min_size=1, max_size=8))
def test_round_trip_with_hostile_free_text(texts: list[str]) -> None:
    mutated = Study.model_validate(_replace_texts(SEED_STUDY.model_dump(mode="json"), texts))
    assert parse_study_text(render_study_yaml(mutated)) == mutated


def test_file_is_commented_for_reviewers() -> None:
    text = render_study_yaml(SEED_STUDY)
    assert text.startswith("# trialdesk study definition (NCT07329959)")
    assert "# What the trial needs that the record does not say." in text
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    # Stable key order: the model's field order (fields with no value are left out).
    assert keys == [key for key in Study.model_fields if key in keys]
    assert {"dose_levels", "design", "visits", "eligibility", "gaps", "assumptions"} <= set(keys)


def test_unknown_key_is_reported_with_its_line() -> None:
    text = render_study_yaml(SEED_STUDY)
    text = text.replace("dlt_window_days: 14", "dlt_window_days: 14\ncolour: blue")
    line = text.splitlines().index("colour: blue") + 1
    problems = check_study_text(text)
    assert [(p.path, p.line) for p in problems] == [("colour", line)]
    assert "Extra inputs are not permitted" in problems[0].message


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = render_study_yaml(SEED_STUDY)
    text = text.replace("dlt_window_days: 14", "dlt_window_days: fourteen")
    text = text.replace("schema_version: 1", "schema_version: one")
    paths = {problem.path for problem in check_study_text(text)}
    assert {"dlt_window_days", "schema_version"} <= paths


def test_start_level_that_does_not_exist_is_a_problem() -> None:
    text = render_study_yaml(SEED_STUDY).replace("start_dose_level: 1\n", "start_dose_level: 0\n")
    problems = check_study_text(text)
    assert [problem.path for problem in problems] == ["start_dose_level"]
    assert problems[0].line is not None
    assert text.splitlines()[problems[0].line - 1] == "start_dose_level: 0"


def test_yaml_syntax_error_names_the_line() -> None:
    problems = check_study_text("schema_version: 1\nidentification: [\n")
    assert len(problems) == 1
    assert problems[0].line is not None
    assert "not valid YAML" in problems[0].message


def test_parse_raises_with_every_problem_listed() -> None:
    with pytest.raises(StudyFileError, match=r"x\.yaml: 1 problem\(s\)"):
        parse_study_text("- a list\n", name="x.yaml")


def test_save_refuses_to_overwrite_and_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "study.yaml"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--force"):
        save_study(SEED_STUDY, target)
    assert target.read_text(encoding="utf-8") == "precious"
    assert list(tmp_path.iterdir()) == [target]
    save_study(SEED_STUDY, target, overwrite=True)
    assert load_study(target) == SEED_STUDY


def test_load_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="cannot read"):
        load_study(tmp_path / "missing.yaml")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(dose_level_labels, min_size=1, max_size=5, unique=True),
    st.lists(finite_floats, min_size=5, max_size=5, unique=True),
    st.integers(1, 2**40),
)
def test_round_trip_keeps_label_types_and_exact_numbers(
    level_labels: list[int | str], level_amounts: list[float], window: int
) -> None:
    """A label "1" stays text and 1 stays a number; amounts come back bit for bit."""
    template = SEED_STUDY.dose_levels[0]
    ranked = sorted(level_amounts)
    dose_levels = tuple(
        template.model_copy(update={"label": label, "amount": ranked[order - 1], "order": order})
        for order, label in enumerate(level_labels, start=1)
    )
    study = SEED_STUDY.model_copy(
        update={
            "dose_levels": dose_levels,
            "start_dose_level": level_labels[0],
            "dlt_window_days": min(window, 30),
            "visits": (),
        }
    )
    back = parse_study_text(render_study_yaml(study))
    assert back == study
    assert [type(level.label) for level in back.dose_levels] == [type(x) for x in level_labels]


@pytest.mark.parametrize("text", ["\x85", "a\x85b", "\u2028", "x\u2029 y\n\x85", "\x00", "\ufeff"])
def test_round_trip_of_line_break_and_control_characters(text: str) -> None:
    # Found by hypothesis: ruamel wrote NEL raw in single quotes and read it as a break.
    ident = SEED_STUDY.identification.model_copy(update={"brief_title": text})
    study = SEED_STUDY.model_copy(update={"identification": ident})
    assert parse_study_text(render_study_yaml(study)) == study
