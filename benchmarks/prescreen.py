"""Pre-screen 1,000,000 synthetic subjects x 10 observations on SQLite and PostgreSQL.

Run: ``python -m benchmarks.prescreen [--subjects N] [--engines sqlite,postgresql] [--no-plans]``.

The registry is drawn with NumPy (seeded) and bulk-loaded (``executemany`` on SQLite,
``COPY`` on PostgreSQL); indexes are built after the load and statistics gathered.
Loading is timed apart and is not part of the target. The timed work is what
``trialdesk prescreen`` runs, :func:`trialdesk.store.prescreen.prescreen_parallel`, end
to end (the statements, and reading every candidate with its unknown criteria into
Python), best of 3 after one warm-up run, against two rule sets read from the seed's
reviewed ``study.yaml``:

- *seed labs* (the target): I1 age 18-75 + attestation, I2 consent, I6 haematocrit,
  lymphocytes, platelets, E3 infection, E8 creatinine, E12 platelets/INR/aPTT x control
  with anticoagulants, E13 AST/ALT x ULN or bilirubin. Targets: 2 s SQLite, 1 s PostgreSQL.
- *seed, all 19 criteria*: adds the declines, facts and the other attestations.

Each subject has one lab panel (haematocrit, lymphocytes, platelets in 10*9/L or /uL,
creatinine in mg/dL or umol/L, AST and ALT with their ULN, bilirubin, INR, aPTT with
its control) dated 0-40 days before the as-of date (the window is 28 days, so about
30 % of panels are stale), and an older platelet count that the panel supersedes:
10 observations, of which about 6.4 million are current on the as-of date, stored
subject by subject as :func:`~trialdesk.store.prescreen_schema.save_subjects` writes
them. 2 % have no
birth date; 30 % have an anticoagulant record; :data:`ATTESTED_SHARE` have
investigator attestations (I1, I2, E3, E8, E12). PostgreSQL runs as a private server
(``scripts/pg_ctl_wrapper``) with the settings in :data:`PG_SETTINGS`.

On PostgreSQL the table is followed by the engine's floor on this machine: the parts
reading and grouping the in-window observations by subject with nothing computed (no
rule, no join, no output), then the same with the rules' packed codes aggregated per
subject as the pre-screen does (still no join, no output), timed the same way. They
show how much of the target the reading alone, and the grouping of the codes, take.

The plan of each statement follows the table (``EXPLAIN QUERY PLAN`` on SQLite, of one
part; ``EXPLAIN`` on PostgreSQL, with the settings the pre-screen makes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.retry import retry
from rich.console import Console
from rich.table import Table
from sqlalchemy import URL, Connection, Engine, Select, create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateTable

from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.evaluate import Eligibility
from trialdesk.store import load_study
from trialdesk.store.prescreen import (
    POSTGRESQL_PART_SETTINGS,
    PrescreenResult,
    compile_prescreen,
    prescreen_parallel,
)
from trialdesk.store.prescreen_compile import compile_rules
from trialdesk.store.prescreen_query import KEY_RANGE
from trialdesk.store.prescreen_schema import metadata, observations

ROOT = Path(__file__).resolve().parents[1]
SEED_STUDY = ROOT / "studies" / "NCT07329959" / "study.yaml"
PG_CTL = ROOT / "scripts" / "pg_ctl_wrapper"
AS_OF = dt.date(2026, 6, 1)
TARGETS = {"sqlite": 2.0, "postgresql": 1.0}
SEED_LABS = ("I1", "I2", "I6", "E3", "E8", "E12", "E13")
#: Share of subjects with investigator attestations (already seen at a screening visit):
#: a registry is pre-screened before investigators look at most of its subjects.
ATTESTED_SHARE = 0.1
PG_WORKERS = 2
PG_SETTINGS = (
    f"-c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather={PG_WORKERS}"
)
_OBSERVATION_COLUMNS = (
    "subject, measure_id, value_micro, unit_id, date, superseded_on, source, uln_micro, "
    "control_micro"
)
MICRO = 10**6


@dataclass(frozen=True)
class Registry:
    """The synthetic registry as row-aligned columns (day numbers, micro-units)."""

    subjects: list[tuple[int, str, int | None]]
    measures: list[tuple[int, str]]
    units: list[tuple[int, str]]
    observations: list[tuple[object, ...]]
    facts: list[tuple[int, str, bool, None, str]]
    attestations: list[tuple[int, str, bool, str, int, bool]]


_Lab = tuple[str, np.ndarray, np.ndarray, tuple[str, int] | None]


def _panel(rng: np.random.Generator, n: int) -> list[_Lab]:
    """(measure, value_micro, unit, reference) per lab of the panel, one entry per subject."""

    def uniform(low: float, high: float) -> np.ndarray:
        return rng.integers(int(low * 1000), int(high * 1000), n) * 1000

    def units(first: str, second: str, share: float) -> np.ndarray:
        return np.where(rng.random(n) < share, second, first)

    platelet_units = units("10*9/L", "/uL", 0.2)
    platelets = uniform(30, 400) * np.where(platelet_units == "/uL", 1000, 1)
    creatinine_units = units("mg/dL", "umol/L", 0.3)
    creatinine = uniform(0.5, 3.5)
    creatinine = np.where(creatinine_units == "umol/L", creatinine * 8842 // 100, creatinine)
    same = np.full(n, "")
    return [
        ("haematocrit", uniform(25, 50), same + "%", None),
        ("lymphocytes", uniform(0.2, 3.0), same + "10*9/L", None),
        ("platelets", platelets, platelet_units, None),
        ("creatinine", creatinine, creatinine_units, None),
        ("ast", uniform(10, 300), same + "U/L", ("uln", 40 * MICRO)),
        ("alt", uniform(10, 300), same + "U/L", ("uln", 40 * MICRO)),
        ("bilirubin", uniform(0.2, 4.0), same + "mg/dL", None),
        ("inr", uniform(0.8, 3.0), same + "{INR}", None),
        ("aptt", uniform(20, 90), same + "s", ("control", 30 * MICRO)),
    ]


def generate(n: int, seed: int = 2026) -> Registry:
    """``n`` subjects, 10 observations each, facts and attestations for some."""
    rng = np.random.default_rng(seed)
    today = AS_OF.toordinal()
    ids = np.arange(1, n + 1)
    birth = today - rng.integers(15 * 365, 85 * 365, n)
    unknown_birth = rng.random(n) < 0.02
    born = [None if gap else int(b) for b, gap in zip(birth, unknown_birth, strict=True)]
    subjects = list(zip(ids.tolist(), (f"S{i:07d}" for i in ids.tolist()), born, strict=True))
    panel_day = today - rng.integers(0, 41, n)
    panel = _panel(rng, n)
    measure_keys = {measure: key for key, (measure, *_) in enumerate(panel, start=1)}
    unit_keys: dict[str, int] = {}
    for *_, units, _ in panel:
        for unit in sorted(set(units.tolist())):
            unit_keys.setdefault(unit, len(unit_keys) + 1)
    blocks: list[list[tuple[object, ...]]] = []
    older = panel_day - rng.integers(60, 200, n)
    older_values = (rng.integers(30, 400, n) * MICRO).tolist()
    blocks.append(list(zip(
        ids.tolist(), [measure_keys["platelets"]] * n, older_values,
        [unit_keys["10*9/L"]] * n, older.tolist(), panel_day.tolist(), ["lab"] * n, [None] * n,
        [None] * n, strict=True,
    )))  # fmt: skip
    for measure, values, units, reference in panel:
        uln = reference[1] if reference and reference[0] == "uln" else None
        control = reference[1] if reference and reference[0] == "control" else None
        blocks.append(list(zip(
            ids.tolist(), [measure_keys[measure]] * n, values.tolist(),
            [unit_keys[u] for u in units.tolist()], panel_day.tolist(),
            [None] * n, ["lab"] * n, [uln] * n, [control] * n, strict=True,
        )))  # fmt: skip
    # Subject by subject, oldest first, as save_subjects writes them: a measure-major
    # heap would cost PostgreSQL a visibility-map look-up per index entry (1.09 M
    # buffer hits instead of 40 k on half the registry, measured).
    observations = list(chain.from_iterable(zip(*blocks, strict=True)))
    draw = rng.random(n)
    facts = [(int(i), "anticoagulant_therapy", bool(d < 0.1), None, "chart")
             for i, d in zip(ids, draw, strict=True) if d < 0.3]  # fmt: skip
    attestations = []
    screened = rng.random(n) < ATTESTED_SHARE
    for criterion, holds in (("I1", 0.9), ("I2", 1.0), ("E3", 0.1), ("E8", 0.02), ("E12", 0.02)):
        chosen = ids[screened & (rng.random(n) < 0.9)]
        verdicts = rng.random(chosen.size) < holds
        attestations += [(int(i), criterion, bool(v), "investigator", today, False)
                         for i, v in zip(chosen, verdicts, strict=True)]  # fmt: skip
    measure_rows = [(key, measure) for measure, key in measure_keys.items()]
    unit_rows = [(key, unit) for unit, key in unit_keys.items()]
    return Registry(subjects, measure_rows, unit_rows, observations, facts, attestations)


def _create_tables(connection: Connection) -> None:
    for table in metadata.sorted_tables:
        connection.execute(CreateTable(table))


def _create_indexes(connection: Connection) -> None:
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(connection)  # honours the index's ddl_if (one engine only)


def load_sqlite(engine: Engine, registry: Registry) -> None:
    """Executemany on the raw sqlite3 connection, then the indexes and ANALYZE."""
    with engine.begin() as connection:
        _create_tables(connection)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.executemany("INSERT INTO subjects VALUES (?, ?, ?)", registry.subjects)
        cursor.executemany("INSERT INTO measures VALUES (?, ?)", registry.measures)
        cursor.executemany("INSERT INTO units VALUES (?, ?)", registry.units)
        cursor.executemany(
            f"INSERT INTO observations ({_OBSERVATION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",  # noqa: S608 - fixed names
            registry.observations,
        )
        cursor.executemany(
            "INSERT INTO facts (subject, name, present, date, source) VALUES (?,?,?,?,?)",
            registry.facts,
        )
        cursor.executemany(
            'INSERT INTO attestations (subject, criterion, holds, "by", date, superseded) '
            "VALUES (?,?,?,?,?,?)",
            registry.attestations,
        )
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        _create_indexes(connection)
        connection.execute(text("ANALYZE"))


def _copy_text(rows: Sequence[tuple[object, ...]]) -> Iterator[bytes]:
    def field(value: object) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value)

    for start in range(0, len(rows), 200_000):
        chunk = rows[start : start + 200_000]
        lines = ("\t".join(map(field, row)) for row in chunk)
        yield ("\n".join(lines) + "\n").encode()


def load_postgresql(engine: Engine, registry: Registry) -> None:
    """COPY into the tables, then the indexes, VACUUM ANALYZE."""
    with engine.begin() as connection:
        _create_tables(connection)
    targets: tuple[tuple[str, Sequence[tuple[object, ...]]], ...] = (
        ("subjects (id, subject_id, birth_date)", registry.subjects),
        ("measures (id, name)", registry.measures),
        ("units (id, code)", registry.units),
        (f"observations ({_OBSERVATION_COLUMNS})", registry.observations),
        ("facts (subject, name, present, date, source)", registry.facts),
        ('attestations (subject, criterion, holds, "by", date, superseded)', registry.attestations),
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for target, rows in targets:
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for block in _copy_text(rows):
                    copy.write(block)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        _create_indexes(connection)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgresql_server(directory: Path) -> Iterator[Engine]:
    """A private PostgreSQL server in ``directory`` (stopped and removed at exit)."""
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=str(PG_CTL),
        host="127.0.0.1",
        port=port,
        datadir=str(directory / "data"),
        unixsocketdir=str(directory),
        logfile=str(directory / "postgresql.log"),
        startparams="-w",
        dbname="postgres",
        postgres_options=PG_SETTINGS,
    )
    executor.start()
    url = URL.create("postgresql+psycopg", username="postgres", host="127.0.0.1", port=port)
    engine = create_engine(url.set(database="postgres"), poolclass=NullPool)
    try:
        # The executor returns once the port is open, which is before the server has
        # finished starting: until then it refuses with "the database system is
        # starting up" (seen on CI). Wait for a first session, as pytest-postgresql's
        # janitor does.
        retry(lambda: engine.connect().close(), timeout=60, possible_exception=OperationalError)
        yield engine
    finally:
        engine.dispose()
        executor.stop()


_PLAN_DETAILS = ("Index Name", "Group Key", "Merge Cond", "Index Cond", "Workers Planned")


def _plan_lines(node: dict[str, Any], depth: int = 0) -> Iterator[str]:
    """One line per PostgreSQL plan node with what decides its cost, not its expressions."""
    kind = node["Node Type"]
    if kind == "Aggregate":
        kind = " ".join(filter(None, (node.get("Partial Mode"), node.get("Strategy"), kind)))
    if node.get("Parallel Aware"):
        kind = f"Parallel {kind}"
    if "Subplan Name" in node:
        kind = f"{node['Subplan Name']}: {kind}"
    if "Join Type" in node and node["Join Type"] != "Inner":
        kind = f"{kind} ({node['Join Type']})"
    if "Relation Name" in node:
        kind = f"{kind} on {node['Relation Name']}"
    details = [f"{key}: {node[key]}" for key in _PLAN_DETAILS if key in node]
    rows = f"rows={node['Plan Rows']}"
    yield "  " * depth + " ".join([kind, rows, *details])
    for child in node.get("Plans", ()):
        yield from _plan_lines(child, depth + 1)


def plan_text(engine: Engine, rules: RuleSet, subjects: int) -> str:
    """The engine's plan of one part's statement (over every subject's key range).

    SQLite: ``EXPLAIN QUERY PLAN`` as printed. PostgreSQL: ``EXPLAIN (FORMAT JSON)`` with
    the settings a part runs with, one line per node (expressions left out: they
    repeat the rules' thresholds over screens of text).
    """
    sqlite = engine.dialect.name == "sqlite"
    statement = compile_prescreen(rules, AS_OF, dialect=engine.dialect.name, ranged=True)
    compiled = statement.compile(engine)
    values = compiled.construct_params(dict(zip(KEY_RANGE, (1, subjects), strict=True)))
    order = compiled.positiontup
    params = tuple(values[k] for k in order) if order is not None else values
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (FORMAT JSON) "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name, value in ({} if sqlite else POSTGRESQL_PART_SETTINGS).items():
            cursor.execute(f"SET {name} = {value}")  # as prescreen() runs it
        cursor.execute(explain + str(compiled), params)
        rows = cursor.fetchall()
    finally:
        raw.close()
    if sqlite:
        return "\n".join(f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in rows)
    return "\n".join(_plan_lines(rows[0][0][0]["Plan"]))


def time_prescreen(engine: Engine, rules: RuleSet) -> tuple[float, PrescreenResult]:
    """Best of 3 after a warm-up, as ``trialdesk prescreen`` runs it."""
    result = prescreen_parallel(engine, rules, AS_OF)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = prescreen_parallel(engine, rules, AS_OF)
        best = min(best, time.perf_counter() - start)
    return best, result


def _floor_statement(
    rules: RuleSet, low: int, high: int, *, coded: bool
) -> Select[*tuple[Any, ...]]:
    """One part's in-window observations read and grouped by subject.

    ``coded``: with the rules' packed codes aggregated per subject (summed outside, so
    that the engine computes them), as the pre-screen groups them; else nothing computed.
    """
    grouping = next(g for g in compile_rules(rules, AS_OF).groupings if g.table is observations)
    codes = grouping.aggregates if coded else []
    grouped = (
        select(observations.c.subject, *(value.label(name) for name, value in codes))
        .where(*grouping.where, observations.c.subject.between(low, high))
        .group_by(observations.c.subject)
        .subquery()
    )
    sums = (func.sum(grouped.c[name]) for name, _ in codes)
    return select(func.count(), *sums).select_from(grouped)


def time_floor(engine: Engine, rules: RuleSet, subjects: int, *, coded: bool = False) -> float:
    """PostgreSQL's floor: :data:`PG_WORKERS` parts side by side, best of 3 after a warm-up.

    Each part reads its subjects' in-window observations from the covering index and
    groups them by subject, on a connection of its own with the settings a part of the
    pre-screen makes, but joins nothing and returns one row; ``coded``: with the
    rules' codes aggregated (:func:`_floor_statement`), else computing nothing. The
    statements are built before the clock starts: the floor is the engine's alone.
    """
    size = -(-subjects // PG_WORKERS)
    statements = [
        _floor_statement(rules, low, min(subjects, low + size - 1), coded=coded)
        for low in range(1, subjects + 1, size)
    ]

    def read(statement: Select[*tuple[Any, ...]]) -> int:
        with engine.begin() as connection:
            for name, value in POSTGRESQL_PART_SETTINGS.items():
                connection.execute(text(f"SET LOCAL {name} = {value}"))
            return int(connection.execute(statement).scalar_one())

    best = float("inf")
    with ThreadPoolExecutor(len(statements)) as pool:
        list(pool.map(read, statements))
        for _ in range(3):
            start = time.perf_counter()
            list(pool.map(read, statements))
            best = min(best, time.perf_counter() - start)
    return best


def rule_sets() -> dict[str, RuleSet]:
    """The seed's rules, and the lab subset the target is set on."""
    study = load_study(SEED_STUDY)
    rules = study.eligibility.rules
    if rules is None:
        message = f"{SEED_STUDY} has no eligibility.rules"
        raise SystemExit(message)
    labs = tuple(c for c in rules.criteria if c.id in SEED_LABS)
    return {
        "seed labs": rules.model_copy(update={"criteria": labs}),
        "seed, all 19 criteria": rules,
    }


def _run(
    name: str, engine: Engine, load: Callable[[Engine, Registry], None], registry: Registry
) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    """Load, then time each rule set: the table rows and the plans."""
    start = time.perf_counter()
    load(engine, registry)
    loaded = time.perf_counter() - start
    rows, plans = [], {}
    for label, rules in rule_sets().items():
        seconds, result = time_prescreen(engine, rules)
        counts = result.counts
        target = TARGETS[name] if label == "seed labs" else None
        verdict = (
            "-" if target is None else f"<= {target:g} " + ("ok" if seconds <= target else "MISSED")
        )
        rows.append((
            name, label, f"{loaded:.1f}", f"{seconds:.3f}", verdict,
            *(f"{counts[s]:,}" for s in Eligibility), f"{len(result.candidates):,}",
        ))  # fmt: skip
        plans[f"{name}, {label}"] = plan_text(engine, rules, len(registry.subjects))
    return rows, plans


def main() -> None:
    """Generate, load, time and print the table and the plans."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--no-plans", action="store_true", help="Print the table only, not the query plans."
    )
    options = parser.parse_args()
    console = Console(width=max(Console().width, 120))
    start = time.perf_counter()
    registry = generate(options.subjects)
    console.print(f"generated {options.subjects:,} subjects in {time.perf_counter() - start:.1f} s")
    title = (
        f"trialdesk prescreen on {AS_OF}: {len(registry.subjects):,} subjects, "
        f"{len(registry.observations):,} observations (seconds; prescreen best of 3)"
    )
    table = Table(title=title)
    for column in ("engine", "rules", "load", "prescreen", "target", "eligible",
                   "not eligible", "incomplete", "candidates"):  # fmt: skip
        table.add_column(column, justify="left" if column in {"engine", "rules"} else "right")
    plans: dict[str, str] = {}
    floors: tuple[float, float] | None = None
    engines = options.engines.split(",")
    with tempfile.TemporaryDirectory(prefix="trialdesk-bench-") as scratch:
        directory = Path(scratch)
        if "sqlite" in engines:
            engine = create_engine(f"sqlite:///{directory / 'registry.db'}", poolclass=NullPool)
            rows, found = _run("sqlite", engine, load_sqlite, registry)
            engine.dispose()
            for row in rows:
                table.add_row(*row)
            plans |= found
        if "postgresql" in engines:
            (directory / "pg").mkdir()
            with postgresql_server(directory / "pg") as engine:
                rows, found = _run("postgresql", engine, load_postgresql, registry)
                labs, count = rule_sets()["seed labs"], len(registry.subjects)
                floors = (
                    time_floor(engine, labs, count),
                    time_floor(engine, labs, count, coded=True),
                )
            for row in rows:
                table.add_row(*row)
            plans |= found
    console.print(table)
    if floors is not None:
        console.print(
            f"PostgreSQL floor: {PG_WORKERS} parts side by side reading and grouping the "
            f"in-window observations by subject, nothing computed: {floors[0]:.3f} s; "
            f"with the rules' codes aggregated (no join, no output): {floors[1]:.3f} s "
            f"(target {TARGETS['postgresql']:g} s)"
        )
    console.print(
        f"{os.cpu_count()} CPUs: both engines read in parts on as many connections and threads "
        "(PostgreSQL's parts share one snapshot, each on one core)"
    )
    if not options.no_plans:
        for name, plan in plans.items():
            console.rule(f"plan: {name}")
            console.print(plan, markup=False, highlight=False)


if __name__ == "__main__":
    main()
