"""the secrets vault: per-workspace data keys and versioned secrets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Frozen here as they were at this revision: later model changes need their own revision.
    op.create_table(
        "vault_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vault_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vault_id"],
            ["supporting_resources.id"],
            name=op.f("fk_vault_keys_vault_id_supporting_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_keys")),
        sa.UniqueConstraint("vault_id", "key_version", name=op.f("uq_vault_keys_vault_id_key_version")),
    )
    op.create_table(
        "vault_secrets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vault_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=127), nullable=False),
        sa.Column("name_key", sa.String(length=127), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vault_id"],
            ["supporting_resources.id"],
            name=op.f("fk_vault_secrets_vault_id_supporting_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_secrets")),
        sa.UniqueConstraint("vault_id", "name_key", "version", name=op.f("uq_vault_secrets_vault_id_name_key_version")),
    )


def downgrade() -> None:
    op.drop_table("vault_secrets")
    op.drop_table("vault_keys")
