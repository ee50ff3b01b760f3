"""Keyboard, mTPI-2 and i3+3 tables against their papers, and Keyboard = mTPI-2."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.design import DoseLadder, parse_outcomes
from trialdesk.design.decision_table import Action, DecisionTable, TableDesign
from trialdesk.design.interval_tables import i3plus3_table, keyboard_table, mtpi2_table
from trialdesk.design.isotonic import IsotonicSelector, OverdoseRule
from trialdesk.errors import DesignInputError

# --- strategies -------------------------------------------------------------------------------

# Targets the Keyboard and mTPI-2 papers use (Guo et al. 2017 Fig. 3 compares 0.10 to 0.35).
paper_targets = st.sampled_from([0.10, 0.15, 0.20, 0.25, 0.30, 0.35])
margins = st.sampled_from([0.03, 0.05, 0.08])


def row(table: DecisionTable, n: int) -> str:
    return " ".join(a.value for a in table.rows[n - 1])


# --- mTPI-2 -----------------------------------------------------------------------------------

MTPI2_30 = mtpi2_table(0.3, 30)


@pytest.mark.parametrize(
    ("n", "actions"),
    [
        # Guo et al. (2017) Fig. 3 (target 0.3, eps1 = eps2 = 0.05), as transcribed cohort by
        # cohort in brockk/escalation tests/testthat/test_mtpi2.R ("mtpi_selector matches
        # published example"): 1NNN -> up, 1NNT -> stay, 1NTT -> down, 1TTT -> none admissible.
        (3, "E S D DU"),
        # 1NNN 1NNN/1NNT -> up; 1NNN 1NTT -> stay; 2NNN 2TTT -> down (all admissible);
        # 1NNT 1TTT -> stop.
        (6, "E E S D DU DU DU"),
        # 1NNN 1NNN 1NTT -> up; 2NNN 2NNN 2TTT -> stay; 2NNN 2NNT 2TTT -> down;
        # 1NNN 1NTT 1TTT -> stop.
        (9, "E E E S D DU DU DU DU DU"),
        # 2NNN 2NNN 2NNT 2T -> up; ... 2NTT 2T -> stay; ... 2TTT 2T and 2NNN 2NNT 2TTT 2T -> down;
        # 1NNN 1NTT 1TTT 1T -> stop.
        (10, "E E E S D D DU DU DU DU DU"),
    ],
)
def test_mtpi2_matches_guo_2017_figure_3(n: int, actions: str) -> None:
    assert row(MTPI2_30, n) == actions


@pytest.mark.parametrize(
    ("outcomes", "next_level", "stops"),
    [
        # The same transcription, as trials: '2NNN 2TTT' -> 1 with every dose admissible (the cell
        # where mTPI and mTPI-2 diverge); '1NNT 1TTT' -> stop; '5NNN 5NNN 5TTT' -> stay at the top.
        ("2NNN 2TTT", 1, False),
        ("1NNT 1TTT", None, True),
        ("5NNN 5NNN 5TTT", 5, False),
        ("5NNN 5NTT 5TTT", 4, False),
    ],
)
def test_mtpi2_trial_steps_of_the_published_example(
    outcomes: str, next_level: int | None, *, stops: bool
) -> None:
    design = TableDesign(
        DoseLadder((1, 2, 3, 4, 5)), MTPI2_30, IsotonicSelector(0.3), max_cohorts=10
    )
    decision = design.decide(parse_outcomes(outcomes))
    assert (decision.next_level, decision.stop) == (next_level, stops)


# --- Keyboard ---------------------------------------------------------------------------------


@settings(deadline=None)
@given(paper_targets)
def test_keyboard_and_mtpi2_tables_are_identical_for_the_papers_targets(target: float) -> None:
    # Yan et al. (2017) present Keyboard as an upgrade of mTPI; with the end keys' mass scaled by
    # width / length (get.boundary.kb) the strongest key is the interval with the largest unit
    # probability mass, so for margins 0.05 and n <= 30 the two tables coincide cell by cell.
    assert keyboard_table(target, 30) == mtpi2_table(target, 30)


@settings(deadline=None)
@given(st.sampled_from([0.2, 0.25, 0.3]), margins, margins)
def test_keyboard_equals_mtpi2_for_unequal_margins(
    target: float, left: float, right: float
) -> None:
    kb = keyboard_table(target, 18, margin_left=left, margin_right=right)
    assert kb == mtpi2_table(target, 18, eps1=left, eps2=right)


def test_keyboard_cell_by_hand() -> None:
    # get.boundary.kb, target 0.3, 1 DLT of 3: posterior Beta(2, 3), CDF 6x^2 - 8x^3 + 3x^4.
    # Keys [0, .05] (x 0.1/0.05 = 2), [.05, .15], [.15, .25], [.25, .35], [.35, .45], [.45, .55]:
    # masses 0.0280, 0.0955, 0.1522, 0.1753, 0.1720, 0.1495 -> the target key wins -> S.
    assert keyboard_table(0.3, 3).action(3, 1) is Action.STAY


def test_keyboard_elimination_as_printed_and_as_run() -> None:
    # get.boundary.kb marks 2/2 at target 0.3 DU (1 - 0.3^3 = 0.973 > 0.95) because it checks
    # every n; get.oc.kb eliminates only with n >= 3. The default follows the trial.
    assert keyboard_table(0.3, 3).action(2, 2) is Action.DEESCALATE
    printed = keyboard_table(0.3, 3, elimination=OverdoseRule(min_n=1))
    assert printed.action(2, 2) is Action.ELIMINATE
    assert printed.action(1, 1) is Action.DEESCALATE  # 1 - 0.3^2 = 0.91


# --- i3+3 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "n", "actions"),
    [
        # Liu, Wang & Ji (2020) rules, eps1 = eps2 = 0.05, derived by hand;
        # DU when P(p > target) > 0.95 with n >= 3.
        # Target 0.25, EI [0.20, 0.30]. n = 3: 1/3 = 0.33 > 0.30 but 0/3 < 0.20 -> S (the rule
        # that sets i3+3 apart); 2/3: 1/3 >= 0.20 -> D; 3/3: 1 - 0.25^4 = 0.996 -> DU.
        (0.25, 3, "E S D DU"),
        # n = 6: 1/6 = 0.17 -> E; 2/6 = 0.33 with 1/6 < 0.20 -> S; 3/6 -> D;
        # 4/6: 1 - P(Bin(7, 0.25) >= 5) = 1 - 0.0129 = 0.987 -> DU.
        (0.25, 6, "E E S D DU DU DU"),
        # n = 9: 2/9 = 0.22 -> S; 3/9 with 2/9 >= 0.20 -> D;
        # 4/9: 1 - P(Bin(10, .25) >= 5) = 0.922 -> D; 5/9: 1 - 0.0197 = 0.980 -> DU.
        (0.25, 9, "E E S D D DU DU DU DU DU"),
        # n = 5: 1/5 = 0.20 is inside [0.20, 0.30] -> S (edges compared exactly).
        (0.25, 5, "E S D DU DU DU"),
        # Target 0.3, EI [0.25, 0.35]: 1/3 -> S; 2/3 with 1/3 >= 0.25 -> D; 3/3 -> DU.
        (0.30, 3, "E S D DU"),
        # 1/6 -> E; 2/6 -> S; 3/6 with 2/6 >= 0.25 -> D; 4/6: 1 - P(Bin(7, .3) >= 5) = 0.971 -> DU.
        (0.30, 6, "E E S D DU DU DU"),
        # 2/9 -> E; 3/9 -> S; 4/9 -> D; 5/9: 1 - P(Bin(10, .3) >= 6) = 0.953 -> DU.
        (0.30, 9, "E E E S D DU DU DU DU DU"),
        # 1/2 = 0.5 > 0.35 but 0/2 < 0.25 -> S.
        (0.30, 2, "E S D"),
    ],
)
def test_i3plus3_cells(target: float, n: int, actions: str) -> None:
    assert row(i3plus3_table(target, 9), n) == actions


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [keyboard_table, mtpi2_table, i3plus3_table])
@pytest.mark.parametrize(
    ("target", "max_n", "argument"), [(0.0, 9, "target"), (1.0, 9, "target"), (0.3, 0, "max_n")]
)
def test_bad_target_or_size_is_refused(
    builder: object, target: float, max_n: int, argument: str
) -> None:
    assert callable(builder)
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        builder(target, max_n)


@pytest.mark.parametrize(
    ("builder", "options", "argument"),
    [
        (keyboard_table, {"margin_left": 0.3}, "margin_left"),
        (keyboard_table, {"margin_right": 0.0}, "margin_right"),
        (mtpi2_table, {"eps1": -0.05}, "eps1"),
        (i3plus3_table, {"eps2": 0.7}, "eps2"),
    ],
)
def test_bad_margins_are_refused_by_name(
    builder: object, options: dict[str, float], argument: str
) -> None:
    assert callable(builder)
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        builder(0.3, 9, **options)
