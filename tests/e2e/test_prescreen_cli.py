"""``trialdesk prescreen`` end to end on a SQLite registry file: contract JSON, table, refusals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from trialdesk.cli import app
from trialdesk.eligibility import (
    Attestation,
    Comparator,
    Compare,
    Criterion,
    Observation,
    RuleSet,
    Section,
    SubjectData,
    Threshold,
)
from trialdesk.store.prescreen_schema import metadata, save_subjects

REPO = Path(__file__).resolve().parents[2]
SEED_STUDY = REPO / "studies" / "NCT07329959" / "study.yaml"
AS_OF = dt.date(2026, 6, 1)
runner = CliRunner()

RULES = RuleSet(
    criteria=(
        Criterion(
            id="I6",
            section=Section.INCLUSION,
            text="platelets > 60 x 10^9/L",
            rule=Compare(
                criterion="I6",
                measure="platelets",
                comparator=Comparator.GT,
                threshold=Threshold(value=Decimal(60), unit="10*9/L"),
            ),
        ),
        Criterion(
            id="E8",
            section=Section.EXCLUSION,
            text="creatinine > 2.5 mg/dL",
            rule=Compare(
                criterion="E8",
                measure="creatinine",
                comparator=Comparator.GT,
                threshold=Threshold(value=Decimal("2.5"), unit="mg/dL"),
            ),
        ),
    ),
    lab_window_days=28,
    lab_window_source="test",
)


def _obs(measure: str, value: str, unit: str) -> Observation:
    return Observation(measure=measure, value=Decimal(value), unit=unit, date=AS_OF, source="labs")


SUBJECTS = (
    # eligible: platelets 200 x 10^9/L, creatinine 88.42 umol/L = 1 mg/dL
    SubjectData(
        subject_id="R-001",
        screening_date=AS_OF,
        observations=(_obs("platelets", "200", "10*9/L"), _obs("creatinine", "88.42", "umol/L")),
        attestations=(Attestation(criterion="I2", holds=True, by="PI", date=AS_OF),),
    ),
    # not eligible: platelets 50,000 /uL = 50 x 10^9/L
    SubjectData(
        subject_id="R-002",
        screening_date=AS_OF,
        observations=(_obs("platelets", "50000", "/uL"),),
    ),
    # incomplete: no creatinine
    SubjectData(
        subject_id="R-003",
        screening_date=AS_OF,
        observations=(_obs("platelets", "300", "10*9/L"),),
    ),
)


@pytest.fixture
def registry(tmp_path: Path) -> str:
    path = tmp_path / "registry.db"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
        save_subjects(connection, SUBJECTS)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(params=["json", "yaml"])
def rules_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"rules.{request.param}"
    data = RULES.model_dump(mode="json")
    if request.param == "json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        YAML(typ="safe").dump(data, path)
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["prescreen", *args])
    return result.exit_code, result.output


def test_json_has_the_contract_keys_counts_and_candidates(registry, rules_file) -> None:
    code, output = _invoke(
        "--db", registry, "--rules", str(rules_file), "--as-of", AS_OF.isoformat(), "--json"
    )
    assert code == 0, output
    assert json.loads(output) == {
        "as_of": "2026-06-01",
        "counts": {"eligible": 1, "not_eligible": 1, "incomplete": 1},
        "candidates": [
            {"subject_id": "R-001", "status": "eligible", "unknown": []},
            {"subject_id": "R-003", "status": "incomplete", "unknown": ["E8"]},
        ],
    }


def test_the_table_shows_counts_and_candidates(registry, rules_file) -> None:
    code, output = _invoke("--db", registry, "--rules", str(rules_file), "--as-of", "2026-06-01")
    assert code == 0, output
    assert "Pre-screen on 2026-06-01" in output
    assert "R-001" in output
    assert "R-003" in output
    assert "R-002" not in output


def test_a_later_as_of_date_makes_the_labs_stale(registry, rules_file) -> None:
    code, output = _invoke(
        "--db", registry, "--rules", str(rules_file), "--as-of", "2026-07-15", "--json"
    )
    assert code == 0, output
    assert json.loads(output)["counts"] == {"eligible": 0, "not_eligible": 0, "incomplete": 3}


def test_the_seed_study_rules_screen_the_registry(registry) -> None:
    code, output = _invoke("--db", registry, "--study", str(SEED_STUDY), "--json")
    assert code == 0, output
    counts = json.loads(output)["counts"]
    assert sum(counts.values()) == len(SUBJECTS)
    assert counts["eligible"] == 0  # the seed's attestations are not in this registry


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--db", "sqlite:///nowhere.db", "--rules", "{rules}"],
            "nowhere.db: no such database file",
        ),
        (["--db", "{db}"], "exactly one of them"),
        (["--db", "{db}", "--rules", "{rules}", "--study", str(SEED_STUDY)], "exactly one"),
        (["--db", "{db}", "--rules", "{rules}", "--as-of", "1 June"], "a date YYYY-MM-DD"),
        (["--db", "not a url", "--rules", "{rules}"], "a database URL"),
        (["--db", "{db}", "--rules", "missing.json"], "missing.json: no such file"),
    ],
)
def test_bad_input_exits_2_with_a_message(registry, rules_file, args, message) -> None:
    filled = [a.format(db=registry, rules=rules_file) for a in args]
    code, output = _invoke(*filled)
    assert code == 2
    assert message in output


def test_a_malformed_as_of_is_refused_by_name(registry, rules_file) -> None:
    code, output = _invoke("--db", registry, "--rules", str(rules_file), "--as-of", "2026-13-01")
    assert code == 2
    assert "argument `--as-of` got '2026-13-01'; expected a date YYYY-MM-DD" in output


def test_without_as_of_the_date_is_today_in_utc(registry, rules_file) -> None:
    before = dt.datetime.now(dt.UTC).date()
    code, output = _invoke("--db", registry, "--rules", str(rules_file), "--json")
    after = dt.datetime.now(dt.UTC).date()
    assert code == 0, output
    assert dt.date.fromisoformat(json.loads(output)["as_of"]) in {before, after}


def test_a_database_without_the_tables_is_reported(tmp_path, rules_file) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, output = _invoke("--db", f"sqlite:///{empty}", "--rules", str(rules_file))
    assert code == 2
    assert "not a pre-screen registry" in output
    assert "missing attestations, facts, measures, observations, subjects, units" in output


def test_a_registry_of_an_earlier_revision_is_refused_naming_the_missing_columns(
    tmp_path, rules_file
) -> None:
    # Before measures and units were keyed, observations held them as text.
    earlier = tmp_path / "earlier.db"
    engine = create_engine(f"sqlite:///{earlier}", poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.exec_driver_sql("ALTER TABLE observations RENAME COLUMN measure_id TO measure")
        connection.exec_driver_sql("ALTER TABLE observations RENAME COLUMN unit_id TO unit")
        connection.exec_driver_sql("DROP TABLE units")
    engine.dispose()
    code, output = _invoke("--db", f"sqlite:///{earlier}", "--rules", str(rules_file))
    assert code == 2
    assert "missing observations.measure_id, observations.unit_id, units" in output
