"""Datastores: named places of a workspace where data lives (``azureml.core.Datastore``).

Read-only for now: every workspace has ``workspaceblobstore`` (its default) and
``workspacefilestore``. Registering, uploading and downloading come with the data work;
:meth:`Datastore._from_body` is where a typed subclass per ``datastore_type`` will be chosen.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlyard.sdk.client import seg

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace


class Datastore:
    """A datastore of a workspace: ``Datastore(ws, name)``, or the default one without a name."""

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        body = _fetch(workspace, name)
        self._load(workspace, body)

    def _load(self, workspace: Workspace, body: dict[str, Any]) -> None:
        self.workspace = workspace
        self.name: str = body["name"]
        self.datastore_type: str = body["datastoreType"]
        self.is_default: bool = bool(body.get("isDefault", False))
        self.properties: dict[str, Any] = dict(body.get("properties") or {})
        self.id: str = body.get("id", "")
        created = body.get("createdAt")
        self.created_at: datetime | None = datetime.fromisoformat(created) if isinstance(created, str) else None

    @classmethod
    def _from_body(cls, workspace: Workspace, body: dict[str, Any]) -> Datastore:
        store = cls.__new__(cls)
        store._load(workspace, body)
        return store

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        """The datastore of that name (raises ``DatastoreNotFound``)."""
        return Datastore._from_body(workspace, _fetch(workspace, datastore_name))

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return Datastore._from_body(workspace, _fetch(workspace, None))

    @staticmethod
    def list(workspace: Workspace) -> builtins.list[Datastore]:
        bodies: builtins.list[dict[str, Any]] = workspace._client.get(workspace._path + "/datastores")
        return [Datastore._from_body(workspace, b) for b in bodies]

    def __repr__(self) -> str:
        return (
            f"Datastore(name={self.name!r}, datastore_type={self.datastore_type!r}, "
            f"is_default={self.is_default}, workspace={self.workspace.name!r})"
        )


def _fetch(workspace: Workspace, name: str | None) -> dict[str, Any]:
    path = workspace._path + (f"/datastores/{seg(name)}" if name is not None else "/defaultDatastore")
    body: dict[str, Any] = workspace._client.get(path)
    return body
