"""Apply an event to the trial state: the new state and what the machine decided, or a refusal.

``apply(state, event) -> (state, notices)`` is pure. An event that is impossible in
the current state (infusing a subject who failed screening, a second infusion, a DLT
adjudicated outside the window, enrolling into a full cohort) raises
:class:`~trialdesk.errors.TransitionRefusedError` naming the rule, and the state is
unchanged. Slots are assigned here, never over-filled; a subject who turns out not
DLT-evaluable opens a replacement slot when the study replaces such subjects; a
confirmed escalation opens the next cohort at the level the design chose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from trialdesk.conduct.dlt import Evaluability, Waiting, evaluability, pending_decision, window_end
from trialdesk.conduct.events import (
    AdverseEventRecorded,
    ConsentSigned,
    DltAdjudicated,
    EnrolmentResumed,
    EscalationConfirmed,
    Event,
    FormEntryRecorded,
    Infused,
    LeukapheresisDone,
    PreInfusionChecked,
    ProductFailed,
    ProductReleased,
    ScreeningRecorded,
    SubjectEnrolled,
    SubjectLeft,
    SubjectRegistered,
    VisitRecorded,
)
from trialdesk.conduct.state import (
    LEFT,
    AdverseEvent,
    Cohort,
    ConfirmedDecision,
    Notice,
    Status,
    SubjectState,
    TrialSetup,
    TrialState,
)
from trialdesk.design.time_to_event import time_to_event_window
from trialdesk.errors import TransitionRefusedError

__all__ = ["apply", "start_trial"]

Result = tuple[TrialState, tuple[Notice, ...]]
DEATH_GRADE = 5


def start_trial(setup: TrialSetup) -> TrialState:
    """A trial with no subjects and its first cohort open at the design's start level."""
    design = setup.design
    window = time_to_event_window(design)
    if window is not None and window != setup.dlt_window_days:
        raise TransitionRefusedError(
            "tite.window_mismatch",
            f"the design weighs follow-up over {window:g} days but the study's DLT window is "
            f"{setup.dlt_window_days} days",
        )
    opening = design.decide(())
    first = Cohort(index=0, level=design.start, slots=opening.cohort_size_or(design.cohort_size))
    return TrialState(setup=setup, cohorts=(first,))


def apply(state: TrialState, event: Event) -> Result:
    """The state after ``event`` and the notices it produced; refused events raise."""
    handler: Callable[[TrialState, Any], Result] = _HANDLERS[type(event)]
    return handler(state, event)


def _refuse(rule: str, message: str) -> TransitionRefusedError:
    return TransitionRefusedError(rule, message)


def _subject(state: TrialState, subject_id: str, *expected: Status) -> SubjectState:
    subject = state.subjects.get(subject_id)
    if subject is None:
        raise _refuse("subject.unknown", f"no subject {subject_id!r} is registered")
    if expected and subject.status not in expected:
        wanted = " or ".join(status.value for status in expected)
        raise _refuse(
            "subject.wrong_status",
            f"subject {subject_id} is {subject.status.value}; this needs {wanted}",
        )
    return subject


def _registered(state: TrialState, event: SubjectRegistered) -> Result:
    if event.subject_id in state.subjects:
        raise _refuse("subject.already_registered", f"subject {event.subject_id} exists")
    subject = SubjectState(event.subject_id, event.site, Status.REGISTERED, event.date)
    return state.with_subject(subject), ()


def _consented(state: TrialState, event: ConsentSigned) -> Result:
    subject = _subject(state, event.subject_id, Status.REGISTERED)
    changed = subject.with_status(
        Status.CONSENTED, consent_version=event.form_version, consented_on=event.date
    )
    return state.with_subject(changed), ()


