"""The audit trail filtered and exported by a user with the right (PART11.md A8), on real
SQLite and PostgreSQL; the ODM export validated against the official ODM 1.3.2 schema."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, func, select

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.errors import (
    ConductError,
    InputError,
    NotFoundError,
    OutputExistsError,
    TrialdeskError,
)
from trialdesk.exports.audit_export import (
    AUDIT_CSV_COLUMNS,
    ODM_NAMESPACE,
    export_audit_csv,
    export_audit_odm,
)
from trialdesk.service import Actor, audit_verify, init_trial, record_event
from trialdesk.service.audit import AuditExport, AuditSelection, audit_entries
from trialdesk.service.trial import record_form_entry
from trialdesk.service.users import grant_role
from trialdesk.store.audit_query import AuditFilter, TrailEntry
from trialdesk.store.trial_schema import AuditRow

STUDY_DIR = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959"
STUDY_YAML = (STUDY_DIR / "study.yaml").read_text("utf-8")
FORMS_YAML = (STUDY_DIR / "forms.yaml").read_text("utf-8")
ODM_XSD = (  # a copy of ../shared/schemas/odm-1.3.2 (official CDISC XSD, MIT; see its README)
    Path(__file__).resolve().parents[2] / "data" / "schemas" / "odm-1.3.2" / "ODM1-3-2.xsd"
)
NCT = "NCT07329959"
DAY = dt.date(2026, 6, 1)
PI = Actor("pi1", "Dr Wang", "principal_investigator", "Hangzhou")
NURSE = Actor("nurse1", "Liu Mei", "coordinator", "Hangzhou")
MONITOR = Actor("mon1", "Ms Monitor", "monitor", "Sponsor")
# Creates the trial and never acts again: trial creation makes no account (only acting does).
SETUP = Actor("setup1", "Dr Setup", "principal_investigator", "Hangzhou")
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


def _trial(engine: Engine) -> None:
    """Two subjects registered by the nurse, S1's vital signs entered by the PI."""
    init_trial(engine, STUDY_YAML, SETUP, FORMS_YAML)
    for sid in ("S1", "S2"):
        record_event(engine, NCT, SubjectRegistered(subject_id=sid, date=DAY, site="H"), NURSE)
    record_form_entry(
        engine,
        NCT,
        subject_id="S1",
        visit_id="screening",
        form_id="vital_signs",
        values=VITALS,
        actor=PI,
        on=DAY,
    )


def _read(engine: Engine, **criteria: object) -> list[TrailEntry]:
    return list(audit_entries(engine, MONITOR, AuditFilter(**criteria)).entries)  # type: ignore[arg-type]


def _shape(entries: list[TrailEntry]) -> list[tuple[str, str, str, str]]:
    return [(e.action, e.entity, e.field, e.actor_user_id) for e in entries]


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def test_A8_audit_filters_by_subject_form_field_user_action_and_date(trial_engine: Engine) -> None:
    _trial(trial_engine)
    registered_s1 = ("registered", "subject/S1", "status", "nurse1")
    vitals = ("form_entry", "subject/S1", "form/screening/vital_signs", "pi1")
    assert _shape(_read(trial_engine, subject_id="S1")) == [registered_s1, vitals]
    assert _shape(_read(trial_engine, form_id="vital_signs")) == [vitals]
    assert _read(trial_engine, form_id="VITAL_SIGNS") == []  # ids match exactly, case and all
    assert _read(trial_engine, form_id="signs") == []  # a whole form id, not a suffix of one
    assert _shape(_read(trial_engine, field="form/screening/vital_signs")) == [vitals]
    assert _shape(_read(trial_engine, field="systolic_bp")) == [vitals]  # a form item's id
    assert _read(trial_engine, field="no_such_item") == []
    statuses = _read(trial_engine, field="status")
    assert [e.entity for e in statuses] == ["subject/S1", "subject/S2"]
    by_nurse = _read(trial_engine, user_id="nurse1")
    assert [e.action for e in by_nurse] == ["user.create", "registered", "registered"]
    assert [e.entity for e in _read(trial_engine, action="registered")] == [
        "subject/S1",
        "subject/S2",
    ]
    assert _shape(_read(trial_engine, subject_id="S2", action="registered", user_id="nurse1")) == [
        ("registered", "subject/S2", "status", "nurse1")
    ]
    everything = _read(trial_engine)
    assert [e.seq for e in everything] == sorted(e.seq for e in everything)
    # Times: stored in UTC; a bound given in another offset is the same instant.
    s2 = next(e for e in everything if e.entity == "subject/S2")
    assert s2.at.utcoffset() == dt.timedelta(0)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert [e.seq for e in _read(trial_engine, start=s2.at, end=s2.at)] == [s2.seq]
    local = s2.at.astimezone(shanghai)
    assert [e.seq for e in _read(trial_engine, start=local, end=local)] == [s2.seq]
    after = [e.seq for e in _read(trial_engine, start=s2.at + dt.timedelta(microseconds=1))]
    assert s2.seq not in after
    assert after == [e.seq for e in everything if e.at > s2.at]
    before = _read(trial_engine, end=s2.at - dt.timedelta(microseconds=1))
    assert [e.seq for e in before] == [e.seq for e in everything if e.at < s2.at]
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert _read(trial_engine, end=past) == []


