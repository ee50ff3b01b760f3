"""The trial store on real SQLite and PostgreSQL: events with their audit entries, the
append-only rule, the hash chain, refusals that write nothing, concurrent enrolment.

Tests are named after the PART11.md statements they prove (A1, A2, A3, A7, C2).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from trialdesk.conduct.events import (
    ConsentSigned,
    EscalationConfirmed,
    Infused,
    ScreeningRecorded,
    SubjectEnrolled,
    SubjectRegistered,
)
from trialdesk.errors import ConductError, TransitionRefusedError
from trialdesk.service import Actor, audit_verify, init_trial, record_event, trial_state
from trialdesk.store.engine import open_engine
from trialdesk.store.trial_schema import AuditRow, EventRow

STUDY_YAML = (
    Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
).read_text("utf-8")
NCT = "NCT07329959"
DAY = dt.date(2026, 6, 1)
COORDINATOR = Actor("coord1", "Chen Li", "coordinator", "Hangzhou")


def _eligible(engine: Engine, sid: str) -> None:
    for event in (
        SubjectRegistered(subject_id=sid, date=DAY, site="Hangzhou"),
        ConsentSigned(subject_id=sid, date=DAY, form_version="ICF v1.0"),
        ScreeningRecorded(subject_id=sid, date=DAY, eligible=True),
    ):
        record_event(engine, NCT, event, COORDINATOR)


def _count(engine: Engine, table: type[EventRow] | type[AuditRow]) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_A1_every_event_is_written_with_its_audit_entry(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _eligible(trial_engine, "S1")
    assert _count(trial_engine, EventRow) == 3
    # the trial's creation, the coordinator's account (made on first use), and one per event
    assert _count(trial_engine, AuditRow) == 5
    assert audit_verify(trial_engine).verified


def test_A2_audit_entry_names_who_when_what_old_new_and_source(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _eligible(trial_engine, "S1")
    before = dt.datetime.now(dt.UTC)
    record_event(
        trial_engine,
        NCT,
        SubjectEnrolled(subject_id="S1", date=DAY),
        COORDINATOR,
        reason="first subject",
    )
    with trial_engine.connect() as connection:
        row = connection.execute(select(AuditRow).order_by(AuditRow.seq.desc())).mappings().first()
    assert row is not None
    assert (row["actor_user_id"], row["actor_name"], row["action"]) == (
        "coord1",
        "Chen Li",
        "enrolled",
    )
    assert (row["entity"], row["field"], row["old_value"], row["new_value"]) == (
        "subject/S1",
        "status",
        "eligible",
        "enrolled",
    )
    assert (row["reason"], row["source"]) == ("first subject", "cli")
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=dt.UTC)
    assert before - dt.timedelta(seconds=5) <= at <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize("statement", ["UPDATE {t} SET source = 'x'", "DELETE FROM {t}"])
@pytest.mark.parametrize("table", ["audit_entries", "trial_events"])
def test_A3_audit_and_event_rows_cannot_be_updated_or_deleted(
    trial_engine: Engine, statement: str, table: str
) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _eligible(trial_engine, "S1")
    with pytest.raises(DBAPIError, match="append-only"), trial_engine.begin() as connection:
        connection.execute(text(statement.format(t=table)))
    assert audit_verify(trial_engine).verified


def _drop_guard(trial_engine: Engine, table: str) -> None:
    """What someone with raw database access could do: remove the append-only trigger."""
    with trial_engine.begin() as connection:
        if trial_engine.dialect.name == "sqlite":
            connection.execute(text(f"DROP TRIGGER {table}_UPDATE_refused"))
            connection.execute(text(f"DROP TRIGGER {table}_DELETE_refused"))
        else:
            connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))


def test_A7_verify_names_an_event_edited_outside_the_application(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _eligible(trial_engine, "S1")
    _drop_guard(trial_engine, "trial_events")
    with trial_engine.begin() as connection:
        connection.execute(text("UPDATE trial_events SET reason = 'edited' WHERE seq = 2"))
    report = audit_verify(trial_engine)
    assert report.problems == ("trial event 2: edited (its hash does not match its audit entry)",)


def test_A7_verify_names_a_deleted_event_and_a_deleted_audit_entry(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _eligible(trial_engine, "S1")
    _drop_guard(trial_engine, "trial_events")
    _drop_guard(trial_engine, "audit_entries")
    with trial_engine.begin() as connection:
        connection.execute(text("DELETE FROM trial_events WHERE seq = 3"))
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 3"))  # event 1's
    problems = audit_verify(trial_engine).problems
    assert "audit entry 4: the chain breaks before it (entry missing)" in problems
    assert "trial event 1: no audit entry (written outside trialdesk)" in problems
    assert "trial event 3: deleted (its audit entry remains)" in problems


def test_C2_an_out_of_order_event_is_refused_and_writes_nothing(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    record_event(
        trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), COORDINATOR
    )
    events, entries = _count(trial_engine, EventRow), _count(trial_engine, AuditRow)
    infuse = Infused(subject_id="S1", date=DAY, level=1, dose_cells=Decimal(1))
    with pytest.raises(TransitionRefusedError, match=r"subject\.wrong_status"):
        record_event(trial_engine, NCT, infuse, COORDINATOR)
    assert (_count(trial_engine, EventRow), _count(trial_engine, AuditRow)) == (events, entries)


def test_only_a_confirming_role_signs_a_dose_decision(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    event = EscalationConfirmed(
        date=DAY, rule="x", next_level=1, confirmed_by="coord1", role="coordinator"
    )
    with pytest.raises(ConductError, match=r"decision\.role"):
        record_event(trial_engine, NCT, event, COORDINATOR)


def test_fifty_concurrent_enrolments_into_three_slots_enrol_exactly_three(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    subjects = [f"S{i}" for i in range(50)]
    for sid in subjects:
        _eligible(trial_engine, sid)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(subjects))

    def enrol(sid: str) -> None:
        start.wait()
        try:
            record_event(trial_engine, NCT, SubjectEnrolled(subject_id=sid, date=DAY), COORDINATOR)
            result = "enrolled"
        except TransitionRefusedError as refused:
            result = refused.rule
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=enrol, args=(sid,)) for sid in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("enrolled") == 3
    assert outcomes.count("cohort.full") == 47
    state = trial_state(trial_engine, NCT)
    assert len(state.cohorts[0].members) == 3
    assert audit_verify(trial_engine).verified


def test_a_database_recreated_at_the_same_url_is_replayed_afresh(tmp_path: Path) -> None:
    path = tmp_path / "trial.db"
    for round_ in range(2):
        engine = open_engine(f"sqlite:///{path}")
        init_trial(engine, STUDY_YAML, COORDINATOR)
        sid = f"S{round_}"
        _eligible(engine, sid)
        state = trial_state(engine, NCT)
        assert set(state.subjects) == {sid}  # nothing of the deleted database survives
        engine.dispose()
        path.unlink()


def test_A7_verify_names_a_study_definition_edited_outside_the_application(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _drop_guard(trial_engine, "trials")
    with trial_engine.begin() as connection:
        edited = STUDY_YAML.replace("dlt_window_days: 14", "dlt_window_days: 7")
        connection.execute(text("UPDATE trials SET study_yaml = :y"), {"y": edited})
    assert audit_verify(trial_engine).problems == (
        "trials row 1: edited or written outside trialdesk",
    )
