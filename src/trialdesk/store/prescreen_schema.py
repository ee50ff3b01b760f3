"""The pre-screen database: subjects, dated observations, facts, attestations.

Values are stored as exact integers, never floats: ``value_micro`` is the value
times 10⁶ (``BIGINT``), so a value may have at most 6 decimals and at most
:data:`MAX_ABS_VALUE` in magnitude; :func:`save_subjects` refuses anything else by
name. Those bounds are what keeps every comparison the compiled pre-screen makes
inside ``BIGINT`` (:mod:`trialdesk.store.prescreen_exact`). Dates are stored as
their proleptic Gregorian day number (``date.toordinal()``), so windows and
intervals are integer arithmetic on every engine.

Two columns are derived at load, and make "the latest value on the as-of date"
a property of one row instead of an arg-max over many:

- ``observations.superseded_on``: the date of the next observation of the same
  subject and measure, in (date, order given) order, or ``NULL`` for the last one.
  The row is the latest on date *D* exactly when ``date <= D`` and
  (``superseded_on`` is ``NULL`` or ``superseded_on > D``); a later value on the same
  date supersedes it on that date already, as the evaluator's "ties: the one listed
  last" says.
- ``attestations.superseded``: a later attestation of the same criterion exists
  (the evaluator reads the last one).

Measure names and unit codes are stored once each, in ``measures`` and ``units``, and
observations refer to them by integer key: the pre-screen tests every current row's
measure and unit, and integers are narrower in the index and cheaper to compare than
text (1.26 s against 1.83 s for PostgreSQL to group 10⁷ rows on one core, measured).
Both lists only grow.

A subject is saved once, with everything known about it; the ``id`` columns keep
the order of its lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import islice, pairwise
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import TypeDecorator

from trialdesk.eligibility.subject import Attestation, FactRecord, Observation, SubjectData
from trialdesk.errors import InputError, TrialdeskError

__all__ = [
    "MAX_ABS_VALUE",
    "MICRO",
    "Day",
    "PrescreenInputError",
    "RegistrySchemaError",
    "attestations",
    "check_registry",
    "facts",
    "load_subject",
    "measures",
    "metadata",
    "observations",
    "save_subjects",
    "subjects",
    "to_micro",
    "units",
]

#: Values are stored as ``value x MICRO``: six decimals, exactly.
MICRO = 10**6
#: The largest magnitude a stored value (or reference limit) may have: 10¹², so
#: ``|value_micro| <= 10¹⁸`` and a difference of two stays below 2⁶³.
MAX_ABS_VALUE = 10**12


class PrescreenInputError(InputError):
    """A subject or a rule the pre-screen cannot store or compile exactly.

    Names the argument (``S12.observations[3].value``), the value and what was expected.
    """


class RegistrySchemaError(TrialdeskError):
    """A database without a table or column the pre-screen reads; names each one."""


class Day(TypeDecorator[dt.date]):
    """A date stored as its day number (``date.toordinal()``), read back as a date."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: dt.date | None, dialect: object) -> int | None:  # noqa: ARG002 - SQLAlchemy's signature
        """The day number of ``value``."""
        return None if value is None else value.toordinal()

    def process_result_value(self, value: int | None, dialect: object) -> dt.date | None:  # noqa: ARG002 - SQLAlchemy's signature
        """The date of day number ``value``."""
        return None if value is None else dt.date.fromordinal(value)


metadata = MetaData()
# SQLite makes only ``INTEGER PRIMARY KEY`` the row id (and autoincrementing).
_Id = BigInteger().with_variant(Integer(), "sqlite")


def _subject_fk() -> Column[int]:
    return Column("subject", Integer, ForeignKey("subjects.id"), nullable=False)


subjects = Table(
    "subjects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject_id", String(200), nullable=False, unique=True),
    Column("birth_date", Day, nullable=True),
)

measures = Table(
    "measures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
)

units = Table(
    "units",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(50), nullable=False, unique=True),
)

observations = Table(
    "observations",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    _subject_fk(),
    Column("measure_id", Integer, ForeignKey("measures.id"), nullable=False),
    Column("value_micro", BigInteger, nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=True),
    Column("date", Day, nullable=False),
    Column("superseded_on", Day, nullable=True),
    Column("source", String(200), nullable=False),
    Column("lln_micro", BigInteger, nullable=True),
    Column("uln_micro", BigInteger, nullable=True),
    Column("control_micro", BigInteger, nullable=True),
)

facts = Table(
    "facts",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    _subject_fk(),
    Column("name", String(100), nullable=False),
    Column("present", Boolean, nullable=False),
    Column("date", Day, nullable=True),
    Column("source", String(200), nullable=False),
)

attestations = Table(
    "attestations",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    _subject_fk(),
    Column("criterion", String(50), nullable=False),
    Column("holds", Boolean, nullable=False),
    Column("by", String(200), nullable=False),
    Column("date", Day, nullable=False),
    Column("superseded", Boolean, nullable=False),
)