def _screened(state: TrialState, event: ScreeningRecorded) -> Result:
    subject = _subject(state, event.subject_id, Status.CONSENTED)
    if not event.eligible and not event.failed_criteria:
        raise _refuse("screening.failure_without_reason", "a screen failure names its criteria")
    status = Status.ELIGIBLE if event.eligible else Status.SCREEN_FAILED
    return state.with_subject(subject.with_status(status)), ()


def _enrolled(state: TrialState, event: SubjectEnrolled) -> Result:
    subject = _subject(state, event.subject_id, Status.ELIGIBLE)
    cohort = state.open_cohort
    if cohort is None:
        raise _refuse("trial.stopped", "the trial has stopped: no cohort is open")
    if state.paused is not None:
        raise _refuse("trial.paused", f"enrolment is paused: {state.paused}")
    if cohort.open_slots <= 0:
        raise _refuse(
            "cohort.full",
            f"cohort {cohort.index + 1} at level {cohort.level} is full; the next cohort "
            "opens when the dose decision is confirmed",
        )
    cohort = replace(cohort, members=(*cohort.members, subject.subject_id))
    enrolled = subject.with_status(Status.ENROLLED, cohort=cohort.index, level=cohort.level)
    notice = Notice(
        "cohort.slot_assigned",
        f"{subject.subject_id}: cohort {cohort.index + 1}, level {cohort.level}, slot "
        f"{len(cohort.members)} of {cohort.slots}",
    )
    return state.with_subject(enrolled).with_cohort(cohort), (notice,)


def _collected(state: TrialState, event: LeukapheresisDone) -> Result:
    subject = _subject(state, event.subject_id, Status.ENROLLED)
    return state.with_subject(subject.with_status(Status.COLLECTED)), ()


def _released(state: TrialState, event: ProductReleased) -> Result:
    subject = _subject(state, event.subject_id, Status.COLLECTED)
    return state.with_subject(subject.with_status(Status.RELEASED)), ()


def _failed(state: TrialState, event: ProductFailed) -> Result:
    subject = _subject(state, event.subject_id, Status.COLLECTED)
    state = state.with_subject(subject.with_status(Status.PRODUCT_FAILED))
    return _replace_if_needed(state, subject.subject_id, event.date)


def _checked(state: TrialState, event: PreInfusionChecked) -> Result:
    subject = _subject(state, event.subject_id, Status.RELEASED, Status.NOT_CLEARED)
    if not event.passed and not event.reasons:
        raise _refuse("pre_infusion.failure_without_reason", "a failed check names its reasons")
    status = Status.CLEARED if event.passed else Status.NOT_CLEARED
    return state.with_subject(subject.with_status(status)), ()


def _infused(state: TrialState, event: Infused) -> Result:
    subject = _subject(state, event.subject_id, Status.CLEARED)
    if event.level != subject.level:
        raise _refuse(
            "infusion.wrong_level",
            f"subject {subject.subject_id} holds a slot at level {subject.level}, "
            f"not {event.level}",
        )
    _check_stagger(state, subject, event.date)
    infused = subject.with_status(Status.INFUSED, day0=event.date, dose_cells=event.dose_cells)
    return state.with_subject(infused), ()


def _check_stagger(state: TrialState, subject: SubjectState, day: dt.date) -> None:
    """Sentinel dosing: the cohort's first subject goes alone, the rest wait the interval."""
    interval = state.setup.sentinel_interval_days
    if interval is None or subject.cohort is None:
        return
    cohort = next(c for c in state.cohorts if c.index == subject.cohort)
    days0 = [state.subjects[s].day0 for s in cohort.members if state.subjects[s].day0]
    first = min((d for d in days0 if d is not None), default=None)
    if first is not None and (day - first).days < interval:
        raise _refuse(
            "infusion.sentinel_interval",
            f"the cohort's sentinel was infused on {first.isoformat()}; the next subject may "
            f"be infused from {(first + dt.timedelta(days=interval)).isoformat()}",
        )


