"""MLflow's artifact proxy through its service: SQLite and PostgreSQL, each over the file and the S3 store."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.fixtures.moto import MotoS3

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import (
    InvalidFileName,
    RunFileNotFound,
    RunNotFound,
    RunNotWritable,
    ValidationError,
    WorkspaceNotFound,
)
from mlyard.services import mlflow_artifacts as artifacts
from mlyard.services import run_changes, run_files, runs, subscriptions, workspaces
from mlyard.services.mlflow_artifacts import ArtifactEntry
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store

WS = ("sub1", "rg1", "ws1")


@pytest.fixture(params=["file", "s3"])
def files_platform(request: pytest.FixtureRequest, platform: Platform) -> Platform:
    if request.param == "file":
        return platform
    moto: MotoS3 = request.getfixturevalue("moto_server")
    return replace(platform, blobs=open_blob_store(f"s3://{moto.create_bucket()}/blobs", **moto.store_options()))


@pytest.fixture
def run(files_platform: Platform, admin: Principal) -> Run:
    subscriptions.create_subscription(files_platform, admin, "sub1")
    subscriptions.create_resource_group(files_platform, admin, "sub1", "rg1")
    workspaces.create_workspace(files_platform, admin, *WS)
    return runs.create_run(files_platform, admin, *WS, "exp")


def root(run: Run) -> str:
    return f"{run.experiment_id}/{run.id}/artifacts"


def read(p: Platform, path: str) -> bytes:
    return b"".join(artifacts.open_artifact(p, *WS, path)[1])


def test_artifacts_are_the_runs_files_both_ways(files_platform: Platform, run: Run) -> None:
    p = files_platform
    run_files.upload(p, run, "outputs/from-sdk.txt", [b"sdk"])
    stored = artifacts.upload_artifact(p, *WS, f"{root(run)}/outputs/from-mlflow.txt", [b"ml", b"flow"])
    assert (stored.name, stored.size) == ("outputs/from-mlflow.txt", 6)
    assert read(p, f"{root(run)}/outputs/from-sdk.txt") == b"sdk"
    assert b"".join(run_files.open_file(p, run, "outputs/from-mlflow.txt")[1]) == b"mlflow"
    info, _ = run_files.open_file(p, run, "outputs/from-mlflow.txt")
    assert info.xxh128 is not None  # digested on the way in, like any run file


def test_an_upload_replaces_a_file_of_the_same_name(files_platform: Platform, run: Run) -> None:
    p = files_platform
    artifacts.upload_artifact(p, *WS, f"{root(run)}/a.txt", [b"one"])
    artifacts.upload_artifact(p, *WS, f"{root(run)}/a.txt", [b"two"])
    assert read(p, f"{root(run)}/a.txt") == b"two"


def test_a_listing_is_one_folder_level_with_base_names(files_platform: Platform, run: Run) -> None:
    p = files_platform
    for name, data in [("a.txt", b"1"), ("plots/b.png", b"22"), ("plots/sub/c.png", b"333"), ("z/y/x", b"")]:
        artifacts.upload_artifact(p, *WS, f"{root(run)}/{name}", [data])
    assert artifacts.list_artifacts(p, *WS, root(run)) == [
        ArtifactEntry("a.txt", False, 1),
        ArtifactEntry("plots", True, None),
        ArtifactEntry("z", True, None),
    ]
    expected = [ArtifactEntry("b.png", False, 2), ArtifactEntry("sub", True, None)]
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/plots") == expected
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/plots/") == expected
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/z/y") == [ArtifactEntry("x", False, 0)]
    # MLflow lists nothing for a file, a missing folder, or a string prefix that is not a folder.
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/a.txt") == []
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/nothing") == []
    assert artifacts.list_artifacts(p, *WS, f"{root(run)}/plot") == []


def test_a_new_run_lists_nothing(files_platform: Platform, run: Run) -> None:
    assert artifacts.list_artifacts(files_platform, *WS, root(run)) == []
    assert artifacts.list_artifacts(files_platform, *WS, root(run) + "/") == []


def test_a_missing_artifact_or_a_folder_is_not_found(files_platform: Platform, run: Run) -> None:
    p = files_platform
    artifacts.upload_artifact(p, *WS, f"{root(run)}/plots/b.png", [b"x"])
    for name in ("nope.txt", "plots"):
        with pytest.raises(RunFileNotFound, match=f"no artifact '{name}'"):
            artifacts.open_artifact(p, *WS, f"{root(run)}/{name}")


def test_the_path_must_name_a_run_of_that_experiment(files_platform: Platform, run: Run, admin: Principal) -> None:
    p = files_platform
    other = runs.create_run(p, admin, *WS, "other-exp")
    run_files.upload(p, run, "a.txt", [b"secret"])
    wrong = f"{other.experiment_id}/{run.id}/artifacts"
    with pytest.raises(RunNotFound, match=f"Experiment '{other.experiment_id}'.*no run '{run.id}'"):
        artifacts.open_artifact(p, *WS, f"{wrong}/a.txt")
    with pytest.raises(RunNotFound):
        artifacts.list_artifacts(p, *WS, wrong)
    with pytest.raises(RunNotFound):
        artifacts.upload_artifact(p, *WS, f"{wrong}/b.txt", [b"x"])
    with pytest.raises(RunNotFound):
        artifacts.delete_artifacts(p, *WS, f"{wrong}/a.txt")
    with pytest.raises(RunNotFound):
        artifacts.list_artifacts(p, *WS, f"{run.experiment_id}/{'f' * 32}/artifacts")
    with pytest.raises(WorkspaceNotFound):
        artifacts.list_artifacts(p, "sub1", "rg1", "elsewhere", root(run))
    assert [f.name for f in run_files.list_files(p, run)] == ["a.txt"]
    assert run_files.list_files(p, other) == []


@pytest.mark.parametrize("name", ["../a.txt", "x/../../a.txt", "/abs", "a//b", ".."])
def test_names_that_leave_the_run_are_refused(files_platform: Platform, run: Run, name: str) -> None:
    p = files_platform
    path = f"{root(run)}/{name}"
    with pytest.raises(InvalidFileName):
        artifacts.upload_artifact(p, *WS, path, [b"x"])
    with pytest.raises(InvalidFileName):
        artifacts.open_artifact(p, *WS, path)
    with pytest.raises(InvalidFileName):
        artifacts.list_artifacts(p, *WS, path)
    with pytest.raises(InvalidFileName):
        artifacts.delete_artifacts(p, *WS, path)
    assert [b.key for b in p.blobs.list(run_files.run_prefix(run))] == []


def test_a_path_outside_run_artifacts_is_refused(files_platform: Platform, run: Run) -> None:
    for path in ("", run.experiment_id, f"{run.experiment_id}/{run.id}", f"{run.experiment_id}/models/m/artifacts"):
        with pytest.raises(ValidationError, match="mlyard serves run artifacts"):
            artifacts.list_artifacts(files_platform, *WS, path)


def test_a_finished_run_refuses_uploads_but_still_reads_and_deletes(files_platform: Platform, run: Run) -> None:
    p = files_platform
    artifacts.upload_artifact(p, *WS, f"{root(run)}/a.txt", [b"a"])
    artifacts.upload_artifact(p, *WS, f"{root(run)}/b.txt", [b"b"])
    run_changes.update_run(p, *WS, run.id, status=RunStatus.COMPLETED)
    with pytest.raises(RunNotWritable, match="Completed"):
        artifacts.upload_artifact(p, *WS, f"{root(run)}/a.txt", [b"changed"])
    assert read(p, f"{root(run)}/a.txt") == b"a"
    assert artifacts.delete_artifacts(p, *WS, f"{root(run)}/b.txt") == 1
    assert [e.path for e in artifacts.list_artifacts(p, *WS, root(run))] == ["a.txt"]


def test_delete_takes_a_file_a_folder_or_the_root(files_platform: Platform, run: Run) -> None:
    p = files_platform
    for name in ("a.txt", "plots/b.png", "plots/sub/c.png", "plotsx/d.png"):
        artifacts.upload_artifact(p, *WS, f"{root(run)}/{name}", [b"x"])
    assert artifacts.delete_artifacts(p, *WS, f"{root(run)}/nothing") == 0
    assert artifacts.delete_artifacts(p, *WS, f"{root(run)}/plots") == 2
    assert [f.name for f in run_files.list_files(p, run)] == ["a.txt", "plotsx/d.png"]
    assert artifacts.delete_artifacts(p, *WS, f"{root(run)}/a.txt") == 1
    with pytest.raises(RunFileNotFound):
        run_files.open_file(p, run, "a.txt")
    assert artifacts.delete_artifacts(p, *WS, root(run)) == 1
    assert [b.key for b in p.blobs.list(run_files.run_prefix(run))] == []  # digests went too
