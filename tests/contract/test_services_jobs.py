"""Compute targets, jobs and the scheduler through their services, with real processes, on SQLite
and PostgreSQL. (The SDK, the job's token at work and a killed server are in tests/e2e.)"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.contract.snapshot_helpers import archive

from mlyard.backends import default_backends
from mlyard.core import actions as A
from mlyard.core.entities.compute import ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.environments import EnvironmentSpec
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.entities.jobs import LOG_FILE, JobRequest, JobView
from mlyard.core.entities.tracking import RunStatus
from mlyard.core.errors import (
    AuthenticationError,
    AuthorizationError,
    ComputeTargetNotFound,
    EnvironmentNotFound,
    ValidationError,
    WorkspaceNotFound,
)
from mlyard.core.scopes import Scope
from mlyard.services import (
    compute_targets,
    environments,
    identity,
    jobs,
    run_files,
    runs,
    snapshots,
    subscriptions,
    workspaces,
)
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer
from mlyard.services.scheduler import RESTARTED, Scheduler

WS = ("sub1", "rg1", "ws1")
WAIT = 60.0


@pytest.fixture
def ws(platform: Platform, admin: Principal) -> tuple[str, str, str]:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws2")
    return WS


def new_scheduler(platform: Platform) -> Scheduler:
    # A fresh backend each time: as after a restart, it is the parent of no job process.
    return Scheduler(platform, default_backends(platform.settings), active_interval=0.05, idle_interval=0.2)


@pytest.fixture
def scheduler(platform: Platform, ws: tuple[str, str, str]) -> Iterator[Scheduler]:
    running = new_scheduler(platform)
    running.start()
    yield running
    running.stop()


def submit(
    platform: Platform, admin: Principal, files: dict[str, str], script: str = "main.py", **options: object
) -> str:
    snap = snapshots.upload(platform, *WS, [archive(files)])
    request = JobRequest(snapshot_id=snap.id, compute_target=str(options.pop("target", "local")), script=script)
    if options:
        request = JobRequest(**{**request.__dict__, **options})  # type: ignore[arg-type]
    return jobs.submit(platform, admin, *WS, "exp", request).job.run_id


def wait(platform: Platform, run_id: str, done: object = None) -> JobView:
    deadline = time.monotonic() + WAIT
    while True:
        view = jobs.get_job(platform, *WS, run_id)
        if (done(view) if callable(done) else view.job.finished) and (done is not None or view.job.log_sealed):
            return view
        assert time.monotonic() < deadline, f"run {run_id} is still {view.reason}"
        time.sleep(0.05)


def log_text(platform: Platform, run_id: str) -> str:
    return jobs.read_log(platform, *WS, run_id, 0, jobs.MAX_LOG_READ).data.decode()


def alive(pid: int) -> bool:
    """A pid that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_a_script_runs_and_its_log_outputs_and_exit_code_are_recorded(
    platform: Platform, admin: Principal, scheduler: Scheduler
) -> None:
    code = (
        "import os\nprint('hello from the job', flush=True)\n"
        "open('outputs/model.txt', 'w').write('weights')\nopen('logs/extra.log', 'w').write('x')\n"
        "print(os.environ['MLYARD_RUN_ID'], os.environ['MLYARD_WORKSPACE_NAME'], bool(os.environ['MLYARD_TOKEN']))\n"
        "print('secret passed on:', 'MLYARD_ADMIN_PASSWORD' in os.environ, 'AWS_SECRET_ACCESS_KEY' in os.environ)\n"
    )
    run_id = submit(platform, admin, {"main.py": code, "pkg/util.py": ""})
    done = wait(platform, run_id)
    assert done.job.status is RunStatus.COMPLETED and done.job.exit_code == 0, log_text(platform, run_id)
    assert done.reason == "completed: exit code 0" and done.job.attempt == 1
    run = runs.get_run(platform, *WS, run_id)
    assert run.status is RunStatus.COMPLETED and run.started_at and run.ended_at and run.error is None
    assert run.run_type.value == "script"
    text = log_text(platform, run_id)
    assert "hello from the job" in text and f"{run_id} ws1 True" in text
    assert "secret passed on: False False" in text
    names = {f.name for f in run_files.list_files(platform, run)}
    assert {"outputs/model.txt", "logs/extra.log", LOG_FILE} <= names
    job = done.job
    assert job.queued_at <= job.preparing_at <= job.running_at <= job.finalizing_at <= job.ended_at  # type: ignore[operator]
    tokens = [t for t in identity.list_tokens(platform.db, admin.id) if t.name == f"job {run_id}"]
    assert len(tokens) == 1 and tokens[0].revoked_at is not None
    # The job's folder on the host is gone; its log is the run file now.
    assert not (platform.settings.home / "jobs" / run_id).exists()
    again = jobs.read_log(platform, *WS, run_id, 6, 5)
    assert again.data == text.encode()[6:11] and not again.complete


