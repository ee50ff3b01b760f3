"""Visits due: one status per visit per day, windows placed from Day 0 or consent."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.conduct.visits_due import (
    CONSENT_RULE,
    DAY_0_RULE,
    NO_ANCHOR_RULE,
    Anchor,
    VisitDue,
    VisitStatus,
    VisitWindow,
    derive_visits_due,
)
from trialdesk.errors import ConductError, VisitScheduleError
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.visits import Visit, VisitKind
from trialdesk.store import load_study

SEED = load_study(Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml")
VISITS = SEED.visits
DAY_0 = date(2026, 3, 2)
CONSENT = date(2026, 1, 20)
# Visits of the seed at and after Day 0, whose windows the schedule keeps apart.
POST_DOSE = [
    visit for visit in VISITS if visit.earliest_day is not None and visit.earliest_day >= 0
]


def on(offset: int) -> date:
    return DAY_0 + timedelta(days=offset)


def statuses(
    *,
    today: date,
    day_0: date | None = DAY_0,
    consent: date | None = CONSENT,
    recorded: dict[str, date] | None = None,
) -> dict[str, VisitStatus]:
    found = derive_visits_due(
        VISITS, day_0=day_0, consent=consent, recorded=recorded or {}, today=today
    )
    return {due.visit_id: due.status for due in found}


def single(visit: Visit, **kwargs: object) -> VisitDue:
    (due,) = derive_visits_due([visit], **kwargs)  # type: ignore[arg-type]
    return due


# --- the seed on given days -------------------------------------------------------------------


def test_seed_on_day_7_with_day_3_done_late_and_the_rest_in_window() -> None:
    recorded = {
        "screening": on(-20),
        "leukapheresis": on(-10),
        "pre_dose_check": on(-1),
        "day_0": on(0),
        "day_3": on(5),  # window Day 2 to Day 4 (study.yaml visits.day_3)
    }
    assert statuses(today=on(7), recorded=recorded) == {
        "screening": VisitStatus.DONE,
        "leukapheresis": VisitStatus.DONE,
        "pre_dose_check": VisitStatus.DONE,
        "day_0": VisitStatus.DONE,
        "day_3": VisitStatus.DONE_OUT_OF_WINDOW,
        "day_7": VisitStatus.DUE,
        "day_14": VisitStatus.UPCOMING,
        "day_30": VisitStatus.UPCOMING,
        "day_90": VisitStatus.UPCOMING,
        "day_180": VisitStatus.UPCOMING,
        "long_term_follow_up": VisitStatus.UPCOMING,
    }


def test_a_window_is_due_on_its_last_day_and_missed_the_next() -> None:
    # day_14's window is Day 13 to Day 15 (study.yaml visits.day_14).
    assert statuses(today=on(12))["day_14"] is VisitStatus.UPCOMING
    assert statuses(today=on(13))["day_14"] is VisitStatus.DUE
    assert statuses(today=on(15))["day_14"] is VisitStatus.DUE
    assert statuses(today=on(16))["day_14"] is VisitStatus.MISSED


def test_long_term_follow_up_opens_after_month_6_and_is_never_missed() -> None:
    assert statuses(today=on(194))["long_term_follow_up"] is VisitStatus.UPCOMING
    assert statuses(today=on(195))["long_term_follow_up"] is VisitStatus.DUE
    assert statuses(today=on(5000))["long_term_follow_up"] is VisitStatus.DUE


def test_reason_names_the_window_and_its_anchor() -> None:
    (due,) = [
        d
        for d in derive_visits_due(VISITS, day_0=DAY_0, consent=None, recorded={}, today=on(7))
        if d.visit_id == "day_7"
    ]
    assert due == VisitDue(
        visit_id="day_7",
        name="Day 7",
        status=VisitStatus.DUE,
        window=VisitWindow(on(6), on(8)),
        anchor=Anchor.DAY_0,
        done_on=None,
        rule_id=DAY_0_RULE,
        reason=(
            "Day 7: due, window 2026-03-08 to 2026-03-10 (Day 6 to Day 8 from Day 0 on 2026-03-02)"
        ),
    )


def test_before_day_0_only_screening_is_placed_from_consent() -> None:
    found = derive_visits_due(VISITS, day_0=None, consent=CONSENT, recorded={}, today=CONSENT)
    screening, *others = found
    # Day -28 to Day -1 spans 28 days: consent day and the 27 after it.
    assert screening.window == VisitWindow(CONSENT, CONSENT + timedelta(days=27))
    assert (screening.status, screening.anchor, screening.rule_id) == (
        VisitStatus.DUE,
        Anchor.CONSENT,
        CONSENT_RULE,
    )
    assert screening.reason.endswith("(28 days from consent on 2026-01-20)")
    assert {due.status for due in others} == {VisitStatus.NOT_SCHEDULED}
    assert {due.rule_id for due in others} == {NO_ANCHOR_RULE}
    assert all(due.window is None and due.anchor is None for due in others)
    late = statuses(today=CONSENT + timedelta(days=28), day_0=None)
    assert late["screening"] is VisitStatus.MISSED


def test_with_neither_anchor_nothing_is_scheduled() -> None:
    assert set(statuses(today=CONSENT, day_0=None, consent=None).values()) == {
        VisitStatus.NOT_SCHEDULED
    }


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"recorded": {"day_5": on(5)}}, "visits.unknown_visit"),
        ({"recorded": {"day_7": on(8)}, "today": on(7)}, "visits.recorded_after_today"),
        ({"consent": on(1)}, "visits.consent_after_day_0"),
        ({"day_0": None, "recorded": {"day_3": on(3)}}, "visits.recorded_without_anchor"),
        (
            {"day_0": None, "consent": None, "recorded": {"screening": on(-3)}},
            "visits.recorded_without_anchor",
        ),
    ],
)
def test_inconsistent_records_are_refused(kwargs: dict[str, object], rule: str) -> None:
    arguments: dict[str, object] = {
        "day_0": DAY_0,
        "consent": CONSENT,
        "recorded": {},
        "today": on(10),
    }
    with pytest.raises(VisitScheduleError) as caught:
        derive_visits_due(VISITS, **(arguments | kwargs))  # type: ignore[arg-type]
    assert caught.value.rule == rule
    assert isinstance(caught.value, ConductError)
    assert str(caught.value).startswith(f"refused ({rule}): ")


def test_refusal_message_lists_the_unknown_ids() -> None:
    with pytest.raises(VisitScheduleError) as caught:
        statuses(today=on(10), recorded={"day_5": on(5)})
    assert "unknown=['day_5']" in str(caught.value)
    assert caught.value.inputs["unknown"] == ["day_5"]


# --- properties -------------------------------------------------------------------------------

offsets = st.integers(-60, 400)
days_0 = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def visits(draw: st.DrawFn) -> Visit:
    """A visit with a window of random bounds, either side possibly open."""
    first, last = sorted((draw(offsets), draw(offsets)))
    return Visit(
        id="v",
        name="V",
        kind=draw(st.sampled_from(list(VisitKind))),
        day=draw(st.none() | st.integers(first, last)),
        earliest_day=draw(st.none() | st.just(first)),
        latest_day=draw(st.none() | st.just(last)),
        source=Source(note="generated"),
        window_source=Source(note="generated"),
    )


def bounds(visit: Visit) -> tuple[int | None, int | None]:
    """The window in days from Day 0 as the module documents it: a missing bound is ``day``."""
    first = visit.earliest_day if visit.earliest_day is not None else visit.day
    last = visit.latest_day if visit.latest_day is not None else visit.day
    return first, last


@given(visit=visits(), day_0=days_0, offset=st.integers(-500, 800))
def test_exactly_one_status_holds_and_it_is_where_today_falls(
    visit: Visit, day_0: date, offset: int
) -> None:
    today = day_0 + timedelta(days=offset)
    due = single(visit, day_0=day_0, consent=None, recorded={}, today=today)
    first, last = bounds(visit)
    before = first is not None and offset < first
    after = last is not None and offset > last
    inside = not before and not after
    assert [before, inside, after].count(True) == 1
    expected = {before: VisitStatus.UPCOMING, inside: VisitStatus.DUE, after: VisitStatus.MISSED}
    assert due.status is expected[True]
    assert due.window is not None
    assert due.window.contains(today) is inside


@given(visit=visits(), day_0=days_0)
def test_over_time_a_visit_goes_upcoming_then_due_then_missed(visit: Visit, day_0: date) -> None:
    days = [day_0 + timedelta(days=offset) for offset in range(-70, 410)]
    seen = [
        single(visit, day_0=day_0, consent=None, recorded={}, today=today).status for today in days
    ]
    order = [VisitStatus.UPCOMING, VisitStatus.DUE, VisitStatus.MISSED]
    ranks = [order.index(status) for status in seen]
    assert ranks == sorted(ranks)
    first, last = bounds(visit)
    if first is not None and last is not None:
        assert seen.count(VisitStatus.DUE) == last - first + 1


@given(visit=visits(), day_0=days_0, done=offsets, later=st.integers(0, 400))
def test_a_record_decides_the_status_whatever_today_is(
    visit: Visit, day_0: date, done: int, later: int
) -> None:
    done_on = day_0 + timedelta(days=done)
    due = single(
        visit,
        day_0=day_0,
        consent=None,
        recorded={"v": done_on},
        today=done_on + timedelta(days=later),
    )
    first, last = bounds(visit)
    inside = (first is None or first <= done) and (last is None or done <= last)
    assert due.status is (VisitStatus.DONE if inside else VisitStatus.DONE_OUT_OF_WINDOW)
    assert due.done_on == done_on


@given(visit=visits(), consent=st.none() | days_0, today=days_0)
def test_without_day_0_only_a_screening_visit_with_consent_is_placed(
    visit: Visit, consent: date | None, today: date
) -> None:
    due = single(visit, day_0=None, consent=consent, recorded={}, today=today)
    placed = visit.kind is VisitKind.SCREENING and consent is not None
    assert (due.status is VisitStatus.NOT_SCHEDULED) is not placed
    if consent is not None and placed:
        assert due.window is not None
        assert due.window.opens == consent
        first, last = bounds(visit)
        if first is not None and last is not None:
            assert due.window.closes == consent + timedelta(days=last - first)


def test_seed_post_dose_windows_do_not_overlap() -> None:
    ids = [visit.id for visit in POST_DOSE]
    days = ["day_0", "day_3", "day_7", "day_14", "day_30", "day_90", "day_180"]
    assert ids == [*days, "long_term_follow_up"]
    for before, after in pairwise(POST_DOSE):
        assert before.latest_day is not None
        assert after.earliest_day is not None
        assert before.latest_day < after.earliest_day


@given(day_0=days_0, offset=st.integers(0, 400))
def test_on_any_day_after_dosing_at_most_one_seed_visit_is_due(day_0: date, offset: int) -> None:
    found = derive_visits_due(
        POST_DOSE, day_0=day_0, consent=None, recorded={}, today=day_0 + timedelta(days=offset)
    )
    assert [due.status for due in found].count(VisitStatus.DUE) <= 1


def test_seed_pre_dose_windows_overlap_by_design() -> None:
    # Screening (Day -28 to -1) holds leukapheresis (Day -28 to -7): documented, not a flaw.
    due = statuses(today=on(-10))
    assert due["screening"] is due["leukapheresis"] is VisitStatus.DUE
