"""The maximum-likelihood CRM's dose for a batch of trials, as ``CrmDesign.decide`` finds it.

Private: the Monte Carlo of :mod:`trialdesk.design.crm_monte_carlo` and
:mod:`trialdesk.design.tite_monte_carlo` use it for ``estimation="mle"``. The design
(``CrmDesign._fit``) recommends the dose whose DLT probability is closest to the target at

* the MLE of ``β`` when the data hold a DLT and a subject without one (``CrmData.mle_exists``):
  dfcrm's search, Brent's bounded method on ``[-10, 10]`` at ``tol = 1e-4`` (``crm`` and
  ``titecrm``: ``optimize(lcrm, c(-10, 10), tol = 0.0001)``; :func:`~trialdesk.design.crm.fit_crm`);
* else, before that heterogeneity, the posterior mean of ``β`` under the vague ``N(0, 500²)``
  prior (dfcrm's stand-in, ``crmsim``'s ``crm(..., scale = 500)``), integrated by QUADPACK
  as ``crm(method = "bayes")`` does (the grid declines: the integrand is not negligible at ±10).

Neither number can be had to its last bit without its scalar routine, which is slow (0.2 ms a
search, 11 ms a vague mean). So each trial gets a precise value and an interval that must
hold the design's:

* the MLE by bisection on the sign of the score (the log-likelihood is concave in ``exp(β)``
  for the empiric model, and for the logistic one without partial weights), widened by 2e-4:
  Brent's search stops when its bracket ``[a, b]``, which holds the maximum, is at most
  ``4 tol1`` wide, ``tol1 = sqrt(eps) |x| + tol / 3``, so within 1.34e-4 of it on ``[-10, 10]``;
* the vague mean by composite Gauss-Legendre (as QUADPACK at ``rel.tol = 1e-13``, to 1e-16),
  widened by a margin over QUADPACK's own error at R's ``rel.tol = eps^0.25``, which is not
  always as small as it claims. Measured against the precise value: on some 11,000 random
  histories (both models, 3 to 7 doses, up to 40 subjects, some partial weights) the median
  gap was 4e-13, the 99.9th percentile 7e-7; the largest, 3.2e-4, came from complete data
  (logistic, no partial weight), the largest with a partial weight 8e-7; on 1,900 histories
  from simulated TITE-CRM trials (six designs) the largest was 5e-8. So the margin is 5e-3
  for complete data (few distinct states, whose exact doses are remembered) and 1e-5 with
  a subject pending: observed bounds, not proven ones.

The closest dose falls as ``β`` rises, so where it is the same at both ends it is the design's;
elsewhere (or where the caller's restrictions differ between the ends) the caller asks the
design's own numbers (:meth:`MleDoses.exact`), once a state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import special

from trialdesk.design import _crm_posterior as numerics
from trialdesk.design.crm import CrmData, CrmModel, compute_posterior, fit_crm

__all__ = ["MleDoses", "TrialData"]

Counts = NDArray[np.int64]
Vector = NDArray[np.float64]
Flags = NDArray[np.bool_]

VAGUE_PRIOR_VAR = 500.0**2  # CrmDesign's (and dfcrm crmsim's scale = 500) stand-in prior
_BISECTIONS = 26  # [-10, 10] halved to 3e-7
_BRENT_REACH = 2e-4  # Brent at tol 1e-4 stops within 4 (sqrt(eps) 10 + 1e-4 / 3) = 1.34e-4
_QUAD_REACH = 5e-3  # QUADPACK at rel.tol eps^0.25 came within 3.2e-4 of the vague mean
_QUAD_REACH_PENDING = 1e-5  # and within 8e-7 with a subject inside its window
_TAIL_START = 60.0  # beyond ±60 each p_i is constant to double precision
_PANELS = ((-_TAIL_START, -numerics.GRID_LIMIT, 10), (-numerics.GRID_LIMIT, 0.0, 20))
_NODES = 16  # Gauss-Legendre points a panel
_BLOCK = 512  # trials integrated together: 512 x 960 nodes, some 4 MB an array


@dataclass(frozen=True, slots=True)
class TrialData:
    """What the likelihood needs, a row per trial (the batched :class:`~.crm.CrmData`).

    ``dlt`` and ``complete``: subjects with a DLT, and without one whose window is complete,
    per dose; ``pending``: which of the ``pending_dose``/``pending_weight`` columns hold a
    subject without a DLT still inside its window (weight below 1), in the order they came.
    """

    dlt: Counts
    complete: Counts
    pending_dose: Counts
    pending_weight: Vector
    pending: Flags

    @staticmethod
    def of_counts(dlt: Counts, complete: Counts) -> TrialData:
        """Complete data only (the plain CRM)."""
        empty = np.zeros((dlt.shape[0], 0))
        return TrialData(dlt, complete, empty.astype(np.int64), empty, empty.astype(np.bool_))

    def take(self, rows: Flags | NDArray[np.intp]) -> TrialData:
        """The trials of ``rows`` (a mask or positions)."""
        return TrialData(
            self.dlt[rows],
            self.complete[rows],
            self.pending_dose[rows],
            self.pending_weight[rows],
            self.pending[rows],
        )

    @property
    def mle_exists(self) -> Flags:
        """Per trial, ``CrmData.mle_exists``: a DLT and a subject without one."""
        others = self.complete.sum(axis=1) + self.pending.sum(axis=1)
        return np.asarray((self.dlt.sum(axis=1) > 0) & (others > 0))

    def data(self, row: int) -> CrmData:
        """Trial ``row`` as the design tallies it (``CrmData.from_subjects``)."""
        mask = self.pending[row]
        levels, weights = self.pending_dose[row, mask], self.pending_weight[row, mask]
        partial = zip(levels.tolist(), weights.tolist(), strict=True)
        return CrmData(
            tuple(self.dlt[row].tolist()), tuple(self.complete[row].tolist()), tuple(partial)
        )


@dataclass(frozen=True, slots=True)
class _Nodes:
    """Gauss-Legendre nodes over ``[-60, 60]`` and the vague model's terms on them, built once.

    ``inner`` marks the nodes inside ``[-10, 10]`` (dfcrm's numerator); beyond ±60 the
    likelihood is its value at ±60 (``ends``) and the prior integrates to ``tail`` each side.
    """

    beta: Vector
    weight: Vector
    inner: Flags
    log_p: Vector
    log_q: Vector
    p: Vector
    ends: tuple[Vector, Vector, Vector]
    tail: float

    @staticmethod
    @lru_cache(maxsize=8)
    def of(model: CrmModel) -> _Nodes:
        unit, unit_weight = np.polynomial.legendre.leggauss(_NODES)
        halves = []
        for lower, upper, panels in _PANELS:
            edges = np.linspace(lower, upper, panels + 1)
            half = (edges[1:] - edges[:-1])[:, None] / 2.0
            middle = (edges[1:] + edges[:-1])[:, None] / 2.0
            halves.append(((middle + half * unit).ravel(), (half * unit_weight).ravel()))
        left = np.concatenate([beta for beta, _ in halves])
        left_weight = np.concatenate([weight for _, weight in halves])
        beta = np.concatenate((left, -left[::-1]))
        weight = np.concatenate((left_weight, left_weight[::-1]))
        scale = math.sqrt(model.prior_var)
        tail = scale * math.sqrt(math.pi / 2.0) * special.erfc(_TAIL_START / (scale * math.sqrt(2)))
        log_p, log_q, p = model.log_terms(beta)
        ends = model.log_terms(np.array([-_TAIL_START, _TAIL_START]))
        prior_weight = weight * np.exp(-0.5 * (beta / scale) ** 2)
        inner = np.abs(beta) <= numerics.GRID_LIMIT
        return _Nodes(beta, prior_weight, inner, log_p, log_q, p, ends, float(tail))


def _log_likelihood(data: TrialData, log_p: Vector, log_q: Vector, p: Vector) -> Vector:
    """Each trial's log-likelihood at each ``β`` of the tables (a column each)."""
    total: Vector = data.dlt.astype(np.float64) @ log_p + data.complete.astype(np.float64) @ log_q
    for slot in range(data.pending.shape[1]):
        rows = np.flatnonzero(data.pending[:, slot])
        weight = data.pending_weight[rows, slot, None]
        total[rows] += np.log1p(-weight * p[data.pending_dose[rows, slot]])
    return total


@dataclass(frozen=True, slots=True)
class MleDoses:
    """The dose ``CrmDesign`` with ``estimation="mle"`` recommends, for many trials at once."""

    model: CrmModel
    target: float
    _known: dict[CrmData, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def vague(self) -> CrmModel:
        """The model under dfcrm's vague prior, for data without heterogeneity."""
        m = self.model
        return CrmModel(m.skeleton, m.model, m.intercept, VAGUE_PRIOR_VAR)

    def bracket(self, data: TrialData) -> tuple[Counts, Counts]:
        """Per trial, the lowest and highest dose the design's estimate can give.

        Equal where the dose is the design's; ``0`` and the top dose where the MLE is not
        inside ``(-10, 10)`` (the design's search ends at a bound: :meth:`exact` decides).
        """
        exists = data.mle_exists
        lower, upper = np.empty(exists.size), np.empty(exists.size)
        low, high, interior = self._mle_interval(data.take(exists))
        lower[exists], upper[exists] = low - _BRENT_REACH, high + _BRENT_REACH
        vague = data.take(~exists)
        mean = self._vague_mean(vague)
        reach = np.where(vague.pending.any(axis=1), _QUAD_REACH_PENDING, _QUAD_REACH)
        lower[~exists], upper[~exists] = mean - reach, mean + reach
        p_low, p_high = self.model.log_terms(lower)[2], self.model.log_terms(upper)[2]
        first = np.argmin(np.abs(p_low - self.target), axis=0)
        last = np.argmin(np.abs(p_high - self.target), axis=0)
        # Underflow to 0 breaks the order of the doses (and so the monotone argument).
        unknown = p_high[0] <= 0.0
        unknown[exists] |= ~interior
        first[unknown], last[unknown] = 0, len(self.model.skeleton) - 1
        return first, last

    def exact(self, data: CrmData) -> int:
        """The design's own dose for one trial: its fit (Brent, or quad under the vague prior).

        Remembered: the same complete data recur across the trials and steps of a run.
        """
        dose = self._known.get(data)
        if dose is None:
            if data.mle_exists:
                p_tox = fit_crm(self.model, data, estimation="mle").p_tox
            else:
                p_tox = compute_posterior(self.vague, data).to_fit().p_tox
            distances = [abs(p - self.target) for p in p_tox]
            dose = self._known[data] = distances.index(min(distances))
        return dose

    def _score_sign(self, data: TrialData, beta: Vector) -> Vector:
        """The score ``d log L / dβ`` over ``exp(β)`` (same sign) at one ``β`` a trial.

        A subject at dose ``d`` adds ``(y - (1 - y) w p / (1 - w p)) d log p / dβ``, and
        ``d log p / dβ = exp(β) slope``: ``log s_d`` (empiric) or ``(1 - p) x_d`` (logistic).
        """
        log_p, log_q, p = (table.T for table in self.model.log_terms(beta))
        doses = self.model.doses
        if self.model.model == "empiric":
            slope = np.broadcast_to(np.log(doses), p.shape)
        else:
            slope = np.exp(log_q) * doses
        odds = np.exp(log_p - log_q)
        score = ((data.dlt - data.complete * odds) * slope).sum(axis=1)
        if data.pending.shape[1]:
            p_at = np.take_along_axis(p, data.pending_dose, axis=1)
            slope_at = np.take_along_axis(slope, data.pending_dose, axis=1)
            weighted = np.where(data.pending, data.pending_weight * p_at, 0.0)
            score -= (weighted / (1.0 - weighted) * slope_at).sum(axis=1)
        return np.asarray(score)

    def _mle_interval(self, data: TrialData) -> tuple[Vector, Vector, Flags]:
        """An interval around each trial's MLE, and whether the maximum is inside ``(-10, 10)``."""
        trials = data.dlt.shape[0]
        low = np.full(trials, -numerics.GRID_LIMIT)
        high = np.full(trials, numerics.GRID_LIMIT)
        interior = (self._score_sign(data, low) > 0.0) & (self._score_sign(data, high) < 0.0)
        for _ in range(_BISECTIONS):
            middle = 0.5 * (low + high)
            rising = self._score_sign(data, middle) > 0.0
            low, high = np.where(rising, middle, low), np.where(rising, high, middle)
        return low, high, np.asarray(interior)

    def _vague_mean(self, data: TrialData) -> Vector:
        """Each trial's posterior mean under the vague prior, as dfcrm defines it.

        ``∫_{-10}^{10} β h / ∫_{-∞}^{∞} h`` (``h`` prior times likelihood), in blocks of rows.
        """
        nodes = _Nodes.of(self.vague)
        parts = [np.zeros(0)]
        for start in range(0, data.dlt.shape[0], _BLOCK):
            block = data.take(np.arange(start, min(start + _BLOCK, data.dlt.shape[0])))
            log_l = _log_likelihood(block, nodes.log_p, nodes.log_q, nodes.p)
            peak = log_l.max(axis=1, keepdims=True)
            density = np.exp(log_l - peak) * nodes.weight
            ends = np.exp(_log_likelihood(block, *nodes.ends) - peak).sum(axis=1)
            total = density.sum(axis=1) + ends * nodes.tail
            parts.append(density[:, nodes.inner] @ nodes.beta[nodes.inner] / total)
        return np.concatenate(parts)
