"""The trial database: studies, users, the append-only event log and its audit trail.

A trial is stored as the events that happened to it (``trial_events``), never as rows
updated in place: the conduct state is what the events make of it
(:func:`trialdesk.conduct.machine.apply`), so a correction is a later event. Every
event is written with its audit entry (``audit_entries``) in one transaction. Both
tables refuse ``UPDATE`` and ``DELETE`` at the database (triggers on SQLite and
PostgreSQL), and the audit entries are hash-chained, each carrying a hash of the
record it wrote, so an edit made outside the application is found by
:func:`trialdesk.store.audit.verify_audit` and named.

Times are UTC with their offset, from the server's clock (never the client's).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trialdesk.store.utc_time import UtcDateTime

__all__ = [
    "APPEND_ONLY_TABLES",
    "AuditRow",
    "Base",
    "EventRow",
    "FormsRow",
    "TrialRow",
    "UserGrantRow",
    "UserRow",
    "append_only_statements",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TrialRow(Base):
    """One trial: the study definition it runs, as reviewed text, with its hash."""

    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(32), unique=True)
    study_yaml: Mapped[str] = mapped_column(Text)
    study_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class FormsRow(Base):
    """The case report forms a trial captures on, as reviewed text with its hash."""

    __tablename__ = "trial_forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), index=True)
    forms_yaml: Mapped[str] = mapped_column(Text)
    forms_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class UserRow(Base):
    """A person who acts: a unique, never reused id, a printed name, a role and a site.

    ``role`` and ``site`` are those the account was created with; a later change is a
    :class:`UserGrantRow`, never an update of this row.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class UserGrantRow(Base):
    """A role and site given to a user from ``granted_at`` on, by whom and why.

    The user's role and site are those of their newest grant, or of the account when
    it has none (PART11.md A9: a role change is recorded, never written over).
    """

    __tablename__ = "user_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_row_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class EventRow(Base):
    """One conduct event, its canonical JSON, who recorded it, when, why and from where."""

    __tablename__ = "trial_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))


class AuditRow(Base):
    """One audit entry: who, when (UTC), what (entity, field, old and new value), why.

    ``record_hash`` is the SHA-256 of the record written (table, key, content);
    ``entry_hash`` the SHA-256 of this entry's content and ``prev_hash``, the hash of
    the entry before it (``""`` for the first): the chain.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor_user_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    record_table: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


#: Tables whose rows are never updated or deleted (refused by a trigger).
APPEND_ONLY_TABLES = (
    "trials",
    "users",
    "trial_events",
    "audit_entries",
    "trial_forms",
    "user_grants",
)

_SQLITE_TRIGGER = """
CREATE TRIGGER {table}_{verb}_refused BEFORE {verb} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END
"""
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION trialdesk_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION trialdesk_append_only()
"""


def append_only_statements(table: str, dialect: str) -> list[str]:
    """The SQL that makes ``table`` refuse UPDATE and DELETE on ``dialect`` (run by migrations)."""
    if dialect == "sqlite":
        return [_SQLITE_TRIGGER.format(table=table, verb=verb) for verb in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return [_PG_FUNCTION, _PG_TRIGGER.format(table=table)]
    msg = f"no append-only triggers for the {dialect} dialect"
    raise NotImplementedError(msg)
