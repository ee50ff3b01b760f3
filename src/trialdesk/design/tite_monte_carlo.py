"""Monte Carlo operating characteristics of the TITE-CRM, every trial of a batch advanced together.

The TITE-CRM (Cheung & Chappell 2000, Biometrics 56:1177) doses each new subject from the
data at the time it arrives: a subject still inside the DLT window without a DLT counts as a
partial non-DLT. Simulated model, one row of each array per trial:

* Subjects arrive as a Poisson process: gaps ``Exp(mean 1 / arrival_rate)`` days, drawn from
  ``rng_times`` (a ``(trials, max_n)`` array), the first subject after the first gap.
* Subject ``i`` of trial ``t`` has a DLT at dose ``d`` iff ``u[t, i] < p_d`` (common random
  numbers, ``tolerances`` as in :mod:`trialdesk.design.crm_monte_carlo`); a DLT happens
  ``U(0, window)`` days after its arrival (a second ``(trials, max_n)`` array of
  ``rng_times``, drawn for every subject so that the draws do not depend on the doses).
* At the arrival of subject ``k`` the design decides its dose from subjects ``0 .. k - 1`` at
  that time ``now``: a DLT already seen (``arrival + dlt_day <= now``) weighs 1 as a DLT; any
  other subject is a non-DLT with a weight ``w`` that reaches 1 when its window closes, and
  adds ``log(1 - w p_d(β))`` to the log-likelihood. The weights are
  :func:`~trialdesk.design.crm_design.compute_tite_weights`': ``linear``, ``min((now -
  arrival) / window, 1)``; or ``adaptive`` (Cheung & Chappell 2000; dfcrm's ``titecrm(scheme
  = "adaptive")``), from the DLT days seen so far (:func:`_adaptive_weights`).
* Cohorts of 1. After ``max_n`` subjects the trial waits until every window has closed and
  selects the MTD from the complete data, as ``CrmDesign`` does (its safety rule included).
  Between arrivals nothing is decided, so a safety stop happens at an arrival or at the end.

Each arrival is one step for all running trials: complete subjects enter the log-likelihood on
the posterior grid as per-dose counts by one matrix product with the ``log p_j(β_g)`` and
``log(1 - p_j(β_g))`` tables of :mod:`trialdesk.design._crm_posterior`; the subjects still in
their window add ``log1p(-w p_j(β_g))`` one pending slot at a time (a weight-sum per dose
would not do: the term is not linear in ``w``). The grid's self-checks and their QUADPACK
fallback are ``compute_posterior``'s, and the rules are ``CrmDesign.decide``'s in its order
(safety stop, the closest dose, ``no_skip``, ``coherence`` on the last subject's DLT seen so
far), so a simulated trial takes the decisions the design takes on the same data, up to a
last-bit difference of a batched sum that matters only on an exact tie. With
``estimation="mle"`` the model's dose is the design's from the MLE, or from the vague prior
before a DLT and a subject without one are seen (:mod:`trialdesk.design._crm_mle`).

``y`` in the result counts each treated subject's DLT whether or not it was seen before the
trial stopped (a subject stopped early is still followed to the end of its window).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trialdesk.design import _crm_posterior as numerics
from trialdesk.design._crm_mle import MleDoses, TrialData
from trialdesk.design.crm import CrmModel, compute_posterior
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.oc import OperatingCharacteristics, SimulatedTrials, checked_true_tox
from trialdesk.errors import DesignInputError

__all__ = ["TiteTrials", "run_tite_trials", "simulate_tite"]

Counts = NDArray[np.int64]
Vector = NDArray[np.float64]
Flags = NDArray[np.bool_]
Rows = NDArray[np.intp]

_UNTREATED = -1
_RUNNING = -1
_NO_MTD = -2
_BLOCK = 512  # trials fitted together: 512 x 801 grid values, some 3 MB an array


def simulate_tite(
    design: CrmDesign,
    true_tox: Sequence[float],
    tolerances: NDArray[np.float64],
    *,
    arrival_rate: float,
    rng_times: np.random.Generator,
) -> OperatingCharacteristics[float]:
    """Simulated OCs of a TITE-CRM (model: the module docstring).

    Raises:
        DesignInputError: a design without a DLT window, cohorts above 1 (their Monte Carlo
            is not built yet), ``true_tox`` not one probability per dose, fewer than
            ``max_n`` tolerance columns, or an arrival rate not a finite number above 0.
    """
    trials = run_tite_trials(
        design, true_tox, tolerances, arrival_rate=arrival_rate, rng_times=rng_times
    )
    return trials.summarise(design.ladder.labels)


def run_tite_trials(
    design: CrmDesign,
    true_tox: Sequence[float],
    tolerances: NDArray[np.float64],
    *,
    arrival_rate: float,
    rng_times: np.random.Generator,
) -> SimulatedTrials:
    """The simulated TITE-CRM trials themselves, not yet summarised (see :func:`simulate_tite`)."""
    paths = TiteTrials.run(design, true_tox, tolerances, arrival_rate, rng_times)
    return paths.to_simulated(len(design.ladder))


def _check_variant(design: CrmDesign) -> float:
    """The design's window; refuse, by name, the variants whose Monte Carlo does not exist yet."""
    if design.window_days is None:
        expected = "a TITE-CRM (window_days set): the plain CRM's Monte Carlo is run_crm_trials"
        raise DesignInputError("design", "CRM without a DLT window", expected)
    if design.cohort_size != 1:
        variant = f"TITE-CRM with cohort_size={design.cohort_size}"
        expected = (
            "cohort_size=1: Monte Carlo of the TITE-CRM with cohorts above 1 is not built yet"
        )
        raise DesignInputError("design", variant, expected)
    return design.window_days


