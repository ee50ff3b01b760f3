"""The trial's case report forms (append-only, like every trial table).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trialdesk.store.trial_schema import append_only_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``trial_forms`` and make it append-only."""
    op.create_table(
        "trial_forms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trial_id", sa.Integer, nullable=False),
        sa.Column("forms_yaml", sa.Text, nullable=False),
        sa.Column("forms_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"], name="fk_trial_forms_trial_id_trials"),
        sa.PrimaryKeyConstraint("id", name="pk_trial_forms"),
    )
    op.create_index("ix_trial_forms_trial_id", "trial_forms", ["trial_id"])
    for statement in append_only_statements("trial_forms", op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade() -> None:
    """Refused: the trial database is never downgraded."""
    msg = "the trial database is never downgraded (it would drop recorded data)"
    raise NotImplementedError(msg)
