"""Derive the visit schedule from the record's flow text and outcome time points.

Two sources, used together:

* the arm descriptions' numbered flow (``1. Screening: ...``, ``2. Leukapheresis:
  ...``): each step is classified by its words into a visit kind;
* every outcome time point with a day after Day 0 becomes a visit on that day.

A visit inside the DLT window is a ``dlt_window`` visit; after it, ``follow_up``.
Where the record has no flow, screening and Day 0 are still needed by any
interventional trial, so they are added and marked as assumptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialdesk.protocol.outcomes import Outcome
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.timeframes import TimePoint, parse_time_frame
from trialdesk.protocol.visits import (
    WINDOW_DEFAULTS,
    Visit,
    VisitKind,
    follow_up_window_days,
)

__all__ = ["ASSUMED_VISIT_NOTE", "derive_visits"]

ASSUMED_VISIT_NOTE = "assumption visits.required: every interventional trial screens and doses"

_STEP = re.compile(r"^[ \t]*(?:[*\-•][ \t]*)?(\d{1,2})\\?[.)][ \t]+(?P<body>.+)$", re.MULTILINE)

# (kind, pattern on the step's text): first match wins, in this order.
_STEP_KINDS: tuple[tuple[VisitKind, re.Pattern[str]], ...] = (
    (VisitKind.LONG_TERM, re.compile(r"long[- ]term follow[- ]?up", re.IGNORECASE)),
    (VisitKind.SCREENING, re.compile(r"\bscreen(?:ing|ed)\b", re.IGNORECASE)),
    (VisitKind.PROCEDURE, re.compile(r"\b(?:leuk)?apheresis\b", re.IGNORECASE)),
    (VisitKind.FOLLOW_UP, re.compile(r"follow[- ]?up|post[- ]treatment|visits? at", re.IGNORECASE)),
    (VisitKind.DOSING, re.compile(r"\b(?:infusion|treatment|dosing)\b", re.IGNORECASE)),
)
_PRE_DOSE = re.compile(
    r"pre[- ](?:infusion|treatment|dose|dosing)[^.(]*(?:\([^)]*\))?[^.]*\.?", re.IGNORECASE
)
_TITLE = re.compile(r"^(?P<title>[^:.]{3,40}):")


@dataclass(frozen=True, slots=True)
class _Step:
    kind: VisitKind
    name: str
    source: Source


def derive_visits(
    arm_texts: Sequence[tuple[str, str]],
    outcomes: Sequence[Outcome],
    dlt_window_days: int | None,
) -> tuple[Visit, ...]:
    """The visits of one subject's path, in order, each with a window.

    ``arm_texts`` are ``(record path, arm description)`` pairs.
    """
    steps = list(_flow_steps(arm_texts))
    visits = [*_pre_dose_visits(steps), *_post_dose_visits(steps, outcomes, dlt_window_days)]
    long_term = next((step for step in steps if step.kind is VisitKind.LONG_TERM), None)
    if long_term is not None:
        visits.append(_long_term_visit(long_term, visits))
    return tuple(visits)


def _pre_dose_visits(steps: Sequence[_Step]) -> list[Visit]:
    """Screening to Day 0, in the order of the flow's kinds; one visit per id."""
    kinds = {step.kind for step in steps}
    required = [
        _Step(kind, kind.value.capitalize(), Source(note=ASSUMED_VISIT_NOTE))
        for kind in (VisitKind.SCREENING, VisitKind.DOSING)
        if kind not in kinds
    ]
    visits: dict[str, Visit] = {}
    for step in [*required, *steps]:
        if step.kind in WINDOW_DEFAULTS:
            visit = _pre_dose_visit(step)
            visits.setdefault(visit.id, visit)
    order = list(VisitKind)
    return sorted(visits.values(), key=lambda visit: order.index(visit.kind))


