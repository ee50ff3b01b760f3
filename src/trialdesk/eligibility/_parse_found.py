"""Find the thresholds in a criterion's text: comparator, number, unit, measures, condition.

The first half of the parser (:mod:`trialdesk.eligibility.parse`): each number read
by :mod:`~trialdesk.eligibility.quantities` becomes a :class:`Found` when a comparator,
a range or a score list gives it a comparison, with the measures named just before it,
a decline period or a condition after it, and the warnings met on the way.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from trialdesk.eligibility.ast import (
    Comparator,
)
from trialdesk.eligibility.lexicon import CONDITIONS, MEASURES, measure_pattern
from trialdesk.eligibility.quantities import (
    COMPARATOR_AFTER,
    COMPARATOR_BEFORE,
    Quantity,
    read_quantities,
)

__all__ = [
    "DAYS_PER",
    "DECLINE_TOLERANCE_DAYS",
    "MEASURES_RE",
    "Found",
    "connectives",
    "find_thresholds",
    "or_groups",
    "parts",
]

DAYS_PER = {"day": 1, "week": 7, "month": 30, "year": 365}  # month = 30 d, as visit windows

_MEASURE_REACH = 80  # characters between a measure's name and its comparator
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_SCORES = {"ecog", "nyha", "karnofsky"}


@dataclass(slots=True)
class Found:
    """A threshold being assembled: one or more measures sharing one comparison."""

    measures: list[tuple[str, int, int]]  # (measure id, start, end) of each name
    joiner: str  # "or" / "and" between shared measures
    comparator: Comparator
    quantity: Quantity
    start: int
    end: int
    condition: tuple[str, str | None, bool] | None = None  # (as written, fact, negated)
    range_with: Quantity | None = None
    decline_days: int | None = None
    condition_end: int = 0
    warnings: list[str] = field(default_factory=list)


MEASURES_RE, _BY_SYNONYM = measure_pattern()
_RANGE = re.compile(
    r"(?:between\s+)?(?P<low>\d+(?:[.,]\d+)?)\s*(?P<sep>-|to|and)\s*(?P<high>\d+(?:[.,]\d+)?)",
    re.IGNORECASE,
)
_ROMAN_RANGE = re.compile(
    r"\b(?:class(?:es)?\s+)?(?P<low>IV|I{1,3})(?:\s*(?:-|to|or)\s*(?P<high>IV|I{1,3}))?\b"
)
_CONDITION = re.compile(
    r"^\s*[(,;]?\s*(?:(?P<neg>in\s+the\s+absence\s+of|without|unless\s+(?:on|receiving))"
    r"|(?:for|in)\s+(?:subjects|patients|participants|those|cases|people)?\s*"
    r"(?:with|who\s+have|having)|if\s+(?:there\s+is|known)?|in\s+(?:the\s+)?(?:case|presence)\s+of)"
    r"\s+(?P<what>[^);,.]+)",
    re.IGNORECASE,
)
_OR = re.compile(r"\bor\b|/", re.IGNORECASE)
_FILLER = re.compile(
    r"^(?:[\s,():/\[\]]|\b(?:levels?|counts?|values?|of|or|and|both|either|each|serum|total|"
    r"concentrations?|must|should|be|is|are|score|status|performance|ps|class|the|a|"
    r"classification|at\s+screening|functional|group|cooperative|oncology|eastern|\(\w+\))\b)*$",
    re.IGNORECASE,
)


def find_thresholds(text: str, warnings: list[str]) -> list[Found]:
    quantities = read_quantities(text)
    found: list[Found] = []
    used: set[int] = set()
    previous_end = 0
    for index, quantity in enumerate(quantities):
        if index in used:
            continue
        if _is_duration(text, quantity, previous_end):
            continue
        item = _comparison(text, quantities, index, previous_end, used)
        if item is None:
            item = _roman_or_score(text, quantity, previous_end)
        if item is None:
            snippet = text[quantity.start : quantity.end]
            if not _is_window_number(text, quantity):
                warnings.append(f"number {snippet!r} has no comparator or measure: not read")
            continue
        _attach_measures(text, item, previous_end, found)
        _attach_decline(text, item, previous_end)
        item.condition_end = item.end
        _attach_condition(text, item)
        if quantity.problem:
            item.warnings.append(f"{quantity.problem}: {text[quantity.start : quantity.end]!r}")
        warnings.extend(item.warnings)
        found.append(item)
        previous_end = item.condition_end
    for match in _ROMAN_RANGE.finditer(text):
        _roman(text, match, found, warnings)
    return found


def _is_duration(text: str, quantity: Quantity, previous_end: int) -> bool:
    """A time span that is no measure's value ("over 6 months", "for >= 5 years")."""
    span_unit = r"\s*-\s*(?:months?|weeks?|days?|years?|hours?)\b"
    if re.match(span_unit, text[quantity.end :], re.IGNORECASE):
        return True
    if quantity.unit not in _TIME_UNITS:
        return False
    if _is_age(text, quantity):
        return False
    before = text[previous_end : quantity.start]
    names = [
        _BY_SYNONYM[re.sub(r"\s+", " ", m.group().lower())] for m in MEASURES_RE.finditer(before)
    ]
    return not names or names[-1] not in {"age", "gestational_age", "life_expectancy"}


