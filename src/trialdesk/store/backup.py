"""Back up and restore a trial database: SQLite's online backup, or pg_dump / pg_restore.

A backup is a whole copy taken while the database stays in use (SQLite's backup API
copies a consistent snapshot; ``pg_dump`` runs in one snapshot transaction). A
restore refuses to overwrite: the target SQLite file must not exist, the target
PostgreSQL database must be empty. After a restore, verify the audit chain
(:func:`trialdesk.store.audit.verify_audit`): the copy carries every hash.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import URL, inspect
from sqlalchemy.engine import make_url

from trialdesk.errors import OutputExistsError, TrialdeskError
from trialdesk.store.engine import open_engine

__all__ = ["backup_database", "restore_database"]


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise TrialdeskError(f"{url}: an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(url: URL) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it: no SQLAlchemy driver suffix."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise TrialdeskError(f"{name} is not installed (Debian package postgresql-client)")
    return found


def backup_database(database_url: str, target: Path) -> None:
    """Copy the database at ``database_url`` into the new file ``target``."""
    if target.exists():
        raise OutputExistsError(f"{target} exists; a backup never overwrites")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    arguments = [_tool("pg_dump"), "--format=custom", f"--file={target}", _libpq_url(url)]
    subprocess.run(arguments, check=True, capture_output=True)  # noqa: S603 - fixed tool, no shell


def restore_database(backup: Path, database_url: str) -> None:
    """Restore ``backup`` into a new SQLite file, or into an empty PostgreSQL database."""
    if not backup.is_file():
        raise TrialdeskError(f"{backup}: no such backup file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path.exists():
            raise OutputExistsError(f"{path} exists; a restore never overwrites a database")
        shutil.copyfile(backup, path)
        return
    engine = open_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise OutputExistsError(f"{url.database} is not empty; a restore never overwrites")
    arguments = [_tool("pg_restore"), "--no-owner", f"--dbname={_libpq_url(url)}", str(backup)]
    subprocess.run(arguments, check=True, capture_output=True)  # noqa: S603 - fixed tool, no shell
