"""Pre-screening a database: a rule set compiled to SQL over the registry.

The statements (:mod:`trialdesk.store.prescreen_query`) give the verdict of
:func:`trialdesk.eligibility.evaluate` for every stored subject at once, with SQL
``NULL`` for ``UNKNOWN``. Each rule is compiled to two conditions that are never
``NULL``, "met" and "not met" (:mod:`trialdesk.store.prescreen_logic`), and each leaf to
match the evaluator exactly (:mod:`trialdesk.store.prescreen_leaves`, integer
comparisons only).

Each table is read once per subject (:mod:`trialdesk.store.prescreen_compile`):

- observations: only the rows that are a measure's latest value on the as-of date
  (``date <= as_of < superseded_on``, :mod:`~trialdesk.store.prescreen_schema`) and
  inside the widest window. Each such row yields a 2-bit code per leaf on its measure
  (0 unknown, 1 not met, 2 met); as a subject has one such row per measure, the codes
  of up to 31 leaves are packed into one ``BIGINT`` by one aggregate (``code x 4^slot``,
  summed or or-ed), not one aggregate per leaf.
- facts: one ``max`` per fact leaf (present beats absent).
- attestations: the last attestation of each criterion, packed like observations.

Only the subjects no criterion excludes come back, with their unknown criteria: the
"not met" tests (bit tests on a packed column merge into one) are ``WHERE`` terms, so
an engine drops an excluded subject at its first failing term, and a term on
observations alone before the facts and attestations are read. :func:`prescreen` runs
it on a connection; :func:`prescreen_parallel` on an engine, in parts on SQLite.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select, text

from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.store.prescreen_query import (
    KEY_RANGE,
    MASK_BITS,
    Rows,
    compile_prescreen,
    compile_rule_set,
    pass_column,
    rule_column,
)
from trialdesk.store.prescreen_schema import subjects

__all__ = [
    "POSTGRESQL_SETTINGS",
    "Candidate",
    "PrescreenResult",
    "compile_prescreen",
    "compile_rule_set",
    "pass_column",
    "prescreen",
    "prescreen_parallel",
    "rule_column",
]

#: Planner settings :func:`prescreen` makes on PostgreSQL (``SET LOCAL``). Hash
#: aggregation and hash joins off: the groupings then stream from the covering indexes
#: in subject order and merge with ``subjects`` without building a million-entry hash
#: table each (1.9 s instead of 4.5 s on 10⁶ subjects, measured). JIT off: with LLVM's
#: inlining and optimisation it takes seconds on the statement's hundreds of
#: expressions; without them it gains 3-7 % on 10⁶ subjects but costs 0.14 s on small
#: registries whose declines' subqueries inflate the planner's estimate (measured).
POSTGRESQL_SETTINGS: Mapping[str, str] = MappingProxyType(
    {"jit": "off", "enable_hashagg": "off", "enable_hashjoin": "off", "enable_sort": "off"}
)


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


#: A part read: how many subjects it holds, and its candidates.
_Part = tuple[int, list[Candidate]]
#: Parts per worker: unequal parts even out, and a part's candidates are made while
#: another part is still being read.
_PARTS_PER_WORKER = 2
#: How much of a SQLite file the parts map (SQLite caps it at its compiled maximum).
_MMAP_BYTES = 2**31
#: At most this many threads by default: fewer connections than SQLAlchemy's default
#: pool lends at once (5, and 10 more on overflow).
_MAX_WORKERS = 8


def _candidates(rows: Sequence[Row[*tuple[Any, ...]]], rules: RuleSet) -> list[Candidate]:
    """The candidates of rows ``subject_id, subjects, unknown0, unknown1...``."""
    criteria = [criterion.id for criterion in rules.criteria]
    wide = len(criteria) > MASK_BITS  # more than one mask column
    verdicts: dict[int | tuple[int, ...], tuple[Eligibility, tuple[str, ...]]] = {}

    def verdict(key: int | tuple[int, ...]) -> tuple[Eligibility, tuple[str, ...]]:
        masks = key if isinstance(key, tuple) else (key,)
        unknown = tuple(
            c for i, c in enumerate(criteria) if masks[i // MASK_BITS] >> (i % MASK_BITS) & 1
        )
        status = Eligibility.INCOMPLETE if unknown else Eligibility.ELIGIBLE
        verdicts[key] = (status, unknown)
        return status, unknown

    made: list[Candidate] = []
    for row in rows:
        key = tuple(row[2:]) if wide else row[2]
        status, unknown = verdicts.get(key) or verdict(key)
        made.append(Candidate(row[0], status, unknown))
    return made


def _read(
    connection: Connection, rules: RuleSet, statement: Rows, key_range: tuple[int, int] | None
) -> _Part:
    """How many subjects one part holds, and its candidates (``None``: every subject)."""
    if connection.dialect.name == "postgresql":
        for name, value in POSTGRESQL_SETTINGS.items():
            connection.execute(text(f"SET LOCAL {name} = {value}"))
    bounds = {} if key_range is None else dict(zip(KEY_RANGE, key_range, strict=True))
    rows = connection.execute(statement, bounds).all()
    if rows:
        return rows[0][1], _candidates(rows, rules)
    count = select(func.count()).select_from(subjects)
    if key_range is not None:
        count = count.where(subjects.c.id.between(*key_range))
    return connection.execute(count).scalar_one(), []


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (then restored) while many acyclic objects are made.

    300,000 rows and candidates would set off full collections over every live object
    again and again: 0.3 s of a million-subject pre-screen (measured).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _result(as_of: dt.date, parts: Sequence[_Part]) -> PrescreenResult:
    """The counts and candidates of the parts, in their order."""
    candidates = tuple(candidate for _, made in parts for candidate in made)
    tally = Counter(candidate.status for candidate in candidates)
    counts = {
        Eligibility.ELIGIBLE: tally[Eligibility.ELIGIBLE],
        Eligibility.NOT_ELIGIBLE: sum(count for count, _ in parts) - len(candidates),
        Eligibility.INCOMPLETE: tally[Eligibility.INCOMPLETE],
    }
    return PrescreenResult(as_of, MappingProxyType(counts), candidates)


def prescreen(connection: Connection, rules: RuleSet, as_of: dt.date) -> PrescreenResult:
    """Pre-screen every stored subject on ``as_of``: counts per verdict, and the candidates.

    One statement (:func:`compile_prescreen`) returns the candidates with the criteria
    still unknown and the number of subjects. On PostgreSQL, :data:`POSTGRESQL_SETTINGS`
    hold for the rest of the caller's transaction.
    """
    with _collector_paused():
        statement = compile_prescreen(rules, as_of, dialect=connection.dialect.name)
        return _result(as_of, [_read(connection, rules, statement, None)])


def _ranges(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """``[low, high]`` cut into ``parts`` consecutive ranges as equal as keys allow."""
    size = -(-(high - low + 1) // parts)
    return [(start, min(high, start + size - 1)) for start in range(low, high + 1, size)]


def _in_memory(engine: Engine) -> bool:
    """SQLite's own database in memory: other connections would see other databases."""
    database = engine.url.database or ""
    return (
        database in {"", ":memory:"}
        or database.startswith("file::memory:")
        or ("mode=memory" in database)
    )


