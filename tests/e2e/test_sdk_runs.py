"""The SDK's ``Experiment`` and ``Run`` against a real server, used as in an Azure ML v1 script."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from tests.fixtures.server import RunningServer

from mlyard import Experiment, OfflineRun, Run, ValidationError, Workspace
from mlyard.core.errors import ExperimentArchived, PropertyAlreadySet, RunNotFound, RunNotWritable

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"runs-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def test_start_logging_tags_properties_and_complete(ws: Workspace) -> None:
    exp = Experiment(ws, "train")
    run = exp.start_logging(display_name="first", tags={"team": "vision"})
    assert len(run.id) == 32 and run.number == 1 and run.display_name == "first"
    assert run.status == "Running" and run.experiment == exp and run.parent is None
    run.set_tags({"a": "1"})
    run.tag("label")
    run.remove_tags(["team"])
    assert run.tags == {"a": "1", "label": ""}
    run.add_properties({"dataset": "v1"})
    run.add_properties({"dataset": "v1"})  # the same value again is fine
    with pytest.raises(PropertyAlreadySet, match="'dataset'"):
        run.add_properties({"dataset": "v2"})
    run.complete()
    assert run.get_status() == "Completed"
    details = run.get_details()
    assert details["runId"] == run.id and details["startTimeUtc"] and details["endTimeUtc"]
    assert details["properties"] == {"dataset": "v1"}
    run.set_tags({"late": "ok"})  # tags still change after the end
    with pytest.raises(RunNotWritable, match="Completed"):
        run.fail()
    assert "train" in ws.experiments and exp.id == ws.experiments["train"].id


def test_fail_cancel_and_the_context_manager(ws: Workspace) -> None:
    exp = Experiment(ws, "life")
    failing = exp.start_logging()
    failing.fail(error_details="bad data", error_code="DataError")
    assert failing.get_details()["error"] == {"code": "DataError", "message": "bad data"}
    canceled = exp.start_logging()
    canceled.cancel()
    assert canceled.get_status() == "Canceled"
    with exp.start_logging() as ok:
        pass
    assert ok.get_status() == "Completed"
    with pytest.raises(RuntimeError), exp.start_logging() as broken:
        raise RuntimeError("diverged")
    assert broken.get_status() == "Failed"
    assert broken.get_details()["error"] == {"code": "RuntimeError", "message": "diverged"}
    with exp.start_logging() as done_by_hand:
        done_by_hand.complete()
    assert done_by_hand.get_status() == "Completed"


def test_children_get_runs_filters_and_run_by_id(ws: Workspace) -> None:
    exp = Experiment(ws, "search")
    parent = exp.start_logging(tags={"kind": "sweep"})
    child = parent.child_run("trial-0")
    more = parent.create_children(2)
    assert child.parent == parent and child.display_name == "trial-0"
    assert {c.id for c in parent.get_children()} == {child.id, *(m.id for m in more)}
    other = exp.start_logging(tags={"kind": "single"})
    other.add_properties({"best": "yes"})
    other.complete()
    assert [r.id for r in exp.get_runs()] == [other.id, parent.id]
    assert len(list(exp.get_runs(include_children=True))) == 5
    assert [r.id for r in exp.get_runs(tags={"kind": "sweep"})] == [parent.id]
    assert [r.id for r in exp.get_runs(tags="kind")] == [other.id, parent.id]
    assert [r.id for r in exp.get_runs(properties={"best": "yes"})] == [other.id]
    assert [r.id for r in exp.get_runs(status="Completed")] == [other.id]
    again = Run(exp, parent.id)
    assert again == parent and again.tags == {"kind": "sweep"} and again.number == parent.number
    with pytest.raises(RunNotFound):
        Run(exp, "f" * 32)
    with pytest.raises(RunNotFound, match="belongs to experiment"):
        Run(Experiment(ws, "elsewhere"), parent.id)


def test_archive_reactivate_and_experiment_tags(ws: Workspace) -> None:
    exp = Experiment(ws, "old")
    exp.set_tags({"owner": "ana"})
    exp.tag("draft")
    assert exp.tags == {"owner": "ana", "draft": ""}
    exp.archive()
    assert exp.archived and "old" not in ws.experiments
    assert [e.name for e in Experiment.list(ws, view_type="ArchivedOnly")] == ["old"]
    with pytest.raises(ExperimentArchived):
        exp.start_logging()
    exp.reactivate()
    assert not exp.archived and exp.start_logging().number == 1


def test_get_context_is_offline_outside_mlyard_and_writes_jsonl(server_env: RunningServer, tmp_path: Path) -> None:
    run = Run.get_context()
    assert isinstance(run, OfflineRun)
    with run:
        run.log("loss", 0.5)
        run.log("loss", float("nan"))
        run.log_list("accs", [0.1, 0.2])
    assert run.get_status() == "Completed"
    lines = [json.loads(x) for x in (tmp_path / "outputs" / "offline-run" / "metrics.jsonl").read_text().splitlines()]
    assert [(x["name"], x["value"]) for x in lines] == [("loss", 0.5), ("loss", "nan"), ("accs", [0.1, 0.2])]
    with pytest.raises(ValidationError, match="MLYARD_RUN_ID"):
        Run.get_context(allow_offline=False)


def test_get_context_finds_the_submitted_run(
    ws: Workspace, server_env: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = Experiment(ws, "job").start_logging()
    env = {
        "MLYARD_RUN_ID": started.id,
        "MLYARD_ENDPOINT": server_env.endpoint,
        "MLYARD_TOKEN": server_env.token,
        "MLYARD_SUBSCRIPTION_ID": ws.subscription_id,
        "MLYARD_RESOURCE_GROUP": ws.resource_group,
        "MLYARD_WORKSPACE_NAME": ws.name,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    run = Run.get_context()
    assert isinstance(run, Run) and run.id == started.id and run.experiment.name == "job"
    run.complete()
    assert started.get_status() == "Completed"
