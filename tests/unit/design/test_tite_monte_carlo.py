"""Monte Carlo of the TITE-CRM: each simulated trial takes ``CrmDesign.decide``'s decisions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import trialdesk.design.tite_monte_carlo as tite_module
from trialdesk.design.crm_design import CrmDesign, compute_tite_weights
from trialdesk.design.crm_monte_carlo import run_crm_trials
from trialdesk.design.history import DoseLadder, SubjectOutcome
from trialdesk.design.simulate import draw_tolerances
from trialdesk.design.tite_monte_carlo import TiteTrials, run_tite_trials, simulate_tite
from trialdesk.errors import DesignInputError

SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
LADDER = DoseLadder(("A", "B", "C", "D", "E", "F"))
MODERATE = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
TOXIC = (0.30, 0.45, 0.60, 0.70, 0.80, 0.90)
WINDOW = 28.0


def tite(**options: Any) -> CrmDesign:
    settings: dict[str, Any] = {"max_n": 12, "window_days": WINDOW, **options}
    return CrmDesign(LADDER, SKELETON, 0.25, **settings)


def history_at(paths: TiteTrials, trial: int, k: int, now: float | None) -> list[SubjectOutcome]:
    """Subjects ``0 .. k - 1`` of a trial as seen at ``now`` (``None``: every window closed).

    A DLT seen has the day of its DLT as follow-up (the adaptive weights read it).
    """
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


def replay(design: CrmDesign, paths: TiteTrials, trial: int) -> None:
    """Walk one simulated trial through ``design.decide``, arrival by arrival."""
    assert design.decide([]).next_level == LADDER.labels[int(paths.dose[trial, 0])]
    treated = int((paths.dose[trial] >= 0).sum())
    for k in range(1, treated + (treated < design.max_n)):
        decision = design.decide(history_at(paths, trial, k, float(paths.arrival[trial, k])))
        if k == treated:  # stopped early: only the safety rule stops before max_n
            assert decision.stop
            assert decision.rule == "crm.safety_stop"
            assert paths.selected[trial] == -2
            return
        assert decision.next_level == LADDER.labels[int(paths.dose[trial, k])], (trial, k)
    final = design.decide(history_at(paths, trial, treated, None))
    assert final.stop
    expected = -2 if final.mtd is None else LADDER.index(final.mtd)
    assert paths.selected[trial] == expected, trial


REPLAYS: dict[str, tuple[dict[str, Any], tuple[float, ...], float]] = {
    # name: (design options, true DLT rates, subjects a day)
    "empiric, fast accrual": ({}, MODERATE, 0.5),
    "logistic, no coherence": ({"model": "logistic", "coherence": False}, MODERATE, 0.2),
    "safety stop, toxic": ({"safety_cutoff": 0.8}, TOXIC, 0.3),
    "slow accrual, start higher": ({"start": "C", "no_skip": False}, MODERATE, 0.02),
    "adaptive weights, fast accrual": ({"scheme": "adaptive"}, MODERATE, 0.5),
    "adaptive weights, logistic, safety stop": (
        {"scheme": "adaptive", "model": "logistic", "safety_cutoff": 0.8},
        TOXIC,
        0.3,
    ),
}


@pytest.mark.parametrize("name", list(REPLAYS))
def test_each_trial_takes_the_designs_decisions(name: str) -> None:
    options, true_tox, rate = REPLAYS[name]
    design = tite(**options)
    tolerances = draw_tolerances(np.random.default_rng(11), 100, design.max_n)
    paths = TiteTrials.run(design, true_tox, tolerances, rate, np.random.default_rng(12))
    for trial in range(tolerances.shape[0]):
        replay(design, paths, trial)


def test_the_safety_scenario_stops_some_trials_early() -> None:
    design = tite(safety_cutoff=0.8)
    tolerances = draw_tolerances(np.random.default_rng(11), 100, design.max_n)
    paths = TiteTrials.run(design, TOXIC, tolerances, 0.3, np.random.default_rng(12))
    treated = (paths.dose >= 0).sum(axis=1)
    assert (treated < design.max_n).any()
    assert (paths.selected == -2).any()


def test_slow_accrual_is_the_plain_crm() -> None:
    """Gaps of about 1e9 days close every window first: the CRM's own Monte Carlo results."""
    options: dict[str, Any] = {"max_n": 12, "safety_cutoff": 0.9}
    tolerances = draw_tolerances(np.random.default_rng(3), 300, 12)
    crm = run_crm_trials(CrmDesign(LADDER, SKELETON, 0.25, **options), MODERATE, tolerances)
    slow = run_tite_trials(
        tite(**options),
        MODERATE,
        tolerances,
        arrival_rate=1e-9,
        rng_times=np.random.default_rng(4),
    )
    fast = run_tite_trials(
        tite(**options), MODERATE, tolerances, arrival_rate=2.0, rng_times=np.random.default_rng(4)
    )
    for field in ("selected", "n", "y"):
        np.testing.assert_array_equal(getattr(slow, field), getattr(crm, field))
    assert not np.array_equal(fast.n, crm.n)


