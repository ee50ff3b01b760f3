"""The conduct state machine: a 3+3 trial of the seed study event by event, and refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.conduct import (
    Evaluability,
    Status,
    TrialSetup,
    TrialState,
    Waiting,
    apply,
    evaluability,
    pending_decision,
    start_trial,
)
from trialdesk.conduct.events import (
    AdverseEventRecorded,
    ConsentSigned,
    DltAdjudicated,
    EnrolmentResumed,
    EscalationConfirmed,
    Event,
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
from trialdesk.design.boin import Boin
from trialdesk.design.catalog import build_design
from trialdesk.design.history import DoseLadder
from trialdesk.errors import TransitionRefusedError
from trialdesk.protocol.design_config import design_request
from trialdesk.store import load_study

STUDY = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
DAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def setup() -> TrialSetup:
    study = load_study(STUDY)
    assert study.dlt_window_days == 14
    return TrialSetup(build_design(design_request(study)), 14, replace_non_evaluable=True)


def _run(state: TrialState, *events: Event) -> TrialState:
    for event in events:
        state, _ = apply(state, event)
    return state


def _to_enrolled(state: TrialState, sid: str, day: dt.date = DAY) -> TrialState:
    return _run(
        state,
        SubjectRegistered(subject_id=sid, date=day, site="Hangzhou"),
        ConsentSigned(subject_id=sid, date=day, form_version="ICF v1.0"),
        ScreeningRecorded(subject_id=sid, date=day, eligible=True),
        SubjectEnrolled(subject_id=sid, date=day),
    )


def _to_infused(state: TrialState, sid: str, day: dt.date = DAY) -> TrialState:
    state = _to_enrolled(state, sid, day)
    level = state.subjects[sid].level
    assert level is not None
    return _run(
        state,
        LeukapheresisDone(subject_id=sid, date=day),
        ProductReleased(subject_id=sid, date=day, cells=Decimal("3e7")),
        PreInfusionChecked(subject_id=sid, date=day, passed=True),
        Infused(subject_id=sid, date=day, level=level, dose_cells=Decimal("2.8e7")),
    )


def _dlt(state: TrialState, sid: str, day: dt.date = DAY) -> TrialState:
    return _run(
        state,
        AdverseEventRecorded(
            subject_id=sid, date=day, ae_id=f"{sid}-AE1", term="Pneumonitis", onset=day, grade=3
        ),
        DltAdjudicated(
            subject_id=sid, date=day, ae_id=f"{sid}-AE1", is_dlt=True, related=True, reviewer="SRC"
        ),
    )


def _confirm(state: TrialState, day: dt.date) -> TrialState:
    due = pending_decision(state, day)
    assert not isinstance(due, Waiting), due
    event = EscalationConfirmed(
        date=day, rule=due.rule, next_level=due.next_level, confirmed_by="Dr Chair", role="SRC"
    )
    return _run(state, event)


def test_C4_dose_assignment_a_whole_3_plus_3_trial_escalates_expands_and_stops(
    setup: TrialSetup,
) -> None:
    state = start_trial(setup)
    assert (state.cohorts[0].level, state.cohorts[0].slots) == (1, 3)  # the seed starts at 1
    for sid in ("S1", "S2", "S3"):
        state = _to_infused(state, sid)
    waiting = pending_decision(state, DAY + dt.timedelta(days=13))
    assert isinstance(waiting, Waiting)
    assert waiting.rule == "cohort.dlt_window_open"
    after = DAY + dt.timedelta(days=14)
    state = _confirm(state, after)  # 0/3 at level 1: escalate to 2
    assert state.cohorts[-1].level == 2
    for sid in ("S4", "S5", "S6"):
        state = _to_infused(state, sid, after)
    state = _dlt(state, "S4", after)
    later = after + dt.timedelta(days=14)
    due = pending_decision(state, later)
    assert not isinstance(due, Waiting)
    assert due.rule == "3+3.expand_after_1_of_3"
    state = _confirm(state, later)
    for sid in ("S7", "S8", "S9"):
        state = _to_infused(state, sid, later)
    state = _dlt(state, "S7", later)
    end = later + dt.timedelta(days=14)
    state = _confirm(state, end)  # 2/6 at level 2: de-escalate to 1, which has 3 → 3 more
    assert state.cohorts[-1].level == 1
    for sid in ("S10", "S11", "S12"):
        state = _to_infused(state, sid, end)
    state = _confirm(state, end + dt.timedelta(days=14))
    assert state.stopped
    assert state.mtd == 1
    assert [d.confirmed_by for d in state.decisions] == ["Dr Chair"] * 4


def test_slots_are_never_over_filled(setup: TrialSetup) -> None:
    state = start_trial(setup)
    for sid in ("S1", "S2", "S3"):
        state = _to_enrolled(state, sid)
    with pytest.raises(TransitionRefusedError, match=r"cohort\.full"):
        _to_enrolled(state, "S4")


@pytest.mark.parametrize(
    ("events", "rule"),
    [
        # infusing a subject who failed screening
        (
            [
                SubjectRegistered(subject_id="X", date=DAY, site="H"),
                ConsentSigned(subject_id="X", date=DAY, form_version="v1"),
                ScreeningRecorded(
                    subject_id="X", date=DAY, eligible=False, failed_criteria=("E8",)
                ),
                Infused(subject_id="X", date=DAY, level=1, dose_cells=Decimal(1)),
            ],
            "subject.wrong_status",
        ),
        ([ConsentSigned(subject_id="nobody", date=DAY, form_version="v1")], "subject.unknown"),
        (
            [
                SubjectRegistered(subject_id="X", date=DAY, site="H"),
                SubjectRegistered(subject_id="X", date=DAY, site="H"),
            ],
            "subject.already_registered",
        ),
    ],
)
def test_impossible_events_are_refused_by_rule(
    setup: TrialSetup, events: list[Event], rule: str
) -> None:
    state = start_trial(setup)
    *before, last = events
    state = _run(state, *before)
    with pytest.raises(TransitionRefusedError) as refused:
        apply(state, last)
    assert refused.value.rule == rule


def test_second_infusion_is_refused(setup: TrialSetup) -> None:
    state = _to_infused(start_trial(setup), "S1")
    again = Infused(subject_id="S1", date=DAY, level=1, dose_cells=Decimal(1))
    with pytest.raises(TransitionRefusedError, match="infused; this needs cleared"):
        apply(state, again)


def test_dlt_outside_the_window_is_refused(setup: TrialSetup) -> None:
    state = _to_infused(start_trial(setup), "S1")
    late = DAY + dt.timedelta(days=15)
    state = _run(
        state,
        AdverseEventRecorded(
            subject_id="S1", date=late, ae_id="A", term="Rash", onset=late, grade=3
        ),
    )
    adjudicate = DltAdjudicated(
        subject_id="S1", date=late, ae_id="A", is_dlt=True, related=True, reviewer="SRC"
    )
    with pytest.raises(TransitionRefusedError) as refused:
        apply(state, adjudicate)
    assert refused.value.rule == "dlt.outside_window"


def test_day_14_is_the_last_day_of_the_window(setup: TrialSetup) -> None:
    state = _to_infused(start_trial(setup), "S1")
    edge = DAY + dt.timedelta(days=14)
    state = _run(
        state,
        AdverseEventRecorded(
            subject_id="S1", date=edge, ae_id="A", term="Rash", onset=edge, grade=3
        ),
        DltAdjudicated(
            subject_id="S1", date=edge, ae_id="A", is_dlt=True, related=True, reviewer="R"
        ),
    )
    assert evaluability(state.subjects["S1"], 14, edge) is Evaluability.DLT


def test_an_unadjudicated_adverse_event_holds_the_decision(setup: TrialSetup) -> None:
    state = start_trial(setup)
    for sid in ("S1", "S2", "S3"):
        state = _to_infused(state, sid)
    state = _run(
        state,
        AdverseEventRecorded(
            subject_id="S2", date=DAY, ae_id="A", term="Fever", onset=DAY, grade=2
        ),
    )
    waiting = pending_decision(state, DAY + dt.timedelta(days=20))
    assert isinstance(waiting, Waiting)
    assert "S2" in waiting.reason


def test_failed_product_opens_a_replacement_slot(setup: TrialSetup) -> None:
    state = _to_enrolled(start_trial(setup), "S1")
    state = _run(state, LeukapheresisDone(subject_id="S1", date=DAY))
    state, notices = apply(state, ProductFailed(subject_id="S1", date=DAY, reason="sterility"))
    assert state.subjects["S1"].status is Status.PRODUCT_FAILED
    assert state.cohorts[0].slots == 4
    assert [n.rule for n in notices] == ["cohort.replacement_slot"]


def test_withdrawal_inside_the_window_is_not_evaluable_and_replaced(setup: TrialSetup) -> None:
    state = _to_infused(start_trial(setup), "S1")
    left = SubjectLeft(subject_id="S1", date=DAY + dt.timedelta(days=5), outcome="withdrawn")
    state, notices = apply(state, left)
    assert evaluability(state.subjects["S1"], 14, DAY + dt.timedelta(days=30)) is (
        Evaluability.NOT_EVALUABLE
    )
    assert state.cohorts[0].slots == 4
    assert notices[0].rule == "cohort.replacement_slot"


def test_a_confirmation_must_match_the_designs_decision(setup: TrialSetup) -> None:
    state = start_trial(setup)
    for sid in ("S1", "S2", "S3"):
        state = _to_infused(state, sid)
    after = DAY + dt.timedelta(days=14)
    wrong = EscalationConfirmed(
        date=after, rule="3+3.escalate_after_0_of_3", next_level=-1, confirmed_by="X", role="SRC"
    )
    with pytest.raises(TransitionRefusedError) as refused:
        apply(state, wrong)
    assert refused.value.rule == "decision.mismatch"


def _attempt(state: TrialState, action: str, sid: str) -> TrialState:
    members = state.cohorts[-1].members
    if action == "fail" and members:
        return _run(
            state,
            LeukapheresisDone(subject_id=members[-1], date=DAY),
            ProductFailed(subject_id=members[-1], date=DAY, reason="x"),
        )
    if action == "withdraw" and members:
        return _run(state, SubjectLeft(subject_id=members[0], date=DAY, outcome="withdrawn"))
    return _to_enrolled(state, sid)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["enrol", "fail", "withdraw"]), max_size=25))
def test_cohorts_never_overfill_and_refusals_name_their_rule(
    setup: TrialSetup, actions: list[str]
) -> None:
    state = start_trial(setup)
    refused: list[str] = []
    for number, action in enumerate(actions):
        try:
            state = _attempt(state, action, f"S{number}")
        except TransitionRefusedError as error:
            refused.append(error.rule)
        for cohort in state.cohorts:
            assert len(cohort.members) <= cohort.slots
    assert set(refused) <= {"cohort.full", "subject.wrong_status", "subject.already_left"}
    enrolled = sum(len(cohort.members) for cohort in state.cohorts)
    assert enrolled == sum(s.cohort is not None for s in state.subjects.values())


def test_visits_are_recorded_once_and_only_from_the_schedule(setup: TrialSetup) -> None:
    scheduled = replace(setup, visit_ids=("day_3", "day_7"))
    state = _to_infused(start_trial(scheduled), "S1")
    state = _run(state, VisitRecorded(subject_id="S1", date=DAY, visit_id="day_3"))
    assert state.subjects["S1"].visits == (("day_3", DAY),)
    for visit_id, rule in (("day_3", "visit.already_recorded"), ("day_99", "visit.unknown")):
        with pytest.raises(TransitionRefusedError) as refused:
            apply(state, VisitRecorded(subject_id="S1", date=DAY, visit_id=visit_id))
        assert refused.value.rule == rule


def test_a_death_pauses_enrolment_until_the_chair_resumes_it(setup: TrialSetup) -> None:
    guarded = replace(setup, stopping_rules=("death_pauses_enrolment",))
    state = _to_infused(start_trial(guarded), "S1")
    death = AdverseEventRecorded(
        subject_id="S1", date=DAY, ae_id="A5", term="Respiratory failure", onset=DAY, grade=5
    )
    state, notices = apply(state, death)
    assert [n.rule for n in notices] == ["stopping.death_pauses_enrolment"]
    with pytest.raises(TransitionRefusedError) as refused:
        _to_enrolled(state, "S2")
    assert refused.value.rule == "trial.paused"
    resume = EnrolmentResumed(
        date=DAY, reason="SRC: death unrelated", confirmed_by="Dr Chair", role="src_chair"
    )
    state, _ = apply(state, resume)
    assert state.paused is None
    state = _to_enrolled(state, "S2")
    assert state.cohorts[0].members == ("S1", "S2")
    with pytest.raises(TransitionRefusedError, match=r"trial\.not_paused"):
        apply(state, resume)


def test_without_the_stopping_rule_a_death_does_not_pause(setup: TrialSetup) -> None:
    state = _to_infused(start_trial(setup), "S1")
    death = AdverseEventRecorded(
        subject_id="S1", date=DAY, ae_id="A5", term="Sepsis", onset=DAY, grade=5
    )
    state, notices = apply(state, death)
    assert (state.paused, notices) == (None, ())


def test_sentinel_dosing_staggers_the_cohort(setup: TrialSetup) -> None:
    staggered = replace(setup, sentinel_interval_days=7)
    state = _to_infused(start_trial(staggered), "S1")  # the sentinel, on DAY
    with pytest.raises(TransitionRefusedError) as refused:
        _to_infused(state, "S2", DAY + dt.timedelta(days=6))
    assert refused.value.rule == "infusion.sentinel_interval"
    state = _to_infused(state, "S2", DAY + dt.timedelta(days=7))  # exactly the interval
    assert state.subjects["S2"].day0 == DAY + dt.timedelta(days=7)


def test_boin_titration_opens_cohorts_of_the_size_the_design_sets() -> None:
    # BOIN with accelerated titration: one subject per level until the first DLT, then
    # cohort_size - 1 more at that level. The machine's slots follow the decision.
    design = Boin(0.3, DoseLadder((-1, 1, 2)), max_cohorts=4, titration=True)
    state = start_trial(TrialSetup(design, 14, replace_non_evaluable=False))
    assert (state.cohorts[0].level, state.cohorts[0].slots) == (-1, 1)
    state = _to_infused(state, "S1")
    with pytest.raises(TransitionRefusedError):
        _to_enrolled(state, "S2")  # the titration cohort has one slot only
    after = DAY + dt.timedelta(days=14)
    state = _confirm(state, after)
    assert (state.cohorts[-1].level, state.cohorts[-1].slots) == (1, 1)
    state = _dlt(_to_infused(state, "S2", after), "S2", after)
    state = _confirm(state, after)
    assert (state.cohorts[-1].level, state.cohorts[-1].slots) == (1, 2)
    assert state.decisions[-1].decision.rule == "boin.titration_complete"
