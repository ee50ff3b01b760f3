"""Role grants (append-only), and an audit entry for every account made before they were audited.

Revision ID: 0003
Revises: 0002

Until this revision an account was created on first use without an audit entry. Each
such account gets its "user.create" entry here, stamped with the migration's time and
saying so in its reason, so that ``trialdesk audit verify`` (which now rehashes the
``users`` rows) checks them from now on instead of naming them as written outside
trialdesk.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from trialdesk.store.audit import AuditEntry, canonical, hash_record, user_record, write_audit
from trialdesk.store.trial_schema import append_only_statements

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BACKFILL_REASON = "recorded by migration 0003: the account was created before creation was audited"


def upgrade() -> None:
    """Create ``user_grants``, make it append-only, and audit the accounts made so far."""
    op.create_table(
        "user_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_row_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_row_id"], ["users.id"], name="fk_user_grants_user_row_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_grants"),
    )
    op.create_index("ix_user_grants_user_row_id", "user_grants", ["user_row_id"])
    connection = op.get_bind()
    for statement in append_only_statements("user_grants", connection.dialect.name):
        op.execute(sa.text(statement))
    _audit_existing_accounts(connection)


def _audit_existing_accounts(connection: sa.Connection) -> None:
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.String),
        sa.column("name", sa.String),
        sa.column("role", sa.String),
        sa.column("site", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    for row in connection.execute(sa.select(users).order_by(users.c.id)).mappings():
        key = str(row["id"])
        write_audit(
            connection,
            AuditEntry(
                at=now,
                actor_user_id=row["user_id"],
                actor_name=row["name"],
                action="user.create",
                entity=f"user/{row['user_id']}",
                field="account",
                old_value=None,
                new_value=canonical(
                    {"name": row["name"], "role": row["role"], "site": row["site"]}
                ),
                reason=_BACKFILL_REASON,
                source="system",
                record_table="users",
                record_key=key,
                record_hash=hash_record("users", key, user_record(row)),
            ),
        )


def downgrade() -> None:
    """Refused: the trial database is never downgraded."""
    msg = "the trial database is never downgraded (it would drop recorded data)"
    raise NotImplementedError(msg)
