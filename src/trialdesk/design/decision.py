"""What a design returns: a decision that names its rule and the counts it used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trialdesk.design.history import DoseCounts, DoseLadder, Label, SubjectOutcome

__all__ = ["Decision", "Design", "ModelFit"]


@dataclass(frozen=True, slots=True)
class ModelFit:
    """A model-based design's fit (CRM): the parameter and per-dose toxicity estimates.

    Lists are in dose order (lowest first); bounds are the credible (Bayesian)
    or confidence (likelihood) interval at the design's stated level.
    """

    estimate: float
    post_var: float
    p_tox: tuple[float, ...]
    p_tox_lower: tuple[float, ...]
    p_tox_upper: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """One dose decision.

    ``next_level`` is the label to treat next, ``None`` when the trial stops;
    ``mtd`` the selected maximum tolerated dose, ``None`` while running or when
    none is selected; ``rule`` a stable id such as ``3+3.expand_after_1_of_3``;
    ``reason`` a sentence a clinician can read; ``counts`` the per-dose counts
    the decision used, in dose order; ``next_cohort_size`` how many subjects the
    next cohort takes when the design sets it (BOIN's accelerated titration, a
    last cohort cut short by the maximum sample size), ``None`` for the design's
    own ``cohort_size``.
    """

    next_level: Label | None
    stop: bool
    mtd: Label | None
    rule: str
    reason: str
    counts: tuple[tuple[Label, DoseCounts], ...]
    fit: ModelFit | None = field(default=None)
    next_cohort_size: int | None = field(default=None)

    def __post_init__(self) -> None:
        if self.stop != (self.next_level is None):
            msg = f"a decision stops exactly when it names no next level: {self!r}"
            raise ValueError(msg)
        if self.next_cohort_size is not None and (self.stop or self.next_cohort_size < 1):
            msg = f"a cohort size goes with a next level and is at least 1: {self!r}"
            raise ValueError(msg)

    def cohort_size_or(self, default: int) -> int:
        """The next cohort's size: the one this decision sets, else ``default``."""
        return default if self.next_cohort_size is None else self.next_cohort_size


class Design(Protocol):
    """The interface every design and every rule wrapper shares.

    A design is configured once and immutable; ``decide`` is a pure function of
    the history, so the same history always gives the same decision.
    """

    @property
    def name(self) -> str:
        """Short name, e.g. ``3+3`` or ``BOIN``."""
        ...

    @property
    def ladder(self) -> DoseLadder:
        """The dose levels, lowest first."""
        ...

    @property
    def start(self) -> Label:
        """The level the first cohort receives."""
        ...

    @property
    def cohort_size(self) -> int:
        """Subjects per cohort."""
        ...

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """The decision after ``history`` (an empty history gives the start level)."""
        ...