def _check_inputs(design: CrmDesign, tolerances: NDArray[np.float64], arrival_rate: float) -> None:
    if tolerances.ndim != 2 or tolerances.shape[1] < design.max_n:
        expected = f"(trials, >= {design.max_n}) uniforms: one per subject"
        raise DesignInputError("tolerances", tolerances.shape, expected)
    if not arrival_rate > 0.0 or math.isinf(arrival_rate):
        raise DesignInputError("arrival_rate", arrival_rate, "a finite number of subjects a day")


@dataclass(frozen=True, slots=True)
class TiteTrials:
    """Simulated TITE-CRM trials subject by subject, a row per trial, a column per subject.

    ``dose``: the dose position given (-1 if the trial stopped before); ``toxic``: whether
    the subject has a DLT (its window complete); ``arrival`` and ``dlt_day``: days since the
    trial opened, and after arrival (drawn for every subject); ``selected``: the MTD's
    position, -2 for none.
    """

    dose: Counts
    toxic: Flags
    arrival: Vector
    dlt_day: Vector
    selected: Counts

    @staticmethod
    def run(
        design: CrmDesign,
        true_tox: Sequence[float],
        tolerances: NDArray[np.float64],
        arrival_rate: float,
        rng_times: np.random.Generator,
    ) -> TiteTrials:
        """Every trial to its end, one arrival per step (the model of the module docstring)."""
        window = _check_variant(design)
        tox = np.asarray(checked_true_tox(true_tox, len(design.ladder)), dtype=np.float64)
        _check_inputs(design, tolerances, arrival_rate)
        trials, size = tolerances.shape[0], design.max_n
        arrival = np.cumsum(rng_times.exponential(1.0 / arrival_rate, (trials, size)), axis=1)
        dlt_day = rng_times.uniform(0.0, window, (trials, size))
        dose = np.full((trials, size), _UNTREATED, dtype=np.int64)
        dose[:, 0] = design.ladder.index(design.start)
        outcome = np.full(trials, _RUNNING, dtype=np.int64)
        toxic = np.zeros((trials, size), dtype=np.bool_)
        toxic[:, 0] = tolerances[:, 0] < tox[dose[:, 0]]
        rules = _Rules.of(design)
        for k in range(1, size):
            rows = np.flatnonzero(outcome == _RUNNING)
            if rows.size == 0:
                break
            now = arrival[rows, k]
            seen = toxic[rows, :k] & (arrival[rows, :k] + dlt_day[rows, :k] <= now[:, None])
            elapsed = now[:, None] - arrival[rows, :k]
            if design.scheme == "adaptive":
                weight = _adaptive_weights(elapsed, seen, dlt_day[rows, :k], window)
            else:
                weight = elapsed / window
            fit = rules.fit(dose[rows, :k], seen, np.where(seen, 1.0, weight))
            outcome[rows[fit.unsafe]] = _NO_MTD
            go = rows[~fit.unsafe]
            dose[go, k] = rules.next_dose(fit, dose[go, :k], seen[~fit.unsafe, -1])
            toxic[go, k] = tolerances[go, k] < tox[dose[go, k]]
        rows = np.flatnonzero(outcome == _RUNNING)
        fit = rules.fit(dose[rows], toxic[rows], np.ones((rows.size, size)))
        mtd = rules.settle(fit, (fit.low != fit.high) & ~fit.unsafe)
        outcome[rows] = np.where(fit.unsafe, _NO_MTD, mtd)
        return TiteTrials(dose, toxic, arrival, dlt_day, outcome)

    def to_simulated(self, doses: int) -> SimulatedTrials:
        """Subjects and DLTs per dose of each trial, with its MTD (see the class docstring)."""
        treated = self.dose >= 0
        return SimulatedTrials(
            self.selected,
            _per_dose(self.dose, treated, doses),
            _per_dose(self.dose, self.toxic, doses),
        )


