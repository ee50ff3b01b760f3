"""Alembic's environment: run the migrations on the connection the caller passes in."""

from __future__ import annotations

from alembic import context

from trialdesk.store.trial_schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
