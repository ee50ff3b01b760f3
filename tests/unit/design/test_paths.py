"""Dose-transition pathways."""

from __future__ import annotations

import math

import pytest

from trialdesk.design import DoseLadder, parse_outcomes
from trialdesk.design.paths import PathNode, dose_paths
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError

SEED = ThreePlusThree(DoseLadder((-1, 1, 2)), 1)


def _leaf_probabilities(node: PathNode) -> list[float]:
    if not node.children:
        assert node.probability is not None
        return [node.probability]
    return [p for child in node.children for p in _leaf_probabilities(child)]


def test_first_cohort_branches_by_dlt_count_with_the_3_plus_3_rules() -> None:
    root = dose_paths(SEED, (), cohorts=1)
    assert root.decision.next_level == 1
    assert [child.cohort for child in root.children] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    # 0/3 escalates to 2; 1/3 treats 3 more at 1; 2/3 and 3/3 de-escalate to -1.
    assert [child.decision.next_level for child in root.children] == [2, 1, -1, -1]


def test_branch_probabilities_sum_to_one() -> None:
    root = dose_paths(SEED, (), cohorts=3, true_tox=(0.05, 0.15, 0.30))
    assert math.isclose(sum(_leaf_probabilities(root)), 1.0, rel_tol=1e-12)
    # Storer (1989): P(escalate past a dose after its first cohorts) = (1-p)^3 + 3p(1-p)^5;
    # the 1NNN branch alone is (1-p)^3 at p = 0.15.
    assert math.isclose(root.children[0].probability or 0, 0.85**3, rel_tol=1e-12)


def test_paths_continue_from_a_history() -> None:
    root = dose_paths(SEED, parse_outcomes("1NNT"), cohorts=1)
    assert root.decision.rule == "3+3.expand_after_1_of_3"
    assert root.leaves() == 4


def test_negative_cohorts_are_refused() -> None:
    with pytest.raises(DesignInputError, match="argument `cohorts`"):
        dose_paths(SEED, (), cohorts=-1)
