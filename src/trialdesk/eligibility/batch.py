"""Evaluate a rule set on a whole batch of subjects at once, vectorised with NumPy.

The scalar :func:`~trialdesk.eligibility.evaluate.evaluate` is the reference: for every
subject ``i`` of ``SubjectBatch.from_subjects(subjects)``, :func:`evaluate_batch` gives
each criterion the truth and the pass that ``evaluate(rules, subjects[i])`` gives when
the as-of date is that subject's screening date, and the same overall eligibility. It
does not write the evidence: ask :func:`~trialdesk.eligibility.evaluate.evaluate` for
the subjects whose verdict a person reads.

Truth is an int8 code per subject, ordered ``NOT_MET 0 < UNKNOWN 1 < MET 2``, so that
Kleene's strong logic is arithmetic: ``and`` is the minimum, ``or`` the maximum,
``not`` is ``2 - x``, and "at least ``n``" counts the met and the unknown (``MET`` when
the met reach ``n``; ``NOT_MET`` when the met and unknown together cannot). The rule
tree is walked once per criterion; every step is a whole-column operation, so the
work grows with the number of rows, not with a Python loop over subjects (issue 6:
at least 100,000 subjects a second; ``python -m benchmarks.eligibility_batch``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

import numpy as np
import numpy.typing as npt

from trialdesk.eligibility.ast import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    Between,
    Compare,
    Decline,
    Fact,
    Not,
    Rule,
    When,
    Within,
)
from trialdesk.eligibility.batch_columns import SubjectBatch
from trialdesk.eligibility.batch_decline import decline_leaf
from trialdesk.eligibility.batch_leaves import (
    MET,
    NOT_MET,
    UNKNOWN,
    Frame,
    attest_leaf,
    compare_leaf,
    fact_leaf,
)
from trialdesk.eligibility.batch_rows import (
    I8,
    MAX_SCALED,
    NO_DATE,
    NO_VALUE,
    SCALE,
    AttestationColumns,
    FactColumns,
    ObservationColumns,
    as_of_days,
    day_number,
)
from trialdesk.eligibility.criteria import RuleSet, Section
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.eligibility.truth import Truth

__all__ = [
    "ELIGIBILITY_BY_CODE",
    "MAX_SCALED",
    "NO_DATE",
    "NO_VALUE",
    "SCALE",
    "TRUTH_BY_CODE",
    "AttestationColumns",
    "BatchVerdict",
    "FactColumns",
    "ObservationColumns",
    "SubjectBatch",
    "day_number",
    "evaluate_batch",
]

#: The truth each int8 code stands for.
TRUTH_BY_CODE = (Truth.NOT_MET, Truth.UNKNOWN, Truth.MET)
#: The overall verdict each int8 code stands for (every criterion passes: ``MET``).
ELIGIBILITY_BY_CODE = (Eligibility.NOT_ELIGIBLE, Eligibility.INCOMPLETE, Eligibility.ELIGIBLE)


@dataclass(frozen=True, slots=True)
class BatchVerdict:
    """Every subject's verdict as int8 codes (see :data:`TRUTH_BY_CODE`).

    ``status[i, j]`` is whether criterion ``criteria[j]``'s rule holds for subject
    ``i``, ``passes[i, j]`` whether that passes screening (an exclusion's inverted),
    and ``eligibility[i]`` the conjunction of the passes
    (:data:`ELIGIBILITY_BY_CODE`).
    """

    subject_ids: tuple[str, ...] | None
    criteria: tuple[str, ...]
    sections: tuple[Section, ...]
    status: I8
    passes: I8
    eligibility: I8

    def eligibility_of(self, subject: int) -> Eligibility:
        """Subject ``subject``'s (an index) overall verdict."""
        return ELIGIBILITY_BY_CODE[int(self.eligibility[subject])]

    def status_of(self, subject: int, criterion: str) -> Truth:
        """Whether ``criterion``'s rule holds for subject ``subject`` (an index)."""
        return TRUTH_BY_CODE[int(self.status[subject, self.criteria.index(criterion)])]

    def passes_of(self, subject: int, criterion: str) -> Truth:
        """Whether subject ``subject`` (an index) passes ``criterion``."""
        return TRUTH_BY_CODE[int(self.passes[subject, self.criteria.index(criterion)])]

    def counts(self) -> dict[Eligibility, int]:
        """How many subjects have each overall verdict."""
        tally = np.bincount(self.eligibility, minlength=3)
        return {
            eligibility: int(tally[code]) for code, eligibility in enumerate(ELIGIBILITY_BY_CODE)
        }


def evaluate_batch(
    rules: RuleSet, batch: SubjectBatch, as_of: dt.date | npt.ArrayLike
) -> BatchVerdict:
    """The verdict of ``rules`` for every subject of ``batch`` on ``as_of``.

    ``as_of`` is one date for all subjects, or each subject's day number
    (:func:`day_number` of its screening date).
    """
    frame = Frame(batch, as_of_days(as_of, batch.size))
    status = np.empty((batch.size, len(rules.criteria)), np.int8)
    for column, criterion in enumerate(rules.criteria):
        scope = _Scope(frame, criterion.id, None, rules.lab_window_days)
        status[:, column] = scope.truth(criterion.rule)
    exclusion = np.array([c.section is Section.EXCLUSION for c in rules.criteria])
    passes = np.where(exclusion, MET - status, status).astype(np.int8)
    eligibility = passes.min(axis=1, initial=MET)
    for codes in (status, passes, eligibility):
        codes.flags.writeable = False
    return BatchVerdict(
        subject_ids=batch.subject_ids,
        criteria=tuple(criterion.id for criterion in rules.criteria),
        sections=tuple(criterion.section for criterion in rules.criteria),
        status=status,
        passes=passes,
        eligibility=eligibility,
    )


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a node sits: its criterion, and the window of the nearest enclosing ``Within``."""

    frame: Frame
    criterion: str
    within_days: int | None
    lab_window_days: int

    def truth(self, rule: Rule) -> I8:
        """The truth code of ``rule`` for every subject."""
        match rule:
            case AllOf() | AnyOf() | AtLeast():
                return self._combine(rule)
            case Not(item=item):
                return MET - self.truth(item)
            case When(condition=condition, then=then):
                unless: I8 = MET - self.truth(condition)
                return np.maximum(unless, self.truth(then), dtype=np.int8)
            case Within(days=days, item=item):
                inner = _Scope(self.frame, self.criterion, days, self.lab_window_days)
                return inner.truth(item)
            case _:
                return self._leaf(rule)

    def _combine(self, rule: AllOf | AnyOf | AtLeast) -> I8:
        values = [self.truth(item) for item in rule.items]
        if isinstance(rule, AllOf):
            combined: I8 = reduce(np.minimum, values)
        elif isinstance(rule, AnyOf):
            combined = reduce(np.maximum, values)
        else:
            combined = _at_least(values, rule.n)
        return combined

    def _leaf(self, rule: Attest | Fact | Decline | Compare | Between) -> I8:
        window = self.lab_window_days if self.within_days is None else self.within_days
        match rule:
            case Attest():
                return attest_leaf(self.frame, self.criterion)
            case Fact():
                return fact_leaf(self.frame, rule, self.within_days)
            case Decline():
                return decline_leaf(self.frame, rule, window)
            case _:
                return compare_leaf(self.frame, rule, window)


def _at_least(values: list[I8], n: int) -> I8:
    """Kleene "at least ``n`` of": ``MET`` once ``n`` are met, ``NOT_MET`` when they cannot be."""
    met = sum((value == MET).astype(np.int32) for value in values)
    possible = met + sum((value == UNKNOWN).astype(np.int32) for value in values)
    return np.where(met >= n, MET, np.where(possible < n, NOT_MET, UNKNOWN)).astype(np.int8)
