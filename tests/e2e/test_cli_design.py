"""``trialdesk design ...`` end to end: contract JSON keys, decisions, refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
runner = CliRunner()

OC_KEYS = {
    "p_select",
    "p_no_mtd",
    "expected_n",
    "expected_n_per_dose",
    "expected_dlt",
    "expected_dlt_per_dose",
    "n_distribution",
}


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def test_oc_exact_three_plus_three_has_the_contract_keys() -> None:
    data = _json(
        "design",
        "oc",
        "--design",
        "3+3",
        "--true-tox",
        "0.05,0.15,0.30",
        "--labels",
        "-1,1,2",
        "--start",
        "1",
    )
    assert OC_KEYS | {"n_terminal_paths"} <= set(data)
    p_select = data["p_select"]
    assert isinstance(p_select, list)
    assert math.isclose(sum(p_select) + float(str(data["p_no_mtd"])), 1.0, abs_tol=1e-12)


def test_oc_from_the_study_uses_its_levels_start_and_options() -> None:
    from_study = _json("design", "oc", "--study", str(STUDY), "--true-tox", "0.05,0.15,0.30")
    by_hand = _json(
        "design",
        "oc",
        "--design",
        "3+3",
        "--true-tox",
        "0.05,0.15,0.30",
        "--labels",
        "-1,1,2",
        "--start",
        "1",
    )
    assert from_study["labels"] == [-1, 1, 2]
    assert from_study["p_select"] == by_hand["p_select"]


def test_oc_monte_carlo_reports_standard_errors() -> None:
    data = _json(
        "design",
        "oc",
        "--design",
        "boin",
        "--true-tox",
        "0.05,0.15,0.30,0.45,0.60",
        "--method",
        "mc",
        "--trials",
        "2000",
        "--seed",
        "1",
    )
    assert OC_KEYS | {"se"} <= set(data)
    assert data["method"] == "mc"


def test_table_json_for_boin_has_the_boundaries() -> None:
    data = _json("design", "table", "--design", "boin", "--target", "0.3", "--max-n", "12")
    # BOIN 2.7.2 get.boundary(target = 0.3, ...): lambda_e = 0.2365, lambda_d = 0.3585
    assert round(float(str(data["lambda_e"])), 4) == 0.2365
    assert round(float(str(data["lambda_d"])), 4) == 0.3585
    table = data["table"]
    assert isinstance(table, dict)
    assert table["3"] == {"0": "E", "1": "S", "2": "D", "3": "DU"}


def test_next_names_the_rule_and_reason() -> None:
    data = _json(
        "design",
        "next",
        "--design",
        "3+3",
        "--labels",
        "-1,1,2",
        "--start",
        "1",
        "--outcomes",
        "1NNT",
    )
    assert data["next_level"] == 1
    assert data["stop"] is False
    assert isinstance(data["rule"], str)
    assert data["rule"].startswith("3+3.")
    assert data["reason"]


def test_next_reads_subjects_json(tmp_path: Path) -> None:
    subjects = tmp_path / "subjects.json"
    subjects.write_text(json.dumps([{"level": 1, "dlt": False, "followup_days": None}] * 3))
    data = _json("design", "next", "--design", "boin", "--labels", "1,2,3", "--data", str(subjects))
    assert data["next_level"] == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["oc", "--design", "3+3", "--true-tox", "0.1,1.2"], "argument `true_tox` got '1.2'"),
        (
            ["oc", "--design", "3+3", "--true-tox", "0.1,0.2", "--labels", "1,2,3"],
            "argument `true_tox`",
        ),
        (["oc", "--design", "boin", "--true-tox", "0.1", "--target", "1.5"], "argument `target`"),
        (["oc", "--design", "nope", "--true-tox", "0.1"], "argument `design` got 'nope'"),
        (
            ["oc", "--design", "3+3", "--true-tox", "0.1", "--option", "colour=red"],
            "argument `option` got 'colour'",
        ),
        (
            ["oc", "--design", "3+3", "--true-tox", "0.1", "--option", "deescalate=yes"],
            "argument `deescalate` got 'yes'; expected true or false",
        ),
        (
            ["next", "--design", "3+3", "--labels", "1,2", "--outcomes", "3NNN"],
            "is at level 3",
        ),
        (
            ["next", "--design", "3+3", "--labels", "1,2", "--outcomes", "1NNX"],
            "argument `outcomes` got '1NNX'",
        ),
        (
            ["oc", "--design", "3+3", "--true-tox", "0.1,0.2", "--start", "--json"],
            "argument `labels`",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_argument(args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["design", *args])
    assert result.exit_code == 2
    assert expected in result.output


def test_paths_json_is_a_tree_of_decisions_with_probabilities() -> None:
    data = _json(
        "design",
        "paths",
        "--design",
        "3+3",
        "--labels",
        "-1,1,2",
        "--start",
        "1",
        "--cohorts",
        "2",
        "--true-tox",
        "0.05,0.15,0.30",
    )
    children = data["children"]
    assert isinstance(children, list)
    assert [child["cohort"] for child in children] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    assert children[0]["rule"] == "3+3.escalate_after_0_of_3"
    assert math.isclose(sum(child["probability"] for child in children), 1.0, rel_tol=1e-12)


def test_paths_prints_a_tree() -> None:
    result = runner.invoke(
        app,
        [
            "design",
            "paths",
            "--design",
            "3+3",
            "--labels",
            "-1,1,2",
            "--start",
            "1",
            "--cohorts",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1NNT -> level 1 [3+3.expand_after_1_of_3]" in result.output


def test_next_for_crm_includes_the_model_fit() -> None:
    # dfcrm 0.2-2.1: crm(prior = c(0.05, 0.1, 0.2, 0.35, 0.5, 0.7), target = 0.2,
    #   tox = c(0, 0, 1, 0, 0), level = c(3, 4, 4, 3, 3)) recommends level 3.
    data = _json(
        "design",
        "next",
        "--design",
        "crm",
        "--labels",
        "1,2,3,4,5,6",
        "--skeleton",
        "0.05,0.1,0.2,0.35,0.5,0.7",
        "--target",
        "0.2",
        "--cohort-size",
        "1",
        "--outcomes",
        "3N 4T 4N 3N 3N",
    )
    assert data["next_level"] == 3
    assert {"estimate", "post_var", "p_tox", "p_tox_lower", "p_tox_upper"} <= set(data)
    assert isinstance(data["p_tox"], list)
    assert len(data["p_tox"]) == 6


def test_crm_without_a_skeleton_is_refused() -> None:
    result = runner.invoke(app, ["design", "next", "--design", "crm", "--labels", "1,2,3"])
    assert result.exit_code == 2
    assert "argument `skeleton` got None" in result.output


def test_skeleton_json() -> None:
    # dfcrm 0.2-2.1, R 4.2.2: round(getprior(0.05, 0.25, 3, 5), 4)
    #   = 0.0840 0.1567 0.2500 0.3545 0.4603
    data = _json(
        "design",
        "skeleton",
        "--target",
        "0.25",
        "--halfwidth",
        "0.05",
        "--nu",
        "3",
        "--levels",
        "5",
    )
    skeleton = data["skeleton"]
    assert isinstance(skeleton, list)
    assert skeleton[2] == 0.25
    assert [round(value, 4) for value in skeleton] == [0.084, 0.1567, 0.25, 0.3545, 0.4603]


def test_a_table_from_a_file_runs_like_the_built_in_design(tmp_path: Path) -> None:
    table = tmp_path / "boin.json"
    made = runner.invoke(
        app, ["design", "table", "--design", "boin", "--target", "0.3", "--max-n", "30", "--json"]
    )
    assert made.exit_code == 0, made.output
    table.write_text(made.output, encoding="utf-8")
    tox = "0.05,0.15,0.30,0.45,0.60"
    from_file = _json("design", "oc", "--design", "table", "--table", str(table), "--true-tox", tox)
    built_in = _json("design", "oc", "--design", "boin", "--true-tox", tox)
    assert from_file["p_select"] == built_in["p_select"]
    assert from_file["expected_n_per_dose"] == built_in["expected_n_per_dose"]


def test_a_malformed_table_file_is_refused_naming_the_cell(tmp_path: Path) -> None:
    table = tmp_path / "bad.json"
    table.write_text('{"1": {"0": "E"}}', encoding="utf-8")
    result = runner.invoke(
        app, ["design", "next", "--design", "table", "--table", str(table), "--labels", "1,2"]
    )
    assert result.exit_code == 2
    assert str(table) in result.output
    assert 'argument `table["1"]`' in result.output


def test_oc_with_an_arrival_rate_adds_the_expected_duration() -> None:
    # The study's 14-day DLT window applies; cohorts of 3 wait for it.
    data = _json(
        "design",
        "oc",
        "--study",
        str(STUDY),
        "--true-tox",
        "0.05,0.15,0.30",
        "--arrival-rate",
        "0.1",
    )
    expected_n = float(str(data["expected_n"]))
    cohorts = expected_n / 3
    assert math.isclose(float(str(data["expected_duration_days"])), expected_n / 0.1 + cohorts * 14)
    assert 0 < float(str(data["share_suspended"])) < 1


def test_crm_oc_is_simulated_and_exact_is_refused() -> None:
    args = [
        "design",
        "oc",
        "--design",
        "crm",
        "--skeleton",
        "0.05,0.1,0.2,0.35,0.5,0.7",
        "--true-tox",
        "0.05,0.1,0.2,0.35,0.5,0.7",
        "--target",
        "0.2",
        "--cohort-size",
        "1",
        "--max-cohorts",
        "24",
    ]
    data = _json(*args, "--method", "mc", "--trials", "500")
    assert data["method"] == "mc"
    assert data["expected_n"] == 24.0
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "argument `method` got 'exact'" in refused.output


def test_tite_crm_oc_is_simulated_with_an_arrival_rate() -> None:
    args = [
        "design",
        "oc",
        "--design",
        "tite-crm",
        "--skeleton",
        "0.05,0.1,0.2,0.35,0.5,0.7",
        "--true-tox",
        "0.05,0.1,0.2,0.35,0.5,0.7",
        "--target",
        "0.2",
        "--cohort-size",
        "1",
        "--max-cohorts",
        "24",
        "--window",
        "28",
        "--method",
        "mc",
        "--trials",
        "300",
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "argument `arrival_rate` got None" in refused.output
    data = _json(*args, "--arrival-rate", "0.14")
    assert data["method"] == "mc"
    # TITE-CRM keeps accruing: no time suspended (design.duration).
    assert data["share_suspended"] == 0.0


def test_boin_titration_runs_one_subject_per_level_from_the_cli() -> None:
    args = ["design", "next", "--design", "boin", "--labels", "1,2,3,4,5"]
    titration = [*args, "--option", "titration=true"]
    first = _json(*titration, "--outcomes", "1N 2T")
    assert first["next_level"] == 2
    assert first["rule"] == "boin.titration_complete"
    assert first["next_cohort_size"] == 2
    plain = _json(*args, "--outcomes", "1NNN")
    assert plain["next_cohort_size"] is None
    oc = _json(
        "design",
        "oc",
        "--design",
        "boin",
        "--true-tox",
        "0.05,0.1,0.2,0.3,0.45",
        "--option",
        "titration=true",
        "--max-cohorts",
        "4",
    )
    p_select, per_dose, p_no_mtd = oc["p_select"], oc["expected_n_per_dose"], oc["p_no_mtd"]
    assert isinstance(p_select, list)
    assert isinstance(per_dose, list)
    assert isinstance(p_no_mtd, float)
    assert math.isclose(sum(p_select) + p_no_mtd, 1.0)
    # Titration starts with one subject at level 1, so fewer than 3 there on average.
    assert per_dose[0] < 3
