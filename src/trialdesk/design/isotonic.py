"""Isotonic MTD selection (PAVA) and the Beta(1, 1) overdose rule shared by interval designs.

The selector reproduces ``select.mtd`` of the BOIN R package 2.7.2 (Liu & Yuan 2015,
JRSS-C 64:507; Yan et al. 2020, J Stat Softw 94(13)); ``select.mtd.kb`` of the Keyboard
package 0.1.3 is the same algorithm without ``boundMTD``. Facts read in the package source:

* **Elimination** (``select.mtd``): doses are scanned from the lowest; the first dose with
  ``n >= 3`` and ``P(p > target | y, n) > cutoff.eli`` under a Beta(1, 1) prior is
  eliminated together with every dose above it. With ``extrasafe``, every dose is
  eliminated when the lowest has ``n >= 3`` and that probability exceeds
  ``cutoff.eli - offset``. No dose is selected when the lowest dose is eliminated or no
  admissible dose has been given to anyone.
* **Estimates**: only doses with ``n > 0`` that are not eliminated enter;
  ``phat = (y + 0.05) / (n + 0.1)`` (a Beta(0.05, 0.05) posterior mean) with weights
  ``1 / var``, ``var = (y + 0.05)(n - y + 0.05) / ((n + 0.1)^2 (n + 0.1 + 1))``, then
  weighted PAVA.
* **Ties**: the package adds ``i * 1e-10`` to the ``i``-th admissible estimate (so a
  higher dose is very slightly more toxic) and takes the first index of R's stable
  ``sort(abs(phat - target))``. Among doses pooled to one estimate this selects the
  highest dose when the estimate is below the target and the lowest when it is above
  (as the ``select.mtd`` help page states); an exact distance tie otherwise goes to the
  lower dose.
* **boundMTD**: admissible estimates (after the tie perturbation) must be
  ``<= lambda_d``; none left means no MTD. The help page says "less than"; the code
  keeps ``<=``, and so do we. ``lambda_d`` is the closed form of ``get.boundary``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from scipy import special

from trialdesk.design.history import DoseCounts, DoseLadder, Label
from trialdesk.errors import DesignInputError

__all__ = [
    "IsotonicSelector",
    "MtdSelection",
    "OverdoseRule",
    "SelectOptions",
    "pava",
    "prob_above_target",
    "select_mtd_boin",
]

# select.mtd: the 1e-10 per dose that breaks ties between pooled estimates.
_TIE_STEP = 1e-10


def prob_above_target(target: float, n: int, y: int) -> float:
    """``P(p > target | y of n)`` under a Beta(1, 1) prior: ``1 - pbeta(target, y+1, n-y+1)``."""
    return float(special.betaincc(y + 1, n - y + 1, target))


@dataclass(frozen=True, slots=True)
class OverdoseRule:
    """Eliminate a dose (and all above) when ``n >= min_n`` and ``P(p > target) > cutoff``.

    The safety rule of BOIN ``get.boundary``/``get.oc`` and of Keyboard ``get.oc.kb``
    (both check ``n >= 3`` in the trial), with the mTPI/mTPI-2 threshold ``xi = 0.95``.
    """

    cutoff: float = 0.95
    min_n: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.cutoff < 1:
            raise DesignInputError("cutoff_eli", self.cutoff, "a probability in (0, 1)")
        if self.min_n < 1:
            raise DesignInputError("min_n", self.min_n, "an integer >= 1")

    def eliminates(self, target: float, n: int, y: int) -> bool:
        """Whether ``y`` DLTs of ``n`` make the dose overly toxic."""
        return n >= self.min_n and prob_above_target(target, n, y) > self.cutoff


def pava(values: Sequence[float], weights: Sequence[float] | None = None) -> tuple[float, ...]:
    """Weighted isotonic (non-decreasing) regression by pooling adjacent violators.

    Barlow et al. (1972) *Statistical Inference under Order Restrictions*; the same
    fit as the ``pava`` helper inside BOIN ``select.mtd`` (only strict decreases pool).
    """
    w = [1.0] * len(values) if weights is None else [float(x) for x in weights]
    if len(w) != len(values):
        raise DesignInputError("weights", weights, f"{len(values)} weights, one per value")
    blocks: list[tuple[float, float, int]] = []  # (mean, weight, size)
    for value, weight in zip(values, w, strict=True):
        mean, total, size = float(value), weight, 1
        while blocks and blocks[-1][0] > mean:
            prev_mean, prev_total, prev_size = blocks.pop()
            mean = (prev_mean * prev_total + mean * total) / (prev_total + total)
            total, size = prev_total + total, prev_size + size
        blocks.append((mean, total, size))
    return tuple(mean for mean, _, size in blocks for _ in range(size))


@dataclass(frozen=True, slots=True)
class SelectOptions:
    """``select.mtd``'s options, named as in BOIN 2.7.2 (dots become underscores).

    ``p_tox`` defaults to ``1.4 * target``. ``eliminated_from`` is the trial's own record
    (the position of the lowest eliminated dose); ``None`` lets the counts decide, as
    ``select.mtd`` does.
    """

    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    bound_mtd: bool = False
    p_tox: float | None = None
    eliminated_from: int | None = None


@dataclass(frozen=True, slots=True)
class MtdSelection:
    """The selected MTD (``None`` when none is), why, and the isotonic estimates used.

    ``estimates`` holds one entry per dose: the isotonic estimate for admissible treated
    doses, ``None`` for doses untreated or eliminated.
    """

    mtd: Label | None
    reason: str
    estimates: tuple[float | None, ...]


def _eliminated_from(
    target: float, n: Sequence[int], y: Sequence[int], cutoff: float
) -> int | None:
    rule = OverdoseRule(cutoff)
    return next(
        (i for i, (ni, yi) in enumerate(zip(n, y, strict=True)) if rule.eliminates(target, ni, yi)),
        None,
    )


def _lambda_d(target: float, p_tox: float) -> float:
    # Liu & Yuan (2015) closed form, as computed in select.mtd and get.boundary.
    return math.log((1 - target) / (1 - p_tox)) / math.log(
        p_tox * (1 - target) / (target * (1 - p_tox))
    )


def _check_counts(n: Sequence[int], y: Sequence[int], labels: Sequence[Label]) -> None:
    if not len(n) == len(y) == len(labels) or not n:
        raise DesignInputError("n", n, "one count per dose, as many as y and the labels")
    for i, (ni, yi) in enumerate(zip(n, y, strict=True)):
        if not 0 <= yi <= ni:
            raise DesignInputError(f"y[{i}]", yi, f"0 <= y <= n = {ni}")


def _admissible(
    n: Sequence[int], y: Sequence[int], target: float, options: SelectOptions
) -> list[int]:
    first_out = options.eliminated_from
    if first_out is None:
        first_out = _eliminated_from(target, n, y, options.cutoff_eli)
    lowest_unsafe = options.extrasafe and n[0] >= 3
    if (
        lowest_unsafe
        and prob_above_target(target, n[0], y[0]) > options.cutoff_eli - options.offset
    ):
        first_out = 0
    stop = len(n) if first_out is None else first_out
    return [i for i in range(stop) if n[i] > 0]


def select_mtd_boin(
    target: float,
    n: Sequence[int],
    y: Sequence[int],
    options: SelectOptions | None = None,
    labels: Sequence[Label] | None = None,
) -> MtdSelection:
    """The MTD of a finished trial by BOIN ``select.mtd`` (see the module notes).

    ``labels`` name the doses (default 1, 2, ...). Returns the selected label, or
    ``None`` with the reason (lowest dose eliminated, nothing admissible, or every
    estimate above ``lambda_d`` with ``bound_mtd``).
    """
    opts = SelectOptions() if options is None else options
    names: list[Label] = list(range(1, len(n) + 1)) if labels is None else list(labels)
    _check_counts(n, y, names)
    admissible = _admissible(n, y, target, opts)
    estimates: list[float | None] = [None] * len(n)
    if not admissible:
        reason = "no MTD: the lowest dose is eliminated or no admissible dose was given"
        return MtdSelection(None, reason, tuple(estimates))
    phat = [(y[i] + 0.05) / (n[i] + 0.1) for i in admissible]
    var = [
        (y[i] + 0.05) * (n[i] - y[i] + 0.05) / ((n[i] + 0.1) ** 2 * (n[i] + 0.1 + 1))
        for i in admissible
    ]
    fitted = pava(phat, [1 / v for v in var])
    for i, value in zip(admissible, fitted, strict=True):
        estimates[i] = value
    best, reason = _closest(target, fitted, opts)
    if best is None:
        return MtdSelection(None, reason, tuple(estimates))
    label = names[admissible[best]]
    return MtdSelection(label, f"level {label} has {reason}", tuple(estimates))


def _closest(
    target: float, fitted: tuple[float, ...], opts: SelectOptions
) -> tuple[int | None, str]:
    """Position (among admissible doses) of the estimate closest to the target, and why."""
    perturbed = [value + (k + 1) * _TIE_STEP for k, value in enumerate(fitted)]
    candidates = list(range(len(perturbed)))
    if opts.bound_mtd:
        bound = _lambda_d(target, 1.4 * target if opts.p_tox is None else opts.p_tox)
        candidates = [k for k in candidates if perturbed[k] <= bound]
        if not candidates:
            return None, f"no MTD: every isotonic estimate exceeds lambda_d = {bound:.4f}"
    # min() keeps the first of equal distances, as R's stable sort(index.return = TRUE).
    best = min(candidates, key=lambda k: abs(perturbed[k] - target))
    return best, f"the isotonic estimate {fitted[best]:.3f}, closest to the target {target:g}"


@dataclass(frozen=True, slots=True)
class IsotonicSelector:
    """BOIN's MTD selection as a design's selector (counts in ladder order)."""

    target: float
    options: SelectOptions = field(default_factory=SelectOptions)

    def select(
        self, ladder: DoseLadder, counts: Sequence[DoseCounts], eliminated_from: int | None
    ) -> MtdSelection:
        """Select from the per-dose counts; ``eliminated_from`` is the trial's record.

        The trial's record replaces ``select.mtd``'s recomputation from the counts (the
        two agree for a trial run by the table; a table loaded from a file may eliminate
        by its own rule). ``None`` means nothing was eliminated.
        """
        first_out = len(counts) if eliminated_from is None else eliminated_from
        return select_mtd_boin(
            self.target,
            [c.n for c in counts],
            [c.y for c in counts],
            replace(self.options, eliminated_from=first_out),
            ladder.labels,
        )
