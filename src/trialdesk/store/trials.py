"""Read and append a trial's events, users and audit entries (one transaction per call site).

Nothing here decides anything: the service loads the events, the conduct core
applies the new one, and this module appends it with its audit entry in the
caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, CursorResult, Engine, bindparam, insert, select

from trialdesk.conduct.events import Event
from trialdesk.errors import NotFoundError
from trialdesk.store.audit import (
    AuditEntry,
    definition_record,
    event_record,
    hash_record,
    write_audit,
)
from trialdesk.store.migrate import upgrade
from trialdesk.store.trial_schema import AuditRow, EventRow, FormsRow, TrialRow
from trialdesk.store.users import ensure_account
from trialdesk.store.utc_time import utc_now

__all__ = [
    "Actor",
    "StoredTrial",
    "append_event",
    "audit_hash_of_event",
    "create_schema",
    "ensure_user",
    "forms_of",
    "insert_forms",
    "insert_trial",
    "load_events",
    "trial_by_nct",
]

_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer primary key
        msg = "the insert returned no primary key"
        raise RuntimeError(msg)
    return int(key[0])


# Statements built once: constructing them costs more than running them on SQLite.
_TRIAL_BY_NCT = select(TrialRow.id, TrialRow.study_yaml).where(
    TrialRow.nct_id == bindparam("nct_id")
)
_EVENTS_AFTER = (
    select(EventRow.seq, EventRow.payload)
    .where(EventRow.trial_id == bindparam("trial_id"), EventRow.seq > bindparam("after"))
    .order_by(EventRow.seq)
)
_AUDIT_OF_EVENT = select(AuditRow.entry_hash).where(
    AuditRow.record_table == "trial_events", AuditRow.record_key == bindparam("key")
)
_INSERT_EVENT = insert(EventRow)


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic migrations, triggers included)."""
    upgrade(engine)


class Actor:
    """Who acts: a unique user id, the printed name, a role and a site."""

    __slots__ = ("name", "role", "site", "user_id")

    def __init__(self, user_id: str, name: str, role: str, site: str) -> None:
        self.user_id, self.name, self.role, self.site = user_id, name, role, site


def ensure_user(connection: Connection, actor: Actor, *, source: str = "cli") -> int:
    """The user's row id, creating the account on first use with its "user.create" entry.

    An existing account is never changed by acting as it: a different name, role or
    site is refused (:func:`trialdesk.store.users.ensure_account`); a role change is a
    grant (``trialdesk user grant``). Ids are never reused.
    """
    return ensure_account(connection, actor, source=source)[0]


def insert_trial(connection: Connection, nct_id: str, study_yaml: str, actor: Actor) -> int:
    """A new trial row for a reviewed study definition, with its audit entry.

    The creator's account is created on first use, as for any write (PART11 A9).
    """
    ensure_account(connection, actor, source="cli")
    digest = hashlib.sha256(study_yaml.encode("utf-8")).hexdigest()
    now = utc_now()
    result = connection.execute(
        insert(TrialRow).values(
            nct_id=nct_id, study_yaml=study_yaml, study_sha256=digest, created_at=now
        )
    )
    trial_id = _new_id(result)
    content = definition_record(
        "trials", {"nct_id": nct_id, "study_yaml": study_yaml, "created_at": now}
    )
    write_audit(
        connection,
        AuditEntry(
            at=now,
            actor_user_id=actor.user_id,
            actor_name=actor.name,
            action="trial_created",
            entity=f"trial/{nct_id}",
            field="study_definition",
            old_value=None,
            new_value=digest,
            reason=None,
            source="cli",
            record_table="trials",
            record_key=str(trial_id),
            record_hash=hash_record("trials", str(trial_id), content),
        ),
    )
    return trial_id


@dataclass(frozen=True, slots=True)
class StoredTrial:
    """A trial's id and the study definition it runs."""

    id: int
    study_yaml: str


