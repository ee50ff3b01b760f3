"""The six-minute walk test (6MWT): a validated record, its derived values, ISHLT criteria.

Fields follow the ATS statement (ATS Committee on Proficiency Standards for Clinical
Pulmonary Function Laboratories. ATS statement: guidelines for the six-minute walk test.
Am J Respir Crit Care Med 2002;166:111-117) and the ERS/ATS technical standard
(Holland AE, Spruit MA, Troosters T, et al. Eur Respir J 2014;44:1428-1446): distance
or laps on a measured course plus the final partial lap, SpO2 at rest and its nadir
during the walk, Borg CR10 dyspnoea and fatigue before and after, supplemental oxygen
(flow and device) and the number of stops.

Plausibility limits refuse values that cannot be a 6MWT record rather than rare ones:
distance 0-1000 m, course 10-100 m (the standard course is 30 m), SpO2 50-100 %
(pulse oximeters are not validated far below that), Borg 0-10, oxygen 0-15 L/min,
at most 100 laps or stops. A distance given together with laps must agree within 1 m.

The lung-transplant criteria of NCT07329959 inclusion 4 ("oxygen saturation < 88 %, a
distance walked < 250 meters, or a decline of > 50 meters in distance over 6 months")
are the ISHLT listing criteria for interstitial lung disease of 2014 (Weill D, et al.
J Heart Lung Transplant 2015;34:1-15: "desaturation to < 88 % or distance < 250 m on
6MWT or > 50 m decline in 6MWD over a 6-month period"); the 2021 update (Leard LE,
et al. J Heart Lung Transplant 2021;40:1349-1379) keeps < 88 % and > 50 m and drops
< 250 m. Thresholds are strict and compared exactly. The two tests of the decline
criterion are the caller's to choose about 6 months apart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from trialdesk.clinical.results import (
    Assessment,
    AssessmentInputError,
    AssessmentStatus,
    DecimalInput,
    InputValue,
    exact,
)

__all__ = [
    "ISHLT_ALGORITHM",
    "ISHLT_VERSION",
    "Ishlt6mwtCriteria",
    "OxygenDelivery",
    "SixMinuteWalk",
    "evaluate_ishlt_6mwt",
]

ISHLT_ALGORITHM = "Lung-transplant listing criteria (ILD): six-minute walk"
ISHLT_VERSION = (
    "NCT07329959 inclusion 4; ISHLT 2014 (Weill et al. 2015, J Heart Lung Transplant 34:1-15)"
)
NADIR_SPO2_BELOW_PCT = Fraction(88)
DISTANCE_BELOW_M = Fraction(250)
DECLINE_ABOVE_M = Fraction(50)
DISTANCE_AGREEMENT_M = Fraction(1)


class OxygenDelivery(StrEnum):
    """How supplemental oxygen was given during the walk."""

    ROOM_AIR = "room-air"
    NASAL_CANNULA = "nasal-cannula"
    FACEMASK = "facemask"
    OTHER = "other"


# (low, high, unit) for each decimal field, inclusive.
_DECIMAL_LIMITS: dict[str, tuple[int, int, str]] = {
    "distance_m": (0, 1000, "m"),
    "lap_length_m": (10, 100, "m"),
    "final_partial_lap_m": (0, 100, "m"),
    "spo2_baseline_pct": (50, 100, "%"),
    "spo2_nadir_pct": (50, 100, "%"),
    "dyspnoea_borg_pre": (0, 10, "(Borg CR10)"),
    "dyspnoea_borg_post": (0, 10, "(Borg CR10)"),
    "fatigue_borg_pre": (0, 10, "(Borg CR10)"),
    "fatigue_borg_post": (0, 10, "(Borg CR10)"),
    "oxygen_flow_l_min": (0, 15, "L/min"),
}
_INTEGER_LIMITS: dict[str, tuple[int, int]] = {"laps": (0, 100), "stops": (0, 100)}


def _decimal(value: Fraction) -> Decimal:
    """A Fraction built from decimals (sums, products) back as its exact Decimal."""
    return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass(frozen=True, slots=True, kw_only=True)
class SixMinuteWalk:
    """One 6MWT as recorded; every field optional, each refused by name when implausible."""

    distance_m: DecimalInput | None = None
    laps: int | None = None
    lap_length_m: DecimalInput | None = None
    final_partial_lap_m: DecimalInput | None = None
    spo2_baseline_pct: DecimalInput | None = None
    spo2_nadir_pct: DecimalInput | None = None
    dyspnoea_borg_pre: DecimalInput | None = None
    dyspnoea_borg_post: DecimalInput | None = None
    fatigue_borg_pre: DecimalInput | None = None
    fatigue_borg_post: DecimalInput | None = None
    oxygen_flow_l_min: DecimalInput | None = None
    oxygen_device: OxygenDelivery | None = None
    stops: int | None = None

    def __post_init__(self) -> None:
        for name, (low, high, unit) in _DECIMAL_LIMITS.items():
            value = getattr(self, name)
            if value is not None and not low <= exact(name, value) <= high:
                raise AssessmentInputError(name, value, f"a value {low}-{high} {unit}")
        for name, (low, high) in _INTEGER_LIMITS.items():
            value = getattr(self, name)
            if value is not None and (type(value) is not int or not low <= value <= high):
                raise AssessmentInputError(name, value, f"an integer {low}-{high}")
        self._check_course()
        self._check_oxygen()

    def _check_course(self) -> None:
        if self.final_partial_lap_m is not None and self.lap_length_m is not None:
            partial = exact("final_partial_lap_m", self.final_partial_lap_m)
            if partial >= exact("lap_length_m", self.lap_length_m):
                expected = f"less than the lap length {self.lap_length_m} m"
                raise AssessmentInputError(
                    "final_partial_lap_m", self.final_partial_lap_m, expected
                )
        from_laps = self._distance_from_laps()
        if (
            self.distance_m is not None
            and from_laps is not None
            and abs(exact("distance_m", self.distance_m) - from_laps) > DISTANCE_AGREEMENT_M
        ):
            expected = f"laps x lap length + final partial lap = {_decimal(from_laps)} m (±1 m)"
            raise AssessmentInputError("distance_m", self.distance_m, expected)

    def _check_oxygen(self) -> None:
        flow = self.oxygen_flow_l_min
        device: object = self.oxygen_device  # callers outside mypy may pass text
        if device is not None and not isinstance(device, OxygenDelivery):
            expected = ", ".join(item.value for item in OxygenDelivery)
            raise AssessmentInputError("oxygen_device", device, f"one of {expected}")
        if (
            self.oxygen_device is OxygenDelivery.ROOM_AIR
            and flow is not None
            and exact("oxygen_flow_l_min", flow)
        ):
            raise AssessmentInputError("oxygen_flow_l_min", flow, "0 or none on room air")

    def _distance_from_laps(self) -> Fraction | None:
        if self.laps is None or self.lap_length_m is None:
            return None
        partial = self.final_partial_lap_m
        extra = Fraction(0) if partial is None else exact("final_partial_lap_m", partial)
        return self.laps * exact("lap_length_m", self.lap_length_m) + extra

    @property
    def walked_distance_m(self) -> Decimal | None:
        """The distance as recorded, else laps x lap length + the final partial lap."""
        if self.distance_m is not None:
            return _decimal(exact("distance_m", self.distance_m))
        from_laps = self._distance_from_laps()
        return None if from_laps is None else _decimal(from_laps)

    @property
    def dyspnoea_borg_change(self) -> Decimal | None:
        """Post minus pre Borg dyspnoea (positive = more breathless after the walk)."""
        return _change("dyspnoea_borg", self.dyspnoea_borg_pre, self.dyspnoea_borg_post)

    @property
    def fatigue_borg_change(self) -> Decimal | None:
        """Post minus pre Borg fatigue."""
        return _change("fatigue_borg", self.fatigue_borg_pre, self.fatigue_borg_post)

    @property
    def desaturation_pct_points(self) -> Decimal | None:
        """Resting SpO2 minus the nadir, in percentage points."""
        return _change("spo2", self.spo2_nadir_pct, self.spo2_baseline_pct)

    def as_inputs(self) -> tuple[tuple[str, InputValue], ...]:
        """Every field that was given, as ``(name, value)`` pairs in field order."""
        pairs = ((f.name, getattr(self, f.name)) for f in fields(self))
        return tuple((name, value) for name, value in pairs if value is not None)


def _change(name: str, before: DecimalInput | None, after: DecimalInput | None) -> Decimal | None:
    if before is None or after is None:
        return None
    return _decimal(exact(f"{name}_after", after) - exact(f"{name}_before", before))


@dataclass(frozen=True, slots=True)
class Ishlt6mwtCriteria:
    """The three 6MWT sub-criteria, each an assessment of whether it is met."""

    desaturation: Assessment[bool]
    short_distance: Assessment[bool]
    distance_decline: Assessment[bool]

    @property
    def any_met(self) -> bool | None:
        """True if any sub-criterion is met, False if all are known unmet, else None."""
        values = [self.desaturation.value, self.short_distance.value, self.distance_decline.value]
        if True in values:
            return True
        return None if None in values else False


def _verdict(
    rule: str, reason: str, inputs: tuple[tuple[str, InputValue], ...], *, value: bool | None
) -> Assessment[bool]:
    status = AssessmentStatus.UNKNOWN if value is None else AssessmentStatus.KNOWN
    return Assessment(
        value, status, ISHLT_ALGORITHM, ISHLT_VERSION, f"ishlt.6mwt.{rule}", reason, inputs
    )


def _desaturation(walk: SixMinuteWalk) -> Assessment[bool]:
    inputs = (
        ("spo2_nadir_pct", walk.spo2_nadir_pct),
        ("oxygen_device", walk.oxygen_device),
        ("oxygen_flow_l_min", walk.oxygen_flow_l_min),
    )
    if walk.spo2_nadir_pct is None:
        return _verdict("spo2_below_88", "nadir SpO2 missing", inputs, value=None)
    met = exact("spo2_nadir_pct", walk.spo2_nadir_pct) < NADIR_SPO2_BELOW_PCT
    reason = f"nadir SpO2 {walk.spo2_nadir_pct} % {'<' if met else '>='} 88 %"
    return _verdict("spo2_below_88", reason, inputs, value=met)


def _short_distance(walk: SixMinuteWalk) -> Assessment[bool]:
    distance = walk.walked_distance_m
    inputs: tuple[tuple[str, InputValue], ...] = (("distance_m", distance),)
    if distance is None:
        missing = "distance (or laps and lap length) missing"
        return _verdict("distance_below_250", missing, inputs, value=None)
    met = Fraction(distance) < DISTANCE_BELOW_M
    reason = f"distance {distance} m {'<' if met else '>='} 250 m"
    return _verdict("distance_below_250", reason, inputs, value=met)


def _decline(walk: SixMinuteWalk, prior: SixMinuteWalk | None) -> Assessment[bool]:
    now = walk.walked_distance_m
    before = None if prior is None else prior.walked_distance_m
    inputs: tuple[tuple[str, InputValue], ...] = (
        ("prior_distance_m", before),
        ("distance_m", now),
    )
    if now is None or before is None:
        missing = "distance of this or the prior test missing"
        return _verdict("decline_above_50", missing, inputs, value=None)
    decline = before - now
    met = Fraction(decline) > DECLINE_ABOVE_M
    reason = f"decline {decline} m {'>' if met else '<='} 50 m"
    return _verdict("decline_above_50", reason, inputs, value=met)


def evaluate_ishlt_6mwt(
    walk: SixMinuteWalk, prior: SixMinuteWalk | None = None
) -> Ishlt6mwtCriteria:
    """Evaluate the ISHLT 6MWT sub-criteria on ``walk`` (and ``prior``, ~6 months earlier).

    Nadir SpO2 < 88 %, distance < 250 m, decline > 50 m from ``prior``; each is unknown
    when its inputs are missing.
    """
    return Ishlt6mwtCriteria(_desaturation(walk), _short_distance(walk), _decline(walk, prior))
