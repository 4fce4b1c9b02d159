"""The workspace: ``azureml.core.Workspace`` over mlyard's REST API.

A :class:`Workspace` holds one :class:`~mlyard.sdk.client.Client` (an endpoint and a token)
that the SDK classes built on it (datastores now; experiments, models, … later) share.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlyard.core.errors import (
    InvalidConfig,
    NotFound,
    ResourceGroupAlreadyExists,
    ResourceGroupNotFound,
    WorkspaceAlreadyExists,
)
from mlyard.core.names import WORKSPACE_NAME
from mlyard.core.settings import default_home
from mlyard.sdk import hierarchy
from mlyard.sdk.authentication import AbstractAuthentication, connect
from mlyard.sdk.client import Client, workspace_path
from mlyard.sdk.config import CONFIG_CANDIDATES, WorkspaceConfig, find_config, load_config, write_config
from mlyard.sdk.workspace_assets import WorkspaceAssets


class Workspace(WorkspaceAssets):
    """A workspace of an mlyard server: ``Workspace(subscription_id, resource_group, workspace_name)``.

    The constructor fetches the workspace and raises ``WorkspaceNotFound`` when it does not
    exist (unless ``_disable_service_check``). ``auth`` defaults to ``MLYARD_TOKEN`` or the
    credentials that ``mlyard login`` saved for the endpoint; ``endpoint`` defaults to
    ``MLYARD_ENDPOINT``, then the saved default, then ``http://127.0.0.1:8765``.
    """

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        auth: AbstractAuthentication | None = None,
        _location: str | None = None,
        _disable_service_check: bool = False,
        endpoint: str | None = None,
    ) -> None:
        self._setup(connect(endpoint, auth), auth, subscription_id, resource_group, workspace_name, _location)
        if not _disable_service_check:
            self._refresh()

    def _setup(
        self,
        client: Client,
        auth: AbstractAuthentication | None,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        location: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._auth = auth
        self._subscription_id = subscription_id
        self._resource_group = resource_group
        self._name = workspace_name
        self._location = location
        self._details: dict[str, Any] | None = None
        if details is not None:
            self._adopt(details)

    def _adopt(self, details: dict[str, Any]) -> None:
        # The server's spelling wins: names match without regard to case.
        self._details = details
        self._subscription_id = details["subscriptionId"]
        self._resource_group = details["resourceGroup"]
        self._name = details["name"]
        self._location = details.get("location", self._location)

    def _refresh(self) -> dict[str, Any]:
        details: dict[str, Any] = self._client.get(self._path)
        self._adopt(details)
        return details

    @classmethod
    def _bind(cls, client: Client, auth: AbstractAuthentication | None, details: dict[str, Any]) -> Workspace:
        ws = cls.__new__(cls)
        ws._setup(client, auth, details["subscriptionId"], details["resourceGroup"], details["name"], None, details)
        return ws

    @property
    def _path(self) -> str:
        """The REST path of this workspace, under which every asset of it lives."""
        return workspace_path(self._subscription_id, self._resource_group, self._name)

    # -- getting and making workspaces ------------------------------------------------

    @staticmethod
    def create(
        name: str,
        auth: AbstractAuthentication | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        create_resource_group: bool = True,
        location: str | None = "local",
        friendly_name: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        exist_ok: bool = False,
        show_output: bool = True,
        endpoint: str | None = None,
    ) -> Workspace:
        """Create a workspace with its supporting resources (storage, vault, monitoring, registry).

        ``subscription_id`` defaults to ``MLYARD_SUBSCRIPTION_ID``, else the only subscription
        visible to you. ``resource_group`` defaults to ``f"{name}-rg"`` (Azure ML v1 derives a
        group name too); the group is created when missing if ``create_resource_group``, and
        ``ResourceGroupNotFound`` names it otherwise. With ``exist_ok`` an existing workspace of
        that name is returned instead of raising ``WorkspaceAlreadyExists``.
        """
        WORKSPACE_NAME.check(name, target="name")
        say: Callable[[str], None] = _print if show_output else _quiet
        client = connect(endpoint, auth)
        sub = hierarchy.default_subscription(client, subscription_id)
        group = resource_group or f"{name}-rg"
        if exist_ok:
            existing = _find_workspace(client, sub, group, name)
            if existing is not None:
                say(f"Found existing workspace '{existing['name']}' in resource group '{existing['resourceGroup']}'.")
                return Workspace._bind(client, auth, existing)
        if hierarchy.find_resource_group(client, sub, group) is None:
            if not create_resource_group:
                raise ResourceGroupNotFound(
                    f"Resource group '{group}' was not found in subscription '{sub}': create it first "
                    f"('mlyard group create -n {group}', or create_resource_group=True in the SDK).",
                    target="resource_group",
                )
            say(f"Deploying resource group '{group}' in subscription '{sub}'…")
            # A group made meanwhile by someone else is just as good.
            with contextlib.suppress(ResourceGroupAlreadyExists):
                hierarchy.create_resource_group(client, sub, group, location)
        say(f"Deploying workspace '{name}' with its storage, vault and monitoring…")
        body = {
            "name": name,
            "location": location,
            "friendlyName": friendly_name,
            "description": description,
            "tags": tags,
        }
        try:
            details: dict[str, Any] = client.post(workspace_path(sub, group) + "/workspaces", body)
        except WorkspaceAlreadyExists:
            if not exist_ok:
                raise
            details = client.get(workspace_path(sub, group, name))
        say(_created_summary(details))
        return Workspace._bind(client, auth, details)

    @staticmethod
    def get(
        name: str,
        auth: AbstractAuthentication | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        endpoint: str | None = None,
    ) -> Workspace:
        """An existing workspace; without ``resource_group`` the one of that name you can see."""
        client = connect(endpoint, auth)
        sub = hierarchy.default_subscription(client, subscription_id)
        if resource_group is None:
            details = hierarchy.locate_workspace(client, sub, name)
        else:
            details = client.get(workspace_path(sub, resource_group, name))
        return Workspace._bind(client, auth, details)

    @staticmethod
    def from_config(
        path: str | os.PathLike[str] | None = None,
        auth: AbstractAuthentication | None = None,
        _logger: logging.Logger | None = None,
        _file_name: str | None = None,
    ) -> Workspace:
        """The workspace named by the nearest config file.

        Looks for ``config.json``, ``.azureml/config.json`` and ``.mlyard/config.json`` in
        ``path`` (default: the working folder) and each folder above it, then in ``MLYARD_HOME``;
        ``path`` may also be the file itself, and ``_file_name`` another file name to look for.
        """
        file = _locate_config(path, _file_name)
        config = load_config(file)
        if _logger is not None:
            _logger.info("Found the config file in: %s", file)
        ws = Workspace.__new__(Workspace)
        client = connect(None, auth, config)
        ws._setup(client, auth, config.subscription_id, config.resource_group, config.workspace_name)
        ws._refresh()
        return ws

    @staticmethod
    def list(
        subscription_id: str | None = None,
        auth: AbstractAuthentication | None = None,
        resource_group: str | None = None,
        endpoint: str | None = None,
    ) -> dict[str, builtins.list[Workspace]]:
        """The workspaces you can see, by name (one name may be used in several groups).

        Without ``subscription_id``: ``MLYARD_SUBSCRIPTION_ID``, else every subscription.
        """
        client = connect(endpoint, auth)
        sub = subscription_id or os.environ.get(hierarchy.SUBSCRIPTION_ENV)
        if resource_group is not None and sub is None:
            sub = hierarchy.default_subscription(client)
        out: dict[str, builtins.list[Workspace]] = {}
        for details in hierarchy.list_workspaces(client, sub, resource_group):
            out.setdefault(details["name"], []).append(Workspace._bind(client, auth, details))
        return out

    # -- this workspace ---------------------------------------------------------------

    def write_config(self, path: str | os.PathLike[str] | None = None, file_name: str | None = None) -> Path:
        """Write ``.azureml/config.json`` (with the endpoint) under ``path``, default the working folder."""
        config = WorkspaceConfig(self._subscription_id, self._resource_group, self._name, self.endpoint)
        return write_config(config, path, file_name)

    def get_details(self) -> dict[str, Any]:
        """The server's description of the workspace (camelCase keys, as Azure's)."""
        return dict(self._refresh())

    def update(
        self,
        friendly_name: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change what was given; ``tags`` replaces the tags. Answers the new details."""
        body = {
            key: value
            for key, value in (("friendlyName", friendly_name), ("description", description), ("tags", tags))
            if value is not None
        }
        details: dict[str, Any] = self._client.patch(self._path, body)
        self._adopt(details)
        return dict(details)

    def delete(self, delete_dependent_resources: bool = False, no_wait: bool = False) -> dict[str, Any]:
        """Delete the workspace; its supporting resources are kept unless asked.

        Answers ``{"workspace", "removed", "kept"}``: kept resources stay where they are
        (``location``), marked Orphaned. Deletion is immediate, so ``no_wait`` changes nothing.
        """
        answer: dict[str, Any] = self._client.delete(
            self._path, deleteDependentResources=str(delete_dependent_resources).lower()
        )
        return answer

    # -- properties -------------------------------------------------------------------

    def _detail(self, key: str) -> Any:
        details = self._details if self._details is not None else self._refresh()
        return details.get(key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def subscription_id(self) -> str:
        return self._subscription_id

    @property
    def resource_group(self) -> str:
        return self._resource_group

    @property
    def endpoint(self) -> str:
        """The mlyard server this workspace lives on."""
        return self._client.endpoint

    @property
    def location(self) -> str:
        return self._location or str(self._detail("location"))

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._detail("tags") or {})

    @property
    def friendly_name(self) -> str:
        return str(self._detail("friendlyName") or "")

    @property
    def description(self) -> str:
        return str(self._detail("description") or "")

    @property
    def discovery_url(self) -> str:
        return str(self._detail("discoveryUrl") or "")

    def _key(self) -> tuple[str, str, str, str]:
        return (self.endpoint, self._subscription_id.lower(), self._resource_group.lower(), self._name.lower())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Workspace.create(name={self._name!r}, subscription_id={self._subscription_id!r}, "
            f"resource_group={self._resource_group!r})"
        )


