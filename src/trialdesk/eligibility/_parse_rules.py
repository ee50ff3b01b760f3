"""Build a criterion's rule from its thresholds; keep the unread rest for the investigator.

The second half of the parser (:mod:`trialdesk.eligibility.parse`): thresholds joined by
"or" become alternatives, conditions become :class:`~trialdesk.eligibility.ast.When`,
declines :class:`~trialdesk.eligibility.ast.Decline`; words no threshold covers become an
:class:`~trialdesk.eligibility.ast.Attest`; a criterion with no threshold is an event in
a time window ("within 4 weeks") or an attestation.
"""

from __future__ import annotations

import re

from trialdesk.eligibility._parse_found import (
    DAYS_PER,
    DECLINE_TOLERANCE_DAYS,
    MEASURES_RE,
    Found,
    connectives,
    parts,
)
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
from trialdesk.eligibility.lexicon import MEASURES
from trialdesk.eligibility.quantities import (
    fold,
)

__all__ = ["build_rule"]

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
_LEADING = re.compile(
    r"^\s*(?:(?P<no>no|without)\s+)?(?:prior\s+|previous\s+)?"
    r"(?:history\s+of|presence\s+of|evidence\s+of|known|any)?\s*",
    re.IGNORECASE,
)


def build_rule(
    criterion_id: str,
    text: str,
    found: list[Found],
    warnings: list[str],
) -> Rule:
    """The criterion's rule: thresholds joined as written, the unread rest as an attestation."""
    nodes = _item_nodes(criterion_id, text, found)
    if not nodes:
        return _no_threshold_rule(criterion_id, text, warnings)
    joins = connectives(fold(text), [item for item, _ in nodes])
    groups: list[list[Rule]] = [[nodes[0][1]]]
    for (_, node), joined in zip(nodes[1:], joins, strict=True):
        if joined:
            groups[-1].append(node)
        else:
            groups.append([node])
    parts_of_rule: list[Rule] = [
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
    rule: Rule = (
        parts_of_rule[0]
        if len(parts_of_rule) == 1
        else AllOf(criterion=criterion_id, items=tuple(parts_of_rule))
    )
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


def _item_nodes(criterion_id: str, text: str, found: list[Found]) -> list[tuple[Found, Rule]]:
    nodes: list[tuple[Found, Rule]] = []
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


def _leaf(criterion_id: str, text: str, item: Found, measure: str) -> Rule | None:
    thresholds = []
    for comparator, quantity in parts(item):
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


def _residual(text: str, found: list[Found]) -> str | None:
    """The words of ``text`` that no threshold, measure name or condition covers."""
    covered = [(item.start, max(item.end, item.condition_end)) for item in found]
    covered += [(m.start(), m.end()) for m in MEASURES_RE.finditer(fold(text))]
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
            days = int(window["n"]) * DAYS_PER[window["unit"].lower().rstrip("s")]
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
