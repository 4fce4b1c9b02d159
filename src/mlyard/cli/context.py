"""Where a command acts: the flags every workspace command shares, defaulted from config.json.

``-w/--workspace-name``, ``-g/--resource-group`` and ``--subscription`` default to the
config.json found from the working folder (see :mod:`mlyard.sdk.config`). A subscription is
also defaulted, last, from ``MLYARD_SUBSCRIPTION_ID`` or the only one the caller can see.
Later command families reuse :class:`Context` and the option aliases below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer

from mlyard.cli.output import fail
from mlyard.sdk import hierarchy
from mlyard.sdk.authentication import connect
from mlyard.sdk.client import Client
from mlyard.sdk.config import WorkspaceConfig, find_config, load_config, resolve_endpoint
from mlyard.sdk.workspace import Workspace

WorkspaceNameOption = Annotated[
    str | None,
    typer.Option("--workspace-name", "-w", help="Workspace name (default: config.json's workspace_name)."),
]
ResourceGroupOption = Annotated[
    str | None,
    typer.Option("--resource-group", "-g", help="Resource group (default: config.json's resource_group)."),
]
SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Subscription id (default: config.json's, else MLYARD_SUBSCRIPTION_ID, else your only one).",
    ),
]
TagsOption = Annotated[
    list[str] | None,
    typer.Option("--tags", help="Tags as key=value; repeat the flag or separate pairs with spaces."),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def parse_tags(values: list[str] | None) -> dict[str, str] | None:
    """``["a=1 b=2", "c=3"]`` → ``{"a": "1", "b": "2", "c": "3"}``; None when no flag was given."""
    if values is None:
        return None
    tags: dict[str, str] = {}
    for value in values:
        for pair in value.split():
            key, sep, text = pair.partition("=")
            if not sep or not key:
                fail(f"--tags takes key=value pairs; '{pair}' has no key or '='.", 2)
            tags[key] = text
    return tags


@dataclass
class Context:
    """The config.json in force and a client for its endpoint, loaded once per command."""

    config: WorkspaceConfig | None
    _client: Client | None = field(default=None, repr=False)

    @classmethod
    def load(cls) -> Context:
        found = find_config()
        return cls(load_config(found) if found is not None else None)

    @property
    def endpoint(self) -> str:
        return resolve_endpoint(None, self.config)

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = connect(None, None, self.config)
        return self._client

    def subscription(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        if self.config is not None:
            return self.config.subscription_id
        return hierarchy.default_subscription(self.client)

    def resource_group(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        if self.config is not None:
            return self.config.resource_group
        fail("No resource group given and no config.json found: pass -g/--resource-group.", 2)

    def workspace_name(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        if self.config is not None:
            return self.config.workspace_name
        fail(
            "No workspace given and no config.json found: pass -w/--workspace-name "
            "(or run in a folder with a config.json, e.g. one written by ws.write_config()).",
            2,
        )

    def workspace(self, name: str | None, group: str | None, subscription: str | None) -> Workspace:
        """The workspace named by the flags, each missing one taken from config.json."""
        ws_name = self.workspace_name(name)
        rg = self.resource_group(group)
        sub = self.subscription(subscription)
        return Workspace(sub, rg, ws_name, endpoint=self.endpoint)
