"""Kleene's three values as two classical conditions, with bit tests merged.

A rule node compiles to a :class:`Pair` of conditions that are never ``NULL``:
``met`` (the evaluator says ``MET``) and ``not_met`` (``NOT_MET``); neither holding
is ``UNKNOWN``. Kleene's connectives are then classical ones on the pair (the usual
encoding of a three-valued formula as its two-valued "true" and "false" parts):

- ``all``: met = every met, not_met = any not_met; ``any`` is the dual;
- ``not`` swaps the two; at least ``n`` of ``k``: met = #met >= n, not_met =
  #not_met > k - n (``at_least`` of :mod:`trialdesk.eligibility.truth`).

A leaf read from a packed column (2 bits a slot, ``2`` met, ``1`` not met) is one bit
test, ``column & bit <> 0``. An ``or`` of tests on one column is one test on the
union of their masks, and an ``and`` of single bits one ``column & mask = mask``; so
whether a subject is excluded usually costs a few integer operations, where decoding
every slot into a nullable boolean first cost several per slot (with testing the
exclusions as ``WHERE`` terms, 1 s less of a million-subject pre-screen on SQLite,
measured). Conditions name the columns they read; :func:`render`
resolves the names, so a rule compiles before the query around it exists, and the
same conditions serve queries of different shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, and_, case, false, or_, true

from trialdesk.store.prescreen_exact import integer

__all__ = [
    "ALWAYS",
    "NEVER",
    "AtLeast",
    "Bits",
    "Columns",
    "Condition",
    "Pair",
    "Sql",
    "all_of",
    "any_of",
    "at_least",
    "columns_of",
    "disjuncts",
    "render",
]


@dataclass(frozen=True, slots=True)
class Bits:
    """``column & mask <> 0`` (``every`` false) or ``column & mask = mask`` (``every``)."""

    column: str
    mask: int
    every: bool

    def single(self) -> bool:
        """One bit: both readings are the same test."""
        return self.mask & (self.mask - 1) == 0


#: Named columns to the expressions that hold them in one query.
Columns: TypeAlias = Mapping[str, ColumnElement[Any]]


@dataclass(frozen=True, slots=True, eq=False)
class Sql:
    """Any other two-valued condition (never ``NULL``), built on the columns it ``reads``."""

    reads: frozenset[str]
    build: Callable[[Columns], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class _All:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class _Any:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AtLeast:
    """At least ``n`` of ``items`` hold (``1 < n < len(items)``)."""

    items: tuple[Condition, ...]
    n: int


Condition: TypeAlias = Bits | Sql | _All | _Any | AtLeast
#: The condition that always holds (an empty ``all``), and the one that never does.
ALWAYS: Condition = _All(())
NEVER: Condition = _Any(())


@dataclass(frozen=True, slots=True)
class Pair:
    """When a node is met, and when it is not met; neither: unknown."""

    met: Condition
    not_met: Condition

    def negate(self) -> Pair:
        """Kleene's ``not``: met and not met trade places."""
        return Pair(self.not_met, self.met)


def _merged(items: Iterable[Condition], *, every: bool) -> tuple[Condition, ...]:
    """Flatten nested connectives of the same kind and merge bit tests per column."""
    kind = _All if every else _Any
    flat: list[Condition] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    masks: dict[str, int] = {}
    others: list[Condition] = []
    for item in flat:
        if isinstance(item, Bits) and (item.every is every or item.single()):
            masks[item.column] = masks.get(item.column, 0) | item.mask
        else:
            others.append(item)
    return (*(Bits(c, m, every) for c, m in masks.items()), *others)


def _always(condition: Condition) -> bool:
    return isinstance(condition, _All) and not condition.items


def _never(condition: Condition) -> bool:
    return isinstance(condition, _Any) and not condition.items


def all_of(items: Iterable[Condition]) -> Condition:
    """Every item holds (an empty ``all`` always holds)."""
    merged = _merged(items, every=True)
    if any(map(_never, merged)):
        return NEVER
    return merged[0] if len(merged) == 1 else _All(merged)


def any_of(items: Iterable[Condition]) -> Condition:
    """Some item holds (an empty ``any`` never does)."""
    merged = _merged(items, every=False)
    if any(map(_always, merged)):
        return ALWAYS
    return merged[0] if len(merged) == 1 else _Any(merged)


def at_least(items: Iterable[Condition], n: int) -> Condition:
    """At least ``n`` of ``items`` hold."""
    listed = tuple(items)
    if n <= 0:
        return ALWAYS
    if n > len(listed):
        return NEVER
    if n == len(listed):
        return all_of(listed)
    if n == 1:
        return any_of(listed)
    return AtLeast(listed, n)


def disjuncts(condition: Condition) -> tuple[Condition, ...]:
    """The items of an ``any`` (of any other condition: itself alone)."""
    return condition.items if isinstance(condition, _Any) else (condition,)


def columns_of(condition: Condition) -> frozenset[str]:
    """The named columns ``condition`` reads."""
    match condition:
        case Bits(column=column):
            return frozenset((column,))
        case Sql(reads=reads):
            return reads
        case _:
            return frozenset().union(*(columns_of(item) for item in condition.items))


def render(condition: Condition, columns: Columns) -> ColumnElement[bool]:
    """``condition`` in SQL; ``columns`` maps each column it reads (packed ones never ``NULL``)."""
    draw: Callable[[Condition], ColumnElement[bool]] = lambda item: render(item, columns)  # noqa: E731
    match condition:
        case Bits(column=column, mask=mask, every=every):
            masked = columns[column].op("&")(integer(mask))
            return masked == integer(mask) if every else masked != integer(0)
        case Sql(build=build):
            return build(columns)
        case _All(items=items):
            return and_(*map(draw, items)) if items else true()
        case _Any(items=items):
            return or_(*map(draw, items)) if items else false()
        case AtLeast(items=items, n=n):
            held = [case((draw(item), integer(1)), else_=integer(0)) for item in items]
            return sum(held[1:], held[0]) >= integer(n)
