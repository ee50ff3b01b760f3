"""Evaluate a rule set on one subject: a three-valued verdict per criterion, with evidence.

Each leaf reads the subject's latest value of its measure dated on or before the
screening date (ties on a date: the one listed last). A value older than the leaf's
window (a :class:`~trialdesk.eligibility.ast.Within` around it, else the rule set's
``lab_window_days``) is stale: the leaf is ``UNKNOWN`` with that reason, never a pass
or a fail. Units convert exactly through :mod:`trialdesk.clinical.units`; a unit that
cannot convert is refused the same way. Inner nodes combine in Kleene's logic
(:mod:`trialdesk.eligibility.truth`).

The subject is ``ELIGIBLE`` when every inclusion rule is ``MET`` and every exclusion
rule ``NOT_MET``; ``NOT_ELIGIBLE`` when one of them decides against; ``INCOMPLETE``
otherwise, naming what is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import conversion_factor
from trialdesk.eligibility.ast import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    Between,
    Comparator,
    Compare,
    Decline,
    Fact,
    Not,
    Rule,
    Threshold,
    When,
    Within,
)
from trialdesk.eligibility.criteria import Criterion, RuleSet, Section
from trialdesk.eligibility.lexicon import measure as lexicon_measure
from trialdesk.eligibility.subject import Observation, SubjectData, age_in_years
from trialdesk.eligibility.truth import Truth, all_of, any_of, at_least

__all__ = ["CriterionVerdict", "Eligibility", "Evidence", "Verdict", "evaluate"]


class Eligibility(StrEnum):
    """The overall verdict."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one leaf read and concluded: the value, unit, date and form, the threshold."""

    rule: str
    truth: Truth
    reason: str
    measure: str | None = None
    value: Decimal | None = None
    unit: str | None = None
    date: dt.date | None = None
    source: str | None = None
    threshold: str | None = None
    conversion: str | None = None


