"""Helpers of the hierarchy service tests."""

from __future__ import annotations

from typing import Any

from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.services import rbac, workspaces
from mlyard.services.platform import Platform
from mlyard.store.hierarchy import HierarchyRepository


def make_ws(platform: Platform, admin: Principal, name: str = "ws1", **kwargs: Any) -> Workspace:
    return workspaces.create_workspace(platform, admin, "sub1", "rg1", name, **kwargs)


def blob_keys(platform: Platform, prefix: str = "") -> list[str]:
    return [b.key for b in platform.blobs.list(prefix)]


def orphans(platform: Platform) -> list[Any]:
    with platform.db.read() as session:
        return HierarchyRepository(session).list_orphaned_resources()


def everything(platform: Platform, admin: Principal) -> rbac.Authorizer:
    return rbac.Authorizer(platform.db, admin)
