"""Monte Carlo operating characteristics of the CRM, every trial of a batch advanced together.

The CRM (O'Quigley, Pepe & Fisher 1990, Biometrics 46:33; Cheung 2011, *Dose Finding by the
Continual Reassessment Method*) refits its model after every cohort, so a simulation that calls
the design subject by subject, as dfcrm's ``crmsim`` does, spends its time in the fit. Here all
trials advance one cohort per step: per-dose counts (trials x doses) become log-likelihoods on
the posterior grid by one matrix product with the model's ``log p_j(β_g)`` and ``log(1 -
p_j(β_g))`` tables, and each distinct state of the step is fitted once. The tables, the grid's
self-checks and their QUADPACK fallback are those of ``compute_posterior``
(:mod:`trialdesk.design._crm_posterior`), and the rules are ``CrmDesign``'s, in its order:
safety stop, stop at ``max_n`` with the model's dose as the MTD, else the dose closest to the
target (the lowest on a tie) capped by ``no_skip`` and ``coherence``. A simulated trial
therefore takes the decisions ``CrmDesign.decide`` takes on the same outcomes; the only possible
difference is a last-bit one in the posterior mean (a batched matrix product sums in another
order), which can change a decision only on an exact tie of two doses' distances to the target.

With ``estimation="mle"`` the model's dose comes from the MLE of ``β``, or, until the data
hold a DLT and a subject without one, from the posterior mean under the vague ``N(0, 500²)``
prior, as ``CrmDesign`` does (:mod:`trialdesk.design._crm_mle`: an interval per state that
holds the design's estimate; where the decision differs between its ends, the design's own
fit decides). The safety rule still uses the posterior under ``prior_var``.

Outcomes come from common random numbers (:func:`~trialdesk.design.simulate.draw_tolerances`):
subject ``i`` of trial ``t`` has a DLT at dose ``d`` iff ``u[t, i] < p_d``, so designs compared
on the same ``tolerances`` see the same patients. Standard errors are binomial (selection) or
sample standard deviations over ``sqrt(trials)``, the keys of the table designs' (``simulate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trialdesk.design import _crm_posterior as numerics
from trialdesk.design._crm_mle import MleDoses, TrialData
from trialdesk.design.crm import CrmData, CrmModel, compute_posterior
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.oc import (
    OperatingCharacteristics,
    SimulatedTrials,
    checked_true_tox,
)
from trialdesk.errors import DesignInputError

__all__ = ["run_crm_trials", "simulate_crm"]

Counts = NDArray[np.int64]
Vector = NDArray[np.float64]

_RUNNING = -1
_NO_MTD = -2


def simulate_crm(
    design: CrmDesign, true_tox: Sequence[float], tolerances: NDArray[np.float64]
) -> OperatingCharacteristics[float]:
    """Simulated OCs of a CRM: one row of ``tolerances`` per trial, one column per subject.

    ``tolerances`` needs a column for each subject of the last cohort: ``max_n`` rounded up to
    whole cohorts, as ``CrmDesign`` treats whole cohorts until ``max_n`` is reached.

    Raises:
        DesignInputError: a TITE-CRM (see :mod:`trialdesk.design.tite_monte_carlo`),
            ``true_tox`` not one probability per dose, or too few tolerance columns.
    """
    return run_crm_trials(design, true_tox, tolerances).summarise(design.ladder.labels)


def run_crm_trials(
    design: CrmDesign, true_tox: Sequence[float], tolerances: NDArray[np.float64]
) -> SimulatedTrials:
    """The simulated CRM trials themselves, not yet summarised (see :func:`simulate_crm`)."""
    _check_variant(design)
    batch = _run(design, true_tox, tolerances)
    return SimulatedTrials(batch.outcome, batch.n, batch.y)


def _run(design: CrmDesign, true_tox: Sequence[float], tolerances: NDArray[np.float64]) -> _Batch:
    """Every trial to its end, a cohort per step; the trials' final counts and outcomes."""
    doses = len(design.ladder)
    tox = np.asarray(checked_true_tox(true_tox, doses), dtype=np.float64)
    size = design.cohort_size
    cohorts = -(-design.max_n // size)
    if tolerances.ndim != 2 or tolerances.shape[1] < cohorts * size:
        expected = f"(trials, >= {cohorts * size}) uniforms: {cohorts} cohorts of {size}"
        raise DesignInputError("tolerances", tolerances.shape, expected)
    batch = _Batch.start(tolerances.shape[0], doses, design.ladder.index(design.start))
    rules = _Rules.of(design)
    for step in range(cohorts):
        running = np.flatnonzero(batch.outcome == _RUNNING)
        if running.size == 0:
            break
        dose = batch.next_dose[running]
        slots = tolerances[running, step * size : (step + 1) * size]
        batch.treat(running, dose, (slots < tox[dose][:, None]).sum(axis=1), size)
        rules.apply(batch, running)
    return batch


def _check_variant(design: CrmDesign) -> None:
    """Refuse, by name, the TITE-CRM: its subjects arrive in time (``tite_monte_carlo``)."""
    if design.window_days is not None:
        raise DesignInputError(
            "design",
            f"TITE-CRM (window_days={design.window_days:g})",
            "a CRM without a DLT window (the TITE-CRM is simulated by tite_monte_carlo)",
        )


@dataclass(slots=True)
class _Batch:
    """The state of every simulated trial, one row each."""

    n: Counts
    y: Counts
    last_dose: Counts
    last_dlt: NDArray[np.bool_]  # whether the last cohort had a DLT (the coherence rule)
    outcome: Counts  # _RUNNING, _NO_MTD or the position of the MTD
    next_dose: Counts

    @staticmethod
    def start(trials: int, doses: int, first: int) -> _Batch:
        zeros = np.zeros((trials, doses), dtype=np.int64)
        return _Batch(
            n=zeros,
            y=zeros.copy(),
            last_dose=np.full(trials, first, dtype=np.int64),
            last_dlt=np.zeros(trials, dtype=np.bool_),
            outcome=np.full(trials, _RUNNING, dtype=np.int64),
            next_dose=np.full(trials, first, dtype=np.int64),
        )

    def treat(self, rows: NDArray[np.intp], dose: Counts, dlts: Counts, size: int) -> None:
        """Add a cohort of ``size`` at ``dose`` with ``dlts`` DLTs to each trial of ``rows``."""
        self.n[rows, dose] += size
        self.y[rows, dose] += dlts
        self.last_dose[rows] = dose
        self.last_dlt[rows] = dlts > 0


@dataclass(frozen=True, slots=True)
class _Rules:
    """``CrmDesign``'s fit and rules, applied to many trials at once."""

    design: CrmDesign
    model: CrmModel
    tables: numerics.GridTables
    log_terms: Vector  # log p_j(β_g) over log(1 - p_j(β_g)): a row per dose, then again
    safety_beta: float | None  # β below which the lowest dose's DLT rate exceeds the target
    radix: int  # above any count: a state's key is its counts' digits in this base
    mle: MleDoses | None  # estimation="mle": the model's dose from the likelihood

    @staticmethod
    def of(design: CrmDesign) -> _Rules:
        # Equal to the design's own model, so GridTables.of returns the very same tables.
        model = CrmModel(design.skeleton, design.model, design.intercept, design.prior_var)
        safety = None if design.safety_cutoff is None else numerics.beta_at(model, 0, design.target)
        tables = numerics.GridTables.of(model)
        log_terms = np.vstack((tables.log_p, tables.log_q))
        radix = -(-design.max_n // design.cohort_size) * design.cohort_size + 1
        mle = MleDoses(model, design.target) if design.estimation == "mle" else None
        return _Rules(design, model, tables, log_terms, safety, radix, mle)

    def apply(self, batch: _Batch, rows: NDArray[np.intp]) -> None:
        """Decide for each trial of ``rows``: stop (with or without an MTD) or the next dose."""
        n = batch.n[rows]
        states, inverse = _distinct(np.hstack((batch.y[rows], n - batch.y[rows])), self.radix)
        low, high, risk = self._fit(states)
        cutoff = self.design.safety_cutoff
        unsafe = np.zeros(rows.size, dtype=np.bool_) if cutoff is None else risk[inverse] > cutoff
        step = _Step(n, batch.last_dose[rows], batch.last_dlt[rows], unsafe)
        outcome, next_dose = self._decide(step, low[inverse])
        if self.mle is not None:
            other_outcome, other_next = self._decide(step, high[inverse])
            moving = outcome == _RUNNING
            unsure = (outcome != other_outcome) | (moving & (next_dose != other_next))
            if unsure.any():
                low = self._settle(self.mle, states, low, np.unique(inverse[unsure]))
                outcome, next_dose = self._decide(step, low[inverse])
        batch.outcome[rows] = outcome
        batch.next_dose[rows] = next_dose

    def _decide(self, step: _Step, best: Counts) -> tuple[Counts, Counts]:
        """The outcome (running, no MTD or the MTD) and the next dose, from the model's dose."""
        done = step.n.sum(axis=1) >= self.design.max_n
        outcome = np.where(step.unsafe, _NO_MTD, np.where(done, best, _RUNNING))
        return outcome, self._restrict(best, step.n, step.last_dose, step.last_dlt)

    def _fit(self, states: Counts) -> tuple[Counts, Counts, Vector]:
        """Per state (DLTs, then the others, per dose): the closest dose's bounds, the risk.

        Bayes: the closest dose at the posterior mean (both bounds). MLE: the lowest and the
        highest the design's estimate can give (``MleDoses.bracket``). The risk is P(lowest dose
        too toxic) under the posterior, 0 without a safety rule.
        """
        if self.mle is not None:
            dlt, complete = np.split(states, 2, axis=1)
            low, high = self.mle.bracket(TrialData.of_counts(dlt, complete))
            if self.safety_beta is None:
                return low, high, np.zeros(states.shape[0])
            return low, high, self._posterior(states)[1]
        mean, risk = self._posterior(states)
        p_hat = self.model.log_terms(mean)[2].T
        best = np.argmin(np.abs(p_hat - self.design.target), axis=1)
        return best, best, risk

    def _posterior(self, states: Counts) -> tuple[Vector, Vector]:
        """Per state: the posterior mean of β and P(lowest dose too toxic) (0 without the rule).

        The posterior as :func:`~trialdesk.design.crm.compute_posterior` finds it: on the grid
        where its checks pass, else the design's own function (QUADPACK) for that state.
        """
        log_f = states.astype(np.float64) @ self.log_terms
        log_f += self.tables.log_prior
        mean, risk, checked = numerics.grid_summary(self.tables.beta, log_f, self.safety_beta)
        for row in np.flatnonzero(~checked):
            dlt, complete = np.split(states[row], 2)
            data = CrmData(tuple(dlt.tolist()), tuple(complete.tolist()))
            posterior = compute_posterior(self.model, data)
            mean[row] = posterior.mean
            if self.safety_beta is not None:
                risk[row] = posterior.prob_above(0, self.design.target)
        return mean, risk

    @staticmethod
    def _settle(mle: MleDoses, states: Counts, low: Counts, unsure: Counts) -> Counts:
        """``low`` with the design's own dose for the ``unsure`` states."""
        settled = low.copy()
        for row in unsure:
            dlt, complete = np.split(states[row], 2)
            settled[row] = mle.exact(CrmData(tuple(dlt.tolist()), tuple(complete.tolist())))
        return settled

    def _restrict(self, best: Counts, n: Counts, last: Counts, dlt: NDArray[np.bool_]) -> Counts:
        """``crm.no_skip`` then ``crm.coherence``: caps on the model's dose, as the design's."""
        ceiling = best
        if self.design.no_skip:
            highest = n.shape[1] - 1 - np.argmax(n[:, ::-1] > 0, axis=1)
            ceiling = np.minimum(ceiling, highest + 1)
        if self.design.coherence:
            ceiling = np.where(dlt, np.minimum(ceiling, last), ceiling)
        return ceiling


@dataclass(frozen=True, slots=True)
class _Step:
    """What the rules read of the trials deciding at one step, besides the model's dose."""

    n: Counts
    last_dose: Counts
    last_dlt: NDArray[np.bool_]
    unsafe: NDArray[np.bool_]


def _distinct(rows: Counts, radix: int) -> tuple[Counts, NDArray[np.intp]]:
    """The distinct rows and, for each row, its index among them (``np.unique(axis=0)``).

    Rows of counts below ``radix`` are told apart by one integer, their digits in that base,
    when it fits in 63 bits: a 1-D ``unique`` is some twenty times faster than a row-wise one.
    """
    if radix ** rows.shape[1] >= 2**63:
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        return distinct, inverse.reshape(-1)
    keys = rows @ radix ** np.arange(rows.shape[1], dtype=np.int64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return rows[first], inverse.reshape(-1)
