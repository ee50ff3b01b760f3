"""Which of a subject's visits are upcoming, due, missed or done, on a given day.

Each :class:`~trialdesk.protocol.visits.Visit` of the study definition has a window
in days from Day 0, the day of dosing (``earliest_day`` to ``latest_day``, both
included; a side left ``None`` is open, and a visit with no bound uses its ``day``).
A window becomes dates once its anchor is known:

* ``visits.day_0_window``: with the subject's Day 0 (the infusion date, actual or
  planned), every visit's window is Day 0 plus its offsets;
* ``visits.screening_from_consent``: before Day 0 is set, a screening visit opens on
  the consent date and stays open as many days as its Day 0 window spans (Day -28
  to Day -1 in the seed: 28 days from consent);
* ``visits.no_anchor``: otherwise the visit is ``not_scheduled``.

Then, on ``today``, exactly one :class:`VisitStatus` holds for each visit: with a
record it is ``done`` when the record's date is in the window, else
``done_out_of_window`` (whatever today is); without one it is ``upcoming`` before the
window opens, ``due`` from the first to the last day of the window, and ``missed``
from the day after it closes. There is no separate "overdue": a visit is due up to
the window's last day and missed the next. A window with no end is never missed.

The seed's post-dose windows do not overlap (``protocol.visits.follow_up_window_days``
keeps them apart); its pre-dose windows do (screening, Day -28 to -1, holds the
leukapheresis window, Day -28 to -7): these are different procedures, possibly on
one day. The Visit model names no forms, so no forms are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from trialdesk.errors import VisitScheduleError
from trialdesk.protocol.visits import VisitKind

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from trialdesk.protocol.visits import Visit

__all__ = [
    "CONSENT_RULE",
    "DAY_0_RULE",
    "NO_ANCHOR_RULE",
    "Anchor",
    "VisitDue",
    "VisitStatus",
    "VisitWindow",
    "derive_visits_due",
]

DAY_0_RULE = "visits.day_0_window"
CONSENT_RULE = "visits.screening_from_consent"
NO_ANCHOR_RULE = "visits.no_anchor"


class VisitStatus(StrEnum):
    """Where a visit stands on a given day; exactly one holds."""

    NOT_SCHEDULED = "not_scheduled"  # its anchor (Day 0; consent for screening) is unknown
    UPCOMING = "upcoming"  # the window has not opened
    DUE = "due"  # today is inside the window, first and last day included
    MISSED = "missed"  # the window closed and no visit is recorded
    DONE = "done"  # recorded on a day inside the window
    DONE_OUT_OF_WINDOW = "done_out_of_window"  # recorded on a day outside the window


class Anchor(StrEnum):
    """The date a visit's window is counted from."""

    DAY_0 = "day_0"
    CONSENT = "consent"


@dataclass(frozen=True, slots=True)
class VisitWindow:
    """The dates a visit may happen on, both included; ``None`` leaves that side open."""

    opens: date | None
    closes: date | None

    def contains(self, day: date) -> bool:
        """Whether ``day`` is inside the window."""
        after_open = self.opens is None or self.opens <= day
        return after_open and (self.closes is None or day <= self.closes)

    def __str__(self) -> str:
        opens = "open" if self.opens is None else self.opens.isoformat()
        closes = "no end" if self.closes is None else self.closes.isoformat()
        return f"{opens} to {closes}"


@dataclass(frozen=True, slots=True)
class VisitDue:
    """One visit's status on a day, with its window, anchor and the rule that placed it."""

    visit_id: str
    name: str
    status: VisitStatus
    window: VisitWindow | None
    anchor: Anchor | None
    done_on: date | None
    rule_id: str
    reason: str


def derive_visits_due(
    visits: Sequence[Visit],
    *,
    day_0: date | None,
    consent: date | None,
    recorded: Mapping[str, date],
    today: date,
) -> tuple[VisitDue, ...]:
    """Each visit's status on ``today``, in the order of ``visits``.

    ``recorded`` maps a visit id to the date the visit took place.

    Raises:
        VisitScheduleError: ``visits.unknown_visit`` (a recorded id not in ``visits``),
            ``visits.recorded_after_today``, ``visits.consent_after_day_0``, or
            ``visits.recorded_without_anchor`` (a visit recorded while its anchor is
            unknown: a follow-up visit with no Day 0).
    """
    _check_inputs(visits, day_0=day_0, consent=consent, recorded=recorded, today=today)
    return tuple(
        _status(visit, day_0=day_0, consent=consent, done_on=recorded.get(visit.id), today=today)
        for visit in visits
    )