_TIME_UNITS = frozenset({"d", "wk", "mo", "a", "h"})
_AGE_AFTER = re.compile(
    r"\s*(?:of\s+age|old)\b|\s*(?:to|-)\s*(?:[<>≤≥]=?\s*)?\d+\s*(?:years?|months?|weeks?|days?)"
    r"\s+(?:of\s+age|old)\b",
    re.IGNORECASE,
)


def _is_age(text: str, quantity: Quantity) -> bool:
    """An age: "18 years old", "28 days of age", "≥ 12 years to < 18 years of age"."""
    if quantity.unit not in _TIME_UNITS:
        return False
    written = text[quantity.start : quantity.end]
    return bool(re.search(r"\bold\b|of\s+age", written, re.IGNORECASE)) or bool(
        _AGE_AFTER.match(text, quantity.end)
    )


def _is_window_number(text: str, quantity: Quantity) -> bool:
    """A duration in a time window ("within 4 weeks") is read by the window, not here."""
    return (
        quantity.unit in {"d", "wk", "mo", "a", "h"}
        and bool(
            re.search(
                r"(within|in\s+the\s+(?:last|past)|prior|last|past|previous)\s*$",
                text[max(0, quantity.start - 25) : quantity.start],
                re.IGNORECASE,
            )
        )
        and not re.search(
            r"\b(?:age|aged)\b", text[max(0, quantity.start - 30) : quantity.start], re.IGNORECASE
        )
    )


def _comparison(
    text: str, quantities: list[Quantity], index: int, previous_end: int, used: set[int]
) -> Found | None:
    quantity = quantities[index]
    before = text[previous_end : quantity.start]
    listed = _score_list(text, quantities, index, previous_end)
    if listed is not None:
        high, last = listed
        used.update(range(index + 1, last + 1))
        return Found([], "and", Comparator.GE, quantity, quantity.start, high.end, range_with=high)
    ranged = _range_at(text, quantities, index, previous_end)
    if ranged is not None:
        low, high, start = ranged
        used.add(index + 1)
        return Found([], "and", Comparator.GE, low, start, high.end, range_with=high)
    match = COMPARATOR_BEFORE.search(before)
    if match is not None:
        comparator = _comparator(match)
        return Found([], "and", comparator, quantity, previous_end + match.start(), quantity.end)
    after = COMPARATOR_AFTER.match(text[quantity.end :])
    if after is not None:
        comparator = _comparator(after)
        return Found([], "and", comparator, quantity, quantity.start, quantity.end + after.end())
    return None


def _comparator(match: re.Match[str]) -> Comparator:
    names = {"ge": Comparator.GE, "le": Comparator.LE, "gt": Comparator.GT, "lt": Comparator.LT}
    return next(names[k] for k, v in match.groupdict().items() if v is not None and k in names)


def _range_at(
    text: str, quantities: list[Quantity], index: int, previous_end: int
) -> tuple[Quantity, Quantity, int] | None:
    """A range "18-75", "18 to 75", "between 18 and 75" starting at quantity ``index``."""
    if index + 1 >= len(quantities):
        return None
    low, high = quantities[index], quantities[index + 1]
    gap = text[low.end : high.start]
    between = re.search(r"between\s*$", text[previous_end : low.start], re.IGNORECASE)
    if not re.fullmatch(r"\s*(?:-|to)\s*", gap, re.IGNORECASE) and not (
        between and re.fullmatch(r"\s*and\s*", gap, re.IGNORECASE)
    ):
        return None
    if COMPARATOR_BEFORE.search(text[previous_end : low.start]) or _is_code(text, low, high):
        return None
    if low.unit is None and high.unit is not None:
        low = Quantity(low.value, high.unit, high.display, low.start, low.end, low.problem)
    start = previous_end + between.start() if between else low.start
    return low, high, start