def test_a_failing_script_says_why(platform: Platform, admin: Principal, scheduler: Scheduler) -> None:
    code = "print('step 1 of 2')\nraise ValueError('bad data in row 7')\n"
    run_id = submit(platform, admin, {"main.py": code})
    done = wait(platform, run_id)
    assert done.job.status is RunStatus.FAILED and done.job.exit_code == 1
    assert done.reason == "failed: exit code 1 (ValueError: bad data in row 7)"
    error = runs.get_run(platform, *WS, run_id).error
    assert error is not None and error["exitCode"] == 1 and error["code"] == "UserError"
    assert error["exception"] == "ValueError: bad data in row 7"
    assert "step 1 of 2" in error["lastLines"] and "Traceback (most recent call last):" in error["lastLines"]
    assert "ValueError: bad data in row 7" in error["message"]


def test_a_named_environment_gives_its_variables_and_a_command_runs_in_a_shell(
    platform: Platform, admin: Principal, scheduler: Scheduler
) -> None:
    environments.register_environment(
        platform, admin, *WS, "own", EnvironmentSpec(user_managed_dependencies=True), {"GREETING": "hi"}
    )
    snap = snapshots.upload(platform, *WS, [archive({"data.txt": "x"})])
    request = JobRequest(
        snapshot_id=snap.id,
        compute_target="local",
        command="echo $GREETING; python -c 'import sys; print(sys.version_info[0])'; ls outputs/model",
        environment="azureml:own:1",
        output_folders=("outputs/model",),
    )
    run_id = jobs.submit(platform, admin, *WS, "exp", request).job.run_id
    done = wait(platform, run_id)
    text = log_text(platform, run_id)
    assert done.job.status is RunStatus.COMPLETED, text
    assert "\nhi\n3\n" in text and "environment: 'own:1'" in text


