"""One command per use case: a subject's steps, adverse events, DLTs, visits due.

``subject add|consent|screen|enrol|collect|release|check|infuse|visit|leave``,
``ae add``, ``dlt adjudicate``, ``visits due``. Each command records one event
through the service (one transaction with its audit entry) as the user named by
``--as``; a refusal prints its rule and writes nothing.
``subject screen`` evaluates the subject's data against the study's eligibility
rules and records the verdict; ``subject infuse`` computes the dose from the weight
and the released product and refuses the infusion when the dose rules refuse it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trialdesk.cli.arguments import parse_date, parse_datetime
from trialdesk.cli.criteria import load_subject
from trialdesk.cli.errors import user_errors
from trialdesk.cli.trial import AsOption, DbOption, NctOption, parse_actor
from trialdesk.clinical.units import Quantity
from trialdesk.conduct.dose import ProductRelease, ReleaseResult, WeightMeasurement, compute_dose
from trialdesk.conduct.dose_rules import parse_dose_rules
from trialdesk.conduct.events import (
    AdverseEventRecorded,
    ConsentSigned,
    DltAdjudicated,
    Event,
    Infused,
    LeukapheresisDone,
    PreInfusionChecked,
    ProductReleased,
    ScreeningRecorded,
    SubjectEnrolled,
    SubjectLeft,
    SubjectRegistered,
    VisitRecorded,
)
from trialdesk.conduct.visits_due import derive_visits_due
from trialdesk.eligibility.evaluate import Eligibility, evaluate
from trialdesk.errors import NotFoundError, TrialdeskError
from trialdesk.service import record_event, trial_state
from trialdesk.service.trial import record_form_entry, study_of
from trialdesk.store.engine import DEFAULT_URL, engine_for

__all__ = ["ae_app", "dlt_app", "form_app", "subject_app", "visits_app"]

subject_app = typer.Typer(no_args_is_help=True, help="Record a subject's steps through the trial.")
ae_app = typer.Typer(no_args_is_help=True, help="Record adverse events.")
dlt_app = typer.Typer(no_args_is_help=True, help="Adjudicate DLT candidates.")
visits_app = typer.Typer(no_args_is_help=True, help="Visits due, missed and done.")
form_app = typer.Typer(no_args_is_help=True, help="Enter and correct case report forms.")

SubjectOption = Annotated[str, typer.Option("--subject", help="The subject id.")]
DateOption = Annotated[str, typer.Option("--date", help="The date it happened (YYYY-MM-DD).")]


def _date(text: str) -> dt.date:
    return parse_date(text, "--date")


def _record(db: str, trial: str, actor: str, event: Event, reason: str | None = None) -> None:
    with user_errors():
        who = parse_actor(actor)
        with engine_for(db) as engine:
            recorded = record_event(engine, trial, event, who, reason=reason)
    typer.echo(f"recorded {event.kind} (event {recorded.seq})")
    for notice in recorded.notices:
        typer.echo(f"{notice.rule}: {notice.message}")


@subject_app.command("add")
def subject_add(
    trial: NctOption,
    subject: SubjectOption,
    site: Annotated[str, typer.Option()],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Register a subject at a site."""
    with user_errors():
        event = SubjectRegistered(subject_id=subject, date=_date(date), site=site)
    _record(db, trial, actor, event)


