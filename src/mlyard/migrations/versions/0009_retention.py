"""retention: deleted runs indexed by (deleted_at, id), for garbage collection

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

``mlyard gc`` pages through the runs deleted before a cutoff in (deleted_at, id) order; this
index lets each page start where the last ended instead of reading every run. It is partial
(``deleted_at IS NOT NULL``): most runs are never deleted, and need no entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    deleted = sa.text("deleted_at IS NOT NULL")
    op.create_index(
        "ix_runs_deleted_at_id", "runs", ["deleted_at", "id"], postgresql_where=deleted, sqlite_where=deleted
    )


def downgrade() -> None:
    op.drop_index("ix_runs_deleted_at_id", table_name="runs")
