"""Monte Carlo of the maximum-likelihood CRM and TITE-CRM: the batch takes the design's decisions.

``CrmDesign(estimation="mle")`` doses from the MLE of β once a DLT and a subject without one are
seen, and before that from the posterior mean under dfcrm's vague N(0, 500²) prior. The batch
brackets the design's number (``_crm_mle``) and asks the design's own fit where the bracket
leaves the decision open; these tests replay simulated trials through ``CrmDesign.decide``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any
from unittest import mock

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import integrate

import trialdesk.design._crm_mle as mle_module
import trialdesk.design.crm_monte_carlo as crm_module
from trialdesk.design import _crm_posterior as numerics
from trialdesk.design._crm_mle import MleDoses, TrialData
from trialdesk.design.catalog import DesignRequest, build_design, compute_oc
from trialdesk.design.crm import CrmData, CrmModel, compute_posterior, fit_crm
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.decision import Decision
from trialdesk.design.history import DoseLadder, SubjectOutcome
from trialdesk.design.simulate import draw_tolerances
from trialdesk.design.tite_monte_carlo import TiteTrials

SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
LADDER = DoseLadder(("A", "B", "C", "D", "E", "F"))
MODERATE = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
TOXIC = (0.30, 0.45, 0.60, 0.70, 0.80, 0.90)
LOW = (0.02, 0.04, 0.06, 0.10, 0.30, 0.50)
WINDOW = 28.0


def crm(**options: Any) -> CrmDesign:
    return CrmDesign(LADDER, SKELETON, 0.25, estimation="mle", **options)


def decide_one_by_one(
    design: CrmDesign, true_tox: tuple[float, ...], tolerances: NDArray[np.float64]
) -> tuple[list[int], list[list[int]]]:
    """The reference: each trial run through ``design.decide`` after each cohort.

    ``decide`` is a pure function of the history, so a decision is kept for the next trial
    with the same history (the trials share their first cohorts). Returns each trial's MTD
    position (-2 for none) and its subjects per dose.
    """
    known: dict[tuple[SubjectOutcome, ...], Decision] = {}
    mtds, treated = [], []
    for row in tolerances:
        history: list[SubjectOutcome] = []
        while True:
            key = tuple(history)
            decision = known[key] if key in known else known.setdefault(key, design.decide(key))
            if decision.stop:
                break
            level = decision.next_level
            assert level is not None
            p = true_tox[design.ladder.index(level)]
            for _ in range(design.cohort_size):
                history.append(SubjectOutcome(level, bool(row[len(history)] < p)))
        mtds.append(-2 if decision.mtd is None else design.ladder.index(decision.mtd))
        treated.append([counts.n for _, counts in decision.counts])
    return mtds, treated


CRM_SCENARIOS = {
    # name: (design options, true DLT rates, trials)
    "empiric, cohorts of 1": ({"max_n": 18}, MODERATE, 50),
    "logistic, safety stop": (
        {"max_n": 18, "model": "logistic", "safety_cutoff": 0.8},
        TOXIC,
        40,
    ),
    # 20 is not a whole number of cohorts of 3: the design treats 7 cohorts, 21 subjects.
    "cohorts of 3, max_n 20": ({"max_n": 20, "cohort_size": 3}, MODERATE, 60),
    "no restrictions, start at C": (
        {"max_n": 18, "no_skip": False, "coherence": False, "start": "C"},
        LOW,
        60,
    ),
}


@pytest.mark.parametrize(
    ("options", "true_tox", "trials"), CRM_SCENARIOS.values(), ids=list(CRM_SCENARIOS)
)
def test_each_simulated_mle_trial_decides_as_the_design(
    options: dict[str, Any], true_tox: tuple[float, ...], trials: int
) -> None:
    design = crm(**options)
    columns = -(-design.max_n // design.cohort_size) * design.cohort_size
    tolerances = draw_tolerances(np.random.default_rng(2024), trials, columns)
    mtds, treated = decide_one_by_one(design, true_tox, tolerances)
    batch = crm_module._run(design, true_tox, tolerances)
    assert batch.outcome.tolist() == mtds
    assert batch.n.tolist() == treated


def test_the_designs_own_fit_settles_what_the_bracket_leaves_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Margins of 0.3 leave most decisions open: each goes to MleDoses.exact (Brent, or quad
    # under the vague prior), and the trials must still be the design's.
    monkeypatch.setattr(mle_module, "_BRENT_REACH", 0.3)
    monkeypatch.setattr(mle_module, "_QUAD_REACH", 0.3)
    design = crm(max_n=12)
    tolerances = draw_tolerances(np.random.default_rng(6), 40, 12)
    mtds, treated = decide_one_by_one(design, MODERATE, tolerances)
    with mock.patch.object(MleDoses, "exact", autospec=True, side_effect=MleDoses.exact) as spy:
        batch = crm_module._run(design, MODERATE, tolerances)
    assert spy.call_count > 20
    assert (batch.outcome.tolist(), batch.n.tolist()) == (mtds, treated)


# --- TITE-CRM ------------------------------------------------------------------------------


def tite(**options: Any) -> CrmDesign:
    settings: dict[str, Any] = {"max_n": 10, "window_days": WINDOW, **options}
    return crm(**settings)


def history_at(paths: TiteTrials, trial: int, k: int, now: float | None) -> list[SubjectOutcome]:
    """Subjects ``0 .. k - 1`` of a trial at ``now`` (``None``: every window closed)."""
    history = []
    for i in range(k):
        level = LADDER.labels[int(paths.dose[trial, i])]
        toxic = bool(paths.toxic[trial, i])
        if now is None:
            history.append(SubjectOutcome(level, toxic))
            continue
        arrival, dlt_day = float(paths.arrival[trial, i]), float(paths.dlt_day[trial, i])
        seen = toxic and arrival + dlt_day <= now
        history.append(SubjectOutcome(level, seen, dlt_day if seen else now - arrival))
    return history


TITE_SCENARIOS: dict[str, tuple[dict[str, Any], tuple[float, ...], float]] = {
    # name: (design options, true DLT rates, subjects a day)
    "linear weights": ({}, MODERATE, 0.5),
    "adaptive weights": ({"scheme": "adaptive"}, TOXIC, 0.3),
    "logistic, safety stop": ({"model": "logistic", "safety_cutoff": 0.8}, TOXIC, 0.3),
}


@pytest.mark.parametrize("name", list(TITE_SCENARIOS))
def test_sampled_tite_mle_decisions_are_the_designs(name: str) -> None:
    # The design's fit before heterogeneity integrates by QUADPACK (tens of ms a decision), so
    # a sample is replayed: two arrivals a trial, drawn at random, and every final selection.
    options, true_tox, rate = TITE_SCENARIOS[name]
    design = tite(**options)
    tolerances = draw_tolerances(np.random.default_rng(31), 18, design.max_n)
    paths = TiteTrials.run(design, true_tox, tolerances, rate, np.random.default_rng(32))
    pick = np.random.default_rng(33)
    for trial in range(tolerances.shape[0]):
        treated = int((paths.dose[trial] >= 0).sum())
        for k in pick.choice(np.arange(1, treated + 1), size=min(2, treated), replace=False):
            if k == design.max_n:
                continue
            now = float(paths.arrival[trial, k])
            decision = design.decide(history_at(paths, trial, int(k), now))
            if k == treated:  # stopped early: only the safety rule stops before max_n
                assert (decision.rule, paths.selected[trial]) == ("crm.safety_stop", -2)
            else:
                assert decision.next_level == LADDER.labels[int(paths.dose[trial, k])]
        if treated == design.max_n:
            final = design.decide(history_at(paths, trial, treated, None))
            expected = -2 if final.mtd is None else LADDER.index(final.mtd)
            assert paths.selected[trial] == expected, trial


# --- the bracket's numbers -----------------------------------------------------------------


def random_data(rng: np.random.Generator, doses: int, *, heterogeneous: bool) -> CrmData:
    """Up to 20 subjects, some still inside their window; a DLT and a non-DLT, or neither."""
    size = int(rng.integers(2, 20))
    levels = rng.integers(0, doses, size).tolist()
    if heterogeneous:
        dlt = (rng.random(size) < 0.3).tolist()
        dlt[0], dlt[-1] = True, False
    else:
        dlt = [bool(rng.random() < 0.2)] * size
    weights = [1.0 if toxic or rng.random() < 0.5 else float(rng.random()) for toxic in dlt]
    return CrmData.from_subjects(doses, levels, dlt, weights)


def batch_of(data: CrmData) -> TrialData:
    levels = [level for level, _ in data.partial]
    weights = [weight for _, weight in data.partial]
    return TrialData(
        np.array([data.dlt]),
        np.array([data.complete]),
        np.array([levels], dtype=np.int64).reshape(1, -1),
        np.array([weights], dtype=np.float64).reshape(1, -1),
        np.ones((1, len(levels)), dtype=np.bool_),
    )


MODELS = [CrmModel(SKELETON), CrmModel(SKELETON, "logistic", intercept=2.0)]


@pytest.mark.parametrize("model", MODELS, ids=["empiric", "logistic"])
def test_the_mle_interval_holds_dfcrms_estimate(model: CrmModel) -> None:
    # fit_crm's MLE is dfcrm's: optimize(lcrm, c(-10, 10), tol = 1e-4), Brent's bounded search.
    # Where every subject without a DLT is still inside its window the likelihood can keep
    # rising below β = -10: then the search ends at its bound and the bracket must say so.
    rng = np.random.default_rng(41)
    doses = MleDoses(model, 0.25)
    inside = 0
    for _ in range(30):
        data = random_data(rng, len(SKELETON), heterogeneous=True)
        low, high, interior = doses._mle_interval(batch_of(data))
        estimate = fit_crm(model, data, estimation="mle").estimate
        if not interior[0]:
            assert estimate < -numerics.GRID_LIMIT + 1e-3
            continue
        inside += 1
        assert high[0] - low[0] < 1e-6
        assert low[0] - mle_module._BRENT_REACH <= estimate <= high[0] + mle_module._BRENT_REACH
    assert inside >= 25


def dfcrm_vague_mean(model: CrmModel, data: CrmData) -> float:
    """dfcrm's ``∫_{-10}^{10} β h / ∫ h`` under N(0, 500²), by QUADPACK at rel.tol 1e-13."""

    def h(beta: float, power: int) -> float:
        terms = model.log_terms(np.array([beta]))
        log_l = float(numerics.log_likelihood(*terms, data=data)[0])
        return float(beta**power * math.exp(log_l - 0.5 * (beta / 500.0) ** 2))

    def integral(power: int, lower: float, upper: float) -> float:
        return float(
            integrate.quad(h, lower, upper, args=(power,), epsabs=0.0, epsrel=1e-13, limit=500)[0]
        )

    edges = (-math.inf, -1000.0, -60.0, -10.0, 10.0, 60.0, 1000.0, math.inf)
    total = sum(integral(0, lower, upper) for lower, upper in itertools.pairwise(edges))
    return integral(1, -10.0, 10.0) / total


