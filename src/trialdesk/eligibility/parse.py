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

from dataclasses import dataclass
from decimal import Decimal

from trialdesk.eligibility._parse_found import Found, find_thresholds, or_groups, parts
from trialdesk.eligibility._parse_rules import build_rule
from trialdesk.eligibility.ast import (
    Comparator,
    Rule,
)
from trialdesk.eligibility.lexicon import MEASURES
from trialdesk.eligibility.plausible import plausibility_warning
from trialdesk.eligibility.quantities import (
    Quantity,
    fold,
)

__all__ = ["ParsedCriterion", "ParsedThreshold", "parse_criterion"]


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


def parse_criterion(criterion_id: str, text: str) -> ParsedCriterion:
    """Thresholds and a rule for one criterion item; ``criterion_id`` is its id (``I6``)."""
    folded = fold(text)
    warnings: list[str] = []
    found = find_thresholds(folded, warnings)
    thresholds = _flatten(found, text)
    for threshold in thresholds:
        if threshold.decline_over_days is not None:
            continue
        warning = plausibility_warning(threshold.measure, threshold.value, threshold.ucum)
        if warning is not None:
            warnings.append(f"{warning}: {threshold.as_written!r} kept as written")
    rule = build_rule(criterion_id, text, found, warnings)
    return ParsedCriterion(criterion_id, text, tuple(thresholds), rule, tuple(warnings))


def _flatten(found: list[Found], original: str) -> list[ParsedThreshold]:
    """One contract threshold per measure and comparison (a range gives two)."""
    thresholds: list[ParsedThreshold] = []
    group_id = 0
    for group in or_groups(fold(original), found):
        alternatives = len(group) > 1 or (len(group[0].measures) > 1 and group[0].joiner == "or")
        group_id += int(alternatives)
        for item in group:
            measures: list[str | None] = [m[0] for m in item.measures] or [None]
            for measure in measures:
                for comparator, quantity in parts(item):
                    any_of = group_id if alternatives else None
                    thresholds.append(
                        _threshold(original, item, measure, comparator, quantity, any_of)
                    )
    return thresholds


def _threshold(  # noqa: PLR0913, PLR0917 - the contract's fields come from six places
    original: str,
    item: Found,
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
