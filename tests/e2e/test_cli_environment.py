"""``mlyard environment`` against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Workspace

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"clienv-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def test_register_list_build_show(ws: Workspace, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"six==1.16.0,!=0.0.{uuid.uuid4().int % 10**8}\n")
    made = as_json("environment", "register", "-f", str(requirements), "--name", "cli-env", "--env", "A=1", *where(ws))
    assert made["version"] == "1" and made["environmentVariables"] == {"A": "1"}
    again = ok("environment", "register", "-f", str(requirements), "-n", "cli-env", "--env", "A=1", *where(ws))
    assert "version 1 holds this definition" in again.stderr
    names = [e["name"] for e in as_json("environment", "list", *where(ws))]
    assert names == ["cli-env", "mlyard-minimal", "mlyard-sklearn"]

    built = ok("environment", "build", "cli-env:1", "-o", "json", *where(ws))
    assert "Built environment 'cli-env:1'" in built.stderr and '"cacheHit": false' in built.stdout
    cached = ok("environment", "build", "cli-env@latest", *where(ws))
    assert "was already built" in cached.stderr

    shown = ok("environment", "show", "cli-env", *where(ws)).stdout
    assert "Succeeded" in shown and "Built environment 'cli-env:1'" in shown  # the last build's log
    assert as_json("environment", "show", "cli-env:1", *where(ws))["build"]["status"] == "Succeeded"

    conda = tmp_path / "env.yml"
    conda.write_text("dependencies:\n  - python=3.11\n  - pip:\n    - six\n")
    from_conda = as_json("environment", "register", "-f", str(conda), "-n", "cli-conda", *where(ws))
    assert from_conda["pythonVersion"] == "3.11" and from_conda["pipPackages"] == ["six"]


def test_bad_input(ws: Workspace, tmp_path: Path) -> None:
    missing = mlyard("environment", "show", "nothing", *where(ws))
    assert missing.returncode == 1 and "'nothing' was not found" in missing.stderr
    assert "mlyard-minimal" in missing.stderr
    bad_version = mlyard("environment", "build", "mlyard-minimal:first", *where(ws))
    assert bad_version.returncode == 1 and "not an environment version" in bad_version.stderr
    absent_file = mlyard("environment", "register", "-f", str(tmp_path / "none.txt"), "-n", "x", *where(ws))
    assert absent_file.returncode == 1 and "Cannot read requirements file" in absent_file.stderr
    bad_env = mlyard("environment", "register", "-f", str(tmp_path / "none.txt"), "-n", "x", "--env", "A", *where(ws))
    assert bad_env.returncode != 0


def test_build_image_writes_a_context(ws: Workspace, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    ok("environment", "register", "-f", str(requirements), "-n", "imaged", "--env", "MODE=serve", *where(ws))
    out = tmp_path / "context"
    done = ok("environment", "build-image", "imaged", "--version", "1", "--output", str(out), *where(ws))
    dockerfile = (out / "Dockerfile").read_text()
    assert "FROM python:3." in dockerfile and 'ENV MODE="serve"' in dockerfile
    assert "six==1.16.0" in (out / "requirements.txt").read_text()
    assert (out / "mlyard" / "sdk" / "run.py").exists()
    assert f"Wrote the Dockerfile and build context of 'imaged:1' to {out}" in done.stderr
    if shutil.which("docker") is None or "No Docker engine here" in done.stderr:
        assert "docker build -t mlyard-env/imaged:1" in done.stderr
    missing = mlyard("environment", "build-image", "imaged", "--version", "4", *where(ws))
    assert missing.returncode == 1 and "no version 4" in missing.stderr
