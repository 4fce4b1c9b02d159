"""Tables and repositories for groups, their members, and service principals.

Users live in :mod:`mlyard.store.identity`; a group's members are users, service principals
or other groups, each named by id and type (no foreign key: the member may be any of three
tables, and deleting a principal removes its memberships explicitly).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.identity import Group, PrincipalRef, PrincipalType, ServicePrincipal
from mlyard.core.names import name_key
from mlyard.store.base import Base
from mlyard.store.identity import AccessTokenRow, UserRow
from mlyard.store.rbac import RoleAssignmentRow


class GroupRow(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    def to_entity(self) -> Group:
        return Group(self.id, self.name, self.description, self.created_at)


class GroupMemberRow(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    member_type: Mapped[str] = mapped_column(String(32))


class ServicePrincipalRow(Base):
    __tablename__ = "service_principals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    secret_expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(36))

    def to_entity(self) -> ServicePrincipal:
        return ServicePrincipal(
            self.id, self.display_name, self.client_id, self.secret_expires_at, self.created_at, self.created_by
        )


class GroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, name_or_id: str) -> GroupRow | None:
        return self.session.scalar(
            select(GroupRow).where((GroupRow.name_key == name_key(name_or_id)) | (GroupRow.id == name_or_id))
        )

    def list_groups(self) -> list[Group]:
        return [r.to_entity() for r in self.session.scalars(select(GroupRow).order_by(GroupRow.name_key))]

    def add(self, row: GroupRow | GroupMemberRow) -> None:
        self.session.add(row)
        self.session.flush()

    def delete(self, row: GroupRow) -> None:
        self.session.execute(delete(GroupMemberRow).where(GroupMemberRow.group_id == row.id))
        self.session.delete(row)
        self.session.flush()

    def member_rows(self, group_id: str) -> list[GroupMemberRow]:
        return list(self.session.scalars(select(GroupMemberRow).where(GroupMemberRow.group_id == group_id)))

    def find_member(self, group_id: str, member_id: str) -> GroupMemberRow | None:
        return self.session.get(GroupMemberRow, (group_id, member_id))

    def remove_member(self, row: GroupMemberRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def parents_of(self, member_ids: Iterable[str]) -> set[str]:
        """The groups that hold any of these principals directly."""
        ids = list(member_ids)
        if not ids:
            return set()
        return set(self.session.scalars(select(GroupMemberRow.group_id).where(GroupMemberRow.member_id.in_(ids))))

    def children_of(self, group_ids: Iterable[str]) -> list[GroupMemberRow]:
        """The direct members of any of these groups."""
        ids = list(group_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(GroupMemberRow).where(GroupMemberRow.group_id.in_(ids))))


class ServicePrincipalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, ref: str) -> ServicePrincipalRow | None:
        """By client id, object id or display name."""
        return self.session.scalar(
            select(ServicePrincipalRow).where(
                (ServicePrincipalRow.client_id == ref.lower())
                | (ServicePrincipalRow.id == ref)
                | (ServicePrincipalRow.name_key == name_key(ref))
            )
        )

    def get_by_client_id(self, client_id: str) -> ServicePrincipalRow | None:
        return self.session.scalar(select(ServicePrincipalRow).where(ServicePrincipalRow.client_id == client_id))

    def get_by_id(self, sp_id: str) -> ServicePrincipal | None:
        row = self.session.get(ServicePrincipalRow, sp_id)
        return row.to_entity() if row else None

    def list_service_principals(self) -> list[ServicePrincipal]:
        rows = self.session.scalars(select(ServicePrincipalRow).order_by(ServicePrincipalRow.name_key))
        return [r.to_entity() for r in rows]

    def add(self, row: ServicePrincipalRow) -> None:
        self.session.add(row)
        self.session.flush()

    def delete(self, row: ServicePrincipalRow) -> None:
        self.session.delete(row)
        self.session.flush()


def names_of(session: Session, refs: Iterable[tuple[str, PrincipalType]]) -> list[PrincipalRef]:
    """Members as (id, type, name), in the order given; members whose principal is gone are dropped."""
    wanted = list(refs)
    by_type: dict[PrincipalType, set[str]] = {}
    for member_id, kind in wanted:
        by_type.setdefault(kind, set()).add(member_id)
    names: dict[str, str] = {}
    if ids := by_type.get(PrincipalType.USER):
        names.update(
            (i, n) for i, n in session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(ids)))
        )
    if ids := by_type.get(PrincipalType.GROUP):
        names.update((i, n) for i, n in session.execute(select(GroupRow.id, GroupRow.name).where(GroupRow.id.in_(ids))))
    if ids := by_type.get(PrincipalType.SERVICE_PRINCIPAL):
        query = select(ServicePrincipalRow.id, ServicePrincipalRow.display_name).where(ServicePrincipalRow.id.in_(ids))
        names.update((i, n) for i, n in session.execute(query))
    return [PrincipalRef(i, kind, names[i]) for i, kind in wanted if i in names]


def forget_principal(session: Session, principal_id: str) -> None:
    """Remove what refers to a principal about to be deleted: memberships, role assignments, tokens."""
    session.execute(delete(GroupMemberRow).where(GroupMemberRow.member_id == principal_id))
    session.execute(delete(RoleAssignmentRow).where(RoleAssignmentRow.principal_id == principal_id))
    session.execute(delete(AccessTokenRow).where(AccessTokenRow.principal_id == principal_id))
    session.flush()


__all__ = [
    "GroupMemberRow",
    "GroupRepository",
    "GroupRow",
    "ServicePrincipalRepository",
    "ServicePrincipalRow",
    "forget_principal",
    "names_of",
]
