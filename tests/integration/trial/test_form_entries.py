"""Form entries stored as events: validated on the trial's own forms, corrected only as a new
version with a reason (PART11.md A4), each with its audit entry; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.conduct.form_entry import FormEntryError
from trialdesk.errors import NotFoundError
from trialdesk.service import Actor, audit_verify, init_trial, record_event, trial_state
from trialdesk.service.trial import Recorded, record_form_entry
from trialdesk.store.trial_schema import AuditRow

STUDY_DIR = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959"
STUDY_YAML = (STUDY_DIR / "study.yaml").read_text("utf-8")
FORMS_YAML = (STUDY_DIR / "forms.yaml").read_text("utf-8")
NCT = "NCT07329959"
DAY = dt.date(2026, 6, 1)
NURSE = Actor("nurse1", "Liu Mei", "coordinator", "Hangzhou")
INVESTIGATOR = Actor("pi1", "Wang Jun", "principal_investigator", "Hangzhou")
VITALS = {
    "measured_at": "2026-06-01T08:00:00+08:00",
    "weight": {"value": "68.5", "unit": "kg"},
    "systolic_bp": {"value": "128", "unit": "mm[Hg]"},
    "diastolic_bp": {"value": "78", "unit": "mm[Hg]"},
    "heart_rate": 72,
    "respiratory_rate": 18,
    "temperature": "36.7",
    "spo2": {"value": "93", "unit": "%"},
}


def _enter(
    engine: Engine, values: dict[str, object], reason: str | None = None, actor: Actor = NURSE
) -> Recorded:
    return record_form_entry(
        engine,
        NCT,
        subject_id="S1",
        visit_id="screening",
        form_id="vital_signs",
        values=values,
        actor=actor,
        on=DAY,
        reason=reason,
    )


def test_C4_endpoint_collection_an_entry_is_validated_stored_and_audited(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE, FORMS_YAML)
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    _enter(trial_engine, VITALS)
    assert trial_state(trial_engine, NCT).subjects["S1"].form_entries == (
        ("screening", "vital_signs", 1),
    )
    with trial_engine.connect() as connection:
        row = connection.execute(
            select(AuditRow.field, AuditRow.new_value).order_by(AuditRow.seq.desc()).limit(1)
        ).one()
    assert row.field == "form/screening/vital_signs"
    assert '"weight"' in row.new_value
    assert audit_verify(trial_engine).verified


def test_C3_invalid_values_are_refused_item_by_item_at_capture_and_nothing_is_written(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE, FORMS_YAML)
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    with pytest.raises(FormEntryError, match="Weight") as refused:
        _enter(trial_engine, VITALS | {"weight": {"value": "680", "unit": "kg"}})
    assert refused.value.rule == "form.invalid"
    assert trial_state(trial_engine, NCT).subjects["S1"].form_entries == ()


def test_A4_a_stored_entry_is_corrected_only_with_a_reason(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE, FORMS_YAML)
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    _enter(trial_engine, VITALS)
    corrected = VITALS | {"weight": {"value": "65.8", "unit": "kg"}}
    with pytest.raises(FormEntryError, match=r"form\.conflict") as refused:
        _enter(trial_engine, corrected)
    assert "a correction needs a reason" in str(refused.value)
    _enter(trial_engine, corrected, reason="scale not zeroed; re-weighed")
    entries = trial_state(trial_engine, NCT).subjects["S1"].form_entries
    assert entries == (("screening", "vital_signs", 1), ("screening", "vital_signs", 2))


def test_a_trial_without_forms_says_so(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE)
    with pytest.raises(NotFoundError, match="has no forms"):
        _enter(trial_engine, VITALS)


def test_C6_an_identical_replay_writes_nothing_and_a_differing_value_is_a_named_conflict(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE, FORMS_YAML)
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    _enter(trial_engine, VITALS)
    entries_before = audit_verify(trial_engine).entries
    # The same transfer sent again (spelled differently, same values once normalised).
    replay = _enter(trial_engine, VITALS | {"weight": {"value": "68500", "unit": "g"}})
    assert [notice.rule for notice in replay.notices] == ["form.identical_replay"]
    assert audit_verify(trial_engine).entries == entries_before
    # A differing value is refused, naming the item, the stored and the new value.
    with pytest.raises(FormEntryError) as conflict:
        _enter(trial_engine, VITALS | {"heart_rate": 88})
    assert conflict.value.rule == "form.conflict"
    assert "heart_rate: 72 -> 88" in str(conflict.value)
    assert audit_verify(trial_engine).entries == entries_before


def test_A10_a_correction_of_another_persons_entry_names_the_corrector(
    trial_engine: Engine,
) -> None:
    init_trial(trial_engine, STUDY_YAML, NURSE, FORMS_YAML)
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    _enter(trial_engine, VITALS)
    monitor_finding = "source document says 66.1 kg"
    _enter(
        trial_engine,
        VITALS | {"weight": {"value": "66.1", "unit": "kg"}},
        monitor_finding,
        INVESTIGATOR,
    )
    with trial_engine.connect() as connection:
        rows = connection.execute(
            select(AuditRow.actor_user_id, AuditRow.actor_name, AuditRow.old_value, AuditRow.reason)
            .where(AuditRow.field == "form/screening/vital_signs")
            .order_by(AuditRow.seq)
        ).all()
    assert [(r.actor_user_id, r.old_value, r.reason) for r in rows] == [
        ("nurse1", None, None),
        ("pi1", "version 1", monitor_finding),
    ]
    assert rows[1].actor_name == "Wang Jun"
