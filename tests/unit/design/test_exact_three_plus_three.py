"""Exact operating characteristics of the 3+3: published formulas, path counts, a peer, by hand."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from strategies import three_plus_three_scenarios
from trialdesk.design import DoseLadder
from trialdesk.design.exact_three_plus_three import exact_oc
from trialdesk.design.oc import OperatingCharacteristics
from trialdesk.design.simulate import draw_tolerances, simulate_three_plus_three
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError

SEED = DoseLadder((-1, 1, 2))
F = Fraction


def ladder_of(doses: int) -> DoseLadder:
    return DoseLadder(tuple(range(1, doses + 1)))


# --- Storer (1989) ------------------------------------------------------------------------------


# Storer BE. Design and analysis of phase I clinical trials. Biometrics 1989;45:925-937:
# the 3+3 escalates past a dose with DLT probability p with probability
# (1-p)^3 + 3p(1-p)^5 (0/3, or 1/3 then 0/3). With a safe second dose (p = 0) and no
# expansion at the top, reaching dose 2 means selecting it, with exactly 3 subjects there.
@pytest.mark.parametrize(
    "p", [Fraction(0), Fraction(1, 10), Fraction(1, 6), Fraction(1, 3), Fraction(1, 2), Fraction(1)]
)
@pytest.mark.parametrize(
    "design", [ThreePlusThree(ladder_of(2)), ThreePlusThree(ladder_of(2), deescalate=False)]
)
def test_storer_probability_of_escalating_past_a_dose(p: Fraction, design: ThreePlusThree) -> None:
    oc = exact_oc(design, [p, Fraction(0)])
    storer = (1 - p) ** 3 + 3 * p * (1 - p) ** 5
    assert oc.p_select[1] == storer
    assert oc.expected_n_per_dose[1] == 3 * storer


# --- path counts: precautionary -----------------------------------------------------------------

# Norris DC, R package precautionary (exec/prolog/three3.pl, `n_trials(1..8, XY)`; the
# `exact()` help page cites the 442 paths of 4 doses): 10, 46, 154, 442, 1162, 2890 paths
# for 1-6 doses, each cohort's outcome being its number of DLTs. Its enumeration requires
# 6 subjects at any declared MTD: de-escalation that expands a 0/3 dose below a too-toxic
# one, and a top dose with 0/3 expanded too. Only that option set reproduces the counts.
PRECAUTIONARY_PATHS = [(1, 10), (2, 46), (3, 154), (4, 442), (5, 1162), (6, 2890)]


@pytest.mark.parametrize(("doses", "paths"), PRECAUTIONARY_PATHS)
def test_path_counts_of_precautionary(doses: int, paths: int) -> None:
    design = ThreePlusThree(
        ladder_of(doses), deescalate=True, lower_zero_of_three="expand", expand_top=True
    )
    assert exact_oc(design, [0.3] * doses).n_terminal_paths == paths


# Counted by this module for the other option sets (start at the lowest dose), to show they
# differ from precautionary's. Without expand_top a top dose with 0/3 is declared at once
# (346 for 4 doses is also bcrm's number of designs, below). With lower_zero_of_three="stop"
# the design is escalation-only in effect: the level below a too-toxic one is declared as is.
@pytest.mark.parametrize(
    ("options", "paths"),
    [
        ({"expand_top": False}, [7, 34, 118, 346]),
        ({"lower_zero_of_three": "stop", "expand_top": True}, [10, 25, 55, 115]),
        ({"deescalate": False, "expand_top": True}, [10, 25, 55, 115]),
        ({"deescalate": False}, [7, 19, 43, 91]),
    ],
)
def test_other_option_sets_count_other_paths(options: dict[str, object], paths: list[int]) -> None:
    designs = [ThreePlusThree(ladder_of(d), **options) for d in range(1, 5)]  # type: ignore[arg-type]
    assert [
        exact_oc(design, [0.3] * len(design.ladder)).n_terminal_paths for design in designs
    ] == paths


# --- bcrm, an independent enumeration -----------------------------------------------------------


# R package bcrm 0.5.4 (Sweeting, Wheeler; /work/shared/peers/bcrm_0.5.4.tar.gz), under
# R 4.2.2: its 3+3 (Chang et al. 2006 when de-escalating; Storer 1989 / Reiner et al. 1999
# when escalation-only) is ours with deescalate = !threep3.esc.only and the other options
# at their defaults, starting at the lowest dose (threep3.start = 1). Each case holds the
# threep3 call, and the file the R expression behind each output.
THREEP3 = Path(__file__).resolve().parents[2] / "data" / "bcrm" / "threep3.json"
BCRM_THREEP3 = json.loads(THREEP3.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", BCRM_THREEP3["cases"], ids=lambda case: case["id"])
def test_agrees_with_bcrm_threep3(case: dict[str, Any]) -> None:
    truep, expected = case["inputs"]["truep"], case["output"]
    design = ThreePlusThree(
        ladder_of(len(truep)), deescalate=not case["inputs"]["threep3.esc.only"]
    )
    oc = exact_oc(design, truep)
    close = pytest.approx
    assert oc.p_no_mtd == close(expected["no_mtd"], rel=1e-12)
    assert list(oc.p_select) == close(expected["p_select"], rel=1e-12)
    assert list(oc.expected_n_per_dose) == close(expected["n_average"], rel=1e-12)
    assert list(oc.expected_dlt_per_dose) == close(expected["dlt_average"], rel=1e-12)
    assert oc.n_distribution == close(
        dict(zip(expected["ssize"], expected["p_ssize"], strict=True)), rel=1e-12
    )
    assert oc.n_terminal_paths == expected["designs"]


# --- by hand ------------------------------------------------------------------------------------


def test_one_dose_at_one_half_by_hand() -> None:
    # By hand, 1 dose, p = 1/2, no expansion at the top. P(k DLTs of 3) = 1/8, 3/8, 3/8, 1/8.
    # 0/3 (1/8): MTD, N = 3. 1/3 (3/8): 3 more; 0 of them (1/8) MTD, else too toxic; N = 6.
    # 2/3 or 3/3 (4/8): too toxic at the lowest dose, N = 3.
    # P(MTD) = 1/8 + 3/8 * 1/8 = 11/64 (Storer's formula at p = 1/2 too).
    # P(N = 3) = 5/8, P(N = 6) = 3/8, E[N] = 33/8, E[DLT] = E[N] / 2 = 33/16.
    # Paths: 1 (0/3) + 4 (1/3 then 0..3) + 1 + 1 = 7.
    oc = exact_oc(ThreePlusThree(DoseLadder((1,))), [Fraction(1, 2)])
    assert oc == OperatingCharacteristics(
        labels=(1,),
        p_select=(Fraction(11, 64),),
        p_no_mtd=Fraction(53, 64),
        expected_n=Fraction(33, 8),
        expected_n_per_dose=(Fraction(33, 8),),
        expected_dlt=Fraction(33, 16),
        expected_dlt_per_dose=(Fraction(33, 16),),
        n_distribution={3: Fraction(5, 8), 6: Fraction(3, 8)},
        n_terminal_paths=7,
    )


def test_one_dose_at_one_half_expanding_the_top_by_hand() -> None:
    # By hand, as above with expand_top: 0/3 (1/8) now gets 3 more, declared on 0 or 1 of
    # them (1/8 + 3/8 = 1/2). P(MTD) = 1/8 * 1/2 + 3/8 * 1/8 = 7/64.
    # P(N = 3) = 4/8 (2/3 or 3/3), P(N = 6) = 1/2, E[N] = 9/2. Paths: 4 + 4 + 1 + 1 = 10.
    oc = exact_oc(ThreePlusThree(DoseLadder((1,)), expand_top=True), [Fraction(1, 2)])
    assert (oc.p_select, oc.p_no_mtd) == ((Fraction(7, 64),), Fraction(57, 64))
    assert oc.n_distribution == {3: Fraction(1, 2), 6: Fraction(1, 2)}
    assert (oc.expected_n, oc.n_terminal_paths) == (Fraction(9, 2), 10)


def test_seed_ladder_by_label() -> None:
    # By hand, seed ladder, start 1: level 1 always 3/3, so de-escalate to -1 (untested),
    # 0/3 there, 3 more (expand) and 0/6: MTD -1 with certainty after 3 + 6 subjects.
    oc = exact_oc(ThreePlusThree(SEED, 1), [F(0), F(1), F(1)])
    assert oc.labels == (-1, 1, 2)
    assert oc.p_select == (F(1), F(0), F(0))
    assert oc.expected_n_per_dose == (F(6), F(3), F(0))
    assert oc.expected_dlt_per_dose == (F(0), F(3), F(0))
    assert oc.n_distribution == {9: F(1)}


@pytest.mark.parametrize(("p", "selected"), [(F(0), (F(0), F(0), F(1))), (F(1), (F(0),) * 3)])
def test_certain_outcomes(p: Fraction, selected: tuple[Fraction, ...]) -> None:
    # With no DLT ever the top dose is selected; with a DLT always, none (start at -1).
    oc = exact_oc(ThreePlusThree(SEED), [p] * 3)
    assert oc.p_select == selected
    assert oc.p_no_mtd == 1 - sum(selected)


# --- contract properties ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(three_plus_three_scenarios())
def test_probabilities_and_expectations_add_up_exactly(
    scenario: tuple[ThreePlusThree, list[Fraction]],
) -> None:
    design, tox = scenario
    oc = exact_oc(design, tox)
    assert sum(oc.p_select) + oc.p_no_mtd == 1
    assert sum(oc.n_distribution.values()) == 1
    assert oc.expected_n == sum(n * p for n, p in oc.n_distribution.items())
    assert oc.expected_n == sum(oc.expected_n_per_dose)
    assert oc.expected_dlt == sum(oc.expected_dlt_per_dose)
    # Wald's identity: each subject's DLT is a fresh Bernoulli(p) draw, so E[DLT] = p E[n].
    assert list(oc.expected_dlt_per_dose) == [
        p * n for p, n in zip(tox, oc.expected_n_per_dose, strict=True)
    ]
    assert all(isinstance(x, Fraction) for x in [*oc.p_select, oc.expected_n, oc.expected_dlt])


@settings(max_examples=60, deadline=None)
@given(three_plus_three_scenarios())
def test_float_and_fraction_results_agree(scenario: tuple[ThreePlusThree, list[Fraction]]) -> None:
    design, tox = scenario
    exact = exact_oc(design, tox)
    rough = exact_oc(design, [float(p) for p in tox])
    assert all(isinstance(x, float) for x in [*rough.p_select, rough.p_no_mtd, rough.expected_n])
    pairs = [
        (exact.p_no_mtd, rough.p_no_mtd),
        (exact.expected_n, rough.expected_n),
        (exact.expected_dlt, rough.expected_dlt),
        *zip(exact.p_select, rough.p_select, strict=True),
        *zip(exact.expected_n_per_dose, rough.expected_n_per_dose, strict=True),
        *zip(exact.expected_dlt_per_dose, rough.expected_dlt_per_dose, strict=True),
    ]
    assert all(math.isclose(e, r, rel_tol=1e-12, abs_tol=1e-12) for e, r in pairs)
    assert exact.n_distribution.keys() == rough.n_distribution.keys()
    for n, p in exact.n_distribution.items():
        assert math.isclose(p, rough.n_distribution[n], rel_tol=1e-12, abs_tol=1e-12)
    assert exact.n_terminal_paths == rough.n_terminal_paths


@settings(max_examples=30, deadline=None)
@given(three_plus_three_scenarios())
def test_path_count_is_a_property_of_the_design(
    scenario: tuple[ThreePlusThree, list[Fraction]],
) -> None:
    design, tox = scenario
    half = [Fraction(1, 2)] * len(tox)
    assert exact_oc(design, tox).n_terminal_paths == exact_oc(design, half).n_terminal_paths


# --- refused input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tox", "expected"),
    [
        ([0.1, 0.2], "a sequence of 3 probabilities"),
        ([0.1, 0.2, 0.3, 0.4], "a sequence of 3 probabilities"),
        ("abc", "a sequence of 3 probabilities"),
        (0.3, "a sequence of 3 probabilities"),
        ([0.1, 1.5, 0.3], "a probability in [0, 1] for level 1, got 1.5"),
        ([-0.1, 0.2, 0.3], "a probability in [0, 1] for level -1, got -0.1"),
        ([0.1, 0.2, math.nan], "a probability in [0, 1] for level 2, got nan"),
        ([0.1, 0.2, math.inf], "for level 2, got inf"),
        ([0.1, True, 0.3], "for level 1, got True"),
        ([0.1, "0.2", 0.3], "for level 1, got '0.2'"),
        ([Fraction(1, 10), 0.2, 0.3], "all Fractions (exact results) or all floats"),
    ],
)
def test_bad_true_tox_is_refused_by_name(tox: object, expected: str) -> None:
    with pytest.raises(DesignInputError, match="argument `true_tox` got") as caught:
        exact_oc(ThreePlusThree(SEED, 1), tox)  # type: ignore[call-overload]
    assert expected in str(caught.value)


def test_only_a_three_plus_three_design_is_walked() -> None:
    with pytest.raises(DesignInputError, match="argument `design` got"):
        exact_oc("3+3", [0.1])  # type: ignore[call-overload]


def test_a_numpy_vector_is_a_sequence_of_floats() -> None:
    oc = exact_oc(ThreePlusThree(SEED), np.array([0.1, 0.2, 0.3]))  # type: ignore[call-overload]
    assert oc == exact_oc(ThreePlusThree(SEED), [0.1, 0.2, 0.3])
    with pytest.raises(DesignInputError, match="a sequence of 3 probabilities"):
        exact_oc(ThreePlusThree(SEED), np.array(0.3))  # type: ignore[call-overload]


def test_ints_are_floats() -> None:
    oc = exact_oc(ThreePlusThree(SEED), [0, 0, 1])
    assert oc.p_select == (0.0, 1.0, 0.0)
    assert isinstance(oc.p_select[1], float)


@pytest.mark.parametrize("true_tox", [(0.05, 0.15, 0.30), (0.30, 0.45, 0.60), (0.02, 0.05, 0.10)])
@pytest.mark.parametrize(
    ("deescalate", "expand_top"), [(True, False), (False, False), (True, True)]
)
def test_monte_carlo_agrees_with_exact_within_4_se(
    true_tox: tuple[float, ...], deescalate: bool, expand_top: bool
) -> None:
    design = ThreePlusThree(DoseLadder((-1, 1, 2)), 1, deescalate=deescalate, expand_top=expand_top)
    exact = exact_oc(design, true_tox)
    tolerances = draw_tolerances(np.random.default_rng(2026), 4000, 18)
    mc = simulate_three_plus_three(design, true_tox, tolerances)
    assert mc.se is not None
    se_select = mc.se["p_select"]
    assert isinstance(se_select, tuple)
    for ours, truth, se in zip(mc.p_select, exact.p_select, se_select, strict=True):
        assert abs(ours - truth) <= 4 * max(se, 1 / 4000)
    se_n = mc.se["expected_n"]
    assert isinstance(se_n, float)
    assert abs(mc.expected_n - exact.expected_n) <= 4 * max(se_n, 0.01)
    assert set(mc.n_distribution) <= set(exact.n_distribution)