def insert_forms(connection: Connection, trial_id: int, forms_yaml: str, actor: Actor) -> None:
    """Store the trial's case report forms (reviewed text), with its audit entry."""
    digest = hashlib.sha256(forms_yaml.encode("utf-8")).hexdigest()
    now = utc_now()
    result = connection.execute(
        insert(FormsRow).values(
            trial_id=trial_id, forms_yaml=forms_yaml, forms_sha256=digest, created_at=now
        )
    )
    key = str(_new_id(result))
    content = definition_record(
        "trial_forms", {"trial_id": trial_id, "forms_yaml": forms_yaml, "created_at": now}
    )
    write_audit(
        connection,
        AuditEntry(
            at=now,
            actor_user_id=actor.user_id,
            actor_name=actor.name,
            action="forms_defined",
            entity=f"trial/{trial_id}",
            field="forms",
            old_value=None,
            new_value=digest,
            reason=None,
            source="cli",
            record_table="trial_forms",
            record_key=key,
            record_hash=hash_record("trial_forms", key, content),
        ),
    )


def forms_of(connection: Connection, trial_id: int) -> str | None:
    """The trial's newest forms definition (None when it has none)."""
    return connection.execute(
        select(FormsRow.forms_yaml)
        .where(FormsRow.trial_id == trial_id)
        .order_by(FormsRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def trial_by_nct(connection: Connection, nct_id: str) -> StoredTrial:
    """The trial of ``nct_id``, or a clear error."""
    row = connection.execute(_TRIAL_BY_NCT, {"nct_id": nct_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"no trial {nct_id} in this database (trialdesk trial init)")
    return StoredTrial(int(row.id), str(row.study_yaml))


def load_events(connection: Connection, trial_id: int, after: int = 0) -> list[tuple[int, Event]]:
    """The trial's events recorded after sequence number ``after``, in order, with their seq."""
    rows = connection.execute(_EVENTS_AFTER, {"trial_id": trial_id, "after": after})
    return [(int(row.seq), _EVENTS.validate_json(row.payload)) for row in rows]


def audit_hash_of_event(connection: Connection, seq: int) -> str | None:
    """The hash of the audit entry that wrote event ``seq`` (None when there is none)."""
    return connection.execute(_AUDIT_OF_EVENT, {"key": str(seq)}).scalar_one_or_none()


def append_event(  # noqa: PLR0913 - an audit entry needs all of these
    connection: Connection,
    trial_id: int,
    event: Event,
    actor: Actor,
    *,
    audit: tuple[str, str | None, str | None],
    reason: str | None,
    source: str,
    prev_hash: str | None = None,
) -> tuple[int, str]:
    """Append ``event`` and its audit entry; ``audit`` is (field, old value, new value).

    Returns the event's sequence number and its audit entry's hash.
    """
    user_row, created = ensure_account(connection, actor, source=source, prev_hash=prev_hash)
    prev_hash = created or prev_hash  # the account's entry, when this write created it
    now = utc_now()
    subject_id = getattr(event, "subject_id", None)
    payload = json.dumps(
        _EVENTS.dump_python(event, mode="json"), sort_keys=True, separators=(",", ":")
    )
    values = {
        "trial_id": trial_id,
        "kind": event.kind,
        "subject_id": subject_id,
        "payload": payload,
        "recorded_at": now,
        "actor_id": user_row,
        "reason": reason,
        "source": source,
    }
    seq = _new_id(connection.execute(_INSERT_EVENT, values))
    field, old, new = audit
    entity = f"subject/{subject_id}" if subject_id else f"trial/{trial_id}"
    entry_hash = write_audit(
        connection,
        AuditEntry(
            at=now,
            actor_user_id=actor.user_id,
            actor_name=actor.name,
            action=event.kind,
            entity=entity,
            field=field,
            old_value=old,
            new_value=new,
            reason=reason,
            source=source,
            record_table="trial_events",
            record_key=str(seq),
            record_hash=hash_record("trial_events", str(seq), event_record(values)),
        ),
        prev_hash,
    )
    return seq, entry_hash
