"""Three-valued truth (Kleene's strong logic) for eligibility verdicts.

A missing lab is neither a pass nor a fail: it is ``UNKNOWN``, and it stays unknown
through ``and``/``or``/``not`` unless the other operand decides (``NOT_MET and
UNKNOWN`` is ``NOT_MET``; ``MET or UNKNOWN`` is ``MET``). SQL's NULL follows the same
table, which is why the compiled pre-screen can equal the evaluator.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

__all__ = ["Truth", "all_of", "any_of", "at_least"]


class Truth(Enum):
    """Whether a criterion (or a node of it) holds for a subject."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    def negate(self) -> Truth:
        """Kleene negation: unknown stays unknown."""
        if self is Truth.UNKNOWN:
            return self
        return Truth.NOT_MET if self is Truth.MET else Truth.MET

    @classmethod
    def of(cls, value: bool) -> Truth:  # noqa: FBT001 - a truth value is the argument
        """``MET`` for true, ``NOT_MET`` for false."""
        return cls.MET if value else cls.NOT_MET


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene conjunction: any ``NOT_MET`` decides; else any ``UNKNOWN``; else ``MET``."""
    return at_least(values, None)


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene disjunction: any ``MET`` decides; else any ``UNKNOWN``; else ``NOT_MET``."""
    return at_least(values, 1)


def at_least(values: Iterable[Truth], n: int | None) -> Truth:
    """At least ``n`` of ``values`` hold (``None``: all of them), in three values.

    ``MET`` when the met ones already reach ``n``; ``NOT_MET`` when even counting
    every unknown as met they cannot; ``UNKNOWN`` otherwise.
    """
    items = list(values)
    needed = len(items) if n is None else n
    met = sum(value is Truth.MET for value in items)
    unknown = sum(value is Truth.UNKNOWN for value in items)
    if met >= needed:
        return Truth.MET
    if met + unknown < needed:
        return Truth.NOT_MET
    return Truth.UNKNOWN
