"""Tables and repository for datasets, their immutable versions, and the runs that read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.datasets import (
    Column,
    Dataset,
    DatasetType,
    DatasetVersion,
    InputMode,
    PinnedFile,
    RunInput,
)
from mlyard.core.names import name_key
from mlyard.store.base import Base


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    name_key: Mapped[str]
    dataset_type: Mapped[str] = mapped_column(String(16))
    latest_version: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DatasetVersionRow(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]
    files: Mapped[list[dict[str, Any]]]
    columns: Mapped[list[dict[str, Any]]]
    # sha256 of the definition and the pinned files' digests: registering the same again finds this version.
    fingerprint: Mapped[str] = mapped_column(String(64))
    file_count: Mapped[int]
    total_size: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[dict[str, str]]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # The profile, computed once on first request (a version never changes).
    profile: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    profiled_at: Mapped[datetime | None] = mapped_column(default=None)

    def to_entity(self, name: str, dataset_type: str) -> DatasetVersion:
        return DatasetVersion(
            id=self.id,
            dataset_id=self.dataset_id,
            workspace_id=self.workspace_id,
            name=name,
            version=self.version,
            dataset_type=DatasetType(dataset_type),
            definition=dict(self.definition),
            files=tuple(
                PinnedFile(
                    f["datastore"],
                    f["name"],
                    int(f["size"]),
                    f.get("xxh128") or "",
                    datetime.fromisoformat(f["modified"]),
                    f.get("sha256"),  # a pin of before xxh128: still checked, with sha256
                )
                for f in self.files
            ),
            columns=tuple(Column(c["name"], c["type"]) for c in self.columns),
            fingerprint=self.fingerprint,
            created_at=self.created_at,
            created_by=self.created_by,
            description=self.description,
            tags=dict(self.tags),
        )


class DatasetRunInputRow(Base):
    """Lineage. No foreign key to the version: a run's record of what it read outlives an unregistration."""

    __tablename__ = "dataset_run_inputs"
    __table_args__ = (UniqueConstraint("run_id", "input_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    experiment_name: Mapped[str]
    input_name: Mapped[str]
    dataset_id: Mapped[str] = mapped_column(String(36), index=True)
    dataset_name: Mapped[str]
    version: Mapped[int]
    dataset_type: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    transforms: Mapped[list[dict[str, Any]]]
    created_at: Mapped[datetime]

    def to_entity(self) -> RunInput:
        return RunInput(
            self.run_id,
            self.experiment_name,
            self.input_name,
            self.dataset_name,
            self.version,
            DatasetType(self.dataset_type),
            InputMode(self.mode),
            tuple(self.transforms),
            self.created_at,
        )


def files_json(files: tuple[PinnedFile, ...]) -> list[dict[str, Any]]:
    """Each pin with its digest under its algorithm's name (``xxh128``; ``sha256`` for an older pin)."""
    return [
        {
            "datastore": f.datastore,
            "name": f.name,
            "size": f.size,
            f.digest()[0]: f.digest()[1],
            "modified": f.modified.isoformat(),
        }
        for f in files
    ]


def columns_json(columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "type": c.type} for c in columns]


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, workspace_id: str, name: str, *, for_update: bool = False) -> DatasetRow | None:
        query = select(DatasetRow).where(DatasetRow.workspace_id == workspace_id, DatasetRow.name_key == name_key(name))
        return self.session.scalar(query.with_for_update() if for_update else query)

    def version_row(self, dataset_id: str, version: int) -> DatasetVersionRow | None:
        return self.session.scalar(
            select(DatasetVersionRow).where(
                DatasetVersionRow.dataset_id == dataset_id, DatasetVersionRow.version == version
            )
        )

    def version(self, workspace_id: str, name: str, version: int | None) -> DatasetVersion | None:
        """Version ``version`` of dataset ``name`` (None: the latest)."""
        row = self.get_row(workspace_id, name)
        if row is None:
            return None
        found = self.version_row(row.id, row.latest_version if version is None else version)
        return found.to_entity(row.name, row.dataset_type) if found else None

    def versions(self, workspace_id: str, name: str) -> list[DatasetVersion] | None:
        row = self.get_row(workspace_id, name)
        if row is None:
            return None
        found = self.session.scalars(
            select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == row.id).order_by(DatasetVersionRow.version)
        )
        return [v.to_entity(row.name, row.dataset_type) for v in found]

    def in_workspace(self, workspace_id: str) -> list[Dataset]:
        counts = (
            select(DatasetVersionRow.dataset_id, func.count().label("n"))
            .where(DatasetVersionRow.workspace_id == workspace_id)
            .group_by(DatasetVersionRow.dataset_id)
            .subquery()
        )
        rows = self.session.execute(
            select(DatasetRow, DatasetVersionRow, counts.c.n)
            .join(
                DatasetVersionRow,
                (DatasetVersionRow.dataset_id == DatasetRow.id)
                & (DatasetVersionRow.version == DatasetRow.latest_version),
            )
            .join(counts, counts.c.dataset_id == DatasetRow.id)
            .where(DatasetRow.workspace_id == workspace_id)
            .order_by(DatasetRow.name_key)
        )
        return [Dataset(v.to_entity(d.name, d.dataset_type), int(n)) for d, v, n in rows]

    def profile(self, version_id: str) -> dict[str, Any] | None:
        return self.session.scalar(select(DatasetVersionRow.profile).where(DatasetVersionRow.id == version_id))

    def save_profile(self, version_id: str, profile: dict[str, Any], at: datetime) -> None:
        row = self.session.get(DatasetVersionRow, version_id)
        if row is not None:
            row.profile, row.profiled_at = profile, at
            self.session.flush()

    def delete(self, row: DatasetRow) -> None:
        self.session.delete(row)
        self.session.flush()

    # -- lineage ---------------------------------------------------------------------------

    def add_input(self, row: DatasetRunInputRow) -> None:
        self.session.add(row)
        self.session.flush()

    def inputs_of_run(self, run_id: str) -> list[RunInput]:
        found = self.session.scalars(
            select(DatasetRunInputRow)
            .where(DatasetRunInputRow.run_id == run_id)
            .order_by(DatasetRunInputRow.input_name)
        )
        return [r.to_entity() for r in found]

    def runs_of(self, workspace_id: str, name: str, version: int | None, limit: int) -> list[RunInput]:
        query = select(DatasetRunInputRow).where(
            DatasetRunInputRow.workspace_id == workspace_id,
            func.lower(DatasetRunInputRow.dataset_name) == name_key(name),
        )
        if version is not None:
            query = query.where(DatasetRunInputRow.version == version)
        found = self.session.scalars(query.order_by(DatasetRunInputRow.created_at.desc()).limit(limit))
        return [r.to_entity() for r in found]