@pytest.mark.parametrize("model", MODELS, ids=["empiric", "logistic"])
def test_the_vague_mean_is_the_integral_dfcrm_defines(model: CrmModel) -> None:
    rng = np.random.default_rng(42)
    doses = MleDoses(model, 0.25)
    for _ in range(3):
        data = random_data(rng, len(SKELETON), heterogeneous=False)
        ours = float(doses._vague_mean(batch_of(data))[0])
        assert ours == pytest.approx(dfcrm_vague_mean(doses.vague, data), rel=1e-12, abs=1e-14)


def test_quadpacks_largest_miss_seen_lies_inside_the_margin() -> None:
    # The largest gap found between the design's vague mean (QUADPACK at rel.tol eps^0.25) and
    # the integral, 2.9e-4, on random histories: complete data, logistic model.
    skeleton = (
        0.23508170792859762,
        0.2428746133639215,
        0.2976359312994536,
        0.5371418522725279,
        0.591206644604876,
        0.6938062046482847,
        0.8455122299460125,
    )
    model = CrmModel(skeleton, "logistic", intercept=3.0690747618993903)
    data = CrmData((0,) * 7, (5, 1, 2, 5, 3, 3, 6))
    doses = MleDoses(model, 0.25)
    design = compute_posterior(doses.vague, data).mean
    ours = float(doses._vague_mean(batch_of(data))[0])
    assert ours == pytest.approx(0.07846679480441368, rel=1e-12)
    assert 2e-4 < abs(design - ours) < mle_module._QUAD_REACH


