"""The trial tables: trials, users, the event log and the hash-chained audit trail.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trialdesk.store.trial_schema import append_only_statements

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)
_TABLES = ("trials", "users", "trial_events", "audit_entries")  # this revision's, frozen


def upgrade() -> None:
    """Create the four tables and make each append-only."""
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nct_id", sa.String(32), nullable=False),
        sa.Column("study_yaml", sa.Text, nullable=False),
        sa.Column("study_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.UniqueConstraint("nct_id", name="uq_trials_nct_id"),
        sa.PrimaryKeyConstraint("id", name="pk_trials"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.UniqueConstraint("user_id", name="uq_users_user_id"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "trial_events",
        sa.Column("seq", sa.Integer, autoincrement=True),
        sa.Column("trial_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("recorded_at", _UTC, nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"], ["trials.id"], name="fk_trial_events_trial_id_trials"
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_trial_events_actor_id_users"),
        sa.PrimaryKeyConstraint("seq", name="pk_trial_events"),
    )
    op.create_index("ix_trial_events_trial_id", "trial_events", ["trial_id"])
    op.create_index("ix_trial_events_subject_id", "trial_events", ["subject_id"])
    text = sa.Text
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer, autoincrement=True),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor_user_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("old_value", text, nullable=True),
        sa.Column("new_value", text, nullable=True),
        sa.Column("reason", text, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("record_table", sa.String(64), nullable=False),
        sa.Column("record_key", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("entry_hash", name="uq_audit_entries_entry_hash"),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    dialect = op.get_bind().dialect.name
    for table in _TABLES:
        for statement in append_only_statements(table, dialect):
            op.execute(sa.text(statement))


def downgrade() -> None:
    """Refused: the audit trail is never dropped."""
    msg = "the trial database is never downgraded (it would drop the audit trail)"
    raise NotImplementedError(msg)