def test_the_summary_sums_to_one_and_counts_subjects() -> None:
    design = tite(max_n=10)
    tolerances = draw_tolerances(np.random.default_rng(5), 300, design.max_n)
    oc = simulate_tite(
        design, MODERATE, tolerances, arrival_rate=0.25, rng_times=np.random.default_rng(6)
    )
    assert sum(oc.p_select) + oc.p_no_mtd == pytest.approx(1.0, abs=1e-12)
    assert oc.expected_n == pytest.approx(10.0)
    assert oc.method == "mc"
    assert oc.labels == LADDER.labels


def test_same_inputs_give_the_same_trials() -> None:
    design = tite(safety_cutoff=0.9)
    tolerances = draw_tolerances(np.random.default_rng(7), 50, design.max_n)
    runs = [
        run_tite_trials(
            design, MODERATE, tolerances, arrival_rate=0.3, rng_times=np.random.default_rng(8)
        )
        for _ in range(2)
    ]
    for field in ("selected", "n", "y"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))


REFUSALS = {
    # name: (design, the words the message must hold)
    "plain CRM": (CrmDesign(LADDER, SKELETON, 0.25, max_n=12), "run_crm_trials"),
    "cohorts of 3": (tite(cohort_size=3), "cohorts above 1 is not built yet"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refuses_the_variants_not_built(name: str) -> None:
    design, words = REFUSALS[name]
    tolerances = draw_tolerances(np.random.default_rng(1), 2, design.max_n)
    with pytest.raises(DesignInputError, match=words):
        run_tite_trials(
            design, MODERATE, tolerances, arrival_rate=1.0, rng_times=np.random.default_rng(2)
        )


@pytest.mark.parametrize(
    ("argument", "tolerance_columns", "rate"),
    [("tolerances", 11, 1.0), ("arrival_rate", 12, 0.0), ("arrival_rate", 12, float("inf"))],
)
def test_refuses_bad_inputs_by_name(argument: str, tolerance_columns: int, rate: float) -> None:
    tolerances = draw_tolerances(np.random.default_rng(1), 2, tolerance_columns)
    with pytest.raises(DesignInputError, match=argument):
        run_tite_trials(
            tite(), MODERATE, tolerances, arrival_rate=rate, rng_times=np.random.default_rng(2)
        )


def test_a_batch_that_all_stops_early_selects_nothing() -> None:
    design = tite(safety_cutoff=0.5)
    tolerances = np.zeros((3, design.max_n))  # every subject has a DLT
    oc = simulate_tite(
        design, TOXIC, tolerances, arrival_rate=0.01, rng_times=np.random.default_rng(9)
    )
    assert oc.p_no_mtd == 1.0
    assert oc.expected_n < design.max_n


def test_adaptive_weights_are_the_designs() -> None:
    # Rows of subjects as a simulated trial holds them at one arrival; each row's weights must be
    # compute_tite_weights(..., "adaptive") to the bit, ties of a DLT day and a follow-up
    # included (a DLT at or before the follow-up counts as before it: dfcrm's support <= f/u).
    rng = np.random.default_rng(21)
    elapsed = rng.uniform(0.0, 1.5 * WINDOW, (400, 9))
    dlt_day = rng.uniform(0.0, WINDOW, (400, 9))
    seen = (rng.random((400, 9)) < 0.3) & (dlt_day <= elapsed)
    elapsed[::7, 0] = np.where(seen[::7, 1], dlt_day[::7, 1], elapsed[::7, 0])  # ties
    weights = tite_module._adaptive_weights(elapsed, seen, dlt_day, WINDOW)
    for row in range(elapsed.shape[0]):
        followup = np.where(seen[row], dlt_day[row], elapsed[row]).tolist()
        expected = compute_tite_weights(followup, seen[row].tolist(), WINDOW, "adaptive")
        assert np.where(seen[row], 1.0, weights[row]).tolist() == list(expected), row


def test_adaptive_weights_change_the_trials() -> None:
    # The same patients at the same times: some trials must go another way once the weights
    # follow the DLT days seen (Cheung & Chappell 2000) instead of the calendar.
    tolerances = draw_tolerances(np.random.default_rng(13), 200, 12)
    runs = [
        run_tite_trials(
            tite(scheme=scheme),
            MODERATE,
            tolerances,
            arrival_rate=0.5,
            rng_times=np.random.default_rng(14),
        )
        for scheme in ("linear", "adaptive")
    ]
    assert not np.array_equal(runs[0].n, runs[1].n)
