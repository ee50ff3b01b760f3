"""The rule set compiled to SQL: each leaf a slot, each grouping one pass over a table.

See :mod:`trialdesk.store.prescreen` for the query's shape. A leaf is compiled once
per distinct (leaf, window) and shared by every criterion that has it; the truth of
a rule is built after all its leaves have a slot (the grouped columns exist only
then), so :func:`_compile` returns a function of those columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from trialdesk.eligibility.ast import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    Between,
    Compare,
    Decline,
    Fact,
    Not,
    Rule,
    When,
    Within,
)
from trialdesk.eligibility.criteria import RuleSet, Section
from trialdesk.store.prescreen_exact import integer
from trialdesk.store.prescreen_leaves import (
    Code,
    Scope,
    age_from_birth_date,
    compare_code,
    day,
    decline_code,
    fact_code,
    one_of,
    truth_of,
)
from trialdesk.store.prescreen_schema import (
    PrescreenInputError,
    attestations,
    facts,
    observations,
    subjects,
)

__all__ = ["CompiledRules", "compile_rules"]

_SLOTS_PER_COLUMN = 31  # 2 bits each: 4³¹ = 2⁶² fits a BIGINT


@dataclass(frozen=True, slots=True)
class _Columns:
    """The grouped columns a rule's truth is read from."""

    observations: tuple[ColumnElement[int], ...]
    facts: tuple[ColumnElement[int], ...]
    attestations: tuple[ColumnElement[int], ...]
    birth_date: ColumnElement[dt.date]


_Deferred = Callable[[_Columns], ColumnElement[bool]]
_RowCode = Callable[[FromClause, FromClause, int], Code]


@dataclass(slots=True)
class _Plan:
    """The leaves found in the rules: one slot each, shared by identical leaves."""

    as_of: dt.date
    observations: dict[str, tuple[str, _RowCode]] = field(default_factory=dict)
    windows: list[int] = field(default_factory=list)
    facts: dict[str, Callable[[FromClause], Code]] = field(default_factory=dict)
    attestations: list[str] = field(default_factory=list)

    def observation(self, rule: Compare | Between | Decline, scope: Scope) -> int:
        key = rule.model_dump_json(exclude={"criterion", "span"}) + f"@{scope.window}"
        if key not in self.observations:
            if isinstance(rule, Decline):
                code: _RowCode = lambda row, base, earliest: decline_code(  # noqa: E731
                    rule, row, base, scope, earliest
                )
            else:
                code = lambda row, _, earliest: compare_code(rule, row, scope, earliest)  # noqa: E731
            self.observations[key] = (rule.measure, code)
            self.windows.append(scope.window)
        return list(self.observations).index(key)

    def fact(self, rule: Fact, scope: Scope) -> int:
        key = f"{rule.name}@{scope.within}"
        self.facts.setdefault(key, lambda table: fact_code(table, rule.name, scope))
        return list(self.facts).index(key)

    def attestation(self, criterion: str) -> int:
        if criterion not in self.attestations:
            self.attestations.append(criterion)
        return self.attestations.index(criterion)