# The pre-screen groups each table by subject and merges the groupings with
# ``subjects`` in id order. Each index holds every column the query reads, in
# subject order, so the grouping streams from the index without a sort and never
# touches the table (an index-only scan). SQLite has no INCLUDE, so its index carries
# the columns in its key, and also serves the decline's baseline look-up (subject,
# measure, date range; the row id is in every SQLite index). On PostgreSQL that
# look-up has an index of its own, which keeps the main one narrow: the columns
# read most come first, as a row is decoded up to the last column read.
_READ = ("superseded_on", "unit_id", "value_micro", "uln_micro", "control_micro", "lln_micro")
Index(
    "ix_observations_prescreen",
    *(observations.c[name] for name in ("subject", "measure_id", "date", *_READ)),
).ddl_if(dialect="sqlite")
Index(
    "ix_observations_prescreen_include",
    observations.c.subject,
    observations.c.date,
    postgresql_include=["measure_id", *_READ],
).ddl_if(dialect="postgresql")
Index(
    "ix_observations_baseline",
    observations.c.subject,
    observations.c.measure_id,
    observations.c.date,
    observations.c.id,
    postgresql_include=["unit_id", "value_micro"],
).ddl_if(dialect="postgresql")
Index(
    "ix_facts_prescreen",
    facts.c.subject,
    facts.c.name,
    facts.c.date,
    facts.c.present,
)
Index(
    "ix_attestations_prescreen",
    attestations.c.subject,
    attestations.c.superseded,
    attestations.c.criterion,
    attestations.c.holds,
)


def check_registry(connection: Connection) -> None:
    """Refuse a database that lacks a table or column of :data:`metadata`, naming them.

    A registry written by an earlier revision (measure and unit as text on each
    observation) or another application's database fails here with what is missing,
    instead of on the first statement that reads it.

    Raises:
        RegistrySchemaError: a table or column is missing.
    """
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    missing: list[str] = []
    for table in metadata.sorted_tables:
        if table.name not in tables:
            missing.append(table.name)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    if missing:
        raise RegistrySchemaError(
            "not a pre-screen registry of this trialdesk (see trialdesk.store.prescreen_schema;"
            f" a registry saved before measures and units were keyed needs saving again): "
            f"missing {', '.join(sorted(missing))}"
        )


def to_micro(value: Decimal, argument: str) -> int:
    """``value x 10⁶`` exactly, or :class:`PrescreenInputError` naming ``argument``."""
    if not value.is_finite():
        raise PrescreenInputError(argument, value, "a finite number")
    micro = Fraction(value) * MICRO
    if micro.denominator != 1:
        raise PrescreenInputError(argument, value, "a number with at most 6 decimals")
    if abs(value) > MAX_ABS_VALUE:
        raise PrescreenInputError(argument, value, f"a magnitude of at most {MAX_ABS_VALUE:.0e}")
    return int(micro)


def _optional_micro(value: Decimal | None, argument: str) -> int | None:
    return None if value is None else to_micro(value, argument)


def _unit(unit: str | None, argument: str) -> str | None:
    if unit is not None and unit != unit.strip():
        raise PrescreenInputError(argument, unit, "a unit code without surrounding spaces")
    return unit


def _observation_rows(subject: SubjectData) -> list[dict[str, Any]]:
    """The rows of ``subject``'s observations, with ``measure`` and ``unit`` as text."""
    rows: list[dict[str, Any]] = []
    for index, observation in enumerate(subject.observations):
        where = f"{subject.subject_id}.observations[{index}]"
        rows.append(
            {
                "measure": observation.measure,
                "value_micro": to_micro(observation.value, f"{where}.value"),
                "unit": _unit(observation.unit, f"{where}.unit"),
                "date": observation.date,
                "superseded_on": None,
                "source": observation.source,
                "lln_micro": _optional_micro(observation.lln, f"{where}.lln"),
                "uln_micro": _optional_micro(observation.uln, f"{where}.uln"),
                "control_micro": _optional_micro(observation.control, f"{where}.control"),
            }
        )
    # Each value holds until the next of its measure (by date, then list order).
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["measure"], rows[i]["date"], i))
    for this, following in pairwise(order):
        if rows[this]["measure"] == rows[following]["measure"]:
            rows[this]["superseded_on"] = rows[following]["date"]
    return rows


def _fact_rows(subject: SubjectData) -> list[dict[str, Any]]:
    return [
        {"name": f.name, "present": f.present, "date": f.date, "source": f.source}
        for f in subject.facts
    ]


def _attestation_rows(subject: SubjectData) -> list[dict[str, Any]]:
    last = {a.criterion: index for index, a in enumerate(subject.attestations)}
    return [
        {
            "criterion": a.criterion,
            "holds": a.holds,
            "by": a.by,
            "date": a.date,
            "superseded": last[a.criterion] != index,
        }
        for index, a in enumerate(subject.attestations)
    ]


