"""``trialdesk calc sgrq`` end to end: contract JSON keys, the text report, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trialdesk.cli.calc_sgrq  # noqa: F401  (registers the command until cli/app.py imports it)
from trialdesk.cli import app

HAND_WORKED = Path(__file__).resolve().parents[1] / "data" / "sgrq" / "hand_worked.json"
CONTRACT_KEYS = {
    "symptoms",
    "activity",
    "impacts",
    "total",
    "missing",
    "not_scored",
    "q6_skipped",
    "algorithm",
    "version",
}
runner = CliRunner()


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "responses.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_json_output_has_the_contract_keys_and_the_hand_worked_scores() -> None:
    result = runner.invoke(app, ["calc", "sgrq", str(HAND_WORKED), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == CONTRACT_KEYS
    # Hand-worked in tests/unit/clinical/test_sgrq.py: 299.6/662.5, 375.0/1209.1, ...
    assert data["symptoms"] == pytest.approx(100 * 299.6 / 662.5)
    assert data["activity"] == pytest.approx(100 * 375.0 / 1209.1)
    assert data["impacts"] == pytest.approx(100 * 254.6 / 2117.8)
    assert data["total"] == pytest.approx(100 * 929.2 / 3989.4)
    assert data["missing"] == {"symptoms": 0, "activity": 0, "impacts": 0}
    assert data["not_scored"] == {}
    assert (data["algorithm"], data["version"]) == ("SGRQ", "manual 2.3")


def test_an_unscored_component_is_null_with_its_reason(tmp_path: Path) -> None:
    responses = json.loads(HAND_WORKED.read_text(encoding="utf-8"))
    for item_id in ("q1", "q2", "q3"):
        del responses[item_id]
    path = _write(tmp_path, json.dumps(responses))
    data = json.loads(runner.invoke(app, ["calc", "sgrq", str(path), "--json"]).output)
    assert data["symptoms"] is None
    assert data["total"] is None
    assert data["activity"] is not None
    assert data["missing"]["symptoms"] == 3
    assert data["not_scored"]["symptoms"] == "3 items missing; the manual allows at most 2"


def test_the_text_report_rounds_to_one_decimal() -> None:
    result = runner.invoke(app, ["calc", "sgrq", str(HAND_WORKED)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "SGRQ (manual 2.3)",
        "Symptoms  45.2",
        "Activity  31.0",
        "Impacts   12.0",
        "Total     23.3",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "argument `responses` got 'list'; expected a JSON object"),
        ('{"q1": 7}', "argument `q1` got 7; expected an integer code in {1, 2, 3, 4, 5} or null"),
        ('{"q99": 1}', "argument `q99` got 1; expected one of the SGRQ item ids"),
        ('{"q5": 5, "q6": 2}', 'argument `q6` got 2; expected "NA" or null when q5 = 5'),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(
    tmp_path: Path, content: str, message: str
) -> None:
    result = runner.invoke(app, ["calc", "sgrq", str(_write(tmp_path, content))])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stdout == ""


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calc", "sgrq", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr
