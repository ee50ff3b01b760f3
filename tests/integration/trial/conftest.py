"""A fresh trial database per test, on SQLite (a file) and on PostgreSQL (its own database).

The PostgreSQL server is the integration tier's (``postgresql_server`` in
``tests/integration/conftest.py``, one per pytest-xdist worker); each test gets a
database of its own on it. Without a PostgreSQL server the tests fail, they are
never skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import URL, Engine

from trialdesk.store.engine import open_engine

_NAMES = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def trial_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'trial.db'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    server: PostgreSQLExecutor = request.getfixturevalue("postgresql_server")
    name = f"trial_{next(_NAMES)}"
    janitor = DatabaseJanitor(
        user=server.user, host=server.host, port=server.port, dbname=name, password=server.password
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
        engine = open_engine(url.render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
