"""Six-minute walk records (ATS 2002, ERS/ATS 2014) and the ISHLT 2021 6MWT sub-criteria."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trialdesk.clinical.results import AssessmentInputError, AssessmentStatus
from trialdesk.clinical.six_mwt import OxygenDelivery, SixMinuteWalk, evaluate_ishlt_6mwt


def test_distance_from_laps_lap_length_and_final_partial_lap() -> None:
    # ATS 2002: distance = laps x course length + the final partial lap.
    walk = SixMinuteWalk(laps=10, lap_length_m=30, final_partial_lap_m="12.5")
    assert walk.walked_distance_m == Decimal("312.5")


def test_recorded_distance_wins_and_must_agree_with_laps() -> None:
    walk = SixMinuteWalk(distance_m=313, laps=10, lap_length_m=30, final_partial_lap_m=12.5)
    assert walk.walked_distance_m == Decimal(313)
    with pytest.raises(AssessmentInputError, match="argument `distance_m` got 320"):
        SixMinuteWalk(distance_m=320, laps=10, lap_length_m=30, final_partial_lap_m=12.5)


def test_borg_changes_and_desaturation() -> None:
    walk = SixMinuteWalk(
        dyspnoea_borg_pre=0.5,
        dyspnoea_borg_post=4,
        fatigue_borg_pre=1,
        fatigue_borg_post=3,
        spo2_baseline_pct=95,
        spo2_nadir_pct=86,
    )
    assert walk.dyspnoea_borg_change == Decimal("3.5")
    assert walk.fatigue_borg_change == Decimal(2)
    assert walk.desaturation_pct_points == Decimal(9)
    assert SixMinuteWalk().dyspnoea_borg_change is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("distance_m", -1),
        ("distance_m", 1500),
        ("lap_length_m", 0),
        ("spo2_nadir_pct", 101),
        ("spo2_baseline_pct", 20),
        ("dyspnoea_borg_post", 11),
        ("fatigue_borg_pre", -0.5),
        ("oxygen_flow_l_min", -2),
        ("laps", -3),
        ("laps", 2.5),
        ("stops", -1),
        ("distance_m", float("inf")),
        ("oxygen_device", "nasal"),
    ],
)
def test_negative_or_implausible_values_are_refused_by_name(field: str, value: float) -> None:
    with pytest.raises(AssessmentInputError, match=f"argument `{field}`"):
        SixMinuteWalk(**{field: value})  # type: ignore[arg-type]


def test_partial_lap_shorter_than_a_lap_and_no_flow_on_room_air() -> None:
    with pytest.raises(AssessmentInputError, match="final_partial_lap_m"):
        SixMinuteWalk(laps=3, lap_length_m=30, final_partial_lap_m=30)
    with pytest.raises(AssessmentInputError, match="oxygen_flow_l_min"):
        SixMinuteWalk(oxygen_device=OxygenDelivery.ROOM_AIR, oxygen_flow_l_min=2)


# ISHLT (Leard et al. 2021) as quoted by NCT07329959 inclusion 4: "oxygen saturation <88%,
# a distance walked <250 meters, or a decline of >50 meters in distance over 6 months".
@pytest.mark.parametrize(("nadir", "met"), [("87.9", True), (88, False), (92, False)])
def test_nadir_below_88_is_strict(nadir: str | int, met: bool) -> None:
    result = evaluate_ishlt_6mwt(SixMinuteWalk(spo2_nadir_pct=nadir)).desaturation
    assert result.value is met
    assert result.rule == "ishlt.6mwt.spo2_below_88"


@pytest.mark.parametrize(("distance", "met"), [("249.9", True), (250, False), (400, False)])
def test_distance_below_250_is_strict(distance: str | int, met: bool) -> None:
    assert evaluate_ishlt_6mwt(SixMinuteWalk(distance_m=distance)).short_distance.value is met


def test_distance_from_laps_feeds_the_criterion_exactly() -> None:
    # 8 x 30 m + 9.9 m = 249.9 m
    walk = SixMinuteWalk(laps=8, lap_length_m=30, final_partial_lap_m="9.9")
    assert evaluate_ishlt_6mwt(walk).short_distance.value is True


@pytest.mark.parametrize(
    ("before", "after", "met"), [(350, 300, False), ("350.1", 300, True), (300, 320, False)]
)
def test_decline_above_50_m_is_strict(before: str | int, after: int, met: bool) -> None:
    criteria = evaluate_ishlt_6mwt(
        SixMinuteWalk(distance_m=after), SixMinuteWalk(distance_m=before)
    )
    assert criteria.distance_decline.value is met


def test_missing_inputs_are_unknown_and_any_met_is_three_valued() -> None:
    nothing = evaluate_ishlt_6mwt(SixMinuteWalk())
    assert nothing.desaturation.status is AssessmentStatus.UNKNOWN
    assert nothing.distance_decline.status is AssessmentStatus.UNKNOWN
    assert nothing.any_met is None
    assert evaluate_ishlt_6mwt(SixMinuteWalk(spo2_nadir_pct=85)).any_met is True
    all_known = evaluate_ishlt_6mwt(
        SixMinuteWalk(distance_m=400, spo2_nadir_pct=93), SixMinuteWalk(distance_m=410)
    )
    assert all_known.any_met is False


def test_inputs_list_only_what_was_given() -> None:
    walk = SixMinuteWalk(distance_m=300, stops=2)
    assert walk.as_inputs() == (("distance_m", 300), ("stops", 2))
