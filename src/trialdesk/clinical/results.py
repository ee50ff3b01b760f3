"""The value every clinical calculator returns: an :class:`Assessment` that explains itself.

An assessment names the algorithm and its version, the rule that decided the value,
the inputs it used and a sentence a clinician can read. When an input the rule needs
is missing the value is ``None`` and :attr:`Assessment.status` is
:attr:`AssessmentStatus.UNKNOWN`, with the reason saying what is missing; the two
always agree (checked on construction), so a caller can test either.

Thresholds in published criteria are inclusive or exclusive at a decimal edge
(a 10 % decline, 250 m). :func:`exact` turns a decimal input into a
:class:`~fractions.Fraction` through its shortest decimal text, so a 2.0 → 1.8 L
decline is exactly 10 % rather than the 9.999999999999998 % of binary floating point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from fractions import Fraction
from typing import Generic, TypeVar

from trialdesk.clinical.errors import ClinicalInputError

__all__ = [
    "Assessment",
    "AssessmentInputError",
    "AssessmentStatus",
    "DecimalInput",
    "InputValue",
    "exact",
    "worst_grade",
]

T = TypeVar("T")

InputValue = str | int | float | bool | Decimal | Fraction | Enum | None
DecimalInput = Decimal | int | float | str


class AssessmentInputError(ClinicalInputError):
    """A clinical input outside its domain: a negative distance, an ICE score of 11.

    The message names the argument, the value it got and what was expected,
    so the command line can show it as is.
    """


class AssessmentStatus(Enum):
    """Whether an assessment could be made from the inputs it was given."""

    KNOWN = "known"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Assessment(Generic[T]):
    """One grade, score or criterion verdict with the rule that produced it.

    ``value`` is the grade (``int``), the verdict (``bool``) or the score;
    ``None`` exactly when ``status`` is ``UNKNOWN``. ``rule`` is a stable id such
    as ``astct2019.crs.hypoxia.g3``; ``inputs`` the inputs as given, ``derived`` the
    quantities computed on the way (a decline in %), both as ``(name, value)`` pairs
    in a fixed order.
    """

    value: T | None
    status: AssessmentStatus
    algorithm: str
    version: str
    rule: str
    reason: str
    inputs: tuple[tuple[str, InputValue], ...] = ()
    derived: tuple[tuple[str, InputValue], ...] = ()

    def __post_init__(self) -> None:
        if (self.value is None) != (self.status is AssessmentStatus.UNKNOWN):
            msg = f"an assessment is unknown exactly when it has no value: {self!r}"
            raise ValueError(msg)

    @property
    def known(self) -> bool:
        """True when the value could be determined."""
        return self.status is AssessmentStatus.KNOWN

    def inputs_dict(self) -> dict[str, InputValue]:
        """The inputs as a mapping, in their order."""
        return dict(self.inputs)

    def derived_dict(self) -> dict[str, InputValue]:
        """The derived quantities as a mapping, in their order."""
        return dict(self.derived)


def exact(argument: str, value: DecimalInput) -> Fraction:
    """The exact rational value of a decimal input, refusing NaN, infinities and non-numbers.

    A float goes through its shortest ``repr`` (``1.8`` → ``Decimal("1.8")``), which is
    the decimal the user typed or the instrument printed.
    """
    if isinstance(value, bool):
        raise AssessmentInputError(argument, value, "a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise AssessmentInputError(argument, value, "a finite number")
    try:
        decimal = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise AssessmentInputError(argument, value, "a decimal number") from None
    if not decimal.is_finite():
        raise AssessmentInputError(argument, value, "a finite number")
    return Fraction(decimal)


def worst_grade(
    domains: Mapping[str, int | None], *, ceiling: int
) -> tuple[int | None, str | None, tuple[str, ...]]:
    """The most severe grade over domains, and which domain decided it.

    Consensus gradings (ASTCT CRS and ICANS, Lee et al. 2019) take the worst domain.
    A missing domain (``None``) leaves the grade unknown unless a known domain already
    reaches ``ceiling``, which no missing value could exceed. Returns the grade (or
    ``None``), the deciding domain (the first at the worst grade) and the missing domains.
    """
    missing = tuple(name for name, grade in domains.items() if grade is None)
    known = {name: grade for name, grade in domains.items() if grade is not None}
    worst = max(known.values(), default=0)
    decider = next((name for name, grade in known.items() if grade == worst), None)
    if missing and worst < ceiling:
        return None, None, missing
    return worst, decider, missing
