"""Trial commands: ``trial init|status``, ``decide``, ``log``, ``audit verify``, ``db``.

Every command takes ``--db URL`` (default ``sqlite:///trial.db``); writing commands
take ``--as USER`` with the user's name, role and site, so each audit entry names
who acted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trialdesk.cli.arguments import parse_date
from trialdesk.cli.errors import EXIT_BAD_INPUT, user_errors
from trialdesk.conduct.dlt import Waiting, pending_decision
from trialdesk.conduct.events import EnrolmentResumed, EscalationConfirmed
from trialdesk.errors import TrialdeskError
from trialdesk.service import Actor, audit_verify, init_trial, record_event, trial_state
from trialdesk.store.backup import backup_database, restore_database
from trialdesk.store.engine import DEFAULT_URL, engine_for

__all__ = ["audit_app", "db_app", "decide_command", "log_command", "trial_app"]

trial_app = typer.Typer(no_args_is_help=True, help="Start and inspect a trial in a database.")
audit_app = typer.Typer(no_args_is_help=True, help="Check the audit trail.")

DbOption = Annotated[str, typer.Option("--db", help="Database URL (SQLite file or PostgreSQL).")]
NctOption = Annotated[str, typer.Option("--trial", help="The trial's NCT id.")]
AsOption = Annotated[str, typer.Option("--as", help="Who acts: USER_ID:Printed Name:role:site.")]


def parse_actor(text: str) -> Actor:
    """``USER_ID:Printed Name:role:site`` as an :class:`Actor`, refused when malformed."""
    parts = text.split(":")
    if len(parts) != 4 or not all(part.strip() for part in parts):
        raise TrialdeskError(f"--as {text!r}: expected USER_ID:Printed Name:role:site")
    user_id, name, role, site = (part.strip() for part in parts)
    return Actor(user_id, name, role, site)


@trial_app.command("init")
def trial_init_command(
    study: Annotated[Path, typer.Option("--study", help="The reviewed study.yaml.")],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
    forms: Annotated[
        Path | None,
        typer.Option(help="The forms file (default: forms.yaml beside the study, if there)."),
    ] = None,
) -> None:
    """Create the database (if needed) and a trial running the reviewed study and its forms."""
    with user_errors():
        who = parse_actor(actor)
        forms_path = forms or study.with_name("forms.yaml")
        forms_text = forms_path.read_text("utf-8") if forms or forms_path.exists() else None
        with engine_for(db) as engine:
            init_trial(engine, study.read_text("utf-8"), who, forms_text)
    with_forms = f" with the forms of {forms_path}" if forms_text is not None else " (no forms)"
    typer.echo(f"trial created from {study}{with_forms} in {db}")


@trial_app.command("status")
def trial_status_command(trial: NctOption, db: DbOption = DEFAULT_URL) -> None:
    """Cohorts, their levels and members, and each subject's status."""
    with user_errors(), engine_for(db) as engine:
        state = trial_state(engine, trial)
    table = Table(
        title=f"{trial}: {'stopped, MTD ' + str(state.mtd) if state.stopped else 'running'}"
    )
    for column in ("cohort", "level", "slots", "subjects"):
        table.add_column(column)
    for cohort in state.cohorts:
        members = ", ".join(f"{sid} ({state.subjects[sid].status.value})" for sid in cohort.members)
        table.add_row(str(cohort.index + 1), str(cohort.level), str(cohort.slots), members or "-")
    Console().print(table)


