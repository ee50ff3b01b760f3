"""Outcome time frames read into days: the seed's, real records', and generated ones.

Expected days are worked by hand from the module's stated convention: a week is
7 days, a month 30, a year 365 (so Month 12 is Day 360, not 365).
"""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    bare_numbers,
    non_time_units,
    short_text,
    time_frame_like_text,
    time_point_label_lists,
)
from trialdesk.protocol.timeframes import TimeFrame, parse_time_frame

if TYPE_CHECKING:
    from pathlib import Path


def joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def points(frame: TimeFrame) -> list[tuple[str, int | None]]:
    return [(p.label, p.day) for p in frame.time_points]


def outcome_frames(study: dict[str, Any]) -> list[str]:
    module = study["protocolSection"].get("outcomesModule", {})
    kinds = ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
    return [o["timeFrame"] for kind in kinds for o in module.get(kind, [])]


# --- the seed study, NCT07329959 --------------------------------------------------------

SEED_MONTHS = "The three time points following CAR-DC cell therapy: Month 1, Month 3, and Month 6."
SEED_SEVEN = (
    "The seven time points following CAR-DC cell therapy: "
    "Day 0, Day 3, Day 7, Day 14, Month 1, Month 3, and Month 6."
)
SEED_WITHIN = "Within six months after CAR-DC therapy"
SEED_FRAMES = {
    # "six months" = 6 * 30 = 180; a span, no time point
    SEED_WITHIN: ([], 180),
    # Month 1 = 1 * 30, Month 3 = 3 * 30, Month 6 = 6 * 30
    SEED_MONTHS: ([("Month 1", 30), ("Month 3", 90), ("Month 6", 180)], None),
    # Days 0, 3, 7, 14 as written; Months 1, 3, 6 * 30 = 30, 90, 180
    SEED_SEVEN: (
        [
            ("Day 0", 0),
            ("Day 3", 3),
            ("Day 7", 7),
            ("Day 14", 14),
            ("Month 1", 30),
            ("Month 3", 90),
            ("Month 6", 180),
        ],
        None,
    ),
}


def test_the_seed_record_has_exactly_the_pinned_frames(seed_record_path: Path) -> None:
    page = seed_record_path.read_text(encoding="utf-8")
    raw = page.split("Raw JSON", 1)[1]
    study = ast.literal_eval(raw[raw.index("{") :].strip())
    frames = outcome_frames(study)
    assert set(frames) == set(SEED_FRAMES)
    assert len(frames) == 15


@pytest.mark.parametrize(
    ("text", "expected"), SEED_FRAMES.items(), ids=["within", "months", "seven"]
)
def test_seed_frames_read_to_exact_days(
    text: str, expected: tuple[list[tuple[str, int]], int | None]
) -> None:
    frame = parse_time_frame(text)
    assert (points(frame), frame.period_end_day) == expected
    assert frame.parsed
    assert frame.unread == ()


def test_seed_quotes_are_the_spans_read() -> None:
    frame = parse_time_frame(SEED_WITHIN)
    assert frame.period_quote == SEED_WITHIN
    assert [p.quote for p in parse_time_frame(SEED_SEVEN).time_points][:2] == ["Day 0", "Day 3"]


# --- real records (tests/data/records) --------------------------------------------------


class RealFrame(NamedTuple):
    """A record's timeFrame, verbatim, and what it must read to."""

    nct: str
    text: str
    points: list[tuple[str, int | None]]
    period: int | None
    parsed: bool


