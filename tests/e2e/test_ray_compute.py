"""Ray clusters as compute targets, end to end: a real `mlyard up`, a real Ray head that this module
starts (attached by address), and a head that mlyard starts, scales to zero and stops itself."""

from __future__ import annotations

import shutil
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.server import RunningServer, free_port

from mlyard import AmlCompute, ComputeTarget, Experiment, RayCompute, ScriptRunConfig, ValidationError, Workspace
from mlyard.backends import ray_head
from mlyard.core.errors import ComputeTargetNotFound, JobFailed

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ray_head.ray_installed(), reason="needs ray[default]")]


@pytest.fixture(scope="module")
def tests_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ray_head.Head]:
    """The tests' own Ray head (as a user's existing cluster would be), stopped at the end."""
    marker = f"tests-{uuid.uuid4().hex[:8]}"
    folder = ray_head.temp_dir(tmp_path_factory.getbasetemp(), marker)
    head = ray_head.start(marker, folder, num_cpus=2)
    yield head
    ray_head.stop(marker, folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"ray-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)


def source(tmp_path: Path, script: str) -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(textwrap.dedent(script))
    return folder


TRAIN = """
    import os, sys
    from mlyard import Run
    print("first line on ray", sys.argv[1:], flush=True)
    run = Run.get_context()
    run.log("accuracy", 0.91)
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/model.txt", "w") as f:
        f.write("weights")
"""


def attached(ws: Workspace, head: ray_head.Head, name: str = "ray-ext") -> ComputeTarget:
    target = ComputeTarget.attach(ws, name, RayCompute.attach_configuration(address=head.dashboard_url))
    target.wait_for_completion()
    return target


def test_an_attached_cluster_runs_a_script_with_its_outputs_metrics_and_log(
    ws: Workspace, tests_head: ray_head.Head, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = attached(ws, tests_head)
    assert isinstance(target, RayCompute) and isinstance(ComputeTarget(ws, "ray-ext"), RayCompute)
    assert target.get_status() == "Succeeded" and target.head_state == "Attached"
    assert target.address == tests_head.dashboard_url and target.max_concurrent_runs == 4
    config = ScriptRunConfig(
        str(source(tmp_path, TRAIN)), script="train.py", arguments=["--lr", 0.1], compute_target=target
    )
    run = Experiment(ws, "ray").submit(config)
    details = run.wait_for_completion(show_output=True)
    assert details["status"] == "Completed", details
    assert "first line on ray ['--lr', '0.1']" in capsys.readouterr().out
    assert run.get_metrics() == {"accuracy": 0.91}
    assert "outputs/model.txt" in run.get_file_names()
    log = (tmp_path / "log.txt").as_posix()
    run.download_file("user_logs/std_log.txt", log)
    text = Path(log).read_text()
    assert "submitted to Ray at" in text and "first line on ray" in text


def test_a_job_that_fails_on_ray_fails_with_its_exit_code_exception_and_last_lines(
    ws: Workspace, tests_head: ray_head.Head, tmp_path: Path
) -> None:
    target = attached(ws, tests_head)
    script = 'print("about to fail", flush=True)\nraise ValueError("bad data")\n'
    run = Experiment(ws, "ray").submit(
        ScriptRunConfig(str(source(tmp_path, script)), "train.py", compute_target=target)
    )
    with pytest.raises(JobFailed, match="bad data"):
        run.wait_for_completion()
    error = run.get_details()["error"]
    assert error["exitCode"] == 1 and error["exception"] == "ValueError: bad data"
    assert any("about to fail" in line for line in error["lastLines"])


def test_a_running_ray_job_is_canceled(ws: Workspace, tests_head: ray_head.Head, tmp_path: Path) -> None:
    target = attached(ws, tests_head)
    script = 'import time\nprint("sleeping", flush=True)\ntime.sleep(600)\n'
    run = Experiment(ws, "ray").submit(
        ScriptRunConfig(str(source(tmp_path, script)), "train.py", compute_target=target)
    )
    while run.get_status() != "Running":
        time.sleep(0.2)
    run.cancel()
    assert run.get_status() == "Canceled"


def test_an_address_that_does_not_answer_fails_the_target_with_the_reason(ws: Workspace) -> None:
    config = RayCompute.provisioning_configuration(address=f"127.0.0.1:{free_port()}")
    target = ComputeTarget.create(ws, "nowhere", config)
    with pytest.raises(ValidationError, match="does not answer"):
        target.wait_for_completion()
    assert target.get_status() == "Failed" and "Give the address of its dashboard" in str(target.provisioning_errors)
    with pytest.raises(ValidationError, match="Ray client address"):
        ComputeTarget.create(ws, "client", RayCompute.provisioning_configuration(address="ray://127.0.0.1:10001"))


def test_an_owned_head_starts_for_a_job_scales_to_zero_when_idle_and_goes_with_its_target(
    ws: Workspace, tests_head: ray_head.Head, tmp_path: Path, live_server: RunningServer
) -> None:
    config = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2", min_nodes=0, max_nodes=2, idle_seconds_before_scaledown=2
    )
    target = ComputeTarget.create(ws, "cpu-cluster", config)
    target.wait_for_completion(show_output=True)
    assert isinstance(target, RayCompute) and target.head_state == "Stopped" and target.get_node_count() == 0
    assert target.max_concurrent_runs == 2 and target.vm_size == "STANDARD_D2_V2"
    target_id = str(target.serialize()["id"])
    head_folder = ray_head.temp_dir(live_server.home.resolve(), target_id)
    folder = str(source(tmp_path, TRAIN))

    def run_once() -> str:
        run = Experiment(ws, "owned").submit(ScriptRunConfig(folder, "train.py", compute_target="cpu-cluster"))
        assert run.wait_for_completion()["status"] == "Completed"
        assert "outputs/model.txt" in run.get_file_names()
        log = tmp_path / f"{run.id}.txt"
        run.download_file("user_logs/std_log.txt", str(log))
        return log.read_text()

    try:
        log = run_once()
        assert "starting the Ray head of target 'cpu-cluster'" in log and "first line on ray" in log
        while target.get_node_count() != 0:  # idle for 2 s: scaled to zero
            time.sleep(0.5)
        assert target.head_state == "Stopped" and "scaledDownAt" in target.properties
        assert ray_head.processes(target_id, head_folder) == []
        assert ray_head.answers(tests_head.dashboard_url), "stopping mlyard's head must leave other heads alone"

        assert "starting the Ray head" in run_once()  # a queued job starts it again
        target.delete()
        assert ray_head.processes(target_id, head_folder) == []
        assert ray_head.answers(tests_head.dashboard_url)
    finally:  # a failed test must not leave a head running
        ray_head.stop(target_id, head_folder)


def test_a_cluster_lists_its_nodes_counts_them_and_changes_its_settings(
    ws: Workspace, tests_head: ray_head.Head
) -> None:
    target = attached(ws, tests_head, "ray-nodes")
    assert isinstance(target, RayCompute)
    nodes = target.list_nodes()
    assert [(n["state"], n["isHead"], n["address"]) for n in nodes] == [("ALIVE", True, "127.0.0.1")]
    assert nodes[0]["resources"]["CPU"] == 2.0 and len(nodes[0]["nodeId"]) > 20
    status = target.get_status()
    assert status == "Succeeded" and status.current_node_count == 1
    assert status.node_state_counts["idleNodeCount"] == 1 and status.node_state_counts["runningNodeCount"] == 0
    target.update(max_nodes=3, idle_seconds_before_scaledown=120)
    assert target.max_nodes == 3 and target.max_concurrent_runs == 3 and target.idle_seconds_before_scaledown == 120
    with pytest.raises(ValidationError, match=r"minNodes \(5\) is above maxNodes \(3\)"):
        target.update(min_nodes=5)
    assert ComputeTarget(ws, "ray-nodes").properties["minNodes"] == 0  # the refusal changed nothing
    sizes = RayCompute.supported_vmsizes(ws)
    assert [s["name"] for s in sizes] == ["small", "medium", "large"] and sizes[0]["vCPUs"] == 1
    target.delete()
    with pytest.raises(ComputeTargetNotFound):
        target.update(max_nodes=2)
    local = ComputeTarget(ws, "local")
    with pytest.raises(ValidationError, match="not a cluster"):
        local.workspace._client.get(f"{local._path}/nodes")


def test_an_owned_head_takes_its_size_and_comes_up_when_min_nodes_is_raised(
    ws: Workspace, live_server: RunningServer
) -> None:
    config = RayCompute.provisioning_configuration(vm_size="small", min_nodes=0, max_nodes=1)
    target = ComputeTarget.create(ws, "sized", config)
    target.wait_for_completion()
    assert isinstance(target, RayCompute) and target.get_node_count() == 0 and target.list_nodes() == []
    target_id = str(target.serialize()["id"])
    head_folder = ray_head.temp_dir(live_server.home.resolve(), target_id)
    try:
        target.update(min_nodes=1, idle_seconds_before_scaledown=1)  # no job: the head comes up by itself
        deadline = time.monotonic() + 120
        while target.get_node_count() != 1:
            assert time.monotonic() < deadline, target.properties
            time.sleep(0.5)
        (node,) = target.list_nodes()
        assert node["resources"]["CPU"] == 1.0 and node["resources"]["memory"] == 4 * 1024**3
        assert target.properties["numCpus"] == 1 and target.properties["memoryBytes"] == 4 * 1024**3
        target.update(min_nodes=0)  # and it scales to zero after its idle second
        while target.get_node_count() != 0:
            assert time.monotonic() < deadline, target.properties
            time.sleep(0.5)
        target.delete()
    finally:
        ray_head.stop(target_id, head_folder)


def test_a_dataset_input_is_made_local_for_a_ray_job_on_this_host(
    ws: Workspace, tests_head: ray_head.Head, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlyard import Dataset

    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("hello from the dataset")
    store = ws.get_default_datastore()
    store.upload(str(tmp_path / "files"), target_path="ray-in", show_progress=False)
    data = Dataset.File.from_files((store, "ray-in/a.txt")).register(ws, "ray-files")
    script = """
        import os, sys
        from mlyard import Run
        folder = sys.argv[2]
        names = sorted(os.listdir(folder))
        print("input", sys.argv[1], names, open(os.path.join(folder, names[0])).read(), flush=True)
        print("named", sorted(Run.get_context().input_datasets), flush=True)
    """
    config = ScriptRunConfig(
        str(source(tmp_path, script)),
        script="train.py",
        arguments=["--data", data.as_named_input("files").as_download()],
        compute_target=attached(ws, tests_head),
    )
    run = Experiment(ws, "ray-data").submit(config)
    details = run.wait_for_completion(show_output=True)
    assert details["status"] == "Completed", details
    out = capsys.readouterr().out
    assert "input --data ['a.txt'] hello from the dataset" in out
    assert "named ['files']" in out
    (used,) = run.get_details()["inputDatasets"]
    assert used["name"] == "files" and "ray-files" in str(used)  # lineage: the input and its dataset
