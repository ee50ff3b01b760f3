"""Times stored in UTC with their offset, on every engine (PART11 A6).

PostgreSQL's ``timestamptz`` keeps the instant; SQLite has no time type, and
SQLAlchemy's ``DateTime`` writes naive text there ("2026-11-25 02:35:09"). This type
writes ISO 8601 text with ``+00:00`` on SQLite, refuses a naive time on every engine
(a time without a zone cannot be placed on the audit clock), and reads every value
back as an aware UTC datetime. A naive value read from a row written before this type
existed was written as UTC by the server clock, and is read as such.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["UtcDateTime", "utc_now"]


def utc_now() -> dt.datetime:
    """The server's clock, in UTC (the only clock an audit time comes from)."""
    return dt.datetime.now(dt.UTC)


class _SqliteIsoText(sqlite.DATETIME):
    """SQLite's DATETIME column, its value passed through as the ISO text made below."""

    def __init__(self, **kw: object) -> None:  # SQLAlchemy's adapt() passes its options
        super().__init__(**kw)  # type: ignore[no-untyped-call]  # an untyped __init__

    def bind_processor(self, dialect: Dialect) -> None:  # noqa: ARG002 - the override's signature
        """No conversion: :class:`UtcDateTime` already wrote the text."""
        return

    def result_processor(self, dialect: Dialect, coltype: object) -> None:  # noqa: ARG002
        """No conversion: :class:`UtcDateTime` parses the text."""
        return


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime: ISO text with offset on SQLite, timestamptz elsewhere."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """ISO text on SQLite (so the offset is kept), the timezone-aware type elsewhere.

        The SQLite column stays a DATETIME column (the migrations made it so); only the
        conversion of its values changes.
        """
        if dialect.name == "sqlite":
            return _SqliteIsoText()
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> object:
        """UTC with offset; a naive time is refused, never guessed."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            msg = f"a stored time needs its zone (PART11 A6); got the naive {value.isoformat()}"
            raise ValueError(msg)
        utc = value.astimezone(dt.UTC)
        return utc.isoformat(timespec="microseconds") if dialect.name == "sqlite" else utc

    def process_result_value(self, value: object, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002 - the TypeDecorator signature
        """An aware UTC datetime, whatever the driver returned."""
        if value is None:
            return None
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(parsed, dt.datetime):
            msg = f"not a stored time: {value!r}"
            raise TypeError(msg)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
