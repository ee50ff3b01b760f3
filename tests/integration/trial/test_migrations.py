"""The Alembic migrations build exactly the schema the tables declare, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from trialdesk.store.migrate import current_revision, head_revision, upgrade
from trialdesk.store.trial_schema import Base


def test_migrations_reach_head_and_match_the_declared_tables(trial_engine: Engine) -> None:
    assert current_revision(trial_engine) is None
    upgrade(trial_engine)
    assert current_revision(trial_engine) == head_revision() == "0002"
    with trial_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(trial_engine: Engine) -> None:
    upgrade(trial_engine)
    upgrade(trial_engine)
    assert current_revision(trial_engine) == "0002"
