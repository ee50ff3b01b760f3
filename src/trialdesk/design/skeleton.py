"""CRM skeletons calibrated by indifference intervals (Lee & Cheung 2009, Clin Trials 6:227).

A skeleton is the CRM's prior guess of each dose's DLT probability. Lee & Cheung choose it so
that the model's indifference intervals all have the same half-width ``δ`` around the target
``θ``: at the ``β`` where the model switches its choice from dose ``k`` to dose ``k + 1``, the
two doses sit at ``θ - δ`` and ``θ + δ``. With the prior MTD guess ``nu`` set at ``θ``, this fixes
every other value by a recursion outward from ``nu`` (dfcrm's ``getprior``, read for its facts):

* empiric, ``p = s ** exp(β)``: ``log s_{k+1} = log s_k · log(θ + δ) / log(θ - δ)``, the same
  step down with the ratio inverted; so ``s_k = θ ** (r ** (k - nu))``, ``r = log(θ + δ) /
  log(θ - δ)``.
* logistic, ``p = expit(a + exp(β) x)``: the scaled doses ``x_k = logit(s_k) - a`` step by
  ``c = (logit(θ + δ) - a) / (logit(θ - δ) - a)``, so ``x_k = (logit θ - a) c ** (k - nu)``.

The closed forms are the recursion's values (to rounding); the tests compare them with
``getprior`` for the calls in ``tests/data/dfcrm/getprior.json``.
"""

from __future__ import annotations

import math

from scipy import special

from trialdesk.design.crm import ModelName
from trialdesk.errors import DesignInputError

__all__ = ["calibrate_skeleton"]


def _check(target: float, halfwidth: float, nu: int, levels: int) -> None:
    if not 0.0 < target < 1.0:
        raise DesignInputError("target", target, "a number strictly between 0 and 1")
    limit = min(target, 1.0 - target)
    if not 0.0 < halfwidth < limit:
        raise DesignInputError("halfwidth", halfwidth, f"a number strictly between 0 and {limit:g}")
    if type(levels) is not int or levels < 1:
        raise DesignInputError("levels", levels, "a whole number of dose levels, at least 1")
    if type(nu) is not int or not 1 <= nu <= levels:
        raise DesignInputError(
            "nu", nu, f"the prior MTD's level, a whole number from 1 to {levels}"
        )


def calibrate_skeleton(  # noqa: PLR0913 -- getprior's six arguments, in its order
    target: float,
    halfwidth: float,
    nu: int,
    levels: int,
    *,
    model: ModelName = "empiric",
    intercept: float = 3.0,
) -> tuple[float, ...]:
    """The skeleton of dfcrm's ``getprior(halfwidth, target, nu, nlevel, model, intcpt)``.

    ``nu`` is the level (1 = lowest) whose prior guess is the target.

    Raises:
        DesignInputError: a target outside (0, 1), a half-width outside (0, min(target, 1 -
            target)), ``nu`` outside 1..levels, an unknown model, or (logistic) an intercept
            not above ``logit(target + halfwidth)``, which would make a scaled dose positive.
    """
    _check(target, halfwidth, nu, levels)
    steps = range(1 - nu, levels - nu + 1)
    if model == "empiric":
        ratio = math.log(target + halfwidth) / math.log(target - halfwidth)
        return tuple(target ** (ratio**step) for step in steps)
    if model != "logistic":
        raise DesignInputError("model", model, "'empiric' or 'logistic'")
    upper = float(special.logit(target + halfwidth))
    if not intercept > upper:
        expected = f"above logit(target + halfwidth) = {upper:.4g}, so each scaled dose is negative"
        raise DesignInputError("intercept", intercept, expected)
    ratio = (upper - intercept) / (float(special.logit(target - halfwidth)) - intercept)
    start = float(special.logit(target)) - intercept
    return tuple(float(special.expit(intercept + start * ratio**step)) for step in steps)
