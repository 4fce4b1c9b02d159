"""Environments through the SDK and the REST API of a real server: files read on the client,
versions registered, builds streamed, errors with the right status and the same class."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest
from tests.fixtures.server import RunningServer

from mlyard import (
    CondaDependencies,
    Environment,
    Experiment,
    NotFound,
    ScriptRunConfig,
    ValidationError,
    Workspace,
)
from mlyard.core.errors import EnvironmentBuildFailed, EnvironmentNotFound, InvalidEnvironmentSpec, InvalidName

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"env-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def unique_six() -> str:
    """A six pin whose text no other test uses, so that this test's build is its own (the
    session's server keeps builds by spec hash)."""
    return f"six==1.16.0,!=0.0.{uuid.uuid4().int % 10**8}"


def test_files_register_get_list(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("# shared pins\nsix==1.16.0\n")
    (tmp_path / "requirements.txt").write_text("-r base.txt\ntomli==2.0.1  # parser\n\n")
    env = Environment.from_pip_requirements("train", tmp_path / "requirements.txt")
    assert env.python.pip_packages == ["six==1.16.0", "tomli==2.0.1"] and env.version is None
    env.environment_variables = {"MODE": "fast"}
    first = env.register(ws)
    assert first.version == "1" == env.version and first.environment_variables == {"MODE": "fast"}
    assert Environment.from_pip_requirements("train", tmp_path / "requirements.txt").register(ws).version == "2"
    again = Environment.from_pip_requirements("train", tmp_path / "requirements.txt").register(ws)
    assert again.version == "2"  # identical definition: the existing version

    (tmp_path / "conda.yml").write_text(
        "name: project\nchannels: [conda-forge]\nvariables: {LEVEL: '3'}\n"
        "dependencies:\n  - python=3.11\n  - pip\n  - numpy=1.26\n  - pip:\n    - six==1.16.0\n"
    )
    conda = Environment.from_conda_specification("conda-env", tmp_path / "conda.yml")
    assert conda.python.python_version == "3.11" and conda.python.pip_packages == ["six==1.16.0"]
    assert conda.python.conda_packages == ["pip", "numpy=1.26"] and conda.environment_variables == {"LEVEL": "3"}
    conda.register(ws)

    built = Environment("built-in-code")
    built.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"], python_version="3.11")
    assert built.register(ws).python.pip_packages == ["six"]

    assert Environment.get(ws, "train").version == "2"
    assert Environment.get(ws, "train", version=1).environment_variables == {"MODE": "fast"}
    assert Environment.get(ws, "conda-env").python.conda_channels == ["conda-forge"]
    listed = Environment.list(ws)
    assert set(listed) == {"train", "conda-env", "built-in-code", "mlyard-minimal", "mlyard-sklearn"}
    assert listed["mlyard-sklearn"].is_curated and "mlyard" in listed["mlyard-sklearn"].python.pip_packages
    assert set(ws.environments) == set(listed)
    assert [e.version for e in Environment.list_versions(ws, "train")] == ["1", "2"]


def test_bad_input_is_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InvalidEnvironmentSpec, match="Cannot read requirements file"):
        Environment.from_pip_requirements("x", tmp_path / "absent.txt")
    (tmp_path / "bad.yml").write_text("dependencies: [python=3.11, {conda: [x]}]\n")
    with pytest.raises(InvalidEnvironmentSpec, match="neither a package nor a pip list"):
        Environment.from_conda_specification("x", tmp_path / "bad.yml")
    (tmp_path / "notyaml.yml").write_text("dependencies: [unclosed\n")
    with pytest.raises(InvalidEnvironmentSpec, match="is not YAML"):
        Environment.from_conda_specification("x", tmp_path / "notyaml.yml")
    with pytest.raises(InvalidName, match="kept for curated"):
        Environment("mlyard-custom").register(ws)
    with pytest.raises(InvalidName):
        Environment("bad/name").register(ws)
    with pytest.raises(EnvironmentNotFound, match="mlyard-minimal"):
        Environment.get(ws, "absent")
    with pytest.raises(ValidationError, match="not an environment version"):
        Environment.get(ws, "mlyard-minimal", version="one")
    bad = Environment("ok-name")
    bad.environment_variables = {"NOT-A-NAME": "x"}
    with pytest.raises(InvalidEnvironmentSpec):
        bad.register(ws)
    with pytest.raises(NotFound):
        Environment.list(Workspace(SUB, ws.resource_group, "absent-ws"))


