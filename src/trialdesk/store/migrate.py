"""Bring a trial database to the newest schema with Alembic, on SQLite and PostgreSQL.

The migrations live in the package (``store/migrations``), so they ship with
trialdesk and run without an ``alembic.ini``; each runs in one transaction.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = ["HEAD", "current_revision", "upgrade"]

HEAD = "0003"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("trialdesk.store") / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration the database has not had yet."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(_config()).get_current_head()
