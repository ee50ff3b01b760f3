"""``trialdesk audit list``: review the audit trail, filtered, and export it (PART11.md A8).

The filter options combine (every one given must hold). ``--from`` and ``--to`` take a
date (a whole UTC day) or a date-time with its offset, both inclusive. ``--json``,
``--csv FILE`` and ``--odm FILE`` are exports: each run that makes one writes an
"audit.export" audit entry in the same transaction (see
:mod:`trialdesk.service.audit`); the table on screen is a read and writes nothing.
``--spreadsheet-safe`` makes the CSV safe to open in a spreadsheet (formula-like cells
quoted, :func:`~trialdesk.exports.audit_export.spreadsheet_safe`); the entry then names
the format ``csv_spreadsheet_safe``, as the file is no longer an exact copy.
Only the roles in :data:`~trialdesk.service.audit.AUDIT_READING_ROLES` may read.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trialdesk.cli.arguments import parse_date, parse_datetime
from trialdesk.cli.errors import user_errors
from trialdesk.cli.trial import AsOption, DbOption, parse_actor
from trialdesk.errors import InputError, OutputExistsError
from trialdesk.exports.audit_export import export_audit_csv, export_audit_odm
from trialdesk.service.audit import AuditExport, AuditSelection, audit_entries
from trialdesk.store.audit_query import AuditFilter
from trialdesk.store.engine import DEFAULT_URL, engine_for
from trialdesk.store.files import write_text_atomic

__all__ = ["audit_list_command", "selection_json"]

_SHOWN = 40  # characters of a value shown in the table (the exports hold all of it)


def _instant(text: str | None, option: str, *, end_of_day: bool) -> dt.datetime | None:
    """A date (its whole UTC day) or a date-time with its offset; a bare time is refused."""
    if text is None:
        return None
    if len(text) == len("YYYY-MM-DD"):
        day = parse_date(text, option)
        return dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min, dt.UTC)
    moment = parse_datetime(text, option)
    if moment.tzinfo is None:
        raise InputError(
            option,
            text,
            "a date YYYY-MM-DD (UTC) or a date-time with its offset, e.g. "
            "2026-06-20T10:00:00+08:00",
        )
    return moment


def selection_json(selection: AuditSelection) -> dict[str, object]:
    """The ``--json`` contract: the filter, who read when, the count, every entry."""
    return {
        "filter": selection.audit_filter.as_dict(),
        "read_at": selection.read_at.isoformat(),
        "read_by": selection.read_by,
        "count": len(selection.entries),
        "entries": [entry.as_dict() for entry in selection.entries],
    }


def _short(value: str | None) -> str:
    if value is None:
        return "-"
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"


def _table(selection: AuditSelection) -> Table:
    table = Table(title=f"audit trail: {len(selection.entries)} entries (times UTC)")
    table.add_column("seq", no_wrap=True)
    table.add_column("at", no_wrap=True)
    for column in ("user", "action", "entity"):  # ids fold onto a second line, never cut
        table.add_column(column, overflow="fold")
    table.add_column("change", overflow="fold")
    for entry in selection.entries:
        change = f"{entry.field}: {_short(entry.old_value)} → {_short(entry.new_value)}"
        if entry.reason is not None:
            change += f"\nreason: {entry.reason}"
        table.add_row(
            str(entry.seq),
            entry.at.strftime("%Y-%m-%d\n%H:%M:%S"),
            f"{entry.actor_user_id} ({entry.actor_role or 'no account'})",
            entry.action,
            entry.entity,
            change,
        )
    return table


def _export(
    csv_path: Path | None,
    odm_path: Path | None,
    *,
    as_json: bool,
    force: bool,
    for_spreadsheets: bool = False,
) -> AuditExport | None:
    """What to deliver inside the reading transaction (every file rendered before any write)."""
    if for_spreadsheets and csv_path is None:
        raise InputError("--spreadsheet-safe", True, "with --csv FILE (it changes the CSV)")
    csv_format = "csv_spreadsheet_safe" if for_spreadsheets else "csv"
    paths = {csv_format: csv_path, "odm": odm_path}
    formats = (("json",) if as_json else ()) + tuple(name for name, p in paths.items() if p)
    if not formats:
        return None
    for path in (p for p in paths.values() if p is not None and not force):
        if path.exists():
            raise OutputExistsError(f"{path}: the file exists; pass --force to replace it")

    def deliver(selection: AuditSelection) -> None:
        texts: dict[Path, str] = {}
        if csv_path is not None:
            texts[csv_path] = export_audit_csv(selection, for_spreadsheets=for_spreadsheets)
        if odm_path is not None:
            texts[odm_path] = export_audit_odm(selection)
        for path, text in texts.items():
            write_text_atomic(path, text, overwrite=force)
        if as_json:
            typer.echo(json.dumps(selection_json(selection), indent=2, ensure_ascii=False))

    return AuditExport(formats, deliver)


def audit_list_command(
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
    trial: Annotated[
        str | None,
        typer.Option(help="Only this trial's entries (NCT id): its creation, forms and events."),
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Only this subject's entries.")] = None,
    form: Annotated[str | None, typer.Option(help="Only entries of this form (its id).")] = None,
    field: Annotated[
        str | None, typer.Option(help="A field path (e.g. status), or a form item's id.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only entries by this user id.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action (e.g. enrolled).")] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="From this UTC date, or date-time with offset (inclusive)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Up to this UTC date, or date-time with offset (inclusive)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Export them as CSV.")] = None,
    odm_path: Annotated[
        Path | None, typer.Option("--odm", help="Export them as CDISC ODM 1.3.2 AuditRecords.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace export files.")] = False,
    spreadsheet_safe: Annotated[
        bool,
        typer.Option(
            "--spreadsheet-safe",
            help="Quote CSV cells a spreadsheet would run as formulas (then not an exact copy).",
        ),
    ] = False,
) -> None:
    """List the audit trail, filtered; --json, --csv, --odm export it (an audited act)."""
    with user_errors():
        who = parse_actor(actor)
        audit_filter = AuditFilter(
            trial=trial,
            subject_id=subject,
            form_id=form,
            field=field,
            user_id=user,
            action=action,
            start=_instant(start, "--from", end_of_day=False),
            end=_instant(end, "--to", end_of_day=True),
        )
        export = _export(
            csv_path, odm_path, as_json=as_json, force=force, for_spreadsheets=spreadsheet_safe
        )
        with engine_for(db) as engine:
            selection = audit_entries(engine, who, audit_filter, export=export)
    if not as_json:
        Console().print(_table(selection))
    for kind, path in (("CSV", csv_path), ("ODM", odm_path)):
        if path is not None:  # on stderr under --json, whose stdout is the JSON alone
            typer.echo(f"{len(selection.entries)} entries written to {path} ({kind})", err=as_json)
