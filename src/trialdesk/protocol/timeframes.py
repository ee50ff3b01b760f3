"""Outcome time frames read into days from Day 0.

ClinicalTrials.gov asks for an outcome's Time Frame as the time point(s) at which
it is assessed, or the span over which each participant is assessed
(https://clinicaltrials.gov/policy/protocol-definitions, "Outcome Measure").
Sponsors write it as prose, so a value becomes a day only from an explicit unit:
"Day 14", "Weeks 4, 8, 12", "6 and 12 months", "up to 28 days"; a bare number
never does. "Up to", "within", "through", "first", "approximately" make a
quantity a span (``period_end_day``); "at" or no keyword make it a time point
("6 months" is Month 6). A label ("Week 24") is always a time point, and ends
the span as well after "to", "through", "up to".

Day 0 is the first dose / infusion. Days keep the text's own numbering (the
seed counts infusion as Day 0, NCT04431453 calls first dose Day 1): nothing is
renumbered. A month is 30 days and a year 365 (the stated convention: Month 6 =
Day 180, Month 12 = Day 360). Hours count only as whole days (48 hours = Day 2).
"Cycle N" needs a cycle length stated in the same text ("Cycle 1 (21 Days)",
"each cycle is 28 days"): Cycle c Day d is then Day (c - 1) x length + d, and
"N cycles" a span of N x length days. Never guessed, so left in ``unread``: a
quantity counted from another event ("after last dose", "after randomization",
"after the last subject enrolled"), sub-day times ("4 hours"), "Day-7" (a
hyphen or a minus?), "Day 1 of each cycle", "until progression". "M1" is not
read at all: it is also a TNM stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_WEEK",
    "DAYS_PER_YEAR",
    "TimeFrame",
    "TimePoint",
    "parse_time_frame",
]

DAYS_PER_WEEK = 7
DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365


class TimePoint(BaseModel):
    """One assessment time; ``day`` is None when the text fixes no offset (Baseline)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    day: int | None = None
    quote: str


