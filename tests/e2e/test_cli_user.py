"""``trialdesk user add|grant|list`` end to end on a real SQLite file (PART11.md A9)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
runner = CliRunner()
ADMIN = "adm1:Admin One:admin:Hangzhou"
COORD = "coord1:Chen Li:coordinator:Hangzhou"
AUDITOR = "aud1:Ms Audit:auditor:Sponsor"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_A9_user_creation_and_role_grants_are_audited(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    assert "user coord1 (Chen Li) created: coordinator at Hangzhou, by adm1" in _run(
        "user", "add", "--user", COORD, "--reason", "new starter", "--as", ADMIN, "--db", db
    )
    grant = ["user", "grant", "--user", "coord1", "--role", "investigator", "--site", "Ningbo"]
    granted = _run(*grant, "--reason", "sub-investigator at Ningbo", "--as", ADMIN, "--db", db)
    assert "user coord1 is now investigator at Ningbo, by adm1" in granted
    listing = json.loads(_run("user", "list", "--db", db, "--json"))
    assert set(listing) == {"users", "grants"}
    assert [(u["user_id"], u["role"], u["site"]) for u in listing["users"]] == [
        ("adm1", "admin", "Hangzhou"),
        ("coord1", "investigator", "Ningbo"),
    ]
    assert set(listing["users"][0]) == {"user_id", "name", "role", "site", "created_at"}
    (grant,) = listing["grants"]
    assert set(grant) == {"user_id", "role", "site", "granted_by", "granted_at", "reason"}
    assert (grant["granted_by"], grant["reason"]) == ("adm1", "sub-investigator at Ningbo")
    assert grant["granted_at"].endswith("+00:00")
    table = _run("user", "list", "--db", db)
    assert "1 role grants" in table
    # Reviewable in the audit trail too, by a user with the right.
    _run("user", "add", "--user", AUDITOR, "--as", ADMIN, "--db", db)
    trail = json.loads(
        _run("audit", "list", "--db", db, "--as", AUDITOR, "--user", "adm1", "--json")
    )
    assert [(e["action"], e["entity"]) for e in trail["entries"]] == [
        ("user.create", "user/adm1"),
        ("user.create", "user/coord1"),
        ("user.grant", "user/coord1"),
        ("user.create", "user/aud1"),
    ]
    assert _run("audit", "verify", "--db", db).startswith("audit trail verified")


def test_A9_a_role_change_without_a_grant_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    _run("trial", "init", "--study", str(STUDY), "--as", ADMIN, "--db", db)
    add = ["subject", "add", "--trial", "NCT07329959", "--site", "H", "--date", "2026-06-01"]
    _run(*add, "--subject", "S1", "--as", COORD, "--db", db)
    claimed = "coord1:Chen Li:principal_investigator:Hangzhou"
    result = runner.invoke(app, [*add, "--subject", "S2", "--as", claimed, "--db", db])
    assert result.exit_code == 2
    assert "user.mismatch" in result.output
    assert "trialdesk user grant --user coord1" in result.output
    status = _run("trial", "status", "--trial", "NCT07329959", "--db", db)
    assert "S2" not in status


def test_A9_only_an_admin_grants_roles(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    _run("user", "add", "--user", COORD, "--as", ADMIN, "--db", db)
    grant = ["user", "grant", "--user", "coord1", "--role", "admin", "--reason", "mine"]
    result = runner.invoke(app, [*grant, "--as", COORD, "--db", db])
    assert result.exit_code == 2
    assert "user.admin_role" in result.output
    assert "the roles that may: admin, principal_investigator" in result.output
    listing = json.loads(_run("user", "list", "--db", db, "--json"))
    assert listing["grants"] == []
