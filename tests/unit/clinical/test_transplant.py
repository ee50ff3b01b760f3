"""ISHLT 2021 listing decline: FVC / DLCO >= 10 % over 6 months, under both readings."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.clinical.results import AssessmentInputError, AssessmentStatus
from trialdesk.clinical.transplant import (
    Comparison,
    DeclineReading,
    LungMeasure,
    Pair,
    evaluate_both_readings,
    evaluate_listing_decline,
)

REL, ABS = DeclineReading.RELATIVE, DeclineReading.ABSOLUTE_POINTS
FVC, DLCO = LungMeasure.FVC, LungMeasure.DLCO


def test_two_litres_to_one_point_eight_is_exactly_ten_percent() -> None:
    # Naive floating point: (2.0 - 1.8) / 2.0 * 100 == 9.999999999999998, which would miss.
    assert (2.0 - 1.8) / 2.0 * 100 < 10
    result = evaluate_listing_decline(FVC, REL, measured=(2.0, 1.8))
    assert result.value is True
    assert result.derived_dict()["decline"] == Fraction(10)
    assert result.rule == "ishlt.fvc.decline_ge_10pct.relative"


@pytest.mark.parametrize(
    ("before", "after", "met"), [("2.0", "1.81", False), ("2.0", "1.8", True), ("3", "2", True)]
)
def test_relative_threshold_is_inclusive(before: str, after: str, met: bool) -> None:
    assert evaluate_listing_decline(FVC, REL, measured=(before, after)).value is met


@pytest.mark.parametrize(("before", "after", "met"), [(70, 60, True), ("70", "60.1", False)])
def test_absolute_reading_counts_percent_predicted_points(
    before: str | int, after: str | int, met: bool
) -> None:
    result = evaluate_listing_decline(DLCO, ABS, percent_predicted=(before, after))
    assert result.value is met
    assert result.rule == "ishlt.dlco.decline_ge_10pct.absolute-points"


def test_ishlt_2021_strict_comparison_misses_exactly_ten_points() -> None:
    # Leard 2021 (listing): "absolute decline ... FVC > 10 %"; the protocol says ">= 10 %".
    at_least = evaluate_listing_decline(DLCO, ABS, percent_predicted=(50, 40))
    more_than = evaluate_listing_decline(
        DLCO, ABS, percent_predicted=(50, 40), comparison=Comparison.MORE_THAN
    )
    assert at_least.value is True
    assert more_than.value is False
    assert more_than.rule == "ishlt.dlco.decline_gt_10pct.absolute-points"


def test_the_two_readings_can_disagree_and_each_is_named() -> None:
    # FVC 60 % -> 54 % predicted (2.40 -> 2.16 L): a 10 % relative fall, only 6 points.
    both = evaluate_both_readings(FVC, measured=("2.40", "2.16"), percent_predicted=(60, 54))
    assert both[REL].value is True
    assert both[ABS].value is False
    assert both[REL].derived_dict()["basis"] == "measured"
    assert both[ABS].derived_dict()["decline"] == Fraction(6)


def test_relative_reading_on_percent_predicted_says_so() -> None:
    result = evaluate_listing_decline(DLCO, REL, percent_predicted=(40, 36))
    assert result.value is True
    assert "predicted value assumed unchanged" in result.reason


def test_missing_values_are_unknown() -> None:
    result = evaluate_listing_decline(FVC, ABS, measured=(2, 1.5))
    assert result.status is AssessmentStatus.UNKNOWN
    assert result.value is None


def test_an_increase_does_not_meet() -> None:
    assert evaluate_listing_decline(FVC, REL, measured=(1.8, 2.0)).value is False


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"measured": (0, 1.8)}, "fvc[before]"),
        ({"measured": (2.0, -1)}, "fvc[after]"),
        ({"measured": ("x", 1.8)}, "fvc[before]"),
        ({"percent_predicted": (250, 60)}, "fvc_percent_predicted[before]"),
    ],
)
def test_bad_values_are_refused_by_name(kwargs: dict[str, Pair], argument: str) -> None:
    with pytest.raises(AssessmentInputError, match=re.escape(f"argument `{argument}`")):
        evaluate_listing_decline(
            FVC,
            REL,
            measured=kwargs.get("measured"),
            percent_predicted=kwargs.get("percent_predicted"),
        )


@given(st.decimals(min_value="0.5", max_value="8", places=2), st.integers(0, 30))
def test_relative_decline_meets_exactly_from_ten_percent(before: Decimal, drop_pct: int) -> None:
    after = before * (100 - drop_pct) / 100
    result = evaluate_listing_decline(FVC, REL, measured=(before, after))
    assert result.value is (drop_pct >= 10)