class TimeFrame(BaseModel):
    """A ``timeFrame`` as read; ``parsed`` is False when no day could be read (a gap)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    time_points: tuple[TimePoint, ...]
    period_end_day: int | None = None
    period_quote: str | None = None
    parsed: bool
    unread: tuple[str, ...]


_UNIT_DAYS: dict[str, Fraction] = {
    "minute": Fraction(1, 24 * 60),
    "hour": Fraction(1, 24),
    "day": Fraction(1),
    "week": Fraction(DAYS_PER_WEEK),
    "month": Fraction(DAYS_PER_MONTH),
    "year": Fraction(DAYS_PER_YEAR),
}
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_ONES += ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"]
_ONES += ["eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number_words() -> dict[str, int]:
    words = {word: value for value, word in enumerate(_ONES)}
    for index, tens in enumerate(_TENS, start=2):
        words[tens] = 10 * index
        words.update({f"{tens}-{_ONES[one]}": 10 * index + one for one in range(1, 10)})
    return words


_WORDS = _number_words()
_WORD_RE = "|".join(w.replace("-", "[- ]") for w in sorted(_WORDS, key=len, reverse=True))
_DIG = r"[0-9]{1,6}(?:\.[0-9]{1,3})?"
_NUM = rf"(?<![\w.])(?:{_DIG}|{_WORD_RE})(?!\w)"
_LNUM = rf"(?:(?<![0-9.]){_DIG}|(?<![\w.])(?:{_WORD_RE}))(?!\w)"  # "Month1" is a label
_UNIT = r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|h|minutes?|mins?)(?!\w)"
_INT = rf"[0-9]{{1,6}}(?!\w|\s*-?\s*{_UNIT})"  # a list item, not the start of "2 hours"
_AND = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+)"
_DAYS = rf"{_NUM}\s*-?\s*days?(?!\w)"
_EACH_IS = r"each\s+cycle\s+(?:is|=|lasts|lasting)\s+"
_PAREN_DAYS = rf"(?:\s*\(\s*(?:{_EACH_IS})?{_DAYS}(?:\s+each)?\s*\))?"
_KW = (
    r"(?:\b(?:up\s+to|within|through|thru|until|till|to|for|over|during|first|the|at|on"
    r"|approximately|approx|about|around|estimated|nearly|roughly|(?:an?\s+)?average\s+of"
    r"|(?:a\s+)?maximum(?:\s+duration)?(?:\s+of)?|max|(?:a\s+)?total\s+of|completion\s+of)"
    r"\b\.?|[~\u2013-])[\s:]*"
)
_WORD = (
    r"(?!(?:and|or|to|then|with|at|on|day|week|month|year|cycle)\b)[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
)


def _kw(name: str) -> str:
    return rf"(?P<{name}>(?:{_KW}){{1,4}})?"  # bounded, so a run of "to to to" stays linear


def _anchor(name: str) -> str:
    event = rf"(?:{_WORD}\s+){{0,4}}{_WORD}"
    return rf"(?P<{name}>\s*,?\s*\b(?:after|post|following|from)(?:\s+|-){event})?"


# Alternatives in priority order: at one position the first that matches wins.
_CYCLE = (  # "C2D1", "Day 1 of Cycle 2", "(end of) Cycle 2 (, Day 1) (21 days)"
    r"(?P<cycle>\bC(?P<cd_cycle>[0-9]{1,3})\s*D(?P<cd_day>[0-9]{1,3})\b"
    rf"|\bday\s*(?P<dc_day>{_LNUM})\s+of\s+cycle\s*(?P<dc_cycle>{_LNUM})"
    rf"|(?:\b(?:the\s+)?end\s+of\s+)?\bcycle\s*(?P<c_cycle>{_LNUM})"
    rf"(?:\s*,?\s*day\s*(?P<c_day>{_LNUM}))?{_PAREN_DAYS})"
)
_CYCLES = (
    rf"(?P<cycles>{_kw('n_kw')}\b(?P<n_count>first|{_NUM})\s+(?:{_DAYS}\s+)?"
    rf"(?:treatment\s+)?cycles?\b{_PAREN_DAYS})"
)
_LENGTH = (
    rf"(?P<length>(?:(?<=cycle\s)|(?<=cycles\s))(?:is|are|of|lasting|lasts|=)\s+{_DAYS}"
    rf"|\b{_EACH_IS}{_DAYS}|{_DAYS}\s+(?:treatment\s+)?cycles?\b)"
)
_VISIT = r"(?P<visit>\b(?:baseline|screening|end[\s-]+of[\s-]+(?:the\s+)?(?:treatment|study))\b)"
_LABEL = (
    rf"(?P<label>{_kw('l_kw')}\b(?P<l_unit>day|week|month|year|hour)s?"
    r"(?P<l_sep>\s*(?:[-\u2212\u2013]|minus\b)?\s*)"
    rf"(?P<l_nums>{_LNUM}(?:{_AND}{_INT}){{0,40}})"
    rf"(?:\s*(?:[-\u2013]|to|through)\s*(?P<l_end>{_INT}))?"
    r"(?P<l_each>\s+of\s+(?:each|every|all|subsequent)\s+(?:[\w-]+\s+)?cycles?\b)?"
    rf"{_anchor('l_anchor')})"
)
_QUANTITY = (  # "6-minute walk" names a test, not a time.
    rf"(?P<quantity>{_kw('q_kw')}(?P<q_nums>{_NUM}(?:{_AND}{_NUM}){{0,40}})\s*-?\s*"
    rf"(?P<q_unit>{_UNIT})(?![- ]walk)(?P<q_fu>\s+(?:of\s+)?follow[- ]?up)?"
    rf"{_anchor('q_anchor')})"
)
_CUE = (  # temporal words that give no day: reported as unread
    r"(?P<cue>\b(?:until|till)\b[^,;.()\d]*"
    r"|\b(?:up\s+to|through|thru|to)\s+(?:the\s+)?(?:study\s+completion|completion|end|date"
    r"|follow[- ]?up|discharge|last)\b[^,;.()\d]*"
    r"|\b(?:study\s+completion|end\s+of\s+(?:the\s+)?[a-z]+(?:-[a-z]+)*"
    r"|pre-?\s?(?:dose|infusion|treatment)|post-?\s?(?:dose|infusion)|day\s+of\s+[a-z]+"
    r"|discharge)\b"
    r"|\bfrom\s+(?:the\s+)?(?:date\s+of\s+)?(?:randomi[sz]ation|enrol+ment|registration"
    r"|study\s+entry|diagnosis|surgery)\b"
    r"|\b(?:from\s+)?(?:19|20)[0-9]{2}(?:\s*(?:to|through|until|[-\u2013])\s*(?:19|20)[0-9]{2})?\b)"
)
_PATTERN = re.compile(
    "|".join((_CYCLE, _CYCLES, _LENGTH, _VISIT, _LABEL, _QUANTITY, _CUE)),
    re.IGNORECASE,
)
_CYCLE_LENGTH = re.compile(
    rf"{_DAYS}\s+(?:treatment\s+)?cycles?\b"
    rf"|\bcycles?\b[^()]{{0,12}}?\(\s*(?:{_EACH_IS})?{_DAYS}"
    rf"|\bcycles?\s+(?:length\s+)?(?:is|are|of|lasting|lasts|=)\s+{_DAYS}",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"{_DIG}|{_WORD_RE}", re.IGNORECASE)
_DAY_COUNT = re.compile(rf"({_NUM})\s*-?\s*days?(?!\w)", re.IGNORECASE)
_DAY0_EVENT = re.compile(
    r"\b(?:dos(?:e|es|ing)|treatment|therapy|infusion|administration|injection|vaccination"
    r"|transplant\w*|implant\w*|inoculation)\b",
    re.IGNORECASE,
)
_LATER_EVENT = re.compile(
    r"\b(?:last|end|completion|completed?|final|discontinu\w*|stop\w*|withdraw\w*"
    r"|progression|accrual|each|every|second|subsequent|next)\b",
    re.IGNORECASE,
)
_UNIT_NAMES = {"mi": "minute", "mo": "month", "d": "day", "w": "week", "y": "year", "h": "hour"}
_POINT_WORDS = frozenset({"at", "on"})
_NEUTRAL_WORDS = frozenset({"the", "a", "an", "of", "at", "on"})


@dataclass(frozen=True, slots=True)
class _Found:
    """What one match contributed, merged in order of appearance."""

    points: tuple[TimePoint, ...] = ()
    periods: tuple[tuple[int, str], ...] = ()
    unread: tuple[str, ...] = ()


def parse_time_frame(text: str) -> TimeFrame:
    """Read ``text`` into time points and a span end, keeping what it cannot read.

    Never raises: a frame with no readable day comes back with ``parsed=False``.
    Of several spans the longest is the frame's end.
    """
    length = _cycle_length(text)
    found = [
        _HANDLERS.get(m.lastgroup or "", _on_nothing)(m, length) for m in _PATTERN.finditer(text)
    ]
    points: dict[str, TimePoint] = {}
    for point in (p for f in found for p in f.points):
        points.setdefault(point.label, point)
    period = max((p for f in found for p in f.periods), key=lambda p: p[0], default=None)
    return TimeFrame(
        text=text,
        time_points=tuple(points.values()),
        period_end_day=None if period is None else period[0],
        period_quote=None if period is None else period[1],
        parsed=period is not None or any(p.day is not None for p in points.values()),
        unread=tuple(dict.fromkeys(u for f in found for u in f.unread)),
    )


def _cycle_length(text: str) -> int | None:
    """The one cycle length ``text`` states, or None if it states none or several."""
    lengths = {_stated_days(match[0]) for match in _CYCLE_LENGTH.finditer(text)}
    return lengths.pop() if len(lengths) == 1 else None


def _stated_days(text: str) -> int | None:
    """The last whole "N days" in ``text`` (a cycle's length), if any."""
    counts = _DAY_COUNT.findall(text)
    days = _value(counts[-1]) if counts else Fraction(0)
    return int(days) if days.denominator == 1 and days > 0 else None


def _value(number: str) -> Fraction:
    if number[0].isdigit():
        return Fraction(number)
    return Fraction(_WORDS[re.sub(r"[- ]+", "-", number.lower())])


def _values(numbers: str) -> list[Fraction]:
    return [_value(n) for n in _NUMBER.findall(numbers)]


def _unit(token: str) -> str:
    token = token.lower()
    return _UNIT_NAMES.get(token[:2]) or _UNIT_NAMES[token[0]]


def _is_span(keywords: str | None) -> bool:
    words = set(re.findall(r"[a-z]+|[~\u2013-]", (keywords or "").lower()))
    return not words & _POINT_WORDS and bool(words - _NEUTRAL_WORDS)


def _from_day0(anchor: str | None) -> bool:
    """True when there is no anchor, or it names the dose (Day 0) and no later event."""
    if anchor is None:
        return True
    return _LATER_EVENT.search(anchor) is None and _DAY0_EVENT.search(anchor) is not None


def _sign(separator: str, unit: str) -> int | None:
    """+1, -1 ("Day -7", "Day minus 7"), or None where a hyphen may be a minus ("Day-7")."""
    sep = separator.lower()
    if not sep.strip():
        return 1
    if "minus" in sep or "\u2212" in sep or (sep[0].isspace() and not sep[-1].isspace()):
        return -1
    return None if unit == "day" else 1


def _on_label(match: re.Match[str], _length: int | None) -> _Found:
    quote = match[0].strip()
    unit = match["l_unit"].lower()
    sign = _sign(match["l_sep"], unit)
    if sign is None or match["l_each"] or not _from_day0(match["l_anchor"]):
        return _Found(unread=(quote,))
    values = [sign * v for v in _values(match["l_nums"])]
    values += [Fraction(match["l_end"])] if match["l_end"] else []
    points = _points(unit, values, quote)
    if points is None:
        return _Found(unread=(quote,))
    span = _is_span(match["l_kw"]) or match["l_end"] is not None
    end = points[-1].day
    return _Found(points=points, periods=((end, quote),) if span and end is not None else ())


def _on_quantity(match: re.Match[str], _length: int | None) -> _Found:
    quote = match[0].strip()
    points = _points(_unit(match["q_unit"]), _values(match["q_nums"]), quote)
    if points is None or not _from_day0(match["q_anchor"]):
        return _Found(unread=(quote,))
    if match["q_fu"] or _is_span(match["q_kw"]):
        return _Found(periods=((max(p.day or 0 for p in points), quote),))
    return _Found(points=points)


def _points(unit: str, values: list[Fraction], quote: str) -> tuple[TimePoint, ...] | None:
    """One point per value, or None when any is not a whole day (e.g. "4 hours")."""
    days = [value * _UNIT_DAYS[unit] for value in values]
    if any(day.denominator != 1 for day in days):
        return None
    numbers = [str(v.numerator) if v.denominator == 1 else str(float(v)) for v in values]
    return tuple(
        TimePoint(label=f"{unit.capitalize()} {n}", day=int(d), quote=quote)
        for n, d in zip(numbers, days, strict=True)
    )


def _cycle_day(cycle: Fraction, day: Fraction, length: int | None, quote: str) -> _Found:
    """Cycle c Day d is Day (c - 1) x length + d; Cycle 1 needs no length."""
    if cycle.denominator != 1 or day.denominator != 1:
        return _Found(unread=(quote,))
    offset = None
    if cycle == 1 or (length is not None and cycle > 1):
        offset = int((cycle - 1) * (length or 0) + day)
    label = f"Cycle {cycle} Day {day}"
    return _Found(points=(TimePoint(label=label, day=offset, quote=quote),))


def _cycle_span(count: Fraction, length: int | None, quote: str) -> _Found:
    """The first ``count`` cycles end on Day count x length (its own "(21 days)" first)."""
    length = _stated_days(quote) or length
    if length is None or (count * length).denominator != 1:
        return _Found(unread=(quote,))
    return _Found(periods=((int(count * length), quote),))


def _on_cycle(match: re.Match[str], length: int | None) -> _Found:
    quote = match[0].strip()
    cycle = _value(match["cd_cycle"] or match["dc_cycle"] or match["c_cycle"])
    day = match["cd_day"] or match["dc_day"] or match["c_day"]
    if day is None:
        return _cycle_span(cycle, length, quote)
    return _cycle_day(cycle, _value(day), length, quote)


def _on_cycles(match: re.Match[str], length: int | None) -> _Found:
    count = match["n_count"]
    first = count.lower() == "first"
    return _cycle_span(Fraction(1) if first else _value(count), length, match[0].strip())


def _on_visit(match: re.Match[str], _length: int | None) -> _Found:
    words = re.sub(r"[\s-]+", " ", match[0].lower())
    label = words.capitalize() if words[0] in "bs" else f"End of {words.split()[-1]}"
    return _Found(points=(TimePoint(label=label, day=None, quote=match[0]),))


def _on_cue(match: re.Match[str], _length: int | None) -> _Found:
    quote = re.sub(r"\s+(?:and|or)$", "", match[0].strip(), flags=re.IGNORECASE)
    return _Found(unread=(quote,))


def _on_nothing(_match: re.Match[str], _length: int | None) -> _Found:
    return _Found()


_HANDLERS: dict[str, Callable[[re.Match[str], int | None], _Found]] = {
    "cycle": _on_cycle,
    "cycles": _on_cycles,
    "length": _on_nothing,  # a cycle length is read by _cycle_length, not as a time point
    "visit": _on_visit,
    "label": _on_label,
    "quantity": _on_quantity,
    "cue": _on_cue,
}
