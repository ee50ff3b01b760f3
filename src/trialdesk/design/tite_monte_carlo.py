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
  other subject is a non-DLT with the linear weight ``min((now - arrival) / window, 1)``
  (:func:`~trialdesk.design.crm_design.compute_tite_weights`), and adds
  ``log(1 - w p_d(β))`` to the log-likelihood.
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
last-bit difference of a batched sum that matters only on an exact tie.

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
from trialdesk.design.crm import CrmData, CrmModel, compute_posterior
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
    """Simulated OCs of a Bayesian TITE-CRM with linear weights (model: the module docstring).

    Raises:
        DesignInputError: a design without a DLT window, the adaptive scheme, the MLE or
            cohorts above 1 (their Monte Carlo is not built yet), ``true_tox`` not one
            probability per dose, fewer than ``max_n`` tolerance columns, or an arrival rate
            not a finite number above 0.
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
    refusals = (
        ("scheme", design.scheme, "linear", "the adaptive-weight TITE-CRM"),
        ("estimation", design.estimation, "bayes", "the maximum-likelihood TITE-CRM"),
        ("cohort_size", design.cohort_size, 1, "the TITE-CRM with cohorts above 1"),
    )
    for name, value, supported, variant in refusals:
        if value != supported:
            expected = f"{name}={supported!r}: Monte Carlo of {variant} is not built yet"
            raise DesignInputError("design", f"TITE-CRM with {name}={value!r}", expected)
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
            weight = (now[:, None] - arrival[rows, :k]) / window
            best, unsafe = rules.fit(dose[rows, :k], seen, np.where(seen, 1.0, weight))
            outcome[rows[unsafe]] = _NO_MTD
            go = rows[~unsafe]
            dose[go, k] = rules.restrict(best[~unsafe], dose[go, :k], seen[~unsafe, -1])
            toxic[go, k] = tolerances[go, k] < tox[dose[go, k]]
        rows = np.flatnonzero(outcome == _RUNNING)
        best, unsafe = rules.fit(dose[rows], toxic[rows], np.ones((rows.size, size)))
        outcome[rows] = np.where(unsafe, _NO_MTD, best)
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


@dataclass(frozen=True, slots=True)
class _Rules:
    """``CrmDesign``'s fit and rules, applied to many trials at once."""

    design: CrmDesign
    model: CrmModel
    tables: numerics.GridTables
    safety_beta: float | None  # β below which the lowest dose's DLT rate exceeds the target

    @staticmethod
    def of(design: CrmDesign) -> _Rules:
        # Equal to the design's own model, so GridTables.of returns the very same tables.
        model = CrmModel(design.skeleton, design.model, design.intercept, design.prior_var)
        safety = None if design.safety_cutoff is None else numerics.beta_at(model, 0, design.target)
        return _Rules(design, model, numerics.GridTables.of(model), safety)

    def fit(self, dose: Counts, dlt: Flags, weight: Vector) -> tuple[Counts, Flags]:
        """:meth:`_fit_rows` in blocks of rows whose grid arrays stay in the CPU's cache."""
        blocks = [slice(start, start + _BLOCK) for start in range(0, dose.shape[0], _BLOCK)]
        if not blocks:  # every trial stopped early
            return np.zeros(0, np.int64), np.zeros(0, np.bool_)
        parts = [self._fit_rows(dose[b], dlt[b], weight[b]) for b in blocks]
        best, unsafe = zip(*parts, strict=True)
        return np.concatenate(best), np.concatenate(unsafe)

    def _fit_rows(self, dose: Counts, dlt: Flags, weight: Vector) -> tuple[Counts, Flags]:
        """Per trial: the dose closest to the target, and whether the safety rule stops it.

        ``dose``, ``dlt`` and ``weight`` hold the subjects so far, a column each; a weight
        below 1 marks a non-DLT still inside its window, as ``CrmData.from_subjects`` takes it.
        """
        partial = ~dlt & (weight < 1.0)
        doses = len(self.design.ladder)
        y = _per_dose(dose, dlt, doses).astype(np.float64)
        complete = _per_dose(dose, ~dlt & ~partial, doses).astype(np.float64)
        log_f = y @ self.tables.log_p + complete @ self.tables.log_q
        log_f += self._pending(dose, partial, weight)
        log_f += self.tables.log_prior
        mean, risk, checked = numerics.grid_summary(self.tables.beta, log_f, self.safety_beta)
        for row in np.flatnonzero(~checked):
            levels = dose[row, partial[row]]
            data = CrmData(
                tuple(y[row].astype(int).tolist()),
                tuple(complete[row].astype(int).tolist()),
                tuple(zip(levels.tolist(), weight[row, partial[row]].tolist(), strict=True)),
            )
            posterior = compute_posterior(self.model, data)
            mean[row] = posterior.mean
            if self.safety_beta is not None:
                risk[row] = posterior.prob_above(0, self.design.target)
        p_hat = self.model.log_terms(mean)[2].T
        best = np.argmin(np.abs(p_hat - self.design.target), axis=1)
        cutoff = self.design.safety_cutoff
        return best, np.zeros(best.size, np.bool_) if cutoff is None else risk > cutoff

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

    def restrict(self, best: Counts, dose: Counts, last_dlt: Flags) -> Counts:
        """``crm.no_skip`` then ``crm.coherence``: caps on the model's dose, as the design's."""
        ceiling = best
        if self.design.no_skip:
            ceiling = np.minimum(ceiling, dose.max(axis=1) + 1)
        if self.design.coherence:
            ceiling = np.where(last_dlt, np.minimum(ceiling, dose[:, -1]), ceiling)
        return np.minimum(ceiling, len(self.design.ladder) - 1)
