"""Exact operating characteristics of a 3+3 design, by enumerating every trial path.

A 3+3 trial is a finite tree: each cohort of three ends with 0 to 3 DLTs, binomially
distributed with its dose's true DLT probability, and the design's decision after it
names the next cohort's dose or stops. Walking that tree gives every operating
characteristic exactly, with no simulation error: Storer (1989, Biometrics 45:925)
derived the escalation-only design's selection probabilities in closed form from the
per-dose probability of escalating past a dose, (1-p)^3 + 3p(1-p)^5; Lin and Shih
(2001, Biostatistics 2:203) gave them for A+B designs with de-escalation; Norris (2020,
arXiv:2012.05301; R package ``precautionary``, ``exact()``) enumerates the 3+3 paths
(10, 46, 154, 442 for 1 to 4 doses).

The walk drives the design's own rules cohort by cohort, options included, through
:meth:`~trialdesk.design.three_plus_three.ThreePlusThree.step`, the rules on the counts
state (the counts per dose and the current dose, all a 3+3 decision reads) that
``decide`` also applies after replaying a history, so the numbers describe exactly the
rules a trial would be run by. Paths that end in the same counts state are merged as
the walk goes, layer by layer; each layer adds one cohort, so a state belongs to one
layer only and the merge is the memo: each state's step is computed once.
``n_terminal_paths`` counts the paths before merging, each cohort's outcome being its
number of DLTs (orders within a cohort are one outcome), and includes paths of
probability zero: it is a property of the design, not of ``true_tox``. The numbers
agree to 1e-12 with an independent enumeration, R package bcrm's ``threep3``
(Sweeting et al. 2013, J Stat Softw 54(13)), and the path counts with precautionary's
(see the tests).

With :class:`~fractions.Fraction` probabilities every number is an exact ``Fraction``;
with floats, floats.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Generic, TypeVar, overload

from trialdesk.design.history import Label
from trialdesk.design.oc import OperatingCharacteristics
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError

__all__ = ["exact_oc"]

_Num = TypeVar("_Num", Fraction, float)

# A counts state: subjects and DLTs per dose (ladder order) and the dose treated last.
_State = tuple[tuple[int, ...], tuple[int, ...], int | None]


@dataclass(slots=True)
class _Reach(Generic[_Num]):
    """One counts state of a layer: the probability of reaching it, the paths that do."""

    probability: _Num
    paths: int


@dataclass(slots=True)
class _Totals(Generic[_Num]):
    """Probability-weighted sums: per dose over the cohorts treated, the rest over endings.

    The expected subjects and DLTs at a dose are summed cohort by cohort (a cohort of 3
    reached with probability P adds 3P subjects, and P(k DLTs) k DLTs for each k), which
    by linearity equals summing each ending's counts, with far fewer terms.
    """

    zero: _Num
    p_select: list[_Num]
    n_per_dose: list[_Num]
    dlt_per_dose: list[_Num]
    p_no_mtd: _Num
    n_distribution: dict[int, _Num] = field(default_factory=dict)
    paths: int = 0

    def end(self, state: _State, reach: _Reach[_Num], mtd: int | None) -> None:
        """Add the trials that stop in ``state`` with ``mtd`` (a position, or None)."""
        weight = reach.probability
        if mtd is None:
            self.p_no_mtd += weight
        else:
            self.p_select[mtd] += weight
        total = sum(state[0])
        self.n_distribution[total] = self.n_distribution.get(total, self.zero) + weight
        self.paths += reach.paths


@overload
def exact_oc(
    design: ThreePlusThree, true_tox: Sequence[Fraction]
) -> OperatingCharacteristics[Fraction]: ...


@overload
def exact_oc(
    design: ThreePlusThree, true_tox: Sequence[float]
) -> OperatingCharacteristics[float]: ...


def exact_oc(
    design: ThreePlusThree, true_tox: Sequence[float] | Sequence[Fraction]
) -> OperatingCharacteristics[Fraction] | OperatingCharacteristics[float]:
    """Exact operating characteristics of ``design`` at true DLT probabilities ``true_tox``.

    ``true_tox`` has one probability in [0, 1] per dose, in ladder order (a sequence or
    a NumPy vector): all ``Fraction`` for exact results, or all floats (ints allowed)
    for float results.

    Raises:
        DesignInputError: naming ``design`` or ``true_tox`` when either is out of its domain.
    """
    if not isinstance(design, ThreePlusThree):
        raise DesignInputError("design", design, "a ThreePlusThree design")
    values = _checked_tox(design, true_tox)
    exact = [value for value in values if isinstance(value, Fraction)]
    if len(exact) == len(values):
        return _walk(design, exact, Fraction(0))
    return _walk(design, [float(value) for value in values], 0.0)


def _checked_tox(design: ThreePlusThree, true_tox: object) -> list[float | Fraction]:
    """``true_tox`` as a list (any sequence or 1-d array), after checking each value."""
    doses = len(design.ladder)
    values = _as_list(true_tox)
    if values is None or len(values) != doses:
        raise DesignInputError("true_tox", true_tox, f"a sequence of {doses} probabilities")
    for label, value in zip(design.ladder.labels, values, strict=True):
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (real and math.isfinite(value) and 0 <= value <= 1):
            raise DesignInputError(
                "true_tox", true_tox, f"a probability in [0, 1] for level {label}, got {value!r}"
            )
    fractions = sum(isinstance(value, Fraction) for value in values)
    if 0 < fractions < doses:
        raise DesignInputError(
            "true_tox", true_tox, "all Fractions (exact results) or all floats, not a mixture"
        )
    return values


def _as_list(values: object) -> list[Any] | None:
    """The items of a sequence or NumPy vector; None for text, scalars and non-iterables."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        return None
    try:
        return list(values)
    except TypeError:  # a 0-d NumPy array is iterable in type only
        return None


