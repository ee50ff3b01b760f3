"""The infusion dose of a per-kg dose level: level amount x body weight, exact.

A cell-therapy dose level is written per kilogram (the seed: level -1, 1, 2 at
1x10^5, 4x10^5, 8x10^5 cells/kg); the cells a subject receives are the level's
amount times the subject's body weight on the infusion day (DESIGN.md, "Doses"),
and the study's assumption ``dose.weight_basis`` says which weight: the actual
weight measured at the pre-dose check. The released product must hold that many
cells within the study's tolerance and meet its release specification.

:func:`compute_dose` applies its rules in this order and refuses at the first one
that fails, with a :class:`~trialdesk.errors.DoseRefusedError` naming the rule and
the values it looked at; nothing is rounded, clamped or defaulted on the way:

1. ``dose.level_unit``: the level is in cells/kg, with a positive amount;
2. ``dose.tolerance_missing``: the study states the product tolerance (no default),
   and ``dose.tolerance_invalid``: it is a percentage in [0, 100);
3. ``dose.weight_missing``: a weight is given;
4. ``dose.weight_time_zone``: the weighing and infusion times carry a UTC offset
   (the window is elapsed time; a naive clock time is ambiguous across DST);
5. ``dose.weight_after_infusion``: the weight was measured no later than the infusion;
6. ``dose.weight_too_old``: at most the study's weight window before it (default
   :data:`~trialdesk.conduct.dose_rules.WEIGHT_WINDOW`, 72 h, *inclusive*: a weight
   measured exactly 72 h before the infusion is used);
7. ``dose.weight_unit``: a mass unit (kg, g or the avoirdupois pound);
8. ``dose.weight_implausible``: within the plausible range (default
   :data:`~trialdesk.conduct.dose_rules.PLAUSIBLE_WEIGHT_KG`, 30 to 250 kg, inclusive);

then ``dose.per_kg_actual_weight`` computes the target, and a product, when given, is
checked by ``dose.release_spec_missing`` (the study states a release specification),
``dose.product_outside_tolerance`` (its cells within the range, bounds included) and
``dose.release_spec_failed`` (every named limit met; a missing result fails). Inputs
are checked when built: a weight that is not a finite Decimal is
``dose.weight_implausible``; a lot with a non-positive count or a result reported
twice is ``dose.product_invalid``.

Arithmetic is :class:`decimal.Decimal` in a context that traps every rounding, so
``4x10^5 cells/kg x 70.3 kg`` is exactly 28,120,000 cells and a result that would
need rounding raises instead of being rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)
from enum import StrEnum
from typing import TYPE_CHECKING

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import Quantity
from trialdesk.errors import DoseRefusedError

if TYPE_CHECKING:
    from trialdesk.conduct.dose_rules import DoseRules, ReleaseLimit
    from trialdesk.protocol.doses import DoseLevel

__all__ = [
    "DOSE_RULE",
    "DOSE_UNIT",
    "POUND_KG",
    "DoseComputation",
    "ProductRelease",
    "ProductStatus",
    "ReleaseResult",
    "WeightMeasurement",
    "compute_dose",
]

DOSE_RULE = "dose.per_kg_actual_weight"
DOSE_UNIT = "cells/kg"

#: The international avoirdupois pound is exactly 0.45359237 kg (International Yard and
#: Pound Agreement, 1959; NIST Handbook 44, Appendix C; NIST SP 811, B.8). UCUM code
#: ``[lb_av]``; ``lb`` is accepted as its alias.
POUND_KG = Decimal("0.45359237")
_POUND_CODES = frozenset({"[lb_av]", "lb"})

# Wide enough for any real input; every rounding is an error, never silent.
_EXACT = Context(prec=200, traps=[Inexact, Rounded, InvalidOperation, DivisionByZero, Overflow])
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class WeightMeasurement:
    """A body weight as measured: value, unit (``kg``, ``g``, ``[lb_av]``) and when."""

    value: Decimal
    unit: str
    measured_at: datetime

    def __post_init__(self) -> None:
        value: object = self.value  # a caller may pass a float despite the annotation
        if not isinstance(value, Decimal) or not value.is_finite():
            raise DoseRefusedError(
                "dose.weight_implausible",
                "a weight must be a finite decimal.Decimal",
                {"value": repr(value), "unit": self.unit},
            )

    def __str__(self) -> str:
        return f"{self.value} {self.unit} at {self.measured_at.isoformat()}"


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    """One release test result of a product lot, e.g. ``viability`` 85 %."""

    name: str
    value: Quantity


@dataclass(frozen=True, slots=True)
class ProductRelease:
    """A manufactured lot: its released cell count and its release test results."""

    lot: str
    cells: Decimal
    results: tuple[ReleaseResult, ...] = ()

    def __post_init__(self) -> None:
        cells: object = self.cells
        names = [result.name for result in self.results]
        if not isinstance(cells, Decimal) or not cells.is_finite() or cells <= 0:
            message = "a product's cell count must be a positive, finite decimal.Decimal"
        elif len(set(names)) != len(names):
            message = "a product lot reports each release result once"
        else:
            return
        raise DoseRefusedError(
            "dose.product_invalid",
            message,
            {"lot": self.lot, "cells": repr(cells), "results": names},
        )


class ProductStatus(StrEnum):
    """What :func:`compute_dose` found of the product (one outside tolerance is refused)."""

    NOT_CHECKED = "not_checked"  # no product given: the target, e.g. to order manufacturing
    WITHIN_TOLERANCE = "within_tolerance"  # within the range and meeting every release limit


@dataclass(frozen=True, slots=True)
class DoseComputation:
    """The target dose of one subject, its acceptable range, and the product's check.

    ``target_cells`` is exact, not rounded to whole cells: the range, not a rounding,
    decides whether a product is acceptable. ``weight_kg`` is the weight used, in kg.
    """

    level: int | str
    amount_per_kg: Decimal
    weight: WeightMeasurement
    weight_kg: Decimal
    infusion_at: datetime
    target_cells: Decimal
    tolerance_percent: Decimal
    lowest_cells: Decimal
    highest_cells: Decimal
    product: ProductRelease | None
    product_status: ProductStatus
    rule_id: str
    reason: str


def compute_dose(
    level: DoseLevel,
    *,
    weight: WeightMeasurement | None,
    infusion_at: datetime,
    rules: DoseRules,
    product: ProductRelease | None = None,
) -> DoseComputation:
    """The dose of ``level`` for a subject weighing ``weight``, infused at ``infusion_at``.

    Raises:
        DoseRefusedError: a rule of the module docstring failed; ``rule`` names it and
            ``inputs`` holds the values it looked at.
    """
    amount = _level_amount(level)
    tolerance = _tolerance(rules)
    measured = _checked_weight(weight, infusion_at, rules)
    kilograms = _kilograms(measured, rules)
    with localcontext(_EXACT):
        target = amount * kilograms
        lowest = target * (_HUNDRED - tolerance) / _HUNDRED
        highest = target * (_HUNDRED + tolerance) / _HUNDRED
    if product is not None:
        _check_product(product, rules, lowest, highest)
    status = ProductStatus.NOT_CHECKED if product is None else ProductStatus.WITHIN_TOLERANCE
    reason = (
        f"dose level {level.label}: {_n(amount)} cells/kg x {_n(kilograms)} kg "
        f"(weighed {_age(measured, infusion_at)} before the infusion) = {_n(target)} cells; "
        f"acceptable {_n(lowest)} to {_n(highest)} cells (+/- {_n(tolerance)} %); "
        + _product_sentence(product, rules)
    )
    return DoseComputation(
        level=level.label,
        amount_per_kg=amount,
        weight=measured,
        weight_kg=kilograms,
        infusion_at=infusion_at,
        target_cells=target,
        tolerance_percent=tolerance,
        lowest_cells=lowest,
        highest_cells=highest,
        product=product,
        product_status=status,
        rule_id=DOSE_RULE,
        reason=reason,
    )


def _level_amount(level: DoseLevel) -> Decimal:
    """The level's amount per kg, from the float's shortest repr (4e5 is exactly 400000)."""
    amount = Decimal(repr(level.amount))
    if level.unit != DOSE_UNIT or not amount.is_finite() or amount <= 0:
        raise DoseRefusedError(
            "dose.level_unit",
            f"dose level {level.label} must be a positive amount in {DOSE_UNIT}",
            {"level": level.label, "amount": level.amount, "unit": level.unit},
        )
    return amount


def _tolerance(rules: DoseRules) -> Decimal:
    tolerance = rules.tolerance_percent
    if tolerance is None:
        raise DoseRefusedError(
            "dose.tolerance_missing",
            "the study states no product tolerance around the target dose; add it to the "
            "study definition (assumption dose.product_tolerance, e.g. '20 %')",
            {"tolerance_percent": None},
        )
    if not tolerance.is_finite() or not Decimal(0) <= tolerance < _HUNDRED:
        raise DoseRefusedError(
            "dose.tolerance_invalid",
            "the product tolerance must be a percentage in [0, 100)",
            {"tolerance_percent": tolerance},
        )
    return tolerance


def _checked_weight(
    weight: WeightMeasurement | None, infusion_at: datetime, rules: DoseRules
) -> WeightMeasurement:
    """The weight, if it was measured in time: no later than the infusion, within the window."""
    if weight is None:
        raise DoseRefusedError(
            "dose.weight_missing",
            "no body weight is recorded for the infusion day",
            {"infusion_at": infusion_at.isoformat()},
        )
    inputs = {"weight": weight, "infusion_at": infusion_at.isoformat()}
    if weight.measured_at.utcoffset() is None or infusion_at.utcoffset() is None:
        raise DoseRefusedError(
            "dose.weight_time_zone",
            "the weighing and infusion times must carry a UTC offset",
            inputs,
        )
    age = infusion_at - weight.measured_at
    if age < timedelta(0):
        raise DoseRefusedError(
            "dose.weight_after_infusion",
            f"the weight was measured {_hours(-age)} after the infusion",
            inputs,
        )
    if age > rules.weight_window:
        raise DoseRefusedError(
            "dose.weight_too_old",
            f"the weight is {_hours(age)} old at the infusion; "
            f"at most {_hours(rules.weight_window)} is accepted: weigh the subject again",
            inputs,
        )
    return weight


def _kilograms(weight: WeightMeasurement, rules: DoseRules) -> Decimal:
    """The weight in kg, exactly: the pound by :data:`POUND_KG`, other masses by UCUM."""
    inputs = {"weight": weight}
    try:
        with localcontext(_EXACT):
            if weight.unit.strip() in _POUND_CODES:
                kilograms = weight.value * POUND_KG
            else:
                exact = Quantity(weight.value, weight.unit).exact("kg")
                kilograms = Decimal(exact.numerator) / Decimal(exact.denominator)
    except UnitError:
        raise DoseRefusedError(
            "dose.weight_unit", "the weight must be in kg, g or [lb_av]", inputs
        ) from None
    low, high = rules.plausible_weight_kg
    if not low <= kilograms <= high:
        raise DoseRefusedError(
            "dose.weight_implausible",
            f"{_n(kilograms)} kg is outside the plausible adult range {low} to {high} kg; "
            "check the value and its unit",
            inputs,
        )
    return kilograms


def _check_product(
    product: ProductRelease, rules: DoseRules, lowest: Decimal, highest: Decimal
) -> None:
    spec = rules.release_spec
    if spec is None:
        raise DoseRefusedError(
            "dose.release_spec_missing",
            "the study states no release specification to check the product against",
            {"lot": product.lot},
        )
    if not lowest <= product.cells <= highest:
        raise DoseRefusedError(
            "dose.product_outside_tolerance",
            f"lot {product.lot} holds {_n(product.cells)} cells; the acceptable range is "
            f"{_n(lowest)} to {_n(highest)} cells",
            {"lot": product.lot, "cells": product.cells, "lowest": lowest, "highest": highest},
        )
    failures = [failure for limit in spec.limits if (failure := _failure(limit, product))]
    if failures:
        raise DoseRefusedError(
            "dose.release_spec_failed",
            f"lot {product.lot} fails its release specification: " + "; ".join(failures),
            {"lot": product.lot, **{f"result.{r.name}": r.value for r in product.results}},
        )


def _failure(limit: ReleaseLimit, product: ProductRelease) -> str | None:
    """Why ``product`` fails ``limit``, or None when it meets it."""
    result = next((r.value for r in product.results if r.name == limit.name), None)
    if result is None:
        return f"{limit.name}: no result (required {limit})"
    try:
        low = limit.minimum is not None and result < limit.minimum
        high = limit.maximum is not None and result > limit.maximum
    except UnitError:
        return f"{limit.name}: {result} cannot be compared with {limit}"
    return f"{limit.name}: {result} (required {limit})" if low or high else None


def _product_sentence(product: ProductRelease | None, rules: DoseRules) -> str:
    if product is None:
        return "no product checked"
    return (
        f"lot {product.lot} holds {_n(product.cells)} cells, within tolerance, and meets its "
        f"release specification ({rules.release_spec})"
    )


def _n(value: Decimal) -> str:
    """A number with thousands separators and no exponent: 28,120,000."""
    with localcontext(_EXACT):
        return f"{value.normalize():,f}"


def _hours(span: timedelta) -> str:
    """A duration as hours, minutes and seconds: ``72 h``, ``71 h 59 min 30 s``."""
    minutes, seconds = divmod(span // timedelta(seconds=1), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h", f"{minutes} min" if minutes else "", f"{seconds} s" if seconds else ""]
    return " ".join(part for part in parts if part)


def _age(weight: WeightMeasurement, infusion_at: datetime) -> str:
    return _hours(infusion_at - weight.measured_at)
