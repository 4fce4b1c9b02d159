"""Table and repository for registered environment versions (the environment registry).

Builds are not rows: a build is a folder on the server's host, keyed by the hash of what it
holds (see :mod:`mlyard.services.environment_builds`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.environments import EnvironmentSpec, EnvironmentVersion
from mlyard.core.names import name_key
from mlyard.store.base import Base


class EnvironmentRow(Base):
    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    name_key: Mapped[str]
    version: Mapped[int]
    spec: Mapped[dict[str, Any]]
    environment_variables: Mapped[dict[str, str]]
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # The hash of spec and variables: registering the same definition again finds its version.
    definition_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64), default=None)

    def to_entity(self) -> EnvironmentVersion:
        return EnvironmentVersion(
            name=self.name,
            version=str(self.version),
            spec=spec_from_json(self.spec),
            environment_variables=dict(self.environment_variables),
            description=self.description,
            id=self.id,
            workspace_id=self.workspace_id,
            definition_hash=self.definition_hash,
            created_at=self.created_at,
            created_by=self.created_by,
        )


def spec_to_json(spec: EnvironmentSpec) -> dict[str, Any]:
    return {
        "python_version": spec.python_version,
        "pip_packages": list(spec.pip_packages),
        "conda_packages": list(spec.conda_packages),
        "conda_channels": list(spec.conda_channels),
        "user_managed_dependencies": spec.user_managed_dependencies,
        "interpreter_path": spec.interpreter_path,
    }


def spec_from_json(data: dict[str, Any]) -> EnvironmentSpec:
    return EnvironmentSpec(
        python_version=data.get("python_version"),
        pip_packages=tuple(data.get("pip_packages") or ()),
        conda_packages=tuple(data.get("conda_packages") or ()),
        conda_channels=tuple(data.get("conda_channels") or ()),
        user_managed_dependencies=bool(data.get("user_managed_dependencies")),
        interpreter_path=data.get("interpreter_path"),
    )


class EnvironmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _versions(self, workspace_id: str, name: str) -> Any:
        return select(EnvironmentRow).where(
            EnvironmentRow.workspace_id == workspace_id, EnvironmentRow.name_key == name_key(name)
        )

    def latest_versions(self, workspace_id: str) -> list[EnvironmentVersion]:
        """The latest version of every name, ordered by name."""
        latest = (
            select(EnvironmentRow.name_key, func.max(EnvironmentRow.version).label("version"))
            .where(EnvironmentRow.workspace_id == workspace_id)
            .group_by(EnvironmentRow.name_key)
            .subquery()
        )
        rows = self.session.scalars(
            select(EnvironmentRow)
            .join(
                latest,
                (EnvironmentRow.name_key == latest.c.name_key) & (EnvironmentRow.version == latest.c.version),
            )
            .where(EnvironmentRow.workspace_id == workspace_id)
            .order_by(EnvironmentRow.name_key)
        )
        return [r.to_entity() for r in rows]

    def versions(self, workspace_id: str, name: str) -> list[EnvironmentVersion]:
        rows = self.session.scalars(self._versions(workspace_id, name).order_by(EnvironmentRow.version))
        return [r.to_entity() for r in rows]

    def get(self, workspace_id: str, name: str, version: int | None) -> EnvironmentVersion | None:
        query = self._versions(workspace_id, name)
        if version is None:
            query = query.order_by(EnvironmentRow.version.desc()).limit(1)
        else:
            query = query.where(EnvironmentRow.version == version)
        row = self.session.scalar(query)
        return row.to_entity() if row else None

    def with_definition(self, workspace_id: str, name: str, definition_hash: str) -> EnvironmentVersion | None:
        row = self.session.scalar(
            self._versions(workspace_id, name)
            .where(EnvironmentRow.definition_hash == definition_hash)
            .order_by(EnvironmentRow.version)
            .limit(1)
        )
        return row.to_entity() if row else None

    def next_version(self, workspace_id: str, name: str) -> int:
        top = self.session.scalar(
            select(func.max(EnvironmentRow.version)).where(
                EnvironmentRow.workspace_id == workspace_id, EnvironmentRow.name_key == name_key(name)
            )
        )
        return (top or 0) + 1

    def add(self, row: EnvironmentRow) -> EnvironmentVersion:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()
