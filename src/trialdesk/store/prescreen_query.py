"""The pre-screen's statements: the rules over the registry, in the shape each engine runs best.

:func:`compile_rule_set` gives every criterion's rule and pass for every subject (the
reference the tests compare with :func:`trialdesk.eligibility.evaluate`);
:func:`compile_prescreen` gives only the candidates and their unknown criteria, the
statement :func:`trialdesk.store.prescreen.prescreen` runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    false,
    func,
    literal,
    not_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.store.prescreen_compile import (
    BIRTH,
    CompiledRules,
    compile_rules,
    correlated,
    joined,
)
from trialdesk.store.prescreen_exact import integer
from trialdesk.store.prescreen_logic import (
    Columns,
    Condition,
    Pair,
    all_of,
    any_of,
    columns_of,
    disjuncts,
    render,
)
from trialdesk.store.prescreen_schema import observations, subjects

__all__ = [
    "KEY_RANGE",
    "MASK_BITS",
    "Rows",
    "compile_prescreen",
    "compile_rule_set",
    "pass_column",
    "rule_column",
]

Rows = Select[*tuple[Any, ...]]
_Range = tuple[ColumnElement[int], ColumnElement[int]]
#: Criteria per unknown-mask column (a ``BIGINT``).
MASK_BITS = 62
#: The bound parameters of a ranged statement: the first and last subject key.
KEY_RANGE = ("low", "high")


def rule_column(criterion: str) -> str:
    """The name of the column holding whether ``criterion``'s rule holds (``NULL``: unknown)."""
    return f"rule_{criterion}"


def pass_column(criterion: str) -> str:
    """The name of the column holding whether ``criterion`` passes screening."""
    return f"pass_{criterion}"


def _nullable(pair: Pair, columns: Columns) -> ColumnElement[bool]:
    """``TRUE`` met, ``FALSE`` not met, ``NULL`` unknown."""
    met, not_met = (render(c, columns) for c in (pair.met, pair.not_met))
    return type_coerce(case((met, true()), (not_met, false())), Boolean)


def _status(passes: Sequence[Pair], columns: Columns) -> ColumnElement[str]:
    eligible = render(all_of(p.met for p in passes), columns)
    excluded = render(any_of(p.not_met for p in passes), columns)
    return case(
        (eligible, literal(Eligibility.ELIGIBLE.value)),
        (excluded, literal(Eligibility.NOT_ELIGIBLE.value)),
        else_=literal(Eligibility.INCOMPLETE.value),
    )


def compile_rule_set(rules: RuleSet, as_of: dt.date) -> Rows:
    """One row per stored subject: ``subject_id``, each criterion's rule and pass, ``status``.

    Rule and pass columns (:func:`rule_column`, :func:`pass_column`) are nullable
    booleans, ``NULL`` being ``UNKNOWN``; ``status`` is an :class:`Eligibility` value.
    Rows come in the order subjects were saved.

    Raises:
        PrescreenInputError: two criteria share an id, a decline of ``age``, or a
            relative multiplier too long to compare exactly.
    """
    compiled = compile_rules(rules, as_of)
    source, columns = joined(compiled)
    return (
        select(
            subjects.c.subject_id.label("subject_id"),
            *(_nullable(v, columns).label(rule_column(k)) for k, v in compiled.rules.items()),
            *(_nullable(v, columns).label(pass_column(k)) for k, v in compiled.passes.items()),
            _status(list(compiled.passes.values()), columns).label("status"),
        )
        .select_from(source)
        .order_by(subjects.c.id)
    )


def _unknown_masks(passes: Sequence[Pair], columns: Columns) -> list[ColumnElement[int]]:
    """Bit ``i`` set where pass ``i`` is not met (62 criteria per column).

    Read on candidates only, where "not met" is already ruled out: unknown.
    """
    masks: list[ColumnElement[int]] = []
    for start in range(0, len(passes), MASK_BITS):
        terms = [
            case((render(p.met, columns), integer(0)), else_=integer(2**bit))
            for bit, p in enumerate(passes[start : start + MASK_BITS])
        ]
        masks.append(sum(terms[1:], terms[0]).label(f"unknown{start // MASK_BITS}"))
    return masks


def _exclusions(compiled: CompiledRules) -> tuple[list[Condition], list[Condition]]:
    """When a subject is excluded, as terms: those read on observations alone, the others.

    The first can be tested as soon as a subject's observations are, before its facts
    and attestations are read.
    """
    observed = {BIRTH}.union(
        *({name for name, _ in g.aggregates} for g in compiled.groupings if g.table is observations)
    )
    terms = disjuncts(any_of(p.not_met for p in compiled.passes.values()))
    early = [t for t in terms if columns_of(t) <= observed]
    return early, [t for t in terms if not columns_of(t) <= observed]


def _excluding(terms: Sequence[Condition], columns: Columns) -> list[ColumnElement[bool]]:
    return [not_(render(term, columns)) for term in terms]