def _slot_truth(packed: tuple[ColumnElement[int], ...], slot: int) -> ColumnElement[bool]:
    column = packed[slot // _SLOTS_PER_COLUMN]
    return truth_of((column // integer(4 ** (slot % _SLOTS_PER_COLUMN))) % integer(4))


def _unknown_count(value: ColumnElement[bool]) -> ColumnElement[int]:
    """``1`` where ``value`` is ``NULL``, by elimination.

    Not ``value IS NULL``: SQLAlchemy renders ``NOT x IS NULL`` for a negation, which
    both engines read as ``NOT (x IS NULL)``.
    """
    return case((value, integer(0)), (not_(value), integer(0)), else_=integer(1))


def _at_least(values: list[ColumnElement[bool]], needed: int) -> ColumnElement[bool]:
    """Kleene ``at_least`` of :mod:`trialdesk.eligibility.truth`, by counting."""
    if needed == len(values):
        return and_(*values)
    if needed == 1:
        return or_(*values)
    met = sum((case((v, integer(1)), else_=integer(0)) for v in values), integer(0))
    unknown = sum((_unknown_count(v) for v in values), integer(0))
    return case((met >= integer(needed), true()), (met + unknown < integer(needed), false()))


def _compile(rule: Rule, scope: Scope, plan: _Plan) -> _Deferred:
    """The rule's truth as a function of the grouped columns; leaves join ``plan``."""
    match rule:
        case AllOf() | AnyOf() | AtLeast():
            items = [_compile(item, scope, plan) for item in rule.items]
            needed = (
                len(items) if isinstance(rule, AllOf) else 1 if isinstance(rule, AnyOf) else rule.n
            )
            return lambda cols: _at_least([item(cols) for item in items], needed)
        case Not(item=item):
            inner = _compile(item, scope, plan)
            return lambda cols: not_(inner(cols))
        case When(condition=condition, then=then):
            test, limit = _compile(condition, scope, plan), _compile(then, scope, plan)
            return lambda cols: or_(not_(test(cols)), limit(cols))
        case Within(days=days, item=item):
            return _compile(item, replace(scope, within=days), plan)
        case _:
            return _compile_leaf(rule, scope, plan)


def _compile_leaf(
    rule: Attest | Fact | Compare | Between | Decline, scope: Scope, plan: _Plan
) -> _Deferred:
    if isinstance(rule, Attest):  # keyed by the criterion, as the evaluator reads it
        slot = plan.attestation(scope.criterion)
        return lambda cols: _slot_truth(cols.attestations, slot)
    if isinstance(rule, Fact):
        index = plan.fact(rule, scope)
        return lambda cols: truth_of(cols.facts[index])
    return _compile_measured(rule, scope, plan)


def _compile_measured(rule: Compare | Between | Decline, scope: Scope, plan: _Plan) -> _Deferred:
    if isinstance(rule, Decline) and rule.measure == "age":
        raise PrescreenInputError(
            f"{scope.criterion}: rule", str(rule), "a decline of a measure other than age"
        )
    slot = plan.observation(rule, scope)
    if isinstance(rule, Decline) or rule.measure != "age":
        return lambda cols: _slot_truth(cols.observations, slot)

    # The evaluator reads age from the birth date when there is one, else an observation.
    def age(cols: _Columns) -> ColumnElement[bool]:
        stored = _slot_truth(cols.observations, slot)
        from_birth = age_from_birth_date(rule, cols.birth_date, scope.as_of)
        missing = cols.birth_date.is_(None)
        if from_birth is None:
            return case((missing, stored))
        return case((missing, stored), else_=from_birth)

    return age


def _packed_sum(
    discriminator: ColumnElement[str], slots: list[tuple[str, Code]], name: str
) -> list[tuple[str, ColumnElement[int]]]:
    """``sum(code x 4^slot)`` per chunk of 31 slots, dispatched on ``discriminator``."""
    columns: list[tuple[str, ColumnElement[int]]] = []
    for start in range(0, len(slots), _SLOTS_PER_COLUMN):
        by_value: dict[str, ColumnElement[int]] = {}
        for position, (value, code) in enumerate(slots[start : start + _SLOTS_PER_COLUMN]):
            term = code if position == 0 else code * integer(4**position)
            by_value[value] = by_value[value] + term if value in by_value else term
        dispatch = case(by_value, value=discriminator, else_=integer(0))
        label = f"{name}{start // _SLOTS_PER_COLUMN}"
        columns.append((label, cast(func.sum(dispatch), BigInteger)))
    return columns


@dataclass(frozen=True, slots=True)
class _Group:
    """Aggregates of one table per subject: over the rows ``where`` admits."""

    table: Table
    where: tuple[ColumnElement[bool], ...]
    aggregates: list[tuple[str, ColumnElement[int]]]


def _observation_group(plan: _Plan) -> _Group:
    row, baseline = observations, observations.alias("baseline")
    as_of = plan.as_of.toordinal()
    earliest = as_of - max(plan.windows)
    slots = [
        (measure, code(row, baseline, earliest)) for measure, code in plan.observations.values()
    ]
    # No filter on the measure: rows of other measures add 0, and an IN list costs
    # SQLite more per row than the dispatch on the measure does.
    where = (
        day(row.c.date) <= integer(as_of),
        day(row.c.date) >= integer(earliest),
        or_(row.c.superseded_on.is_(None), day(row.c.superseded_on) > integer(as_of)),
    )
    return _Group(row, where, _packed_sum(row.c.measure, slots, "o"))


def _fact_group(plan: _Plan) -> _Group:
    names = sorted({key.rsplit("@", 1)[0] for key in plan.facts})
    columns: list[tuple[str, ColumnElement[int]]] = [
        (f"f{i}", func.max(code(facts))) for i, code in enumerate(plan.facts.values())
    ]
    return _Group(facts, (one_of(facts.c.name, names),), columns)


def _attestation_group(plan: _Plan) -> _Group:
    code: Code = case((attestations.c.holds, integer(2)), else_=integer(1))
    slots = [(criterion, code) for criterion in plan.attestations]
    packed = _packed_sum(attestations.c.criterion, slots, "a")
    return _Group(attestations, (not_(attestations.c.superseded),), packed)


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """Every criterion's rule and pass as SQL over ``source``, one row per subject."""

    source: FromClause
    key: ColumnElement[int]
    subject_id: ColumnElement[str]
    rules: dict[str, ColumnElement[bool]]
    passes: dict[str, ColumnElement[bool]]


def _groups(plan: _Plan) -> list[_Group]:
    return [
        build(plan)
        for build, used in (
            (_observation_group, plan.observations),
            (_fact_group, plan.facts),
            (_attestation_group, plan.attestations),
        )
        if used
    ]


def _columns(named: dict[str, ColumnElement[int]], birth: ColumnElement[dt.date]) -> _Columns:
    def starting(prefix: str) -> tuple[ColumnElement[int], ...]:
        return tuple(column for name, column in named.items() if name.startswith(prefix))

    return _Columns(starting("o"), starting("f"), starting("a"), birth)


def _grouped(plan: _Plan) -> tuple[FromClause, ColumnElement[int], ColumnElement[str], _Columns]:
    """``subjects`` left-joined to each table grouped by subject (merge or hash joins)."""
    source: FromClause = subjects
    named: dict[str, ColumnElement[int]] = {}
    for index, group in enumerate(_groups(plan)):
        grouped = (
            select(group.table.c.subject, *(value.label(name) for name, value in group.aggregates))
            .where(*group.where)
            .group_by(group.table.c.subject)
            .subquery(f"grouped{index}")
        )
        source = source.outerjoin(grouped, grouped.c.subject == subjects.c.id)
        named |= {name: grouped.c[name] for name, _ in group.aggregates}
    return source, subjects.c.id, subjects.c.subject_id, _columns(named, subjects.c.birth_date)


def compile_rules(rules: RuleSet, as_of: dt.date) -> CompiledRules:
    """The truth of each criterion's rule and pass, as nullable booleans, per subject.

    Raises:
        PrescreenInputError: two criteria share an id, a decline of ``age``, or a
            relative multiplier too long to compare exactly.
    """
    ids = [criterion.id for criterion in rules.criteria]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise PrescreenInputError("criteria ids", repeated, "each criterion id once")
    plan = _Plan(as_of)
    deferred = {
        criterion.id: _compile(
            criterion.rule, Scope(criterion.id, None, rules.lab_window_days, as_of), plan
        )
        for criterion in rules.criteria
    }
    source, key, subject_id, columns = _grouped(plan)
    truths = {criterion: build(columns) for criterion, build in deferred.items()}
    passes = {
        c.id: truths[c.id] if c.section is Section.INCLUSION else not_(truths[c.id])
        for c in rules.criteria
    }
    return CompiledRules(source, key, subject_id, truths, passes)
