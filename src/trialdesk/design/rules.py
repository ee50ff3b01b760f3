"""Rules that wrap a design and override its proposal, each naming itself when it does.

Wrappers apply in a visible order, innermost first, as in R's ``escalation``
(``get_dfcrm(...) %>% stop_at_n(n = 24) %>% dont_skip()``): the outermost rule
has the last word. A wrapper that leaves the proposal alone passes it through
unchanged, rule id and all; one that overrides it returns its own rule id and a
reason that says what the inner design proposed.

The repr reads as the rule chain, e.g. ``dont_skip(stop_at_n(BOIN, n=24))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special

from trialdesk.design.decision import Decision, Design
from trialdesk.design.history import (
    DoseCounts,
    DoseLadder,
    Label,
    SubjectOutcome,
    count_by_dose,
)
from trialdesk.errors import DesignInputError

__all__ = ["DemandNAtDose", "DontSkip", "StopAtN", "StopWhenTooToxic", "Wrapper"]


@dataclass(frozen=True, slots=True)
class Wrapper:
    """Delegates the design's identity to the wrapped design."""

    inner: Design

    @property
    def name(self) -> str:
        """The wrapped design's name."""
        return self.inner.name

    @property
    def ladder(self) -> DoseLadder:
        """The wrapped design's dose levels."""
        return self.inner.ladder

    @property
    def start(self) -> Label:
        """The wrapped design's start level."""
        return self.inner.start

    @property
    def cohort_size(self) -> int:
        """The wrapped design's cohort size."""
        return self.inner.cohort_size


@dataclass(frozen=True, slots=True, repr=False)
class StopAtN(Wrapper):
    """Stop once ``n`` subjects are treated; the dose the design would give next is the MTD."""

    n: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise DesignInputError("n", self.n, "a whole number of subjects, at least 1")

    def __repr__(self) -> str:
        return f"stop_at_n({self.inner!r}, n={self.n})"

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """Pass through until ``n`` are treated, then stop."""
        proposal = self.inner.decide(history)
        if proposal.stop or len(history) < self.n:
            return proposal
        return Decision(
            next_level=None,
            stop=True,
            mtd=proposal.next_level,
            rule="stop_at_n",
            reason=f"{len(history)} subjects treated, the maximum of {self.n}: stop; "
            f"the design's current recommendation, level {proposal.next_level}, is the MTD",
            counts=proposal.counts,
            fit=proposal.fit,
        )


@dataclass(frozen=True, slots=True, repr=False)
class StopWhenTooToxic(Wrapper):
    """Stop with no MTD when ``P(p > threshold | data) > confidence`` at ``level``.

    The posterior is Beta(1 + y, 1 + n - y) from a uniform prior, the same
    elimination model as BOIN (Liu & Yuan 2015, section 2.3).
    """

    level: Label
    threshold: float
    confidence: float

    def __post_init__(self) -> None:
        self.inner.ladder.index(self.level)
        for argument, value in (("threshold", self.threshold), ("confidence", self.confidence)):
            if not 0 < value < 1:
                raise DesignInputError(argument, value, "a probability strictly between 0 and 1")

    def __repr__(self) -> str:
        return (
            f"stop_when_too_toxic({self.inner!r}, level={self.level!r}, "
            f"threshold={self.threshold}, confidence={self.confidence})"
        )

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """Stop when the level is too toxic with the stated confidence, else pass through."""
        proposal = self.inner.decide(history)
        counts = count_by_dose(self.ladder, history)[self.ladder.index(self.level)]
        p_over = _prob_above(counts, self.threshold)
        if p_over <= self.confidence:
            return proposal
        return Decision(
            next_level=None,
            stop=True,
            mtd=None,
            rule="stop_when_too_toxic",
            reason=f"level {self.level} has {counts} DLTs: P(DLT rate > {self.threshold}) = "
            f"{p_over:.3f} > {self.confidence}; stop with no MTD "
            f"(the design proposed {_proposal(proposal)})",
            counts=proposal.counts,
            fit=proposal.fit,
        )


@dataclass(frozen=True, slots=True, repr=False)
class DontSkip(Wrapper):
    """Never escalate more than one level above the highest level treated so far."""

    def __repr__(self) -> str:
        return f"dont_skip({self.inner!r})"

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """Cap an escalation that would skip an untried level."""
        proposal = self.inner.decide(history)
        if proposal.next_level is None or not history:
            return proposal
        highest = max(self.ladder.index(subject.level) for subject in history)
        proposed = self.ladder.index(proposal.next_level)
        if proposed <= highest + 1:
            return proposal
        capped = self.ladder.labels[highest + 1]
        return Decision(
            next_level=capped,
            stop=False,
            mtd=None,
            rule="dont_skip",
            reason=f"the design proposed level {proposal.next_level}, skipping untried "
            f"levels; the highest level treated is {self.ladder.labels[highest]}, so "
            f"treat level {capped}",
            counts=proposal.counts,
            fit=proposal.fit,
            next_cohort_size=proposal.next_cohort_size,
        )


@dataclass(frozen=True, slots=True, repr=False)
class DemandNAtDose(Wrapper):
    """Refuse to stop with an MTD that has fewer than ``n`` subjects: treat more there."""

    n: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise DesignInputError("n", self.n, "a whole number of subjects, at least 1")

    def __repr__(self) -> str:
        return f"demand_n_at_dose({self.inner!r}, n={self.n})"

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """Continue at the proposed MTD until it holds ``n`` subjects."""
        proposal = self.inner.decide(history)
        if proposal.mtd is None:
            return proposal
        counts = count_by_dose(self.ladder, history)[self.ladder.index(proposal.mtd)]
        if counts.n >= self.n:
            return proposal
        return Decision(
            next_level=proposal.mtd,
            stop=False,
            mtd=None,
            rule="demand_n_at_dose",
            reason=f"the design would stop with level {proposal.mtd} as the MTD, but it has "
            f"{counts.n} subjects and {self.n} are required: treat more at level {proposal.mtd}",
            counts=proposal.counts,
            fit=proposal.fit,
        )


def _prob_above(counts: DoseCounts, threshold: float) -> float:
    return float(special.betaincc(1 + counts.y, 1 + counts.n - counts.y, threshold))


def _proposal(decision: Decision) -> str:
    if decision.stop:
        return f"to stop ({decision.rule})"
    return f"level {decision.next_level} ({decision.rule})"