def _walk(design: ThreePlusThree, tox: list[_Num], zero: _Num) -> OperatingCharacteristics[_Num]:
    """Drive ``design.step`` over every path, merging paths that reach the same state."""
    labels = design.ladder.labels
    size = design.cohort_size
    pmf = [
        [math.comb(size, k) * p**k * (1 - p) ** (size - k) for k in range(size + 1)] for p in tox
    ]
    totals = _Totals(zero, [zero] * len(labels), [zero] * len(labels), [zero] * len(labels), zero)
    empty = (0,) * len(labels)
    layer: dict[_State, _Reach[_Num]] = {(empty, empty, None): _Reach(zero + 1, 1)}
    while layer:
        following: dict[_State, _Reach[_Num]] = {}
        for state, reach in layer.items():
            n, y, current = state
            step = design.step(n, y, current)
            dose = step.next_index
            if dose is None:
                totals.end(state, reach, step.mtd_index)
                continue
            totals.n_per_dose[dose] += reach.probability * size
            # Zero-probability outcomes are kept: n_terminal_paths counts them too.
            n_after = _plus(n, dose, size)
            for dlts, p_dlts in enumerate(pmf[dose]):
                child = (n_after, _plus(y, dose, dlts), dose)
                weight = reach.probability * p_dlts
                totals.dlt_per_dose[dose] += weight * dlts
                known = following.get(child)
                if known is None:
                    following[child] = _Reach(weight, reach.paths)
                else:
                    known.probability += weight
                    known.paths += reach.paths
        layer = following
    return _result(labels, totals)


def _plus(counts: tuple[int, ...], index: int, more: int) -> tuple[int, ...]:
    """``counts`` with ``more`` added at ``index``."""
    return (*counts[:index], counts[index] + more, *counts[index + 1 :])


def _result(labels: tuple[Label, ...], totals: _Totals[_Num]) -> OperatingCharacteristics[_Num]:
    return OperatingCharacteristics(
        labels=labels,
        p_select=tuple(totals.p_select),
        p_no_mtd=totals.p_no_mtd,
        expected_n=sum(totals.n_per_dose, totals.zero),
        expected_n_per_dose=tuple(totals.n_per_dose),
        expected_dlt=sum(totals.dlt_per_dose, totals.zero),
        expected_dlt_per_dose=tuple(totals.dlt_per_dose),
        n_distribution={n: p for n, p in sorted(totals.n_distribution.items()) if p},
        n_terminal_paths=totals.paths,
    )
