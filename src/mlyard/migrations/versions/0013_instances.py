"""compute instances: a session per start, closed by its stop, for usage and cost

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28

One row per stretch of time a compute instance ran: its name, size and price as they were
then, when it started and stopped, and why it stopped (user, idle, schedule, ...). Rows outlive
their instance (no foreign key to compute_targets) so that a deleted instance's hours count.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("target_name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("vm_size", sa.String(length=64), nullable=False),
        sa.Column("cores", sa.Integer(), nullable=False),
        sa.Column("price_per_hour", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("pending_stop_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_instance_sessions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_sessions")),
    )
    with op.batch_alter_table("instance_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instance_sessions_target_id"), ["target_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_instance_sessions_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instance_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instance_sessions_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_instance_sessions_target_id"))
    op.drop_table("instance_sessions")
