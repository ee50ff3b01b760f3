"""Monte Carlo of the CRM: the batch takes the decisions ``CrmDesign.decide`` takes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from numpy.typing import NDArray

import trialdesk.design.crm_monte_carlo as simulate_crm_module
from trialdesk.design.crm import compute_posterior
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.crm_monte_carlo import simulate_crm
from trialdesk.design.history import DoseLadder, SubjectOutcome
from trialdesk.design.simulate import draw_tolerances
from trialdesk.errors import DesignInputError

DFCRM = Path(__file__).resolve().parents[2] / "data" / "dfcrm"
SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
LADDER = DoseLadder((-1, 1, 2, 3, 4, 5))
MODERATE = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
TOXIC = (0.30, 0.45, 0.60, 0.70, 0.80, 0.90)
LOW = (0.02, 0.04, 0.06, 0.10, 0.30, 0.50)


def decide_one_by_one(
    design: CrmDesign, true_tox: tuple[float, ...], tolerances: NDArray[np.float64]
) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """The reference: each trial run through ``design.decide`` after each cohort.

    Subject ``i`` has a DLT iff ``tolerances[t, i] < true_tox[dose]``. Returns each trial's MTD
    position (-2 for none, the simulator's code) and its subjects and DLTs per dose.
    """
    mtds, treated, toxic = [], [], []
    for row in tolerances:
        history: list[SubjectOutcome] = []
        decision = design.decide(history)
        while not decision.stop:
            level = decision.next_level
            assert level is not None
            p = true_tox[design.ladder.index(level)]
            for _ in range(design.cohort_size):
                history.append(SubjectOutcome(level, bool(row[len(history)] < p)))
            decision = design.decide(history)
        mtds.append(-2 if decision.mtd is None else design.ladder.index(decision.mtd))
        treated.append([counts.n for _, counts in decision.counts])
        toxic.append([counts.y for _, counts in decision.counts])
    return mtds, treated, toxic


SCENARIOS = {
    # name: (design options, true DLT rates, trials)
    "empiric, cohorts of 1": ({"max_n": 24}, MODERATE, 200),
    "logistic": ({"max_n": 24, "model": "logistic"}, MODERATE, 200),
    # 20 is not a whole number of cohorts of 3: the design treats 7 cohorts, 21 subjects.
    "cohorts of 3, max_n 20": ({"max_n": 20, "cohort_size": 3}, MODERATE, 200),
    "safety stop": ({"max_n": 24, "safety_cutoff": 0.9}, TOXIC, 200),
    "safety stop, logistic, cohorts of 2": (
        {"max_n": 18, "safety_cutoff": 0.8, "model": "logistic", "cohort_size": 2},
        TOXIC,
        200,
    ),
    "no restrictions, start at level 2": (
        {"max_n": 24, "no_skip": False, "coherence": False, "start": 2},
        LOW,
        200,
    ),
}


@pytest.mark.parametrize(("options", "true_tox", "trials"), SCENARIOS.values(), ids=SCENARIOS)
def test_each_simulated_trial_decides_as_the_design(
    options: dict[str, Any], true_tox: tuple[float, ...], trials: int
) -> None:
    # The batch fits on the design's own grid tables with the same checks, so no difference is
    # allowed: the only one possible is a last-bit change of the posterior mean (BLAS sums in
    # another order), which could flip a decision only on an exact tie of two doses.
    design = CrmDesign(LADDER, SKELETON, 0.25, **options)
    columns = -(-design.max_n // design.cohort_size) * design.cohort_size
    tolerances = draw_tolerances(np.random.default_rng(2024), trials, columns)
    mtds, treated, toxic = decide_one_by_one(design, true_tox, tolerances)
    batch = simulate_crm_module._run(design, true_tox, tolerances)
    assert batch.outcome.tolist() == mtds
    assert batch.n.tolist() == treated
    assert batch.y.tolist() == toxic
    oc = simulate_crm(design, true_tox, tolerances)
    for position, p_select in enumerate(oc.p_select):
        assert p_select == mtds.count(position) / trials
    assert oc.p_no_mtd == mtds.count(-2) / trials
    assert oc.expected_n_per_dose == pytest.approx(np.mean(treated, axis=0), abs=1e-12)


def test_states_beyond_the_grid_take_the_designs_quadrature_and_still_agree() -> None:
    # With prior_var 2.5 the prior is not negligible at β = ±10, so the grid declines and the
    # design integrates by QUADPACK (crm.compute_posterior); the batch must hand those states to
    # the same function. Few trials: the reference loop runs quad at every decision.
    design = CrmDesign(LADDER, SKELETON, 0.25, max_n=12, prior_var=2.5, safety_cutoff=0.9)
    tolerances = draw_tolerances(np.random.default_rng(5), 25, 12)
    mtds, treated, _ = decide_one_by_one(design, TOXIC, tolerances)
    spy = mock.patch.object(simulate_crm_module, "compute_posterior", wraps=compute_posterior)
    with spy as fallback:
        batch = simulate_crm_module._run(design, TOXIC, tolerances)
    assert fallback.called
    assert (batch.outcome.tolist(), batch.n.tolist()) == (mtds, treated)


def test_many_doses_use_the_row_wise_unique_and_still_agree() -> None:
    # 8 doses, up to 30 subjects: 31**16 counts do not fit one int64 key, so the states are told
    # apart row by row (np.unique(axis=0)).
    ladder = DoseLadder(tuple(range(1, 9)))
    skeleton = (0.02, 0.05, 0.10, 0.15, 0.25, 0.35, 0.50, 0.65)
    design = CrmDesign(ladder, skeleton, 0.25, max_n=30)
    true_tox = (0.03, 0.06, 0.10, 0.18, 0.25, 0.40, 0.55, 0.70)
    tolerances = draw_tolerances(np.random.default_rng(8), 60, 30)
    mtds, treated, _ = decide_one_by_one(design, true_tox, tolerances)
    batch = simulate_crm_module._run(design, true_tox, tolerances)
    assert (batch.outcome.tolist(), batch.n.tolist()) == (mtds, treated)


@pytest.mark.parametrize("radix", [5, 2**40])
def test_distinct_rows_are_numpys_unique_rows(radix: int) -> None:
    rows = np.random.default_rng(3).integers(0, 5, (300, 4))
    distinct, inverse = simulate_crm_module._distinct(rows, radix)
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert sorted(map(tuple, distinct.tolist())) == list(map(tuple, expected.tolist()))
    assert (distinct[inverse] == rows).all()
    assert len(set(inverse.tolist())) == len(set(expected_inverse.reshape(-1).tolist()))


def test_replays_dfcrms_simulated_trial() -> None:
    # dfcrm 0.2-2.1, crmsim(PI = c(0.02, 0.06, 0.12, 0.25, 0.4, 0.6), prior = c(0.05, 0.1, 0.2,
    # 0.35, 0.5, 0.7), target = 0.2, n = 20, x0 = 1, nsim = 1, seed = 1009) (crmsim.json):
    # tolerance 0 (a DLT at any dose) where it saw a DLT, 1 (none) elsewhere, replays its
    # outcomes; the simulation must then treat the same levels and select its MTD, level 3.
    case = json.loads((DFCRM / "crmsim.json").read_text(encoding="utf-8"))["cases"][0]
    inputs, output = case["inputs"], case["output"]
    design = CrmDesign(DoseLadder((1, 2, 3, 4, 5, 6)), inputs["prior"], 0.2, max_n=inputs["n"])
    tolerances = 1.0 - np.array([output["tox"]], dtype=np.float64)
    oc = simulate_crm(design, inputs["PI"], tolerances)
    levels = output["level"]
    assert oc.expected_n_per_dose == tuple(float(levels.count(d)) for d in range(1, 7))
    assert oc.p_select[output["MTD"] - 1] == 1.0


def test_agrees_with_dfcrms_simulator_within_monte_carlo_error() -> None:
    # R 4.2.2, dfcrm 0.2-2.1: crmsim(PI = c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), prior = (the
    # same), target = 0.2, n = 24, x0 = 1, nsim = 10000, seed = 77); $MTD and $level. Its
    # restriction (no escalation after a DLT, at most one level above the last) differs from
    # CrmDesign's no_skip (one above the highest tried) but took the same decisions on 20,000
    # simulated trials of this scenario; R draws its outcomes from another stream.
    r_select = (0.0219, 0.231, 0.5615, 0.178, 0.0076, 0.0)
    r_level = (2.8918, 5.712, 9.5317, 4.4231, 1.2741, 0.1673)
    skeleton = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
    design = CrmDesign(DoseLadder((1, 2, 3, 4, 5, 6)), skeleton, 0.2, max_n=24)
    oc = simulate_crm(design, skeleton, draw_tolerances(np.random.default_rng(77), 10_000, 24))
    for ours, theirs in zip(oc.p_select, r_select, strict=True):
        # 4 standard errors of the difference of two independent 10,000-trial proportions
        assert abs(ours - theirs) <= 4 * math.sqrt(2 * max(ours, 1e-4) * (1 - ours) / 10_000)
    assert oc.se is not None
    per_dose_se: tuple[float, ...] = oc.se["expected_n_per_dose"]  # type: ignore[assignment]
    for ours, theirs, se in zip(oc.expected_n_per_dose, r_level, per_dose_se, strict=True):
        assert abs(ours - theirs) <= 4 * math.sqrt(2) * se + 1e-9


def test_selection_is_a_distribution_with_standard_errors() -> None:
    design = CrmDesign(LADDER, SKELETON, 0.25, max_n=24, safety_cutoff=0.9)
    tolerances = draw_tolerances(np.random.default_rng(11), 2000, 24)
    oc = simulate_crm(design, (0.15, 0.25, 0.40, 0.55, 0.70, 0.80), tolerances)
    assert math.isclose(sum(oc.p_select) + oc.p_no_mtd, 1.0, abs_tol=1e-12)
    assert 0.0 < oc.p_no_mtd < 1.0
    assert math.isclose(sum(oc.n_distribution.values()), 1.0, abs_tol=1e-12)
    assert math.isclose(oc.expected_n, sum(oc.expected_n_per_dose), rel_tol=1e-12)
    assert (oc.method, oc.n_terminal_paths, oc.labels) == ("mc", None, LADDER.labels)
    assert oc.se is not None
    # binomial standard errors of the selection probabilities
    for p, se in zip(oc.p_select, oc.se["p_select"], strict=True):  # type: ignore[call-overload]
        assert se == pytest.approx(math.sqrt(p * (1 - p) / 2000))
    assert oc.se["p_no_mtd"] == pytest.approx(math.sqrt(oc.p_no_mtd * (1 - oc.p_no_mtd) / 2000))
    assert oc.se["expected_n"] > 0.0  # type: ignore[operator]
    assert len(oc.se["expected_n_per_dose"]) == 6  # type: ignore[arg-type]


def test_same_tolerances_same_result_and_one_trial_has_zero_spread() -> None:
    design = CrmDesign(LADDER, SKELETON, 0.25, max_n=24)
    tolerances = draw_tolerances(np.random.default_rng(12), 300, 24)
    assert simulate_crm(design, MODERATE, tolerances) == simulate_crm(
        design, MODERATE, tolerances.copy()
    )
    one = simulate_crm(design, MODERATE, tolerances[:1])
    assert one.se is not None
    assert one.se["expected_n"] == 0.0


def test_the_tite_crm_is_refused_by_name() -> None:
    design = CrmDesign(LADDER, SKELETON, 0.25, max_n=24, window_days=28.0)
    tolerances = draw_tolerances(np.random.default_rng(1), 10, 24)
    with pytest.raises(
        DesignInputError, match="the TITE-CRM is simulated by tite_monte_carlo"
    ) as raised:
        simulate_crm(design, MODERATE, tolerances)
    assert raised.value.argument == "design"


def test_too_few_tolerances_are_refused() -> None:
    design = CrmDesign(LADDER, SKELETON, 0.25, max_n=20, cohort_size=3)
    tolerances = draw_tolerances(np.random.default_rng(1), 10, 20)
    with pytest.raises(DesignInputError, match=r">= 21\) uniforms: 7 cohorts of 3"):
        simulate_crm(design, MODERATE, tolerances)
    with pytest.raises(DesignInputError, match="true_tox"):
        simulate_crm(design, MODERATE[:5], draw_tolerances(np.random.default_rng(1), 10, 21))
