"""``ScriptRunConfig``, ``exp.submit`` and ``ComputeTarget`` against a real server, the job's
script using ``Run.get_context()`` with the token the job was given."""

from __future__ import annotations

import itertools
import re
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from tests.fixtures.server import RunningServer

from mlyard import ComputeTarget, Environment, Experiment, Run, ScriptRunConfig, ValidationError, Workspace
from mlyard.core.errors import ComputeTargetNotFound, JobFailed, SnapshotTooLarge
from mlyard.sdk.compute import ComputeTargetException, LocalCompute

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def source(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "src"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


TRAIN = """
    import os, sys
    from mlyard import Run
    print("training starts", sys.argv[1:], flush=True)
    run = Run.get_context()
    for step, loss in enumerate([0.9, 0.5, 0.2]):
        run.log("loss", loss)
    run.log("accuracy", 0.93)
    with open("outputs/model.txt", "w") as f:
        f.write("weights")
    print("data folder sent:", os.path.exists("data"), "| helper:", open("lib/helper.py").read().strip())
    run.complete()  # as Azure ML scripts often do: the outputs are still uploaded
"""


def test_a_submitted_script_logs_metrics_writes_outputs_and_streams(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = source(
        tmp_path,
        {
            "train.py": TRAIN,
            "lib/helper.py": "HELPER = 1",
            ".amlignore": "data/\n*.tmp\n",
            "data/big.csv": "x" * 10_000,
        },
    )
    (folder / "scratch.tmp").write_text("left out")
    exp = Experiment(ws, "train")
    config = ScriptRunConfig(source_directory=str(folder), script="train.py", arguments=["--lr", 0.01])
    run = exp.submit(config, tags={"team": "vision"})
    assert isinstance(run, Run) and run.status in ("Queued", "Preparing") and run.tags == {"team": "vision"}
    details = run.wait_for_completion(show_output=True)
    printed = capsys.readouterr().out
    assert f"RunId: {run.id}" in printed and "training starts ['--lr', '0.01']" in printed
    assert "data folder sent: False | helper: HELPER = 1" in printed
    assert details["status"] == "Completed" and details["statusReason"] == "completed: exit code 0"
    assert details["target"] == "local" and details["job"]["exitCode"] == 0 and details["runType"] == "script"
    assert run.get_metrics() == {"loss": [0.9, 0.5, 0.2], "accuracy": 0.93}
    names = run.get_file_names()
    assert "outputs/model.txt" in names and "user_logs/std_log.txt" in names
    run.download_file("outputs/model.txt", str(tmp_path / "model.txt"))
    assert (tmp_path / "model.txt").read_text() == "weights"
    run.download_file("user_logs/std_log.txt", str(tmp_path / "log.txt"))
    assert "training starts" in (tmp_path / "log.txt").read_text()


def test_a_failed_job_says_why_and_raises(ws: Workspace, tmp_path: Path) -> None:
    folder = source(tmp_path, {"fail.py": "print('loading rows')\nraise KeyError('label')\n"})
    run = Experiment(ws, "fails").submit(ScriptRunConfig(str(folder), "fail.py"))
    with pytest.raises(JobFailed, match=r"(?s)exit code 1: KeyError: 'label'.*loading rows"):
        run.wait_for_completion()
    details = run.get_details()
    assert details["status"] == "Failed" and details["statusReason"] == "failed: exit code 1 (KeyError: 'label')"
    error = details["error"]
    assert error["exitCode"] == 1 and error["exception"] == "KeyError: 'label'" and "loading rows" in error["lastLines"]
    assert run.wait_for_completion(raise_on_error=False)["status"] == "Failed"


def test_an_unregistered_environment_is_registered_built_and_used_at_submit(ws: Workspace, tmp_path: Path) -> None:
    folder = source(tmp_path, {"env.py": "import sys, six\nprint('python', sys.prefix, 'six', six.__version__)\n"})
    env = Environment("tiny-six")
    env.python.pip_packages = ["six==1.17.0"]
    env.environment_variables = {"MLYARD_TEST_MARK": "1"}
    run = Experiment(ws, "envs").submit(ScriptRunConfig(str(folder), "env.py", environment=env))
    assert run.wait_for_completion()["status"] == "Completed"
    assert env.version == "1" and Environment.get(ws, "tiny-six").version == "1"
    run.download_file("user_logs/std_log.txt", str(tmp_path / "log.txt"))
    log = (tmp_path / "log.txt").read_text()
    assert "six 1.17.0" in log and f"python {sys.prefix} " not in log  # its own venv, not the server's


def test_bad_submissions_are_refused_with_clear_errors(ws: Workspace, tmp_path: Path) -> None:
    folder = source(tmp_path, {"train.py": "print(1)"})
    exp = Experiment(ws, "bad")
    with pytest.raises(ValidationError, match=r"'trian\.py' was not found in the source directory"):
        exp.submit(ScriptRunConfig(str(folder), "trian.py"))
    with pytest.raises(ComputeTargetNotFound, match=r"'gpu-cluster' was not found .*it has: local"):
        exp.submit(ScriptRunConfig(str(folder), "train.py", compute_target="gpu-cluster"))
    with pytest.raises(ComputeTargetException, match="it has: local"):
        ComputeTarget(workspace=ws, name="gpu-cluster")
    many = tmp_path / "many"
    (many / "venv" / "lib").mkdir(parents=True)
    for i in range(2001):
        (many / "venv" / "lib" / f"m{i}.py").touch()
    (many / "train.py").write_text("print(1)")
    (many / "weights.bin").write_bytes(b"0" * 4096)
    with pytest.raises(SnapshotTooLarge) as caught:
        exp.submit(ScriptRunConfig(str(many), "train.py"))
    message = caught.value.message
    assert "2003 files (the limit is 2000)" in message and "venv/  0 B in 2001 files" in message
    assert "weights.bin  4.0 KB" in message and ".amlignore" in message
    assert Experiment.list(ws) == []  # nothing was made: not even the experiment


def test_cancel_stops_the_job_and_its_processes(ws: Workspace, tmp_path: Path) -> None:
    folder = source(tmp_path, {"wait.py": "import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(300)\n"})
    run = Experiment(ws, "cancel").submit(ScriptRunConfig(str(folder), "wait.py"))
    deadline = time.monotonic() + 60
    while not (found := re.search(r"pid (\d+)", run.read_log()["content"])):
        assert time.monotonic() < deadline, run.get_details()["statusReason"]
        time.sleep(0.05)
    pid = int(found.group(1))
    assert alive(pid)
    run.cancel()
    assert run.get_status() == "Canceled" and not alive(pid)
    assert run.get_details()["statusReason"] == "canceled: its processes were stopped on request"


def test_a_job_over_max_run_duration_fails_with_that_reason(ws: Workspace, tmp_path: Path) -> None:
    folder = source(tmp_path, {"slow.py": "import time\ntime.sleep(300)\n"})
    run = Experiment(ws, "slow").submit(ScriptRunConfig(str(folder), "slow.py", max_run_duration_seconds=1))
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Failed" and details["error"]["code"] == "RunTimeout"
    assert "max_run_duration_seconds=1" in details["statusReason"]


def test_a_target_with_one_slot_runs_one_job_at_a_time_and_says_so(ws: Workspace, tmp_path: Path) -> None:
    assert isinstance(ws.compute_targets["local"], LocalCompute)
    target = ComputeTarget.create(ws, "serial", LocalCompute.provisioning_configuration(max_concurrent_runs=1))
    target.wait_for_completion(show_output=False)
    assert target.provisioning_state == "Succeeded" and target.max_concurrent_runs == 1
    assert sorted(ws.compute_targets) == ["local", "serial"]
    folder = source(tmp_path, {"nap.py": "import time\ntime.sleep(0.3)\n"})
    exp = Experiment(ws, "queue")
    runs = [exp.submit(ScriptRunConfig(str(folder), "nap.py", compute_target=target)) for _ in range(3)]
    last = runs[-1].get_details()["statusReason"]
    assert re.fullmatch(r"queued: position [23] of [23] on target 'serial' \([01] of 1 slots busy\)", last), last
    jobs = [r.wait_for_completion()["job"] for r in runs]
    for before, after in itertools.pairwise(jobs):
        assert after["preparingUtc"] >= before["endTimeUtc"]
    target.delete()
    assert sorted(ws.compute_targets) == ["local"]


def test_a_jobs_token_cannot_touch_another_workspace(server_env: RunningServer, ws: Workspace, tmp_path: Path) -> None:
    other = Workspace.create(f"{ws.name}-b", subscription_id=SUB, resource_group=ws.resource_group, show_output=False)
    probe = f"""
        import os, httpx
        api = os.environ["MLYARD_ENDPOINT"] + "/api/v1"
        headers = {{"Authorization": "Bearer " + os.environ["MLYARD_TOKEN"]}}
        group = api + "/subscriptions/{SUB}/resourceGroups/{ws.resource_group}"
        def status(method, url, **kw):
            return httpx.request(method, url, headers=headers, **kw).status_code
        print("own run", status("GET", f"{{group}}/workspaces/{ws.name}/runs/" + os.environ["MLYARD_RUN_ID"]))
        print("other workspace", status("GET", f"{{group}}/workspaces/{other.name}/experiments"))
        print("its group", status("GET", group))
        print("new token", status("POST", api + "/me/tokens", json={{"name": "escape"}}))
        print("delete own workspace", status("DELETE", f"{{group}}/workspaces/{ws.name}"))
    """
    folder = source(tmp_path, {"probe.py": probe})
    run = Experiment(ws, "probe").submit(ScriptRunConfig(str(folder), "probe.py"))
    run.wait_for_completion()
    text = run.read_log()["content"]
    assert "own run 200" in text and "other workspace 404" in text and "its group 404" in text
    assert "new token 403" in text and "delete own workspace 403" in text
    # The submitter may read the other workspace: the token is narrower than its user.
    assert list(Experiment.list(other)) == []


LOGS = """
    import time
    with open("logs/progress.txt", "w") as f:
        print("one", file=f, flush=True)
        time.sleep(9)  # the file is a run file before this ends (uploaded every 5 s)
        print("two", file=f, flush=True)
"""


def test_logs_files_are_uploaded_while_the_job_runs(ws: Workspace, tmp_path: Path) -> None:
    run = Experiment(ws, "logs").submit(ScriptRunConfig(str(source(tmp_path, {"main.py": LOGS})), "main.py"))
    deadline = time.monotonic() + 60
    while "logs/progress.txt" not in run.get_file_names():
        assert time.monotonic() < deadline and run.get_status() in ("Queued", "Preparing", "Running")
        time.sleep(0.2)
    assert run.get_status() == "Running"  # uploaded while it runs, not at its end
    run.download_file("logs/progress.txt", str(tmp_path / "early.txt"))
    assert (tmp_path / "early.txt").read_text() == "one\n"
    assert run.wait_for_completion()["status"] == "Completed"
    run.download_file("logs/progress.txt", str(tmp_path / "final.txt"))
    assert (tmp_path / "final.txt").read_text() == "one\ntwo\n"
