"""Principals across their three kinds: resolving a name, walking group nesting, the last Owner.

A principal named in a request (an assignee, a group member) may be a user name, a group
name, a service principal's display name or client id, or any of their ids; ``user:``,
``group:`` and ``sp:`` prefixes say which kind is meant when a name is shared.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mlyard.core.entities.identity import PrincipalRef, PrincipalType
from mlyard.core.errors import LastOwner, PrincipalNotFound, ValidationError
from mlyard.core.names import NameRule
from mlyard.store.database import Database
from mlyard.store.identity import IdentityRepository, UserRow
from mlyard.store.principals import GroupRepository, ServicePrincipalRepository, ServicePrincipalRow
from mlyard.store.rbac import RbacRepository, RoleAssignmentRow

# Spaces are allowed ("IT Operations", as in the seed); ':' is not, so that prefixes stay unambiguous.
DIRECTORY_NAME = NameRule(
    "group",
    1,
    128,
    re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.@()-]*[A-Za-z0-9_.@()-])?"),
    "use 1 to 128 letters, digits, spaces, '_', '.', '@', '(', ')' or '-', starting with a letter or digit "
    "and not ending with a space",
)
SP_NAME = NameRule("service principal", 1, 128, DIRECTORY_NAME.pattern, DIRECTORY_NAME.description)

_PREFIXES = {"user": PrincipalType.USER, "group": PrincipalType.GROUP, "sp": PrincipalType.SERVICE_PRINCIPAL}
ROOT_OWNER_ROLE = "Owner"
# Serialises directory changes on PostgreSQL, so that two concurrent ones cannot together do
# what each alone is refused: close a group cycle, or remove the last two Owners at '/'.
# (SQLite writers are serialised already.)
_DIRECTORY_LOCK = 0x6D6C7964  # "mlyd"


def _find(session: Session, name: str, wanted: PrincipalType | None) -> list[PrincipalRef]:
    found: list[PrincipalRef] = []
    if wanted in (None, PrincipalType.USER):
        repo = IdentityRepository(session)
        user = repo.get_user_by_id(name)
        if user is None:
            row = repo.get_user_row(name)
            user = row.to_entity() if row else None
        if user is not None:
            found.append(PrincipalRef(user.id, PrincipalType.USER, user.username))
    if wanted in (None, PrincipalType.GROUP):
        group = GroupRepository(session).get_row(name)
        if group is not None:
            found.append(PrincipalRef(group.id, PrincipalType.GROUP, group.name))
    if wanted in (None, PrincipalType.SERVICE_PRINCIPAL):
        sp = ServicePrincipalRepository(session).get_row(name)
        if sp is not None:
            found.append(PrincipalRef(sp.id, PrincipalType.SERVICE_PRINCIPAL, sp.display_name))
    return found


def resolve_in(session: Session, ref: str) -> PrincipalRef:
    """:func:`resolve_principal` inside a transaction that is already open."""
    kind, sep, rest = ref.strip().partition(":")
    wanted = _PREFIXES.get(kind.lower()) if sep else None
    name = rest.strip() if wanted is not None else ref.strip()
    found = _find(session, name, wanted) if name else []
    if not found:
        raise PrincipalNotFound(
            f"No user, group or service principal is named '{ref}': check the name, client id or id "
            "('mlyard ad user list', 'mlyard ad group list', 'mlyard ad sp list').",
            target="principal",
        )
    if len(found) > 1:
        kinds = ", ".join(f"a {p.type.value} '{p.name}'" for p in found)
        raise ValidationError(
            f"'{ref}' names more than one principal ({kinds}): say which with a prefix, "
            f"such as 'user:{name}', 'group:{name}' or 'sp:{name}'.",
            target="principal",
        )
    return found[0]


def resolve_principal(db: Database, ref: str) -> PrincipalRef:
    """The one principal that ``ref`` names; PrincipalNotFound or, when ambiguous, ValidationError."""
    with db.read() as session:
        return resolve_in(session, ref)


def groups_containing(session: Session, principal_id: str) -> list[str]:
    """Every group that holds the principal, directly or through nested groups."""
    repo = GroupRepository(session)
    seen: set[str] = set()
    frontier = {principal_id}
    # One query per level of nesting; the seen set also ends the walk if a cycle ever slipped in.
    while frontier:
        parents = repo.parents_of(frontier) - seen - {principal_id}
        seen |= parents
        frontier = parents
    return sorted(seen)


def principal_ids_of(db: Database, principal_id: str) -> list[str]:
    """The principal and every group it belongs to: the ids whose role assignments it holds."""
    with db.read() as session:
        return [principal_id, *groups_containing(session, principal_id)]


def lock_directory(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DIRECTORY_LOCK})


def cycle_path(session: Session, group_id: str, member_id: str) -> list[str] | None:
    """Group ids of the cycle that adding ``member_id`` to ``group_id`` would close, or None.

    The cycle exists when the group is reachable downward from the new member: the path runs
    group → member → … → group.
    """
    if member_id == group_id:
        return [group_id, group_id]
    repo = GroupRepository(session)
    came_from: dict[str, str] = {member_id: group_id}
    frontier = [member_id]
    while frontier:
        children = repo.children_of(frontier)
        frontier = []
        for row in children:
            if row.member_type != PrincipalType.GROUP.value or row.member_id in came_from:
                continue
            came_from[row.member_id] = row.group_id
            if row.member_id == group_id:
                path = [group_id]
                node = row.group_id
                while node != group_id:
                    path.append(node)
                    node = came_from[node]
                path.append(group_id)
                return list(reversed(path))
            frontier.append(row.member_id)
    return None


def root_owners(session: Session) -> set[str]:
    """Users and service principals that hold Owner at '/', directly or through groups."""
    role = RbacRepository(session).get_role_row(ROOT_OWNER_ROLE)
    if role is None:
        return set()
    holders = set(
        session.scalars(
            select(RoleAssignmentRow.principal_id).where(
                RoleAssignmentRow.role_definition_id == role.id, RoleAssignmentRow.scope_key == "/"
            )
        )
    )
    repo = GroupRepository(session)
    found: set[str] = set()
    groups_seen: set[str] = set()
    frontier = holders
    while frontier:
        found |= frontier
        groups_seen |= frontier
        frontier = {row.member_id for row in repo.children_of(frontier)} - groups_seen
    users = set(session.scalars(select(UserRow.id).where(UserRow.id.in_(found), UserRow.is_active.is_(True))))
    sps = set(session.scalars(select(ServicePrincipalRow.id).where(ServicePrincipalRow.id.in_(found))))
    return users | sps


def keep_a_root_owner(session: Session, before: set[str], what: str) -> None:
    """Refuse a change (its transaction rolls back) that leaves nobody holding Owner at '/'."""
    session.flush()
    if before and not root_owners(session):
        raise LastOwner(
            f"Cannot {what}: nobody else would hold the Owner role at scope '/', and nobody could then "
            "manage access. Give Owner at '/' to another user or service principal first "
            "('mlyard role assignment create --role Owner --scope / --assignee NAME').",
            target="principal",
        )


__all__ = [
    "DIRECTORY_NAME",
    "SP_NAME",
    "cycle_path",
    "groups_containing",
    "keep_a_root_owner",
    "lock_directory",
    "principal_ids_of",
    "resolve_in",
    "resolve_principal",
    "root_owners",
]
