"""Datastores: named places of a workspace where data lives (``azureml.core.Datastore``).

Every workspace has ``workspaceblobstore`` (its default) and ``workspacefilestore``; more are
registered with ``Datastore.register_local`` (a folder of the server's host, under the roots
its administrator allows), ``register_s3`` or ``register_azure_blob_container`` (stored, but
not reachable from this installation). Credentials go to the workspace's vault, never into the
datastore: ``datastore.credentials`` names the secret. Files go in and out through the server
(:mod:`mlyard.sdk.datastore_files`).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import DatastoreNotSupported
from mlyard.sdk.client import seg
from mlyard.sdk.datastore_files import DatastoreFilesMixin

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

# Attributes that Azure ML's typed datastores have, filled from the properties when present (a
# local datastore's folder is ``properties["path"]``: ``path()`` is Azure's method for references).
_ATTRIBUTES = {
    "bucket": "bucket",
    "prefix": "prefix",
    "endpointUrl": "endpoint_url",
    "region": "region",
    "containerName": "container_name",
    "accountName": "account_name",
    "protocol": "protocol",
    "endpoint": "endpoint",
}


class Datastore(DatastoreFilesMixin):
    """A datastore of a workspace: ``Datastore(ws, name)``, or the default one without a name."""

    bucket: str | None = None
    prefix: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    container_name: str | None = None
    account_name: str | None = None
    protocol: str | None = None
    endpoint: str | None = None

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        body = _fetch(workspace, name)
        self._load(workspace, body)

    def _load(self, workspace: Workspace, body: dict[str, Any]) -> None:
        self.workspace = workspace
        self._details = dict(body)
        self.name: str = body["name"]
        self.datastore_type: str = body["datastoreType"]
        self.is_default: bool = bool(body.get("isDefault", False))
        self.properties: dict[str, Any] = dict(body.get("properties") or {})
        self.credentials: dict[str, Any] | None = body.get("credentials")
        self.id: str = body.get("id", "")
        created = body.get("createdAt")
        self.created_at: datetime | None = datetime.fromisoformat(created) if isinstance(created, str) else None
        for key, attribute in _ATTRIBUTES.items():
            if key in self.properties:
                setattr(self, attribute, self.properties[key])

    @classmethod
    def _from_body(cls, workspace: Workspace, body: dict[str, Any]) -> Datastore:
        store = cls.__new__(cls)
        store._load(workspace, body)
        return store

    def get_details(self) -> dict[str, Any]:
        """The datastore as the server describes it (camelCase keys; credentials by secret name only)."""
        return dict(self._details)

    # -- finding -------------------------------------------------------------------------

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

    # -- registering ---------------------------------------------------------------------

    @staticmethod
    def _register(workspace: Workspace, name: str, body: dict[str, Any], overwrite: bool) -> Datastore:
        path = f"{workspace._path}/datastores/{seg(name)}" + ("?overwrite=true" if overwrite else "")
        answer: dict[str, Any] = workspace._client.put(path, {k: v for k, v in body.items() if v is not None})
        return Datastore._from_body(workspace, answer)

    @staticmethod
    def register_local(workspace: Workspace, datastore_name: str, path: str, overwrite: bool = False) -> Datastore:
        """Register a folder of the server's host (under the roots its administrator allows)."""
        return Datastore._register(workspace, datastore_name, {"datastoreType": "local", "path": str(path)}, overwrite)

    @staticmethod
    def register_s3(
        workspace: Workspace,
        datastore_name: str,
        bucket: str,
        prefix: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        overwrite: bool = False,
    ) -> Datastore:
        """Register an S3 bucket (or a prefix in it); the server checks the credentials first."""
        body = {
            "datastoreType": "s3",
            "bucket": bucket,
            "prefix": prefix,
            "endpointUrl": endpoint_url,
            "region": region,
            "accessKeyId": access_key_id,
            "secretAccessKey": secret_access_key,
        }
        return Datastore._register(workspace, datastore_name, body, overwrite)

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace,
        datastore_name: str,
        container_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        blob_cache_timeout: int | None = None,
        grant_workspace_access: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
    ) -> Datastore:
        """Register an Azure Blob container: stored (its credentials in the vault), not reachable here.

        ``skip_validation``, ``blob_cache_timeout`` and ``grant_workspace_access`` are accepted
        and ignored: nothing reaches Azure from this installation.
        """
        if create_if_not_exists:
            raise DatastoreNotSupported(
                f"Cannot create container '{container_name}': Azure Blob support is not built in this installation."
            )
        body = {
            "datastoreType": "azure-blob",
            "containerName": container_name,
            "accountName": account_name,
            "sasToken": sas_token,
            "accountKey": account_key,
            "protocol": protocol,
            "endpoint": endpoint,
            "subscriptionId": subscription_id,
            "resourceGroup": resource_group,
        }
        return Datastore._register(workspace, datastore_name, body, overwrite)

    # -- changing ------------------------------------------------------------------------

    @staticmethod
    def set_default(workspace: Workspace, datastore_name: str) -> Datastore:
        """Make ``datastore_name`` the workspace's default datastore (``ws.set_default_datastore``)."""
        answer: dict[str, Any] = workspace._client.put(workspace._path + "/defaultDatastore", {"name": datastore_name})
        return Datastore._from_body(workspace, answer)

    def set_as_default(self) -> None:
        """Make this datastore the workspace's default."""
        self.is_default = Datastore.set_default(self.workspace, self.name).is_default

    def unregister(self) -> None:
        """Forget this datastore (and its credentials in the vault); its data stays where it is."""
        self.workspace._client.delete(f"{self.workspace._path}/datastores/{seg(self.name)}")

    def path(self, path: str | None = None, data_reference_name: str | None = None) -> DataReference:
        """A reference to ``path`` on this datastore (its root when None)."""
        return DataReference(self, data_reference_name, path)

    def __repr__(self) -> str:
        return (
            f"Datastore(name={self.name!r}, datastore_type={self.datastore_type!r}, "
            f"is_default={self.is_default}, workspace={self.workspace.name!r})"
        )


class DataReference:
    """A path on a datastore (``azureml.data.data_reference.DataReference``), as uploads answer."""

    def __init__(
        self,
        datastore: Datastore,
        data_reference_name: str | None = None,
        path_on_datastore: str | None = None,
        mode: str = "mount",
    ) -> None:
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore
        self.data_reference_name = data_reference_name or datastore.name
        self.mode = mode

    def __str__(self) -> str:
        return f"$AZUREML_DATAREFERENCE_{self.data_reference_name}"

    def __repr__(self) -> str:
        return (
            f"DataReference(datastore={self.datastore.name!r}, path_on_datastore={self.path_on_datastore!r}, "
            f"mode={self.mode!r})"
        )


def _fetch(workspace: Workspace, name: str | None) -> dict[str, Any]:
    path = workspace._path + (f"/datastores/{seg(name)}" if name is not None else "/defaultDatastore")
    body: dict[str, Any] = workspace._client.get(path)
    return body
