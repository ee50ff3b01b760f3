"""Operating characteristics: what a design does, on average, at given true DLT rates.

One result type for every design and method (exact enumeration or Monte
Carlo), so tables, the command line's JSON and the tests read one shape.
Per-dose tuples follow the ladder (lowest dose first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from trialdesk.design.history import Label
from trialdesk.errors import DesignInputError

__all__ = [
    "OperatingCharacteristics",
    "SimulatedTrials",
    "checked_true_tox",
    "summarise_simulation",
]

Num = TypeVar("Num", float, Fraction)


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics(Generic[Num]):
    """``p_select`` per dose plus ``p_no_mtd`` sum to 1; ``n_distribution``: total N -> P.

    ``n_terminal_paths`` is counted by exact path enumeration only; ``se`` holds
    Monte Carlo standard errors (same keys as the estimates), ``None`` when exact.
    """

    labels: tuple[Label, ...]
    p_select: tuple[Num, ...]
    p_no_mtd: Num
    expected_n: Num
    expected_n_per_dose: tuple[Num, ...]
    expected_dlt: Num
    expected_dlt_per_dose: tuple[Num, ...]
    n_distribution: Mapping[int, Num]
    n_terminal_paths: int | None = None
    se: Mapping[str, object] | None = field(default=None)
    method: str = "exact"


def checked_true_tox(true_tox: Sequence[Num], levels: int) -> tuple[Num, ...]:
    """The true DLT probabilities, one per dose, each in [0, 1]; else a named error."""
    values = tuple(true_tox)
    if len(values) != levels:
        raise DesignInputError("true_tox", list(values), f"{levels} probabilities, one per dose")
    for position, value in enumerate(values, start=1):
        if not 0 <= value <= 1:
            raise DesignInputError(
                "true_tox", value, f"a probability in [0, 1] at position {position}"
            )
    return values


@dataclass(frozen=True, slots=True)
class SimulatedTrials:
    """Raw simulated trials: the MTD position per trial (negative: none), n and y per dose.

    Batches of the same scenario concatenate into one (a long run in chunks, with a
    progress bar, gives the very numbers of one batch over the same tolerances).
    """

    selected: NDArray[np.int64]
    n: NDArray[np.int64]
    y: NDArray[np.int64]

    @staticmethod
    def concatenate(parts: Sequence[SimulatedTrials]) -> SimulatedTrials:
        """One batch of all the parts' trials, in order."""
        return SimulatedTrials(
            np.concatenate([part.selected for part in parts]),
            np.concatenate([part.n for part in parts]),
            np.concatenate([part.y for part in parts]),
        )

    def summarise(self, labels: tuple[Label, ...]) -> OperatingCharacteristics[float]:
        """Monte Carlo OCs of these trials (see :func:`summarise_simulation`)."""
        return summarise_simulation(labels, self.selected, self.n, self.y)


def summarise_simulation(
    labels: tuple[Label, ...],
    selected: NDArray[np.int64],
    n: NDArray[np.int64],
    y: NDArray[np.int64],
) -> OperatingCharacteristics[float]:
    """Monte Carlo OCs from simulated trials, with their standard errors.

    ``selected[t]`` is the position of trial t's MTD, negative when it selected
    none; ``n`` and ``y`` are its subjects and DLTs per dose (trials x doses).
    Selection SEs are binomial, sqrt(p (1 - p) / trials); the others are sample
    standard deviations over sqrt(trials) (zero for a single trial).
    """
    trials = selected.size
    picked = np.array([np.mean(selected == d) for d in range(len(labels))])
    no_mtd = float(np.mean(selected < 0))
    totals, dlt_totals = n.sum(axis=1), y.sum(axis=1)
    values, counts = np.unique(totals, return_counts=True)

    def spread(samples: NDArray[np.int64]) -> NDArray[np.float64]:
        if trials < 2:
            return np.zeros(samples.shape[1:])
        deviation: NDArray[np.float64] = samples.std(axis=0, ddof=1) / np.sqrt(trials)
        return deviation

    se: dict[str, object] = {
        "p_select": tuple(float(x) for x in np.sqrt(picked * (1 - picked) / trials)),
        "p_no_mtd": float(np.sqrt(no_mtd * (1 - no_mtd) / trials)),
        "expected_n": float(spread(totals)),
        "expected_n_per_dose": tuple(float(x) for x in spread(n)),
        "expected_dlt": float(spread(dlt_totals)),
    }
    return OperatingCharacteristics(
        labels=labels,
        p_select=tuple(float(x) for x in picked),
        p_no_mtd=no_mtd,
        expected_n=float(totals.mean()),
        expected_n_per_dose=tuple(float(x) for x in n.mean(axis=0)),
        expected_dlt=float(dlt_totals.mean()),
        expected_dlt_per_dose=tuple(float(x) for x in y.mean(axis=0)),
        n_distribution={int(v): float(c) / trials for v, c in zip(values, counts, strict=True)},
        se=se,
        method="mc",
    )
