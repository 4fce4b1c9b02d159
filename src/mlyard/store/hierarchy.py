"""Tables and repositories for subscriptions, resource groups, workspaces, supporting resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from mlyard.core.entities.hierarchy import (
    ResourceGroup,
    ResourceStatus,
    Subscription,
    SupportingKind,
    SupportingResource,
    Workspace,
)
from mlyard.core.names import name_key
from mlyard.store.base import Base


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    subscription_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id_key: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str]
    tags: Mapped[dict[str, str]]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]

    def to_entity(self) -> Subscription:
        return Subscription(self.subscription_id, self.display_name, dict(self.tags), self.created_at, self.created_by)


class ResourceGroupRow(Base):
    __tablename__ = "resource_groups"
    __table_args__ = (UniqueConstraint("subscription_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("subscriptions.subscription_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(90))
    name_key: Mapped[str] = mapped_column(String(90))
    location: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]

    def to_entity(self) -> ResourceGroup:
        return ResourceGroup(
            self.id,
            self.subscription_id,
            self.name,
            self.location,
            dict(self.tags),
            self.created_at,
            self.created_by,
        )


class WorkspaceRow(Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("resource_group_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_group_id: Mapped[str] = mapped_column(ForeignKey("resource_groups.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(33))
    name_key: Mapped[str] = mapped_column(String(33))
    location: Mapped[str] = mapped_column(String(64))
    friendly_name: Mapped[str]
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[dict[str, str]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str | None]

    resource_group: Mapped[ResourceGroupRow] = relationship(lazy="joined")
    resources: Mapped[list[SupportingResourceRow]] = relationship(
        lazy="selectin", order_by="SupportingResourceRow.kind", passive_deletes=True
    )

    def to_entity(self) -> Workspace:
        rg = self.resource_group
        return Workspace(
            id=self.id,
            subscription_id=rg.subscription_id,
            resource_group=rg.name,
            name=self.name,
            location=self.location,
            friendly_name=self.friendly_name,
            description=self.description,
            tags=dict(self.tags),
            created_at=self.created_at,
            updated_at=self.updated_at,
            created_by=self.created_by,
            resources=tuple(r.to_entity() for r in self.resources),
        )


class SupportingResourceRow(Base):
    """A workspace's storage area, vault, monitoring sink or environment registry.

    Kept (with ``workspace_id`` cleared) when its workspace is deleted without its
    dependent resources, as Azure keeps a deleted workspace's storage account.
    """

    __tablename__ = "supporting_resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("workspaces.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str]
    status: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(Text)
    former_workspace: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    def to_entity(self) -> SupportingResource:
        return SupportingResource(
            id=self.id,
            kind=SupportingKind(self.kind),
            name=self.name,
            status=ResourceStatus(self.status),
            location=self.location,
            workspace_id=self.workspace_id,
            former_workspace=self.former_workspace,
            created_at=self.created_at,
            details=dict(self.details),
        )


class HierarchyRepository:
    """Reads and writes the hierarchy; callers own the transaction (the unit of work)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # subscriptions
    def get_subscription_row(self, subscription_id: str) -> SubscriptionRow | None:
        return self.session.scalar(select(SubscriptionRow).where(SubscriptionRow.id_key == name_key(subscription_id)))

    def list_subscriptions(self) -> list[Subscription]:
        rows = self.session.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id_key))
        return [r.to_entity() for r in rows]

    def add_subscription(self, row: SubscriptionRow) -> Subscription:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    # resource groups
    def get_resource_group_row(self, subscription_id: str, name: str) -> ResourceGroupRow | None:
        return self.session.scalar(
            select(ResourceGroupRow)
            .join(SubscriptionRow)
            .where(
                SubscriptionRow.id_key == name_key(subscription_id),
                ResourceGroupRow.name_key == name_key(name),
            )
        )

    def list_resource_groups(self, subscription_id: str | None = None) -> list[ResourceGroup]:
        query = select(ResourceGroupRow).join(SubscriptionRow)
        if subscription_id is not None:
            query = query.where(SubscriptionRow.id_key == name_key(subscription_id))
        rows = self.session.scalars(query.order_by(SubscriptionRow.id_key, ResourceGroupRow.name_key))
        return [r.to_entity() for r in rows]

    def count_workspaces_in_group(self, resource_group_id: str) -> int:
        rows = self.session.scalars(select(WorkspaceRow.id).where(WorkspaceRow.resource_group_id == resource_group_id))
        return len(list(rows))

    # workspaces
    def get_workspace_row(
        self, subscription_id: str, resource_group: str, name: str, *, lock: bool = False
    ) -> WorkspaceRow | None:
        """``lock`` holds the row until the transaction ends (PostgreSQL; SQLite's writers take
        turns anyway), so that of two concurrent deletes the second finds it gone."""
        query = (
            select(WorkspaceRow)
            .join(ResourceGroupRow)
            .join(SubscriptionRow)
            .where(
                SubscriptionRow.id_key == name_key(subscription_id),
                ResourceGroupRow.name_key == name_key(resource_group),
                WorkspaceRow.name_key == name_key(name),
            )
        )
        return self.session.scalar(query.with_for_update(of=WorkspaceRow) if lock else query)

    def list_workspaces(self, subscription_id: str | None = None, resource_group: str | None = None) -> list[Workspace]:
        query = select(WorkspaceRow).join(ResourceGroupRow).join(SubscriptionRow)
        if subscription_id is not None:
            query = query.where(SubscriptionRow.id_key == name_key(subscription_id))
        if resource_group is not None:
            query = query.where(ResourceGroupRow.name_key == name_key(resource_group))
        query = query.order_by(SubscriptionRow.id_key, ResourceGroupRow.name_key, WorkspaceRow.name_key)
        return [r.to_entity() for r in self.session.scalars(query)]

    def add(self, row: Base) -> None:
        self.session.add(row)
        self.session.flush()

    def delete(self, row: Base) -> None:
        self.session.delete(row)
        self.session.flush()

    def orphan_resources(self, workspace_id: str, former: str) -> list[SupportingResource]:
        rows = list(
            self.session.scalars(
                select(SupportingResourceRow).where(SupportingResourceRow.workspace_id == workspace_id)
            )
        )
        for row in rows:
            row.workspace_id = None
            row.former_workspace = former
            row.status = ResourceStatus.ORPHANED.value
        self.session.flush()
        return [r.to_entity() for r in rows]

    def delete_resources(self, workspace_id: str) -> list[SupportingResource]:
        rows = list(
            self.session.scalars(
                select(SupportingResourceRow).where(SupportingResourceRow.workspace_id == workspace_id)
            )
        )
        out = [r.to_entity() for r in rows]
        for row in rows:
            self.session.delete(row)
        self.session.flush()
        return out

    def list_orphaned_resources(self) -> list[SupportingResource]:
        rows = self.session.scalars(select(SupportingResourceRow).where(SupportingResourceRow.workspace_id.is_(None)))
        return [r.to_entity() for r in rows]
