"""User accounts and their role grants: each written once, with its audit entry.

An account (``users``) keeps the role and site it was created with; a change of
role or site is a new ``user_grants`` row, and the account's current role and site
are its newest grant's (PART11.md A9: account creation and role changes are logged
and reviewable, and nothing is written over). Both tables are append-only, and
:func:`trialdesk.store.audit.verify_audit` rehashes their rows.

Nothing here decides who may do what: the service checks the acting user's right,
then calls these functions in its transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, CursorResult, bindparam, func, insert, select

from trialdesk.errors import ConductError
from trialdesk.store.audit import (
    AuditEntry,
    canonical,
    grant_record,
    hash_record,
    user_record,
    write_audit,
)
from trialdesk.store.trial_schema import UserGrantRow, UserRow
from trialdesk.store.utc_time import utc_now

__all__ = [
    "Account",
    "Grant",
    "Who",
    "account_of",
    "ensure_account",
    "insert_grant",
    "insert_user",
    "load_accounts",
    "load_grants",
]


class Who(Protocol):
    """Who acts, or who an account is for: an id, a printed name, a role and a site."""

    @property
    def user_id(self) -> str:
        """The unique, never reused user id."""

    @property
    def name(self) -> str:
        """The printed name."""

    @property
    def role(self) -> str:
        """The role the person acts in."""

    @property
    def site(self) -> str:
        """The site the person acts for."""


@dataclass(frozen=True, slots=True)
class Account:
    """A stored user: the account's row id, and its current role and site."""

    row_id: int
    user_id: str
    name: str
    role: str
    site: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Grant:
    """One role grant: who got which role and site, from when, from whom, and why."""

    user_id: str
    role: str
    site: str
    granted_by: str
    reason: str
    granted_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored time as UTC with offset (SQLite returns it without one)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - both tables have an integer primary key
        msg = "the insert returned no primary key"
        raise RuntimeError(msg)
    return int(key[0])


# The newest grant of each account; the account's own role and site when it has none.
_NEWEST_GRANT = (
    select(func.max(UserGrantRow.id))
    .where(UserGrantRow.user_row_id == UserRow.id)
    .correlate(UserRow)
    .scalar_subquery()
)
_ACCOUNTS = (
    select(
        UserRow.id,
        UserRow.user_id,
        UserRow.name,
        func.coalesce(UserGrantRow.role, UserRow.role).label("role"),
        func.coalesce(UserGrantRow.site, UserRow.site).label("site"),
        UserRow.created_at,
    )
    .select_from(UserRow)
    .outerjoin(UserGrantRow, UserGrantRow.id == _NEWEST_GRANT)
)
_ACCOUNT_BY_ID = _ACCOUNTS.where(UserRow.user_id == bindparam("user_id"))
_INSERT_USER = insert(UserRow)
_INSERT_GRANT = insert(UserGrantRow)


def _account(row: Any) -> Account:  # noqa: ANN401 - a SQLAlchemy Row of _ACCOUNTS
    return Account(int(row.id), row.user_id, row.name, row.role, row.site, _utc(row.created_at))


def account_of(connection: Connection, user_id: str) -> Account | None:
    """The account of ``user_id`` with its current role and site (None when there is none)."""
    row = connection.execute(_ACCOUNT_BY_ID, {"user_id": user_id}).one_or_none()
    return None if row is None else _account(row)


def load_accounts(connection: Connection) -> list[Account]:
    """Every account, in the order they were created."""
    return [_account(row) for row in connection.execute(_ACCOUNTS.order_by(UserRow.id))]


def load_grants(connection: Connection) -> list[Grant]:
    """Every role grant, oldest first."""
    rows = connection.execute(
        select(UserRow.user_id, UserGrantRow)
        .join(UserRow, UserRow.id == UserGrantRow.user_row_id)
        .order_by(UserGrantRow.id)
    )
    return [
        Grant(r.user_id, r.role, r.site, r.granted_by, r.reason, _utc(r.granted_at)) for r in rows
    ]


def insert_user(  # noqa: PLR0913 - the account, who creates it, why and from where
    connection: Connection,
    account: Who,
    by: Who,
    *,
    reason: str | None,
    source: str,
    prev_hash: str | None = None,
) -> tuple[int, str]:
    """Create ``account`` with its "user.create" audit entry; returns its row id and entry hash.

    ``prev_hash`` is the newest entry's hash when the caller has just read it.
    """
    now = utc_now()
    values = {
        "user_id": account.user_id,
        "name": account.name,
        "role": account.role,
        "site": account.site,
        "created_at": now,
    }
    key = str(_new_id(connection.execute(_INSERT_USER, values)))
    entry = AuditEntry(
        at=now,
        actor_user_id=by.user_id,
        actor_name=by.name,
        action="user.create",
        entity=f"user/{account.user_id}",
        field="account",
        old_value=None,
        new_value=canonical({"name": account.name, "role": account.role, "site": account.site}),
        reason=reason,
        source=source,
        record_table="users",
        record_key=key,
        record_hash=hash_record("users", key, user_record(values)),
    )
    return int(key), write_audit(connection, entry, prev_hash)


def insert_grant(  # noqa: PLR0913 - the grant, who gives it, why and from where
    connection: Connection,
    account: Account,
    *,
    role: str,
    site: str,
    by: Who,
    reason: str,
    source: str,
) -> str:
    """Give ``account`` a new role and site with its "user.grant" audit entry (its hash)."""
    now = utc_now()
    values = {
        "user_row_id": account.row_id,
        "role": role,
        "site": site,
        "granted_by": by.user_id,
        "reason": reason,
        "granted_at": now,
    }
    key = str(_new_id(connection.execute(_INSERT_GRANT, values)))
    entry = AuditEntry(
        at=now,
        actor_user_id=by.user_id,
        actor_name=by.name,
        action="user.grant",
        entity=f"user/{account.user_id}",
        field="role",
        old_value=canonical({"role": account.role, "site": account.site}),
        new_value=canonical({"role": role, "site": site}),
        reason=reason,
        source=source,
        record_table="user_grants",
        record_key=key,
        record_hash=hash_record("user_grants", key, grant_record(values)),
    )
    return write_audit(connection, entry)


def ensure_account(
    connection: Connection, actor: Who, *, source: str, prev_hash: str | None = None
) -> tuple[int, str | None]:
    """The acting user's row id, creating the account on first use (with its audit entry).

    Returns the row id and, when the account was created now, the hash of its
    "user.create" entry (the newest in the chain). An existing account is never
    changed here: an actor whose name, role or site differs from the account's is
    refused (rule ``user.mismatch``), and pointed to ``trialdesk user grant``.
    """
    found = account_of(connection, actor.user_id)
    if found is None:
        return insert_user(
            connection,
            actor,
            actor,
            reason="created on first use",
            source=source,
            prev_hash=prev_hash,
        )
    stated = (actor.name, actor.role, actor.site)
    if stated != (found.name, found.role, found.site):
        raise ConductError(
            "user.mismatch",
            f"user {actor.user_id} is {found.name!r}, {found.role} at {found.site}, not "
            f"{actor.name!r}, {actor.role} at {actor.site}; a role or site change is a grant "
            f"(trialdesk user grant --user {actor.user_id} --role ROLE --site SITE --reason ...)",
        )
    return found.row_id, None
