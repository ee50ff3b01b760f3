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

from trialdesk.design.history import Label
from trialdesk.errors import DesignInputError

__all__ = ["OperatingCharacteristics", "checked_true_tox"]

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
