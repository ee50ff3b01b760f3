"""``trialdesk calc ctcae`` end to end: the JSON contract, null grades, refusals on stderr."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import trialdesk.cli.calc_ctcae  # noqa: F401 - registers the command on calc_app
from trialdesk.cli import app

runner = CliRunner()
CONTRACT = {"grade", "term", "version", "rule", "reason", "inputs"}


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["calc", "ctcae", *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_neutrophils_grade_3_with_the_contract_keys() -> None:
    # CTCAE v5.0 Neutrophil count decreased G3: <1000 - 500/mm3; <1.0 - 0.5 x 10e9/L
    data = _json("--term", "Neutrophil count decreased", "--value", "0.9", "--unit", "10*9/L")
    assert set(data) == CONTRACT
    assert data["grade"] == 3
    assert data["term"] == "Neutrophil count decreased"
    assert data["version"] == "5.0"
    assert data["rule"] == "Grade 3: <1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L"
    assert data["reason"] is None
    assert data["inputs"] == {
        "value": "0.9 10*9/L",
        "symptomatic": "false",
        "anticoagulated": "false",
    }


def test_exact_edge_with_uln_and_baseline() -> None:
    # ALT G2 >3.0 - 5.0 x ULN if baseline was normal: 200 = 5.0 x 40 is still G2
    args = ("--term", "Alanine aminotransferase increased", "--value", "200", "--unit", "IU/L")
    data = _json(*args, "--uln", "40", "--baseline", "35")
    assert data["grade"] == 2
    assert data["inputs"] == {
        "value": "200 [IU]/L",
        "uln": "40 [IU]/L",
        "baseline": "35 [IU]/L",
        "symptomatic": "false",
        "anticoagulated": "false",
    }


def test_symptomatic_hyponatraemia_is_grade_3() -> None:
    # Hyponatremia G3: 125-129 mmol/L symptomatic
    args = ("--term", "Hyponatremia", "--value", "127", "--unit", "mmol/L", "--symptomatic")
    assert _json(*args)["grade"] == 3


def test_missing_uln_gives_null_grade_with_reason() -> None:
    data = _json("--term", "Creatinine increased", "--value", "2.0", "--unit", "mg/dL")
    assert data["grade"] is None
    assert isinstance(data["reason"], str)
    assert data["reason"].startswith("ULN needed")


def test_crp_has_no_term() -> None:
    data = _json("--term", "CRP", "--value", "12", "--unit", "mg/L")
    assert data["grade"] is None
    assert data["term"] == "no term"


def test_text_output_names_grade_and_rule() -> None:
    args = ["calc", "ctcae", "--term", "Platelet count decreased", "--value", "50000"]
    result = runner.invoke(app, [*args, "--unit", "/uL"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Platelet count decreased (CTCAE v5.0): grade 2",
        "Grade 2: <75,000 - 50,000/mm3; <75.0 - 50.0 x 10e9 /L",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--term", "Nausea", "--value", "1", "--unit", "10*9/L"], "argument `term` got 'Nausea'"),
        (["--term", "Anemia", "--value", "1", "--unit", "10*9/L"], "10*9/L"),
        (["--term", "Anemia", "--value", "-1", "--unit", "g/dL"], "argument `value`"),
        (["--term", "Anemia", "--value", "x", "--unit", "g/dL"], "expected a decimal number"),
        (["--term", "Anemia", "--value", "9", "--unit", "furlong"], "argument `unit`"),
    ],
)
def test_refusals_are_one_line_on_stderr_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["calc", "ctcae", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_inr_accepts_the_ucum_unity() -> None:
    # CTCAE v5.0 INR increased, grade 2: ">1.5 - 2.5".
    result = runner.invoke(
        app,
        [
            "calc",
            "ctcae",
            "--term",
            "INR increased",
            "--value",
            "1.6",
            "--unit",
            "1",
            "--uln",
            "1.1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["grade"] == 2