def _is_code(text: str, low: Quantity, high: Quantity) -> bool:
    """An identifier, not a range: "10M-01-1", "DAKO 28-8", "613-533-6430"."""
    if low.value is None or high.value is None or high.value < low.value:
        return True
    if re.search(r"\w-\s*$", text[: low.start]) or re.match(r"\s*-\s*\d", text[high.end :]):
        return True
    return any(re.match(r"0\d", text[q.start : q.end]) for q in (low, high))


_SCORE_NAME = re.compile(
    r"(?:ecog|karnofsky|kps|performance\s+status)\b[^\d]{0,30}$", re.IGNORECASE
)


def _score_list(
    text: str, quantities: list[Quantity], index: int, previous_end: int
) -> tuple[Quantity, int] | None:
    """Scores listed one by one ("ECOG 0 or 1", "0, 1, or 2"): the last score and its index."""
    if not _SCORE_NAME.search(text[previous_end : quantities[index].start]):
        return None
    last = index
    while last + 1 < len(quantities):
        current, following = quantities[last], quantities[last + 1]
        gap = text[current.end : following.start]
        if not re.fullmatch(r"\s*(?:,\s*(?:or\s+)?|or\s+)", gap, re.IGNORECASE):
            break
        if current.value is None or following.value != current.value + 1 or following.unit:
            break
        last += 1
    return (quantities[last], last) if last > index else None


def _roman_or_score(text: str, quantity: Quantity, previous_end: int) -> Found | None:
    """A bare score right after a score's name ("ECOG 1"): equal to it, as a 1-1 range."""
    before = text[previous_end : quantity.start]
    match = re.search(r"(ecog|karnofsky|kps)\b[^\d]{0,30}$", before, re.IGNORECASE)
    if match is None or quantity.unit not in {None, "%"}:
        return None
    return Found(
        [], "and", Comparator.GE, quantity, quantity.start, quantity.end, range_with=quantity
    )


def _roman(text: str, match: re.Match[str], found: list[Found], warnings: list[str]) -> None:
    """NYHA classes written in Roman numerals ("NYHA class III-IV", "NYHA III or IV")."""
    before = text[max(0, match.start() - 40) : match.start()]
    if not re.search(r"(nyha|new\s+york\s+heart\s+association)[^.;]*$", before, re.IGNORECASE):
        return
    low = _ROMAN[match["low"]]
    high = _ROMAN[match["high"]] if match["high"] else None
    comparator_text = COMPARATOR_BEFORE.search(text[max(0, match.start() - 25) : match.start()])
    value = Quantity(Decimal(low), "{score}", "{score}", match.start("low"), match.end("low"))
    if high is None and comparator_text is not None:
        item = Found(
            [("nyha", 0, 0)], "and", _comparator(comparator_text), value, match.start(), match.end()
        )
    else:
        top = Decimal(high if high is not None else low)
        upper = Quantity(top, "{score}", "{score}", match.start(), match.end())
        item = Found(
            [("nyha", 0, 0)],
            "and",
            Comparator.GE,
            value,
            match.start(),
            match.end(),
            range_with=upper,
        )
    if not any(f.start == item.start for f in found):
        found.append(item)
    if high is not None and high < low:
        warnings.append(f"NYHA classes {match[0]!r} run backwards: check the text")


