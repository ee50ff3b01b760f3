"""A TITE-CRM trial in conduct: decisions with subjects still inside their DLT window."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trialdesk.conduct import TrialSetup, TrialState, Waiting, apply, pending_decision, start_trial
from trialdesk.conduct.events import (
    AdverseEventRecorded,
    ConsentSigned,
    DltAdjudicated,
    EscalationConfirmed,
    Event,
    Infused,
    LeukapheresisDone,
    PreInfusionChecked,
    ProductReleased,
    ScreeningRecorded,
    SubjectEnrolled,
    SubjectRegistered,
)
from trialdesk.design import Decision, SubjectOutcome
from trialdesk.design.catalog import DesignRequest, build_design
from trialdesk.errors import TransitionRefusedError

DAY = dt.date(2026, 6, 1)
WINDOW = 28
REQUEST = DesignRequest(
    "tite-crm",
    (-1, 1, 2),
    start=-1,
    target=0.25,
    cohort_size=1,
    max_cohorts=12,
    skeleton=(0.10, 0.25, 0.40),
    window_days=WINDOW,
)


@pytest.fixture(scope="module")
def setup() -> TrialSetup:
    return TrialSetup(build_design(REQUEST), WINDOW, replace_non_evaluable=True)


def _run(state: TrialState, *events: Event) -> TrialState:
    for event in events:
        state, _ = apply(state, event)
    return state


def _infused(state: TrialState, sid: str, day: dt.date) -> TrialState:
    state = _run(
        state,
        SubjectRegistered(subject_id=sid, date=day, site="Hangzhou"),
        ConsentSigned(subject_id=sid, date=day, form_version="ICF v1.0"),
        ScreeningRecorded(subject_id=sid, date=day, eligible=True),
        SubjectEnrolled(subject_id=sid, date=day),
    )
    level = state.subjects[sid].level
    assert level is not None
    return _run(
        state,
        LeukapheresisDone(subject_id=sid, date=day),
        ProductReleased(subject_id=sid, date=day, cells=Decimal("3e7")),
        PreInfusionChecked(subject_id=sid, date=day, passed=True),
        Infused(subject_id=sid, date=day, level=level, dose_cells=Decimal("2.8e7")),
    )


def _decided(state: TrialState, day: dt.date) -> Decision:
    due = pending_decision(state, day)
    assert isinstance(due, Decision), due
    return due


def _confirm(state: TrialState, day: dt.date) -> TrialState:
    due = _decided(state, day)
    event = EscalationConfirmed(
        date=day, rule=due.rule, next_level=due.next_level, confirmed_by="Dr Chair", role="SRC"
    )
    return _run(state, event)


def test_tite_decides_with_a_subject_inside_the_window(setup: TrialSetup) -> None:
    state = _infused(start_trial(setup), "S1", DAY)
    day7 = DAY + dt.timedelta(days=7)
    # Cheung & Chappell (2000): S1 counts with weight 7/28 at day 7 (linear scheme).
    expected = setup.design.decide([SubjectOutcome(-1, False, 7.0)])
    assert _decided(state, day7) == expected
    # The partial weight matters: the fit differs from S1 followed through the window.
    complete = setup.design.decide([SubjectOutcome(-1, False)])
    assert expected.fit != complete.fit


def test_tite_history_carries_the_follow_up_of_every_pending_subject(setup: TrialSetup) -> None:
    state = _infused(start_trial(setup), "S1", DAY)
    day3 = DAY + dt.timedelta(days=3)
    state = _confirm(state, day3)
    state = _infused(state, "S2", day3)
    day10 = DAY + dt.timedelta(days=10)
    level_s2 = state.subjects["S2"].level
    assert level_s2 is not None
    expected = setup.design.decide(
        [SubjectOutcome(-1, False, 10.0), SubjectOutcome(level_s2, False, 7.0)]
    )
    assert _decided(state, day10) == expected


def test_tite_waits_for_an_unadjudicated_adverse_event_then_reads_the_dlt_day(
    setup: TrialSetup,
) -> None:
    state = _infused(start_trial(setup), "S1", DAY)
    onset = DAY + dt.timedelta(days=5)
    state = _run(
        state,
        AdverseEventRecorded(
            subject_id="S1", date=onset, ae_id="AE1", term="Pneumonitis", onset=onset, grade=3
        ),
    )
    waiting = pending_decision(state, onset)
    assert isinstance(waiting, Waiting)
    assert waiting.rule == "tite.adverse_event_not_adjudicated"
    state = _run(
        state,
        DltAdjudicated(
            subject_id="S1", date=onset, ae_id="AE1", is_dlt=True, related=True, reviewer="SRC"
        ),
    )
    # The DLT counts in full and carries its onset day (day 5) for the adaptive weights.
    assert _decided(state, onset) == setup.design.decide([SubjectOutcome(-1, True, 5.0)])


def test_tite_waits_for_the_infusion_of_the_cohort(setup: TrialSetup) -> None:
    state = _run(
        start_trial(setup),
        SubjectRegistered(subject_id="S1", date=DAY, site="Hangzhou"),
        ConsentSigned(subject_id="S1", date=DAY, form_version="ICF v1.0"),
        ScreeningRecorded(subject_id="S1", date=DAY, eligible=True),
        SubjectEnrolled(subject_id="S1", date=DAY),
    )
    waiting = pending_decision(state, DAY)
    assert isinstance(waiting, Waiting)
    assert waiting.rule == "tite.cohort_not_infused"


def test_a_tite_window_other_than_the_studys_is_refused() -> None:
    with pytest.raises(TransitionRefusedError) as refused:
        start_trial(TrialSetup(build_design(REQUEST), 14, replace_non_evaluable=True))
    assert refused.value.rule == "tite.window_mismatch"