@dataclass(frozen=True, slots=True)
class CriterionVerdict:
    """One criterion: whether its rule holds (``status``) and whether that passes screening."""

    criterion: str
    section: Section
    status: Truth
    passes: Truth
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The subject's overall verdict, every criterion's verdict, and what is missing."""

    subject_id: str
    status: Eligibility
    criteria: tuple[CriterionVerdict, ...]
    missing: tuple[str, ...]
    reason: str


def evaluate(rules: RuleSet, subject: SubjectData) -> Verdict:
    """The verdict of ``rules`` for ``subject`` on its screening date."""
    verdicts = tuple(_criterion(criterion, rules, subject) for criterion in rules.criteria)
    overall = all_of(verdict.passes for verdict in verdicts)
    missing = tuple(
        f"{verdict.criterion}: {evidence.reason}"
        for verdict in verdicts
        if verdict.passes is Truth.UNKNOWN
        for evidence in verdict.evidence
        if evidence.truth is Truth.UNKNOWN
    )
    failed = [v.criterion for v in verdicts if v.passes is Truth.NOT_MET]
    if overall is Truth.MET:
        return Verdict(
            subject.subject_id, Eligibility.ELIGIBLE, verdicts, (), "every criterion met"
        )
    if overall is Truth.NOT_MET:
        reason = "not met: " + ", ".join(failed)
        return Verdict(subject.subject_id, Eligibility.NOT_ELIGIBLE, verdicts, missing, reason)
    unknown = [v.criterion for v in verdicts if v.passes is Truth.UNKNOWN]
    reason = "unknown: " + ", ".join(unknown)
    return Verdict(subject.subject_id, Eligibility.INCOMPLETE, verdicts, missing, reason)


def _criterion(criterion: Criterion, rules: RuleSet, subject: SubjectData) -> CriterionVerdict:
    context = _Context(subject, criterion.id, None, rules.lab_window_days, [])
    status = context.truth(criterion.rule)
    passes = status if criterion.section is Section.INCLUSION else status.negate()
    return CriterionVerdict(criterion.id, criterion.section, status, passes, tuple(context.log))


@dataclass(slots=True)
class _Context:
    subject: SubjectData
    criterion: str
    within_days: int | None
    lab_window_days: int
    log: list[Evidence]

    @property
    def window_days(self) -> int:
        """The window for measured values: the enclosing ``Within``, else the default."""
        return self.lab_window_days if self.within_days is None else self.within_days

    def truth(self, rule: Rule) -> Truth:
        """The truth of ``rule``; every leaf read is logged as evidence (no short cut)."""
        match rule:
            case AllOf() | AnyOf() | AtLeast():
                return at_least([self.truth(item) for item in rule.items], _needed(rule))
            case Not(item=item):
                return self.truth(item).negate()
            case When(condition=condition, then=then):
                return any_of([self.truth(condition).negate(), self.truth(then)])
            case Within(days=days, item=item):
                inner = _Context(self.subject, self.criterion, days, self.lab_window_days, self.log)
                return inner.truth(item)
            case _:
                return self._leaf(rule)

    def _leaf(self, rule: Attest | Fact | Decline | Compare | Between) -> Truth:
        match rule:
            case Attest():
                return self._attest(rule)
            case Fact():
                return self._fact(rule)
            case Decline():
                return self._decline(rule)
            case _:
                return self._compare(rule)

    def _record(self, evidence: Evidence) -> Truth:
        self.log.append(evidence)
        return evidence.truth

    def _attest(self, rule: Attest) -> Truth:
        # The node's own criterion: a sub-item (I4.4) is attested apart from its parent.
        found = [a for a in self.subject.attestations if a.criterion == rule.criterion]
        if not found:
            reason = f"awaiting the investigator's attestation: {rule.statement}"
            return self._record(Evidence(str(rule), Truth.UNKNOWN, reason))
        last = found[-1]
        reason = f"attested by {last.by} on {last.date.isoformat()}"
        evidence = Evidence(str(rule), Truth.of(last.holds), reason, source="attestation")
        return self._record(evidence)

    def _fact(self, rule: Fact) -> Truth:
        screening = self.subject.screening_date
        records = [f for f in self.subject.facts if f.name == rule.name]
        records = [f for f in records if f.date is None or f.date <= screening]
        if self.within_days is not None:
            start = screening - dt.timedelta(days=self.within_days)
            undated = any(f.present and f.date is None for f in records)
            records = [f for f in records if f.date is not None and f.date >= start]
            if not records and undated:
                why = f"{rule.name} recorded without a date; the window is {self.within_days} d"
                return self._record(Evidence(str(rule), Truth.UNKNOWN, why))
        present = [f for f in records if f.present]
        chosen = present[-1] if present else (records[-1] if records else None)
        if chosen is None:
            why = f"no record of {rule.name}" + self._window_text()
            return self._record(Evidence(str(rule), Truth.UNKNOWN, why))
        state = "present" if chosen.present else "absent"
        reason = f"{rule.name} recorded {state}"
        evidence = Evidence(
            str(rule), Truth.of(chosen.present), reason, date=chosen.date, source=chosen.source
        )
        return self._record(evidence)

    def _window_text(self) -> str:
        return "" if self.within_days is None else f" in the last {self.within_days} d"

    def _latest(self, measure_id: str) -> Observation | None:
        if measure_id == "age" and self.subject.birth_date is not None:
            years = age_in_years(self.subject.birth_date, self.subject.screening_date)
            return Observation(
                measure="age",
                value=Decimal(years),
                unit="a",
                date=self.subject.screening_date,
                source="birth date",
            )
        candidates = [
            o
            for o in self.subject.observations
            if o.measure == measure_id and o.date <= self.subject.screening_date
        ]
        # max() keeps the first of equal keys; reversed() makes it the last listed.
        return max(reversed(candidates), key=lambda o: o.date, default=None)

    def _stale(self, observation: Observation) -> str | None:
        age_days = (self.subject.screening_date - observation.date).days
        if age_days <= self.window_days:
            return None
        return (
            f"latest {observation.measure} ({observation.date.isoformat()}) is {age_days} d "
            f"old; the window is {self.window_days} d"
        )

    def _compare(self, rule: Compare | Between) -> Truth:
        observation = self._latest(rule.measure)
        if observation is None:
            why = f"no {rule.measure} value"
            return self._record(Evidence(str(rule), Truth.UNKNOWN, why, measure=rule.measure))
        stale = self._stale(observation)
        if stale is not None:
            return self._record(_read(rule, observation, Truth.UNKNOWN, stale))
        checks = (
            [(rule.comparator, rule.threshold)]
            if isinstance(rule, Compare)
            else [
                (Comparator.GE if rule.low_inclusive else Comparator.GT, rule.low),
                (Comparator.LE if rule.high_inclusive else Comparator.LT, rule.high),
            ]
        )
        results: list[Truth] = []
        conversions: list[str] = []
        for comparator, threshold in checks:
            limit = _limit(observation, threshold)
            if isinstance(limit, str):
                return self._record(_read(rule, observation, Truth.UNKNOWN, limit))
            value, conversion = limit
            results.append(Truth.of(comparator.holds(value[0], value[1])))
            if conversion:
                conversions.append(conversion)
        truth = all_of(results)
        reason = f"{observation.value} {observation.unit or ''}".rstrip() + (
            " meets " if truth is Truth.MET else " does not meet "
        )
        conversion_text = "; ".join(conversions) or None
        return self._record(
            _read(rule, observation, truth, reason + str(rule), conversion=conversion_text)
        )

    def _decline(self, rule: Decline) -> Truth:
        current = self._latest(rule.measure)
        if current is None:
            why = f"no {rule.measure} value"
            return self._record(Evidence(str(rule), Truth.UNKNOWN, why, measure=rule.measure))
        stale = self._stale(current)
        if stale is not None:
            return self._record(_read(rule, current, Truth.UNKNOWN, stale))
        baseline = _baseline(self.subject, rule, current)
        if baseline is None:
            why = (
                f"no {rule.measure} value {rule.over_days} ± {rule.tolerance_days} d before "
                f"{current.date.isoformat()}"
            )
            return self._record(_read(rule, current, Truth.UNKNOWN, why))
        decline = _decline_amount(rule, baseline, current)
        if isinstance(decline, str):
            return self._record(_read(rule, current, Truth.UNKNOWN, decline))
        comparator = Comparator(rule.comparator)
        truth = Truth.of(comparator.holds(decline, Fraction(rule.amount.value)))
        reason = (
            f"{rule.measure} {baseline.value} ({baseline.date.isoformat()}) → {current.value} "
            f"({current.date.isoformat()}): decline {float(decline):.6g} {rule.amount.unit}"
        )
        return self._record(_read(rule, current, truth, reason))


def _read(
    rule: Compare | Between | Decline,
    observation: Observation,
    truth: Truth,
    reason: str,
    conversion: str | None = None,
) -> Evidence:
    return Evidence(
        str(rule),
        truth,
        reason,
        measure=rule.measure,
        value=observation.value,
        unit=observation.unit,
        date=observation.date,
        source=observation.source,
        threshold=_threshold_text(rule),
        conversion=conversion,
    )


def _needed(rule: AllOf | AnyOf | AtLeast) -> int | None:
    if isinstance(rule, AllOf):
        return None
    return 1 if isinstance(rule, AnyOf) else rule.n


def _threshold_text(rule: Compare | Between | Decline) -> str:
    if isinstance(rule, Compare):
        return f"{rule.comparator.value} {rule.threshold}"
    if isinstance(rule, Between):
        left = "[" if rule.low_inclusive else "("
        right = "]" if rule.high_inclusive else ")"
        return f"{left}{rule.low}, {rule.high}{right}"
    return f"decline {rule.comparator} {rule.amount} over {rule.over_days} d"


def _limit(
    observation: Observation, threshold: Threshold
) -> tuple[tuple[Fraction, Fraction], str | None] | str:
    """(value, limit) as exact fractions in one unit, and the conversion made; or why not."""
    if threshold.relative:
        return _relative_limit(observation, threshold)
    known = lexicon_measure(observation.measure)
    analyte = known.analyte if known is not None else None
    converted = _convert(Fraction(observation.value), observation.unit, threshold.unit, analyte)
    if isinstance(converted, str):
        return converted
    limit = Fraction(threshold.value)
    if observation.unit == threshold.unit:
        return (converted, limit), None
    text = f"{observation.value} {observation.unit} = {float(converted):.6g} {threshold.unit}"
    return (converted, limit), text


def _relative_limit(
    observation: Observation, threshold: Threshold
) -> tuple[tuple[Fraction, Fraction], str] | str:
    reference = {
        "x ULN": observation.uln,
        "x LLN": observation.lln,
        "x control": observation.control,
    }[str(threshold.unit)]
    name = str(threshold.unit).removeprefix("x ")
    if reference is None:
        return f"{observation.measure} value has no {name} to compare with {threshold}"
    limit = Fraction(threshold.value) * Fraction(reference)
    text = f"{threshold} = {threshold.value} x {reference} {observation.unit}"
    return (Fraction(observation.value), limit), text


def _convert(
    value: Fraction, from_unit: str | None, to_unit: str | None, analyte: str | None
) -> Fraction | str:
    """``value`` in ``to_unit``, exactly; or why the units refuse to convert."""
    if from_unit is None or to_unit is None:
        if from_unit == to_unit:
            return value
        return f"unit refused: value in {from_unit}, threshold in {to_unit}"
    try:
        return value * conversion_factor(from_unit, to_unit, analyte)
    except UnitError as error:
        return f"unit refused: {error}"


def _baseline(subject: SubjectData, rule: Decline, current: Observation) -> Observation | None:
    """The value dated closest to ``over_days`` before ``current`` (ties: the earlier)."""
    best: tuple[int, dt.date, int] | None = None
    chosen: Observation | None = None
    for position, observation in enumerate(subject.observations):
        if observation.measure != rule.measure or observation.date >= current.date:
            continue
        distance = abs((current.date - observation.date).days - rule.over_days)
        if distance > rule.tolerance_days:
            continue
        key = (distance, observation.date, position)
        if best is None or key < best:
            best, chosen = key, observation
    return chosen


def _decline_amount(rule: Decline, baseline: Observation, current: Observation) -> Fraction | str:
    """The fall from baseline to current in the rule's reading, exactly; or why not."""
    if baseline.unit != current.unit:
        return f"unit refused: baseline in {baseline.unit}, current value in {current.unit}"
    before, after = Fraction(baseline.value), Fraction(current.value)
    unit = rule.amount.unit
    if unit == "%":
        if before <= 0:
            return f"baseline {rule.measure} {baseline.value} is not positive"
        return (before - after) / before * 100
    if unit == "%-points":
        if current.unit != "%":
            return f"a %-points decline needs % values; {rule.measure} is in {current.unit}"
        return before - after
    return _convert(before - after, current.unit, unit, None)
