"""``trialdesk calc crs|icans|transplant-decline`` end to end: contract JSON and refusals."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import trialdesk.cli.calc_clinical  # noqa: F401 - registers the commands on calc_app
from trialdesk.cli import app

runner = CliRunner()
GRADE_KEYS = {"grade", "status", "algorithm", "version", "rule", "reason", "inputs"}
READING_KEYS = {"meets", "decline", "unit", "basis", "status", "algorithm", "version"} | {
    "rule",
    "reason",
    "inputs",
}


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["calc", *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("args", "grade", "rule"),
    [
        (["--temp", "38.0", "--hypotension", "none", "--oxygen", "none"], 1, "fever.g1"),
        (["--temp", "39", "--hypotension", "fluids", "--oxygen", "low-flow"], 2, "hypotension.g2"),
        (["--temp", "39", "--hypotension", "none", "--oxygen", "high-flow"], 3, "hypoxia.g3"),
        (
            ["--temp", "39", "--hypotension", "multiple-vasopressors", "--oxygen", "none"],
            4,
            "hypotension.g4",
        ),
        (
            [
                "--temp",
                "37",
                "--antipyretic",
                "--hypotension",
                "one-vasopressor",
                "--oxygen",
                "none",
            ],
            3,
            "hypotension.g3",
        ),
        (["--temp", "37", "--hypotension", "fluids", "--oxygen", "none"], 0, "no_fever"),
    ],
)
def test_crs_json_contract(args: list[str], grade: int, rule: str) -> None:
    data = _json("crs", *args)
    assert set(data) == GRADE_KEYS
    assert data["grade"] == grade
    assert data["rule"] == f"astct2019.crs.{rule}"
    inputs = data["inputs"]
    assert isinstance(inputs, dict)
    assert inputs["hypotension"] == args[args.index("--hypotension") + 1]


@pytest.mark.parametrize(
    ("args", "grade"),
    [
        (["--ice", "10", "--consciousness", "normal"], 0),
        (["--ice", "8", "--consciousness", "normal"], 1),
        (["--ice", "10", "--consciousness", "voice"], 2),
        (["--ice", "9", "--consciousness", "normal", "--seizure", "rapid-resolving"], 3),
        (["--ice", "10", "--consciousness", "normal", "--raised-icp", "focal-edema"], 3),
        (["--ice", "10", "--consciousness", "normal", "--motor", "deep-focal-weakness"], 4),
        (["--ice", "0", "--consciousness", "unarousable"], 4),
    ],
)
def test_icans_json_contract(args: list[str], grade: int) -> None:
    data = _json("icans", *args)
    assert set(data) == GRADE_KEYS
    assert data["grade"] == grade


def test_transplant_decline_reports_both_readings_of_each_measure() -> None:
    data = _json(
        "transplant-decline", "--fvc-l", "2.0,1.8", "--fvc-pp", "60,54", "--dlco-pp", "40,30"
    )
    assert data["threshold_pct"] == 10
    fvc, dlco = data["fvc"], data["dlco"]
    assert isinstance(fvc, dict)
    assert isinstance(dlco, dict)
    assert set(fvc) == {"relative", "absolute-points"}
    assert set(fvc["relative"]) == READING_KEYS
    assert fvc["relative"]["meets"] is True  # exactly 10 %, inclusive
    assert fvc["relative"]["decline"] == 10
    assert fvc["absolute-points"]["meets"] is False  # 6 points
    assert dlco["absolute-points"]["meets"] is True
    assert dlco["relative"]["meets"] is True


def test_transplant_decline_strict_comparison() -> None:
    data = _json(
        "transplant-decline", "--fvc-l", "2.0,1.8", "--fvc-pp", "60,50", "--comparison", "gt"
    )
    fvc = data["fvc"]
    assert isinstance(fvc, dict)
    assert fvc["absolute-points"]["meets"] is False  # exactly 10 points is not > 10
    assert fvc["relative"]["rule"] == "ishlt.fvc.decline_gt_10pct.relative"


def test_transplant_decline_text_names_reading_and_rule() -> None:
    result = runner.invoke(
        app, ["calc", "transplant-decline", "--fvc-l", "2.0,1.8", "--fvc-pp", "60,54"]
    )
    assert result.exit_code == 0, result.output
    assert "ishlt.fvc.decline_ge_10pct.relative" in result.stdout
    assert "absolute-points: does not meet" in result.stdout


def test_crs_text_output_reads_as_the_rule() -> None:
    result = runner.invoke(
        app, ["calc", "crs", "--temp", "38.5", "--hypotension", "none", "--oxygen", "low-flow"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("CRS grade 2  [astct2019.crs.hypoxia.g2]")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["crs", "--temp", "12", "--hypotension", "none", "--oxygen", "none"],
            "error: argument `temperature_c` got 12.0; expected a body temperature 25-45 °C",
        ),
        (
            ["icans", "--ice", "11", "--consciousness", "normal"],
            "error: argument `ice_score` got 11; expected an integer 0-10",
        ),
        (
            ["transplant-decline", "--fvc-l", "2.0", "--fvc-pp", "60,54"],
            "error: argument `--fvc-l` got '2.0'; expected two numbers BEFORE,AFTER, e.g. 2.0,1.8",
        ),
        (
            ["transplant-decline", "--fvc-l", "2.0,x", "--fvc-pp", "60,54"],
            "error: argument `--fvc-l` got 'x'; expected a decimal number",
        ),
    ],
)
def test_bad_input_exits_2_with_the_message_on_stderr(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["calc", *args])
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""
