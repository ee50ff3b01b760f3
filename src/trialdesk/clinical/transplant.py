"""Lung-transplant listing by functional decline: FVC and DLCO falls over 6 months.

The rule is the protocol's (NCT07329959 inclusion 4: "A decline in FVC >= 10 % over a
6-month follow-up period"; "A decline in DLCO >= 10 % of predicted value over 6
months"), which blends two ISHLT consensus documents for interstitial lung disease:

- Weill D, Benden C, Corris PA, et al. A consensus document for the selection of lung
  transplant candidates: 2014. J Heart Lung Transplant 2015;34:1-15 (listing: decline in
  FVC >= 10 % during 6 months of follow-up; DLCO >= 15 %);
- Leard LE, Holm AM, Valapour M, et al. Consensus document for the selection of lung
  transplant candidates: an update from the ISHLT. J Heart Lung Transplant
  2021;40:1349-1379 (listing: absolute decline over the past 6 months despite treatment
  in FVC > 10 % or DLCO > 10 %; a relative FVC decline >= 10 % over 2 years is a
  referral criterion).

"A 10 % decline" therefore has two readings, and the caller chooses one
(:class:`DeclineReading`); the result names it:

- ``RELATIVE``: (before - after) / before of the measured value (litres for FVC). With
  only %-predicted values it is computed on them, which equals the relative decline of
  the measured value when the predicted value is unchanged over the 6 months (the
  reason says so).
- ``ABSOLUTE_POINTS``: before - after in %-predicted points (80 % → 70 % is 10 points),
  the 2021 document's reading.

The threshold is inclusive (``>=``, the protocol's wording) unless the caller asks for
the 2021 document's strict ``>`` (:class:`Comparison`). Either is evaluated exactly on
the decimal inputs (:func:`~trialdesk.clinical.results.exact`): 2.0 → 1.8 L is exactly
a 10 % decline, where binary floating point gives 9.999999999999998 %. The caller
supplies two tests about 6 months apart.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    "DECLINE_THRESHOLD_PCT",
    "TRANSPLANT_ALGORITHM",
    "TRANSPLANT_VERSION",
    "Comparison",
    "DeclineReading",
    "LungMeasure",
    "Pair",
    "evaluate_both_readings",
    "evaluate_listing_decline",
]

TRANSPLANT_ALGORITHM = "Lung-transplant listing criteria (ILD): FVC/DLCO decline over 6 months"
TRANSPLANT_VERSION = (
    "NCT07329959 inclusion 4; ISHLT 2014 (Weill et al. 2015, J Heart Lung Transplant 34:1-15) "
    "and 2021 (Leard et al., J Heart Lung Transplant 40:1349-1379)"
)
DECLINE_THRESHOLD_PCT = Fraction(10)
MAX_PERCENT_PREDICTED = 200

Pair = tuple[DecimalInput, DecimalInput]
"""Two values of one measure: (before, after), about 6 months apart."""


class DeclineReading(StrEnum):
    """How "a decline of 10 %" is read."""

    RELATIVE = "relative"
    ABSOLUTE_POINTS = "absolute-points"


class Comparison(StrEnum):
    """How the decline is compared with 10 %: the protocol's ``>=`` or ISHLT 2021's ``>``."""

    AT_LEAST = "ge"
    MORE_THAN = "gt"


class LungMeasure(StrEnum):
    """The measures the decline criterion names."""

    FVC = "fvc"
    DLCO = "dlco"


def _pair(argument: str, pair: Pair, *, percent: bool) -> tuple[Fraction, Fraction]:
    """The exact (before, after) values, refused by name when not positive or implausible."""
    values = (exact(f"{argument}[before]", pair[0]), exact(f"{argument}[after]", pair[1]))
    for label, raw, value in zip(("before", "after"), pair, values, strict=True):
        if value <= 0 or (percent and value > MAX_PERCENT_PREDICTED):
            expected = "a %-predicted value 0-200" if percent else "a measured value above 0"
            raise AssessmentInputError(f"{argument}[{label}]", raw, expected)
    return values


def _as_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass(frozen=True, slots=True)
class _Question:
    """What is asked: which measure, under which reading, compared how."""

    measure: LungMeasure
    reading: DeclineReading
    comparison: Comparison


def _assessment(
    question: _Question,
    basis: str,
    values: tuple[Fraction, Fraction] | None,
    inputs: tuple[tuple[str, InputValue], ...],
) -> Assessment[bool]:
    measure, reading, comparison = question.measure, question.reading, question.comparison
    rule = f"ishlt.{measure.value}.decline_{comparison.value}_10pct.{reading.value}"
    if values is None:
        reason = f"{measure.value.upper()} {basis} before and after missing"
        return Assessment(
            None,
            AssessmentStatus.UNKNOWN,
            TRANSPLANT_ALGORITHM,
            TRANSPLANT_VERSION,
            rule,
            reason,
            inputs,
        )
    before, after = values
    decline = before - after
    if reading is DeclineReading.RELATIVE:
        decline = decline / before * 100
    if comparison is Comparison.AT_LEAST:
        meets = decline >= DECLINE_THRESHOLD_PCT
        sign = ">=" if meets else "<"
    else:
        meets = decline > DECLINE_THRESHOLD_PCT
        sign = ">" if meets else "<="
    unit = "%" if reading is DeclineReading.RELATIVE else "%-predicted points"
    reason = (
        f"{measure.value.upper()} {basis} {_as_decimal(before)} → {_as_decimal(after)}: "
        f"{reading.value} decline {float(decline):.6g} {unit} "
        f"{sign} 10 {unit}"
    )
    derived: tuple[tuple[str, InputValue], ...] = (
        ("decline", decline),
        ("threshold", DECLINE_THRESHOLD_PCT),
        ("unit", unit),
        ("basis", basis),
    )
    return Assessment(
        meets,
        AssessmentStatus.KNOWN,
        TRANSPLANT_ALGORITHM,
        TRANSPLANT_VERSION,
        rule,
        reason,
        inputs,
        derived,
    )


def evaluate_listing_decline(
    measure: LungMeasure,
    reading: DeclineReading,
    *,
    measured: Pair | None = None,
    percent_predicted: Pair | None = None,
    comparison: Comparison = Comparison.AT_LEAST,
) -> Assessment[bool]:
    """Whether ``measure`` fell by 10 % under ``reading``: ``>=`` unless ``comparison`` says ``>``.

    ``measured`` is (before, after) in the measure's unit (FVC in L), ``percent_predicted``
    the same tests as % predicted. The relative reading uses ``measured`` when given,
    else the %-predicted values; the absolute reading needs ``percent_predicted``.
    The result's ``derived`` holds the exact ``decline`` (a Fraction) and its ``basis``.
    """
    inputs: tuple[tuple[str, InputValue], ...] = (
        ("measure", measure),
        ("reading", reading),
        ("comparison", comparison),
        ("measured", None if measured is None else f"{measured[0]},{measured[1]}"),
        (
            "percent_predicted",
            None if percent_predicted is None else f"{percent_predicted[0]},{percent_predicted[1]}",
        ),
    )
    name = measure.value
    measured_values = None if measured is None else _pair(name, measured, percent=False)
    pp_values = (
        None
        if percent_predicted is None
        else _pair(f"{name}_percent_predicted", percent_predicted, percent=True)
    )
    question = _Question(measure, reading, comparison)
    if reading is DeclineReading.ABSOLUTE_POINTS:
        return _assessment(question, "% predicted", pp_values, inputs)
    if measured_values is not None:
        return _assessment(question, "measured", measured_values, inputs)
    basis = "% predicted (predicted value assumed unchanged)"
    return _assessment(question, basis, pp_values, inputs)


def evaluate_both_readings(
    measure: LungMeasure,
    *,
    measured: Pair | None = None,
    percent_predicted: Pair | None = None,
    comparison: Comparison = Comparison.AT_LEAST,
) -> dict[DeclineReading, Assessment[bool]]:
    """:func:`evaluate_listing_decline` under every reading, to show where they disagree."""
    return {
        reading: evaluate_listing_decline(
            measure,
            reading,
            measured=measured,
            percent_predicted=percent_predicted,
            comparison=comparison,
        )
        for reading in DeclineReading
    }
