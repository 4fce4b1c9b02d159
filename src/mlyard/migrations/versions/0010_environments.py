"""environments: the environment registry (versions, specifications, build cache)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

One row per registered version of an environment: its specification and variables as JSON,
and the hash of both, by which registering the same definition again finds its version. Builds
are folders on the server's host, keyed by the specification's hash, not rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "environments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("environment_variables", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_environments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environments")),
        sa.UniqueConstraint(
            "workspace_id", "name_key", "version", name=op.f("uq_environments_workspace_id_name_key_version")
        ),
    )
    op.create_index(op.f("ix_environments_workspace_id"), "environments", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_environments_workspace_id"), table_name="environments")
    op.drop_table("environments")
