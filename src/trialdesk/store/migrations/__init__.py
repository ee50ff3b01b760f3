"""Alembic migrations of the trial database (run by :func:`trialdesk.store.migrate.upgrade`)."""
