"""``azureml.core.Run`` over mlyard's REST API: one run of an experiment.

Logging methods (``log``, ``log_list``, ..., ``get_metrics``, ``flush``) come from
:class:`~mlyard.sdk.run_metrics.RunMetricsMixin`; this module holds the run's record, tags,
properties, children and lifecycle. ``complete()``, ``fail()`` and ``cancel()`` flush queued
metrics first, so that nothing logged is lost when the run finishes.
"""

from __future__ import annotations

import builtins
import os
import uuid
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mlyard.core.entities.tracking import RunStatus
from mlyard.core.errors import RunNotFound, ValidationError
from mlyard.sdk.client import Client, seg
from mlyard.sdk.dataset_inputs import RunInputsMixin
from mlyard.sdk.metrics_queue import MetricsQueue
from mlyard.sdk.run_files import RunFilesMixin
from mlyard.sdk.run_jobs import RunJobsMixin
from mlyard.sdk.run_listing import Filter
from mlyard.sdk.run_metrics import RunMetricsMixin
from mlyard.sdk.run_start import RunStart

if TYPE_CHECKING:
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.offline_run import OfflineRun
    from mlyard.sdk.workspace import Workspace

# What a job runner sets so that Run.get_context() finds the submitted run.
CONTEXT_VARIABLES = (
    "MLYARD_RUN_ID",
    "MLYARD_ENDPOINT",
    "MLYARD_TOKEN",
    "MLYARD_SUBSCRIPTION_ID",
    "MLYARD_RESOURCE_GROUP",
    "MLYARD_WORKSPACE_NAME",
)


