"""PART11 A6: times are stored in UTC with their offset; the audit time is the server's clock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import StatementError

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.service import Actor, init_trial, record_event
from trialdesk.store.trial_schema import AuditRow, TrialRow

STUDY_YAML = (
    Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
).read_text("utf-8")
NURSE = Actor("nurse1", "Liu Mei", "coordinator", "Hangzhou")


def test_A6_the_audit_time_is_the_servers_utc_clock_not_the_events_date(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE)
    before = dt.datetime.now(dt.UTC)
    long_ago = dt.date(2019, 3, 4)  # the date the user states for the event
    record_event(
        trial_engine,
        "NCT07329959",
        SubjectRegistered(subject_id="S1", date=long_ago, site="Hangzhou"),
        NURSE,
    )
    after = dt.datetime.now(dt.UTC)
    with trial_engine.connect() as connection:
        at = connection.execute(select(AuditRow.at).order_by(AuditRow.seq.desc())).scalars().first()
    assert at is not None
    assert at.utcoffset() == dt.timedelta(0)
    assert before <= at <= after


def test_A6_the_stored_text_carries_its_offset(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE)
    with trial_engine.connect() as connection:
        raw = connection.execute(text("SELECT CAST(at AS TEXT) FROM audit_entries")).scalars()
        stored = list(raw)
    assert stored
    # SQLite keeps ISO 8601 text with +00:00; PostgreSQL's timestamptz holds the instant
    # (in UTC) and prints it with the session zone's offset.
    offset = r"\+00:00$" if trial_engine.dialect.name == "sqlite" else r"[+-]\d\d(:\d\d)?$"
    assert all(re.search(offset, value) for value in stored)


def test_A6_a_time_without_a_zone_is_refused(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE)
    naive = dt.datetime(2026, 6, 1, 9, 30)  # noqa: DTZ001 - the point of the test
    row = {"nct_id": "NCT00000001", "study_yaml": "x", "study_sha256": "0" * 64}
    with pytest.raises(StatementError, match="needs its zone"), trial_engine.begin() as c:
        c.execute(insert(TrialRow).values(**row, created_at=naive))
