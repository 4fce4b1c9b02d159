"""Groups and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.principals import GroupCreate, GroupOut, PrincipalRefOut
from mlyard.core import actions as A
from mlyard.core.entities.identity import Group, PrincipalRef
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import groups

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])
GROUP = "/{groupName}"
MEMBER = GROUP + "/members/{member}"


def group_out(group: Group) -> GroupOut:
    return GroupOut(id=group.id, name=group.name, description=group.description, created_at=group.created_at)


def ref_out(ref: PrincipalRef) -> PrincipalRefOut:
    return PrincipalRefOut(id=ref.id, type=ref.type.value, name=ref.name)


@router.get("", response_model=list[GroupOut])
def list_groups(auth: Annotated[AuthContext, authorize(A.GROUPS_READ)], platform: PlatformDep) -> list[GroupOut]:
    return [group_out(g) for g in groups.list_groups(platform.db)]


@router.post("", response_model=GroupOut, status_code=201)
def create_group(
    body: GroupCreate, auth: Annotated[AuthContext, authorize(A.GROUPS_WRITE)], platform: PlatformDep
) -> GroupOut:
    return group_out(groups.create_group(platform.db, body.name, body.description))


@router.get(GROUP, response_model=GroupOut)
def get_group(
    groupName: str, auth: Annotated[AuthContext, authorize(A.GROUPS_READ)], platform: PlatformDep
) -> GroupOut:
    return group_out(groups.get_group(platform.db, groupName))


@router.delete(GROUP, response_model=GroupOut)
def delete_group(
    groupName: str, auth: Annotated[AuthContext, authorize(A.GROUPS_DELETE)], platform: PlatformDep
) -> GroupOut:
    return group_out(groups.delete_group(platform.db, groupName))


@router.get(GROUP + "/members", response_model=list[PrincipalRefOut])
def list_members(
    groupName: str, auth: Annotated[AuthContext, authorize(A.GROUPS_READ)], platform: PlatformDep
) -> list[PrincipalRefOut]:
    return [ref_out(m) for m in groups.list_members(platform.db, groupName)]


@router.put(MEMBER, response_model=PrincipalRefOut)
def add_member(
    groupName: str,
    member: str,
    auth: Annotated[AuthContext, authorize(A.GROUP_MEMBERS_WRITE)],
    platform: PlatformDep,
) -> PrincipalRefOut:
    return ref_out(groups.add_member(platform.db, groupName, member))


@router.delete(MEMBER, response_model=PrincipalRefOut)
def remove_member(
    groupName: str,
    member: str,
    auth: Annotated[AuthContext, authorize(A.GROUP_MEMBERS_DELETE)],
    platform: PlatformDep,
) -> PrincipalRefOut:
    return ref_out(groups.remove_member(platform.db, groupName, member))
