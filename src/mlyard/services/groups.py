"""Groups: named sets of users, service principals and other groups, to assign roles to at once.

A member holds every role assigned to any group that contains it, directly or through nested
groups (see :class:`mlyard.services.rbac.Authorizer`). A group may not contain itself, however
deep the nesting: such an addition is refused with the cycle it would close.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mlyard.core.entities.identity import Group, PrincipalRef, PrincipalType
from mlyard.core.errors import GroupAlreadyExists, GroupNotFound, MembershipCycle, PrincipalNotFound
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.services.principals import (
    DIRECTORY_NAME,
    cycle_path,
    keep_a_root_owner,
    lock_directory,
    resolve_in,
    root_owners,
)
from mlyard.store.database import Database
from mlyard.store.principals import GroupMemberRow, GroupRepository, GroupRow, forget_principal, names_of


def _row(session: Session, ref: str) -> GroupRow:
    row = GroupRepository(session).get_row(ref)
    if row is None:
        raise GroupNotFound(f"No group is named '{ref}': see 'mlyard ad group list'.", target="group")
    return row


def create_group(db: Database, name: str, description: str | None = None) -> Group:
    DIRECTORY_NAME.check(name, target="name")
    with db.write() as session:
        repo = GroupRepository(session)
        if repo.get_row(name) is not None:
            raise GroupAlreadyExists(f"A group named '{name}' already exists.", target="name")
        row = GroupRow(
            id=new_id(), name=name, name_key=name_key(name), description=description or "", created_at=utcnow()
        )
        repo.add(row)
        return row.to_entity()


def list_groups(db: Database) -> list[Group]:
    with db.read() as session:
        return GroupRepository(session).list_groups()


def get_group(db: Database, ref: str) -> Group:
    """A group by name (any case) or id."""
    with db.read() as session:
        return _row(session, ref).to_entity()


def delete_group(db: Database, ref: str) -> Group:
    """Delete a group: its members stay, but lose the roles it gave them; its role assignments
    and its own memberships in other groups go with it."""
    with db.write() as session:
        lock_directory(session)
        row = _row(session, ref)
        before = root_owners(session)
        group = row.to_entity()
        forget_principal(session, row.id)
        GroupRepository(session).delete(row)
        keep_a_root_owner(session, before, f"delete group '{group.name}'")
        return group


def list_members(db: Database, ref: str) -> list[PrincipalRef]:
    """The direct members, users first, then groups, then service principals, each by name."""
    with db.read() as session:
        row = _row(session, ref)
        members = names_of(
            session,
            ((m.member_id, PrincipalType(m.member_type)) for m in GroupRepository(session).member_rows(row.id)),
        )
    order = list(PrincipalType)
    return sorted(members, key=lambda m: (order.index(m.type), m.name.lower()))


def add_member(db: Database, ref: str, member: str) -> PrincipalRef:
    """Add a user, service principal or group to the group (adding a member twice is a no-op)."""
    with db.write() as session:
        lock_directory(session)
        row = _row(session, ref)
        found = resolve_in(session, member)
        repo = GroupRepository(session)
        if repo.find_member(row.id, found.id) is not None:
            return found
        if found.type is PrincipalType.GROUP:
            cycle = cycle_path(session, row.id, found.id)
            if cycle is not None:
                names = {g.id: g.name for g in names_of(session, ((i, PrincipalType.GROUP) for i in set(cycle)))}
                shown = " → ".join(f"'{names.get(i, i)}'" for i in cycle)
                raise MembershipCycle(
                    f"Cannot add group '{found.name}' to group '{row.name}': it would make a cycle "
                    f"({shown}). A group may not contain itself, directly or through other groups.",
                    target="member",
                )
        repo.add(GroupMemberRow(group_id=row.id, member_id=found.id, member_type=found.type.value))
        return found


def remove_member(db: Database, ref: str, member: str) -> PrincipalRef:
    with db.write() as session:
        lock_directory(session)
        row = _row(session, ref)
        found = resolve_in(session, member)
        repo = GroupRepository(session)
        membership = repo.find_member(row.id, found.id)
        if membership is None:
            raise PrincipalNotFound(
                f"{found.type.value} '{found.name}' is not a direct member of group '{row.name}': "
                f"see 'mlyard ad group member list --group {row.name}'.",
                target="member",
            )
        before = root_owners(session)
        repo.remove_member(membership)
        keep_a_root_owner(session, before, f"remove '{found.name}' from group '{row.name}'")
        return found


__all__ = ["add_member", "create_group", "delete_group", "get_group", "list_groups", "list_members", "remove_member"]