def _joined_statement(compiled: CompiledRules, key_range: _Range | None) -> Rows:
    source, columns = joined(compiled, key_range)
    within = [] if key_range is None else [subjects.c.id.between(*key_range)]
    early, late = _exclusions(compiled)
    passes = list(compiled.passes.values())
    return (
        select(subjects.c.id, subjects.c.subject_id, *_unknown_masks(passes, columns))
        .select_from(source)
        .where(*within, *_excluding([*early, *late], columns))
        .order_by(subjects.c.id)
    )


def _correlated_statement(compiled: CompiledRules, key_range: _Range | None) -> Rows:
    """Subjects with their observations; the survivors with the rest; the candidates.

    Each level is computed once per row (``OFFSET 0`` keeps the engine from
    substituting a column's subquery into every expression that reads it). A term on
    the birth date alone is tested before a subject's observations are read, so an
    excluded subject's are never read.
    """
    within = [] if key_range is None else [subjects.c.id.between(*key_range)]
    early, late = _exclusions(compiled)
    born = [term for term in early if columns_of(term) <= {BIRTH}]
    early = [term for term in early if not columns_of(term) <= {BIRTH}]
    first: dict[str, ColumnElement[Any]] = {BIRTH: subjects.c.birth_date}
    for grouping in compiled.groupings:
        if grouping.table is observations:
            first |= correlated(grouping, subjects.c.id)
    observed = (
        select(subjects.c.id, subjects.c.subject_id, *(c.label(n) for n, c in first.items()))
        .where(*within, *_excluding(born, {BIRTH: subjects.c.birth_date}))
        .offset(0)
        .subquery("observed")
    )
    columns: dict[str, ColumnElement[Any]] = {name: observed.c[name] for name in first}
    second: dict[str, ColumnElement[Any]] = {}
    for grouping in compiled.groupings:
        if grouping.table is not observations:
            second |= correlated(grouping, observed.c.id)
    screened = (
        select(
            observed.c.id,
            observed.c.subject_id,
            *columns.values(),
            *(c.label(n) for n, c in second.items()),
        )
        .where(*_excluding(early, columns))
        .offset(0)
        .subquery("screened")
    )
    columns = {name: screened.c[name] for name in (*first, *second)}
    passes = list(compiled.passes.values())
    return (
        select(screened.c.id, screened.c.subject_id, *_unknown_masks(passes, columns))
        .where(*_excluding(late, columns))
        .order_by(screened.c.id)
    )


class _JsonList(FunctionElement[str]):
    """The values of a column over the rows, in the order read, as a JSON array (text).

    One value per part instead of one row per candidate: a driver builds each row
    returned as an object, which took 0.3 s of 300,000 candidates (measured).
    """

    type = Text()
    name = "json_list"
    inherit_cache = True


@compiles(_JsonList)
def _json_group_array(element: _JsonList, compiler: SQLCompiler, **kw: object) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_JsonList, "postgresql")
def _json_agg(element: _JsonList, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST(coalesce(json_agg({compiler.process(element.clauses, **kw)}), '[]') AS TEXT)"


def compile_prescreen(
    rules: RuleSet, as_of: dt.date, *, dialect: str = "postgresql", ranged: bool = False
) -> Rows:
    """The statement :func:`prescreen` runs on ``dialect``: one row, the candidates as lists.

    Columns: ``subjects`` (how many subjects are stored, read in the same snapshot),
    then, as JSON arrays of one entry per candidate (a subject no criterion excludes),
    ``keys`` (``subjects.id``: the order subjects were saved), ``subject_ids``, and
    ``unknown0``, ``unknown1``...: bit ``i`` of ``unknown{i // 62}`` is set when
    criterion ``i`` (in rule-set order) is unknown; a candidate with no bit set is
    eligible. The arrays list candidates in the same order, which is the saved order on
    the engines measured; an engine may aggregate in another, so the reader sorts by
    ``keys`` when they are not ascending. ``ranged``: only the subjects whose key lies
    between the bound parameters named in :data:`KEY_RANGE`, given when it runs (one
    part of a parallel pre-screen).

    Each engine gets the shape it runs fastest (``benchmarks/prescreen.py``). SQLite
    reads each subject's rows by correlated subqueries, one index seek each: it has no
    merge join, so groupings joined to ``subjects`` would each be copied into a table
    and indexed first (2.8 s against 2.5 s on 10⁶ subjects), and those copies keep
    parallel parts from scaling. Elsewhere each table is grouped once, in subject
    order, and merged with ``subjects``.
    """
    compiled = compile_rules(rules, as_of)
    key_range = (_bound(KEY_RANGE[0]), _bound(KEY_RANGE[1])) if ranged else None
    shape = _correlated_statement if dialect == "sqlite" else _joined_statement
    candidates = shape(compiled, key_range).subquery("candidates")
    within = [] if key_range is None else [subjects.c.id.between(*key_range)]
    total = select(func.count()).select_from(subjects).where(*within).scalar_subquery()
    masks = [column for column in candidates.c if column.name.startswith("unknown")]
    return select(
        total.label("subjects"),
        _JsonList(candidates.c.id).label("keys"),
        _JsonList(candidates.c.subject_id).label("subject_ids"),
        *(_JsonList(mask).label(mask.name) for mask in masks),
    )


def _bound(name: str) -> ColumnElement[int]:
    return bindparam(name, type_=Integer)