ACCRUAL_GAP = (
    "From randomization to the first of either disease recurrence or death from any cause, "
    "assessed up to 5 years after accrual completion"
)
REAL_FRAMES = [
    # 28 * 1 = 28
    RealFrame("NCT00244972", "28 days", [("Day 28", 28)], None, True),
    # span: 4 weeks * 7 = 28
    RealFrame("NCT00244972", "Up to 4 weeks", [], 28, True),
    # 6 * 30 = 180; 12 * 30 = 360
    RealFrame("NCT00984438", "6 and 12 months", [("Month 6", 180), ("Month 12", 360)], None, True),
    # 16 * 7 = 112
    RealFrame("NCT02210780", "Week 16", [("Week 16", 112)], None, True),
    # Baseline has no offset; "to Week 16" ends the span at 16 * 7 = 112
    RealFrame(
        "NCT02210780", "Baseline to Week 16", [("Baseline", None), ("Week 16", 112)], 112, True
    ),
    # 4 * 365 = 1460
    RealFrame("NCT02513394", "4 years", [("Year 4", 1460)], None, True),
    # 1 * 1 = 1
    RealFrame("NCT03475563", "1 day", [("Day 1", 1)], None, True),
    # 1 * 365 = 365
    RealFrame("NCT03475563", "1 year", [("Year 1", 365)], None, True),
    # 10 * 365 = 3650
    RealFrame("NCT04267848", "Up to 10 years", [], 3650, True),
    # 5 years of follow-up = 5 * 365 = 1825
    RealFrame(
        "NCT04267848",
        (
            "From randomization to death from any cause, assessed up to completion of 5 years "
            "follow-up"
        ),
        [],
        1825,
        True,
    ),
    # the text's own Day 1; "maximum duration: 30 days" = 30
    RealFrame(
        "NCT04431453",
        "From first dose date (Day 1) up to follow-up assessment (maximum duration: 30 days)",
        [("Day 1", 1)],
        30,
        True,
    ),
    # Days 2, 3, 5; the hour offsets after end of infusion give no day
    RealFrame(
        "NCT04431453",
        (
            "Day 2: end of infusion and 4 hours post end of infusion, Day 3: pre-infusion and 2 "
            "hours post end of infusion, and Day 5: middle of infusion and 6 hours post end of "
            "infusion; infusion duration: 30 minutes to 2 hours"
        ),
        [("Day 2", 2), ("Day 3", 3), ("Day 5", 5)],
        None,
        True,
    ),
    # "Day 10" twice, kept once; "Day of Discharge" has no fixed day
    RealFrame(
        "NCT04431453",
        "Baseline, Day 10, and Day of Discharge (Day 10 or before)",
        [("Baseline", None), ("Day 10", 10)],
        None,
        True,
    ),
    # 29 * 1 = 29, counted from the start of treatment (Day 0)
    RealFrame("NCT04497038", "Up to 29 days after initiating treatment", [], 29, True),
    # 2 * 365 = 730
    RealFrame(
        "NCT04497038", "Until date of last disease evaluation (up to 2 years)", [], 730, True
    ),
    # 2 * 30 = 60
    RealFrame("NCT04497038", "Up to 2 months", [], 60, True),
    # 1 cycle * 21 days = 21
    RealFrame("NCT04956640", "Cycle 1 (21 Days)", [], 21, True),
    # 2 * 365 = 730
    RealFrame("NCT04956640", "Predose estimated up to 2 years", [], 730, True),
    # 2 * 365 = 730
    RealFrame("NCT05052671", "2 years", [("Year 2", 730)], None, True),
    # 4 cycles * 28 days = 112
    RealFrame("NCT05147467", "Up to 4 cycles (each cycle is 28 days).", [], 112, True),
    # 2 * 365 = 730
    RealFrame("NCT05288205", "Approximately 2 years", [], 730, True),
    # 1 cycle * 28 days = 28
    RealFrame("NCT05786924", "The first 28-day cycle (Cycle 1)", [], 28, True),
    # 5 * 365 = 1825
    RealFrame("NCT05786924", "Through study completion, approximately 5 years", [], 1825, True),
    # 21 * 1 = 21
    RealFrame("NCT06385925", "21 days", [("Day 21", 21)], None, True),
    # 9 * 7 = 63
    RealFrame("NCT06385925", "9 weeks", [("Week 9", 63)], None, True),
    # 2 * 365 = 730
    RealFrame(
        "NCT06388018",
        "Time from enrollment to the time of death from any cause, assessed up to 2 years",
        [],
        730,
        True,
    ),
    # 4 * 30 = 120
    RealFrame("NCT06411691", "4 months", [("Month 4", 120)], None, True),
    # 12 * 30 = 360 (the 30-day month, not a calendar year)
    RealFrame("NCT06411691", "12 months", [("Month 12", 360)], None, True),
    # gaps: counted from another event, or no unit at all
    RealFrame(
        "NCT04267848",
        ACCRUAL_GAP,
        [],
        None,
        False,
    ),
    RealFrame("NCT04267848", "Up to 1 year after randomization", [], None, False),
    RealFrame("NCT04267848", "Up to completion of chemotherapy", [], None, False),
    RealFrame("NCT05147467", "Up to 9 months after the last subject enrolled.", [], None, False),
    RealFrame("NCT05150938", "Retrospective data analysis from 2013 to 2020", [], None, False),
    RealFrame("NCT05052671", "Baseline", [("Baseline", None)], None, False),
]

