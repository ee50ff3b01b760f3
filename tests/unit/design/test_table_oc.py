"""Exact (Markov chain) and Monte Carlo operating characteristics of table designs."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from trialdesk.design.boin import Boin
from trialdesk.design.decision_table import DecisionTable, TableDesign
from trialdesk.design.exact_table import StateDecider, exact_oc_table
from trialdesk.design.history import DoseLadder
from trialdesk.design.interval_tables import i3plus3_table, keyboard_table, mtpi2_table
from trialdesk.design.isotonic import IsotonicSelector
from trialdesk.design.oc import OperatingCharacteristics
from trialdesk.design.simulate import draw_tolerances, simulate_table
from trialdesk.errors import DesignInputError

FIVE = DoseLadder((1, 2, 3, 4, 5))
P_TRUE = (0.05, 0.15, 0.30, 0.45, 0.60)
BOIN = Boin(target=0.3, ladder=FIVE, max_cohorts=10, cohort_size=3)
BOIN_TITRATION = Boin(target=0.3, ladder=FIVE, max_cohorts=10, cohort_size=3, titration=True)


def _table_design(table: DecisionTable, ladder: DoseLadder = FIVE) -> TableDesign:
    return TableDesign(ladder, table, IsotonicSelector(0.3), max_cohorts=10, cohort_size=3)


TABLE_DESIGNS: dict[str, tuple[StateDecider, TableDesign]] = {
    "boin": (BOIN, BOIN.table_design),
    "boin-titration": (BOIN_TITRATION, BOIN_TITRATION.table_design),
    "keyboard": (d := _table_design(keyboard_table(0.3, 30)), d),
    "mtpi2": (d := _table_design(mtpi2_table(0.3, 30)), d),
    "i3+3": (d := _table_design(i3plus3_table(0.3, 30)), d),
}


def test_boin_exact_agrees_with_the_r_package_simulation() -> None:
    # R 4.2.2, BOIN 2.7.2: get.oc(target = 0.3, p.true = c(0.05, 0.15, 0.3, 0.45, 0.6),
    #   ncohort = 10, cohortsize = 3, ntrial = 10000, seed = 6)
    # selpercent 1.08 23.52 54.96 19.03 1.39; npatients 4.152 9.1968 11.1498 4.7322 0.7638
    r_select = (0.0108, 0.2352, 0.5496, 0.1903, 0.0139)
    r_patients = (4.152, 9.1968, 11.1498, 4.7322, 0.7638)
    exact = exact_oc_table(BOIN, BOIN.table_design, P_TRUE)
    for ours, theirs in zip(exact.p_select, r_select, strict=True):
        assert abs(ours - theirs) <= 4 * math.sqrt(ours * (1 - ours) / 10_000)
    # Per-dose sample sizes: a 10,000-trial mean is within 0.15 subjects of the truth here.
    for ours, theirs in zip(exact.expected_n_per_dose, r_patients, strict=True):
        assert abs(ours - theirs) < 0.15


def test_boin_titration_exact_agrees_with_the_r_package_simulation() -> None:
    # R 4.2.2, BOIN 2.7.2: get.oc(target = 0.3, p.true = c(0.05, 0.1, 0.2, 0.3, 0.45),
    #   ncohort = 10, cohortsize = 3, titration = TRUE, ntrial = 100000, seed = 6)
    # selpercent 0.209 4.106 27.176 51.221 17.262;
    # npatients 1.45764 3.18423 7.60796 10.67461 7.06875; totaln 29.99319
    r_select = (0.00209, 0.04106, 0.27176, 0.51221, 0.17262)
    r_patients = (1.45764, 3.18423, 7.60796, 10.67461, 7.06875)
    exact = exact_oc_table(BOIN_TITRATION, BOIN_TITRATION.table_design, (0.05, 0.1, 0.2, 0.3, 0.45))
    for ours, theirs in zip(exact.p_select, r_select, strict=True):
        assert abs(ours - theirs) <= 4 * math.sqrt(ours * (1 - ours) / 100_000)
    # A 100,000-trial mean of the subjects per dose is within 0.05 of the truth here.
    for ours, theirs in zip(exact.expected_n_per_dose, r_patients, strict=True):
        assert abs(ours - theirs) < 0.05
    assert abs(exact.expected_n - 29.99319) < 0.01


def test_titration_exact_by_hand() -> None:
    # Two levels, 6 subjects at most. No DLT ever: 1 subject at level 1, 1 at level 2,
    # 2 more there (a cohort of 3), then the last 2 at level 2 (cut short by the cap).
    two = Boin(target=0.3, ladder=DoseLadder((1, 2)), max_cohorts=2, cohort_size=3, titration=True)
    safe = exact_oc_table(two, two.table_design, [Fraction(0), Fraction(0)])
    assert safe.expected_n_per_dose == (Fraction(1), Fraction(5))
    assert safe.p_select == (Fraction(0), Fraction(1))
    # Every subject has a DLT: the first at level 1 ends titration, 2 more there make
    # 3/3, which eliminates level 1 (the lowest): stop with 3 treated and no MTD.
    toxic = exact_oc_table(two, two.table_design, [Fraction(1), Fraction(1)])
    assert toxic.n_distribution == {3: 1}
    assert toxic.p_no_mtd == 1


def test_exact_is_a_probability_distribution() -> None:
    exact = exact_oc_table(BOIN, BOIN.table_design, P_TRUE)
    assert math.isclose(sum(exact.p_select) + exact.p_no_mtd, 1.0, abs_tol=1e-12)
    assert math.isclose(sum(exact.n_distribution.values()), 1.0, abs_tol=1e-12)
    assert math.isclose(
        exact.expected_n, sum(n * p for n, p in exact.n_distribution.items()), rel_tol=1e-12
    )
    assert math.isclose(exact.expected_n, sum(exact.expected_n_per_dose), rel_tol=1e-12)


def test_fractions_and_floats_agree() -> None:
    three = DoseLadder((-1, 1, 2))
    boin = Boin(target=0.3, ladder=three, max_cohorts=4, cohort_size=3, start_level=1)
    tox = (Fraction(1, 10), Fraction(1, 4), Fraction(2, 5))
    exact = exact_oc_table(boin, boin.table_design, tox)
    floats = exact_oc_table(boin, boin.table_design, [float(p) for p in tox])
    assert all(isinstance(p, Fraction) for p in exact.p_select)
    assert sum(exact.p_select) + exact.p_no_mtd == 1
    for a, b in zip(exact.p_select, floats.p_select, strict=True):
        assert abs(float(a) - b) < 1e-12


def test_one_dose_one_cohort_by_hand() -> None:
    # One cohort of 3 at the only dose, then the maximum sample size stops the trial.
    # 3/3 eliminates at target 0.3 (P(p > 0.3 | 3/3) = 1 - 0.3^4 = 0.9919 > 0.95), so
    # no MTD has probability p^3; otherwise the only dose is selected.
    one = Boin(target=0.3, ladder=DoseLadder((1,)), max_cohorts=1, cohort_size=3)
    p = Fraction(1, 3)
    exact = exact_oc_table(one, one.table_design, [p])
    assert exact.p_no_mtd == p**3
    assert exact.p_select == (1 - p**3,)
    assert exact.n_distribution == {3: 1}
    assert exact.expected_dlt == 3 * p


@pytest.mark.parametrize("name", sorted(TABLE_DESIGNS))
@pytest.mark.parametrize(
    "true_tox",
    [P_TRUE, (0.30, 0.40, 0.50, 0.60, 0.70), (0.01, 0.02, 0.03, 0.05, 0.30)],
)
def test_monte_carlo_agrees_with_exact_within_4_se(name: str, true_tox: tuple[float, ...]) -> None:
    design, table = TABLE_DESIGNS[name]
    exact = exact_oc_table(design, table, true_tox)
    tolerances = draw_tolerances(np.random.default_rng(2026), 4000, table.max_subjects)
    mc = simulate_table(design, table, true_tox, tolerances)
    assert mc.se is not None
    assert isinstance(mc.se["p_select"], tuple)
    for ours, truth, se in zip(mc.p_select, exact.p_select, mc.se["p_select"], strict=True):
        assert abs(ours - truth) <= 4 * max(se, 1 / 4000)
    assert abs(mc.expected_n - exact.expected_n) <= 4 * max(float(str(mc.se["expected_n"])), 0.01)


def test_common_random_numbers_give_identical_trials() -> None:
    tolerances = draw_tolerances(np.random.default_rng(1), 500, 30)
    first = simulate_table(BOIN, BOIN.table_design, P_TRUE, tolerances)
    again = simulate_table(BOIN, BOIN.table_design, P_TRUE, tolerances)
    assert first == again


def test_a_table_loaded_from_json_runs_the_same_trials() -> None:
    loaded = _table_design(DecisionTable.from_json(BOIN.table.to_json()))
    builtin = _table_design(BOIN.table)
    tolerances = draw_tolerances(np.random.default_rng(7), 1000, 30)
    assert simulate_table(loaded, loaded, P_TRUE, tolerances) == simulate_table(
        builtin, builtin, P_TRUE, tolerances
    )


def test_bad_true_tox_is_refused_by_name() -> None:
    with pytest.raises(DesignInputError, match="argument `true_tox`"):
        exact_oc_table(BOIN, BOIN.table_design, (0.1, 0.2))
    with pytest.raises(DesignInputError, match="a probability in"):
        exact_oc_table(BOIN, BOIN.table_design, (0.1, 0.2, 1.3, 0.4, 0.5))


def test_monte_carlo_reports_its_method() -> None:
    tolerances = draw_tolerances(np.random.default_rng(3), 50, 30)
    oc: OperatingCharacteristics[float] = simulate_table(
        BOIN, BOIN.table_design, P_TRUE, tolerances
    )
    assert oc.method == "mc"
    assert oc.se is not None
