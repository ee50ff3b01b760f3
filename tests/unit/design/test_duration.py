"""Expected duration under Poisson accrual, by hand."""

from __future__ import annotations

import math

import pytest

from trialdesk.design.duration import compute_duration
from trialdesk.errors import DesignInputError


def test_a_design_that_waits_suspends_accrual_for_every_window() -> None:
    # E[N] = 12 in cohorts of 3 at 0.5 subjects/day with a 14-day window:
    # accrual 12 / 0.5 = 24 days, 4 cohorts x 14 = 56 days suspended, 80 days in all.
    result = compute_duration(
        12, cohort_size=3, arrival_rate=0.5, window_days=14, waits_for_window=True
    )
    assert result.expected_days == 80
    assert result.expected_suspended_days == 56
    assert math.isclose(result.share_suspended, 56 / 80)


def test_tite_crm_keeps_accruing() -> None:
    # 24 subjects at 0.5/day: 48 days of accrual plus the last subject's 14-day window.
    result = compute_duration(
        24, cohort_size=1, arrival_rate=0.5, window_days=14, waits_for_window=False
    )
    assert (result.expected_days, result.share_suspended) == (62, 0.0)


@pytest.mark.parametrize(
    ("rate", "window", "argument"), [(0, 14, "arrival_rate"), (1, -1, "window")]
)
def test_bad_input_is_refused_by_name(rate: float, window: float, argument: str) -> None:
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        compute_duration(
            12, cohort_size=3, arrival_rate=rate, window_days=window, waits_for_window=True
        )