# Every record frame that stays a gap, with the reason it cannot become days.
KNOWN_GAPS = {
    # "after accrual completion": a study-level event, not the subject's Day 0
    ACCRUAL_GAP,
    # "after randomization": not the first dose
    "Up to 1 year after randomization",
    "Up to 2 years after randomization",
    # no quantity at all
    "Up to completion of chemotherapy",
    # "after the last subject enrolled": a study-level event
    "Up to 9 months after the last subject enrolled.",
    "Up to 9 months after the last subject enrolled",
    # calendar years, no offset from a dose
    "Retrospective data analysis from 2013 to 2020",
    # a time point with no fixed day
    "Baseline",
}


@pytest.fixture(scope="module")
def record_frames(records_dir: Path) -> dict[str, list[str]]:
    return {
        path.stem: outcome_frames(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(records_dir.glob("NCT*.json"))
    }


@pytest.mark.parametrize("case", REAL_FRAMES, ids=[f"{c.nct}-{c.text[:24]}" for c in REAL_FRAMES])
def test_real_frames_read_to_hand_computed_days(
    record_frames: dict[str, list[str]], case: RealFrame
) -> None:
    assert case.text in record_frames[case.nct]
    frame = parse_time_frame(case.text)
    assert points(frame) == case.points
    assert frame.period_end_day == case.period
    assert frame.parsed is case.parsed


def test_every_record_frame_parses_but_the_known_gaps(
    record_frames: dict[str, list[str]],
) -> None:
    frames = [text for texts in record_frames.values() for text in texts]
    gaps = [text for text in frames if not parse_time_frame(text).parsed]
    assert set(gaps) == KNOWN_GAPS
    assert (len(frames), len(gaps)) == (167, 24)


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("Up to 1 year after randomization", ("Up to 1 year after randomization",)),
        ("Predose estimated up to 2 years", ("Predose",)),
        ("Through study completion, approximately 5 years", ("Through study completion",)),
        ("Retrospective data analysis from 2013 to 2020", ("from 2013 to 2020",)),
        ("Baseline, Day 10, and Day of Discharge (Day 10 or before)", ("Day of Discharge",)),
    ],
)
def test_real_frames_say_what_they_left_unread(text: str, unread: tuple[str, ...]) -> None:
    assert parse_time_frame(text).unread == unread


# --- the forms a time frame takes ---------------------------------------------------------

