"""DLT windows, evaluability, and when the design may decide.

A subject's DLT window opens at infusion (Day 0) and closes after the study's
``dlt_window_days``: an adverse event with onset inside it is a DLT candidate the
safety reviewer adjudicates. The rule for a DLT-evaluable subject (the seed's record
does not define one; this is the common Phase 1 rule, stated as such): infused, and
either had an adjudicated DLT in the window or was followed to the window's end with
every in-window adverse event adjudicated. A subject who left before that without a
DLT, or was never infused because the product failed, is not evaluable.

A 3+3 cohort is decided once every member is resolved (a DLT, a completed window, or
not evaluable with the slot replaced or not replaceable): :func:`pending_decision`
says which, or why the decision must wait.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from trialdesk.conduct.state import LEFT, Status, SubjectState, TrialState
from trialdesk.design.decision import Decision
from trialdesk.design.history import SubjectOutcome

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
    in_window = [ae for ae in subject.adverse_events if subject.day0 <= ae.onset <= end]
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


def history(state: TrialState, as_of: dt.date) -> tuple[SubjectOutcome, ...]:
    """The evaluable outcomes of every cohort, in order, as the design reads them."""
    outcomes: list[SubjectOutcome] = []
    window = state.setup.dlt_window_days
    for cohort in state.cohorts:
        for sid in cohort.members:
            status = evaluability(state.subjects[sid], window, as_of)
            if status in {Evaluability.DLT, Evaluability.NO_DLT}:
                outcomes.append(SubjectOutcome(cohort.level, status is Evaluability.DLT))
    return tuple(outcomes)
