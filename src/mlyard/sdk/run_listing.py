"""Finding runs by listing: an experiment's runs, the workspace's, one run by its id alone.
(Search over MLflow's filter grammar is in :mod:`mlyard.sdk.run_search`.)"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mlyard.sdk.client import Client, seg
from mlyard.sdk.paging import paged

if TYPE_CHECKING:
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.run import Run
    from mlyard.sdk.workspace import Workspace

Filter = str | Mapping[str, str] | builtins.list[str] | None


def filter_params(values: Filter) -> builtins.list[str] | None:
    """Azure's tag/property filters as query values: 'key' (any value) or 'key=value'."""
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    if isinstance(values, Mapping):
        return [f"{k}={v}" for k, v in values.items()]
    return [str(v) for v in values]


def _records(client: Client, path: str, top: int | None = None, **params: Any) -> Iterator[dict[str, Any]]:
    """The records of a cursor-paged run listing, at most ``top`` (pages fetched as they are read)."""

    def fetch(cursor: str | None, size: int) -> tuple[builtins.list[dict[str, Any]], str | None]:
        page = client.get(path, **params, cursor=cursor, top=size)
        return page["value"], page.get("nextCursor")

    # Small pages when reading everything: a loop that stops early has fetched less.
    yield from paged(fetch, top, page_size=200)


def list_runs(
    experiment: Experiment,
    type: str | None = None,
    tags: Filter = None,
    properties: Filter = None,
    status: str | None = None,
    include_children: bool = False,
) -> Iterator[Run]:
    """``Run.list``: the experiment's runs, newest first."""
    from mlyard.sdk.run import Run

    for details in _records(
        experiment.workspace._client,
        experiment._path + "/runs",
        type=type,
        tag=filter_params(tags),
        property=filter_params(properties),
        status=status,
        includeChildren=str(include_children).lower(),
    ):
        yield Run(experiment, details["runId"], _details=details)


def get_run(workspace: Workspace, run_id: str) -> Run:
    """A run of the workspace by its id alone (its experiment is read from the run)."""
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.run import Run

    details = workspace._client.get(f"{workspace._path}/runs/{seg(run_id)}")
    return Run(Experiment(workspace, details["experimentName"]), details["runId"], _details=details)


def list_workspace_runs(
    workspace: Workspace,
    experiment_name: str | None = None,
    status: str | None = None,
    top: int | None = None,
    include_children: bool = False,
) -> Iterator[dict[str, Any]]:
    """The workspace's runs (of one experiment when named) as the server's records, newest first."""
    return _records(
        workspace._client,
        workspace._path + "/runs",
        top,
        experimentName=experiment_name,
        status=status,
        includeChildren=str(include_children).lower(),
    )


__all__ = ["Filter", "filter_params", "get_run", "list_runs", "list_workspace_runs"]
