"""``trialdesk prescreen``: pre-screen a registry database against a study's rules.

The rules come from the study definition (``eligibility.rules`` of ``--study``) or
from a rule-set file (``--rules``, YAML or JSON of a
:class:`~trialdesk.eligibility.criteria.RuleSet`). The JSON printed with ``--json``
is a contract: ``as_of``, ``counts`` {eligible, not_eligible, incomplete} and
``candidates`` [{subject_id, status, unknown: [criterion ids]}].
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy import URL, create_engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from trialdesk.cli.arguments import parse_date
from trialdesk.cli.errors import user_errors
from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.errors import InputError, TrialdeskError
from trialdesk.store import load_study
from trialdesk.store.prescreen import PrescreenResult, prescreen_parallel
from trialdesk.store.prescreen_schema import check_registry

__all__ = ["prescreen_command", "prescreen_json"]


def _rules_file(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialdeskError(f"{path}: no such file") from None
    try:
        if path.suffix == ".json":
            return RuleSet.model_validate_json(text)
        return RuleSet.model_validate(YAML(typ="safe").load(text))
    except (ValidationError, YAMLError) as error:
        raise TrialdeskError(f"{path}: not a rule set: {error}") from None


def _rules(study_path: Path | None, rules_path: Path | None) -> RuleSet:
    if (study_path is None) == (rules_path is None):
        given = "both" if study_path is not None else "neither"
        raise InputError("--study/--rules", given, "exactly one of them")
    if rules_path is not None:
        return _rules_file(rules_path)
    assert study_path is not None  # noqa: S101 - exactly one is set (checked above)
    rules = load_study(study_path).eligibility.rules
    if rules is None:
        raise TrialdeskError(f"{study_path}: the study definition has no eligibility rules")
    return rules


def _url(text: str) -> URL:
    try:
        url = make_url(text)
    except ArgumentError:
        raise InputError(
            "--db", text, "a database URL (sqlite:///FILE, postgresql://...)"
        ) from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    named = url.database not in (None, "", ":memory:")
    # Never create an empty registry by mistake: SQLite would make the missing file.
    if url.get_backend_name() == "sqlite" and named and not Path(str(url.database)).is_file():
        raise TrialdeskError(f"{url.database}: no such database file")
    return url


def _run(url: URL, rules: RuleSet, as_of: dt.date) -> PrescreenResult:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            check_registry(connection)
        return prescreen_parallel(engine, rules, as_of)
    except SQLAlchemyError as error:
        where = url.render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise TrialdeskError(f"{where}: {reason}") from None
    finally:
        engine.dispose()


def prescreen_json(result: PrescreenResult) -> dict[str, object]:
    """The contract JSON of a pre-screen."""
    return {
        "as_of": result.as_of.isoformat(),
        "counts": {status.value: result.counts[status] for status in Eligibility},
        "candidates": [
            {"subject_id": c.subject_id, "status": c.status.value, "unknown": list(c.unknown)}
            for c in result.candidates
        ],
    }


def _render(result: PrescreenResult, limit: int) -> None:
    console = Console()
    counts = Table(title=f"Pre-screen on {result.as_of.isoformat()}")
    counts.add_column("verdict")
    counts.add_column("subjects", justify="right")
    for status in Eligibility:
        counts.add_row(status.value, f"{result.counts[status]:,}")
    console.print(counts)
    shown = result.candidates if limit == 0 else result.candidates[:limit]
    table = Table(title=f"Candidates ({len(result.candidates):,})")
    for column in ("subject", "verdict", "unknown criteria"):
        table.add_column(column, overflow="fold")
    for candidate in shown:
        table.add_row(candidate.subject_id, candidate.status.value, ", ".join(candidate.unknown))
    console.print(table)
    if len(shown) < len(result.candidates):
        more = len(result.candidates) - len(shown)
        console.print(f"… and {more:,} more (--limit 0 lists all, --json prints all)")


def prescreen_command(
    db: Annotated[
        str, typer.Option("--db", help="Registry database: sqlite:///FILE or postgresql://...")
    ],
    study_path: Annotated[
        Path | None, typer.Option("--study", help="The study.yaml whose eligibility rules apply.")
    ] = None,
    rules_path: Annotated[
        Path | None, typer.Option("--rules", help="A rule-set file (YAML or JSON) instead.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Screening date, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Candidates listed in the table (0: all).")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Count the registry's subjects by verdict and list the candidates with their unknowns."""
    with user_errors():
        day = parse_date(as_of, "--as-of")
        rules = _rules(study_path, rules_path)
        result = _run(_url(db), rules, day)
    if as_json:
        typer.echo(json.dumps(prescreen_json(result), indent=2, ensure_ascii=False))
        return
    _render(result, limit)
