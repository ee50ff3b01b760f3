"""DLT windows, evaluability, and when the design may decide.

A subject's DLT window opens at infusion (Day 0) and closes after the study's
``dlt_window_days``: an adverse event with onset inside it is a DLT candidate the
safety reviewer adjudicates. The rule for a DLT-evaluable subject (the seed's record
does not define one; this is the common Phase 1 rule, stated as such): infused, and
either had an adjudicated DLT in the window or was followed to the window's end with
every in-window adverse event adjudicated. A subject who left before that without a
DLT, or was never infused because the product failed, is not evaluable.

A 3+3 (or interval-design) cohort is decided once every member is resolved (a DLT,
a completed window, or not evaluable with the slot replaced or not replaceable). A
time-to-event design (TITE-CRM) decides once the cohort is infused, with subjects still
inside their window weighted by the days they have completed; it waits only for
adverse events not yet adjudicated. :func:`pending_decision` says which, or why the
decision must wait.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from trialdesk.conduct.state import LEFT, AdverseEvent, Status, SubjectState, TrialState
from trialdesk.design.decision import Decision
from trialdesk.design.history import SubjectOutcome
from trialdesk.design.time_to_event import time_to_event_window

__all__ = ["DLT_EVALUABLE_RULE", "Evaluability", "Waiting", "evaluability", "pending_decision"]

DLT_EVALUABLE_RULE = (
    "dlt.evaluable: infused, and a DLT in the window or followed to the window's end "
    "with every in-window adverse event adjudicated (common Phase 1 rule; the record "
    "does not define it)"
)


class Evaluability(StrEnum):
    """Where a subject stands for the dose decision."""

    DLT = "dlt"
    NO_DLT = "no_dlt"
    PENDING = "pending"
    NOT_EVALUABLE = "not_evaluable"


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why no decision can be made yet."""

    rule: str
    reason: str


def window_end(subject: SubjectState, window_days: int) -> dt.date | None:
    """The last day of the subject's DLT window (Day 0 + window), or None before infusion."""
    return None if subject.day0 is None else subject.day0 + dt.timedelta(days=window_days)


def evaluability(subject: SubjectState, window_days: int, as_of: dt.date) -> Evaluability:
    """The subject's DLT status on ``as_of``; see the module docstring for the rule."""
    end = window_end(subject, window_days)
    if subject.day0 is None or end is None:
        never = subject.status in LEFT or subject.status is Status.PRODUCT_FAILED
        return Evaluability.NOT_EVALUABLE if never else Evaluability.PENDING
    in_window = _in_window(subject, window_days)
    if any(ae.dlt for ae in in_window):
        return Evaluability.DLT
    if subject.left_on is not None and subject.left_on < end:
        return Evaluability.NOT_EVALUABLE
    if as_of < end or any(ae.dlt is None for ae in in_window):
        return Evaluability.PENDING
    return Evaluability.NO_DLT


def pending_decision(state: TrialState, as_of: dt.date) -> Decision | Waiting:
    """The design's decision on ``as_of`` if the open cohort is resolved, else why not."""
    cohort = state.open_cohort
    if cohort is None:
        return Waiting("trial.stopped", "the trial has stopped: no decision is due")
    if cohort.open_slots > 0:
        return Waiting(
            "cohort.open_slots",
            f"cohort {cohort.index + 1} at level {cohort.level} has {cohort.open_slots} "
            "open slot(s)",
        )
    window = state.setup.dlt_window_days
    if time_to_event_window(state.setup.design) is not None:
        return _time_to_event_decision(state, window, as_of)
    pending = [
        sid
        for sid in cohort.members
        if evaluability(state.subjects[sid], window, as_of) is Evaluability.PENDING
    ]
    if pending:
        return Waiting(
            "cohort.dlt_window_open",
            f"cohort {cohort.index + 1}: waiting for {', '.join(pending)} (DLT window open or "
            "an adverse event not adjudicated)",
        )
    return state.setup.design.decide(history(state, as_of))


def _time_to_event_decision(state: TrialState, window: int, as_of: dt.date) -> Decision | Waiting:
    cohort = state.cohorts[-1]
    not_infused = [
        sid
        for sid in cohort.members
        if state.subjects[sid].day0 is None
        and evaluability(state.subjects[sid], window, as_of) is Evaluability.PENDING
    ]
    if not_infused:
        return Waiting(
            "tite.cohort_not_infused",
            f"cohort {cohort.index + 1}: waiting for the infusion of {', '.join(not_infused)}",
        )
    unadjudicated = [
        sid for sid, subject in state.subjects.items() if _unadjudicated(subject, window)
    ]
    if unadjudicated:
        return Waiting(
            "tite.adverse_event_not_adjudicated",
            f"an adverse event in the DLT window of {', '.join(sorted(unadjudicated))} is not "
            "adjudicated: a time-to-event decision reads every subject's DLT status",
        )
    return state.setup.design.decide(history(state, as_of))


def _in_window(subject: SubjectState, window: int) -> list[AdverseEvent]:
    end = window_end(subject, window)
    if subject.day0 is None or end is None:
        return []
    return [ae for ae in subject.adverse_events if subject.day0 <= ae.onset <= end]


def _unadjudicated(subject: SubjectState, window: int) -> bool:
    return any(ae.dlt is None for ae in _in_window(subject, window))


def history(state: TrialState, as_of: dt.date) -> tuple[SubjectOutcome, ...]:
    """The outcomes of every cohort, in order, as the design reads them.

    Resolved subjects always count. For a time-to-event design a subject still in the
    window counts too, without a DLT and with the days followed so far; a DLT carries
    the day of its onset (the adaptive weights need it).
    """
    outcomes: list[SubjectOutcome] = []
    window = state.setup.dlt_window_days
    partial = time_to_event_window(state.setup.design) is not None
    for cohort in state.cohorts:
        for sid in cohort.members:
            subject = state.subjects[sid]
            status = evaluability(subject, window, as_of)
            if status is Evaluability.DLT:
                day = _dlt_day(subject, window) if partial else None
                outcomes.append(SubjectOutcome(cohort.level, True, day))
            elif status is Evaluability.NO_DLT:
                outcomes.append(SubjectOutcome(cohort.level, False))
            elif status is Evaluability.PENDING and partial and subject.day0 is not None:
                followed = float((as_of - subject.day0).days)
                outcomes.append(SubjectOutcome(cohort.level, False, max(followed, 0.0)))
    return tuple(outcomes)


def _dlt_day(subject: SubjectState, window: int) -> float | None:
    """Days from infusion to the first adjudicated DLT's onset inside the window."""
    onsets = [ae.onset for ae in _in_window(subject, window) if ae.dlt]
    if subject.day0 is None or not onsets:
        return None
    return float((min(onsets) - subject.day0).days)