def _adverse_event(state: TrialState, event: AdverseEventRecorded) -> Result:
    subject = _subject(state, event.subject_id)
    if subject.day0 is None:
        raise _refuse("ae.before_infusion", f"subject {subject.subject_id} is not infused")
    if any(ae.ae_id == event.ae_id for ae in subject.adverse_events):
        raise _refuse("ae.duplicate_id", f"adverse event {event.ae_id} is already recorded")
    if event.onset > event.date:
        raise _refuse("ae.onset_after_report", "an adverse event's onset cannot follow its report")
    ae = AdverseEvent(event.ae_id, event.term, event.onset, event.grade)
    changed = replace(subject, adverse_events=(*subject.adverse_events, ae))
    state = state.with_subject(changed)
    if event.grade == DEATH_GRADE and "death_pauses_enrolment" in state.setup.stopping_rules:
        why = f"grade 5 {event.term} of {subject.subject_id} ({event.ae_id}, {event.onset})"
        notice = Notice("stopping.death_pauses_enrolment", f"enrolment paused: {why}")
        return replace(state, paused=state.paused or why), (notice,)
    return state, ()


def _resumed(state: TrialState, event: EnrolmentResumed) -> Result:
    if state.paused is None:
        raise _refuse("trial.not_paused", "enrolment is not paused")
    notice = Notice(
        "stopping.resumed", f"enrolment resumed by {event.confirmed_by}: {event.reason}"
    )
    return replace(state, paused=None), (notice,)


def _adjudicated(state: TrialState, event: DltAdjudicated) -> Result:
    subject = _subject(state, event.subject_id)
    ae = next((a for a in subject.adverse_events if a.ae_id == event.ae_id), None)
    if ae is None:
        raise _refuse("dlt.unknown_ae", f"no adverse event {event.ae_id} for {subject.subject_id}")
    end = window_end(subject, state.setup.dlt_window_days)
    if subject.day0 is None or end is None or not subject.day0 <= ae.onset <= end:
        raise _refuse(
            "dlt.outside_window",
            f"adverse event {ae.ae_id} (onset {ae.onset.isoformat()}) is outside the DLT "
            f"window {subject.day0} to {end}",
        )
    if ae.dlt is not None:
        raise _refuse("dlt.already_adjudicated", f"adverse event {ae.ae_id} is adjudicated")
    judged = replace(ae, dlt=event.is_dlt, related=event.related)
    events = tuple(judged if a.ae_id == ae.ae_id else a for a in subject.adverse_events)
    return state.with_subject(replace(subject, adverse_events=events)), ()


def _visit(state: TrialState, event: VisitRecorded) -> Result:
    subject = _subject(state, event.subject_id)
    if event.visit_id not in state.setup.visit_ids:
        known = ", ".join(state.setup.visit_ids)
        raise _refuse("visit.unknown", f"no visit {event.visit_id!r} in the schedule ({known})")
    if any(visit_id == event.visit_id for visit_id, _ in subject.visits):
        raise _refuse("visit.already_recorded", f"visit {event.visit_id} is already recorded")
    if subject.status in LEFT:
        raise _refuse("subject.already_left", f"subject {subject.subject_id} has left")
    visits = (*subject.visits, (event.visit_id, event.date))
    return state.with_subject(replace(subject, visits=visits)), ()


def _form_entry(state: TrialState, event: FormEntryRecorded) -> Result:
    subject = _subject(state, event.subject_id)
    if state.setup.visit_ids and event.visit_id not in state.setup.visit_ids:
        raise _refuse("visit.unknown", f"no visit {event.visit_id!r} in the schedule")
    latest = subject.form_version(event.visit_id, event.form_id)
    if event.entry_version != latest + 1:
        raise _refuse(
            "form.version",
            f"{event.form_id} at {event.visit_id} is at version {latest}; "
            f"an entry must be version {latest + 1}",
        )
    if latest and not (event.reason or "").strip():
        raise _refuse("form.correction_without_reason", "a correction names its reason (A4)")
    entries = (*subject.form_entries, (event.visit_id, event.form_id, event.entry_version))
    return state.with_subject(replace(subject, form_entries=entries)), ()


