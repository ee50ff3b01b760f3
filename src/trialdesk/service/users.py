"""User accounts and role grants (PART11.md A9): create, grant, review; one transaction each.

Who may create accounts and grant roles: :data:`USER_ADMIN_ROLES` — the
administrator and the principal investigator (who delegates trial duties, ICH E6(R3)
2.3) — and never to themselves: a change of one's own role needs another admin.
A role must be one of :data:`ROLES`; a grant names its reason.

Until logins exist (the web/API work; PART11.md B4, B7), who acts is declared by
``--as``, not authenticated: an account is also created on first use, with its
"user.create" audit entry, and an existing account's name, role or site is never
changed by acting as it (refused, pointing to ``trialdesk user grant``). Logins,
failed logins and lockouts are recorded when sessions exist; none do yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from trialdesk.errors import ConductError, InputError, NotFoundError
from trialdesk.store.audit import lock_audit_trail
from trialdesk.store.migrate import HEAD, current_revision, upgrade
from trialdesk.store.trials import Actor
from trialdesk.store.users import (
    Account,
    Grant,
    account_of,
    ensure_account,
    insert_grant,
    insert_user,
    load_accounts,
    load_grants,
)

__all__ = [
    "ROLES",
    "USER_ADMIN_ROLES",
    "UserDirectory",
    "add_user",
    "grant_role",
    "list_users",
    "ready_schema",
]

#: The roles trialdesk knows; each right is given to some of them by name.
ROLES = frozenset(
    {
        "admin",
        "principal_investigator",
        "investigator",
        "coordinator",
        "safety_reviewer",
        "src_chair",
        "data_manager",
        "monitor",
        "auditor",
        "statistician",
    }
)
#: Roles that may create accounts and grant roles.
USER_ADMIN_ROLES = frozenset({"admin", "principal_investigator"})


@dataclass(frozen=True, slots=True)
class UserDirectory:
    """Every account with its current role and site, and every grant, oldest first."""

    accounts: tuple[Account, ...]
    grants: tuple[Grant, ...]


def ready_schema(engine: Engine, *, create: bool) -> None:
    """Bring the database to the newest schema; an empty one only when ``create``.

    A command that reads refuses a database trialdesk never wrote (a mistyped URL).
    """
    revision = current_revision(engine)
    if revision is None and not create:
        raise NotFoundError(f"no trialdesk database at {engine.url} (trialdesk trial init)")
    if revision != HEAD:
        upgrade(engine)


def _check_admin(actor: Actor) -> None:
    if actor.role not in USER_ADMIN_ROLES:
        raise ConductError(
            "user.admin_role",
            f"{actor.user_id} ({actor.role}) may not create accounts or grant roles; "
            f"the roles that may: {', '.join(sorted(USER_ADMIN_ROLES))}",
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError("role", role, f"one of {', '.join(sorted(ROLES))}")


def add_user(
    engine: Engine,
    actor: Actor,
    account: Actor,
    *,
    reason: str | None = None,
    source: str = "cli",
) -> Account:
    """Create ``account`` (a new, never used id) with its "user.create" audit entry."""
    _check_admin(actor)
    _check_role(account.role)
    ready_schema(engine, create=True)
    with engine.begin() as connection:
        lock_audit_trail(connection)
        ensure_account(connection, actor, source=source)
        if account_of(connection, account.user_id) is not None:
            raise ConductError(
                "user.exists",
                f"user {account.user_id} exists (ids are never reused); "
                f"a role or site change is a grant (trialdesk user grant)",
            )
        insert_user(connection, account, actor, reason=reason, source=source)
        created = account_of(connection, account.user_id)
    if created is None:  # pragma: no cover - written in the transaction just committed
        raise NotFoundError(f"user {account.user_id} was not stored")
    return created


def grant_role(  # noqa: PLR0913 - the grant, who gives it and why
    engine: Engine,
    actor: Actor,
    user_id: str,
    *,
    role: str,
    site: str | None = None,
    reason: str,
    source: str = "cli",
) -> Account:
    """Give ``user_id`` a new role (and site: unchanged when None), with its audit entry."""
    _check_admin(actor)
    _check_role(role)
    if not reason.strip():
        raise InputError("reason", reason, "why the role changes (a role change names its reason)")
    ready_schema(engine, create=False)
    with engine.begin() as connection:
        lock_audit_trail(connection)
        ensure_account(connection, actor, source=source)
        account = account_of(connection, user_id)
        if account is None:
            raise NotFoundError(f"no user {user_id} (trialdesk user add)")
        if account.user_id == actor.user_id:
            raise ConductError("user.self_grant", f"{actor.user_id} may not change their own role")
        new_site = account.site if site is None else site
        if (role, new_site) == (account.role, account.site):
            raise ConductError(
                "user.grant_unchanged", f"user {user_id} is already {role} at {new_site}"
            )
        insert_grant(
            connection, account, role=role, site=new_site, by=actor, reason=reason, source=source
        )
        granted = account_of(connection, user_id)
    if granted is None:  # pragma: no cover - read in the transaction just committed
        raise NotFoundError(f"no user {user_id}")
    return granted


def list_users(engine: Engine) -> UserDirectory:
    """Every account and every grant, for review."""
    ready_schema(engine, create=False)
    with engine.connect() as connection:
        return UserDirectory(tuple(load_accounts(connection)), tuple(load_grants(connection)))
