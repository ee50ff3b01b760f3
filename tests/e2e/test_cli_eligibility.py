"""``trialdesk criteria parse`` and ``trialdesk screen`` end to end: contract JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "studies" / "NCT07329959" / "record.txt"
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
RECORDS = REPO / "tests" / "data" / "records"
runner = CliRunner()
THRESHOLD_KEYS = {"measure", "comparator", "value", "unit", "as_written", "condition", "any_of"}


def test_criteria_parse_json_follows_the_contract() -> None:
    result = runner.invoke(app, ["criteria", "parse", str(SEED), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"inclusion", "exclusion"}
    assert [len(data["inclusion"]), len(data["exclusion"])] == [6, 13]
    for item in [*data["inclusion"], *data["exclusion"]]:
        assert {"n", "text", "subitems", "thresholds", "warnings"} <= set(item)
        for threshold in item["thresholds"]:
            assert set(threshold) >= THRESHOLD_KEYS
            assert threshold["comparator"] in {">", ">=", "<", "<="}
            assert threshold["as_written"] in item["text"]
    i6 = data["inclusion"][5]["thresholds"]
    assert [(t["measure"], t["comparator"], t["value"], t["unit"]) for t in i6] == [
        ("haematocrit", ">", 30, "%"),
        ("lymphocytes", ">", 0.5, "10^9/L"),
        ("platelets", ">", 60, "10^9/L"),
    ]
    e12 = data["exclusion"][11]["thresholds"]
    assert (e12[0]["value"], e12[0]["unit"], e12[0]["any_of"]) == (50000, "/uL", 1)
    assert e12[2]["condition"] == "in the absence of anticoagulant therapy"
    assert len(data["inclusion"][3]["subitems"]) == 5


def test_criteria_parse_reads_a_study_yaml_too() -> None:
    result = runner.invoke(app, ["criteria", "parse", str(STUDY)])
    assert result.exit_code == 0, result.output
    assert "platelets > 60 10^9/L" in result.stdout


def _thresholds(record: str) -> dict[tuple[str, int], list[tuple[object, ...]]]:
    result = runner.invoke(app, ["criteria", "parse", str(RECORDS / record), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {
        (section, item["n"]): [
            (t["measure"], t["comparator"], t["value"], t["unit"]) for t in item["thresholds"]
        ]
        for section in ("inclusion", "exclusion")
        for item in data[section]
    }


def test_criteria_parse_reads_a_withdrawn_study_that_import_refuses() -> None:
    """NCT00984438 was withdrawn (no trial to run), but its criteria still read.

    Inclusion 3 as written: "KPS \\>50; ECOG \\<3"; inclusion 4: "Predicted life
    expectancy of \\> 3 months" (checked by hand against the record).
    """
    refused = runner.invoke(app, ["import", str(RECORDS / "NCT00984438.json")])
    assert refused.exit_code == 2
    found = _thresholds("NCT00984438.json")
    assert found["inclusion", 3] == [("karnofsky", ">", 50, "{score}"), ("ecog", "<", 3, "{score}")]
    assert found["inclusion", 4] == [("life_expectancy", ">", 3, "mo")]


def test_criteria_parse_reads_an_observational_study() -> None:
    """NCT05052671 is observational; inclusion 3 "≥ 18 years old at the time of informed
    consent", inclusion 4 "ECOG Performance Status 0 or 1" (checked by hand).
    """
    found = _thresholds("NCT05052671.json")
    assert found["inclusion", 3] == [("age", ">=", 18, "a")]
    assert found["inclusion", 4] == [("ecog", ">=", 0, "{score}"), ("ecog", "<=", 1, "{score}")]


def test_criteria_parse_refuses_a_record_without_an_nct_number(tmp_path: Path) -> None:
    record = json.loads((RECORDS / "NCT05052671.json").read_text("utf-8"))
    del record["protocolSection"]["identificationModule"]["nctId"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), "utf-8")
    result = runner.invoke(app, ["criteria", "parse", str(path), "--json"])
    assert result.exit_code == 2
    assert "protocolSection.identificationModule.nctId" in result.output
    assert "inclusion" not in result.stdout


def test_screen_prints_the_verdict_with_evidence(tmp_path: Path) -> None:
    subject = {
        "subject_id": "S-7",
        "screening_date": "2026-05-04",
        "birth_date": "1960-01-01",
        "observations": [
            {
                "measure": "platelets",
                "value": "45",
                "unit": "10*9/L",
                "date": "2026-05-01",
                "source": "labs",
            },
            {
                "measure": "creatinine",
                "value": "1.0",
                "unit": "mg/dL",
                "date": "2026-05-01",
                "source": "labs",
            },
        ],
    }
    path = tmp_path / "subject.json"
    path.write_text(json.dumps(subject), "utf-8")
    result = runner.invoke(app, ["screen", "--study", str(STUDY), str(path), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "not_eligible"  # platelets 45 < 60 (I6) and < 50 (E12)
    assert verdict["reason"] == "not met: I6, E12"
    i6 = next(c for c in verdict["criteria"] if c["criterion"] == "I6")
    platelets = next(e for e in i6["evidence"] if e["measure"] == "platelets")
    assert (platelets["value"], platelets["unit"], platelets["date"]) == (
        "45",
        "10*9/L",
        "2026-05-01",
    )
    assert platelets["threshold"] == "> 60 10*9/L"
    table = runner.invoke(app, ["screen", "--study", str(STUDY), str(path)])
    assert table.exit_code == 0
    assert "not_eligible" in table.stdout


def test_screen_refuses_a_malformed_subject_by_name(tmp_path: Path) -> None:
    path = tmp_path / "subject.json"
    path.write_text(json.dumps({"subject_id": "S", "screening_date": "not a date"}), "utf-8")
    result = runner.invoke(app, ["screen", "--study", str(STUDY), str(path)])
    assert result.exit_code == 2
    assert "screening_date" in result.output