def _attach_measures(text: str, item: Found, previous_end: int, found: list[Found]) -> None:
    """The measures named before the comparison; a shared list joined by or/and."""
    window = text[previous_end : item.start]
    names = [
        (
            _BY_SYNONYM[re.sub(r"\s+", " ", m.group().lower())],
            previous_end + m.start(),
            previous_end + m.end(),
        )
        for m in MEASURES_RE.finditer(window)
    ]
    chosen: list[tuple[str, int, int]] = []
    joiner = "and"
    cursor = item.start
    for name in reversed(names):
        gap = text[name[2] : cursor]
        if not chosen and item.start - name[2] > _MEASURE_REACH:
            break  # the nearest name must be near; a list of names may reach further back
        if chosen and name[0] == chosen[0][0]:
            chosen[0] = name  # the long and the short name of one measure: "AST (SGOT)"
            cursor = name[1]
            continue
        if not _FILLER.match(gap):
            break
        if chosen and _OR.search(gap):
            joiner = "or"
        chosen.insert(0, name)
        cursor = name[1]
    if not chosen and _is_age(text, item.quantity):
        chosen = [("age", item.quantity.start, item.quantity.start)]
    if not chosen and not names and found and item.quantity.unit is not None:
        chosen = list(found[-1].measures)  # "(<= 3 x ULN for Gilbert's)": the same measure
        joiner = found[-1].joiner
    if not chosen:
        item.warnings.append(
            f"threshold {text[item.start : item.end]!r} names no measure: not read"
        )
    item.measures = [m for m in chosen if m[0] in MEASURES]
    item.joiner = joiner


_DECLINE = re.compile(r"\b(?:decline|decrease|fall|drop|reduction)\b", re.IGNORECASE)
_OVER = re.compile(
    r"(?:over|during|within|in)\s+(?:a\s+|the\s+)?(?P<n>\d+)[\s-]*(?P<unit>months?|weeks?|days?|years?)",
    re.IGNORECASE,
)
#: How far from "6 months before" a baseline value may be dated (parser default, stated).
DECLINE_TOLERANCE_DAYS = 30


def _attach_decline(text: str, item: Found, previous_end: int) -> None:
    """A "decline of 10 % over 6 months" compares two dated values, not one."""
    if item.range_with is not None or not _DECLINE.search(text[previous_end : item.start]):
        return
    over = _OVER.search(text, item.end)
    if over is None or re.search(r"[.;]", text[item.end : over.start()]):
        item.warnings.append(f"decline {text[item.start : item.end]!r} states no period: not read")
        item.measures = []
        return
    item.decline_days = int(over["n"]) * DAYS_PER[over["unit"].lower().rstrip("s")]
    item.warnings.append(
        f"decline {text[item.start : item.end]!r}: baseline within ±{DECLINE_TOLERANCE_DAYS} d of "
        f"{item.decline_days} d before; the reading (relative or %-predicted points) is the "
        "study definition's to choose"
    )


def _attach_condition(text: str, item: Found) -> None:
    match = _CONDITION.match(text[item.end :])
    if match is None:
        return
    what = match["what"].strip()
    phrase = what.lower()
    fact = next(
        (name for name, phrases in CONDITIONS.items() if any(p in phrase for p in phrases)), None
    )
    if fact is None:
        item.warnings.append(f"condition {what!r} is not in the lexicon: map it to a fact")
    item.condition = (match[0].strip(" (,;"), fact, match["neg"] is not None)
    item.condition_end = item.end + match.end()


def connectives(text: str, found: list[Found]) -> list[bool]:
    """Whether each threshold after the first is joined to the one before by "or".

    A bare comma takes the connective that ends its list: "A, B, or C" are three
    alternatives, "A, B, and C" three requirements.
    """
    joins: list[str] = []
    for previous, item in itertools.pairwise(found):
        first = min((m[1] for m in item.measures if m[2] > 0), default=item.start)
        if first < previous.condition_end:  # the measure was named before: "..., or >50 m"
            first = item.start
        gap = text[previous.condition_end : first]
        word = re.search(r"\b(or|and)\b", gap, re.IGNORECASE)
        joins.append(word[1].lower() if word else ("," if "," in gap else "and"))
    resolved = list(joins)
    following = "and"
    for index in range(len(joins) - 1, -1, -1):
        if joins[index] == ",":
            resolved[index] = following
        else:
            following = joins[index]
    return [join == "or" for join in resolved]


def or_groups(text: str, found: list[Found]) -> list[list[Found]]:
    """Consecutive thresholds joined by "or" form one group of alternatives."""
    groups: list[list[Found]] = []
    joins = [False, *connectives(text, found)][: len(found)]
    for item, joined in zip(found, joins, strict=True):
        if groups and joined:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def parts(item: Found) -> list[tuple[Comparator, Quantity]]:
    if item.range_with is None:
        return [(item.comparator, item.quantity)]
    return [(Comparator.GE, item.quantity), (Comparator.LE, item.range_with)]