def _chunks(items: Iterable[SubjectData], size: int) -> Iterator[list[SubjectData]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _keys(connection: Connection, column: Column[str], texts: set[str]) -> dict[str, int]:
    """The key of each of ``texts`` in ``column``'s table (measures, units), added if new.

    An insert that finds the text already there (another writer added it first) adds
    nothing; the keys are read afterwards.
    """
    table, ordered = column.table, sorted(texts)
    found = select(column, table.c.id).where(column.in_(ordered))
    known: dict[str, int] = dict(connection.execute(found).all())
    new = [text for text in ordered if text not in known]
    if new:
        builder = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = builder(table).on_conflict_do_nothing()
        connection.execute(statement, [{column.name: text} for text in new])
        added = select(column, table.c.id).where(column.in_(new))
        known |= dict(connection.execute(added).all())
    return known


def _to_keys(connection: Connection, chunk: Sequence[list[dict[str, Any]]]) -> None:
    """Each observation row's ``measure`` and ``unit`` text replaced by its key."""
    rows = [row for rows_of in chunk for row in rows_of]
    names = _keys(connection, measures.c.name, {row["measure"] for row in rows})
    codes = _keys(connection, units.c.code, {row["unit"] for row in rows} - {None})
    for row in rows:
        row["measure_id"] = names[row.pop("measure")]
        unit = row.pop("unit")
        row["unit_id"] = None if unit is None else codes[unit]


def save_subjects(
    connection: Connection, data: Iterable[SubjectData], *, chunk_size: int = 2000
) -> int:
    """Insert ``data`` (new subjects with all they have) in bulk; return how many.

    Every value is checked first (:func:`to_micro`): a chunk with a value that cannot
    be stored exactly is refused whole with :class:`PrescreenInputError`, before any of
    it is written. Runs in the caller's transaction; a ``subject_id`` already stored
    fails on the unique constraint.
    """
    count = 0
    for chunk in _chunks(data, chunk_size):
        children = [(_observation_rows(s), _fact_rows(s), _attestation_rows(s)) for s in chunk]
        _to_keys(connection, [rows for rows, _, _ in children])
        heads = [{"subject_id": s.subject_id, "birth_date": s.birth_date} for s in chunk]
        statement = insert(subjects).returning(subjects.c.id, sort_by_parameter_order=True)
        ids = connection.execute(statement, heads).scalars().all()
        for table, position in ((observations, 0), (facts, 1), (attestations, 2)):
            rows = [
                row | {"subject": key}
                for key, rows_of in zip(ids, children, strict=True)
                for row in rows_of[position]
            ]
            if rows:
                connection.execute(insert(table), rows)
        count += len(chunk)
    return count


def load_subject(
    connection: Connection, subject_id: str, screening_date: dt.date
) -> SubjectData | None:
    """The subject ``subject_id`` as stored (lists in their saved order), or ``None``."""
    head = connection.execute(
        select(subjects.c.id, subjects.c.birth_date).where(subjects.c.subject_id == subject_id)
    ).one_or_none()
    if head is None:
        return None
    key, birth_date = head
    return SubjectData(
        subject_id=subject_id,
        screening_date=screening_date,
        birth_date=birth_date,
        observations=tuple(_load_observations(connection, key)),
        facts=tuple(
            FactRecord(name=r.name, present=r.present, date=r.date, source=r.source)
            for r in _rows(connection, facts, key)
        ),
        attestations=tuple(
            Attestation(criterion=r.criterion, holds=r.holds, by=r.by, date=r.date)
            for r in _rows(connection, attestations, key)
        ),
    )


def _rows(connection: Connection, table: Table, key: int) -> Sequence[Any]:
    query = select(table).where(table.c.subject == key).order_by(table.c.id)
    return connection.execute(query).all()


def _from_micro(micro: int | None) -> Decimal | None:
    return None if micro is None else Decimal(micro).scaleb(-6)


def _load_observations(connection: Connection, key: int) -> Iterator[Observation]:
    query = (
        select(observations, measures.c.name, units.c.code)
        .join(measures, measures.c.id == observations.c.measure_id)
        .outerjoin(units, units.c.id == observations.c.unit_id)
        .where(observations.c.subject == key)
        .order_by(observations.c.id)
    )
    for row in connection.execute(query):
        value = _from_micro(row.value_micro)
        assert value is not None  # noqa: S101 - the column is NOT NULL
        yield Observation(
            measure=row.name,
            value=value,
            unit=row.code,
            date=row.date,
            source=row.source,
            lln=_from_micro(row.lln_micro),
            uln=_from_micro(row.uln_micro),
            control=_from_micro(row.control_micro),
        )
