"""Datastores: where a workspace's data lives. Every workspace starts with two of its own."""

from __future__ import annotations

from mlyard.core.entities.hierarchy import Datastore
from mlyard.core.errors import DatastoreNotFound
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.datastores import DatastoreRepository


def list_datastores(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> list[Datastore]:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        return DatastoreRepository(session).list(ws.id)


def get_datastore(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> Datastore:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = DatastoreRepository(session).get(ws.id, name)
    if found is None:
        raise DatastoreNotFound(f"Datastore '{name}' was not found in workspace '{ws.name}'.", target="name")
    return found


def get_default_datastore(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> Datastore:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = DatastoreRepository(session).get_default(ws.id)
    if found is None:
        raise DatastoreNotFound(f"Workspace '{ws.name}' has no default datastore.", target="name")
    return found