def _check_inputs(
    visits: Sequence[Visit],
    *,
    day_0: date | None,
    consent: date | None,
    recorded: Mapping[str, date],
    today: date,
) -> None:
    known = {visit.id for visit in visits}
    unknown = sorted(set(recorded) - known)
    if unknown:
        raise VisitScheduleError(
            "visits.unknown_visit",
            "recorded visits are not in the study's schedule",
            {"unknown": unknown, "known": sorted(known)},
        )
    future = {visit_id: day for visit_id, day in recorded.items() if day > today}
    if future:
        raise VisitScheduleError(
            "visits.recorded_after_today",
            "a visit cannot be recorded on a date after today",
            {"today": today, **{f"recorded.{key}": day for key, day in sorted(future.items())}},
        )
    if day_0 is not None and consent is not None and consent > day_0:
        raise VisitScheduleError(
            "visits.consent_after_day_0",
            "consent must be given on or before Day 0",
            {"consent": consent, "day_0": day_0},
        )


def _status(
    visit: Visit, *, day_0: date | None, consent: date | None, done_on: date | None, today: date
) -> VisitDue:
    placed = _window(visit, day_0, consent)
    if placed is None:
        if done_on is not None:
            raise VisitScheduleError(
                "visits.recorded_without_anchor",
                f"visit {visit.id} is recorded but its window cannot be placed: "
                + ("no consent date and " if visit.kind is VisitKind.SCREENING else "")
                + "no Day 0",
                {"visit": visit.id, "recorded": done_on, "day_0": day_0, "consent": consent},
            )
        reason = f"{visit.name}: not scheduled, its window counts from Day 0, not yet set"
        return VisitDue(
            visit.id,
            visit.name,
            VisitStatus.NOT_SCHEDULED,
            None,
            None,
            None,
            NO_ANCHOR_RULE,
            reason,
        )
    window, anchor, rule, placement = placed
    status = _status_in(window, done_on, today)
    when = f" on {done_on.isoformat()}" if done_on is not None else ""
    reason = f"{visit.name}: {status.value}{when}, window {window} ({placement})"
    return VisitDue(visit.id, visit.name, status, window, anchor, done_on, rule, reason)


def _status_in(window: VisitWindow, done_on: date | None, today: date) -> VisitStatus:
    if done_on is not None:
        return VisitStatus.DONE if window.contains(done_on) else VisitStatus.DONE_OUT_OF_WINDOW
    if window.opens is not None and today < window.opens:
        return VisitStatus.UPCOMING
    if window.closes is not None and today > window.closes:
        return VisitStatus.MISSED
    return VisitStatus.DUE


def _window(
    visit: Visit, day_0: date | None, consent: date | None
) -> tuple[VisitWindow, Anchor, str, str] | None:
    """The visit's window, its anchor, the rule and a phrase saying how it was placed."""
    first = visit.earliest_day if visit.earliest_day is not None else visit.day
    last = visit.latest_day if visit.latest_day is not None else visit.day
    if day_0 is not None:
        window = VisitWindow(_shift(day_0, first), _shift(day_0, last))
        span = f"{_day(first, 'open')} to {_day(last, 'no end')}"
        return window, Anchor.DAY_0, DAY_0_RULE, f"{span} from Day 0 on {day_0.isoformat()}"
    if visit.kind is VisitKind.SCREENING and consent is not None:
        length = None if first is None or last is None else last - first
        window = VisitWindow(consent, _shift(consent, length))
        days = "no end" if length is None else f"{length + 1} days"
        return window, Anchor.CONSENT, CONSENT_RULE, f"{days} from consent on {consent.isoformat()}"
    return None


def _shift(anchor: date, days: int | None) -> date | None:
    return None if days is None else anchor + timedelta(days=days)


def _day(offset: int | None, open_side: str) -> str:
    return open_side if offset is None else f"Day {offset}"
