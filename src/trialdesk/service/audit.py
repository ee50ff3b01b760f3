"""Review and export the audit trail, by the users who have the right (PART11.md A8).

Who may read it: :data:`AUDIT_READING_ROLES` — the principal investigator, the data
manager, the monitor, the auditor, the safety review committee chair and the
administrator. Any other role is refused before anything is read or written; a user
acting in a role their account does not hold is refused too
(:func:`trialdesk.store.users.ensure_account`), so the right cannot be claimed by
naming a role.

An export (JSON, CSV, ODM) is itself an auditable act: it writes an "audit.export"
entry naming the formats, the filter and the number of entries, whose record hash
covers the hashes of the entries exported, in the same transaction as the read; the
export is delivered inside that transaction, so a delivery that fails (a file that
exists, a full disk) leaves no entry, and an entry never names an export that was
not made. Viewing the trail (the table on screen) is a read and is not recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from trialdesk.errors import ConductError, InputError, NotFoundError
from trialdesk.service.users import ready_schema
from trialdesk.store.audit import AuditEntry, canonical, hash_record, lock_audit_trail, write_audit
from trialdesk.store.audit_query import (
    AuditFilter,
    TrailEntry,
    load_audit_entries,
    load_definitions,
)
from trialdesk.store.trials import Actor
from trialdesk.store.users import ensure_account
from trialdesk.store.utc_time import utc_now

__all__ = [
    "AUDIT_READING_ROLES",
    "EXPORT_FORMATS",
    "AuditExport",
    "AuditSelection",
    "StudyRef",
    "audit_entries",
]

#: Roles that may read and export the audit trail.
AUDIT_READING_ROLES = frozenset(
    {"principal_investigator", "data_manager", "monitor", "auditor", "src_chair", "admin"}
)
#: The export formats an "audit.export" entry can name ("csv_spreadsheet_safe": the CSV
#: with formula-like cells quoted, not an exact copy).
EXPORT_FORMATS = ("json", "csv", "csv_spreadsheet_safe", "odm")


@dataclass(frozen=True, slots=True)
class StudyRef:
    """A trial the database holds, as an ODM study: its OID and metadata version."""

    oid: str
    metadata_version_oid: str
    effective: dt.date


@dataclass(frozen=True, slots=True)
class AuditSelection:
    """The entries a filter kept, who read them and when, and the trials in the database."""

    audit_filter: AuditFilter
    entries: tuple[TrailEntry, ...]
    studies: tuple[StudyRef, ...]
    read_at: dt.datetime
    read_by: str


@dataclass(frozen=True, slots=True)
class AuditExport:
    """An export to make of the selection: its formats, and how to deliver it."""

    formats: tuple[str, ...]
    deliver: Callable[[AuditSelection], None]

    def __post_init__(self) -> None:
        unknown = [name for name in self.formats if name not in EXPORT_FORMATS]
        if unknown or not self.formats:
            raise InputError("formats", self.formats, f"one or more of {EXPORT_FORMATS}")


def _studies(connection: Connection) -> tuple[StudyRef, ...]:
    """Each trial as an ODM study; its metadata version is named by its definition's hash."""
    return tuple(
        StudyRef(d.nct_id, f"MDV.{d.study_sha256[:12]}", d.created_at.date())
        for d in load_definitions(connection)
    )


def _export_entry(
    selection: AuditSelection, actor: Actor, formats: tuple[str, ...], source: str
) -> AuditEntry:
    """The "audit.export" entry: the filter as its new value, the exported hashes as its record."""
    key = str(selection.entries[-1].seq) if selection.entries else "0"
    exported = {"entries": [entry.entry_hash for entry in selection.entries]}
    summary = {
        "formats": list(formats),
        "filter": selection.audit_filter.as_dict(),
        "entries": len(selection.entries),
    }
    return AuditEntry(
        at=selection.read_at,
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        action="audit.export",
        entity="audit_trail",
        field="export",
        old_value=None,
        new_value=canonical(summary),
        reason=None,
        source=source,
        record_table="audit_entries",
        record_key=key,
        record_hash=hash_record("audit_entries", key, exported),
    )


def audit_entries(
    engine: Engine,
    actor: Actor,
    audit_filter: AuditFilter,
    *,
    export: AuditExport | None = None,
    source: str = "cli",
) -> AuditSelection:
    """The entries ``audit_filter`` keeps, for a reader with the right; one transaction.

    With ``export``, the "audit.export" entry is written and the export delivered
    before the transaction commits (see the module's docstring).
    """
    if actor.role not in AUDIT_READING_ROLES:
        raise ConductError(
            "audit.role",
            f"{actor.user_id} ({actor.role}) may not read the audit trail; "
            f"the roles that may: {', '.join(sorted(AUDIT_READING_ROLES))}",
        )
    ready_schema(engine, create=False)
    with engine.begin() as connection:
        lock_audit_trail(connection)
        ensure_account(connection, actor, source=source)
        studies = _studies(connection)
        if audit_filter.trial is not None and audit_filter.trial not in {s.oid for s in studies}:
            held = ", ".join(study.oid for study in studies) or "none"
            raise NotFoundError(f"no trial {audit_filter.trial} in this database (it holds {held})")
        selection = AuditSelection(
            audit_filter,
            tuple(load_audit_entries(connection, audit_filter)),
            studies,
            utc_now(),
            actor.user_id,
        )
        if export is not None:
            write_audit(connection, _export_entry(selection, actor, export.formats, source))
            export.deliver(selection)
    return selection