def test_rest_statuses(ws: Workspace, server_env: RunningServer) -> None:
    base = f"/api/v1/subscriptions/{SUB}/resourceGroups/{ws.resource_group}/workspaces/{ws.name}/environments"
    body = {"python": {"pipPackages": ["six==1.16.0"]}, "environmentVariables": {"A": "1"}}
    with server_env.client() as http:
        assert http.post(f"{base}/rest-env/versions", json=body).status_code == 201
        assert http.post(f"{base}/rest-env/versions", json=body).status_code == 200
        missing = http.get(f"{base}/nothing")
        assert missing.status_code == 404 and "rest-env" in missing.json()["error"]["message"]
        assert http.get(f"{base}/rest-env/versions/9").status_code == 404
        assert http.get(f"{base}/rest-env/versions/0").status_code == 400
        assert http.get(f"{base}/rest-env/versions/latest").json()["version"] == "1"
        assert http.post(f"{base}/rest-env/versions", json={"python": {"pipPackage": []}}).status_code == 400
        assert http.post(f"{base}/rest-env/versions", json={"python": {"pythonVersion": "x"}}).status_code == 400
        assert http.post(f"{base}/nothing/versions/1/build").status_code == 404
        assert [v["version"] for v in http.get(f"{base}/rest-env/versions").json()] == ["1"]
        unauthenticated = httpx.post(f"{server_env.endpoint}{base}/rest-env/versions/1/build")
        assert unauthenticated.status_code == 401


def test_build_streams_and_caches(ws: Workspace) -> None:
    env = Environment("tiny")
    env.python.pip_packages = [unique_six()]
    lines: list[str] = []
    first = env.build(ws, on_line=lines.append)  # registers first, then builds
    assert env.version == "1" and not first.cache_hit and first.build_seconds is not None
    assert any("Built environment 'tiny:1'" in line for line in lines) and first.log == tuple(lines)
    again = Environment.get(ws, "tiny").build(ws, show_output=False)
    assert again.cache_hit and again.python == first.python and again.spec_hash == first.spec_hash
    details = Environment.get(ws, "tiny").get_build_details(ws)
    assert details["status"] == "Succeeded" and "Built environment 'tiny:1'" in details["log"]


def test_failed_build_raises_with_the_installers_words(ws: Workspace) -> None:
    env = Environment("broken")
    env.python.pip_packages = ["mlyard-test-no-such-package-7f3a==0.0.1"]
    env.register(ws)
    lines: list[str] = []
    with pytest.raises(EnvironmentBuildFailed) as failed:
        env.build(ws, on_line=lines.append)
    assert "mlyard-test-no-such-package-7f3a" in failed.value.message
    assert "mlyard-test-no-such-package-7f3a" in "\n".join(lines)
    details = env.get_build_details(ws)
    assert details["status"] == "Failed" and details["error"] == failed.value.message


def test_a_cancel_during_the_environment_build_stops_the_installer_and_cancels_the_run(
    ws: Workspace, server_env: RunningServer, tmp_path: Path
) -> None:
    with socket.socket() as silent:  # a package index that takes the connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        env = Environment("hangs")
        env.python.pip_packages = [f"six @ http://127.0.0.1:{port}/six-1.16.0-py2.py3-none-any.whl"]
        env.register(ws)
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "main.py").write_text("print('never runs')\n")
        config = ScriptRunConfig(str(tmp_path / "src"), "main.py", environment="hangs")
        run = Experiment(ws, "build-cancel").submit(config)
        deadline = time.monotonic() + 120
        while "pip install" not in run.read_log(0)["content"]:  # the installer runs and hangs
            assert time.monotonic() < deadline and run.get_status() in ("Queued", "Preparing"), run.get_details()
            time.sleep(0.1)
        began = time.monotonic()
        run.cancel()
        took = time.monotonic() - began
        assert run.get_status() == "Canceled" and took < 15, took
        log = run.read_log(0)["content"]
        assert "The build was stopped: its job was canceled" in log and "never runs" not in log
        assert run.get_details()["statusReason"].startswith("canceled")
        installers = [
            pid
            for pid in os.listdir("/proc")
            if pid.isdigit() and str(server_env.home / "environments").encode() in _cmdline(pid)
        ]
        assert installers == [], "the installer's process group was killed"
        # A canceled build is not remembered as failed: the next job builds again, not refused at once.
        again = Experiment(ws, "build-cancel").submit(config)
        while "pip install" not in again.read_log(0)["content"]:
            assert time.monotonic() < deadline and again.get_status() in ("Queued", "Preparing"), again.get_details()
            time.sleep(0.1)
        again.cancel()
        assert again.get_status() == "Canceled"


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
