# ruff: noqa: RUF001 - the seed record writes amounts with the multiplication sign, verbatim
"""The command line end to end: real files, real subprocess, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "studies" / "NCT07329959" / "record.txt"
RECORDS = REPO / "tests" / "data" / "records"
runner = CliRunner()

CONTRACT_KEYS = {
    "dose_levels",
    "design",
    "dlt_window_days",
    "visits",
    "eligibility",
    "outcomes",
    "gaps",
    "assumptions",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    trialdesk = Path(sys.executable).with_name("trialdesk")
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(trialdesk), *args], capture_output=True, text=True, check=False, env=env, cwd=REPO
    )


def test_help_lists_every_command_with_a_description() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("import", "study", "demo"):
        assert command in result.stdout
    assert "Import a registry record" in result.stdout


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "trialdesk 0.1.0"


def test_import_prints_the_summary_tables() -> None:
    result = _run("import", str(SEED))
    assert result.returncode == 0, result.stderr
    headings = (
        "Dose levels",
        "Design",
        "Visits",
        "Eligibility and outcomes",
        "Gaps",
        "Assumptions",
    )
    for heading in headings:
        assert heading in result.stdout
    assert "4×10⁵ cells/kg" in result.stdout
    assert "3+3" in result.stdout


def test_import_json_has_the_contract_keys() -> None:
    result = _run("import", str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= CONTRACT_KEYS
    assert data["dlt_window_days"] == 14
    assert [level["label"] for level in data["dose_levels"]] == [-1, 1, 2]
    assert len(data["eligibility"]["inclusion"]) == 6
    assert len(data["eligibility"]["exclusion"]) == 13
    assert all("text" in item for item in data["eligibility"]["inclusion"])


def test_import_writes_yaml_that_checks_clean(tmp_path: Path) -> None:
    out = tmp_path / "study.yaml"
    result = runner.invoke(app, ["import", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["study", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "valid study definition" in checked.output


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "study.yaml"
    out.write_text("keep me", encoding="utf-8")
    result = _run("import", str(SEED), "-o", str(out))
    assert result.returncode == 2
    assert str(out) in result.stderr
    assert "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    assert _run("import", str(SEED), "-o", str(out), "--force").returncode == 0
    assert out.read_text(encoding="utf-8").startswith("# trialdesk study definition")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("this is not a record", "not JSON and not a record page"),
        ('{"a": 1}', "protocolSection: missing"),
        (
            '{"protocolSection": {"designModule": {"studyType": "INTERVENTIONAL"}}}',
            "statusModule: missing",
        ),
        (
            '{"protocolSection": {"designModule": {"studyType": "SURVEY"}}}',
            "protocolSection.designModule.studyType: unknown value 'SURVEY'",
        ),
    ],
)
def test_bad_input_names_file_and_field_and_writes_nothing(
    tmp_path: Path, content: str, expected: str
) -> None:
    record = tmp_path / "record.json"
    record.write_text(content, encoding="utf-8")
    out = tmp_path / "study.yaml"
    result = _run("import", str(record), "-o", str(out))
    assert result.returncode == 2
    assert str(record) in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "nct",
    sorted(
        path.stem
        for path in RECORDS.glob("*.json")
        if path.stem not in {"NCT03475563", "NCT05150938", "NCT05052671", "NCT00984438"}
    ),
)
def test_every_importable_record_prints_a_summary(nct: str) -> None:
    result = runner.invoke(app, ["import", str(RECORDS / f"{nct}.json")])
    assert result.exit_code == 0, result.output
    assert "Gaps: the record does not say" in result.output
    assert "Import notes" in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("import", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert "nope.json: no such file" in result.stderr


@pytest.mark.parametrize(
    ("nct", "reason"),
    [
        ("NCT03475563", "OBSERVATIONAL"),
        ("NCT05150938", "OBSERVATIONAL"),
        ("NCT05052671", "OBSERVATIONAL"),
        ("NCT00984438", "WITHDRAWN"),
    ],
)
def test_unrunnable_records_are_refused_with_a_reason(nct: str, reason: str) -> None:
    result = _run("import", str(RECORDS / f"{nct}.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("refused: ")
    assert reason in result.stderr


def test_study_check_lists_problems_with_lines(tmp_path: Path) -> None:
    out = tmp_path / "study.yaml"
    assert runner.invoke(app, ["import", str(SEED), "-o", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8").replace("start_dose_level: 1\n", "start_dose_level: 7\n")
    out.write_text(text, encoding="utf-8")
    line = text.splitlines().index("start_dose_level: 7") + 1
    result = _run("study", "check", str(out))
    assert result.returncode == 2
    assert "start_dose_level" in result.stdout
    assert f"{line} " in result.stdout or f"│ {line} │" in result.stdout


def test_demo_runs_from_the_repository() -> None:
    result = _run("demo")
    assert result.returncode == 0, result.stderr
    assert "NCT07329959" in result.stdout
    assert "valid study definition" in result.stdout


def test_output_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "study.yaml"
    result = _run("import", str(SEED), "-o", str(out))
    assert result.returncode == 2
    assert f"error: {out}: cannot write here" in result.stderr
    assert not out.parent.exists()
