"""``trialdesk calc gli`` end to end: the contract JSON, the table for people, the refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

import trialdesk.cli.calc_gli  # registers the command on calc_app  # noqa: F401
from trialdesk.cli import app
from trialdesk.clinical.gli import Sex, compute_gli

runner = CliRunner()
CONTRACT_KEYS = {"predicted", "lln", "uln", "z", "percent_predicted", "L", "M", "S"}


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calc", "gli", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "library"),
    [
        (
            ["--equation", "gli-2012", "--ethnicity", "african-american", "--parameter", "FEV1"],
            {"equation": "gli-2012", "parameter": "FEV1", "ethnicity": "african-american"},
        ),
        (
            ["--equation", "gli-global-2022", "--parameter", "FEV1FVC"],
            {"equation": "gli-global-2022", "parameter": "FEV1FVC"},
        ),
        (
            ["--equation", "gli-2017", "--parameter", "KCO", "--units", "traditional"],
            {"equation": "gli-2017", "parameter": "KCO", "units": "traditional"},
        ),
    ],
)
def test_json_has_the_contract_keys_and_the_library_numbers(
    args: list[str], library: dict[str, Any]
) -> None:
    code, out, err = _invoke(
        *args, "--sex", "F", "--age", "52.4", "--height", "163", "--value", "0.7", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == CONTRACT_KEYS
    expected = compute_gli(value=0.7, sex=Sex.FEMALE, age=52.4, height=163.0, **library)
    assert data["predicted"] == expected.M
    assert data["z"] == expected.z
    assert data["percent_predicted"] == expected.percent_predicted


def test_table_names_the_equation_and_the_inputs() -> None:
    code, out, _ = _invoke(
        "--equation",
        "gli-global-2022",
        "--sex",
        "M",
        "--age",
        "40",
        "--height",
        "180",
        "--parameter",
        "FVC",
        "--value",
        "5.1",
    )
    assert code == 0
    assert "Bowerman et al. 2023" in out
    assert "percent predicted" in out
    assert "M, 40 y, 180 cm" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--equation", "gli-2017", "--parameter", "TLCO", "--age", "92", "--value", "8"],
            "error: argument `age` got 92.0; expected 5 to 90 years",
        ),
        (
            ["--equation", "gli-2012", "--parameter", "FEV1", "--age", "40", "--value", "3"],
            "error: argument `ethnicity` got None; expected one of the five GLI-2012 groups",
        ),
        (
            [
                "--equation",
                "gli-global-2022",
                "--parameter",
                "FEV1FVC",
                "--age",
                "40",
                "--value",
                "75",
            ],
            "error: argument `value` got 75.0; expected 0 to 1 (FEV1/FVC as a ratio",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(args: list[str], message: str) -> None:
    code, out, err = _invoke(*args, "--sex", "M", "--height", "175", "--json")
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert "Traceback" not in err
