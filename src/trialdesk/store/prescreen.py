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
observations alone before the facts and attestations are read; they come back as one
row of JSON arrays, not a row each. :func:`prescreen` runs it on a connection;
:func:`prescreen_parallel` on an engine, in parts read at the same time.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, func, select, text

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
    "POSTGRESQL_PART_SETTINGS",
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
#: What a part of :func:`prescreen_parallel` sets on PostgreSQL besides: one core each,
#: the parts running side by side.
POSTGRESQL_PART_SETTINGS: Mapping[str, str] = MappingProxyType(
    {**POSTGRESQL_SETTINGS, "max_parallel_workers_per_gather": "0"}
)


class Candidate(NamedTuple):
    """A subject not excluded: eligible, or incomplete with the criteria still unknown.

    A named tuple, not a dataclass: a million-subject pre-screen makes 300,000 of them,
    and a tuple is made in less than half the time (0.07 s against 0.19 s, measured).
    """

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
#: What ``pg_export_snapshot()`` returns.
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")


def _candidates(
    subject_ids: Sequence[str], masks: Sequence[Sequence[int]], rules: RuleSet
) -> list[Candidate]:
    """The candidates of ``subject_ids``, ``masks[j][k]`` the ``j``-th mask of the ``k``-th."""
    criteria = [criterion.id for criterion in rules.criteria]
    verdicts: dict[tuple[int, ...], tuple[Eligibility, tuple[str, ...]]] = {}
    for key in set(zip(*masks, strict=True)):
        unknown = tuple(
            c for i, c in enumerate(criteria) if key[i // MASK_BITS] >> (i % MASK_BITS) & 1
        )
        verdicts[key] = (Eligibility.INCOMPLETE if unknown else Eligibility.ELIGIBLE, unknown)
    made = map(verdicts.__getitem__, zip(*masks, strict=True))
    return [
        Candidate(subject_id, status, unknown)
        for subject_id, (status, unknown) in zip(subject_ids, made, strict=True)
    ]


def _lists(row: Sequence[Any]) -> tuple[list[str], list[list[int]]]:
    """The subject ids and masks of a statement's row, in saved order (by key)."""
    keys, subject_ids, *masks = (json.loads(text) for text in row[1:])
    if any(a >= b for a, b in pairwise(keys)):  # an engine may aggregate in any order
        order = sorted(range(len(keys)), key=keys.__getitem__)
        subject_ids = [subject_ids[i] for i in order]
        masks = [[mask[i] for i in order] for mask in masks]
    return subject_ids, masks


def _set_locally(connection: Connection, settings: Mapping[str, str]) -> None:
    """``SET LOCAL`` each setting: for the rest of the connection's transaction."""
    for name, value in settings.items():
        connection.execute(text(f"SET LOCAL {name} = {value}"))


def _read(
    connection: Connection, rules: RuleSet, statement: Rows, key_range: tuple[int, int] | None
) -> _Part:
    """How many subjects one part holds, and its candidates (``None``: every subject)."""
    bounds = {} if key_range is None else dict(zip(KEY_RANGE, key_range, strict=True))
    row = connection.execute(statement, bounds).one()
    subject_ids, masks = _lists(row)
    return row[0], _candidates(subject_ids, masks, rules)


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
    if connection.dialect.name == "postgresql":
        _set_locally(connection, POSTGRESQL_SETTINGS)
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


@contextmanager
def _part_connection(engine: Engine, snapshot: str | None) -> Iterator[Connection]:
    """A connection for one part: on PostgreSQL in ``snapshot``, on one core."""
    if snapshot is None:
        with engine.connect() as part, _mapped(part):
            yield part
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as part:
        # SET takes no parameters; the server's own identifier is hex digits and dashes.
        if not _SNAPSHOT_ID.fullmatch(snapshot):
            raise ValueError(f"not a PostgreSQL snapshot identifier: {snapshot!r}")
        part.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        _set_locally(part, POSTGRESQL_PART_SETTINGS)
        yield part


@contextmanager
def _lead(engine: Engine) -> Iterator[tuple[str | None, int | None, int | None]]:
    """The view the parts share, and the lowest and highest subject key in it.

    PostgreSQL: a snapshot exported by a transaction kept open until the parts are
    read, which each part's transaction imports (``SET TRANSACTION SNAPSHOT``), so all
    read one snapshot. SQLite has no exported snapshot; its parts are bounded by the
    keys read here (see :func:`prescreen_parallel`).
    """
    # Two subqueries: an engine finds a lone min or max at an end of the key's index.
    ends = select(*(select(f(subjects.c.id)).scalar_subquery() for f in (func.min, func.max)))
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            low, high = connection.execute(ends).one()
        yield None, low, high
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as lead:
        snapshot = lead.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        low, high = lead.execute(ends).one()
        yield snapshot, low, high


def prescreen_parallel(
    engine: Engine, rules: RuleSet, as_of: dt.date, *, workers: int | None = None
) -> PrescreenResult:
    """:func:`prescreen` on ``engine``, in parts read at the same time on SQLite and PostgreSQL.

    The subject keys are cut into ranges, two per worker, each read on a connection of
    its own by a thread (the drivers release the GIL while the database works;
    ``workers`` defaults to the CPU count, at most 8). SQLite runs a statement on one
    core: on 2 cores a million subjects take 1.8 s instead of 2.8 s. PostgreSQL could
    parallelise the one statement itself, but its leader then merges every subject
    alone; parts on connections of their own, each on one core, were faster
    (``benchmarks/prescreen.py``). On PostgreSQL every part reads the snapshot of one
    transaction. On SQLite, subjects are saved once with everything about them and
    never changed (:func:`~trialdesk.store.prescreen_schema.save_subjects`), so parts
    bounded by the keys read first see what one snapshot would, even while subjects
    are being added. Other engines, a SQLite database in memory and one worker use one
    connection.
    """
    workers = workers or min(os.cpu_count() or 1, _MAX_WORKERS)
    dialect = engine.dialect.name
    single = (
        workers == 1
        or dialect not in {"sqlite", "postgresql"}
        or (dialect == "sqlite" and _in_memory(engine))
    )
    if single:
        with engine.connect() as connection:
            return prescreen(connection, rules, as_of)
    statement = compile_prescreen(rules, as_of, dialect=dialect, ranged=True)
    with _lead(engine) as (snapshot, low, high):
        if low is None or high is None:  # no subject in the snapshot
            return _result(as_of, [])

        def read(key_range: tuple[int, int]) -> _Part:
            with _part_connection(engine, snapshot) as part:
                return _read(part, rules, statement, key_range)

        with _collector_paused(), ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(read, _ranges(low, high, _PARTS_PER_WORKER * workers)))
            return _result(as_of, parts)
