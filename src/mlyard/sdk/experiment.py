"""``azureml.core.Experiment`` over mlyard's REST API: a named group of runs in a workspace.

``Experiment(ws, name)`` does not call the server: the experiment is made by its first run
(``start_logging``), or on first use of a property that needs it (``id``, ``tags``, ...).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ExperimentArchived, ValidationError
from mlyard.sdk.client import Client, seg

if TYPE_CHECKING:
    from mlyard.sdk.run import Run
    from mlyard.sdk.script_run_config import ScriptRunConfig
    from mlyard.sdk.workspace import Workspace

_VIEWS = {"activeonly": "active", "archivedonly": "archived", "all": "all"}


class Experiment:
    """The experiment ``name`` of ``workspace`` (created on first use, as in Azure ML)."""

    def __init__(self, workspace: Workspace, name: str, _details: dict[str, Any] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValidationError("An experiment needs a name (a non-empty string).", target="name")
        self.workspace = workspace
        self._name = name
        self._details = _details

    # -- the server's record -------------------------------------------------------------

    @property
    def _client(self) -> Client:
        return self.workspace._client

    @property
    def _path(self) -> str:
        return f"{self.workspace._path}/experiments/{seg(self._name)}"

    def _ensure(self) -> dict[str, Any]:
        if self._details is None:
            self._adopt(self._client.post(self.workspace._path + "/experiments", {"name": self._name}))
        assert self._details is not None
        return self._details

    def _adopt(self, details: dict[str, Any]) -> None:
        self._details = details
        self._name = details["name"]

    def refresh(self) -> None:
        """Read the experiment again (archived state, tags)."""
        self._adopt(self._client.get(self._path))

    @property
    def name(self) -> str:
        return self._name

    @property
    def id(self) -> str:
        return str(self._ensure()["id"])

    @property
    def archived(self) -> bool:
        return bool(self._ensure()["archived"])

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._ensure()["tags"])

    # -- Azure ML's methods ----------------------------------------------------------------

    @staticmethod
    def list(
        workspace: Workspace, experiment_name: str | None = None, view_type: str = "ActiveOnly"
    ) -> builtins.list[Experiment]:
        """The workspace's experiments: ``view_type`` is ActiveOnly (default), ArchivedOnly or All."""
        view = _VIEWS.get(view_type.lower().replace("_", ""))
        if view is None:
            raise ValidationError("view_type is 'ActiveOnly', 'ArchivedOnly' or 'All'.", target="view_type")
        found = workspace._client.get(workspace._path + "/experiments", view=view)
        return [
            Experiment(workspace, d["name"], d)
            for d in found
            if experiment_name is None or d["name"].lower() == experiment_name.lower()
        ]

    def start_logging(
        self,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        snapshot_directory: str | None = None,
        outputs: str | None = None,
    ) -> Run:
        """Start an interactive run (Running from now). ``snapshot_directory`` and ``outputs`` are
        accepted for Azure ML's signature; snapshots come with the run files of a later release.

        Returns at once: the run's id is made here and its creation is sent when first needed,
        or with its final status when it finishes first (see ``mlyard.sdk.run_start``)."""
        from mlyard.sdk.run import Run

        if self._details is not None and self._details.get("archived"):
            # Known here already: say so now rather than when the run is first sent.
            raise ExperimentArchived(
                f"Experiment '{self.name}' is archived: reactivate it (exp.reactivate() or "
                f"'mlyard experiment reactivate -n {self.name}') before starting runs in it.",
                target="experimentName",
            )
        return Run._started(self, {"displayName": display_name, "tags": dict(tags) if tags else None})

    def submit(self, config: ScriptRunConfig, tags: Mapping[str, str] | None = None, **kwargs: Any) -> Run:
        """Submit a ``ScriptRunConfig``: its source directory is snapshotted and the run queued
        (``run.wait_for_completion(show_output=True)`` streams its output)."""
        from mlyard.sdk.script_run_config import submit

        return submit(self, config, tags, **kwargs)

    def get_runs(
        self,
        type: str | None = None,
        tags: str | Mapping[str, str] | builtins.list[str] | None = None,
        properties: str | Mapping[str, str] | builtins.list[str] | None = None,
        include_children: bool = False,
        status: str | None = None,
        filter: str | None = None,
        order_by: str | builtins.list[str] | None = None,
    ) -> Iterator[Run]:
        """The experiment's runs, newest first, fetched a page at a time as you iterate.

        ``tags``/``properties``: a key (any value), a list of keys, or a dict of key -> value.
        ``filter``/``order_by``: MLflow's search grammar, searched on the server (``Run.search``);
        given, they take every run of the experiment, children included, and the other
        arguments are refused.
        """
        from mlyard.sdk.run import Run

        if filter is not None or order_by is not None:
            if type is not None or tags is not None or properties is not None or status is not None:
                raise ValidationError(
                    "Pass either filter/order_by or type/tags/properties/status: write them into the filter "
                    "(\"tags.team = 'vision' and attributes.status = 'Completed'\").",
                    target="filter",
                )
            return Run.search(self, filter=filter, order_by=order_by)
        return Run.list(
            self, type=type, tags=tags, properties=properties, include_children=include_children, status=status
        )

    def archive(self) -> None:
        """Hide the experiment from default listings; it takes no new runs until reactivated."""
        self._adopt(self._client.patch(self._path, {"archived": True}))

    def reactivate(self, new_name: str | None = None) -> None:
        if new_name is not None:
            raise ValidationError("Renaming on reactivation is not supported: leave new_name out.", target="new_name")
        self._adopt(self._client.patch(self._path, {"archived": False}))

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Add or change tags (others are kept)."""
        self._ensure()
        self._adopt(self._client.patch(self._path, {"tags": {k: str(v) for k, v in tags.items()}}))

    def tag(self, key: str, value: str | None = None) -> None:
        """Set one tag; without a value the tag is a bare label (an empty value)."""
        self.set_tags({key: "" if value is None else value})

    def remove_tags(self, tags: builtins.list[str]) -> None:
        self._ensure()
        self._adopt(self._client.patch(self._path, {"removeTags": list(tags)}))

    @staticmethod
    def delete(workspace: Workspace, experiment_name: str) -> None:
        """Delete (softly: restorable) the experiment and hide its runs."""
        workspace._client.delete(f"{workspace._path}/experiments/{seg(experiment_name)}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and (other.workspace, other.name.lower()) == (
            self.workspace,
            self.name.lower(),
        )

    def __hash__(self) -> int:
        return hash((self.workspace, self.name.lower()))

    def __repr__(self) -> str:
        return f"Experiment(Name: {self.name}, Workspace: {self.workspace.name})"
