"""Read a criterion's text into thresholds and a rule, keeping what it cannot read.

For each number in the text (:mod:`~trialdesk.eligibility.quantities`) the parser
finds its comparator (before it, ``>/= 100``; after it, ``18 years or older``; or a
range, ``18-75``, ``between 18 and 75``, ``ECOG 0-1``, ``NYHA III-IV``), the measure
named just before it (a list joined by "or"/"and" shares one threshold: "AST or ALT
> 5 x ULN"), and any condition after it ("for subjects with Gilbert's syndrome", "in
the absence of anticoagulant therapy"). Thresholds joined by "or" are alternatives.

Anything else is kept, never guessed: a number with no comparator or no measure is
a warning; an unreadable unit is a warning; words the thresholds do not cover
become an :class:`~trialdesk.eligibility.ast.Attest` for the investigator; an
implausible unit as written (``hemoglobin > 90 g/dL``) is kept and warned about.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from trialdesk.eligibility.ast import (
    AllOf,
    AnyOf,
    Attest,
    AttestReason,
    Between,
    Comparator,
    Compare,
    Decline,
    Fact,
    Not,
    Rule,
    Span,
    Threshold,
    When,
    Within,
)
from trialdesk.eligibility.lexicon import CONDITIONS, MEASURES, measure_pattern
from trialdesk.eligibility.plausible import plausibility_warning
from trialdesk.eligibility.quantities import (
    COMPARATOR_AFTER,
    COMPARATOR_BEFORE,
    Quantity,
    fold,
    read_quantities,
)

__all__ = ["ParsedCriterion", "ParsedThreshold", "parse_criterion"]

_MEASURE_REACH = 80  # characters between a measure's name and its comparator
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_SCORES = {"ecog", "nyha", "karnofsky"}


@dataclass(frozen=True, slots=True)
class ParsedThreshold:
    """One threshold: the contract's fields, plus its span and the condition's fact."""

    measure: str | None
    comparator: Comparator
    value: Decimal | None
    unit: str | None
    ucum: str | None
    as_written: str
    start: int
    end: int
    condition: str | None = None
    condition_fact: str | None = None
    condition_negated: bool = False
    any_of: int | None = None
    unit_implied: bool = False
    decline_over_days: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedCriterion:
    """A criterion's thresholds, its rule built from them, and what could not be read."""

    id: str
    text: str
    thresholds: tuple[ParsedThreshold, ...]
    rule: Rule
    warnings: tuple[str, ...]


@dataclass(slots=True)
class _Found:
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


_MEASURES_RE, _BY_SYNONYM = measure_pattern()
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


def parse_criterion(criterion_id: str, text: str) -> ParsedCriterion:
    """Thresholds and a rule for one criterion item; ``criterion_id`` is its id (``I6``)."""
    folded = fold(text)
    warnings: list[str] = []
    found = _thresholds(folded, warnings)
    thresholds = _flatten(found, text)
    for threshold in thresholds:
        if threshold.decline_over_days is not None:
            continue
        warning = plausibility_warning(threshold.measure, threshold.value, threshold.ucum)
        if warning is not None:
            warnings.append(f"{warning}: {threshold.as_written!r} kept as written")
    rule = _rule(criterion_id, text, found, thresholds, warnings)
    return ParsedCriterion(criterion_id, text, tuple(thresholds), rule, tuple(warnings))


def _thresholds(text: str, warnings: list[str]) -> list[_Found]:
    quantities = read_quantities(text)
    found: list[_Found] = []
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
        _BY_SYNONYM[re.sub(r"\s+", " ", m.group().lower())] for m in _MEASURES_RE.finditer(before)
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
) -> _Found | None:
    quantity = quantities[index]
    before = text[previous_end : quantity.start]
    listed = _score_list(text, quantities, index, previous_end)
    if listed is not None:
        high, last = listed
        used.update(range(index + 1, last + 1))
        return _Found([], "and", Comparator.GE, quantity, quantity.start, high.end, range_with=high)
    ranged = _range_at(text, quantities, index, previous_end)
    if ranged is not None:
        low, high, start = ranged
        used.add(index + 1)
        return _Found([], "and", Comparator.GE, low, start, high.end, range_with=high)
    match = COMPARATOR_BEFORE.search(before)
    if match is not None:
        comparator = _comparator(match)
        return _Found([], "and", comparator, quantity, previous_end + match.start(), quantity.end)
    after = COMPARATOR_AFTER.match(text[quantity.end :])
    if after is not None:
        comparator = _comparator(after)
        return _Found([], "and", comparator, quantity, quantity.start, quantity.end + after.end())
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