def _post_dose_visits(
    steps: Sequence[_Step], outcomes: Sequence[Outcome], dlt_window_days: int | None
) -> list[Visit]:
    """One visit per assessment day after Day 0, first source kept, windows kept apart."""
    assessments: dict[int, tuple[str, Source]] = {}
    for day, label, source in _assessment_days(steps, outcomes):
        assessments.setdefault(day, (label, source))
    days = sorted(assessments)
    visits = []
    for index, day in enumerate(days):
        previous = days[index - 1] if index else 0
        following = days[index + 1] if index + 1 < len(days) else None
        label, source = assessments[day]
        half = follow_up_window_days(day, previous, following)
        visits.append(_follow_up_visit(day, half, label, source, dlt_window_days))
    return visits


def _flow_steps(arm_texts: Sequence[tuple[str, str]]) -> Iterable[_Step]:
    for path, text in arm_texts:
        for match in _STEP.finditer(text):
            body = match.group("body").strip()
            kind = _classify(body)
            if kind is None:
                continue
            title = _TITLE.match(body)
            name = title.group("title").strip() if title else kind.value.replace("_", " ")
            pre = _PRE_DOSE.search(body)
            if kind is VisitKind.DOSING and pre is not None:
                yield _Step(VisitKind.PRE_DOSE, "Pre-dose check", Source(path=path, quote=pre[0]))
            yield _Step(kind, name, Source(path=path, quote=match.group(0).strip()))


def _classify(body: str) -> VisitKind | None:
    return next((kind for kind, pattern in _STEP_KINDS if pattern.search(body)), None)


def _pre_dose_visit(step: _Step) -> Visit:
    earliest, latest, _ = WINDOW_DEFAULTS[step.kind]
    day = 0 if step.kind is VisitKind.DOSING else None
    name = "Day 0 (dosing)" if step.kind is VisitKind.DOSING else step.name
    return Visit(
        id="day_0" if step.kind is VisitKind.DOSING else _slug(step.name),
        name=name,
        kind=step.kind,
        day=day,
        earliest_day=earliest,
        latest_day=latest,
        source=step.source,
        window_source=Source(note=f"assumption visits.window.{step.kind.value}"),
    )


def _assessment_days(
    steps: Sequence[_Step], outcomes: Sequence[Outcome]
) -> Iterable[tuple[int, str, Source]]:
    for step in steps:
        if step.kind is VisitKind.FOLLOW_UP and step.source.quote and step.source.path:
            frame = parse_time_frame(step.source.quote)
            yield from _days(frame.time_points, step.source.path)
    for outcome in outcomes:
        yield from _days(outcome.time_frame.time_points, f"{outcome.source.path}.timeFrame")


def _days(points: Iterable[TimePoint], path: str) -> Iterable[tuple[int, str, Source]]:
    for point in points:
        if point.day is not None and point.day > 0:
            yield point.day, point.label, Source(path=path, quote=point.quote)


def _follow_up_visit(
    day: int, half: int, label: str, source: Source, dlt_window_days: int | None
) -> Visit:
    in_window = dlt_window_days is not None and day <= dlt_window_days
    kind = VisitKind.DLT_WINDOW if in_window else VisitKind.FOLLOW_UP
    return Visit(
        id=f"day_{day}",
        name=label if label.lower() == f"day {day}" else f"{label} (Day {day})",
        kind=kind,
        day=day,
        earliest_day=day - half,
        latest_day=day + half,
        source=source,
        window_source=Source(note="assumption visits.window.follow_up"),
    )


def _long_term_visit(step: _Step, before: Sequence[Visit]) -> Visit:
    last = max((visit.latest_day for visit in before if visit.latest_day is not None), default=0)
    return Visit(
        id="long_term_follow_up",
        name=step.name if step.name != "long term" else "Long-term follow-up",
        kind=VisitKind.LONG_TERM,
        earliest_day=last + 1,
        source=step.source,
        window_source=Source(note="assumption visits.window.long_term"),
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "visit"
