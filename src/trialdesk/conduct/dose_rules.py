"""A study's rules for the infusion dose: weight window, weight range, product tolerance, release.

:func:`trialdesk.conduct.dose.compute_dose` applies them. Two have stated defaults
(:data:`WEIGHT_WINDOW`, :data:`PLAUSIBLE_WEIGHT_KG`); the product tolerance and the
release specification have none, since only the sponsor's protocol can state them:
while unset, a dose is refused, never computed against a guessed range.

The study definition has no typed section for them yet, so :func:`parse_dose_rules`
reads them from its assumptions by id, each valued as a number and a UCUM unit:

=============================== ========= ==========================================
assumption id                   example   meaning
=============================== ========= ==========================================
``dose.weight_window``          ``72 h``  the oldest weight used (default 72 h)
``dose.product_tolerance``      ``20 %``  the product holds the target +/- this
``dose.release.<name>.min``     ``70 %``  a release limit, e.g. ``viability`` >= 70 %
``dose.release.<name>.max``     ``5 %``   a release limit on the other side
=============================== ========= ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from trialdesk.clinical.units import Quantity
from trialdesk.errors import DoseRefusedError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from trialdesk.protocol.notes import Assumption
    from trialdesk.protocol.study import Study

__all__ = [
    "PLAUSIBLE_WEIGHT_KG",
    "RELEASE_LIMIT_PREFIX",
    "TOLERANCE_ID",
    "WEIGHT_WINDOW",
    "WEIGHT_WINDOW_ID",
    "DoseRules",
    "ReleaseLimit",
    "ReleaseSpec",
    "parse_dose_rules",
]

#: The weight is used when measured at most 72 h before the infusion, 72 h included. It
#: matches the seed's pre-dose check window (Day -3 to Day 0, assumption
#: ``visits.window.pre_dose``), where ``dose.weight_basis`` places the weighing. It is
#: elapsed time, not calendar days: a weight from Day -3 at 08:00 is 78 h old at a
#: 14:00 infusion on Day 0, and refused.
WEIGHT_WINDOW = timedelta(hours=72)

#: Plausible adult body weight in kg, bounds included: a guard against typing and unit
#: slips (7.03 for 70.3, grams typed as kilograms), not an eligibility rule. An adult
#: (the seed enrols ages 18-75) below 30 kg or above 250 kg is far outside a Phase 1
#: cohort, so such a value is sent back to be measured again rather than dosed.
PLAUSIBLE_WEIGHT_KG = (Decimal(30), Decimal(250))

WEIGHT_WINDOW_ID = "dose.weight_window"
TOLERANCE_ID = "dose.product_tolerance"
RELEASE_LIMIT_PREFIX = "dose.release."


def _invalid(message: str, **inputs: object) -> DoseRefusedError:
    return DoseRefusedError("dose.rules_invalid", message, inputs)


@dataclass(frozen=True, slots=True)
class ReleaseLimit:
    """One named release limit, e.g. viability at least 70 %: a minimum, a maximum or both."""

    name: str
    minimum: Quantity | None = None
    maximum: Quantity | None = None

    def __post_init__(self) -> None:
        if self.minimum is None and self.maximum is None:
            raise _invalid(f"release limit {self.name!r} has no minimum and no maximum")
        if self.minimum is not None and self.maximum is not None:
            try:
                crossed = self.minimum > self.maximum
            except InputError:
                crossed = True
            if crossed:
                raise _invalid(
                    f"release limit {self.name!r} needs a minimum no greater than its maximum",
                    minimum=self.minimum,
                    maximum=self.maximum,
                )

    def __str__(self) -> str:
        sides = [
            f">= {self.minimum}" if self.minimum is not None else "",
            f"<= {self.maximum}" if self.maximum is not None else "",
        ]
        return f"{self.name} " + " and ".join(side for side in sides if side)


@dataclass(frozen=True, slots=True)
class ReleaseSpec:
    """The product's release specification: named limits, every one of which must hold.

    An empty spec says deliberately that the dose check tests no release result; a
    missing one (``DoseRules.release_spec`` None) refuses every product check.
    """

    limits: tuple[ReleaseLimit, ...]

    def __post_init__(self) -> None:
        names = [limit.name for limit in self.limits]
        if len(set(names)) != len(names):
            raise _invalid("release limits must have distinct names", names=names)

    def __str__(self) -> str:
        return ", ".join(str(limit) for limit in self.limits) or "no limits"


@dataclass(frozen=True, slots=True)
class DoseRules:
    """A study's dose rules; ``tolerance_percent`` is +/- around the target, bounds included.

    ``tolerance_percent`` and ``release_spec`` have no default: None refuses a dose
    (``dose.tolerance_missing``) or a product check (``dose.release_spec_missing``).
    """

    tolerance_percent: Decimal | None
    release_spec: ReleaseSpec | None
    weight_window: timedelta = WEIGHT_WINDOW
    plausible_weight_kg: tuple[Decimal, Decimal] = PLAUSIBLE_WEIGHT_KG


def parse_dose_rules(study: Study) -> DoseRules:
    """The dose rules a study definition states in its assumptions (ids in the module doc).

    Raises:
        DoseRefusedError: ``dose.rules_invalid``: a value is not a number and a unit of
            the right dimension, or a release id is not ``dose.release.<name>.min|max``.
    """
    stated = {assumption.id: assumption for assumption in study.assumptions}
    window = WEIGHT_WINDOW
    if WEIGHT_WINDOW_ID in stated:
        window = _window(stated[WEIGHT_WINDOW_ID])
    tolerance = None
    if TOLERANCE_ID in stated:
        percent = _converted(stated[TOLERANCE_ID], "%")
        tolerance = Decimal(percent.numerator) / Decimal(percent.denominator)
    limits = _limits(a for key, a in stated.items() if key.startswith(RELEASE_LIMIT_PREFIX))
    return DoseRules(
        tolerance_percent=tolerance,
        release_spec=ReleaseSpec(limits) if limits else None,
        weight_window=window,
    )


def _quantity(assumption: Assumption) -> Quantity:
    """The assumption's value, "72 h" or "70 %", as a quantity."""
    value, _, unit = assumption.value.strip().partition(" ")
    try:
        return Quantity.of(value, unit.strip())
    except InputError:
        raise _invalid(
            f"assumption {assumption.id} must be a number and a UCUM unit, e.g. '72 h'",
            value=assumption.value,
        ) from None


