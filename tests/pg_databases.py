"""A PostgreSQL database of its own on a test server, for fixtures that need one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.pool import NullPool


@contextlib.contextmanager
def postgresql_database(server: PostgreSQLExecutor, name: str) -> Iterator[Engine]:
    """A database ``name`` created on ``server`` for the caller, and dropped after."""
    janitor = DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        dbname=name,
        password=server.password,
    )
    with janitor:
        url = URL.create(
            "postgresql+psycopg",
            username=server.user,
            password=server.password,
            host=server.host,
            port=server.port,
            database=name,
        )
        engine = create_engine(url, poolclass=NullPool)
        try:
            yield engine
        finally:
            engine.dispose()
