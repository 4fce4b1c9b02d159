"""Compute instances against a real ``mlyard up``: a real Jupyter server started by the server,
used through its authenticated proxy (HTTP and a kernel's WebSocket), its limits, its notebooks
folder shared with the workspace, bad requests, a server restart, usage, and idle shutdown.

One instance serves most assertions (one Jupyter start); a restart and an idle instance add two.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fixtures.server import RunningServer, start_server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mlyard import (
    ComputeInstance,
    ComputeTarget,
    Experiment,
    Notebook,
    ScriptRunConfig,
    TokenAuthentication,
    ValidationError,
    Workspace,
)
from mlyard.core.errors import ComputeStateConflict

PASSWORD = "a-password-for-tests"


class Server:
    """The module's server; a test may restart it on the same home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.running = self._start()

    def _start(self, port: int | None = None) -> RunningServer:
        return start_server(self.home, extra_env={"MLYARD_INSTANCE_CHECK_SECONDS": "0.5"}, port=port)

    def restart(self) -> None:
        port = self.running.port
        self.running.stop(signal.SIGKILL)
        self.running = self._start(port)

    @property
    def endpoint(self) -> str:
        return self.running.endpoint

    def workspace(self) -> Workspace:
        auth = TokenAuthentication(self.running.token)
        return Workspace("default", "default", "default", auth=auth, endpoint=self.endpoint)

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.running.token}"}
        return httpx.Client(base_url=self.endpoint, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = Server(tmp_path_factory.mktemp("instances") / "home")
    yield made
    made.running.stop()


@pytest.fixture(scope="module")
def instance(server: Server) -> Iterator[ComputeInstance]:
    ws = server.workspace()
    config = ComputeInstance.provisioning_configuration(vm_size="small", description="mine", tags={"team": "ml"})
    made = ComputeTarget.create(ws, "ci-main", config)
    made.wait_for_completion(show_output=True)
    assert isinstance(made, ComputeInstance)
    yield made
    ComputeTarget(server.workspace(), "ci-main").delete()


def second_user(server: Server, role: str) -> str:
    name = f"u-{uuid.uuid4().hex[:6]}"
    with server.http() as admin:
        assert admin.post("/api/v1/users", json={"username": name, "password": PASSWORD}).status_code == 201
        scope = "/subscriptions/default/resourceGroups/default/workspaces/default"
        made = admin.post("/api/v1/roleAssignments", json={"assignee": name, "role": role, "scope": scope})
        assert made.status_code == 201, made.text
    signed = httpx.post(f"{server.endpoint}/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    return str(signed.json()["token"])


def execute(socket: Any, code: str) -> str:
    """Send code on a kernel's shell channel; answer what it printed or returned."""
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "t", "session": "s", "version": "5.3"}
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}
    request = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
    socket.send(json.dumps(request))
    printed = ""
    while True:
        message = json.loads(socket.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "stream":
            printed += message["content"]["text"]
        elif kind == "execute_result":
            printed += message["content"]["data"]["text/plain"]
        elif kind == "error":
            raise AssertionError(message["content"])
        elif kind == "status" and message["content"]["execution_state"] == "idle":
            return printed


def test_bad_requests_are_refused_with_reasons(server: Server) -> None:
    ws = server.workspace()
    with pytest.raises(ValidationError, match=r"Unknown vm_size 'huge'.*small \(1 cores, 4 GB.*medium.*large"):
        ComputeTarget.create(ws, "ci-bad", ComputeInstance.provisioning_configuration(vm_size="huge"))
    with pytest.raises(ValidationError, match="SSH"):
        ComputeTarget.create(ws, "ci-bad", ComputeInstance.provisioning_configuration(ssh_public_access=True))
    bad_cron = [{"action": "stop", "cron": "0 25 * * *"}]
    with pytest.raises(ValidationError, match="outside 0-23"):
        ComputeTarget.create(ws, "ci-bad", ComputeInstance.provisioning_configuration(schedules=bad_cron))
    with pytest.raises(ValidationError, match="above 0"):
        ComputeTarget.create(
            ws, "ci-bad", ComputeInstance.provisioning_configuration(idle_time_before_shutdown_minutes=-1)
        )
    assert "ci-bad" not in ws.compute_targets


def test_a_running_instance_through_its_proxy(server: Server, instance: ComputeInstance) -> None:
    ws = server.workspace()
    found = ComputeTarget(ws, "ci-main")
    assert isinstance(found, ComputeInstance) and found.get_status().state == "Running"
    assert found.vm_size == "small" and found.max_concurrent_runs == 1 and found.tags == {"team": "ml"}
    with pytest.raises(ComputeStateConflict, match="already Running"):
        found.start()
    base = found.jupyter_path
    assert base is not None and base.startswith("/api/v1/instances/") and base.endswith("/jupyter/")
    with server.http() as http:
        status = http.get(f"{base}api/status")
        assert status.status_code == 200 and "started" in status.json()
        # a notebook saved through Jupyter lands in the workspace's notebooks folder ...
        saved = http.put(
            f"{base}api/contents/from-jupyter.ipynb",
            json={"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}},
        )
        assert saved.status_code in (200, 201), saved.text
        assert "from-jupyter.ipynb" in [n["name"] for n in Notebook.list(ws)]
        # ... and one uploaded to the workspace opens in Jupyter
        local = server.home.parent / "uploaded.ipynb"
        local.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        Notebook.upload(ws, local, "shared/uploaded.ipynb")
        listed = http.get(f"{base}api/contents/shared").json()
        assert [c["name"] for c in listed["content"]] == ["uploaded.ipynb"]
        # a kernel, started over REST and driven over the proxied WebSocket
        kernel = http.post(f"{base}api/kernels", json={"name": "python3"}).json()
        assert http.delete(f"{base}api/contents/from-jupyter.ipynb").status_code == 204
    url = f"ws://127.0.0.1:{server.running.port}{base}api/kernels/{kernel['id']}/channels"
    with connect(url, additional_headers={"Authorization": f"Bearer {server.running.token}"}) as socket:
        assert execute(socket, "print(6 * 7)").strip() == "42"
        code = "import os, resource; print(len(os.sched_getaffinity(0)), resource.getrlimit(resource.RLIMIT_AS)[0])"
        limits = execute(socket, code)
        cpus, memory = limits.split()
        assert int(cpus) == 1 and int(memory) == 4 * 1024**3
        # the kernel signs the SDK in with the instance's own token, never the server's
        token = execute(socket, "import os; print(os.environ['MLYARD_TOKEN'])").strip()
        assert token.startswith("mly_") and token != server.running.token


def test_the_browser_handshake_and_who_may_open_it(server: Server, instance: ComputeInstance) -> None:
    ws = server.workspace()
    found = ComputeTarget(ws, "ci-main")
    assert isinstance(found, ComputeInstance)
    base = found.jupyter_path
    handle = json.loads((server.home / "instances" / base.split("/")[4] / "handle.json").read_text())
    url = found.get_jupyter_url()
    with httpx.Client(timeout=60) as browser:
        assert browser.get(f"{server.endpoint}{base}api/status").status_code == 401
        opened = browser.get(url)
        assert opened.status_code == 303 and opened.headers["location"] == f"{base}lab"
        cookie = opened.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and base in cookie
        page = browser.get(f"{server.endpoint}{base}lab")
        assert page.status_code == 200 and base in page.text and handle["token"] not in page.text
        assert browser.get(url).status_code == 401  # a ticket opens once
        # a cookie-borne write from another site is refused; a kernel socket too
        evil = {"Origin": "http://evil.example"}
        assert browser.post(f"{server.endpoint}{base}api/kernels", headers=evil).status_code == 403
        cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    ws_url = f"ws://127.0.0.1:{server.running.port}{base}api/kernels"
    with pytest.raises(InvalidStatus), connect(ws_url, additional_headers={"Cookie": cookies, **evil}):
        pass
    # another member of the workspace is neither its owner nor an Owner
    contributor = second_user(server, "Contributor")
    with server.http(contributor) as other:
        refused = other.get(f"{base}api/status")
        assert refused.status_code == 403 and "belongs to another user" in refused.json()["error"]["message"]
        assert other.post(f"{ws._path}/computes/ci-main/jupyter/open").status_code == 403


def test_the_instance_survives_a_server_restart_then_stops(server: Server, instance: ComputeInstance) -> None:
    server.restart()
    ws = server.workspace()
    found = ComputeTarget(ws, "ci-main")
    assert isinstance(found, ComputeInstance) and found.get_status().state == "Running"
    with server.http() as http:
        assert http.get(f"{found.jupyter_path}api/status").status_code == 200
    found.stop()
    assert found.get_status().state == "Stopped"
    with pytest.raises(ComputeStateConflict, match="already Stopped"):
        found.stop()
    with server.http() as http:
        refused = http.get(f"{found.jupyter_path}api/status")
        assert refused.status_code == 409 and "not running" in refused.json()["error"]["message"]
    found.restart()
    assert found.get_status().state == "Running"
    usage = ComputeInstance.usage(ws)
    sessions = [s for s in usage["sessions"] if s["instance"] == "ci-main"]
    assert [s["stopReason"] for s in sessions] == ["user", None]
    assert sessions[0]["hours"] > 0 and sessions[0]["pricePerHour"] == 0.05 and usage["users"][0]["name"] == "admin"
    line = next(x for x in usage["instances"] if x["name"] == "ci-main")
    assert line["running"] and line["sessions"] == 2 and line["cost"] == pytest.approx(line["hours"] * 0.05, abs=1e-5)


def test_an_idle_instance_stops_by_itself(server: Server) -> None:
    ws = server.workspace()
    config = ComputeInstance.provisioning_configuration(vm_size="small", idle_time_before_shutdown_minutes=0.05)
    idle = ComputeTarget.create(ws, "ci-idle", config)
    idle.wait_for_completion()
    assert isinstance(idle, ComputeInstance) and idle.idle_time_before_shutdown_minutes == 0.05
    folder = server.home / "instances" / str(idle.jupyter_path).split("/")[4]
    while idle.get_status().state != "Stopped":
        time.sleep(0.5)
    sessions = [s for s in ComputeInstance.usage(ws)["sessions"] if s["instance"] == "ci-idle"]
    assert [s["stopReason"] for s in sessions] == ["idle"]
    idle.delete()
    assert "ci-idle" not in ws.compute_targets
    assert not folder.exists()


NOTEBOOK_CELLS = [
    "from mlyard import Experiment, Workspace",
    "ws = Workspace.from_config()  # no auth=, no path: the instance's config.json and token",
    "Experiment(ws, 'from-a-notebook').start_logging().complete()",
    "print(ws.name, sorted(e.name for e in Experiment.list(ws)))",
    "import os; print(os.environ['MLYARD_TOKEN'])",
]


def test_the_sdk_in_a_notebook_is_signed_in_as_the_owner_until_the_instance_stops(
    server: Server, instance: ComputeInstance
) -> None:
    found = ComputeTarget(server.workspace(), "ci-main")
    assert isinstance(found, ComputeInstance) and found.get_status().state == "Running"
    base = found.jupyter_path
    with server.http() as http:
        kernel = http.post(f"{base}api/kernels", json={"name": "python3"}).json()
    url = f"ws://127.0.0.1:{server.running.port}{base}api/kernels/{kernel['id']}/channels"
    with connect(url, additional_headers={"Authorization": f"Bearer {server.running.token}"}) as socket:
        printed = [execute(socket, cell).strip() for cell in NOTEBOOK_CELLS]
    assert printed[3] == "default ['from-a-notebook']"
    token = printed[4]
    workspace = "/api/v1/subscriptions/default/resourceGroups/default/workspaces/default"
    with server.http(token) as http:
        assert http.get(f"{workspace}/experiments").status_code == 200
        # limited to the instance's workspace: nothing outside it, no new tokens
        assert http.get("/api/v1/subscriptions/default").status_code in (403, 404)
        assert http.post("/api/v1/me/tokens", json={"name": "x", "expiresInDays": 1}).status_code == 403
    with server.http() as http:
        names = [t["name"] for t in http.get("/api/v1/me/tokens").json()]
    assert any(n.startswith("instance ci-main ") for n in names)
    # a job sent to the instance runs in the instance's size, as its kernels do
    source = server.home.parent / "limits-job"
    source.mkdir(exist_ok=True)
    (source / "limits.py").write_text(
        "import os, resource\n"
        "print('LIMITS', len(os.sched_getaffinity(0)), resource.getrlimit(resource.RLIMIT_AS)[0])\n"
    )
    config = ScriptRunConfig(str(source), "limits.py", compute_target="ci-main")
    run = Experiment(server.workspace(), "on-an-instance").submit(config)
    run.wait_for_completion()
    log = run.read_log(0)["content"]
    assert f"LIMITS 1 {4 * 1024**3}" in log and "the instance's size 'small' applies" in log
    found.stop()
    with server.http(token) as http:
        refused = http.get(f"{workspace}/experiments")
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