def _print(line: str) -> None:
    print(line, flush=True)


def _quiet(line: str) -> None:
    del line


def _find_workspace(client: Client, sub: str, group: str, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.get(workspace_path(sub, group, name))
    except NotFound:
        return None
    return found


def _created_summary(details: dict[str, Any]) -> str:
    by_kind = {r["kind"]: r for r in details.get("supportingResources", [])}

    def named(kind: str) -> str:
        found = by_kind.get(kind)
        return f"'{found['name']}'" if found else "(none)"

    registry = by_kind.get("environmentRegistry")
    tail = f"; environment registry '{registry['name']}' is created on first use" if registry else ""
    return (
        f"Created workspace '{details['name']}' in resource group '{details['resourceGroup']}' with storage "
        f"{named('storage')}, vault {named('vault')}, monitoring {named('monitoring')}{tail}."
    )


def _locate_config(path: str | os.PathLike[str] | None, file_name: str | None) -> Path:
    names = CONFIG_CANDIDATES if file_name is None else (file_name, f".azureml/{file_name}", f".mlyard/{file_name}")
    start = Path(path).expanduser().resolve() if path is not None else Path.cwd()
    found = find_config(path) if file_name is None else _search(start, names)
    if found is not None:
        return found
    raise InvalidConfig(
        f"No workspace config file found: looked for {', '.join(names)} in '{start}' and each folder above it, "
        f"then in '{default_home()}'. Make one with ws.write_config() (after Workspace.get or Workspace.create), "
        "or run 'mlyard up', which writes one for its default workspace.",
        target=str(start),
    )


def _search(start: Path, names: tuple[str, ...]) -> Path | None:
    if start.is_file():
        return start
    for folder in (start, *start.parents, default_home()):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None
