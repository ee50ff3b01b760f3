"""The audit trail's hash chain: write an entry, and verify the whole trail.

Each audit entry hashes the record it wrote (``record_hash``: table, key and
content in canonical JSON) and its own content with the previous entry's hash
(``entry_hash``). :func:`verify_audit` recomputes both from the database: an audit
entry edited, deleted or inserted outside the application breaks the chain at a
named entry; a trial event edited or deleted outside it no longer matches the hash
its entry holds, and is named; an event with no entry was written around the
application, and is named too (Part 11 §11.10(a); PART11.md A7). The study
definitions, forms, user accounts and role grants are rehashed the same way: each
row must still match the hash its audit entry holds (PART11.md A9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, text

from trialdesk.store.trial_schema import (
    AuditRow,
    Base,
    EventRow,
    FormsRow,
    TrialRow,
    UserGrantRow,
    UserRow,
)

__all__ = [
    "AuditEntry",
    "AuditReport",
    "definition_record",
    "event_record",
    "grant_record",
    "hash_record",
    "lock_audit_trail",
    "user_record",
    "verify_audit",
    "write_audit",
]


def canonical(value: object) -> str:
    """JSON with sorted keys and no spaces: the same content always hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def hash_record(table: str, key: str, content: Mapping[str, object]) -> str:
    """SHA-256 of a record: its table, its key and its content."""
    text = canonical({"table": table, "key": key, "content": dict(content)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_record(row: Mapping[Any, Any]) -> dict[str, object]:
    """The hashed content of a ``trial_events`` row (every column but ``seq``)."""
    recorded = row["recorded_at"]
    at = recorded.isoformat() if isinstance(recorded, dt.datetime) else str(recorded)
    return {
        "trial_id": row["trial_id"],
        "kind": row["kind"],
        "subject_id": row["subject_id"],
        "payload": row["payload"],
        "recorded_at": _utc_text(at),
        "actor_id": row["actor_id"],
        "reason": row["reason"],
        "source": row["source"],
    }


def _utc_time(value: object) -> str:
    return _utc_text(value.isoformat() if isinstance(value, dt.datetime) else str(value))


def user_record(row: Mapping[Any, Any]) -> dict[str, object]:
    """The hashed content of a ``users`` row (every column but ``id``)."""
    return {
        "user_id": row["user_id"],
        "name": row["name"],
        "role": row["role"],
        "site": row["site"],
        "created_at": _utc_time(row["created_at"]),
    }


def grant_record(row: Mapping[Any, Any]) -> dict[str, object]:
    """The hashed content of a ``user_grants`` row (every column but ``id``)."""
    return {
        "user_row_id": row["user_row_id"],
        "role": row["role"],
        "site": row["site"],
        "granted_by": row["granted_by"],
        "reason": row["reason"],
        "granted_at": _utc_time(row["granted_at"]),
    }


def _utc_text(iso: str) -> str:
    """An ISO time as UTC with offset, whatever the driver returned (SQLite drops it)."""
    parsed = dt.datetime.fromisoformat(iso)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """The content of one audit entry, before it is chained."""

    at: dt.datetime
    actor_user_id: str
    actor_name: str
    action: str
    entity: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str | None
    source: str
    record_table: str
    record_key: str
    record_hash: str

    def content(self) -> dict[str, object]:
        """What the entry hash covers (times as UTC text)."""
        return {
            "at": _utc_text(self.at.isoformat()),
            "actor_user_id": self.actor_user_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "entity": self.entity,
            "field": self.field,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "reason": self.reason,
            "source": self.source,
            "record_table": self.record_table,
            "record_key": self.record_key,
            "record_hash": self.record_hash,
        }


def _entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    text = canonical({"prev": prev_hash, "entry": entry.content()})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_LAST_HASH = select(AuditRow.entry_hash).order_by(AuditRow.seq.desc()).limit(1)
_INSERT_ENTRY = insert(AuditRow)


def last_entry_hash(connection: Connection) -> str:
    """The hash of the newest audit entry (``""`` when the trail is empty)."""
    return connection.execute(_LAST_HASH).scalar_one_or_none() or ""


def lock_audit_trail(connection: Connection) -> None:
    """Serialise every writer of the chain: trial events, accounts, grants, exports.

    SQLite's transactions begin ``IMMEDIATE`` and already hold the write lock; on
    PostgreSQL this table lock waits for every open insert into the trail to commit,
    so the newest entry read next is the one this transaction chains to.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE"))


def write_audit(connection: Connection, entry: AuditEntry, prev_hash: str | None = None) -> str:
    """Append ``entry`` to the chain in the caller's transaction; returns its hash.

    The caller holds the write lock, so the newest entry cannot change under it;
    ``prev_hash`` is that entry's hash when the caller has just read it.
    """
    if prev_hash is None:
        prev_hash = last_entry_hash(connection)
    entry_hash = _entry_hash(prev_hash, entry)
    values = entry.content() | {"at": entry.at, "prev_hash": prev_hash, "entry_hash": entry_hash}
    connection.execute(_INSERT_ENTRY, values)
    return entry_hash


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The verification result: entries and events checked, and every problem found."""

    entries: int
    events: int
    problems: tuple[str, ...]

    @property
    def verified(self) -> bool:
        """Whether the chain and every record's hash check out."""
        return not self.problems


def verify_audit(connection: Connection) -> AuditReport:
    """Recompute the chain and every event's hash; name each entry or record that fails."""
    problems: list[str] = []
    prev_hash = ""
    audited: dict[str, str] = {}
    rows = connection.execute(select(AuditRow).order_by(AuditRow.seq)).mappings().all()
    for row in rows:
        entry = AuditEntry(**{k: row[k] for k in AuditEntry.__slots__})
        if row["prev_hash"] != prev_hash:
            problems.append(f"audit entry {row['seq']}: the chain breaks before it (entry missing)")
        if _entry_hash(row["prev_hash"], entry) != row["entry_hash"]:
            problems.append(f"audit entry {row['seq']}: edited (its hash does not match)")
        prev_hash = row["entry_hash"]
        if row["record_table"] == "trial_events":
            audited[row["record_key"]] = row["record_hash"]
    events = connection.execute(select(EventRow).order_by(EventRow.seq)).mappings().all()
    seen: set[str] = set()
    for event in events:
        key = str(event["seq"])
        seen.add(key)
        expected = audited.get(key)
        if expected is None:
            problems.append(f"trial event {key}: no audit entry (written outside trialdesk)")
        elif hash_record("trial_events", key, event_record(event)) != expected:
            problems.append(f"trial event {key}: edited (its hash does not match its audit entry)")
    problems.extend(
        f"trial event {key}: deleted (its audit entry remains)"
        for key in audited
        if key not in seen
    )
    problems.extend(_definition_problems(connection, rows))
    return AuditReport(len(rows), len(events), tuple(problems))


def definition_record(table: str, row: Mapping[Any, Any]) -> dict[str, object]:
    """The hashed content of a ``trials`` or ``trial_forms`` row: its text's SHA-256 recomputed."""
    text = row["study_yaml"] if table == "trials" else row["forms_yaml"]
    digest = hashlib.sha256(str(text).encode("utf-8")).hexdigest()
    created = row["created_at"]
    at = _utc_text(created.isoformat() if isinstance(created, dt.datetime) else str(created))
    if table == "trials":
        return {"nct_id": row["nct_id"], "study_sha256": digest, "created_at": at}
    return {"trial_id": row["trial_id"], "forms_sha256": digest, "created_at": at}


_RECORDS: tuple[tuple[str, type[Base], Callable[[str, Mapping[Any, Any]], dict[str, object]]], ...]
_RECORDS = (
    ("trials", TrialRow, definition_record),
    ("trial_forms", FormsRow, definition_record),
    ("users", UserRow, lambda _table, row: user_record(row)),
    ("user_grants", UserGrantRow, lambda _table, row: grant_record(row)),
)


def _definition_problems(connection: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[str]:
    """Each definition, forms, user and grant row must still hash to what its entry holds."""
    problems: list[str] = []
    for table, model, record in _RECORDS:
        expected = {r["record_key"]: r["record_hash"] for r in rows if r["record_table"] == table}
        stored = connection.execute(select(model)).mappings().all()
        for row in stored:
            key = str(row["id"])
            if expected.get(key) != hash_record(table, key, record(table, row)):
                problems.append(f"{table} row {key}: edited or written outside trialdesk")
        keys = {str(row["id"]) for row in stored}
        problems.extend(f"{table} row {key}: deleted" for key in expected if key not in keys)
    return problems
