"""A workspace's secrets vault: ``azureml.core.Keyvault`` over mlyard's REST API.

Get one with ``ws.get_default_keyvault()``. Secrets are versioned: setting a secret adds a
version, reading answers the newest unless ``version`` is given. Values travel only in the
bodies of reads and writes; listing answers names and versions, never values.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError
from mlyard.core.names import SECRET_NAME
from mlyard.sdk.client import Client, seg

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace


class Keyvault:
    """The secrets vault of a workspace (``Keyvault(ws)`` or ``ws.get_default_keyvault()``)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @property
    def _path(self) -> str:
        return self.workspace._path + "/secrets"

    def _secret(self, name: str) -> str:
        return f"{self._path}/{seg(SECRET_NAME.check(name, target='name'))}"

    def set_secret(self, name: str, value: str) -> dict[str, Any]:
        """Add a new version of the secret ``name`` (letters, digits and hyphens; 1 to 127).

        Answers the new version's ``{"name", "version", "createdAt", "createdBy"}`` (Azure ML answers None).
        """
        made: dict[str, Any] = self._client().put(self._secret(name), {"value": _text(name, value)})
        return made

    def set_secrets(self, secrets_batch: Mapping[str, str]) -> builtins.list[dict[str, Any]]:
        """Set several secrets at once: all of them are set, or (on any error) none."""
        if not isinstance(secrets_batch, Mapping):
            raise ValidationError("set_secrets takes a dict of secret names to values.", target="secrets_batch")
        body = {SECRET_NAME.check(name, target="name"): _text(name, value) for name, value in secrets_batch.items()}
        made: builtins.list[dict[str, Any]] = self._client().post(self._path + "/batchSet", {"secrets": body})
        return made

    def get_secret(self, name: str, version: int | None = None) -> str:
        """The secret's value: its newest version, or ``version`` (raises ``SecretNotFound``)."""
        return str(self.get_secret_details(name, version)["value"])

    def get_secret_details(self, name: str, version: int | None = None) -> dict[str, Any]:
        """The secret's value with its version and date: ``{"name", "value", "version", "createdAt"}``."""
        path = self._secret(name) + (f"/versions/{int(version)}" if version is not None else "")
        body: dict[str, Any] = self._client().get(path)
        return body

    def get_secrets(self, secrets: Iterable[str]) -> dict[str, str]:
        """The newest values of several secrets, by the names asked. If any is missing, none is
        answered: ``SecretNotFound`` lists every missing name."""
        names = [secrets] if isinstance(secrets, str) else list(secrets)
        for name in names:
            SECRET_NAME.check(name, target="name")
        body: dict[str, Any] = self._client().post(self._path + "/batchGet", {"names": names})
        values = {item["name"].lower(): str(item["value"]) for item in body["secrets"]}
        return {name: values[name.lower()] for name in names}

    def list_secrets(self) -> builtins.list[dict[str, Any]]:
        """The secrets of the vault: ``[{"name", "version", "createdAt", "createdBy"}]``, never values.

        Azure ML answers names only; the newest version and its date come as extras.
        """
        found: builtins.list[dict[str, Any]] = self._client().get(self._path)
        return found

    def list_secret_versions(self, name: str) -> builtins.list[dict[str, Any]]:
        """The live versions of one secret, oldest first, without values."""
        found: builtins.list[dict[str, Any]] = self._client().get(self._secret(name) + "/versions")
        return found

    def delete_secret(self, name: str) -> dict[str, Any]:
        """Delete the secret (every version of it); setting it again later starts a new version.

        Answers ``{"name", "deletedVersions", "deletedAt"}`` (Azure ML answers None).
        """
        gone: dict[str, Any] = self._client().delete(self._secret(name))
        return gone

    def delete_secrets(self, secrets: Iterable[str]) -> None:
        """Delete several secrets, one after the other."""
        for name in [secrets] if isinstance(secrets, str) else list(secrets):
            self.delete_secret(name)

    def _client(self) -> Client:
        return self.workspace._client

    def __repr__(self) -> str:
        return f"Keyvault(workspace={self.workspace.name!r})"


def _text(name: str, value: object) -> str:
    # The message names the secret, never the value.
    if not isinstance(value, str):
        raise ValidationError(f"The value of secret '{name}' must be a string.", target="value")
    return value
