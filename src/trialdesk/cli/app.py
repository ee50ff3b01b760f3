"""The ``trialdesk`` commands. Each one parses, calls the library, renders.

Every deliberate failure (a :class:`~trialdesk.errors.TrialdeskError`) prints
its message to stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trialdesk.cli import (  # noqa: F401 - importing them registers their `calc` commands
    calc_clinical,
    calc_ctcae,
    calc_gli,
    calc_sgrq,
)
from trialdesk.cli.audit import audit_list_command
from trialdesk.cli.calc import calc_app
from trialdesk.cli.criteria import criteria_app, screen_command
from trialdesk.cli.demo import demo_json, parse_probabilities, render_demo, run_demo_trial
from trialdesk.cli.design import design_app
from trialdesk.cli.errors import EXIT_BAD_INPUT, user_errors
from trialdesk.cli.prescreen import prescreen_command
from trialdesk.cli.subject import ae_app, dlt_app, form_app, subject_app, visits_app
from trialdesk.cli.summary import render_problems, render_summary
from trialdesk.cli.trial import audit_app, db_app, decide_command, log_command, trial_app
from trialdesk.cli.user import user_app
from trialdesk.errors import RecordError, TrialdeskError
from trialdesk.protocol import import_study, parse_record_text
from trialdesk.protocol.study import Study
from trialdesk.store import (
    LocatedProblem,
    check_study_text,
    render_study_yaml,
    write_text_atomic,
)

__all__ = ["app", "main"]

DEMO_RECORD = Path("studies/NCT07329959/record.txt")
DEMO_STUDY = Path("studies/NCT07329959/study.yaml")
DEMO_FORMS = Path("studies/NCT07329959/forms.yaml")

app = typer.Typer(
    name="trialdesk",
    help="Run an early-phase dose-escalation trial from its registry record to its report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
study_app = typer.Typer(
    help="Work with a study definition file (study.yaml).", no_args_is_help=True
)
app.add_typer(study_app, name="study")
app.add_typer(design_app, name="design")
app.add_typer(calc_app, name="calc")
app.add_typer(criteria_app, name="criteria")
app.command("screen")(screen_command)
app.command("prescreen")(prescreen_command)
app.add_typer(trial_app, name="trial")
app.add_typer(audit_app, name="audit")
audit_app.command("list")(audit_list_command)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(subject_app, name="subject")
app.add_typer(ae_app, name="ae")
app.add_typer(dlt_app, name="dlt")
app.add_typer(visits_app, name="visits")
app.add_typer(form_app, name="form")
app.command("decide")(decide_command)
app.command("log")(log_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trialdesk {version('trialdesk')}")
        raise typer.Exit


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Run an early-phase dose-escalation trial from its registry record to its report."""


@app.command("import")
def import_command(
    record: Annotated[
        Path, typer.Argument(help="ClinicalTrials.gov API v2 JSON, or a record page (.txt).")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the study definition here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole definition as JSON.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the output file if it exists.")
    ] = False,
) -> None:
    """Import a registry record into a study definition and show its summary."""
    with user_errors():
        study = _import_file(record)
        if output is not None:
            write_text_atomic(output, render_study_yaml(study), overwrite=force)
    if as_json:
        typer.echo(json.dumps(study.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    console = Console()
    console.print(render_summary(study))
    if output is not None:
        typer.echo(f"Study definition written to {output}")


@study_app.command("check")
def study_check_command(
    path: Annotated[Path, typer.Argument(help="The study.yaml to validate.")],
) -> None:
    """Validate a study.yaml and list every problem with its path and line."""
    with user_errors():
        text = _read_text(path)
    _report_check(path, check_study_text(text))


@app.command("demo")
def demo_command(
    root: Annotated[Path, typer.Option(help="The trialdesk checkout holding studies/.")] = Path(),
    scenario: Annotated[
        str, typer.Option(help="True DLT probability at each dose level, lowest first.")
    ] = "0.10,0.25,0.45",
    seed: Annotated[int, typer.Option(help="Seed of the simulated subjects and outcomes.")] = 1,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL to keep the trial in (default: a temporary file)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import the seed study, check its reviewed definition, run a whole simulated 3+3 trial."""
    with user_errors():
        study = _import_file(root / DEMO_RECORD)
        reviewed = root / DEMO_STUDY
        problems = check_study_text(_read_text(reviewed))
        true_tox = parse_probabilities(scenario)
    console = Console(stderr=as_json)
    if not as_json:
        console.rule(f"Imported from {root / DEMO_RECORD}")
        console.print(render_summary(study))
        console.rule(f"Reviewed definition {reviewed}")
        _report_check(reviewed, problems)
        console.rule(f"Simulated trial: true DLT probabilities {scenario}, seed {seed}")
    with user_errors():
        forms = _read_text(root / DEMO_FORMS)
        result = run_demo_trial(
            _read_text(reviewed), forms, true_tox, seed=seed, db=db, console=console
        )
    if as_json:
        typer.echo(json.dumps(demo_json(result), indent=2))
        return
    console.print(render_demo(result))


def _report_check(path: Path, problems: list[LocatedProblem]) -> None:
    """Print the problems; exit 2 when any is an error (warnings alone pass)."""
    if problems:
        Console().print(render_problems(path, problems))
    if any(problem.severity == "error" for problem in problems):
        raise typer.Exit(EXIT_BAD_INPUT)
    warned = f" with {len(problems)} warning(s)" if problems else ""
    typer.echo(f"{path}: valid study definition{warned}")


def main() -> None:
    """Console-script entry point."""
    app()


def _import_file(path: Path) -> Study:
    text = _read_text(path)
    try:
        return import_study(parse_record_text(text))
    except RecordError as error:
        raise type(error)(f"{path}: {error}") from error


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialdeskError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TrialdeskError(f"{path}: cannot read: {exc}") from exc