# Each row: a text, the (label, day) pairs it reads to, and its span end.
FORMS = [
    ("Days 1, 8 and 15", [("Day 1", 1), ("Day 8", 8), ("Day 15", 15)], None),
    # 4, 8, 12 * 7
    ("Weeks 4, 8, 12", [("Week 4", 28), ("Week 8", 56), ("Week 12", 84)], None),
    # 3, 6, 12 * 30
    ("at 3, 6 and 12 months", [("Month 3", 90), ("Month 6", 180), ("Month 12", 360)], None),
    # 24 * 7 = 168
    ("Baseline and 24 weeks", [("Baseline", None), ("Week 24", 168)], None),
    ("up to 28 days", [], 28),
    ("Up to approximately 2 years", [], 730),
    ("Cycle 1 (28 days)", [], 28),
    ("first 28 days", [], 28),
    ("the first cycle (21 days)", [], 21),
    ("Day 1 to Day 28", [("Day 1", 1), ("Day 28", 28)], 28),
    ("Days 1-28", [("Day 1", 1), ("Day 28", 28)], 28),
    # 24 h // 24 = 1; 48 h // 24 = 2
    ("24 hours", [("Hour 24", 1)], None),
    ("48 hours post-dose", [("Hour 48", 2)], None),
    ("twenty-four hours", [("Hour 24", 1)], None),
    ("through study completion, an average of 1 year", [], 365),
    # 24 * 7 = 168, a visit that also ends the span
    ("through Week 24", [("Week 24", 168)], 168),
    ("Month1, Month3", [("Month 1", 30), ("Month 3", 90)], None),
    ("approx. 6 months", [], 180),
    ("SIX MONTHS", [("Month 6", 180)], None),
    ("12 wks", [("Week 12", 84)], None),
    ("Week-12", [("Week 12", 84)], None),
    ("Day -7", [("Day -7", -7)], None),
    ("Day minus 7", [("Day -7", -7)], None),
    # the Day 0 event named: 30 * 1; Months 1, 3, 6 * 30
    ("Day 30 after infusion", [("Day 30", 30)], None),
    ("Months 1, 3, and 6 post-infusion (Day 0)", [("Month 1", 30), ("Month 3", 90),
     ("Month 6", 180), ("Day 0", 0)], None),
    # cycle length stated: (2 - 1) * 21 + 1 = 22; (2 - 1) * 28 + 1 = 29
    ("Cycle 2 Day 1 (21-day cycles)", [("Cycle 2 Day 1", 22)], None),
    ("Day 1 of Cycle 2 (28-day cycles)", [("Cycle 2 Day 1", 29)], None),
    ("C1D15", [("Cycle 1 Day 15", 15)], None),
    # a test's name, not a time: 12 * 7 = 84
    ("6-minute walk test at Week 12", [("Week 12", 84)], None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected_points", "period"), FORMS, ids=[f[0] for f in FORMS])
def test_forms_read_to_days(
    text: str, expected_points: list[tuple[str, int | None]], period: int | None
) -> None:
    frame = parse_time_frame(text)
    assert (points(frame), frame.period_end_day) == (expected_points, period)
    assert frame.parsed


# Each row: a text, its (label, day) pairs, and what it leaves unread rather than guess.
NOT_GUESSED = [
    ("From Cycle 1 Day 1 through 30 days after last dose", [("Cycle 1 Day 1", 1)],
     ("through 30 days after last dose",)),
    ("Cycle 2 Day 1", [("Cycle 2 Day 1", None)], ()),
    ("C2D1", [("Cycle 2 Day 1", None)], ()),
    ("end of cycle 2", [], ("end of cycle 2",)),
    ("Up to 4 cycles", [], ("Up to 4 cycles",)),
    ("Day 1 of each cycle", [], ("Day 1 of each cycle",)),
    ("until disease progression", [], ("until disease progression",)),
    ("end of treatment", [("End of treatment", None)], ()),
    ("Screening", [("Screening", None)], ()),
    ("4 hours post-dose", [], ("4 hours post-dose",)),
    ("within 6 hours", [], ("within 6 hours",)),
    ("1.5 years", [], ("1.5 years",)),
    ("Day-7", [], ("Day-7",)),
    ("Day 7 after surgery", [], ("Day 7 after surgery",)),
    ("M1", [], ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected_points", "unread"), NOT_GUESSED, ids=[g[0] for g in NOT_GUESSED]
)
def test_what_cannot_be_a_day_stays_text(
    text: str, expected_points: list[tuple[str, int | None]], unread: tuple[str, ...]
) -> None:
    frame = parse_time_frame(text)
    assert points(frame) == expected_points
    assert frame.unread == unread
    assert frame.period_end_day is None
    assert frame.parsed is any(day is not None for _, day in expected_points)


# --- properties ---------------------------------------------------------------------------


@given(short_text | time_frame_like_text)
def test_any_text_gives_a_consistent_frame_with_verbatim_quotes(text: str) -> None:
    frame = parse_time_frame(text)
    assert frame.text == text
    quotes = [p.quote for p in frame.time_points] + list(frame.unread)
    quotes += [frame.period_quote] if frame.period_quote is not None else []
    assert all(quote and quote in text for quote in quotes)
    labels = [p.label for p in frame.time_points]
    assert len(labels) == len(set(labels))
    assert (frame.period_end_day is None) is (frame.period_quote is None)
    has_day = any(p.day is not None for p in frame.time_points)
    assert frame.parsed is (has_day or frame.period_end_day is not None)


@given(time_point_label_lists())
def test_generated_label_lists_read_back_in_order(case: tuple[str, list[tuple[str, int]]]) -> None:
    text, expected = case
    frame = parse_time_frame(text)
    assert points(frame) == expected
    assert frame.period_end_day is None
    assert frame.unread == ()


@given(st.lists(bare_numbers, min_size=1, max_size=5).map(joined))
def test_numbers_alone_are_never_a_time_point(text: str) -> None:
    frame = parse_time_frame(text)
    assert frame.time_points == ()
    assert frame.period_end_day is None
    assert not frame.parsed


@given(bare_numbers, non_time_units)
def test_a_number_with_a_non_time_unit_is_never_a_time_point(number: str, word: str) -> None:
    frame = parse_time_frame(f"{number} {word}")
    assert (frame.time_points, frame.period_end_day) == ((), None)