def test_A8_a_filter_refuses_a_time_without_offset_and_an_empty_window() -> None:
    with pytest.raises(InputError, match=r"`start`.*UTC offset"):
        AuditFilter(start=dt.datetime(2026, 6, 1))  # noqa: DTZ001 - the point of the test
    late, early = dt.datetime(2026, 6, 2, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(InputError, match="`end`"):
        AuditFilter(start=late, end=early)


def test_A8_entries_carry_the_role_and_site_their_actor_held_then(trial_engine: Engine) -> None:
    _trial(trial_engine)
    grant_role(trial_engine, PI, "nurse1", role="investigator", site="Ningbo", reason="moved")
    nurse = Actor("nurse1", "Liu Mei", "investigator", "Ningbo")
    record_event(trial_engine, NCT, SubjectRegistered(subject_id="S3", date=DAY, site="N"), nurse)
    held = [(e.action, e.actor_role, e.actor_site) for e in _read(trial_engine, user_id="nurse1")]
    assert held == [
        ("user.create", "coordinator", "Hangzhou"),
        ("registered", "coordinator", "Hangzhou"),
        ("registered", "coordinator", "Hangzhou"),
        ("registered", "investigator", "Ningbo"),
    ]
    trial_created = _read(trial_engine, action="trial_created")
    # The trial's creator has an account too, created on first use before the trial.
    assert [(e.actor_role, e.actor_site) for e in trial_created] == [
        ("principal_investigator", "Hangzhou")
    ]


def test_A8_a_user_without_the_right_cannot_export(trial_engine: Engine) -> None:
    _trial(trial_engine)
    before = _count(trial_engine)
    delivered: list[AuditSelection] = []
    export = AuditExport(("csv",), delivered.append)
    with pytest.raises(ConductError, match=r"audit\.role.*nurse1 \(coordinator\)"):
        audit_entries(trial_engine, NURSE, AuditFilter(), export=export)
    # Claiming a reading role for an account that holds another is refused as well.
    claimed = Actor("nurse1", "Liu Mei", "monitor", "Hangzhou")
    with pytest.raises(ConductError, match=r"user\.mismatch"):
        audit_entries(trial_engine, claimed, AuditFilter(), export=export)
    assert delivered == []
    assert _count(trial_engine) == before  # nothing read, nothing written


def test_A8_an_export_is_audited_with_its_filter_in_the_same_transaction(
    trial_engine: Engine,
) -> None:
    _trial(trial_engine)
    audit_filter = AuditFilter(subject_id="S1")
    delivered: list[AuditSelection] = []
    selection = audit_entries(
        trial_engine, MONITOR, audit_filter, export=AuditExport(("csv", "odm"), delivered.append)
    )
    assert delivered == [selection]
    export = _read(trial_engine, action="audit.export")
    assert len(export) == 1
    summary = json.loads(export[0].new_value or "")
    assert summary == {"formats": ["csv", "odm"], "filter": audit_filter.as_dict(), "entries": 2}
    assert export[0].record_key == str(selection.entries[-1].seq)
    # A delivery that fails (the file exists) rolls the export's entry back with it.
    before = _count(trial_engine)

    def refuse(_selection: AuditSelection) -> None:
        raise OutputExistsError("export.csv: the file exists")

    with pytest.raises(OutputExistsError):
        audit_entries(trial_engine, MONITOR, audit_filter, export=AuditExport(("csv",), refuse))
    assert _count(trial_engine) == before
    audit_entries(trial_engine, MONITOR, audit_filter)  # viewing writes nothing
    assert _count(trial_engine) == before
    assert audit_verify(trial_engine).verified


def test_A8_csv_export_has_one_row_per_entry_with_every_column(trial_engine: Engine) -> None:
    _trial(trial_engine)
    selection = audit_entries(trial_engine, MONITOR, AuditFilter())
    rows = list(csv.DictReader(io.StringIO(export_audit_csv(selection), newline="")))
    assert tuple(rows[0]) == AUDIT_CSV_COLUMNS
    assert len(rows) == len(selection.entries)
    for row, entry in zip(rows, selection.entries, strict=True):
        at = dt.datetime.fromisoformat(row["at"])
        assert at == entry.at
        assert at.utcoffset() == dt.timedelta(0)
        assert row["entry_hash"] == entry.entry_hash
        assert row["new_value"] == (entry.new_value or "")
    vitals = next(row for row in rows if row["action"] == "form_entry")
    assert json.loads(vitals["new_value"])["heart_rate"] == 72  # the JSON survives the quoting


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ODM_XSD)))