def test_the_batch_tallies_what_the_design_tallies() -> None:
    design = tite()
    rng = np.random.default_rng(43)
    for _ in range(20):
        data = random_data(rng, len(SKELETON), heterogeneous=bool(rng.random() < 0.5))
        batch = batch_of(data)
        assert batch.data(0) == data
        assert bool(batch.mle_exists[0]) == data.mle_exists
    assert MleDoses(design._crm, design.target).vague == design._vague


def test_a_maximum_beyond_the_search_is_left_to_the_design() -> None:
    # Ten DLTs at the lowest dose and one subject a day into its window: the likelihood still
    # rises at β = -10, where the design's search stops; the bracket says so.
    data = CrmData.from_subjects(6, [0] * 11, [True] * 10 + [False], [1.0] * 10 + [1 / WINDOW])
    doses = MleDoses(CrmModel(SKELETON), 0.25)
    assert data.mle_exists
    assert [side.tolist() for side in doses.bracket(batch_of(data))] == [[0], [5]]
    assert doses.exact(data) == 0


# --- operating characteristics -------------------------------------------------------------


def request(design: str, **options: Any) -> DesignRequest:
    return DesignRequest(
        design,
        (1, 2, 3, 4, 5, 6),
        target=0.2,
        cohort_size=1,
        max_cohorts=18,
        options=options,
        skeleton=SKELETON,
        window_days=WINDOW if design == "tite-crm" else None,
    )


