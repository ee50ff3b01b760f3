"""The continual reassessment method: its one-parameter models and their fit.

Models (O'Quigley, Pepe & Fisher 1990, Biometrics 46:33; Cheung 2011, *Dose Finding by the
Continual Reassessment Method*, ch. 3-4), for a skeleton ``s`` of prior DLT guesses: ``empiric``
``p_i(β) = s_i ** exp(β)``; ``logistic`` ``p_i(β) = expit(a + exp(β) x_i)`` with the scaled dose
``x_i = logit(s_i) - a`` back-solved at ``β = 0``, intercept ``a`` (3). ``β ~ N(0, prior_var)``
(1.34). A subject at dose ``i`` adds ``y log p_i + (1 - y) log(1 - w p_i)`` to the likelihood,
``w`` its TITE-CRM weight (Cheung & Chappell 2000, Biometrics 56:1177; 1 if complete or a DLT).

The numbers are dfcrm 0.2-2.1's (Cheung; GPL: read for its facts, no code taken). From its R
source, by function:

* ``crm``/``titecrm``: the scaled doses (all negative in the logistic model, else it stops);
  posterior mean ``∫_{-10}^{10} β h / ∫_{-∞}^{∞} h``, ``E β²`` likewise (``h`` prior times
  likelihood: ``crmh``, ``crmht``, ``crmht2``, ``crmhlgt``...), ``post.var = E β² - mean²``;
  ``ptox`` plugged in at the mean; bounds ``p_i(mean ± z sqrt(post.var))``, ``z = qnorm(0.5 +
  conf.level/2)`` (the upper ``β`` gives the lower bound); R's ``integrate`` (QUADPACK
  ``dqags``/``dqagi``, ``rel.tol = eps^0.25``, ``abs.tol = 0``, 100 subintervals).
* ``method = "mle"``: ``optimize(lcrm, c(-10, 10), tol = 1e-4)`` (Brent's bounded search; so
  the MLE is as precise as dfcrm's, about 1e-4); its variance: ``E β²`` under ``N(0, 500²)``
  over ``[-100, 100]``, divided by the normaliser over ``[-10, 10]``, minus the MLE squared
  (``crm``; ``titecrm`` uses ``[-10, 10]`` for both, 4e-10 apart on its example). It needs a
  DLT and a subject without one ("mle does not exist!").
* The recommended dose: the closest to the target, the lowest on a tie (``order(abs(ptox -
  target))[1]``).

Integration (:mod:`trialdesk.design._crm_posterior`): ``"grid"`` (default) sums prior times
likelihood over 801 fixed points on ``[-10, 10]``, checks itself against the 401-point sums and
the integrand's ends, and falls back to ``"quad"``, dfcrm's own QUADPACK rules and tolerances;
the two agree to 5e-13 where the grid is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from trialdesk.design import _crm_posterior as numerics
from trialdesk.design.decision import ModelFit
from trialdesk.errors import DesignInputError

__all__ = [
    "CrmData",
    "CrmModel",
    "CrmPosterior",
    "Estimation",
    "Integration",
    "ModelName",
    "compute_posterior",
    "compute_toxicity",
    "fit_crm",
]

ModelName = Literal["empiric", "logistic"]
Estimation = Literal["bayes", "mle"]
Integration = Literal["grid", "quad"]
Vector = NDArray[np.float64]

_MLE_TOLERANCE = 1e-4  # dfcrm: optimize(..., tol = 0.0001)
_BETA_CLIP = 700.0  # beyond ±700 each p_i is 0 or 1 to double precision; exp must stay finite


def _check_open_unit(argument: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise DesignInputError(argument, value, "a number strictly between 0 and 1")


@dataclass(frozen=True, slots=True)
class CrmModel:
    """A configured CRM model: skeleton, working model, intercept, prior variance of ``β``.

    Raises:
        DesignInputError: a skeleton not strictly increasing inside (0, 1), an unknown model, a
            prior variance not above 0, or (logistic) an intercept so small that a scaled
            dose is not negative.
    """

    skeleton: tuple[float, ...]
    model: ModelName = "empiric"
    intercept: float = 3.0
    prior_var: float = 1.34
    _x: Vector = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_skeleton(self.skeleton)
        object.__setattr__(self, "skeleton", tuple(float(s) for s in self.skeleton))
        if self.model not in ("empiric", "logistic"):
            raise DesignInputError("model", self.model, "'empiric' or 'logistic'")
        if not self.prior_var > 0.0 or math.isinf(self.prior_var):
            raise DesignInputError("prior_var", self.prior_var, "a finite number above 0")
        top = special.logit(self.skeleton[-1])
        if self.model == "logistic" and not self.intercept > top:
            raise DesignInputError(
                "intercept", self.intercept, f"above logit of the top skeleton value ({top:.4g})"
            )
        skeleton = np.asarray(self.skeleton)
        x = skeleton if self.model == "empiric" else special.logit(skeleton) - self.intercept
        x.flags.writeable = False
        object.__setattr__(self, "_x", x)

    @property
    def doses(self) -> Vector:
        """The scaled doses ``x_i``: the skeleton (empiric) or ``logit(s_i) - a`` (logistic)."""
        return self._x

    def log_terms(self, beta: Vector) -> tuple[Vector, Vector, Vector]:
        """``log p``, ``log(1 - p)`` and ``p``: a row per dose, a column per ``beta``."""
        scale = np.exp(np.clip(beta, -_BETA_CLIP, _BETA_CLIP))[None, :]
        if self.model == "empiric":
            log_p = np.log(self._x)[:, None] * scale
            log_q = np.log(-np.expm1(log_p))
        else:
            z = self.intercept + self._x[:, None] * scale
            log_p, log_q = -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
        return log_p, log_q, np.exp(log_p)


def _check_skeleton(skeleton: tuple[float, ...]) -> None:
    try:
        values = np.asarray(skeleton, dtype=float)
    except (TypeError, ValueError):
        raise DesignInputError("skeleton", skeleton, "a sequence of probabilities") from None
    if values.ndim != 1 or values.size == 0 or not np.all((values > 0.0) & (values < 1.0)):
        raise DesignInputError("skeleton", skeleton, "probabilities strictly between 0 and 1")
    if np.any(np.diff(values) <= 0.0):
        raise DesignInputError("skeleton", skeleton, "strictly increasing values")


@dataclass(frozen=True, slots=True)
class CrmData:
    """What the likelihood needs, per dose position (0 = lowest).

    ``dlt``: subjects with a DLT (weight 1); ``complete``: subjects without a DLT whose window is
    complete (weight 1); ``partial``: ``(dose, weight)`` of subjects without a DLT still inside
    their window (TITE-CRM, weight in [0, 1)).
    """

    dlt: tuple[int, ...]
    complete: tuple[int, ...]
    partial: tuple[tuple[int, float], ...] = ()

    def __post_init__(self) -> None:
        counts = (*self.dlt, *self.complete)
        if len(self.dlt) != len(self.complete) or any(count < 0 for count in counts):
            expected = "counts at or above 0, as many DLT as complete counts"
            raise DesignInputError("data", (self.dlt, self.complete), expected)
        for level, weight in self.partial:
            if not 0 <= level < len(self.dlt) or not 0.0 <= weight < 1.0:
                expected = f"a dose position below {len(self.dlt)} and a weight in [0, 1)"
                raise DesignInputError("partial", (level, weight), expected)

    @classmethod
    def from_subjects(
        cls, doses: int, levels: Sequence[int], dlt: Sequence[bool], weights: Sequence[float] = ()
    ) -> CrmData:
        """Tally subjects as dfcrm takes them: dose positions, DLT flags, optional weights.

        As in dfcrm's ``titecrm``, a subject with a DLT weighs 1 whatever its given weight.
        Refuses (``DesignInputError``) unequal lengths, a position or a weight out of range.
        """
        weights = tuple(weights) if weights else (1.0,) * len(levels)
        if not len(levels) == len(dlt) == len(weights):
            raise DesignInputError("levels", levels, "as many levels, DLT flags and weights")
        y, m, partial = [0] * doses, [0] * doses, []
        for level, toxic, weight in zip(levels, dlt, weights, strict=True):
            if not 0 <= level < doses:
                raise DesignInputError("levels", level, f"a dose position from 0 to {doses - 1}")
            if not 0.0 <= weight <= 1.0:
                raise DesignInputError("weights", weight, "a weight between 0 and 1")
            if toxic:
                y[level] += 1
            elif weight == 1.0:
                m[level] += 1
            else:
                partial.append((level, float(weight)))
        return cls(tuple(y), tuple(m), tuple(partial))

    @property
    def mle_exists(self) -> bool:
        """Whether the MLE exists (dfcrm's test): at least one DLT and one subject without."""
        return sum(self.dlt) > 0 and sum(self.complete) + len(self.partial) > 0


def compute_toxicity(model: CrmModel, beta: float) -> tuple[float, ...]:
    """The per-dose DLT probabilities ``p_i(β)``."""
    return tuple(float(p) for p in model.log_terms(np.array([beta]))[2][:, 0])


def _check_sizes(model: CrmModel, data: CrmData) -> None:
    if len(data.dlt) != len(model.skeleton):
        raise DesignInputError("data", data, f"counts for each of the {len(model.skeleton)} doses")


def _fit_at(model: CrmModel, estimate: float, variance: float, conf_level: float) -> ModelFit:
    """``p_i`` at ``estimate`` and at ``estimate ∓ z sd`` (dfcrm's plug-in estimates, bounds).

    A negative variance (the MLE's approximation can give one) makes a zero-width interval
    where dfcrm's ``sqrt`` would give NaN bounds.
    """
    _check_open_unit("conf_level", conf_level)
    half_width = float(special.ndtri(0.5 + conf_level / 2.0)) * math.sqrt(max(variance, 0.0))
    p_tox = model.log_terms(np.array([estimate, estimate + half_width, estimate - half_width]))[2]
    return ModelFit(
        estimate=estimate,
        post_var=variance,
        p_tox=tuple(p_tox[:, 0].tolist()),
        p_tox_lower=tuple(p_tox[:, 1].tolist()),
        p_tox_upper=tuple(p_tox[:, 2].tolist()),
    )


@dataclass(frozen=True, slots=True)
class CrmPosterior:
    """The posterior of ``β`` given ``data``: its mean and variance, tail probabilities.

    ``integration`` is how the moments were found: ``grid``, or ``quad`` when asked for or when
    the grid's self-check failed; ``density`` holds the grid values (peak 1), ``None`` after quad.
    """

    model: CrmModel
    data: CrmData
    mean: float
    variance: float
    integration: Integration
    density: Vector | None = field(default=None, repr=False, compare=False)

    def to_fit(self, conf_level: float = 0.90) -> ModelFit:
        """The fit as dfcrm's ``crm(method = "bayes")`` reports it, bounds at ``conf_level``."""
        return _fit_at(self.model, self.mean, self.variance, conf_level)

    def prob_above(self, dose: int, threshold: float) -> float:
        """Posterior probability that dose ``dose``'s DLT probability exceeds ``threshold``.

        ``p_dose`` falls as ``β`` rises: this is the probability of ``β`` below the root of
        ``p_dose(β) = threshold``. On the grid it integrates the density's sinc interpolant
        (within 1e-11 of quad), checked against the half grid; else quad at ``rel.tol = 1e-10``.
        """
        _check_open_unit("threshold", threshold)
        beta = numerics.beta_at(self.model, dose, threshold)
        if beta is None:
            return 0.0
        if self.density is not None:
            tail, checked = numerics.grid_tail(self.density, beta)
            if checked:
                return float(tail)
        return numerics.quad_tail(self.model, self.data, beta)


def compute_posterior(
    model: CrmModel, data: CrmData, integration: Integration = "grid"
) -> CrmPosterior:
    """The posterior of ``β`` under ``N(0, prior_var)``, on the grid or by QUADPACK."""
    _check_sizes(model, data)
    density = numerics.grid_density(model, data) if integration == "grid" else None
    if density is not None:
        beta = numerics.GridTables.of(model).beta
        grid_mean, grid_variance, agreed = numerics.checked_moments(beta, density)
        if agreed:
            return CrmPosterior(
                model, data, float(grid_mean), float(grid_variance), "grid", density
            )
    mean, variance = numerics.moments_by_quad(model, data, math.sqrt(model.prior_var))
    return CrmPosterior(model, data, mean, variance, "quad")


def _mle_moments(model: CrmModel, data: CrmData, integration: Integration) -> tuple[float, float]:
    """The MLE as dfcrm finds it (Brent on [-10, 10], tol 1e-4) and its approximate variance.

    On the grid, ``E β²`` under the vague prior over ``[-10, 10]`` stands for dfcrm's
    ``[-100, 100]`` when the integrand is negligible at ``±10`` (checked, else quad).
    """
    _check_sizes(model, data)
    if not data.mle_exists:
        raise DesignInputError(
            "estimation", "mle", "a DLT and a subject without one (else the MLE does not exist)"
        )

    def minus_log_likelihood(beta: float) -> float:
        terms = model.log_terms(np.array([beta]))
        return -float(numerics.log_likelihood(*terms, data=data)[0])

    bounds = (-numerics.GRID_LIMIT, numerics.GRID_LIMIT)
    found = optimize.minimize_scalar(
        minus_log_likelihood, bounds=bounds, method="bounded", options={"xatol": _MLE_TOLERANCE}
    )
    estimate = float(found.x)
    second = numerics.vague_second_moment(model, data, on_grid=integration == "grid")
    return estimate, second - estimate**2


def fit_crm(
    model: CrmModel,
    data: CrmData,
    *,
    estimation: Estimation = "bayes",
    conf_level: float = 0.90,
    integration: Integration = "grid",
) -> ModelFit:
    """Estimate ``β`` and the per-dose DLT probabilities, as dfcrm's ``crm``/``titecrm``.

    Bayes: the posterior mean and variance of ``β``; MLE: dfcrm's maximum likelihood estimate
    and its approximate variance. ``p_tox`` is plugged in at the estimate; the bounds are
    ``p_i(estimate ∓ z sqrt(post_var))``, ``z`` the normal quantile for ``conf_level``.

    Raises:
        DesignInputError: ``conf_level`` outside (0, 1), an unknown estimation, or an MLE asked
            of data without both a DLT and a subject without one.
    """
    if estimation == "bayes":
        return compute_posterior(model, data, integration).to_fit(conf_level)
    if estimation == "mle":
        return _fit_at(model, *_mle_moments(model, data, integration), conf_level)
    raise DesignInputError("estimation", estimation, "'bayes' or 'mle'")
