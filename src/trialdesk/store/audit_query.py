"""The audit trail, filtered: by trial, subject, form, field, user, action and time (A8).

A filter compiles to one SQLAlchemy Core ``SELECT`` over ``audit_entries``, in the
order the entries were written (``seq``). It reads the conventions the writers keep
(:mod:`trialdesk.store.trials`, :mod:`trialdesk.service.trial`):

- a trial's entries are those of its records: its row (``record_table = "trials"``), its
  forms (``trial_forms``) and its events (``trial_events``), keyed by the row's id;
  accounts, grants and exports belong to no trial;
- a subject's entries have ``entity = "subject/<id>"``;
- a form entry's field is ``"form/<visit>/<form>"`` and its new value is the entry's
  items as a JSON object (``{"weight": {...}, "heart_rate": 72}``);
- ``field`` matches an entry's field path exactly (``status``, ``dose_decision``,
  ``form/screening/vital_signs``), or a form item by its id: the form entries whose
  values hold that item (on SQLite ``json_type``, on PostgreSQL ``jsonb_exists``);
- the user is the one who acted (``actor_user_id``); ``start`` and ``end`` bound the
  server's UTC time of the entry, both inclusive.

Each entry comes with the role and site its actor held when it was written: the
newest grant (``user_grants``) at or before the entry, or the account's own. An
actor without an account (a trial created before accounts were audited) has none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from trialdesk.errors import InputError
from trialdesk.store.trial_schema import (
    AuditRow,
    EventRow,
    FormsRow,
    TrialRow,
    UserGrantRow,
    UserRow,
)

__all__ = [
    "AuditFilter",
    "StoredDefinition",
    "TrailEntry",
    "audit_select",
    "load_audit_entries",
    "load_definitions",
]

#: A form item id as the forms define them; only such a ``field`` is also looked up as an item.
_ITEM_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _aware(value: dt.datetime | None, argument: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(argument, value.isoformat(), "a time with its UTC offset")
    return value.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to read; every criterion given must hold (none given: all entries).

    Times must carry their offset (a time without one is refused, PART11.md A6) and are
    compared in UTC; ``start`` and ``end`` are both inclusive.
    """

    subject_id: str | None = None
    form_id: str | None = None
    field: str | None = None
    user_id: str | None = None
    action: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    #: The trial's registry id (``NCT...``): only the entries of its records.
    trial: str | None = None

    def __post_init__(self) -> None:
        start, end = _aware(self.start, "start"), _aware(self.end, "end")
        if start is not None and end is not None and end < start:
            raise InputError("end", end.isoformat(), f"a time at or after start {start}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def as_dict(self) -> dict[str, str | None]:
        """The criteria as text (times in UTC ISO 8601 with offset), for JSON and the trail."""
        return {
            "subject": self.subject_id,
            "form": self.form_id,
            "field": self.field,
            "user": self.user_id,
            "action": self.action,
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
            "trial": self.trial,
        }


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """One audit entry as stored, with its actor's role and site at the time."""

    seq: int
    at: dt.datetime
    actor_user_id: str
    actor_name: str
    actor_role: str | None
    actor_site: str | None
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
    prev_hash: str
    entry_hash: str

    def as_dict(self) -> dict[str, object]:
        """Every column, the time in UTC ISO 8601 with its offset."""
        return {
            name: self.at.isoformat() if name == "at" else getattr(self, name)
            for name in self.__slots__
        }


def _held_then(column: Any) -> Any:  # noqa: ANN401 - a grant column; returns its scalar subquery
    """The actor's newest grant at or before the entry: ``column`` of it (NULL when none)."""
    return (
        select(column)
        .where(UserGrantRow.user_row_id == UserRow.id, UserGrantRow.granted_at <= AuditRow.at)
        .order_by(UserGrantRow.id.desc())
        .limit(1)
        .correlate(UserRow, AuditRow)
        .scalar_subquery()
    )


def _field_starts(prefix: str) -> ColumnElement[bool]:
    """``field`` begins with ``prefix``, case and all (SQLite's LIKE ignores case)."""
    return func.substr(AuditRow.field, 1, len(prefix)) == prefix


def _field_ends(suffix: str) -> ColumnElement[bool]:
    """``field`` ends with ``suffix``, case and all."""
    start = func.length(AuditRow.field) - len(suffix) + 1
    return func.substr(AuditRow.field, start) == suffix


def _item_in_form_entry(item: str, dialect: str) -> ColumnElement[bool]:
    """The entry is a form entry whose values hold ``item`` at their top level."""
    is_form = _field_starts("form/")
    if dialect == "postgresql":
        holds: ColumnElement[Any] = func.jsonb_exists(cast(AuditRow.new_value, JSONB), item)
    else:  # SQLite's JSON1 functions (built in since 3.38)
        holds = func.json_type(AuditRow.new_value, f"$.{item}").is_not(None)
        is_form = and_(is_form, func.json_valid(AuditRow.new_value) == 1)
    # CASE, so the JSON is read only on form entries (other new values are not JSON).
    return case((is_form, holds), else_=false()) == True  # noqa: E712 - SQL, not Python


def _of_trial(nct_id: str) -> ColumnElement[bool]:
    """The entry records the trial's own row, its forms or one of its events."""
    trial = select(TrialRow.id).where(TrialRow.nct_id == nct_id).scalar_subquery()
    records = (
        ("trials", select(cast(TrialRow.id, String)).where(TrialRow.id == trial)),
        ("trial_forms", select(cast(FormsRow.id, String)).where(FormsRow.trial_id == trial)),
        ("trial_events", select(cast(EventRow.seq, String)).where(EventRow.trial_id == trial)),
    )
    return or_(
        *(
            and_(AuditRow.record_table == table, AuditRow.record_key.in_(keys))
            for table, keys in records
        )
    )


def _conditions(audit_filter: AuditFilter, dialect: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if audit_filter.trial is not None:
        conditions.append(_of_trial(audit_filter.trial))
    if audit_filter.subject_id is not None:
        conditions.append(AuditRow.entity == f"subject/{audit_filter.subject_id}")
    if audit_filter.form_id is not None:
        conditions.append(_field_starts("form/"))
        conditions.append(_field_ends(f"/{audit_filter.form_id}"))
    if audit_filter.field is not None:
        field = audit_filter.field
        exact = AuditRow.field == field
        item = _ITEM_ID.fullmatch(field) is not None
        conditions.append(or_(exact, _item_in_form_entry(field, dialect)) if item else exact)
    if audit_filter.user_id is not None:
        conditions.append(AuditRow.actor_user_id == audit_filter.user_id)
    if audit_filter.action is not None:
        conditions.append(AuditRow.action == audit_filter.action)
    if audit_filter.start is not None:
        conditions.append(AuditRow.at >= audit_filter.start)
    if audit_filter.end is not None:
        conditions.append(AuditRow.at <= audit_filter.end)
    return conditions


def audit_select(audit_filter: AuditFilter, dialect: str) -> Select[Any]:
    """The one ``SELECT`` of the entries ``audit_filter`` keeps, in ``seq`` order."""
    return (
        select(
            AuditRow,
            func.coalesce(_held_then(UserGrantRow.role), UserRow.role).label("actor_role"),
            func.coalesce(_held_then(UserGrantRow.site), UserRow.site).label("actor_site"),
        )
        .select_from(AuditRow)
        .outerjoin(UserRow, UserRow.user_id == AuditRow.actor_user_id)
        .where(*_conditions(audit_filter, dialect))
        .order_by(AuditRow.seq)
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def load_audit_entries(connection: Connection, audit_filter: AuditFilter) -> list[TrailEntry]:
    """The entries ``audit_filter`` keeps, oldest first, times as UTC with offset."""
    rows = connection.execute(audit_select(audit_filter, connection.dialect.name)).mappings()
    entries = []
    for row in rows:
        values: dict[str, Any] = {name: row[name] for name in TrailEntry.__slots__}
        values["at"] = _utc(values["at"])
        entries.append(TrailEntry(**values))
    return entries


@dataclass(frozen=True, slots=True)
class StoredDefinition:
    """A trial the database holds: its registry id and its study definition's hash."""

    nct_id: str
    study_sha256: str
    created_at: dt.datetime


def load_definitions(connection: Connection) -> list[StoredDefinition]:
    """Every trial in the database, in the order they were created (an export names them)."""
    rows = connection.execute(
        select(TrialRow.nct_id, TrialRow.study_sha256, TrialRow.created_at).order_by(TrialRow.id)
    )
    return [StoredDefinition(r.nct_id, r.study_sha256, _utc(r.created_at)) for r in rows]