@contextmanager
def _mapped(part: Connection) -> Iterator[None]:
    """The SQLite file read through memory-mapped I/O, then the connection's setting back.

    The parts' threads then share the operating system's pages instead of each copying
    them into a cache of its own (4 % faster on 10⁶ subjects, measured; a larger page
    cache was slower). Only reads use the mapping; writes never do.
    """
    previous = part.exec_driver_sql("PRAGMA mmap_size").scalar_one()
    part.exec_driver_sql(f"PRAGMA mmap_size = {_MMAP_BYTES}")
    try:
        yield
    finally:
        part.exec_driver_sql(f"PRAGMA mmap_size = {int(previous)}")


def prescreen_parallel(
    engine: Engine, rules: RuleSet, as_of: dt.date, *, workers: int | None = None
) -> PrescreenResult:
    """:func:`prescreen` on ``engine``; on a SQLite file, in parts read at the same time.

    SQLite runs a statement on one core. Here the subject keys are cut into ranges, two
    per worker, each read on a connection of its own by a thread (the driver releases
    the GIL while SQLite works; ``workers`` defaults to the CPU count, at most 8): on 2
    cores a million subjects take 1.8 s instead of 2.8 s (``benchmarks/prescreen.py``).
    Subjects are saved once with everything about them and never changed
    (:func:`~trialdesk.store.prescreen_schema.save_subjects`), so parts bounded by the
    keys read first see what one snapshot would, even while subjects are being added.
    Other engines (PostgreSQL parallelises the statement itself), a database in memory
    and one worker use one connection.
    """
    workers = workers or min(os.cpu_count() or 1, _MAX_WORKERS)
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite" or _in_memory(engine) or workers == 1:
            return prescreen(connection, rules, as_of)
        # Two subqueries: SQLite finds a lone min or max at an end of the key's index.
        ends = (select(f(subjects.c.id)).scalar_subquery() for f in (func.min, func.max))
        low, high = connection.execute(select(*ends)).one()
        if low is None:
            return prescreen(connection, rules, as_of)

    statement = compile_prescreen(rules, as_of, dialect="sqlite", ranged=True)

    def read(key_range: tuple[int, int]) -> _Part:
        with engine.connect() as part, _mapped(part):
            return _read(part, rules, statement, key_range)

    with _collector_paused(), ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(read, _ranges(low, high, _PARTS_PER_WORKER * workers)))
        return _result(as_of, parts)
