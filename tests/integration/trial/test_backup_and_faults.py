"""Backup and restore verify on a fresh copy (PART11.md C10); a process killed mid-write
leaves both or neither of an event and its audit entry (A1), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import URL, Engine, func, select

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.errors import OutputExistsError
from trialdesk.service import Actor, audit_verify, init_trial, record_event, trial_state
from trialdesk.store.backup import backup_database, restore_database
from trialdesk.store.engine import open_engine
from trialdesk.store.trial_schema import AuditRow, EventRow

REPO = Path(__file__).resolve().parents[3]
STUDY_YAML = (REPO / "studies" / "NCT07329959" / "study.yaml").read_text("utf-8")
NCT = "NCT07329959"
ACTOR = Actor("coord1", "Chen Li", "coordinator", "Hangzhou")
_NAMES = itertools.count()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _fresh_target(
    engine: Engine, server: PostgreSQLExecutor | None, tmp_path: Path
) -> tuple[str, DatabaseJanitor | None]:
    """A URL for an empty database of the same kind, and the janitor that drops it."""
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}", None
    assert server is not None
    name = f"restored_{next(_NAMES)}"
    janitor = DatabaseJanitor(
        user=server.user, host=server.host, port=server.port, dbname=name, password=server.password
    )
    janitor.init()
    url = URL.create(
        "postgresql+psycopg",
        username=server.user,
        password=server.password,
        host=server.host,
        port=server.port,
        database=name,
    )
    return url.render_as_string(hide_password=False), janitor


def test_C10_a_restored_backup_verifies_and_holds_the_same_trial(
    trial_engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    init_trial(trial_engine, STUDY_YAML, ACTOR)
    for number in range(5):
        event = SubjectRegistered(subject_id=f"S{number}", date=dt.date(2026, 6, 1), site="H")
        record_event(trial_engine, NCT, event, ACTOR)
    backup = tmp_path / "trial.backup"
    backup_database(_url(trial_engine), backup)
    with pytest.raises(OutputExistsError):
        backup_database(_url(trial_engine), backup)
    server = (
        None
        if trial_engine.dialect.name == "sqlite"
        else request.getfixturevalue("postgresql_server")
    )
    target, janitor = _fresh_target(trial_engine, server, tmp_path)
    try:
        restore_database(backup, target)
        with pytest.raises(OutputExistsError):
            restore_database(backup, target)  # never over a database that holds data
        restored = open_engine(target)
        try:
            report = audit_verify(restored)
            assert report.verified, report.problems
            assert report.events == 5
            assert set(trial_state(restored, NCT).subjects) == {f"S{n}" for n in range(5)}
        finally:
            restored.dispose()
    finally:
        if janitor is not None:
            janitor.drop()


_WRITER = textwrap.dedent(
    """
    import datetime as dt, itertools, sys
    from trialdesk.conduct.events import SubjectRegistered
    from trialdesk.service import Actor, record_event
    from trialdesk.store.engine import open_engine
    engine = open_engine(sys.argv[1])
    actor = Actor("coord1", "Chen Li", "coordinator", "Hangzhou")
    for number in itertools.count():
        event = SubjectRegistered(subject_id=f"K{number}", date=dt.date(2026, 6, 1), site="H")
        record_event(engine, "NCT07329959", event, actor)
        if number == 20:
            print("writing", flush=True)
    """
)


def test_A1_a_process_killed_mid_write_leaves_no_half_written_event(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, ACTOR)
    writer = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _WRITER, _url(trial_engine)],
        stdout=subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": str(REPO / "src")},
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == b"writing"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    report = audit_verify(trial_engine)
    assert report.verified, report.problems
    with trial_engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(EventRow)).scalar_one()
        audited = connection.execute(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.record_table == "trial_events")
        ).scalar_one()
    assert events == audited > 20
    assert len(trial_state(trial_engine, NCT).subjects) == events
