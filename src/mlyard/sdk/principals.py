"""Users, groups and service principals (``az ad``), as the server's JSON.

A member or principal may be named by user name, group name, service principal display name
or client id, or id; ``user:``, ``group:`` and ``sp:`` prefixes settle a shared name.
"""

from __future__ import annotations

from typing import Any

from mlyard.sdk.client import API, Client, seg

USERS = f"{API}/users"
GROUPS = f"{API}/groups"
SPS = f"{API}/servicePrincipals"


def list_users(client: Client) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(USERS)
    return answer


def create_user(
    client: Client,
    username: str,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    body = {"username": username, "password": password, "displayName": display_name, "email": email}
    answer: dict[str, Any] = client.post(USERS, {k: v for k, v in body.items() if v is not None})
    return answer


def get_user(client: Client, username: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{USERS}/{seg(username)}")
    return answer


def delete_user(client: Client, username: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.delete(f"{USERS}/{seg(username)}")
    return answer


def set_password(client: Client, username: str, password: str) -> dict[str, Any]:
    """An administrator sets a user's password."""
    answer: dict[str, Any] = client.put(f"{USERS}/{seg(username)}/password", {"password": password})
    return answer


def change_own_password(client: Client, current_password: str, new_password: str) -> dict[str, Any]:
    body = {"currentPassword": current_password, "newPassword": new_password}
    answer: dict[str, Any] = client.put(f"{API}/me/password", body)
    return answer


def list_groups(client: Client) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(GROUPS)
    return answer


def create_group(client: Client, name: str, description: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = client.post(GROUPS, {"name": name, "description": description})
    return answer


def get_group(client: Client, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{GROUPS}/{seg(name)}")
    return answer


def delete_group(client: Client, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.delete(f"{GROUPS}/{seg(name)}")
    return answer


def list_members(client: Client, group: str) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(f"{GROUPS}/{seg(group)}/members")
    return answer


def add_member(client: Client, group: str, member: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.put(f"{GROUPS}/{seg(group)}/members/{seg(member)}")
    return answer


def remove_member(client: Client, group: str, member: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.delete(f"{GROUPS}/{seg(group)}/members/{seg(member)}")
    return answer


def list_service_principals(client: Client) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(SPS)
    return answer


def create_service_principal(client: Client, display_name: str) -> dict[str, Any]:
    """A new service principal; the answer's ``clientSecret`` is shown only this once."""
    answer: dict[str, Any] = client.post(SPS, {"displayName": display_name})
    return answer


def get_service_principal(client: Client, ref: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{SPS}/{seg(ref)}")
    return answer


def delete_service_principal(client: Client, ref: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.delete(f"{SPS}/{seg(ref)}")
    return answer


def reset_secret(client: Client, ref: str) -> dict[str, Any]:
    """A new secret (``clientSecret``, shown only this once); the old one stops working."""
    answer: dict[str, Any] = client.post(f"{SPS}/{seg(ref)}/resetSecret")
    return answer
