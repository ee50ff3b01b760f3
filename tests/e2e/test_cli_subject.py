"""One subject through the use-case commands on a real SQLite file, and refusals by rule."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
runner = CliRunner()
COORD = "coord1:Chen Li:coordinator:Hangzhou"
PI = "pi1:Dr Wang:principal_investigator:Hangzhou"
REVIEWER = "rev1:Dr Zhao:safety_reviewer:Hangzhou"
ATTESTED = ["I1", "I2", "I3", "I4", "I4.4", "I4.5", "E2", "E3", "E4", "E5", "E6", "E7", "E8"]
ATTESTED += ["E9", "E10", "E11", "E12"]


def _subject_json(path: Path) -> Path:
    labs = [
        ("haematocrit", "40", "%", {}),
        ("lymphocytes", "1.5", "10*9/L", {}),
        ("platelets", "200", "10*9/L", {}),
        ("creatinine", "80", "umol/L", {}),
        ("ast", "20", "U/L", {"uln": "40"}),
        ("alt", "20", "U/L", {"uln": "40"}),
        ("bilirubin", "0.5", "mg/dL", {}),
        ("inr", "1.0", "{INR}", {}),
        ("aptt", "30", "s", {"control": "30"}),
    ]
    data = {
        "subject_id": "S1",
        "screening_date": "2026-06-01",
        "birth_date": "1960-02-02",
        "observations": [
            {"measure": m, "value": v, "unit": u, "date": "2026-05-30", "source": "labs", **ref}
            for m, v, u, ref in labs
        ],
        "facts": [
            {"name": n, "present": False, "date": "2026-06-01", "source": "history"}
            for n in (
                "cellular_immunotherapy",
                "acute_exacerbation_of_ipf",
                "anticoagulant_therapy",
            )
        ],
        "attestations": [
            {
                "criterion": c,
                "holds": c in {"I1", "I2", "I3", "I4", "I4.4"},
                "by": "pi1",
                "date": "2026-06-01",
            }
            for c in ATTESTED
        ],
    }
    path.write_text(json.dumps(data), "utf-8")
    return path


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_one_subject_from_registration_to_dlt_adjudication(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    common = ["--trial", "NCT07329959", "--db", db]
    _run("trial", "init", "--study", str(STUDY), "--as", PI, "--db", db)
    _run(
        "subject",
        "add",
        *common,
        "--subject",
        "S1",
        "--site",
        "Hangzhou",
        "--date",
        "2026-06-01",
        "--as",
        COORD,
    )
    _run(
        "subject",
        "consent",
        *common,
        "--subject",
        "S1",
        "--form-version",
        "ICF v1.0",
        "--date",
        "2026-06-01",
        "--as",
        COORD,
    )
    screened = _run(
        "subject",
        "screen",
        *common,
        "--subject",
        "S1",
        "--data",
        str(_subject_json(tmp_path / "s1.json")),
        "--as",
        PI,
    )
    assert "S1: eligible" in screened
    enrolled = _run(
        "subject", "enrol", *common, "--subject", "S1", "--date", "2026-06-02", "--as", COORD
    )
    assert "cohort 1, level 1, slot 1 of 3" in enrolled
    _run("subject", "collect", *common, "--subject", "S1", "--date", "2026-06-03", "--as", COORD)
    # 4e5 cells/kg x 70 kg = 2.8e7 cells; 3.0e7 is within +/- 20 %
    _run(
        "subject",
        "release",
        *common,
        "--subject",
        "S1",
        "--cells",
        "30000000",
        "--date",
        "2026-06-18",
        "--as",
        COORD,
    )
    _run("subject", "check", *common, "--subject", "S1", "--date", "2026-06-20", "--as", PI)
    too_far = runner.invoke(
        app,
        [
            "subject",
            "infuse",
            *common,
            "--subject",
            "S1",
            "--at",
            "2026-06-20T10:00:00+00:00",
            "--weight",
            "50",
            "--weighed-at",
            "2026-06-20T08:00:00+00:00",
            "--cells",
            "30000000",
            "--viability",
            "90",
            "--as",
            PI,
        ],
    )
    assert too_far.exit_code == 2  # 4e5 x 50 kg = 2e7 cells: 3e7 is outside +/- 20 %
    assert "dose.product_outside_tolerance" in too_far.output
    infused = _run(
        "subject",
        "infuse",
        *common,
        "--subject",
        "S1",
        "--at",
        "2026-06-20T10:00:00+00:00",
        "--weight",
        "70",
        "--weighed-at",
        "2026-06-20T08:00:00+00:00",
        "--cells",
        "30000000",
        "--viability",
        "90",
        "--as",
        PI,
    )
    assert "= 28,000,000 cells" in infused
    _run(
        "ae",
        "add",
        *common,
        "--subject",
        "S1",
        "--id",
        "AE1",
        "--term",
        "Pneumonitis",
        "--onset",
        "2026-06-25",
        "--grade",
        "3",
        "--date",
        "2026-06-25",
        "--as",
        PI,
    )
    refused = runner.invoke(
        app,
        [
            "dlt",
            "adjudicate",
            *common,
            "--subject",
            "S1",
            "--ae",
            "AE1",
            "--dlt",
            "--related",
            "--date",
            "2026-06-26",
            "--as",
            COORD,
        ],
    )
    assert refused.exit_code == 2
    assert "dlt.role" in refused.output
    _run(
        "dlt",
        "adjudicate",
        *common,
        "--subject",
        "S1",
        "--ae",
        "AE1",
        "--dlt",
        "--related",
        "--date",
        "2026-06-26",
        "--as",
        REVIEWER,
    )
    _run(
        "subject",
        "visit",
        *common,
        "--subject",
        "S1",
        "--visit",
        "day_3",
        "--date",
        "2026-06-23",
        "--as",
        COORD,
    )
    vitals = tmp_path / "vitals.json"
    vitals.write_text(
        json.dumps(
            {
                "measured_at": "2026-06-23T09:00:00+08:00",
                "weight": {"value": "70", "unit": "kg"},
                "systolic_bp": {"value": "120", "unit": "mm[Hg]"},
                "diastolic_bp": {"value": "80", "unit": "mm[Hg]"},
                "heart_rate": 70,
                "respiratory_rate": 16,
                "temperature": "36.6",
                "spo2": {"value": "94", "unit": "%"},
            }
        ),
        "utf-8",
    )
    enter_args = [
        "form",
        "enter",
        *common,
        "--subject",
        "S1",
        "--visit",
        "day_3",
        "--form",
        "vital_signs",
        "--values",
        str(vitals),
        "--date",
        "2026-06-23",
        "--as",
        COORD,
    ]
    entered = _run(*enter_args)
    assert "recorded vital_signs at day_3" in entered
    again = runner.invoke(app, enter_args)
    assert again.exit_code == 0  # the same values again: an identical replay writes nothing
    assert "nothing written" in again.output
    vitals.write_text(vitals.read_text("utf-8").replace('"heart_rate": 70', '"heart_rate": 80'))
    changed = runner.invoke(app, enter_args)
    assert changed.exit_code == 2  # a differing value corrects the first: it needs a reason
    assert "form.conflict" in changed.output
    assert "heart_rate: 70 -> 80" in changed.output
    due = _run("visits", "due", *common, "--subject", "S1", "--today", "2026-06-27")
    assert "done" in due
    assert "due" in due  # Day 7 (June 27) is due
    verify = _run("audit", "verify", "--db", db)
    assert "verified" in verify


def test_an_out_of_order_step_is_refused_by_rule(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    common = ["--trial", "NCT07329959", "--db", db]
    _run("trial", "init", "--study", str(STUDY), "--as", PI, "--db", db)
    _run(
        "subject",
        "add",
        *common,
        "--subject",
        "S1",
        "--site",
        "H",
        "--date",
        "2026-06-01",
        "--as",
        COORD,
    )
    result = runner.invoke(
        app, ["subject", "enrol", *common, "--subject", "S1", "--date", "2026-06-01", "--as", COORD]
    )
    assert result.exit_code == 2
    assert "subject.wrong_status" in result.output
