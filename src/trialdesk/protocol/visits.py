"""The visit schedule: visits relative to Day 0 with windows.

The record states the flow of a subject through the trial in prose (the seed's
arm description: screening, leukapheresis, treatment with a pre-infusion check,
outpatient visits, long-term follow-up) and the days of assessments in its
outcome time frames. Neither states visit windows, so every window here is an
assumption with a stated default (see :data:`WINDOW_DEFAULTS`), listed in the
study's assumptions for the sponsor to confirm.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.provenance import Source

__all__ = [
    "FOLLOW_UP_WINDOW_FRACTION",
    "FOLLOW_UP_WINDOW_MAX_DAYS",
    "WINDOW_DEFAULTS",
    "Visit",
    "VisitKind",
    "follow_up_window_days",
]


class VisitKind(StrEnum):
    """What a visit is for; the order of members is the order in a subject's path."""

    SCREENING = "screening"
    PROCEDURE = "procedure"
    PRE_DOSE = "pre_dose"
    DOSING = "dosing"
    DLT_WINDOW = "dlt_window"
    FOLLOW_UP = "follow_up"
    LONG_TERM = "long_term"


class Visit(BaseModel):
    """One scheduled visit; days count from Day 0, the day of dosing.

    ``day`` is the target day, or ``None`` when the record fixes no day (the
    visit is placed by order: screening before leukapheresis before Day 0).
    ``earliest_day``/``latest_day`` bound the window; ``None`` leaves that side
    open (long-term follow-up has no end).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    kind: VisitKind
    day: int | None = None
    earliest_day: int | None = None
    latest_day: int | None = None
    source: Source
    window_source: Source


# Windows of the visits before Day 0: (earliest, latest) in days, with the reason.
WINDOW_DEFAULTS: dict[VisitKind, tuple[int | None, int | None, str]] = {
    VisitKind.SCREENING: (
        -28,
        -1,
        "screening within 28 days before Day 0, a common Phase 1 screening period",
    ),
    VisitKind.PROCEDURE: (
        -28,
        -7,
        (
            "collection at least 7 days before Day 0 to allow product manufacturing "
            "(manufacturing time is not in the record)"
        ),
    ),
    VisitKind.PRE_DOSE: (-3, 0, "pre-dose check within 3 days before dosing"),
    VisitKind.DOSING: (0, 0, "dosing defines Day 0"),
}

FOLLOW_UP_WINDOW_FRACTION = 0.1
FOLLOW_UP_WINDOW_MAX_DAYS = 14


def follow_up_window_days(day: int, previous: int, following: int | None) -> int:
    """Half-width of a post-dose visit's window, narrowed to keep clear of its neighbours.

    The width wanted is 10 % of the visit's day, 1 to 14 days.

    ``previous`` is the day of the visit before (0 for Day 0, whose window is that
    day alone), ``following`` the day of the next one (``None`` for the last).
    The seed gets Day 3, 7, 14 ±1, Month 1 (Day 30) ±3, Month 3 ±9, Month 6 ±14;
    visits on consecutive days (Day 1, 2, 3) get no slack at all.
    """
    wanted = max(1, min(FOLLOW_UP_WINDOW_MAX_DAYS, round(day * FOLLOW_UP_WINDOW_FRACTION)))
    room_before = day - 1 if previous == 0 else (day - previous - 1) // 2
    room_after = wanted if following is None else (following - day - 1) // 2
    return max(0, min(wanted, room_before, room_after))
