"""The trial commands end to end on a real SQLite file: init, status, decide, log, audit
verify, and the demo's whole simulated trial with its JSON contract."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
runner = CliRunner()
CHAIR = "src01:Dr Chair:src_chair:Hangzhou"
DEMO_KEYS = {
    "study",
    "subjects",
    "screen_failures",
    "cohorts",
    "mtd",
    "audit_entries",
    "audit_verified",
}


def test_demo_runs_a_whole_trial_and_prints_the_contract_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(
        app,
        [
            "demo",
            "--root",
            str(REPO),
            "--scenario",
            "0.05,0.10,0.60",
            "--seed",
            "7",
            "--db",
            db,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= DEMO_KEYS
    assert data["study"] == "NCT07329959"
    assert data["audit_verified"] is True
    cohorts = data["cohorts"]
    assert cohorts[0]["level"] == 1  # the seed starts at level 1
    assert all(set(c) == {"level", "subjects", "dlts", "decision", "rule"} for c in cohorts)
    assert cohorts[-1]["decision"] == "stop"
    assert sum(len(c["subjects"]) for c in cohorts) + data["screen_failures"] == data["subjects"]
    # The database it leaves behind verifies from the command line as well.
    verify = runner.invoke(app, ["audit", "verify", "--db", db])
    assert verify.exit_code == 0, verify.output
    assert f"{data['audit_entries']} entries" in verify.stdout
    log = runner.invoke(app, ["log", "--trial", "NCT07329959", "--db", db, "--json"])
    rules = [row["rule"] for row in json.loads(log.stdout)]
    assert rules == [c["rule"] for c in cohorts]


def test_demo_with_the_same_seed_is_the_same_trial(tmp_path: Path) -> None:
    runs = [
        runner.invoke(
            app,
            [
                "demo",
                "--root",
                str(REPO),
                "--seed",
                "3",
                "--json",
                "--db",
                f"sqlite:///{tmp_path / f'{i}.db'}",
            ],
        )
        for i in range(2)
    ]
    first, second = (json.loads(run.stdout) for run in runs)
    assert first["cohorts"] == second["cohorts"]


def test_demo_refuses_a_scenario_of_the_wrong_length() -> None:
    result = runner.invoke(app, ["demo", "--root", str(REPO), "--scenario", "0.1,0.2", "--json"])
    assert result.exit_code == 2
    assert "3 dose levels" in result.output


def test_trial_init_status_and_a_tampered_database(tmp_path: Path) -> None:
    path = tmp_path / "trial.db"
    db = f"sqlite:///{path}"
    init = runner.invoke(app, ["trial", "init", "--study", str(STUDY), "--as", CHAIR, "--db", db])
    assert init.exit_code == 0, init.output
    status = runner.invoke(app, ["trial", "status", "--trial", "NCT07329959", "--db", db])
    assert status.exit_code == 0
    assert "running" in status.stdout
    decide = runner.invoke(app, ["decide", "--trial", "NCT07329959", "--db", db])
    assert "cohort.open_slots" in decide.stdout
    again = runner.invoke(app, ["trial", "init", "--study", str(STUDY), "--as", CHAIR, "--db", db])
    assert again.exit_code == 2  # one trial per registry id
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER audit_entries_UPDATE_refused")
    connection.execute("UPDATE audit_entries SET actor_name = 'someone else'")
    connection.commit()
    connection.close()
    verify = runner.invoke(app, ["audit", "verify", "--db", db])
    assert verify.exit_code == 2
    assert "audit entry 1: edited" in verify.output


def test_a_malformed_actor_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    result = runner.invoke(app, ["trial", "init", "--study", str(STUDY), "--as", "me", "--db", db])
    assert result.exit_code == 2
    assert "USER_ID:Printed Name:role:site" in result.output


def test_db_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    assert (
        runner.invoke(
            app, ["trial", "init", "--study", str(STUDY), "--as", CHAIR, "--db", db]
        ).exit_code
        == 0
    )
    backup = tmp_path / "trial.backup"
    assert runner.invoke(app, ["db", "backup", "--db", db, "--to", str(backup)]).exit_code == 0
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    result = runner.invoke(app, ["db", "restore", "--from", str(backup), "--db", restored])
    assert result.exit_code == 0, result.output
    assert "audit trail verified (3 entries)" in result.stdout  # the account, trial, forms
    again = runner.invoke(app, ["db", "restore", "--from", str(backup), "--db", restored])
    assert again.exit_code == 2
    assert "never overwrites" in again.output


def test_trial_resume_is_refused_when_nothing_is_paused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    assert (
        runner.invoke(
            app, ["trial", "init", "--study", str(STUDY), "--as", CHAIR, "--db", db]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app,
        [
            "trial",
            "resume",
            "--trial",
            "NCT07329959",
            "--reason",
            "review",
            "--as",
            CHAIR,
            "--db",
            db,
        ],
    )
    assert result.exit_code == 2
    assert "trial.not_paused" in result.output
    coordinator = "coord1:Chen Li:coordinator:Hangzhou"
    refused = runner.invoke(
        app,
        [
            "trial",
            "resume",
            "--trial",
            "NCT07329959",
            "--reason",
            "review",
            "--as",
            coordinator,
            "--db",
            db,
        ],
    )
    assert "decision.role" in refused.output


def test_a_malformed_date_is_refused_by_option_name(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    assert (
        runner.invoke(
            app, ["trial", "init", "--study", str(STUDY), "--as", CHAIR, "--db", db]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["decide", "--trial", "NCT07329959", "--db", db, "--as-of", "2026-13-01"]
    )
    assert result.exit_code == 2
    assert "argument `--as-of` got '2026-13-01'; expected a date YYYY-MM-DD" in result.output