def _per_dose(dose: Counts, mask: Flags, doses: int) -> Counts:
    """How many subjects of each row have ``mask`` set, per dose (a row per trial)."""
    cell = np.arange(dose.shape[0])[:, None] * doses + dose
    counts = np.bincount(cell[mask], minlength=dose.shape[0] * doses)
    return counts.reshape(dose.shape[0], doses).astype(np.int64)


def _adaptive_weights(elapsed: Vector, seen: Flags, dlt_day: Vector, window: float) -> Vector:
    """Cheung & Chappell's adaptive weights, as ``compute_tite_weights``, a row per trial.

    With the ``z`` DLTs seen so far on days ``s_1 <= ... <= s_z`` of their windows and ``m`` of
    them at or before a subject's ``elapsed`` days: ``(m + (elapsed - s_m) / (s_{m+1} - s_m)) /
    (z + 1)``, ``s_0 = 0``, ``s_{z+1}`` the window, at most 1 (dfcrm ``titecrm(scheme =
    "adaptive")``); linear while no DLT is seen. ``m`` comes from one stable sort a row of the
    DLT days (first, so a tie counts as "at or before") and the subjects' elapsed days.
    """
    trials, subjects = elapsed.shape
    support = np.sort(np.where(seen, dlt_day, np.inf), axis=1)
    order = np.argsort(np.hstack((support, elapsed)), axis=1, kind="stable")
    before = np.cumsum(order < subjects, axis=1)
    queried = order >= subjects
    m = np.empty((trials, subjects), dtype=np.int64)
    row = np.broadcast_to(np.arange(trials)[:, None], order.shape)
    m[row[queried], order[queried] - subjects] = before[queried]
    z = seen.sum(axis=1, keepdims=True)
    lower = np.take_along_axis(np.hstack((np.zeros((trials, 1)), support)), m, axis=1)
    upper = np.where(
        m < z, np.take_along_axis(np.hstack((support, support[:, -1:])), m, axis=1), window
    )
    adaptive = np.minimum((m + (elapsed - lower) / (upper - lower)) / (z + 1), 1.0)
    weight = np.where(z > 0, adaptive, elapsed / window)
    return np.where(elapsed >= window, 1.0, weight)


@dataclass(frozen=True, slots=True)
class _Fit:
    """One fit of many trials: the model's dose (its bounds under MLE), the safety stops.

    ``low`` equals ``high`` where the dose is certain (always with Bayes); ``data`` holds the
    trials' likelihood data, for :meth:`_Rules.settle`.
    """

    low: Counts
    high: Counts
    unsafe: Flags
    data: TrialData


