"""Run search over ``POST .../runs/search``: MLflow's filter grammar, ordering, pages as you iterate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError
from mlyard.sdk.paging import paged

if TYPE_CHECKING:
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.run import Run
    from mlyard.sdk.workspace import Workspace


def search_records(
    workspace: Workspace,
    experiment_names: Sequence[str] | None = None,
    filter: str | None = None,
    order_by: str | Sequence[str] | None = None,
    max_results: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The server's records of the matching runs (with ``metrics``), at most ``max_results``."""
    if max_results is not None and max_results < 1:
        raise ValidationError("max_results is a positive number (or None for every match).", target="max_results")
    orders = [order_by] if isinstance(order_by, str) else list(order_by or [])

    def fetch(token: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
        body: dict[str, Any] = {"filter": filter, "orderBy": orders, "maxResults": size}
        if experiment_names is not None:
            body["experimentNames"] = list(experiment_names)
        if token:
            body["pageToken"] = token
        page = workspace._client.post(workspace._path + "/runs/search", body)
        return page["runs"], page.get("nextPageToken")

    yield from paged(fetch, max_results)


def search(
    workspace_or_experiment: Workspace | Experiment,
    filter: str | None = None,
    order_by: str | Sequence[str] | None = None,
    max_results: int | None = None,
) -> Iterator[Run]:
    """``Run`` objects of a search over a workspace, or over one experiment's runs."""
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.run import Run

    if isinstance(workspace_or_experiment, Experiment):
        workspace, names = workspace_or_experiment.workspace, [workspace_or_experiment.name]
    else:
        workspace, names = workspace_or_experiment, None
    experiments: dict[str, Experiment] = {}
    for details in search_records(workspace, names, filter, order_by, max_results):
        name = details["experimentName"]
        experiment = experiments.setdefault(name.lower(), Experiment(workspace, name))
        yield Run(experiment, details["runId"], _details=details)
