"""Open a trial database: SQLite (the embedded default) or PostgreSQL, set up for safe writes.

SQLite runs with WAL, foreign keys on and a busy timeout, and every transaction
begins ``IMMEDIATE``: it takes the write lock at the start, so two writers are
serialised instead of one failing half-way. ``synchronous=NORMAL`` is SQLite's
recommended setting under WAL: a transaction is atomic and survives the process
being killed, but a power loss or OS crash may lose the last commits (never
half of one); run PostgreSQL where that matters. On PostgreSQL every writer takes the
audit trail's table lock first (:func:`trialdesk.store.audit.lock_audit_trail`), so the
hash chain has one writer at a time, whatever trial or account it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_URL", "engine_for", "open_engine"]

#: The embedded default database.
DEFAULT_URL = "sqlite:///trial.db"
_BUSY_TIMEOUT_MS = 30_000


def open_engine(url: str = DEFAULT_URL) -> Engine:
    """An engine for ``url``; a bare ``postgresql://`` URL uses psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed)
    engine = create_engine(parsed, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


@contextmanager
def engine_for(url: str = DEFAULT_URL) -> Iterator[Engine]:
    """:func:`open_engine` for one command: the engine is disposed when the block ends."""
    engine = open_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401 - DB-API
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:  # noqa: ANN401 - SQLAlchemy event signature
    connection.exec_driver_sql("BEGIN IMMEDIATE")