@dataclass(frozen=True, slots=True)
class _Rules:
    """``CrmDesign``'s fit and rules, applied to many trials at once."""

    design: CrmDesign
    model: CrmModel
    tables: numerics.GridTables
    safety_beta: float | None  # β below which the lowest dose's DLT rate exceeds the target
    mle: MleDoses | None  # estimation="mle": the model's dose from the likelihood

    @staticmethod
    def of(design: CrmDesign) -> _Rules:
        # Equal to the design's own model, so GridTables.of returns the very same tables.
        model = CrmModel(design.skeleton, design.model, design.intercept, design.prior_var)
        safety = None if design.safety_cutoff is None else numerics.beta_at(model, 0, design.target)
        mle = MleDoses(model, design.target) if design.estimation == "mle" else None
        return _Rules(design, model, numerics.GridTables.of(model), safety, mle)

    def fit(self, dose: Counts, dlt: Flags, weight: Vector) -> _Fit:
        """:meth:`_fit_rows` in blocks of rows whose grid arrays stay in the CPU's cache.

        ``dose``, ``dlt`` and ``weight`` hold the subjects so far, a column each; a weight
        below 1 marks a non-DLT still inside its window, as ``CrmData.from_subjects`` takes it.
        """
        partial = ~dlt & (weight < 1.0)
        doses = len(self.design.ladder)
        data = TrialData(
            _per_dose(dose, dlt, doses),
            _per_dose(dose, ~dlt & ~partial, doses),
            dose,
            np.where(partial, weight, 0.0),
            partial,
        )
        parts = [
            self._fit_rows(data.take(np.arange(start, min(start + _BLOCK, dose.shape[0]))))
            for start in range(0, dose.shape[0], _BLOCK)
        ]
        if not parts:  # every trial stopped early
            empty = np.zeros(0, np.int64)
            return _Fit(empty, empty, np.zeros(0, np.bool_), data)
        low, high, unsafe = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        return _Fit(low, high, unsafe, data)

    def _fit_rows(self, data: TrialData) -> tuple[Counts, Counts, Flags]:
        """Per trial: bounds on the dose closest to the target; whether the safety rule stops."""
        cutoff = self.design.safety_cutoff
        if self.mle is not None:
            low, high = self.mle.bracket(data)
            if cutoff is None:
                return low, high, np.zeros(low.size, np.bool_)
            return low, high, self._posterior(data)[1] > cutoff
        mean, risk = self._posterior(data)
        p_hat = self.model.log_terms(mean)[2].T
        best = np.argmin(np.abs(p_hat - self.design.target), axis=1)
        return best, best, np.zeros(best.size, np.bool_) if cutoff is None else risk > cutoff

    def _posterior(self, data: TrialData) -> tuple[Vector, Vector]:
        """Per trial: the posterior mean of β and P(lowest dose too toxic) (0 without the rule).

        On the grid where its checks pass, else the design's own function (QUADPACK).
        """
        dlt, complete = data.dlt.astype(np.float64), data.complete.astype(np.float64)
        log_f = dlt @ self.tables.log_p + complete @ self.tables.log_q
        log_f += self._pending(data.pending_dose, data.pending, data.pending_weight)
        log_f += self.tables.log_prior
        mean, risk, checked = numerics.grid_summary(self.tables.beta, log_f, self.safety_beta)
        for row in np.flatnonzero(~checked):
            posterior = compute_posterior(self.model, data.data(int(row)))
            mean[row] = posterior.mean
            if self.safety_beta is not None:
                risk[row] = posterior.prob_above(0, self.design.target)
        return mean, risk

    def _pending(self, dose: Counts, partial: Flags, weight: Vector) -> Vector:
        """``Σ log1p(-w p_d(β))`` over each trial's pending subjects, in the order they came.

        Trials are ranked by how many subjects they have pending, and each row's pending
        subjects packed to its left, so that slot ``j`` is a block of the first rows.
        """
        count = partial.sum(axis=1)
        rank = np.argsort(-count, kind="stable")
        count = count[rank]
        order = np.argsort(~partial[rank], axis=1, kind="stable")[:, : count.max(initial=0)]
        w, d = weight[rank[:, None], order], dose[rank[:, None], order]
        ranked = np.zeros((dose.shape[0], self.tables.beta.size))
        for slot in range(order.shape[1]):
            rows = int(np.count_nonzero(count > slot))
            ranked[:rows] += np.log1p(-w[:rows, slot, None] * self.tables.p[d[:rows, slot]])
        total = np.empty_like(ranked)
        total[rank] = ranked
        return total

    def next_dose(self, fit: _Fit, dose: Counts, last_dlt: Flags) -> Counts:
        """The next dose of each trial the safety rule did not stop (its doses, last DLT seen)."""
        going = ~fit.unsafe
        low = self._restrict(fit.low[going], dose, last_dlt)
        if self.mle is None:
            return low
        unsure = np.zeros(going.size, np.bool_)
        unsure[going] = low != self._restrict(fit.high[going], dose, last_dlt)
        if not unsure.any():
            return low
        return self._restrict(self.settle(fit, unsure)[going], dose, last_dlt)

    def settle(self, fit: _Fit, unsure: Flags) -> Counts:
        """The model's dose, the design's own (``MleDoses.exact``) for the ``unsure`` trials."""
        settled = fit.low.copy()
        if self.mle is not None:
            for row in np.flatnonzero(unsure):
                settled[row] = self.mle.exact(fit.data.data(int(row)))
        return settled

    def _restrict(self, best: Counts, dose: Counts, last_dlt: Flags) -> Counts:
        """``crm.no_skip`` then ``crm.coherence``: caps on the model's dose, as the design's."""
        ceiling = best
        if self.design.no_skip:
            ceiling = np.minimum(ceiling, dose.max(axis=1) + 1)
        if self.design.coherence:
            ceiling = np.where(last_dlt, np.minimum(ceiling, dose[:, -1]), ceiling)
        return np.minimum(ceiling, len(self.design.ladder) - 1)
