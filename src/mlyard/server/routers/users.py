"""Users, the administrator's side (``/users``), and changing one's own password (``/me/password``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.principals import PasswordChange, PasswordSet, UserCreate, UserOut
from mlyard.core import actions as A
from mlyard.core.entities.identity import User
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import identity, users

router = APIRouter(prefix="/api/v1", tags=["users"])
USER = "/users/{username}"


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        is_active=user.is_active,
        created_at=user.created_at,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(auth: Annotated[AuthContext, authorize(A.USERS_READ)], platform: PlatformDep) -> list[UserOut]:
    return [user_out(u) for u in users.list_users(platform.db)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserCreate, auth: Annotated[AuthContext, authorize(A.USERS_WRITE)], platform: PlatformDep
) -> UserOut:
    made = identity.create_user(
        platform.db, body.username, body.password, display_name=body.display_name, email=body.email
    )
    return user_out(made)


@router.get(USER, response_model=UserOut)
def get_user(username: str, auth: Annotated[AuthContext, authorize(A.USERS_READ)], platform: PlatformDep) -> UserOut:
    return user_out(users.get_user(platform.db, username))


@router.delete(USER, response_model=UserOut)
def delete_user(
    username: str, auth: Annotated[AuthContext, authorize(A.USERS_DELETE)], platform: PlatformDep
) -> UserOut:
    return user_out(users.delete_user(platform.db, username))


@router.put(USER + "/password", response_model=UserOut)
def set_password(
    username: str,
    body: PasswordSet,
    auth: Annotated[AuthContext, authorize(A.USERS_WRITE)],
    platform: PlatformDep,
) -> UserOut:
    return user_out(users.set_password(platform.db, username, body.password))


@router.put("/me/password", response_model=UserOut)
def change_own_password(
    body: PasswordChange, auth: Annotated[AuthContext, authorize(A.SELF)], platform: PlatformDep
) -> UserOut:
    changed = users.change_own_password(platform.db, auth.principal.id, body.current_password, body.new_password)
    return user_out(changed)