def _converted(assumption: Assumption, unit: str) -> Fraction:
    """The assumption's value in ``unit``, exactly."""
    try:
        return _quantity(assumption).exact(unit)
    except InputError:
        raise _invalid(
            f"assumption {assumption.id} must be in a unit convertible to {unit}",
            value=assumption.value,
        ) from None


def _window(assumption: Assumption) -> timedelta:
    seconds = _converted(assumption, "s")
    if seconds <= 0 or seconds.denominator != 1:
        raise _invalid(
            f"assumption {assumption.id} must be a positive duration in whole seconds",
            value=assumption.value,
        )
    return timedelta(seconds=seconds.numerator)


def _limits(assumptions: Iterable[Assumption]) -> tuple[ReleaseLimit, ...]:
    """One :class:`ReleaseLimit` per name, in the order the names are first stated."""
    sides: dict[str, dict[str, Quantity]] = {}
    for assumption in assumptions:
        name, _, side = assumption.id.removeprefix(RELEASE_LIMIT_PREFIX).rpartition(".")
        if not name or side not in {"min", "max"}:
            raise _invalid(
                f"a release limit's id is {RELEASE_LIMIT_PREFIX}<name>.min or .max",
                id=assumption.id,
            )
        sides.setdefault(name, {})[side] = _quantity(assumption)
    return tuple(
        ReleaseLimit(name, minimum=bounds.get("min"), maximum=bounds.get("max"))
        for name, bounds in sides.items()
    )