OC_CASES = {
    # name: the request, and how many trials
    "crm, mle": (request("crm", estimation="mle"), 2000),
    "tite-crm, adaptive": (request("tite-crm", scheme="adaptive"), 200),
    "tite-crm, adaptive, mle": (request("tite-crm", scheme="adaptive", estimation="mle"), 200),
}


@pytest.mark.parametrize("name", list(OC_CASES))
def test_a_true_curve_equal_to_the_skeleton_selects_the_dose_at_the_target(name: str) -> None:
    # The truth is the skeleton and 0.20 sits on level 3: the model is right, and level 3 must
    # be the likeliest selection by far (the command line's path: build_design, compute_oc).
    design_request, trials = OC_CASES[name]
    design = build_design(design_request)
    oc = compute_oc(design, SKELETON, method="mc", trials=trials, seed=5, arrival_rate=0.2)
    assert oc.method == "mc"
    assert int(np.argmax(oc.p_select)) == 2
    assert oc.p_select[2] > 0.4
    assert sum(oc.p_select) + oc.p_no_mtd == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", ["crm, mle", "tite-crm, adaptive, mle"])
def test_a_seed_gives_the_same_operating_characteristics(name: str) -> None:
    design = build_design(OC_CASES[name][0])
    runs = [
        compute_oc(design, MODERATE, method="mc", trials=80, seed=seed, arrival_rate=0.2)
        for seed in (8, 8, 9)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
