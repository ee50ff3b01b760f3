"""Parse a study's split criteria into a rule set, one criterion per item.

Items come from the importer already split (``I4`` with sub-items ``I4.1``-``I4.5``).
A parent that says "at least one of" the sub-items it lists becomes
:class:`~trialdesk.eligibility.ast.AtLeast` over their rules, beside its own rule;
any other parent needs all its sub-items. Labs with no window of their own count
when dated within :data:`DEFAULT_LAB_WINDOW_DAYS` of screening: the registry never
says, so the rule set states it and the study team confirms it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from trialdesk.eligibility.ast import AllOf, AnyOf, AtLeast, Not, Rule, When
from trialdesk.eligibility.criteria import Criterion, RuleSet, Section
from trialdesk.eligibility.parse import ParsedCriterion, parse_criterion

__all__ = ["DEFAULT_LAB_WINDOW_DAYS", "CriterionText", "ParsedRuleSet", "parse_rule_set"]

#: Default window for measured values, days before screening (4 weeks; to be confirmed).
DEFAULT_LAB_WINDOW_DAYS = 28
DEFAULT_LAB_WINDOW_SOURCE = (
    "trialdesk default (the registry states no window): a lab counts when dated within "
    "28 days before screening — confirm against the protocol"
)
_AT_LEAST = re.compile(r"\bat\s+least\s+(?P<n>one|two|three|\d+)\b", re.IGNORECASE)
_NUMBERS = {"one": 1, "two": 2, "three": 3}


class CriterionText(Protocol):
    """A split criterion item: the importer's ``CriterionItem`` has this shape."""

    @property
    def id(self) -> str:
        """Position id, ``I4.2``."""
        ...

    @property
    def text(self) -> str:
        """The item's text as written."""
        ...

    @property
    def sub_items(self) -> Sequence[CriterionText]:
        """Nested items."""
        ...


@dataclass(frozen=True, slots=True)
class ParsedRuleSet:
    """The rule set, and every item's parse (thresholds and warnings) for review."""

    rules: RuleSet
    parsed: tuple[ParsedCriterion, ...]


def parse_rule_set(
    inclusion: Sequence[CriterionText], exclusion: Sequence[CriterionText]
) -> ParsedRuleSet | None:
    """The rule set of both sections; ``None`` when the record lists no criteria."""
    parsed: list[ParsedCriterion] = []
    criteria = [
        Criterion(
            id=item.id,
            section=section,
            text=item.text,
            rule=_rule(item, parsed)
            if section is Section.INCLUSION
            else _conditions_restrict(_rule(item, parsed)),
        )
        for section, items in ((Section.INCLUSION, inclusion), (Section.EXCLUSION, exclusion))
        for item in items
    ]
    if not criteria:
        return None
    rules = RuleSet(
        criteria=tuple(criteria),
        lab_window_days=DEFAULT_LAB_WINDOW_DAYS,
        lab_window_source=DEFAULT_LAB_WINDOW_SOURCE,
    )
    return ParsedRuleSet(rules, tuple(parsed))


def _conditions_restrict(rule: Rule) -> Rule:
    """A lone condition restricts an excluding state; a requirement it only limits.

    "aPTT > 2.5 x control in the absence of anticoagulant therapy" excludes when both
    hold (``all_of``), whereas in a requirement it limits whom the requirement binds
    (``when``). A pair of limits under
    complementary conditions ("<= 3 x ULN, <= 5 x ULN with liver metastases") reads the same
    in both sections and stays as it is.
    """
    match rule:
        case AllOf() | AnyOf() | AtLeast():
            items = tuple(_conditions_restrict(item) for item in rule.items)
            paired = _paired_conditions(items)
            items = tuple(
                AllOf(criterion=item.criterion, span=item.span, items=(item.condition, item.then))
                if isinstance(item, When) and item.condition not in paired
                else item
                for item in items
            )
            return rule.model_copy(update={"items": items})
        case When():
            return AllOf(
                criterion=rule.criterion, span=rule.span, items=(rule.condition, rule.then)
            )
        case _:
            return rule


def _paired_conditions(items: tuple[Rule, ...]) -> list[Rule]:
    conditions = [item.condition for item in items if isinstance(item, When)]
    negations = {
        id(c): Not(criterion=c.criterion, item=c) for c in conditions if not isinstance(c, Not)
    }
    paired: list[Rule] = []
    for condition in conditions:
        complement = condition.item if isinstance(condition, Not) else negations[id(condition)]
        if any(
            other == complement or (isinstance(other, Not) and other.item == condition)
            for other in conditions
            if other is not condition
        ):
            paired.append(condition)
    return paired


def _rule(item: CriterionText, parsed: list[ParsedCriterion]) -> Rule:
    own = parse_criterion(item.id, item.text)
    parsed.append(own)
    if not item.sub_items:
        return own.rule
    children = tuple(_rule(sub, parsed) for sub in item.sub_items)
    match = _AT_LEAST.search(item.text)
    if match is not None:
        written = match["n"].lower()
        n = _NUMBERS.get(written) or int(written)
        combined: Rule = AtLeast(criterion=item.id, n=min(n, len(children)), items=children)
    else:
        combined = AllOf(criterion=item.id, items=children)
    return AllOf(criterion=item.id, items=(combined, own.rule))