def test_A8_odm_export_validates_against_the_odm_1_3_2_schema(trial_engine: Engine) -> None:
    _trial(trial_engine)
    selection = audit_entries(trial_engine, MONITOR, AuditFilter())
    document = etree.fromstring(export_audit_odm(selection).encode("utf-8"))
    schema = _schema()
    assert schema.validate(document), schema.error_log
    ns = {"odm": ODM_NAMESPACE}
    records = document.findall("odm:ClinicalData/odm:AuditRecords/odm:AuditRecord", ns)
    assert [r.get("ID") for r in records] == [f"AR.{e.seq}" for e in selection.entries]
    # What the XSD does not check: every UserRef and LocationRef names a User and a Location.
    users = {u.get("OID") for u in document.findall("odm:AdminData/odm:User", ns)}
    locations = {loc.get("OID") for loc in document.findall("odm:AdminData/odm:Location", ns)}
    assert {r.find("odm:UserRef", ns).get("UserOID") for r in records} == users  # type: ignore[union-attr]
    refs = {r.find("odm:LocationRef", ns).get("LocationOID") for r in records}  # type: ignore[union-attr]
    assert refs == locations
    # The monitor's account is made by this first read; the trial's creator's by the trial.
    assert users == {"USR.setup1", "USR.pi1", "USR.nurse1", "USR.mon1"}
    assert locations == {"LOC.Hangzhou", "LOC.Sponsor"}
    stamps = [r.findtext("odm:DateTimeStamp", namespaces=ns) for r in records]
    assert stamps == [e.at.isoformat() for e in selection.entries]
    vitals = records[[e.action for e in selection.entries].index("form_entry")]
    assert "systolic_bp" in (vitals.findtext("odm:SourceID", namespaces=ns) or "")


OTHER = "NCT09999999"


def test_A8_a_trial_filter_keeps_its_entries_and_an_odm_file_names_that_trial(
    trial_engine: Engine,
) -> None:
    _trial(trial_engine)
    init_trial(trial_engine, STUDY_YAML.replace(NCT, OTHER), SETUP)
    record_event(trial_engine, OTHER, SubjectRegistered(subject_id="S1", date=DAY, site="H"), NURSE)
    seed, other = _read(trial_engine, trial=NCT), _read(trial_engine, trial=OTHER)
    assert [e.action for e in seed] == [
        "trial_created",
        "forms_defined",
        "registered",
        "registered",
        "form_entry",
    ]
    assert [e.action for e in other] == ["trial_created", "registered"]
    # The rest of the trail belongs to no trial: accounts and their grants.
    ours = {e.seq for e in seed} | {e.seq for e in other}
    assert len(ours) == len(seed) + len(other)
    rest = [e for e in _read(trial_engine) if e.seq not in ours]
    assert {e.record_table for e in rest} == {"users"}
    # S1 is a subject of both trials: the trial filter tells them apart.
    assert [e.seq for e in _read(trial_engine, trial=OTHER, subject_id="S1")] == [other[1].seq]
    # An ODM file names one study: with two trials, the filter's.
    with pytest.raises(TrialdeskError, match="--trial"):
        export_audit_odm(audit_entries(trial_engine, MONITOR, AuditFilter()))
    selection = audit_entries(trial_engine, MONITOR, AuditFilter(trial=OTHER))
    document = etree.fromstring(export_audit_odm(selection).encode("utf-8"))
    schema = _schema()
    assert schema.validate(document), schema.error_log
    assert document.find(f"{{{ODM_NAMESPACE}}}ClinicalData").get("StudyOID") == OTHER  # type: ignore[union-attr]
    # A trial the database does not hold is refused before anything is written.
    before = _count(trial_engine)
    export = AuditExport(("json",), lambda _: None)
    with pytest.raises(NotFoundError, match=f"NCT00000000 .*{NCT}, {OTHER}"):
        audit_entries(trial_engine, MONITOR, AuditFilter(trial="NCT00000000"), export=export)
    assert _count(trial_engine) == before


def test_A8_the_schema_check_refuses_an_audit_record_out_of_place(trial_engine: Engine) -> None:
    # The validation above can fail: an AuditRecord straight under ClinicalData is invalid.
    _trial(trial_engine)
    selection = audit_entries(trial_engine, MONITOR, AuditFilter(subject_id="S2"))
    document = etree.fromstring(export_audit_odm(selection).encode("utf-8"))
    clinical = document.find(f"{{{ODM_NAMESPACE}}}ClinicalData")
    assert clinical is not None
    container = clinical[0]
    clinical.append(container[0])
    clinical.remove(container)
    assert not _schema().validate(document)