class Run(RunMetricsMixin, RunFilesMixin, RunJobsMixin, RunInputsMixin):
    """A run: ``Run(experiment, run_id)`` reads an existing one; ``exp.start_logging()`` starts one."""

    # A run started by start_logging() but not sent yet (see mlyard.sdk.run_start).
    _start: RunStart | None = None

    def __init__(self, experiment: Experiment, run_id: str, _details: dict[str, Any] | None = None) -> None:
        self.experiment = experiment
        self._id = run_id
        self._path = f"{experiment.workspace._path}/runs/{seg(run_id)}"
        details = _details if _details is not None else self._client.get(self._path)
        if details["experimentName"].lower() != experiment.name.lower():
            raise RunNotFound(
                f"Run '{run_id}' belongs to experiment '{details['experimentName']}', not '{experiment.name}'.",
                target="runId",
            )
        self._details = details

    @classmethod
    def _started(cls, experiment: Experiment, body: dict[str, Any]) -> Run:
        """A run whose id this SDK made, to be created on the server when first needed (see
        :mod:`mlyard.sdk.run_start`): at once, with nothing sent yet."""
        run = cls.__new__(cls)
        run.experiment = experiment
        run._id = uuid.uuid4().hex
        run._path = f"{experiment.workspace._path}/runs/{run._id}"
        run._start = RunStart(run, experiment.workspace._client, experiment._path + "/runs", {**body, "runId": run._id})
        run._metrics_queue_ = MetricsQueue(
            experiment.workspace._client, run._path, before_send=run._start.send, defer_start=True
        )
        return run

    @property  # the mixins declare a plain attribute: read-only here, set once as _id
    def id(self) -> str:  # type: ignore[override]
        """The run's id (made by this SDK for a started run, which is created on the server
        first: the id may be handed to another process or read in the studio at once)."""
        start = self._start
        if start is not None:
            start.send()
        return self._id

    @property  # the mixins declare a plain attribute; every call of theirs comes through here
    def _client(self) -> Client:  # type: ignore[override]
        """The workspace's HTTP client; a run not created on the server yet is created first, so
        that every call reaching the server finds it."""
        start = self._start
        if start is not None:
            start.send()
        client: Client = self.experiment.workspace._client
        return client

    @property
    def _details(self) -> dict[str, Any]:
        start = self._start
        if start is not None:
            start.send()
        return self._details_

    @_details.setter
    def _details(self, details: dict[str, Any]) -> None:
        self._details_ = details

    # -- getting runs ----------------------------------------------------------------------

    @classmethod
    def get_context(cls, allow_offline: bool = True) -> Run | OfflineRun:
        """The run that mlyard started this script for (from its environment variables), else an
        offline run that prints metrics and writes them under ./outputs/offline-run/."""
        env = {name: os.environ.get(name, "") for name in CONTEXT_VARIABLES}
        if all(env.values()):
            from mlyard.sdk.authentication import TokenAuthentication
            from mlyard.sdk.experiment import Experiment
            from mlyard.sdk.workspace import Workspace

            ws = Workspace(
                env["MLYARD_SUBSCRIPTION_ID"],
                env["MLYARD_RESOURCE_GROUP"],
                env["MLYARD_WORKSPACE_NAME"],
                auth=TokenAuthentication(env["MLYARD_TOKEN"]),
                endpoint=env["MLYARD_ENDPOINT"],
                _disable_service_check=True,
            )
            details = ws._client.get(f"{ws._path}/runs/{seg(env['MLYARD_RUN_ID'])}")
            return cls(Experiment(ws, details["experimentName"]), details["runId"], _details=details)
        if not allow_offline:
            missing = ", ".join(k for k, v in env.items() if not v)
            raise ValidationError(
                f"This script was not started by mlyard (missing {missing}) and allow_offline=False: "
                "submit it as a run, or allow an offline run.",
                target="allow_offline",
            )
        from mlyard.sdk.offline_run import OfflineRun

        return OfflineRun()

    @staticmethod
    def list(
        experiment: Experiment,
        type: str | None = None,
        tags: Filter = None,
        properties: Filter = None,
        status: str | None = None,
        include_children: bool = False,
    ) -> Iterator[Run]:
        """The experiment's runs, newest first; pages are fetched as the iteration goes."""
        from mlyard.sdk.run_listing import list_runs

        return list_runs(experiment, type, tags, properties, status, include_children)

    @staticmethod
    def search(
        workspace_or_experiment: Workspace | Experiment,
        filter: str | None = None,
        order_by: str | builtins.list[str] | None = None,
        max_results: int | None = None,
    ) -> Iterator[Run]:
        """Runs matching MLflow's filter grammar (``"metrics.accuracy > 0.9 and tags.team = 'vision'"``),
        in ``order_by`` order (``["metrics.accuracy DESC"]``; newest first by default), searched on
        the server; pages are fetched as the iteration goes."""
        from mlyard.sdk.run_search import search

        return search(workspace_or_experiment, filter, order_by, max_results)

    # -- the record --------------------------------------------------------------------------

    def _adopt(self, details: dict[str, Any]) -> Run:
        self._details = details
        return self

    def _patch(self, body: dict[str, Any]) -> Run:
        return self._adopt(self._client.patch(self._path, body))

    def _refresh(self) -> dict[str, Any]:
        self._adopt(self._client.get(self._path))
        return self._details

    @property
    def number(self) -> int:
        return int(self._details["runNumber"])

    @property
    def display_name(self) -> str | None:
        name = self._details.get("displayName")
        return str(name) if name is not None else None

    @display_name.setter
    def display_name(self, value: str) -> None:
        self._patch({"displayName": value})

    @property
    def status(self) -> str:
        """The status when last read; ``get_status()`` asks the server."""
        return str(self._details["status"])

    @property
    def type(self) -> str:
        return str(self._details["runType"])

    @property
    def parent(self) -> Run | None:
        parent_id = self._details.get("parentRunId")
        return Run(self.experiment, parent_id) if parent_id else None

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._details["tags"])

    @property
    def properties(self) -> dict[str, str]:
        return dict(self._details["properties"])

    def get_status(self) -> str:
        return str(self._refresh()["status"])

    def get_details(self) -> dict[str, Any]:
        """Azure-like keys: runId, runNumber, displayName, status, startTimeUtc, endTimeUtc,
        properties, tags, error, parentRunId, experimentName, ...; a submitted run adds its
        statusReason, target and job (queue place, process, exit code)."""
        details = dict(self._refresh())
        if self._is_job:
            details.update(self._job_details())
            details["inputDatasets"] = self._input_dataset_details()
        return details

    def get_tags(self) -> dict[str, str]:
        return dict(self._refresh()["tags"])

    def get_properties(self) -> dict[str, str]:
        return dict(self._refresh()["properties"])

    # -- tags and properties -----------------------------------------------------------------

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Add or change tags; tags can change at any time, even after the run finished."""
        values = {k: "" if v is None else str(v) for k, v in tags.items()}
        start = self._start
        if start is not None and start.add_tags(values):
            return
        self._patch({"tags": values})

    def tag(self, key: str, value: str | None = None) -> None:
        self.set_tags({key: value})

    def remove_tags(self, tags: builtins.list[str] | str) -> None:
        self._patch({"removeTags": [tags] if isinstance(tags, str) else list(tags)})

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add write-once properties: setting a key again to another value raises PropertyAlreadySet."""
        body = {"properties": {k: str(v) for k, v in properties.items()}}
        self._adopt(self._client.post(self._path + "/properties", body))

    # -- children ----------------------------------------------------------------------------

    def child_run(self, name: str | None = None, run_id: str | None = None, outputs: str | None = None) -> Run:
        """Start a child run (Running from now) in this run's experiment."""
        if run_id is not None:
            raise ValidationError("Run ids are made by the server: leave run_id out.", target="run_id")
        return self.create_children(1, _names=[name])[0]

    def create_children(
        self, count: int | None = None, _names: builtins.list[str | None] | None = None
    ) -> builtins.list[Run]:
        """Start ``count`` child runs at once (consecutive run numbers)."""
        made = self._client.post(self._path + "/children", {"count": count or 1, "displayNames": _names or []})
        return [Run(self.experiment, d["runId"], _details=d) for d in made]

    def get_children(self, recursive: bool = False) -> Iterator[Run]:
        """The direct children (and theirs with ``recursive``), newest first."""
        for details in self._client.get(self._path + "/children"):
            child = Run(self.experiment, details["runId"], _details=details)
            yield child
            if recursive:
                yield from child.get_children(recursive=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log write-once parameters (MLflow's ``log_params``; Azure ML v1 has no parameters):
        values are kept as text. A run not sent yet sends them with its creation."""
        values = {str(k): v if isinstance(v, str | int | float | bool) else str(v) for k, v in params.items()}
        if self._start is not None and self._start.add_params(values):
            return
        self._adopt(self._client.post(self._path + "/params", {"params": values}))

    def _finish(self, status: RunStatus, error: dict[str, Any] | None = None) -> None:
        """Store everything queued, then the final status; stop the run's metrics sender."""
        body: dict[str, Any] = {"status": status.value}
        if error is not None:
            body["error"] = error
        try:
            if self._start is None or not self._start.send_whole(body, self._metrics_queue_):
                self.flush()
                self._patch(body)
        finally:
            if self._metrics_queue_ is not None:
                self._metrics_queue_.stop()

    def complete(self, _set_status: bool = True) -> None:
        """Flush queued metrics, then mark the run Completed."""
        if _set_status:
            self._finish(RunStatus.COMPLETED)
        else:
            self.flush()

    def fail(
        self, error_details: BaseException | str | None = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """Flush queued metrics, then mark the run Failed with the error's code and message."""
        if not _set_status:
            self.flush()
            return
        error = None
        if error_details is not None or error_code is not None:
            code = error_code or (
                type(error_details).__name__ if isinstance(error_details, BaseException) else "UserError"
            )
            error = {"code": code, "message": "" if error_details is None else str(error_details)}
        self._finish(RunStatus.FAILED, error)

    def cancel(self) -> None:
        """Flush queued metrics, then mark the run Canceled (a submitted run's processes are
        stopped first: see ``RunJobsMixin._cancel_job``)."""
        if self._start is None and self._is_job:
            return self._cancel_job()
        self._finish(RunStatus.CANCELED)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: builtins.type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # A run finished inside the block (complete() called by hand) is left as it is.
        if self._start is None and RunStatus(self.status).terminal:
            self.flush()
            return
        if exc is not None:
            self.fail(error_details=exc)
        else:
            self.complete()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other._id == self._id

    def __hash__(self) -> int:
        return hash(self._id)

    def __repr__(self) -> str:
        return f"Run(Experiment: {self.experiment.name}, Id: {self.id}, Type: {self.type}, Status: {self.status})"
