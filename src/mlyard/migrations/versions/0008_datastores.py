"""datastores: registered datastores (local folders, S3 buckets, Azure blob containers)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Who registered a datastore and when it last changed; the vault secret (name and version) that
holds its credentials; and at most one default datastore per workspace, held by a partial
unique index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datastores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("secret_name", sa.String(length=127), nullable=True))
        batch_op.add_column(sa.Column("secret_version", sa.Integer(), nullable=True))
    op.create_index(
        "uq_datastores_default",
        "datastores",
        ["workspace_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("uq_datastores_default", table_name="datastores")
    with op.batch_alter_table("datastores", schema=None) as batch_op:
        batch_op.drop_column("secret_version")
        batch_op.drop_column("secret_name")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_by")
