"""Real databases for the integration tier: SQLite in memory, and PostgreSQL.

Each pytest-xdist worker starts its own PostgreSQL server (pytest-postgresql's
executor, through ``scripts/pg_ctl_wrapper``, which runs ``pg_ctl`` as ``postgres``
when the suite runs as root) with one database. A test asks :func:`database` for a
:class:`Database` and opens :meth:`Database.fresh` connections: an empty schema in a
transaction that is rolled back (PostgreSQL) or a new in-memory database (SQLite).
Engines use ``NullPool`` and are disposed, so no connection outlives its test.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import port_for
import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

from pg_databases import postgresql_database
from trialdesk.store.prescreen_schema import metadata

PG_CTL_WRAPPER = Path(__file__).resolve().parents[2] / "scripts" / "pg_ctl_wrapper"
DATABASE_NAME = "trialdesk_tests"


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgreSQLExecutor]:
    """A throwaway server in a directory of its own, outside pytest's temporary tree.

    pytest removes all but its three latest temporary trees when a session starts, so
    another pytest run on the same machine could delete a running server's data.
    """
    with tempfile.TemporaryDirectory(prefix="trialdesk-pg-") as scratch:
        directory = Path(scratch)
        executor = PostgreSQLExecutor(
            executable=str(PG_CTL_WRAPPER),
            host="127.0.0.1",
            port=port_for.select_random(),
            datadir=str(directory / "data"),
            unixsocketdir=str(directory),
            logfile=str(directory / "postgresql.log"),
            startparams="-w",
            dbname=DATABASE_NAME,
        )
        executor.start()
        try:
            yield executor
        finally:
            executor.stop()


@pytest.fixture(scope="session")
def postgresql_engine(postgresql_server: PostgreSQLExecutor) -> Iterator[Engine]:
    with postgresql_database(postgresql_server, DATABASE_NAME) as engine:
        yield engine


@dataclass(frozen=True)
class Database:
    """One engine kind; :meth:`fresh` gives a connection to an empty pre-screen schema."""

    name: str
    engine: Engine | None

    @contextlib.contextmanager
    def fresh(self) -> Iterator[Connection]:
        if self.engine is None:
            engine = create_engine("sqlite://", poolclass=NullPool)
            try:
                with engine.begin() as connection:
                    metadata.create_all(connection)
                    yield connection
            finally:
                engine.dispose()
            return
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                metadata.create_all(connection)
                yield connection
            finally:
                transaction.rollback()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    if request.param == "sqlite":
        return Database("sqlite", None)
    return Database("postgresql", request.getfixturevalue("postgresql_engine"))
