"""Workspaces: the boundary of every asset, created with their supporting resources."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlyard.core import actions as A
from mlyard.core.entities.hierarchy import (
    ResourceStatus,
    SupportingKind,
    SupportingResource,
    Workspace,
)
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import ResourceGroupNotFound, ValidationError, WorkspaceAlreadyExists
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import WORKSPACE_NAME, name_key
from mlyard.core.scopes import Scope
from mlyard.services import rbac
from mlyard.services.platform import Platform
from mlyard.services.races import same_answer_as_late_caller
from mlyard.services.subscriptions import check_location, check_tags, get_resource_group
from mlyard.store.datastores import DatastoreRow
from mlyard.store.hierarchy import HierarchyRepository, SupportingResourceRow, WorkspaceRow

MAX_DESCRIPTION = 2000
DEFAULT_BLOB_DATASTORE = "workspaceblobstore"
DEFAULT_FILE_DATASTORE = "workspacefilestore"


def storage_prefix(workspace_id: str) -> str:
    return f"workspaces/{workspace_id}"


@dataclass(frozen=True)
class WorkspaceDeletion:
    workspace: Workspace
    removed: list[SupportingResource]
    kept: list[SupportingResource]


def _supporting_rows(p: Platform, ws_id: str, name: str) -> list[SupportingResourceRow]:
    short = ws_id.replace("-", "")[:8]
    prefix = storage_prefix(ws_id)
    now = utcnow()
    specs = [
        (
            SupportingKind.STORAGE,
            f"{name.lower()}storage{short}",
            ResourceStatus.READY,
            p.blobs.url_for(prefix),
        ),
        (SupportingKind.VAULT, f"{name.lower()}-vault-{short}", ResourceStatus.READY, f"vault://{ws_id}"),
        (
            SupportingKind.MONITORING,
            f"{name.lower()}-insights-{short}",
            ResourceStatus.READY,
            p.blobs.url_for(f"{prefix}/monitoring"),
        ),
        (
            SupportingKind.ENVIRONMENT_REGISTRY,
            f"{name.lower()}-registry-{short}",
            ResourceStatus.CREATED_ON_FIRST_USE,
            p.blobs.url_for(f"{prefix}/environments"),
        ),
    ]
    return [
        SupportingResourceRow(
            id=new_id(),
            workspace_id=ws_id,
            kind=kind.value,
            name=res_name,
            status=status.value,
            location=location,
            former_workspace=None,
            details={},
            created_at=now,
        )
        for kind, res_name, status, location in specs
    ]


def _datastore_rows(p: Platform, ws_id: str) -> list[DatastoreRow]:
    now = utcnow()
    prefix = storage_prefix(ws_id)
    out = []
    for name, kind, folder, default in (
        (DEFAULT_BLOB_DATASTORE, "workspaceblob", "blobs", True),
        (DEFAULT_FILE_DATASTORE, "workspacefile", "files", False),
    ):
        out.append(
            DatastoreRow(
                id=new_id(),
                workspace_id=ws_id,
                name=name,
                name_key=name_key(name),
                datastore_type=kind,
                is_default=default,
                properties={"path": f"{prefix}/{folder}", "url": p.blobs.url_for(f"{prefix}/{folder}")},
                created_at=now,
            )
        )
    return out


def create_workspace(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    name: str,
    *,
    location: str | None = None,
    friendly_name: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> Workspace:
    WORKSPACE_NAME.check(name, target="workspaceName")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"A description takes at most {MAX_DESCRIPTION} characters.", target="description")
    ws_id = new_id()
    now = utcnow()
    with (
        same_answer_as_late_caller(lambda: _workspace_taken(p, subscription_id, resource_group, name)),
        p.db.write() as session,
    ):
        repo = HierarchyRepository(session)
        group = repo.get_resource_group_row(subscription_id, resource_group)
        if group is None:
            raise ResourceGroupNotFound(
                f"Resource group '{resource_group}' was not found in subscription '{subscription_id}': "
                "create it first (mlyard group create) or pass create_resource_group=True.",
                target="resourceGroupName",
            )
        if repo.get_workspace_row(subscription_id, resource_group, name) is not None:
            raise _workspace_exists(name, group.name)
        row = WorkspaceRow(
            id=ws_id,
            resource_group_id=group.id,
            name=name,
            name_key=name_key(name),
            location=check_location(location or group.location),
            friendly_name=(friendly_name or name)[:255],
            description=description or "",
            tags=check_tags(tags),
            created_at=now,
            updated_at=now,
            created_by=actor.id,
        )
        repo.add(row)
        for res in _supporting_rows(p, ws_id, name):
            repo.add(res)
        for ds in _datastore_rows(p, ws_id):
            repo.add(ds)
        # The storage area is written inside the transaction: if the blob store fails, no row stays.
        marker = {"workspace": Scope(subscription_id, group.name, name).path, "id": ws_id}
        p.blobs.put_bytes(f"{storage_prefix(ws_id)}/.workspace.json", json.dumps(marker).encode())
        p.blobs.put_bytes(f"{storage_prefix(ws_id)}/monitoring/.sink.json", json.dumps(marker).encode())
        session.refresh(row)
        workspace = row.to_entity()
    rbac.grant_creator_ownership(p.db, actor, workspace.scope)
    return workspace


def _workspace_exists(name: str, group: str) -> WorkspaceAlreadyExists:
    return WorkspaceAlreadyExists(
        f"Workspace '{name}' already exists in resource group '{group}': pick another name, "
        "or use Workspace.get (or exist_ok=True) to use it.",
        target="workspaceName",
    )


def _workspace_taken(
    p: Platform, subscription_id: str, resource_group: str, name: str
) -> WorkspaceAlreadyExists | None:
    with p.db.read() as session:
        found = HierarchyRepository(session).get_workspace_row(subscription_id, resource_group, name)
        return _workspace_exists(found.name, found.resource_group.name) if found is not None else None


def get_workspace(p: Platform, subscription_id: str, resource_group: str, name: str) -> Workspace:
    with p.db.read() as session:
        row = HierarchyRepository(session).get_workspace_row(subscription_id, resource_group, name)
        if row is None:
            raise rbac.not_found_for(Scope(subscription_id, resource_group, name))
        return row.to_entity()


def list_workspaces(
    p: Platform, authz: rbac.Authorizer, subscription_id: str | None = None, resource_group: str | None = None
) -> list[Workspace]:
    with p.db.read() as session:
        repo = HierarchyRepository(session)
        found = [
            w for w in repo.list_workspaces(subscription_id, resource_group) if authz.can(A.WORKSPACES_READ, w.scope)
        ]
        if subscription_id is not None and resource_group is not None and not found:
            # Inside a named group: a missing group, or one the caller sees nothing of, is "not found".
            scope = Scope(subscription_id, resource_group)
            if repo.get_resource_group_row(subscription_id, resource_group) is None or not authz.can(
                A.RESOURCE_GROUPS_READ, scope
            ):
                raise rbac.not_found_for(scope)
    return found


def update_workspace(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    name: str,
    *,
    friendly_name: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    location: str | None = None,
) -> Workspace:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"A description takes at most {MAX_DESCRIPTION} characters.", target="description")
    with p.db.write() as session:
        row = HierarchyRepository(session).get_workspace_row(subscription_id, resource_group, name)
        if row is None:
            raise rbac.not_found_for(Scope(subscription_id, resource_group, name))
        if location is not None and check_location(location).lower() != row.location.lower():
            raise ValidationError(
                f"A workspace cannot move: '{name}' is in location '{row.location}'.", target="location"
            )
        if friendly_name is not None:
            row.friendly_name = friendly_name[:255]
        if description is not None:
            row.description = description
        if tags is not None:
            row.tags = check_tags(tags)
        row.updated_at = utcnow()
        return row.to_entity()


def delete_workspace(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    name: str,
    *,
    delete_dependent_resources: bool = False,
) -> WorkspaceDeletion:
    scope = Scope(subscription_id, resource_group, name)
    with p.db.write() as session:
        repo = HierarchyRepository(session)
        row = repo.get_workspace_row(subscription_id, resource_group, name, lock=True)
        if row is None:
            raise rbac.not_found_for(scope)
        workspace = row.to_entity()
        if delete_dependent_resources:
            removed, kept = repo.delete_resources(row.id), []
        else:
            removed, kept = [], repo.orphan_resources(row.id, workspace.scope.path)
        repo.delete(row)
    if delete_dependent_resources:
        p.blobs.delete_prefix(storage_prefix(workspace.id))
    rbac.remove_assignments_under(p.db, workspace.scope)
    return WorkspaceDeletion(workspace, removed, kept)


def delete_resource_group(p: Platform, subscription_id: str, name: str) -> list[WorkspaceDeletion]:
    """Delete a resource group and everything in it, supporting resources included (as Azure does)."""
    group = get_resource_group(p, subscription_id, name)
    with p.db.read() as session:
        inside = HierarchyRepository(session).list_workspaces(subscription_id, group.name)
    deleted = [
        delete_workspace(p, subscription_id, group.name, w.name, delete_dependent_resources=True) for w in inside
    ]
    with p.db.write() as session:
        repo = HierarchyRepository(session)
        row = repo.get_resource_group_row(subscription_id, name)
        if row is not None:
            repo.delete(row)
    rbac.remove_assignments_under(p.db, group.scope)
    return deleted
