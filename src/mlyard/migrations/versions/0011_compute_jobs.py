"""compute targets and jobs: targets, the job queue, run-scoped tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27

Compute targets per workspace; a job per submitted run (its queue place, claim, process
handle and the timestamps of its transitions); the live log of running jobs; and a scope on
access tokens, so that a job's token works only inside its run's workspace.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compute_targets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("compute_type", sa.String(length=32), nullable=False),
        sa.Column("provisioning_state", sa.String(length=32), nullable=False),
        sa.Column("provisioning_error", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("vm_size", sa.String(length=64), nullable=True),
        sa.Column("max_concurrent_runs", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_compute_targets_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compute_targets")),
        sa.UniqueConstraint("workspace_id", "name_key", name=op.f("uq_compute_targets_workspace_id_name_key")),
    )
    with op.batch_alter_table("compute_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compute_targets_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("experiment_name", sa.String(length=255), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=True),
        sa.Column("target_name", sa.String(length=64), nullable=False),
        sa.Column("compute_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("snapshot_id", sa.String(length=36), nullable=False),
        sa.Column("script", sa.String(length=1024), nullable=True),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("output_folders", sa.JSON(), nullable=False),
        sa.Column("environment", sa.String(length=255), nullable=True),
        sa.Column("max_run_duration_seconds", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("handle", sa.JSON(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_by_type", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=True),
        sa.Column("output_offset", sa.BigInteger(), nullable=False),
        sa.Column("log_size", sa.BigInteger(), nullable=False),
        sa.Column("log_sealed", sa.Boolean(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preparing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalizing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_jobs_run_id_runs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["compute_targets.id"],
            name=op.f("fk_jobs_target_id_compute_targets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_jobs_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_jobs_status_target_id_queued_at", ["status", "target_id", "queued_at"], unique=False)

    op.create_table(
        "job_log_chunks",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["jobs.run_id"], name=op.f("fk_job_log_chunks_run_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "start", name=op.f("pk_job_log_chunks")),
    )

    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_column("scope")
    op.drop_table("job_log_chunks")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_target_id_queued_at")
        batch_op.drop_index(batch_op.f("ix_jobs_workspace_id"))
    op.drop_table("jobs")
    with op.batch_alter_table("compute_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compute_targets_workspace_id"))
    op.drop_table("compute_targets")
