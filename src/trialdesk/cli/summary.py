"""Rich renderings of a study definition and of a study file's problems."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from trialdesk.protocol.doses import DoseLevel
from trialdesk.protocol.outcomes import OutcomeKind
from trialdesk.protocol.study import Study
from trialdesk.protocol.visits import Visit
from trialdesk.store import LocatedProblem

__all__ = ["render_problems", "render_summary"]


def render_summary(study: Study) -> RenderableType:
    """A one-screen review of what the import found, what is missing, what was assumed."""
    return Group(
        _overview(study),
        _dose_table(study.dose_levels, stated=study.dose_levels_stated),
        _design_table(study),
        _visit_table(study.visits),
        _criteria_table(study),
        _listing("Gaps: the record does not say", [(g.id, g.text) for g in study.gaps]),
        _listing(
            "Assumptions: defaults applied",
            [(a.id, f"{a.value}: {a.text}") for a in study.assumptions],
        ),
        _listing("Import notes: what the import could not read cleanly", _notes(study)),
    )


def render_problems(path: Path, problems: Sequence[LocatedProblem]) -> RenderableType:
    """A table of a study file's problems, one row each."""
    table = Table(title=f"{path}: {len(problems)} problem(s)", title_justify="left")
    table.add_column("line", justify="right")
    table.add_column("severity")
    table.add_column("path")
    table.add_column("problem")
    for problem in problems:
        table.add_row(str(problem.line or "?"), problem.severity, problem.path, problem.message)
    return table


def _overview(study: Study) -> RenderableType:
    ident, info = study.identification, study.design_info
    table = Table(show_header=False, title=f"{ident.nct_id}: {ident.brief_title}")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Phase", ", ".join(phase.value for phase in info.phases) or "not stated")
    table.add_row("Status", study.status.overall_status.value)
    count, kind = study.enrollment.count, study.enrollment.type
    table.add_row("Enrollment", f"{count} ({kind.value.lower()})" if count and kind else "-")
    table.add_row("Arms", ", ".join(arm.label for arm in study.arms) or "-")
    table.add_row(
        "Interventions",
        ", ".join(f"{item.name} ({item.type.value.lower()})" for item in study.interventions),
    )
    return table


def _dose_table(levels: Sequence[DoseLevel], *, stated: bool) -> RenderableType:
    if not stated:
        return Text("Dose levels: none stated in the record (none invented).")
    table = Table(title="Dose levels", title_justify="left")
    for column in ("label", "order", "as written", "normalised", "start"):
        table.add_column(column)
    for level in sorted(levels, key=lambda item: item.order):
        table.add_row(
            str(level.label),
            str(level.order),
            f"{level.amount_as_written} {level.unit_as_written}",
            f"{level.amount:g} {level.unit}",
            "yes" if level.is_start else "",
        )
    return table


def _design_table(study: Study) -> RenderableType:
    design = study.design
    table = Table(title="Design", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Escalation design", design.name or "not named in the record")
    table.add_row("Cohort size", str(design.cohort_size) if design.cohort_size else "-")
    window = study.dlt_window_days
    table.add_row("DLT window", f"{window} days" if window is not None else "not stated")
    for option in design.options:
        flag = " (default, to confirm)" if option.default_taken else " (stated)"
        table.add_row(f"option {option.name}", f"{option.value}{flag}")
    return table


def _visit_table(visits: Sequence[Visit]) -> RenderableType:
    table = Table(title="Visits (days from Day 0)", title_justify="left")
    for column in ("visit", "kind", "day", "window"):
        table.add_column(column)
    for visit in visits:
        table.add_row(
            visit.name,
            visit.kind.value,
            "-" if visit.day is None else str(visit.day),
            f"{_day(visit.earliest_day)} to {_day(visit.latest_day)}",
        )
    return table


def _criteria_table(study: Study) -> RenderableType:
    table = Table(title="Eligibility and outcomes", title_justify="left")
    table.add_column("list")
    table.add_column("items", justify="right")
    table.add_column("sub-items", justify="right")
    for name, items in (
        ("inclusion", study.eligibility.inclusion),
        ("exclusion", study.eligibility.exclusion),
    ):
        table.add_row(name, str(len(items)), str(sum(len(item.sub_items) for item in items)))
    for kind in OutcomeKind:
        outcomes = [outcome for outcome in study.outcomes if outcome.kind is kind]
        unread = sum(not outcome.time_frame.parsed for outcome in outcomes)
        note = f"{unread} time frame(s) unread" if unread else ""
        table.add_row(f"{kind.value} outcomes", str(len(outcomes)), note)
    return table


def _listing(title: str, rows: Sequence[tuple[str, str]]) -> RenderableType:
    table = Table(title=f"{title} ({len(rows)})", title_justify="left", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(key, text)
    return table


def _notes(study: Study) -> list[tuple[str, str]]:
    rows = [("import", note) for note in study.import_notes]
    rows += [("eligibility", note) for note in study.eligibility.notes]
    rows += [
        (f"outcome {outcome.id}", f"time frame words not read: {', '.join(frame.unread)}")
        for outcome in study.outcomes
        if (frame := outcome.time_frame).unread
    ]
    return rows


def _day(day: int | None) -> str:
    return "open" if day is None else f"Day {day}"
