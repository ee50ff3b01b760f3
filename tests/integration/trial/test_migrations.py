"""The Alembic migrations build exactly the schema the tables declare, on both engines."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from trialdesk.errors import NotFoundError
from trialdesk.service import Actor, audit_verify, init_trial, trial_state
from trialdesk.store.migrate import current_revision, head_revision, upgrade
from trialdesk.store.trial_schema import Base


def test_migrations_reach_head_and_match_the_declared_tables(trial_engine: Engine) -> None:
    assert current_revision(trial_engine) is None
    upgrade(trial_engine)
    assert current_revision(trial_engine) == head_revision() == "0003"
    with trial_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(trial_engine: Engine) -> None:
    upgrade(trial_engine)
    upgrade(trial_engine)
    assert current_revision(trial_engine) == "0003"


def test_a_database_of_an_earlier_revision_is_migrated_on_first_use(trial_engine: Engine) -> None:
    study = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
    config = Config()
    config.set_main_option("script_location", str(files("trialdesk.store") / "migrations"))
    with trial_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    assert current_revision(trial_engine) == "0002"
    with pytest.raises(NotFoundError, match="no trial"):
        trial_state(trial_engine, "NCT07329959")  # no trial yet, but the schema is now current
    assert current_revision(trial_engine) == head_revision()
    init_trial(trial_engine, study.read_text("utf-8"), Actor("pi1", "Dr Wang", "admin", "H"))
    assert audit_verify(trial_engine).verified
