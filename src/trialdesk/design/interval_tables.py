"""Decision tables of the Keyboard, mTPI-2 and i3+3 designs.

All three use a Beta(1, 1) prior and the same overdose rule for DU (a dose is eliminated,
with all above, when ``n >= 3`` and ``P(p > target | data) > 0.95``; see
:class:`~trialdesk.design.isotonic.OverdoseRule`). DU is checked first for every cell, as
Keyboard ``get.boundary.kb`` does. Run a table with
:class:`~trialdesk.design.decision_table.TableDesign` and an
:class:`~trialdesk.design.isotonic.IsotonicSelector` (``select.mtd.kb`` is ``select.mtd``).

* **Keyboard** (Yan, Mandrekar & Yuan 2017, Clin Cancer Res 23:3994; Keyboard R package
  0.1.3, ``get.boundary.kb``): keys of the target key's width
  ``(target - margin_left, target + margin_right)`` tile [0, 1] outwards; the end keys are
  cut at 0 and 1 and their mass is multiplied by ``(margin_left + margin_right) / width``.
  The strongest key is the one with the largest (scaled) posterior mass, ties to the
  higher key; left of the target key -> E, the target key -> S, right -> D. The package's
  printed table also marks DU for n < 3 (e.g. 2/2 at target 0.3), but ``get.oc.kb``
  eliminates only when ``n >= 3``; we follow the trial (``OverdoseRule(min_n=1)``
  reproduces the print). ``get.oc.kb`` also ignores its own ``marginL``, ``marginR`` and
  ``cutoff.eli`` when it builds the table (it calls ``get.boundary.kb`` with defaults).
* **mTPI-2** (Guo et al. 2017, Contemp Clin Trials 58:23): the equivalence interval
  ``[target - eps1, target + eps2]`` and intervals of the same length below and above it
  (cut at 0 and 1); the decision follows the interval with the largest unit probability
  mass (posterior mass / length). Ties are not discussed in the paper; they go to the
  higher interval here, as in Keyboard.
* **i3+3** (Liu, Wang & Ji 2020, J Biopharm Stat 30:294): E if ``y/n < target - eps1``,
  S if ``y/n`` is in the interval, D if ``y/n > target + eps2`` unless
  ``(y - 1)/n < target - eps1`` (then S). Rates and interval edges are compared exactly,
  taking ``target`` and the margins as the decimals written (1/5 is inside [0.20, 0.30]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
from scipy import special

from trialdesk.design.decision_table import Action, DecisionTable
from trialdesk.design.isotonic import OverdoseRule
from trialdesk.errors import DesignInputError

__all__ = ["i3plus3_table", "keyboard_table", "mtpi2_table"]


def _check(target: float, max_n: int, margins: tuple[tuple[str, float], tuple[str, float]]) -> None:
    if not 0 < target < 1:
        raise DesignInputError("target", target, "a target DLT rate in (0, 1)")
    if max_n < 1:
        raise DesignInputError("max_n", max_n, "an integer >= 1")
    (left_name, left), (right_name, right) = margins
    if not 0 < left < target:
        raise DesignInputError(left_name, left, f"a margin in (0, target = {target:g})")
    if not 0 < right < 1 - target:
        raise DesignInputError(right_name, right, f"a margin in (0, 1 - target = {1 - target:g})")


def _keys(lower: float, upper: float) -> tuple[list[float], int]:
    """Interval edges tiling [0, 1] from ``[lower, upper]``, and the target key's position.

    Edges are stepped as ``get.boundary.kb``'s ``getkey`` steps them (``lower - i * width``),
    so that the floating-point edges are the package's.
    """
    width = upper - lower
    left: list[float] = []
    i = 0
    while not left or left[0] > 0:
        i += 1
        left.insert(0, lower - i * width)
    right: list[float] = []
    i = 0
    while not right or right[-1] < 1:
        i += 1
        right.append(upper + i * width)
    edges = [max(x, 0.0) for x in left] + [lower, upper] + [min(x, 1.0) for x in right]
    return edges, len(left)


def _interval_rule(
    target: float,
    lower: float,
    upper: float,
    weights: Callable[[Sequence[float]], np.ndarray],
    elimination: OverdoseRule,
) -> Callable[[int, int], Action]:
    """The rule "follow the interval with the largest weighted posterior mass"."""
    edges, target_key = _keys(lower, upper)
    scale = weights(edges)

    def rule(n: int, y: int) -> Action:
        if elimination.eliminates(target, n, y):
            return Action.ELIMINATE
        score = np.diff(special.betainc(y + 1, n - y + 1, edges)) * scale
        strongest = int(np.flatnonzero(score == score.max())[-1])  # ties: the higher key
        if strongest < target_key:
            return Action.ESCALATE
        return Action.STAY if strongest == target_key else Action.DEESCALATE

    return rule


def keyboard_table(
    target: float,
    max_n: int,
    *,
    margin_left: float = 0.05,
    margin_right: float = 0.05,
    elimination: OverdoseRule | None = None,
) -> DecisionTable:
    """The Keyboard decision table for n = 1..max_n (``get.boundary.kb``; module notes)."""
    _check(target, max_n, (("margin_left", margin_left), ("margin_right", margin_right)))

    def weights(edges: Sequence[float]) -> np.ndarray:
        scale = np.ones(len(edges) - 1)
        # get.boundary.kb's "compensation factor for incompleted keys" on both end keys.
        scale[0] = (margin_left + margin_right) / (edges[1] - edges[0])
        scale[-1] = (margin_left + margin_right) / (edges[-1] - edges[-2])
        return scale

    rule = _interval_rule(
        target, target - margin_left, target + margin_right, weights, elimination or OverdoseRule()
    )
    return DecisionTable.from_rule(max_n, rule)


def mtpi2_table(
    target: float,
    max_n: int,
    *,
    eps1: float = 0.05,
    eps2: float = 0.05,
    elimination: OverdoseRule | None = None,
) -> DecisionTable:
    """The mTPI-2 decision table for n = 1..max_n: the largest unit probability mass wins."""
    _check(target, max_n, (("eps1", eps1), ("eps2", eps2)))

    def weights(edges: Sequence[float]) -> np.ndarray:
        return 1 / np.diff(np.asarray(edges))

    rule = _interval_rule(
        target, target - eps1, target + eps2, weights, elimination or OverdoseRule()
    )
    return DecisionTable.from_rule(max_n, rule)


def _as_written(x: float) -> Fraction:
    return Fraction(repr(x))


def i3plus3_table(
    target: float,
    max_n: int,
    *,
    eps1: float = 0.05,
    eps2: float = 0.05,
    elimination: OverdoseRule | None = None,
) -> DecisionTable:
    """The i3+3 decision table for n = 1..max_n (Liu, Wang & Ji 2020; module notes)."""
    _check(target, max_n, (("eps1", eps1), ("eps2", eps2)))
    low = _as_written(target) - _as_written(eps1)
    high = _as_written(target) + _as_written(eps2)
    overdose = elimination or OverdoseRule()

    def rule(n: int, y: int) -> Action:
        if overdose.eliminates(target, n, y):
            return Action.ELIMINATE
        if Fraction(y, n) < low:
            return Action.ESCALATE
        if Fraction(y, n) <= high or Fraction(y - 1, n) < low:
            return Action.STAY
        return Action.DEESCALATE

    return DecisionTable.from_rule(max_n, rule)
