"""Pre-screening a database: a rule set compiled to one SQL query over the registry.

:func:`compile_rule_set` gives the verdict of :func:`trialdesk.eligibility.evaluate`
for every stored subject at once, with SQL ``NULL`` for ``UNKNOWN``: SQL's ``AND``,
``OR`` and ``NOT`` are Kleene's already, and each leaf is compiled to match the
evaluator exactly (:mod:`trialdesk.store.prescreen_leaves`, integer comparisons only).

The query reads each table once, grouped by subject, and joins the three groupings
to ``subjects`` (:mod:`trialdesk.store.prescreen_compile`):

- observations: only the rows that are a measure's latest value on the as-of date
  (``date <= as_of < superseded_on``, :mod:`~trialdesk.store.prescreen_schema`) and
  inside the widest window. Each such row yields a 2-bit code per leaf on its measure
  (0 unknown, 1 not met, 2 met); as a subject has one such row per measure, the codes
  of up to 31 leaves are packed into one ``BIGINT`` by a plain ``sum``
  (``code x 4^slot``), so the grouping computes one aggregate, not one per leaf.
- facts: one ``max`` per fact leaf (present beats absent).
- attestations: the last attestation of each criterion, packed like observations.

Each criterion's pass is computed once, in a subquery the engines do not flatten
(``OFFSET 0``); the verdict and the unknown criteria are read from those columns.
:func:`prescreen` runs it and returns the counts per verdict and the candidates
(eligible or incomplete), each with the criteria still unknown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    literal,
    not_,
    select,
    text,
    true,
    type_coerce,
)

from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.store.prescreen_compile import compile_rules
from trialdesk.store.prescreen_exact import integer
from trialdesk.store.prescreen_schema import subjects

__all__ = [
    "POSTGRESQL_SETTINGS",
    "Candidate",
    "PrescreenResult",
    "compile_prescreen",
    "compile_rule_set",
    "pass_column",
    "prescreen",
    "rule_column",
]

_Rows = Select[*tuple[Any, ...]]
_MASK_BITS = 62  # criteria per unknown-mask column (a BIGINT)

#: Planner settings :func:`prescreen` makes on PostgreSQL (``SET LOCAL``). JIT off:
#: compiling the statement's hundreds of expressions takes longer than running them
#: (seconds, measured). Hash aggregation and hash joins off: the groupings then stream
#: from the covering indexes in subject order and merge with ``subjects`` without
#: building a million-entry hash table each (2.5 s instead of 6.6 s on 10⁶ subjects).
POSTGRESQL_SETTINGS: Mapping[str, str] = MappingProxyType(
    {"jit": "off", "enable_hashagg": "off", "enable_hashjoin": "off", "enable_sort": "off"}
)


def rule_column(criterion: str) -> str:
    """The name of the column holding whether ``criterion``'s rule holds (``NULL``: unknown)."""
    return f"rule_{criterion}"


def pass_column(criterion: str) -> str:
    """The name of the column holding whether ``criterion`` passes screening."""
    return f"pass_{criterion}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A subject not excluded: eligible, or incomplete with the criteria still unknown."""

    subject_id: str
    status: Eligibility
    unknown: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PrescreenResult:
    """How many subjects have each verdict on ``as_of``, and the candidates."""

    as_of: dt.date
    counts: Mapping[Eligibility, int]
    candidates: tuple[Candidate, ...]


def _passes(rules: RuleSet, as_of: dt.date, *, with_rules: bool) -> _Rows:
    """``key``, ``subject_id``, (each rule,) each pass: a subquery computed once per row."""
    compiled = compile_rules(rules, as_of)
    rule_columns = (
        [type_coerce(v, Boolean).label(rule_column(k)) for k, v in compiled.rules.items()]
        if with_rules
        else []
    )
    return (
        select(
            compiled.key.label("key"),
            compiled.subject_id.label("subject_id"),
            *rule_columns,
            *(type_coerce(v, Boolean).label(pass_column(k)) for k, v in compiled.passes.items()),
        )
        .select_from(compiled.source)
        .offset(0)  # an optimisation fence: the outer query reads each pass, never re-derives it
    )


def _status(passes: Sequence[ColumnElement[bool]]) -> ColumnElement[str]:
    overall = and_(*passes)
    return case(
        (overall, literal(Eligibility.ELIGIBLE.value)),
        (not_(overall), literal(Eligibility.NOT_ELIGIBLE.value)),
        else_=literal(Eligibility.INCOMPLETE.value),
    )


