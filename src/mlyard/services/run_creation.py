"""A run made in one request and one transaction: with its tags, parameters, metrics and status.

The SDK makes the run's id (32 hex characters, as the server does) and sends the whole run at
once when it can — a short script's run is created, filled and completed by one request. A
retry of that request (its answer was lost, the server restarted) finds the run with that id and
stores nothing again when it is the same run; another body under a used id is a 409.

The answer is built from the values just written, not read back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import Run, RunStatus, RunType
from mlyard.core.errors import Conflict, ExperimentArchived, RunAlreadyExists, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import metrics
from mlyard.services.experiments import check_tags, get_or_create_experiment
from mlyard.services.platform import Platform
from mlyard.services.races import next_number_retried
from mlyard.services.run_changes import check_error, check_params
from mlyard.services.runs import _check_display_name, _run_not_found, new_run_id, workspace_of
from mlyard.store.runs import TrackingRepository

_RUN_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class NewRun:
    """What a client sends to make a run whole."""

    run_id: str | None = None
    display_name: str | None = None
    tags: Mapping[str, str] | None = None
    properties: Mapping[str, str] | None = None
    params: Mapping[str, object] | None = None
    parent_run_id: str | None = None
    status: RunStatus | None = None  # a final status: the run is finished in the same request
    error: dict[str, Any] | None = None
    batch_id: str | None = None
    series: Sequence[MetricSeries] = field(default_factory=tuple)


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValidationError(
            f"A run id made by a client is 32 lowercase hex characters (uuid4().hex), not {run_id!r}.",
            target="runId",
        )
    return run_id


def create_whole_run(
    p: Platform,
    actor: Principal | None,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    experiment_name: str,
    new: NewRun,
) -> tuple[Run, bool]:
    """The run, and whether this request made it (False: a retry found it already made)."""
    if new.run_id is not None:
        check_run_id(new.run_id)
    if new.status is not None and not new.status.terminal:
        raise ValidationError(
            f"A run is created Running; a status given at creation finishes it (Completed, Failed or "
            f"Canceled), not {new.status.value}.",
            target="status",
        )
    if new.error is not None and new.status is not RunStatus.FAILED:
        raise ValidationError("An error comes with status Failed.", target="error")
    error = check_error(new.error)  # the bounds update_run applies when a run fails later
    name = _check_display_name(new.display_name)
    tags, properties = check_tags(new.tags), check_tags(new.properties, target="properties")
    params = check_params(new.params) if new.params else {}
    if new.series and new.batch_id is None:
        raise ValidationError("Metrics sent with a new run need a batchId, as every batch does.", target="batchId")
    prepared, total = metrics.prepare(new.batch_id or "", new.series) if new.series else ({}, 0)
    ws = workspace_of(p, subscription_id, resource_group, workspace)

    def insert() -> tuple[Run, bool] | None:
        now = utcnow()
        with p.db.write() as session:
            repo = TrackingRepository(session)
            # Read (and on PostgreSQL lock) the experiment here: one transaction for the usual
            # case, where it exists; a missing or deleted one is left to get_or_create_experiment.
            experiment = repo.get_experiment(ws.id, experiment_name, include_deleted=True, for_update=True)
            if experiment is None or experiment.deleted_at is not None:
                return None
            if experiment.archived:
                raise ExperimentArchived(
                    f"Experiment '{experiment.name}' is archived: reactivate it (exp.reactivate() or "
                    f"'mlyard experiment reactivate -n {experiment.name}') before starting runs in it.",
                    target="experimentName",
                )
            # One statement: the next number, and whether the id is taken (a retry, or a clash).
            number, taken = repo.numbering(experiment.id, new.run_id)
            if taken:
                assert new.run_id is not None
                found = repo.get_run(ws.id, new.run_id)
                if found is None or not _same(found, experiment.id, name, tags, properties, params, new):
                    raise RunAlreadyExists(
                        f"A run with id '{new.run_id}' exists already and differs from this one: "
                        "make a new id for a new run.",
                        target="runId",
                    )
                return found, False
            experiment_id, experiment_named = experiment.id, experiment.name
            if new.parent_run_id is not None:
                parent = repo.get_run(ws.id, new.parent_run_id)
                if parent is None:
                    raise _run_not_found(ws.name, new.parent_run_id, "Parent run")
                # Children live in their parent's experiment.
                experiment_id, experiment_named = parent.experiment_id, parent.experiment_name
                if experiment_id != experiment.id:
                    number = repo.next_run_number(experiment_id)
            status = new.status or RunStatus.RUNNING
            run = Run(
                id=new.run_id or new_run_id(),
                workspace_id=ws.id,
                experiment_id=experiment_id,
                experiment_name=experiment_named,
                number=number,
                display_name=name,
                status=status,
                run_type=RunType.INTERACTIVE,
                parent_run_id=new.parent_run_id,
                created_by=actor.id if actor is not None else None,
                created_at=now,
                started_at=now,
                ended_at=now if status.terminal else None,
                tags=dict(sorted(tags.items())),
                properties=dict(sorted(properties.items())),
                params=dict(sorted(params.items())),
                error=error,
            )
            repo.add_run(run)
            if prepared:
                assert new.batch_id is not None
                metrics.store_in(session, run.id, new.batch_id, prepared, total, new=True)
            return run, True

    made = next_number_retried(insert)
    if made is None:
        # The experiment is missing (made now), or deleted (refused with the usual message).
        get_or_create_experiment(p, subscription_id, resource_group, workspace, experiment_name)
        made = next_number_retried(insert)
        if made is None:
            raise Conflict("The experiment was deleted while the run was being created: try again.")
    return made


def _same(
    found: Run,
    experiment_id: str,
    name: str | None,
    tags: Mapping[str, str],
    properties: Mapping[str, str],
    params: Mapping[str, str],
    new: NewRun,
) -> bool:
    """Whether a stored run is the one this request describes (a retry of its creation). Tags may
    have been added since, and a run created Running may have finished since."""
    return (
        (found.experiment_id == experiment_id or new.parent_run_id is not None)
        and found.display_name == name
        and found.parent_run_id == new.parent_run_id
        and all(found.tags.get(k) == v for k, v in tags.items())
        and found.properties == dict(properties)
        and found.params == dict(params)
        and (new.status is None or found.status is new.status)
    )