def test_bad_submissions_are_refused_before_anything_is_made(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    files = {"train.py": "", "lib/helpers.py": "", "README.md": ""}
    with pytest.raises(ValidationError, match=r"Script 'trian\.py' is not in .*: lib/helpers\.py, train\.py\."):
        submit(platform, admin, files, script="trian.py")
    with pytest.raises(ComputeTargetNotFound, match=r"'gpu' was not found in workspace 'ws1'; it has: local\."):
        submit(platform, admin, files, script="train.py", target="gpu")
    with pytest.raises(EnvironmentNotFound, match="'nope'"):
        submit(platform, admin, files, script="train.py", environment="nope:1")
    with pytest.raises(ValidationError, match="inside the source directory"):
        submit(platform, admin, files, script="../train.py")
    with pytest.raises(ValidationError, match="max_run_duration_seconds"):
        submit(platform, admin, files, script="train.py", max_run_duration_seconds=0)
    with pytest.raises(ValidationError, match="exactly one"):
        submit(platform, admin, files, script="train.py", command="echo")
    assert runs.list_runs(platform, *WS).runs == []


def test_one_slot_runs_jobs_one_at_a_time_first_in_first_out(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    spec = ComputeTargetSpec(ComputeType.LOCAL, max_concurrent_runs=1)
    made = compute_targets.create_target(platform, default_backends(platform.settings), admin, *WS, "serial", spec)
    assert made.provisioning_state is ProvisioningState.CREATING
    sched = new_scheduler(platform)
    sched.tick()  # provisions the target (a worker thread) ...
    deadline = time.monotonic() + WAIT
    while compute_targets.get_target(platform, *WS, "serial").provisioning_state is not ProvisioningState.SUCCEEDED:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    code = "import time; print('start', time.time(), flush=True); time.sleep(0.2); print('end', time.time())\n"
    ids = [submit(platform, admin, {"main.py": code}, target="serial") for _ in range(3)]
    reasons = [jobs.get_job(platform, *WS, i).reason for i in ids]
    assert reasons[0] == "queued: position 1 of 3 on target 'serial' (0 of 1 slots busy); starting"
    assert reasons[2] == "queued: position 3 of 3 on target 'serial' (0 of 1 slots busy)"
    sched._dispatch_due = True
    sched.tick()  # ... and claims the first job only
    second = jobs.get_job(platform, *WS, ids[1])
    assert second.reason == "queued: position 1 of 2 on target 'serial' (1 of 1 slots busy)", second.reason
    assert second.queue is not None and (second.queue.position, second.queue.waiting) == (1, 2)
    sched.start()
    try:
        done = [wait(platform, i) for i in ids]
    finally:
        sched.stop()
    assert all(v.job.status is RunStatus.COMPLETED for v in done)
    for before, after in itertools.pairwise(done):
        assert before.job.ended_at is not None and after.job.preparing_at is not None
        assert after.job.preparing_at >= before.job.ended_at
    assert [v.job.attempt for v in done] == [1, 1, 1]


def test_cancel_stops_the_whole_process_group(platform: Platform, admin: Principal, scheduler: Scheduler) -> None:
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print('pids', os.getpid(), child.pid, flush=True)\ntime.sleep(120)\n"
    )
    run_id = submit(platform, admin, {"main.py": code})
    wait(platform, run_id, lambda v: "pids" in log_text(platform, run_id))
    pids = [int(p) for p in re.search(r"pids (\d+) (\d+)", log_text(platform, run_id)).groups()]  # type: ignore[union-attr]
    assert all(alive(pid) for pid in pids)
    assert jobs.cancel(platform, *WS, run_id).status is RunStatus.CANCEL_REQUESTED
    done = wait(platform, run_id)
    assert done.job.status is RunStatus.CANCELED and done.reason == "canceled: its processes were stopped on request"
    assert runs.get_run(platform, *WS, run_id).status is RunStatus.CANCELED
    assert not any(alive(pid) for pid in pids)
    assert "cancel requested: SIGTERM sent" in log_text(platform, run_id)
    # A queued job is canceled at once, and never starts.
    waiting = submit(platform, admin, {"main.py": "print('never')"}, target="local")
    jobs.cancel(platform, *WS, waiting)
    assert jobs.get_job(platform, *WS, waiting).job.status in (RunStatus.CANCELED, RunStatus.CANCEL_REQUESTED)


def test_a_job_over_its_time_is_stopped_and_fails_with_that_reason(
    platform: Platform, admin: Principal, scheduler: Scheduler
) -> None:
    run_id = submit(platform, admin, {"main.py": "import time; print('working', flush=True); time.sleep(60)"},
                    max_run_duration_seconds=1)  # fmt: skip
    done = wait(platform, run_id)
    assert done.job.status is RunStatus.FAILED
    assert done.reason == "failed: The job ran longer than max_run_duration_seconds=1 and was stopped."
    error = runs.get_run(platform, *WS, run_id).error
    assert error is not None and error["code"] == "RunTimeout" and "working" in error["lastLines"]


def test_a_new_leader_adopts_live_jobs_fails_vanished_ones_and_keeps_the_queue(
    platform: Platform, admin: Principal, ws: tuple[str, str, str], tmp_path: Path
) -> None:
    spec = ComputeTargetSpec(ComputeType.LOCAL, max_concurrent_runs=2)
    compute_targets.create_target(platform, default_backends(platform.settings), admin, *WS, "pair", spec)
    go = tmp_path / "go"
    waits = f"import os, time\nprint('waiting', flush=True)\nwhile not os.path.exists({str(go)!r}): time.sleep(0.02)\n"
    first = new_scheduler(platform)
    first.start()
    try:
        adopted = submit(platform, admin, {"main.py": waits + "print('finished after the restart')"}, target="pair")
        vanishing = submit(platform, admin, {"main.py": "import time; time.sleep(120)"}, target="pair")
        for run_id in (adopted, vanishing):
            wait(platform, run_id, lambda v: v.job.status is RunStatus.RUNNING)
        queued = submit(platform, admin, {"main.py": "print('ran once')"}, target="pair")
    finally:
        first.stop()  # as a server stops: the jobs keep running
    assert jobs.get_job(platform, *WS, queued).job.status is RunStatus.QUEUED
    gone = jobs.get_job(platform, *WS, vanishing).job
    assert gone.pid is not None and alive(gone.pid)
    os.killpg(gone.pid, signal.SIGKILL)  # its process dies while no server watches
    deadline = time.monotonic() + WAIT
    while alive(gone.pid):  # SIGKILL lands asynchronously: a busy host may show it alive a moment
        assert time.monotonic() < deadline, "the killed job's process is still alive"
        time.sleep(0.02)
    second = new_scheduler(platform)
    second.start()
    try:
        lost = wait(platform, vanishing)
        assert lost.job.status is RunStatus.FAILED and RESTARTED in lost.reason
        ran = wait(platform, queued)
        go.touch()
        done = wait(platform, adopted)
    finally:
        second.stop()
    assert ran.job.status is RunStatus.COMPLETED and ran.job.attempt == 1
    assert log_text(platform, queued).count("ran once") == 1
    assert done.job.status is RunStatus.COMPLETED and done.job.attempt == 1
    text = log_text(platform, adopted)
    assert "waiting" in text and "still running and was adopted" in text and "finished after the restart" in text


def test_one_scheduler_leads_at_a_time(platform: Platform, ws: tuple[str, str, str]) -> None:
    first, second = new_scheduler(platform), new_scheduler(platform)
    first.tick()
    second.tick()
    assert first.leading and not second.leading
    first.stop()
    second.tick()
    assert second.leading
    second.stop()


def test_a_jobs_token_acts_only_inside_its_workspace(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    ws1, ws2 = Scope("sub1", "rg1", "ws1"), Scope("sub1", "rg1", "ws2")
    token, secret = identity.issue_job_token(
        platform.db, admin.id, PrincipalType.USER, "r" * 32, ws1, timedelta(hours=1)
    )
    principal = identity.authenticate_token(platform.db, secret)
    assert principal.limited_to == ws1 and principal.id == admin.id
    authz = Authorizer(platform.db, principal)
    assert authz.can(A.RUNS_WRITE, ws1) and authz.can(A.EXPERIMENTS_READ, ws1)
    assert not authz.can(A.RUNS_READ, ws2) and Authorizer(platform.db, admin).can(A.RUNS_READ, ws2)
    with pytest.raises(WorkspaceNotFound):
        authz.require(A.RUNS_READ, ws2)
    for action, scope in ((A.SELF, Scope.root()), (A.ROLE_ASSIGNMENTS_WRITE, ws1), (A.WORKSPACES_DELETE, ws1)):
        with pytest.raises(AuthorizationError, match="job's token"):
            authz.require(action, scope)
    assert [w.name for w in workspaces.list_workspaces(platform, authz)] == ["ws1"]
    identity.revoke_token_id(platform.db, token.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(platform.db, secret)


def test_an_environment_that_fails_to_build_fails_the_run_with_the_installers_error(
    platform: Platform, admin: Principal, scheduler: Scheduler
) -> None:
    spec = EnvironmentSpec(pip_packages=("mlyard-no-such-package-anywhere==0.0.1",))
    environments.register_environment(platform, admin, *WS, "broken", spec)
    run_id = submit(platform, admin, {"main.py": "print('never runs')"}, environment="broken")
    done = wait(platform, run_id)
    assert done.job.status is RunStatus.FAILED and done.reason.startswith("failed while preparing:")
    text = log_text(platform, run_id)
    assert "mlyard-no-such-package-anywhere" in text and "never runs" not in text
    error = runs.get_run(platform, *WS, run_id).error
    assert error is not None and error["code"] == "EnvironmentBuildFailed"
    assert not (platform.settings.home / "jobs" / run_id).exists()