_OUTCOMES = {
    "completed": Status.COMPLETED,
    "withdrawn": Status.WITHDRAWN,
    "died": Status.DIED,
    "lost_to_follow_up": Status.LOST,
}


def _left(state: TrialState, event: SubjectLeft) -> Result:
    subject = _subject(state, event.subject_id)
    if subject.status in LEFT:
        raise _refuse("subject.already_left", f"subject {subject.subject_id} has left")
    if event.outcome == "completed" and subject.day0 is None:
        raise _refuse("subject.completed_without_infusion", "only an infused subject completes")
    changed = subject.with_status(
        _OUTCOMES[event.outcome], left_on=event.date, status_before_leaving=subject.status
    )
    state = state.with_subject(changed)
    if subject.cohort is None:
        return state, ()
    return _replace_if_needed(state, subject.subject_id, event.date)


def _replace_if_needed(state: TrialState, subject_id: str, on: dt.date) -> Result:
    """Open a replacement slot when the subject can no longer be DLT-evaluable."""
    subject = state.subjects[subject_id]
    window = state.setup.dlt_window_days
    if (
        subject.cohort is None
        or evaluability(subject, window, on) is not Evaluability.NOT_EVALUABLE
    ):
        return state, ()
    if not state.setup.replace_non_evaluable:
        notice = Notice("cohort.not_replaced", f"{subject_id} is not evaluable; not replaced")
        return state, (notice,)
    cohort = next(c for c in state.cohorts if c.index == subject.cohort)
    if state.open_cohort is None or cohort.index != state.open_cohort.index:
        return state, ()
    cohort = replace(cohort, slots=cohort.slots + 1)
    notice = Notice(
        "cohort.replacement_slot",
        f"{subject_id} is not DLT-evaluable: cohort {cohort.index + 1} gets a replacement slot",
    )
    return state.with_cohort(cohort), (notice,)


def _confirmed(state: TrialState, event: EscalationConfirmed) -> Result:
    due = pending_decision(state, event.date)
    if isinstance(due, Waiting):
        raise _refuse(due.rule, f"no decision to confirm: {due.reason}")
    if (due.rule, due.next_level) != (event.rule, event.next_level):
        raise _refuse(
            "decision.mismatch",
            f"the design decides {due.rule} → {due.next_level}; the confirmation names "
            f"{event.rule} → {event.next_level}",
        )
    cohort = state.cohorts[-1]
    confirmed = ConfirmedDecision(due, event.confirmed_by, event.role, event.date, cohort.index)
    state = replace(state, decisions=(*state.decisions, confirmed))
    if due.stop or due.next_level is None:
        notice = Notice(due.rule, f"trial stopped; MTD {due.mtd}: {due.reason}")
        return state, (notice,)
    size = due.cohort_size_or(state.setup.design.cohort_size)
    following = Cohort(index=cohort.index + 1, level=due.next_level, slots=size)
    notice = Notice(
        due.rule, f"cohort {following.index + 1} opens at level {due.next_level}: {due.reason}"
    )
    return state.with_cohort(following), (notice,)


_HANDLERS: dict[type, Callable[[TrialState, Any], Result]] = {
    SubjectRegistered: _registered,
    ConsentSigned: _consented,
    ScreeningRecorded: _screened,
    SubjectEnrolled: _enrolled,
    LeukapheresisDone: _collected,
    ProductReleased: _released,
    ProductFailed: _failed,
    PreInfusionChecked: _checked,
    Infused: _infused,
    AdverseEventRecorded: _adverse_event,
    DltAdjudicated: _adjudicated,
    VisitRecorded: _visit,
    FormEntryRecorded: _form_entry,
    SubjectLeft: _left,
    EscalationConfirmed: _confirmed,
    EnrolmentResumed: _resumed,
}
