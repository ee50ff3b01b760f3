"""Dose-transition pathways: every outcome of the next k cohorts, and the decision after each.

From the current history, each cohort at the recommended dose can end with 0
to c DLTs (the order within a cohort does not change any design's decision
here, so a cohort is its DLT count). The tree shows what the design will do
after each outcome, for a protocol or a safety review; given true DLT
probabilities, each branch also carries its probability (binomial per cohort).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

from trialdesk.design.decision import Decision, Design
from trialdesk.design.history import SubjectOutcome
from trialdesk.design.oc import checked_true_tox
from trialdesk.errors import DesignInputError

__all__ = ["PathNode", "dose_paths"]


@dataclass(frozen=True, slots=True)
class PathNode:
    """One node: the cohort that led here (``None`` at the root), the decision after it.

    ``probability`` is that of reaching this node from the root (``None`` when no
    true DLT probabilities were given).
    """

    cohort: str | None
    decision: Decision
    probability: float | None
    children: tuple[PathNode, ...]

    def leaves(self) -> int:
        """The number of distinct paths below this node."""
        return 1 if not self.children else sum(child.leaves() for child in self.children)


def dose_paths(
    design: Design,
    history: Sequence[SubjectOutcome],
    cohorts: int,
    true_tox: Sequence[float] | None = None,
) -> PathNode:
    """The tree of the next ``cohorts`` cohorts' outcomes from ``history``."""
    if cohorts < 0:
        raise DesignInputError("cohorts", cohorts, "a number of cohorts, 0 or more")
    tox = None if true_tox is None else checked_true_tox(true_tox, len(design.ladder))
    return _Walk(design, tox).node(tuple(history), None, cohorts, None if tox is None else 1.0)


@dataclass(frozen=True, slots=True)
class _Walk:
    design: Design
    tox: tuple[float, ...] | None

    def node(
        self,
        history: tuple[SubjectOutcome, ...],
        cohort: str | None,
        remaining: int,
        probability: float | None,
    ) -> PathNode:
        decision = self.design.decide(history)
        level = decision.next_level
        if remaining == 0 or level is None:
            return PathNode(cohort, decision, probability, ())
        size = decision.cohort_size_or(self.design.cohort_size)
        p = None if self.tox is None else self.tox[self.design.ladder.index(level)]
        children = []
        for dlts in range(size + 1):
            letters = "N" * (size - dlts) + "T" * dlts
            added = tuple(SubjectOutcome(level, letter == "T") for letter in letters)
            weight = None
            if p is not None and probability is not None:
                weight = probability * comb(size, dlts) * p**dlts * (1 - p) ** (size - dlts)
            label = f"{level}{letters}" if isinstance(level, int) else f"[{level}]{letters}"
            children.append(self.node(history + added, label, remaining - 1, weight))
        return PathNode(cohort, decision, probability, tuple(children))
