"""``trialdesk audit list`` end to end on a real SQLite file (PART11.md A8): filters, the
JSON contract, CSV and ODM files, the right to read, and the export's own audit entry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from lxml import etree
from typer.testing import CliRunner

from trialdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
ODM_XSD = REPO / "tests" / "data" / "schemas" / "odm-1.3.2" / "ODM1-3-2.xsd"  # official CDISC XSD
runner = CliRunner()
PI = "pi1:Dr Wang:principal_investigator:Hangzhou"
COORD = "coord1:Chen Li:coordinator:Hangzhou"
MONITOR = "mon1:Ms Monitor:monitor:Sponsor"
JSON_KEYS = {"filter", "read_at", "read_by", "count", "entries"}
ENTRY_KEYS = {
    "seq",
    "at",
    "actor_user_id",
    "actor_name",
    "actor_role",
    "actor_site",
    "action",
    "entity",
    "field",
    "old_value",
    "new_value",
    "reason",
    "source",
    "record_table",
    "record_key",
    "record_hash",
    "prev_hash",
    "entry_hash",
}


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _trial(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    _run("trial", "init", "--study", str(STUDY), "--as", PI, "--db", db)
    for sid in ("S1", "S2"):
        add = ["subject", "add", "--trial", "NCT07329959", "--subject", sid, "--site", "H"]
        _run(*add, "--date", "2026-06-01", "--as", COORD, "--db", db)
    return db


def _list(db: str, *args: str) -> dict[str, object]:
    data = json.loads(_run("audit", "list", "--db", db, "--as", MONITOR, "--json", *args))
    assert isinstance(data, dict)
    return data


def test_A8_audit_list_filters_and_prints_the_json_contract(tmp_path: Path) -> None:
    db = _trial(tmp_path)
    data = _list(db, "--subject", "S2")
    assert set(data) == JSON_KEYS
    entries = data["entries"]
    assert isinstance(entries, list)
    assert data["count"] == len(entries) == 1
    assert set(entries[0]) == ENTRY_KEYS
    assert (entries[0]["action"], entries[0]["entity"], entries[0]["actor_role"]) == (
        "registered",
        "subject/S2",
        "coordinator",
    )
    assert entries[0]["at"].endswith("+00:00")
    by_coord = _list(db, "--user", "coord1", "--action", "registered", "--field", "status")
    assert by_coord["count"] == 2
    assert _list(db, "--from", "2000-01-01", "--to", "2000-12-31")["count"] == 0
    today = entries[0]["at"][:10]
    assert _list(db, "--from", today, "--to", today, "--action", "registered")["count"] == 2
    table = _run("audit", "list", "--db", db, "--as", MONITOR, "--action", "registered")
    assert "2 entries" in table
    assert "subject/S1" in table


def test_A8_audit_list_refuses_a_time_without_offset(tmp_path: Path) -> None:
    db = _trial(tmp_path)
    result = runner.invoke(
        app, ["audit", "list", "--db", db, "--as", MONITOR, "--from", "2026-06-01T10:00:00"]
    )
    assert result.exit_code == 2
    assert "`--from` got '2026-06-01T10:00:00'" in result.output
    assert "offset" in result.output


def test_A8_csv_and_odm_exports_are_written_and_audited(tmp_path: Path) -> None:
    db = _trial(tmp_path)
    csv_path, odm_path = tmp_path / "audit.csv", tmp_path / "audit.xml"
    out = _run(
        "audit", "list", "--db", db, "--as", MONITOR, "--csv", str(csv_path), "--odm", str(odm_path)
    )
    assert f"written to {csv_path} (CSV)" in out
    with csv_path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["action"] for row in rows] == [
        "user.create",  # the investigator's account, made by the trial's creation
        "trial_created",
        "forms_defined",
        "user.create",
        "registered",
        "registered",
        "user.create",  # the monitor's account, made by this first read
    ]
    schema = etree.XMLSchema(etree.parse(str(ODM_XSD)))
    assert schema.validate(etree.parse(str(odm_path))), schema.error_log
    exports = _list(db, "--action", "audit.export")["entries"]
    assert isinstance(exports, list)
    assert [json.loads(e["new_value"])["formats"] for e in exports] == [["csv", "odm"]]
    # An export file that exists is refused without --force, and no export is recorded.
    again = runner.invoke(
        app, ["audit", "list", "--db", db, "--as", MONITOR, "--csv", str(csv_path)]
    )
    assert again.exit_code == 2
    assert "--force" in again.output
    # the CSV and ODM export, and the --json read after it; not the refused one
    assert _list(db, "--action", "audit.export")["count"] == 2
    _run("audit", "list", "--db", db, "--as", MONITOR, "--csv", str(csv_path), "--force")
    assert _run("audit", "verify", "--db", db).startswith("audit trail verified")


FORMULA = '=HYPERLINK("http://evil.example","open me")'


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_A8_a_spreadsheet_safe_csv_quotes_formulas_and_says_it_is_not_an_exact_copy(
    tmp_path: Path,
) -> None:
    db = _trial(tmp_path)
    grant = ["user", "grant", "--user", "coord1", "--role", "investigator", "--site", "H"]
    _run(*grant, "--reason", FORMULA, "--as", PI, "--db", db)
    exact, safe = tmp_path / "exact.csv", tmp_path / "safe.csv"
    _run("audit", "list", "--db", db, "--as", MONITOR, "--csv", str(exact))
    listing = ["audit", "list", "--db", db, "--as", MONITOR, "--csv", str(safe)]
    _run(*listing, "--spreadsheet-safe")
    (exact_grant,) = [row for row in _csv_rows(exact) if row["action"] == "user.grant"]
    (safe_grant,) = [row for row in _csv_rows(safe) if row["action"] == "user.grant"]
    assert exact_grant["reason"] == FORMULA  # the default export is the exact copy
    assert safe_grant["reason"] == f"'{FORMULA}"
    assert {k: v for k, v in safe_grant.items() if k != "reason"} == {
        k: v for k, v in exact_grant.items() if k != "reason"
    }
    exports = _list(db, "--action", "audit.export")["entries"]
    assert isinstance(exports, list)
    formats = [json.loads(e["new_value"])["formats"] for e in exports]
    assert formats == [["csv"], ["csv_spreadsheet_safe"]]
    # Without a CSV to make safe the option is refused, and nothing is recorded.
    alone = runner.invoke(app, ["audit", "list", "--db", db, "--as", MONITOR, "--spreadsheet-safe"])
    assert alone.exit_code == 2
    assert "--spreadsheet-safe" in alone.output
    assert _list(db, "--action", "audit.export")["count"] == 3  # two CSVs, the --json above


def test_A8_audit_list_by_trial_and_an_unknown_trial_refused(tmp_path: Path) -> None:
    db = _trial(tmp_path)
    data = _list(db, "--trial", "NCT07329959")
    assert isinstance(data["filter"], dict)
    assert data["filter"]["trial"] == "NCT07329959"
    entries = data["entries"]
    assert isinstance(entries, list)
    actions = ["trial_created", "forms_defined", "registered", "registered"]  # no accounts
    assert [e["action"] for e in entries] == actions
    unknown = runner.invoke(
        app, ["audit", "list", "--db", db, "--as", MONITOR, "--trial", "NCT00000000", "--json"]
    )
    assert unknown.exit_code == 2
    assert "no trial NCT00000000 in this database (it holds NCT07329959)" in unknown.output


def test_A8_a_user_without_the_right_cannot_export(tmp_path: Path) -> None:
    db = _trial(tmp_path)
    target = tmp_path / "audit.csv"
    result = runner.invoke(app, ["audit", "list", "--db", db, "--as", COORD, "--csv", str(target)])
    assert result.exit_code == 2
    assert "audit.role" in result.output
    assert "coord1 (coordinator) may not read the audit trail" in result.output
    assert not target.exists()
    # Naming a reading role for an account that holds another one does not give the right.
    claimed = "coord1:Chen Li:monitor:Hangzhou"
    result = runner.invoke(app, ["audit", "list", "--db", db, "--as", claimed, "--json"])
    assert result.exit_code == 2
    assert "user.mismatch" in result.output


def test_A8_an_odm_file_of_a_database_without_a_trial_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'users.db'}"
    _run("user", "add", "--user", MONITOR, "--as", "adm1:Admin:admin:Hangzhou", "--db", db)
    target = tmp_path / "audit.xml"
    result = runner.invoke(
        app, ["audit", "list", "--db", db, "--as", MONITOR, "--odm", str(target)]
    )
    assert result.exit_code == 2
    assert "no trial in this database" in result.output
    assert not target.exists()
    assert _list(db, "--action", "audit.export")["count"] == 0