def decide_command(
    trial: NctOption,
    db: DbOption = DEFAULT_URL,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The decision date (default: today, UTC).")
    ] = None,
    confirm_as: Annotated[
        str | None, typer.Option("--confirm-as", help="Sign the decision off: USER:Name:role:site.")
    ] = None,
) -> None:
    """Show the design's pending dose decision; --confirm-as signs it off."""
    with user_errors():
        day = parse_date(as_of, "--as-of")
        with engine_for(db) as engine:
            due = pending_decision(trial_state(engine, trial), day)
            if isinstance(due, Waiting):
                typer.echo(f"no decision yet ({due.rule}): {due.reason}")
                raise typer.Exit(0)
            typer.echo(f"{due.rule}: {due.reason}")
            if confirm_as is not None:
                who = parse_actor(confirm_as)
                event = EscalationConfirmed(
                    date=day,
                    rule=due.rule,
                    next_level=due.next_level,
                    confirmed_by=who.user_id,
                    role=who.role,
                )
                record_event(engine, trial, event, who)
                typer.echo(f"confirmed by {who.name} ({who.role}) on {day.isoformat()}")


def log_command(
    trial: NctOption,
    db: DbOption = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the log as JSON.")] = False,
) -> None:
    """The decision log: each confirmed decision with its rule, reason and signer."""
    with user_errors(), engine_for(db) as engine:
        state = trial_state(engine, trial)
    rows = [
        {
            "after_cohort": d.after_cohort + 1,
            "level": state.cohorts[d.after_cohort].level,
            "rule": d.decision.rule,
            "next_level": d.decision.next_level,
            "mtd": d.decision.mtd,
            "reason": d.decision.reason,
            "confirmed_by": d.confirmed_by,
            "role": d.role,
            "date": d.date.isoformat(),
        }
        for d in state.decisions
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{trial}: decision log")
    for column in ("cohort", "level", "rule", "next", "confirmed by", "date"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["after_cohort"]),
            str(row["level"]),
            str(row["rule"]),
            "stop" if row["next_level"] is None else str(row["next_level"]),
            f"{row['confirmed_by']} ({row['role']})",
            str(row["date"]),
        )
    Console().print(table)


@audit_app.command("verify")
def audit_verify_command(db: DbOption = DEFAULT_URL) -> None:
    """Recompute the audit chain and every record's hash; name what fails (exit 2)."""
    with user_errors(), engine_for(db) as engine:
        report = audit_verify(engine)
    for problem in report.problems:
        typer.echo(problem, err=True)
    if not report.verified:
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"audit trail verified: {report.entries} entries, {report.events} events")


db_app = typer.Typer(no_args_is_help=True, help="Back up and restore a trial database.")


@db_app.command("backup")
def db_backup_command(
    to: Annotated[Path, typer.Option("--to", help="The new backup file.")],
    db: DbOption = DEFAULT_URL,
) -> None:
    """Copy the database (SQLite online backup, or pg_dump) into a new file."""
    with user_errors():
        backup_database(db, to)
    typer.echo(f"backed up {db} to {to}")


@db_app.command("restore")
def db_restore_command(
    source: Annotated[Path, typer.Option("--from", help="The backup file.")],
    db: DbOption = DEFAULT_URL,
) -> None:
    """Restore a backup into a new SQLite file or an empty PostgreSQL database, then verify."""
    with user_errors():
        restore_database(source, db)
        with engine_for(db) as engine:
            report = audit_verify(engine)
    for problem in report.problems:
        typer.echo(problem, err=True)
    if not report.verified:
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"restored {source} into {db}; audit trail verified ({report.entries} entries)")


@trial_app.command("resume")
def trial_resume_command(
    trial: NctOption,
    reason: Annotated[str, typer.Option(help="The safety review's conclusion.")],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
    date: Annotated[str | None, typer.Option(help="Date (default: today, UTC).")] = None,
) -> None:
    """Resume enrolment paused by a stopping rule (the safety review chair, as itself)."""
    with user_errors():
        who = parse_actor(actor)
        day = parse_date(date, "--date")
        event = EnrolmentResumed(date=day, reason=reason, confirmed_by=who.user_id, role=who.role)
        with engine_for(db) as engine:
            record_event(engine, trial, event, who, reason=reason)
    typer.echo(f"enrolment resumed by {who.name} ({who.role})")
