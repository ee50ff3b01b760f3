"""``trialdesk user add|grant|list``: accounts and role grants, each audited (PART11.md A9).

``user add`` and ``user grant`` are for the roles in
:data:`~trialdesk.service.users.USER_ADMIN_ROLES`; a grant names its reason. A role
is never changed by acting under another one with ``--as``: that is refused, and
points here. ``user list`` shows every account's current role and site and every
grant, oldest first.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trialdesk.cli.errors import user_errors
from trialdesk.cli.trial import AsOption, DbOption, parse_actor
from trialdesk.service.users import UserDirectory, add_user, grant_role, list_users
from trialdesk.store.engine import DEFAULT_URL, engine_for

__all__ = ["directory_json", "user_app"]

user_app = typer.Typer(no_args_is_help=True, help="User accounts and role grants.")


@user_app.command("add")
def user_add_command(
    account: Annotated[
        str, typer.Option("--user", help="The new account: USER_ID:Printed Name:role:site.")
    ],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
    reason: Annotated[str | None, typer.Option(help="Why the account is created.")] = None,
) -> None:
    """Create a user account (an id never used before), with its audit entry."""
    with user_errors():
        who, new = parse_actor(actor), parse_actor(account)
        with engine_for(db) as engine:
            created = add_user(engine, who, new, reason=reason)
    typer.echo(
        f"user {created.user_id} ({created.name}) created: {created.role} at {created.site}, "
        f"by {who.user_id}"
    )


@user_app.command("grant")
def user_grant_command(
    user: Annotated[str, typer.Option("--user", help="The user id whose role changes.")],
    role: Annotated[str, typer.Option(help="The new role.")],
    reason: Annotated[str, typer.Option(help="Why the role changes.")],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
    site: Annotated[str | None, typer.Option(help="The new site (default: unchanged).")] = None,
) -> None:
    """Give a user a new role (and site): a grant with its audit entry, never an update."""
    with user_errors():
        who = parse_actor(actor)
        with engine_for(db) as engine:
            granted = grant_role(engine, who, user, role=role, site=site, reason=reason)
    typer.echo(f"user {granted.user_id} is now {granted.role} at {granted.site}, by {who.user_id}")


def directory_json(directory: UserDirectory) -> dict[str, object]:
    """The ``user list --json`` contract: ``users`` (current role, site) and ``grants``."""
    return {
        "users": [
            {
                "user_id": a.user_id,
                "name": a.name,
                "role": a.role,
                "site": a.site,
                "created_at": a.created_at.isoformat(),
            }
            for a in directory.accounts
        ],
        "grants": [
            {
                "user_id": g.user_id,
                "role": g.role,
                "site": g.site,
                "granted_by": g.granted_by,
                "granted_at": g.granted_at.isoformat(),
                "reason": g.reason,
            }
            for g in directory.grants
        ],
    }


@user_app.command("list")
def user_list_command(
    db: DbOption = DEFAULT_URL,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print users and grants as JSON.")
    ] = False,
) -> None:
    """Every account with its current role and site, and every role grant."""
    with user_errors(), engine_for(db) as engine:
        directory = list_users(engine)
    if as_json:
        typer.echo(json.dumps(directory_json(directory), indent=2, ensure_ascii=False))
        return
    users = Table(title=f"{len(directory.accounts)} users (times UTC)")
    for column in ("user", "name", "role", "site", "created"):
        users.add_column(column)
    for a in directory.accounts:
        created = a.created_at.strftime("%Y-%m-%d %H:%M:%S")
        users.add_row(a.user_id, a.name, a.role, a.site, created)
    grants = Table(title=f"{len(directory.grants)} role grants (times UTC)")
    for column in ("granted", "user", "role", "site", "by", "reason"):
        grants.add_column(column)
    for g in directory.grants:
        at = g.granted_at.strftime("%Y-%m-%d %H:%M:%S")
        grants.add_row(at, g.user_id, g.role, g.site, g.granted_by, g.reason)
    console = Console()
    console.print(users)
    console.print(grants)
