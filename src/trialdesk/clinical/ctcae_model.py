"""The typed shape of a CTCAE grading table: terms, bands, bounds (data, never code strings).

A band is the conjunction of its bounds, each ``x <op> multiple x reference``, where
the reference is an absolute 1 (in the scale's unit), the LLN, the ULN or the
subject's baseline. So CTCAE's "<1500 - 1000/mm3" is ``x >= 1.0 and x < 1.5``
(10*9/L) and "ALT >3.0 - 5.0 x ULN" is ``x > 3.0 x ULN and x <= 5.0 x ULN``. Bands
also say when they apply (baseline normal or abnormal, on anticoagulation) and
what clinical fact they need beyond the lab value (symptoms). The same idea as
admiral's ``atoxgr_criteria_ctcv5`` metadata, with typed rows instead of R
expressions to evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

__all__ = [
    "Band",
    "Bound",
    "Comparison",
    "Context",
    "Reference",
    "Requirement",
    "Scale",
    "Term",
    "TermTable",
    "ge",
    "gt",
    "le",
    "lt",
]


class Reference(Enum):
    """What a bound's multiple multiplies."""

    ABSOLUTE = "1"
    LLN = "LLN"
    ULN = "ULN"
    BASELINE = "baseline"


class Comparison(Enum):
    """How the value compares with the bound."""

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


class Context(Enum):
    """When a band applies, from facts about the subject rather than the value."""

    ALWAYS = "always"
    BASELINE_NORMAL = "if baseline was normal (or not given)"
    BASELINE_ABNORMAL = "if baseline was abnormal"
    WITH_BASELINE = "if a baseline is given"
    NOT_ANTICOAGULATED = "if not on anticoagulation"
    ANTICOAGULATED = "if on anticoagulation"


class Requirement(Enum):
    """A clinical fact a band needs beyond the lab value."""

    NONE = "none"
    SYMPTOMATIC = "symptomatic"


@dataclass(frozen=True, slots=True)
class Bound:
    """``x <comparison> multiple x reference``."""

    comparison: Comparison
    multiple: Decimal
    reference: Reference

    def __str__(self) -> str:
        if self.reference is Reference.ABSOLUTE:
            return f"x {self.comparison.value} {self.multiple}"
        return f"x {self.comparison.value} {self.multiple} x {self.reference.value}"


def gt(multiple: str, reference: Reference = Reference.ABSOLUTE) -> Bound:
    """``x > multiple x reference`` (a band's exclusive lower end, CTCAE's ">")."""
    return Bound(Comparison.GT, Decimal(multiple), reference)


def ge(multiple: str, reference: Reference = Reference.ABSOLUTE) -> Bound:
    """``x >= multiple x reference`` (the lower end of a decreasing band, "<a - b")."""
    return Bound(Comparison.GE, Decimal(multiple), reference)


def lt(multiple: str, reference: Reference = Reference.ABSOLUTE) -> Bound:
    """``x < multiple x reference`` (CTCAE's "<")."""
    return Bound(Comparison.LT, Decimal(multiple), reference)


def le(multiple: str, reference: Reference = Reference.ABSOLUTE) -> Bound:
    """``x <= multiple x reference`` (the upper end of an increasing band, ">a - b")."""
    return Bound(Comparison.LE, Decimal(multiple), reference)


@dataclass(frozen=True, slots=True)
class Band:
    """One grade's criterion: ``text`` as CTCAE prints it, ``bounds`` as it is applied."""

    grade: int
    text: str
    bounds: tuple[Bound, ...]
    context: Context = Context.ALWAYS
    requires: Requirement = Requirement.NONE

    def __post_init__(self) -> None:
        if not 1 <= self.grade <= 4:  # grade 5 is death, never a lab value
            msg = f"a laboratory band grades 1 to 4, got {self.grade}: {self.text}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Scale:
    """The bands of a term with absolute bounds stated in ``unit`` (a UCUM code)."""

    unit: str
    bands: tuple[Band, ...]


@dataclass(frozen=True, slots=True)
class Term:
    """A CTCAE term graded from a laboratory value.

    ``analyte`` names the measured quantity for unit conversions; ``scales`` holds
    one scale per unit whose thresholds the CTCAE text states separately
    (haemoglobin: g/dL and mmol/L, which are rounded differently); ``note`` says
    which grades need clinical information and is shown with the highest lab grade.
    """

    name: str
    analyte: str
    scales: tuple[Scale, ...]
    source: str
    note: str = ""

    @property
    def max_lab_grade(self) -> int:
        """The highest grade a laboratory value alone can reach for this term."""
        return max(band.grade for band in self.scales[0].bands)


@dataclass(frozen=True, slots=True)
class TermTable:
    """One CTCAE version: its terms, the aliases people type, analytes without a term."""

    version: str
    source: str
    terms: Mapping[str, Term]
    aliases: Mapping[str, str]
    analytes_without_term: Mapping[str, str]
