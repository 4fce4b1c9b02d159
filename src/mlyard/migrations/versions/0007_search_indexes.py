"""run search: latest metric values indexed by (key, value, run_id)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

A search such as ``metrics.accuracy > 0.9`` ordered by ``metrics.accuracy DESC`` can then walk
this index in value order and stop after one page, instead of visiting every run of the
workspace. Tags and params get no value index: their values are free text up to thousands of
characters, beyond what a PostgreSQL btree entry holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_latest_metrics_key_value_run_id", "latest_metrics", ["key", "value", "run_id"])


def downgrade() -> None:
    op.drop_index("ix_latest_metrics_key_value_run_id", table_name="latest_metrics")