def compile_rule_set(rules: RuleSet, as_of: dt.date) -> _Rows:
    """One row per stored subject: ``subject_id``, each criterion's rule and pass, ``status``.

    Rule and pass columns (:func:`rule_column`, :func:`pass_column`) are nullable
    booleans, ``NULL`` being ``UNKNOWN``; ``status`` is an :class:`Eligibility` value.
    Rows come in the order subjects were saved.

    Raises:
        PrescreenInputError: two criteria share an id, a decline of ``age``, or a
            relative multiplier too long to compare exactly.
    """
    inner = _passes(rules, as_of, with_rules=True).subquery("screened")
    ids = [criterion.id for criterion in rules.criteria]
    passes = [inner.c[pass_column(i)] for i in ids]
    return select(
        inner.c.subject_id,
        *(inner.c[rule_column(i)] for i in ids),
        *passes,
        _status(passes).label("status"),
    ).order_by(inner.c.key)


def _unknown_masks(passes: Sequence[ColumnElement[bool]]) -> list[ColumnElement[int]]:
    """Bit ``i`` set where pass ``i`` is ``NULL`` (62 criteria per column)."""
    masks: list[ColumnElement[int]] = []
    for start in range(0, len(passes), _MASK_BITS):
        terms = [
            case((p.is_(None), integer(2**bit)), else_=integer(0))
            for bit, p in enumerate(passes[start : start + _MASK_BITS])
        ]
        masks.append(sum(terms[1:], terms[0]).label(f"unknown{start // _MASK_BITS}"))
    return masks


def compile_prescreen(rules: RuleSet, as_of: dt.date) -> _Rows:
    """The statement :func:`prescreen` runs: the candidates, in saved order.

    Columns: ``subject_id``, ``subjects`` (how many subjects are stored, read in the
    same snapshot), then ``unknown0``, ``unknown1``...: bit ``i`` of ``unknown{i // 62}``
    is set when criterion ``i`` (in rule-set order) is unknown; a candidate with no bit
    set is eligible. Subjects found not eligible (a pass ``FALSE``) are left out.
    """
    inner = _passes(rules, as_of, with_rules=False).subquery("screened")
    passes = [inner.c[pass_column(criterion.id)] for criterion in rules.criteria]
    total = select(func.count()).select_from(subjects).scalar_subquery()
    return (
        select(inner.c.subject_id, total.label("subjects"), *_unknown_masks(passes))
        .where(*(func.coalesce(p, true()) for p in passes))
        .order_by(inner.c.key)
    )


def prescreen(connection: Connection, rules: RuleSet, as_of: dt.date) -> PrescreenResult:
    """Pre-screen every stored subject on ``as_of``: counts per verdict, and the candidates.

    One statement (:func:`compile_prescreen`) returns the candidates with the criteria
    still unknown and the number of subjects. On PostgreSQL, :data:`POSTGRESQL_SETTINGS`
    hold for the rest of the caller's transaction.
    """
    criteria = [criterion.id for criterion in rules.criteria]
    statement = compile_prescreen(rules, as_of)
    if connection.dialect.name == "postgresql":
        for name, value in POSTGRESQL_SETTINGS.items():
            connection.execute(text(f"SET LOCAL {name} = {value}"))
    names: dict[tuple[int, ...], tuple[str, ...]] = {}
    candidates = []
    stored = None
    for subject_id, subject_count, *masks in connection.execute(statement):
        stored = subject_count
        key = tuple(masks)
        if key not in names:
            names[key] = tuple(
                c for i, c in enumerate(criteria) if masks[i // _MASK_BITS] >> (i % _MASK_BITS) & 1
            )
        unknown = names[key]
        status = Eligibility.INCOMPLETE if unknown else Eligibility.ELIGIBLE
        candidates.append(Candidate(subject_id, status, unknown))
    if stored is None:
        stored = connection.execute(select(func.count()).select_from(subjects)).scalar_one()
    tally = Counter(candidate.status for candidate in candidates)
    counts = {
        Eligibility.ELIGIBLE: tally[Eligibility.ELIGIBLE],
        Eligibility.NOT_ELIGIBLE: stored - len(candidates),
        Eligibility.INCOMPLETE: tally[Eligibility.INCOMPLETE],
    }
    return PrescreenResult(as_of, MappingProxyType(counts), tuple(candidates))
