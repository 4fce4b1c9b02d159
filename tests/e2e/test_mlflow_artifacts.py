"""MLflow's artifact proxy with the real ``mlflow`` client against a real server.

A run's MLflow artifacts are its run files: what the mlyard SDK uploads, MLflow lists and
downloads, and the other way round. Most tests drive MLflow's own artifact repository
(``MlflowArtifactsRepository``, what ``mlflow.log_artifact`` uses underneath) on a run made
with the mlyard SDK; the last ones go through ``mlflow.log_artifact(s)`` and
``mlflow.artifacts.download_artifacts`` on a run that mlflow started.
"""

from __future__ import annotations

import filecmp
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository
from mlflow.tracking import MlflowClient
from requests import HTTPError
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace
from mlyard.sdk.run import Run
from mlyard.server.routers.mlflow_paths import ARTIFACTS, MLFLOW_BASE, run_artifact_uri

MiB = 1024 * 1024


@pytest.fixture
def ws(server_env: RunningServer, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The default workspace, with MLflow's client pointed at it and failing fast (no retries)."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", server_env.token)
    return Workspace.from_config()


def tracking_uri(ws: Workspace) -> str:
    path = MLFLOW_BASE.format(
        subscriptionId=ws.subscription_id, resourceGroupName=ws.resource_group, workspaceName=ws.name
    )
    return ws.endpoint + path


def new_run(ws: Workspace) -> Run:
    return Experiment(ws, f"mlflow-artifacts-{uuid.uuid4().hex[:8]}").start_logging()


def repo_of(ws: Workspace, run: Run, experiment_id: str | None = None) -> MlflowArtifactsRepository:
    uri = run_artifact_uri(experiment_id or run.experiment.id, run.id)
    return MlflowArtifactsRepository(uri, tracking_uri=tracking_uri(ws))


def artifacts_url(ws: Workspace, path: str = "") -> str:
    where = ARTIFACTS.format(
        subscriptionId=ws.subscription_id, resourceGroupName=ws.resource_group, workspaceName=ws.name
    )
    return ws.endpoint + where + (f"/{path}" if path else "")


def folder(path: Path) -> str:
    """A new, empty download destination (MLflow's repository wants it to exist)."""
    path.mkdir(parents=True)
    return str(path)


def random_file(path: Path, size: int, seed: int = 5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def listing(repo: MlflowArtifactsRepository, path: str | None = None) -> list[tuple[str, bool, int | None]]:
    return [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts(path)]


def test_a_file_goes_up_and_comes_down_identical(ws: Workspace, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    source = random_file(tmp_path / "up" / "weights.bin", 5 * MiB + 123)
    repo.log_artifact(str(source), "models")
    down = Path(repo.download_artifacts("models/weights.bin", str(tmp_path)))
    assert down == tmp_path / "models" / "weights.bin" and filecmp.cmp(source, down, shallow=False)
    # The same bytes as a run file, with its xxh128 recorded on the way in.
    details = run.get_file_details()
    assert [(d["name"], d["size"]) for d in details] == [("models/weights.bin", source.stat().st_size)]
    checked = run.download_file("models/weights.bin", tmp_path / "sdk.bin", _validate_checksum=True)
    assert filecmp.cmp(source, checked, shallow=False)
    # Logging it again replaces it, as MLflow does.
    repo.log_artifact(str(random_file(tmp_path / "again" / "weights.bin", 10, seed=6)), "models")
    assert listing(repo, "models") == [("models/weights.bin", False, 10)]


def test_a_folder_with_nested_files_and_its_listings(ws: Workspace, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    tree = tmp_path / "plots"
    (tree / "2024" / "q1").mkdir(parents=True)
    (tree / "roc.png").write_bytes(b"png" * 10)
    (tree / "2024" / "loss.csv").write_text("step,loss\n1,0.5\n")
    (tree / "2024" / "q1" / "notes.txt").write_text("deep")
    (tree / "empty.txt").write_bytes(b"")
    (tree / "2024" / "broken.json").write_text("{not json")  # sent as application/json: never parsed
    repo.log_artifacts(str(tree), "plots")
    repo.log_artifact(str(random_file(tmp_path / "model.pkl", 100)))

    assert listing(repo) == [("model.pkl", False, 100), ("plots", True, None)]
    assert listing(repo, "plots") == [
        ("plots/2024", True, None),
        ("plots/empty.txt", False, 0),
        ("plots/roc.png", False, 30),
    ]
    assert listing(repo, "plots/2024") == [
        ("plots/2024/broken.json", False, 9),
        ("plots/2024/loss.csv", False, 16),
        ("plots/2024/q1", True, None),
    ]
    assert listing(repo, "plots/roc.png") == []  # a file lists nothing, as in MLflow
    assert listing(repo, "nothing") == []

    down = Path(repo.download_artifacts("plots", folder(tmp_path / "down")))
    compared = filecmp.dircmp(tree, down)
    assert not compared.left_only and not compared.right_only and not compared.diff_files
    assert filecmp.cmp(tree / "2024" / "q1" / "notes.txt", down / "2024" / "q1" / "notes.txt", shallow=False)
    everything = Path(repo.download_artifacts("", folder(tmp_path / "all")))
    assert sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*") if p.is_file()) == [
        "model.pkl",
        "plots/2024/broken.json",
        "plots/2024/loss.csv",
        "plots/2024/q1/notes.txt",
        "plots/empty.txt",
        "plots/roc.png",
    ]


def test_sdk_files_are_mlflow_artifacts_and_the_other_way_round(ws: Workspace, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    run.upload_file("outputs/from-sdk.txt", str(random_file(tmp_path / "a.txt", 1000)))
    assert listing(repo, "outputs") == [("outputs/from-sdk.txt", False, 1000)]
    down = repo.download_artifacts("outputs/from-sdk.txt", folder(tmp_path / "m"))
    assert filecmp.cmp(tmp_path / "a.txt", down, shallow=False)

    repo.log_artifact(str(random_file(tmp_path / "b" / "from-mlflow.bin", 2000, seed=9)), "outputs")
    assert run.get_file_names() == ["outputs/from-mlflow.bin", "outputs/from-sdk.txt"]
    got = run.download_file("outputs/from-mlflow.bin", tmp_path / "s.bin", _validate_checksum=True)
    assert filecmp.cmp(tmp_path / "b" / "from-mlflow.bin", got, shallow=False)

    repo.delete_artifacts("outputs/from-sdk.txt")
    assert run.get_file_names() == ["outputs/from-mlflow.bin"]


def test_names_that_leave_the_run_are_refused(ws: Workspace, server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    source = random_file(tmp_path / "x.txt", 10)
    with pytest.raises(MlflowException, match="Invalid artifact path"):
        repo.log_artifact(str(source), "a/../../other")  # the client refuses it itself
    root = f"{run.experiment.id}/{run.id}/artifacts"
    headers = {"Authorization": f"Bearer {server_env.token}"}
    with httpx.Client(headers=headers, timeout=30, trust_env=False) as http:
        # Sent as is (encoded, so that no client folds the dots away), the server refuses them too.
        for name in ("%2E%2E/%2E%2E/escape.txt", "a/%2E%2E/%2E%2E/%2E%2E/escape.txt", "%2Fetc%2Fpasswd"):
            put = http.put(artifacts_url(ws, f"{root}/{name}"), content=b"x")
            got = http.get(artifacts_url(ws, f"{root}/{name}"))
            for answer in (put, got):
                assert answer.status_code == 400, (name, answer.text)
                assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        listed = http.get(artifacts_url(ws), params={"path": f"{root}/../../elsewhere"})
        assert listed.status_code == 400 and "Invalid run file name" in listed.json()["message"]
    assert run.get_file_names() == []


def test_a_missing_file_is_resource_does_not_exist(ws: Workspace, server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST") as caught:
        repo.download_artifacts("outputs/missing.txt", str(tmp_path))
    assert "404" in caught.value.message
    headers = {"Authorization": f"Bearer {server_env.token}"}
    answer = httpx.get(artifacts_url(ws, f"{run.experiment.id}/{run.id}/artifacts/missing"), headers=headers)
    assert answer.status_code == 404 and answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "no artifact 'missing'" in answer.json()["message"]


def test_a_run_of_another_experiment_is_not_found(ws: Workspace, tmp_path: Path) -> None:
    run, other = new_run(ws), new_run(ws)
    run.upload_file("secret.txt", str(random_file(tmp_path / "s.txt", 10)))
    wrong = repo_of(ws, run, experiment_id=other.experiment.id)
    with pytest.raises(HTTPError) as caught:
        wrong.list_artifacts()
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(HTTPError, match="RESOURCE_DOES_NOT_EXIST"):  # its listing, first, is refused
        wrong.download_artifacts("secret.txt", str(tmp_path))
    with pytest.raises(HTTPError, match="404"):
        wrong.log_artifact(str(tmp_path / "s.txt"))
    assert run.get_file_names() == ["secret.txt"] and other.get_file_names() == []


def test_without_a_token_the_proxy_answers_401(ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = new_run(ws)
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    repo = repo_of(ws, run)
    with pytest.raises(HTTPError) as caught:
        repo.list_artifacts()
    assert caught.value.response.status_code == 401
    assert caught.value.response.json()["error_code"] == "UNAUTHENTICATED"
    with pytest.raises(HTTPError, match="401"):
        repo.log_artifact(str(random_file(tmp_path / "x.txt", 10)))
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mly_not-a-token")
    with pytest.raises(HTTPError, match="401"):
        repo.list_artifacts()
    assert run.get_file_names() == []


def test_a_finished_run_refuses_uploads_and_still_serves(ws: Workspace, tmp_path: Path) -> None:
    run = new_run(ws)
    repo = repo_of(ws, run)
    repo.log_artifact(str(random_file(tmp_path / "before.txt", 10)))
    run.complete()
    with pytest.raises(HTTPError) as caught:
        repo.log_artifact(str(random_file(tmp_path / "after.txt", 10)))
    assert caught.value.response.status_code == 409
    assert caught.value.response.json()["error_code"] == "INVALID_STATE"
    assert "Completed" in caught.value.response.json()["message"]
    assert listing(repo) == [("before.txt", False, 10)]
    assert Path(repo.download_artifacts("before.txt", folder(tmp_path / "d"))).read_bytes() == (
        (tmp_path / "before.txt").read_bytes()
    )


# -- through mlflow's own API, on a run that mlflow started -------------------------------


@pytest.fixture
def tracking(ws: Workspace) -> Iterator[Workspace]:
    """``mlflow.set_tracking_uri(ws.get_mlflow_tracking_uri())``, undone afterwards (it is global)."""
    mlflow.set_tracking_uri(ws.get_mlflow_tracking_uri())
    try:
        yield ws
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None unsets it, as at the start


def log_with_mlflow(tmp_path: Path) -> tuple[str, str, Path]:
    """A run that mlflow starts and logs a 3 MiB file and a folder to: (experiment id, run id, the file)."""
    experiment_id = MlflowClient().create_experiment(f"mlflow-fluent-{uuid.uuid4().hex[:8]}")
    tree = tmp_path / "report"
    (tree / "figs").mkdir(parents=True)
    (tree / "figs" / "a.png").write_bytes(b"a" * 50)
    (tree / "summary.md").write_text("# done\n")
    big = random_file(tmp_path / "model.bin", 3 * MiB)
    with mlflow.start_run(experiment_id=experiment_id) as active:
        mlflow.log_artifact(str(big), "model")
        mlflow.log_artifacts(str(tree), "report")
    return experiment_id, active.info.run_id, big


def test_mlflow_logs_lists_and_downloads(tracking: Workspace, tmp_path: Path) -> None:
    experiment_id, run_id, big = log_with_mlflow(tmp_path)
    listed = MlflowClient().list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("model", True), ("report", True)]

    download = mlflow.artifacts.download_artifacts
    got = download(run_id=run_id, artifact_path="model/model.bin", dst_path=str(tmp_path / "d"))
    assert filecmp.cmp(big, got, shallow=False)
    report = download(run_id=run_id, artifact_path="report", dst_path=str(tmp_path / "r"))
    assert (Path(report) / "figs" / "a.png").read_bytes() == b"a" * 50
    assert (Path(report) / "summary.md").read_text() == "# done\n"
    with pytest.raises(MlflowException) as caught:
        download(run_id=run_id, artifact_path="model/nope.bin", dst_path=str(tmp_path))
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    # The run mlflow made is an mlyard run, and its artifacts are its files.
    run = Run(Experiment(tracking, MlflowClient().get_experiment(experiment_id).name), run_id)
    assert run.get_file_names() == ["model/model.bin", "report/figs/a.png", "report/summary.md"]


# MLflow 3's client looks for a logged model named after the folder's first segment before it
# lists a subfolder (POST .../api/2.0/mlflow/logged-models/search; mlyard answers none).
def test_mlflow_lists_a_subfolder(tracking: Workspace, tmp_path: Path) -> None:
    _, run_id, _ = log_with_mlflow(tmp_path)
    listed = MlflowClient().list_artifacts(run_id, "report/figs")
    assert [(f.path, f.is_dir, f.file_size) for f in listed] == [("report/figs/a.png", False, 50)]
