"""The eligibility rule language: small, typed, frozen nodes that print as the rule.

A criterion's rule is a tree of these nodes. Leaves read the subject: a
:class:`Compare` or :class:`Between` of a measure with a threshold, a :class:`Fact`
(a condition or event in the chart), a :class:`Decline` of a measure over time, an
:class:`Attest` that only an investigator can confirm. Inner nodes combine:
:class:`AllOf`, :class:`AnyOf`, :class:`AtLeast`, :class:`Not`, :class:`When` (a
limit that applies only to some subjects) and :class:`Within` (only data dated in a
window before the screening date counts).

Every node keeps the criterion it belongs to (``I6``, ``E12``) and, when it was read
from text, the :class:`Span` of that criterion's text it came from, so a reviewer can
check each threshold against the record. An exclusion criterion's rule describes the
excluding state as written ("creatinine > 2.5 mg/dL"); the verdict inverts it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "RELATIVE_UNITS",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Attest",
    "AttestReason",
    "Between",
    "Comparator",
    "Compare",
    "Decline",
    "Fact",
    "Not",
    "Rule",
    "Span",
    "Threshold",
    "When",
    "Within",
]

#: Threshold units relative to the subject's own lab values rather than UCUM units:
#: a multiple of the upper or lower limit of normal of the lab's reference range, or
#: of the control value run beside the sample (aPTT).
RELATIVE_UNITS = ("x ULN", "x LLN", "x control")

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Span(BaseModel):
    """Characters ``start:end`` of the criterion's text, and that text verbatim."""

    model_config = _FROZEN

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Comparator(StrEnum):
    """How a value is compared with its threshold."""

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def holds(self, left: Fraction, right: Fraction) -> bool:
        """``left <comparator> right``, exactly."""
        return _OPERATIONS[self.value](left, right)


_OPERATIONS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Threshold(BaseModel):
    """A number with its unit: a UCUM code, a relative unit (``x ULN``), or none.

    ``unit`` is ``None`` only when the text gave none and the measure implies none
    (a score); the value is kept exactly as a decimal.
    """

    model_config = _FROZEN

    value: Decimal
    unit: str | None

    @property
    def relative(self) -> bool:
        """Whether the value is a multiple of the subject's reference limit or control."""
        return self.unit in RELATIVE_UNITS

    def __str__(self) -> str:
        return f"{self.value}" if self.unit is None else f"{self.value} {self.unit}"


class _Node(BaseModel):
    model_config = _FROZEN

    criterion: str
    span: Span | None = None


class Compare(_Node):
    """``measure comparator threshold`` on the subject's latest value of the measure."""

    kind: Literal["compare"] = "compare"
    measure: str
    comparator: Comparator
    threshold: Threshold

    def __str__(self) -> str:
        return f"{self.measure} {self.comparator.value} {self.threshold}"


class Between(_Node):
    """``low <= measure <= high`` (each end inclusive or not), on the latest value."""

    kind: Literal["range"] = "range"
    measure: str
    low: Threshold
    high: Threshold
    low_inclusive: bool = True
    high_inclusive: bool = True

    def __str__(self) -> str:
        left = "<=" if self.low_inclusive else "<"
        right = "<=" if self.high_inclusive else "<"
        return f"{self.low} {left} {self.measure} {right} {self.high}"


class Fact(_Node):
    """A condition or event in the subject's chart (``gilberts_syndrome``, ``pregnancy``)."""

    kind: Literal["fact"] = "fact"
    name: str

    def __str__(self) -> str:
        return self.name


class Decline(_Node):
    """The measure fell by ``amount`` over ``over_days`` (± ``tolerance_days``).

    ``amount.unit`` says the reading: ``%`` is a relative decline of the value,
    ``%-points`` an absolute fall of a %-predicted value, any other unit an absolute
    fall in that unit (metres walked). The current value is the latest; the
    baseline is the value dated closest to ``over_days`` before it.
    """

    kind: Literal["decline"] = "decline"
    measure: str
    comparator: Literal[">", ">="]
    amount: Threshold
    over_days: int = Field(gt=0)
    tolerance_days: int = Field(ge=0)

    def __str__(self) -> str:
        return f"decline({self.measure} {self.comparator} {self.amount} over {self.over_days} d)"


class AttestReason(StrEnum):
    """Why a criterion is left to an investigator."""

    JUDGEMENT = "investigator_judgement"
    NOT_READ = "not_machine_readable"


class Attest(_Node):
    """A statement only an investigator can confirm; the subject's attestation decides."""

    kind: Literal["attest"] = "attest"
    statement: str
    reason: AttestReason = AttestReason.JUDGEMENT

    def __str__(self) -> str:
        return f"attest({self.criterion}: {self.statement!r})"


class AllOf(_Node):
    """Every item holds."""

    kind: Literal["all_of"] = "all_of"
    items: tuple[Rule, ...] = Field(min_length=1)

    def __str__(self) -> str:
        return "all_of(" + ", ".join(map(str, self.items)) + ")"


class AnyOf(_Node):
    """At least one item holds."""

    kind: Literal["any_of"] = "any_of"
    items: tuple[Rule, ...] = Field(min_length=1)

    def __str__(self) -> str:
        return "any_of(" + ", ".join(map(str, self.items)) + ")"


class AtLeast(_Node):
    """At least ``n`` of the items hold ("meets at least one of the following")."""

    kind: Literal["at_least"] = "at_least"
    n: int = Field(ge=1)
    items: tuple[Rule, ...] = Field(min_length=1)

    def __str__(self) -> str:
        return f"at_least({self.n}, " + ", ".join(map(str, self.items)) + ")"


class Not(_Node):
    """The item does not hold."""

    kind: Literal["not"] = "not"
    item: Rule

    def __str__(self) -> str:
        return f"not({self.item})"


class When(_Node):
    """``then`` applies only where ``condition`` holds: Kleene ``not condition or then``."""

    kind: Literal["when"] = "when"
    condition: Rule
    then: Rule

    def __str__(self) -> str:
        return f"when({self.condition}, {self.then})"


class Within(_Node):
    """Only data dated ``days`` or fewer before the screening date count for ``item``."""

    kind: Literal["within"] = "within"
    days: int = Field(ge=0)
    item: Rule

    def __str__(self) -> str:
        return f"within({self.days} d, {self.item})"


Rule = Annotated[
    Compare | Between | Fact | Decline | Attest | AllOf | AnyOf | AtLeast | Not | When | Within,
    Field(discriminator="kind"),
]
"""Any node of the rule language."""

for _model in (AllOf, AnyOf, AtLeast, Not, When, Within):
    _model.model_rebuild()