def _roman_or_score(text: str, quantity: Quantity, previous_end: int) -> _Found | None:
    """A bare score right after a score's name ("ECOG 1"): equal to it, as a 1-1 range."""
    before = text[previous_end : quantity.start]
    match = re.search(r"(ecog|karnofsky|kps)\b[^\d]{0,30}$", before, re.IGNORECASE)
    if match is None or quantity.unit not in {None, "%"}:
        return None
    return _Found(
        [], "and", Comparator.GE, quantity, quantity.start, quantity.end, range_with=quantity
    )


def _roman(text: str, match: re.Match[str], found: list[_Found], warnings: list[str]) -> None:
    """NYHA classes written in Roman numerals ("NYHA class III-IV", "NYHA III or IV")."""
    before = text[max(0, match.start() - 40) : match.start()]
    if not re.search(r"(nyha|new\s+york\s+heart\s+association)[^.;]*$", before, re.IGNORECASE):
        return
    low = _ROMAN[match["low"]]
    high = _ROMAN[match["high"]] if match["high"] else None
    comparator_text = COMPARATOR_BEFORE.search(text[max(0, match.start() - 25) : match.start()])
    value = Quantity(Decimal(low), "{score}", "{score}", match.start("low"), match.end("low"))
    if high is None and comparator_text is not None:
        item = _Found(
            [("nyha", 0, 0)], "and", _comparator(comparator_text), value, match.start(), match.end()
        )
    else:
        top = Decimal(high if high is not None else low)
        upper = Quantity(top, "{score}", "{score}", match.start(), match.end())
        item = _Found(
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


def _attach_measures(text: str, item: _Found, previous_end: int, found: list[_Found]) -> None:
    """The measures named before the comparison; a shared list joined by or/and."""
    window = text[previous_end : item.start]
    names = [
        (
            _BY_SYNONYM[re.sub(r"\s+", " ", m.group().lower())],
            previous_end + m.start(),
            previous_end + m.end(),
        )
        for m in _MEASURES_RE.finditer(window)
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


def _attach_decline(text: str, item: _Found, previous_end: int) -> None:
    """A "decline of 10 % over 6 months" compares two dated values, not one."""
    if item.range_with is not None or not _DECLINE.search(text[previous_end : item.start]):
        return
    over = _OVER.search(text, item.end)
    if over is None or re.search(r"[.;]", text[item.end : over.start()]):
        item.warnings.append(f"decline {text[item.start : item.end]!r} states no period: not read")
        item.measures = []
        return
    item.decline_days = int(over["n"]) * _DAYS_PER[over["unit"].lower().rstrip("s")]
    item.warnings.append(
        f"decline {text[item.start : item.end]!r}: baseline within ±{DECLINE_TOLERANCE_DAYS} d of "
        f"{item.decline_days} d before; the reading (relative or %-predicted points) is the "
        "study definition's to choose"
    )


def _attach_condition(text: str, item: _Found) -> None:
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


def _connectives(text: str, found: list[_Found]) -> list[bool]:
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


def _or_groups(text: str, found: list[_Found]) -> list[list[_Found]]:
    """Consecutive thresholds joined by "or" form one group of alternatives."""
    groups: list[list[_Found]] = []
    joins = [False, *_connectives(text, found)][: len(found)]
    for item, joined in zip(found, joins, strict=True):
        if groups and joined:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _flatten(found: list[_Found], original: str) -> list[ParsedThreshold]:
    """One contract threshold per measure and comparison (a range gives two)."""
    thresholds: list[ParsedThreshold] = []
    group_id = 0
    for group in _or_groups(fold(original), found):
        alternatives = len(group) > 1 or (len(group[0].measures) > 1 and group[0].joiner == "or")
        group_id += int(alternatives)
        for item in group:
            measures: list[str | None] = [m[0] for m in item.measures] or [None]
            for measure in measures:
                for comparator, quantity in _parts(item):
                    any_of = group_id if alternatives else None
                    thresholds.append(
                        _threshold(original, item, measure, comparator, quantity, any_of)
                    )
    return thresholds


def _parts(item: _Found) -> list[tuple[Comparator, Quantity]]:
    if item.range_with is None:
        return [(item.comparator, item.quantity)]
    return [(Comparator.GE, item.quantity), (Comparator.LE, item.range_with)]


def _threshold(  # noqa: PLR0913, PLR0917 - the contract's fields come from six places
    original: str,
    item: _Found,
    measure: str | None,
    comparator: Comparator,
    quantity: Quantity,
    group: int | None,
) -> ParsedThreshold:
    unit, display, implied = quantity.unit, quantity.display, False
    known = MEASURES.get(measure) if measure else None
    if unit is None and known is not None and known.implied_unit and quantity.problem is None:
        unit, display, implied = known.unit, known.unit, True
    if known is not None and unit == "%" and known.unit == "{score}":
        unit, display = "{score}", "{score}"  # "Karnofsky >= 60%": the score, not a fraction
    condition = item.condition
    return ParsedThreshold(
        measure=measure,
        comparator=comparator,
        value=quantity.value,
        unit=display,
        ucum=unit,
        as_written=original[item.start : item.end].strip(),
        start=item.start,
        end=item.end,
        condition=None if condition is None else condition[0],
        condition_fact=None if condition is None else condition[1],
        condition_negated=False if condition is None else condition[2],
        any_of=group,
        unit_implied=implied,
        decline_over_days=item.decline_days,
    )


_STOPWORD_TEXT = (
    "a an and are as at be by for from has have in is must of or should than the to "
    "with within meeting following thresholds parameters hematological "
    "haematological adequate organ function defined follows laboratory values value "
    "levels level count counts total serum times upper lower limit limits normal uln "
    "lln control inclusive patients subjects participants institutional range "
    "including criteria criterion decline decrease over period follow-up month "
    "months predicted results showing test distance walked walk baseline greater "
    "less least aged age years old during performance status ps "
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WINDOW = re.compile(
    r"(?P<what>[^.;]*?)\s*\b(?:within|in\s+the\s+(?:last|past|previous))\s+(?:the\s+)?"
    r"(?:last\s+|past\s+|previous\s+)?(?P<n>\d+)\s*(?P<unit>days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_DAYS_PER = {"day": 1, "week": 7, "month": 30, "year": 365}  # month = 30 d, as visit windows
_LEADING = re.compile(
    r"^\s*(?:(?P<no>no|without)\s+)?(?:prior\s+|previous\s+)?"
    r"(?:history\s+of|presence\s+of|evidence\s+of|known|any)?\s*",
    re.IGNORECASE,
)


def _rule(
    criterion_id: str,
    text: str,
    found: list[_Found],
    thresholds: list[ParsedThreshold],
    warnings: list[str],
) -> Rule:
    """The criterion's rule: thresholds joined as written, the unread rest as an attestation."""
    del thresholds
    nodes = _item_nodes(criterion_id, text, found)
    if not nodes:
        return _no_threshold_rule(criterion_id, text, warnings)
    joins = _connectives(fold(text), [item for item, _ in nodes])
    groups: list[list[Rule]] = [[nodes[0][1]]]
    for (_, node), joined in zip(nodes[1:], joins, strict=True):
        if joined:
            groups[-1].append(node)
        else:
            groups.append([node])
    parts: list[Rule] = [
        g[0]
        if len(g) == 1
        else AnyOf(
            criterion=criterion_id,
            items=tuple(
                x for node in g for x in (node.items if isinstance(node, AnyOf) else (node,))
            ),
        )
        for g in groups
    ]
    rule: Rule = parts[0] if len(parts) == 1 else AllOf(criterion=criterion_id, items=tuple(parts))
    rest = _residual(text, found)
    if rest is None:
        return rule
    warnings.append(f"text not read as thresholds left to the investigator: {rest!r}")
    attest = Attest(criterion=criterion_id, statement=text, reason=AttestReason.NOT_READ)
    if len(groups) > 1 and any(len(g) > 1 for g in groups):
        return AllOf(criterion=criterion_id, items=(rule, attest))
    joined_by_or = re.search(r"\bor\b", text, re.IGNORECASE) is not None and len(groups) == 1
    if joined_by_or:
        return AnyOf(criterion=criterion_id, items=(*_items_of(rule), attest))
    return AllOf(criterion=criterion_id, items=(*_items_of(rule), attest))


def _items_of(rule: Rule) -> tuple[Rule, ...]:
    return rule.items if isinstance(rule, AnyOf | AllOf) else (rule,)


def _item_nodes(criterion_id: str, text: str, found: list[_Found]) -> list[tuple[_Found, Rule]]:
    nodes: list[tuple[_Found, Rule]] = []
    for item in found:
        leaves = [
            leaf
            for measure, _, _ in item.measures
            if (leaf := _leaf(criterion_id, text, item, measure)) is not None
        ]
        if not leaves:
            continue
        node: Rule = leaves[0]
        if len(leaves) > 1:
            combine = AnyOf if item.joiner == "or" else AllOf
            node = combine(criterion=criterion_id, items=tuple(leaves))
        if item.condition is not None:
            condition = _condition_rule(criterion_id, item.condition)
            node = When(criterion=criterion_id, condition=condition, then=node)
            if nodes and nodes[-1][0].condition is None and nodes[-1][0].measures == item.measures:
                previous_item, previous = nodes[-1]
                otherwise = Not(criterion=criterion_id, item=condition)
                nodes[-1] = (
                    previous_item,
                    When(criterion=criterion_id, condition=otherwise, then=previous),
                )
        nodes.append((item, node))
    return nodes


def _condition_rule(criterion_id: str, condition: tuple[str, str | None, bool]) -> Rule:
    written, fact, negated = condition
    name = (
        fact if fact is not None else _slug(re.sub(r"^\W*\w+(\s+\w+)?\s+(with|of)\s+", "", written))
    )
    rule: Rule = Fact(criterion=criterion_id, name=name)
    return Not(criterion=criterion_id, item=rule) if negated else rule


def _leaf(criterion_id: str, text: str, item: _Found, measure: str) -> Rule | None:
    parts = _parts(item)
    thresholds = []
    for comparator, quantity in parts:
        unit = quantity.unit
        known = MEASURES[measure]
        if unit is None and known.implied_unit and quantity.problem is None:
            unit = known.unit
        if known.unit == "{score}" and unit == "%":
            unit = "{score}"
        if quantity.value is None or unit is None or quantity.problem is not None:
            return None
        thresholds.append((comparator, Threshold(value=quantity.value, unit=unit)))
    span = Span(start=item.start, end=item.end, text=text[item.start : item.end])
    if item.decline_days is not None:
        comparator, amount = thresholds[0]
        return Decline(
            criterion=criterion_id,
            span=span,
            measure=measure,
            comparator=">=" if comparator is Comparator.GE else ">",
            amount=amount,
            over_days=item.decline_days,
            tolerance_days=DECLINE_TOLERANCE_DAYS,
        )
    if len(thresholds) == 1:
        comparator, threshold = thresholds[0]
        return Compare(
            criterion=criterion_id,
            span=span,
            measure=measure,
            comparator=comparator,
            threshold=threshold,
        )
    (_, low), (_, high) = thresholds
    return Between(criterion=criterion_id, span=span, measure=measure, low=low, high=high)


def _residual(text: str, found: list[_Found]) -> str | None:
    """The words of ``text`` that no threshold, measure name or condition covers."""
    covered = [(item.start, max(item.end, item.condition_end)) for item in found]
    covered += [(m.start(), m.end()) for m in _MEASURES_RE.finditer(fold(text))]
    keep = [ch if not any(a <= i < b for a, b in covered) else " " for i, ch in enumerate(text)]
    rest = re.sub(r"\s+", " ", "".join(keep)).strip(" ,.;:()")
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", rest) if w.lower() not in _STOPWORDS]
    return rest if len(words) >= 2 else None


def _no_threshold_rule(criterion_id: str, text: str, warnings: list[str]) -> Rule:
    """A criterion with no threshold: an event in a time window, else an attestation."""
    window = _WINDOW.search(fold(text))
    if window is not None:
        lead = _LEADING.match(window["what"])
        negated = lead is not None and lead["no"] is not None
        what = window["what"][lead.end() if lead else 0 :].strip(" ,")
        if what:
            days = int(window["n"]) * _DAYS_PER[window["unit"].lower().rstrip("s")]
            name = _slug(what)
            warnings.append(f"fact {name!r} named from the text: map it to a chart field")
            span = Span(
                start=window.start(), end=window.end(), text=text[window.start() : window.end()]
            )
            fact = Fact(criterion=criterion_id, name=name, span=span)
            rule: Rule = Within(criterion=criterion_id, days=days, item=fact, span=span)
            return Not(criterion=criterion_id, item=rule) if negated else rule
    reason = AttestReason.JUDGEMENT
    if any("not read" in w for w in warnings):
        reason = AttestReason.NOT_READ
    return Attest(criterion=criterion_id, statement=text, reason=reason)


def _slug(phrase: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