@subject_app.command("consent")
def subject_consent(
    trial: NctOption,
    subject: SubjectOption,
    form_version: Annotated[str, typer.Option(help="Consent form version.")],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record written informed consent on a named form version."""
    with user_errors():
        event = ConsentSigned(subject_id=subject, date=_date(date), form_version=form_version)
    _record(db, trial, actor, event)


@subject_app.command("screen")
def subject_screen(
    trial: NctOption,
    subject: SubjectOption,
    data: Annotated[Path, typer.Option(help="The subject's screening data (JSON).")],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Evaluate the subject's data against the study's rules and record the verdict."""
    with user_errors():
        subject_data = load_subject(data)
        if subject_data.subject_id != subject:
            raise TrialdeskError(f"{data} is about {subject_data.subject_id}, not {subject}")
        with engine_for(db) as engine:
            rules = study_of(engine, trial).eligibility.rules
        if rules is None:
            raise TrialdeskError("the study definition has no eligibility rules")
        verdict = evaluate(rules, subject_data)
        if verdict.status is Eligibility.INCOMPLETE:
            raise TrialdeskError("screening incomplete: " + "; ".join(verdict.missing))
        failed = tuple(c.criterion for c in verdict.criteria if c.passes.value == "not_met")
        event = ScreeningRecorded(
            subject_id=subject,
            date=subject_data.screening_date,
            eligible=verdict.status is Eligibility.ELIGIBLE,
            failed_criteria=failed,
        )
    _record(db, trial, actor, event)
    typer.echo(f"{subject}: {verdict.status.value} ({verdict.reason})")


@subject_app.command("enrol")
def subject_enrol(
    trial: NctOption,
    subject: SubjectOption,
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Enrol an eligible subject into the next open slot of the open cohort."""
    with user_errors():
        event = SubjectEnrolled(subject_id=subject, date=_date(date))
    _record(db, trial, actor, event)


@subject_app.command("collect")
def subject_collect(
    trial: NctOption,
    subject: SubjectOption,
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record the leukapheresis (cells collected for manufacturing)."""
    with user_errors():
        event = LeukapheresisDone(subject_id=subject, date=_date(date))
    _record(db, trial, actor, event)


@subject_app.command("release")
def subject_release(
    trial: NctOption,
    subject: SubjectOption,
    cells: Annotated[str, typer.Option(help="Released viable cells.")],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record the product's release with its cell count."""
    with user_errors():
        event = ProductReleased(subject_id=subject, date=_date(date), cells=Decimal(cells))
    _record(db, trial, actor, event)


@subject_app.command("check")
def subject_check(
    trial: NctOption,
    subject: SubjectOption,
    date: DateOption,
    actor: AsOption,
    failed: Annotated[
        list[str] | None,
        typer.Option("--failed", help="A reason the pre-infusion check failed (repeatable)."),
    ] = None,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record the pre-infusion check (passed, or failed with its reasons)."""
    with user_errors():
        reasons = tuple(failed or ())
        event = PreInfusionChecked(
            subject_id=subject, date=_date(date), passed=not reasons, reasons=reasons
        )
    _record(db, trial, actor, event)


@subject_app.command("infuse")
def subject_infuse(
    trial: NctOption,
    subject: SubjectOption,
    at: Annotated[str, typer.Option(help="Infusion time, ISO 8601 with offset.")],
    weight: Annotated[str, typer.Option(help="Body weight in kg.")],
    weighed_at: Annotated[str, typer.Option(help="When weighed, ISO 8601 with offset.")],
    cells: Annotated[str, typer.Option(help="The released product's cells.")],
    viability: Annotated[str, typer.Option(help="The product's viability, %.")],
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Compute the dose from weight and product (refused by rule) and record the infusion."""
    with user_errors():
        infusion_at = parse_datetime(at, "--at")
        with engine_for(db) as engine:
            study = study_of(engine, trial)
            state = trial_state(engine, trial)
        holder = state.subjects.get(subject)
        if holder is None or holder.level is None:
            raise NotFoundError(f"subject {subject} holds no slot in {trial}")
        level = next(lv for lv in study.dose_levels if lv.label == holder.level)
        measured = WeightMeasurement(
            Decimal(weight), "kg", parse_datetime(weighed_at, "--weighed-at")
        )
        product = ProductRelease(
            lot=f"{subject}-product",
            cells=Decimal(cells),
            results=(ReleaseResult("viability", Quantity(Decimal(viability), "%")),),
        )
        dose = compute_dose(
            level,
            weight=measured,
            infusion_at=infusion_at,
            rules=parse_dose_rules(study),
            product=product,
        )
        event = Infused(
            subject_id=subject,
            date=infusion_at.date(),
            level=level.label,
            dose_cells=Decimal(cells),
        )
    typer.echo(f"{dose.rule_id}: {dose.reason}")
    _record(db, trial, actor, event)


@subject_app.command("visit")
def subject_visit(
    trial: NctOption,
    subject: SubjectOption,
    visit: Annotated[str, typer.Option(help="The visit id from the schedule.")],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record that a scheduled visit took place."""
    with user_errors():
        event = VisitRecorded(subject_id=subject, date=_date(date), visit_id=visit)
    _record(db, trial, actor, event)


@subject_app.command("leave")
def subject_leave(
    trial: NctOption,
    subject: SubjectOption,
    outcome: Annotated[str, typer.Option(help="completed, withdrawn, died or lost_to_follow_up.")],
    date: DateOption,
    actor: AsOption,
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record the end of a subject's participation."""
    with user_errors():
        event = SubjectLeft.model_validate(
            {"subject_id": subject, "date": _date(date), "outcome": outcome, "reason": reason}
        )
    _record(db, trial, actor, event, reason or None)


@ae_app.command("add")
def ae_add(
    trial: NctOption,
    subject: SubjectOption,
    ae_id: Annotated[str, typer.Option("--id", help="The adverse event's id.")],
    term: Annotated[str, typer.Option(help="The CTCAE term.")],
    onset: Annotated[str, typer.Option(help="Onset date (YYYY-MM-DD).")],
    grade: Annotated[int, typer.Option(help="CTCAE grade 1-5.")],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Record an adverse event with its onset and grade."""
    with user_errors():
        event = AdverseEventRecorded(
            subject_id=subject,
            date=_date(date),
            ae_id=ae_id,
            term=term,
            onset=_date(onset),
            grade=grade,
        )
    _record(db, trial, actor, event)


@dlt_app.command("adjudicate")
def dlt_adjudicate(
    trial: NctOption,
    subject: SubjectOption,
    ae_id: Annotated[str, typer.Option("--ae", help="The adverse event's id.")],
    is_dlt: Annotated[bool, typer.Option("--dlt/--not-dlt", help="The verdict.")],
    related: Annotated[bool, typer.Option("--related/--unrelated")],
    date: DateOption,
    actor: AsOption,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Adjudicate one adverse event inside the DLT window: a DLT or not, and relatedness."""
    with user_errors():
        who = parse_actor(actor)
        event = DltAdjudicated(
            subject_id=subject,
            date=_date(date),
            ae_id=ae_id,
            is_dlt=is_dlt,
            related=related,
            reviewer=who.user_id,
        )
    _record(db, trial, actor, event)


@visits_app.command("due")
def visits_due(
    trial: NctOption,
    subject: SubjectOption,
    today: Annotated[str | None, typer.Option(help="The day (default: today).")] = None,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Each scheduled visit's status for the subject: upcoming, due, missed or done."""
    with user_errors():
        day = parse_date(today, "--today")
        with engine_for(db) as engine:
            study = study_of(engine, trial)
            state = trial_state(engine, trial)
        holder = state.subjects.get(subject)
        if holder is None:
            raise NotFoundError(f"no subject {subject} in {trial}")
        rows = derive_visits_due(
            study.visits,
            day_0=holder.day0,
            consent=holder.consented_on,
            recorded=dict(holder.visits),
            today=day,
        )
    table = Table(title=f"{subject}: visits on {day.isoformat()}")
    for column in ("visit", "status", "window", "done"):
        table.add_column(column)
    for row in rows:
        window = "-" if row.window is None else f"{row.window}"
        done = "-" if row.done_on is None else row.done_on.isoformat()
        table.add_row(row.name, row.status.value, window, done)
    Console().print(table)


@form_app.command("enter")
def form_enter(
    trial: NctOption,
    subject: SubjectOption,
    visit: Annotated[str, typer.Option(help="The visit id.")],
    form: Annotated[str, typer.Option(help="The form id.")],
    values: Annotated[Path, typer.Option(help="The entry's values (JSON object).")],
    date: DateOption,
    actor: AsOption,
    reason: Annotated[
        str | None, typer.Option(help="Why: required when correcting an earlier entry.")
    ] = None,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Validate an entry on the trial's form and record it; a second entry corrects the first."""
    with user_errors():
        who = parse_actor(actor)
        try:
            data = json.loads(values.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise TrialdeskError(f"{values}: {error}") from None
        if not isinstance(data, dict):
            raise TrialdeskError(f"{values}: expected a JSON object of item values")
        with engine_for(db) as engine:
            recorded = record_form_entry(
                engine,
                trial,
                subject_id=subject,
                visit_id=visit,
                form_id=form,
                values=data,
                actor=who,
                on=_date(date),
                reason=reason,
            )
    replays = [n.message for n in recorded.notices if n.rule == "form.identical_replay"]
    if replays:
        typer.echo(replays[0])
        return
    typer.echo(f"recorded {form} at {visit} for {subject} (event {recorded.seq})")
