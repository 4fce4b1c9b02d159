"""``mlyard datastore …`` against the session's real server, run in a subprocess as a user would."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.e2e.test_cli_workspace import mlyard, ok
from tests.fixtures.moto import MotoS3
from tests.fixtures.server import RunningServer

from mlyard import Workspace

SUB = "default"


def workspace_flags() -> list[str]:
    name = f"dscli-{uuid.uuid4().hex[:8]}"
    Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)
    return ["-w", name, "-g", f"{name}-rg"]


def failed(*args: str, code: int = 1) -> str:
    done = mlyard(*args)
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return " ".join(done.stderr.split())


def test_register_transfer_default_and_unregister(
    server_env: RunningServer, moto_server: MotoS3, tmp_path: Path
) -> None:
    ws = workspace_flags()
    listed = json.loads(ok("datastore", "list", *ws, "-o", "json").stdout)
    assert [(d["name"], d["isDefault"]) for d in listed] == [
        ("workspaceblobstore", True),
        ("workspacefilestore", False),
    ]

    canary = f"CANARY-{uuid.uuid4().hex}"
    bucket = moto_server.create_bucket()
    s3 = ["--type", "s3", "--bucket", bucket, "--endpoint-url", moto_server.endpoint_url, "--region", "us-east-1"]
    keys = ["--access-key-id", "test", "--secret-access-key", canary]
    made = ok("datastore", "register", "-n", "lake", *s3, *keys, *ws, "-o", "json")
    assert canary not in made.stdout + made.stderr
    assert json.loads(made.stdout)["credentials"] == {"secretName": "datastore-lake", "version": 1}
    shown = ok("datastore", "show", "-n", "lake", *ws).stdout
    assert f"s3://{bucket}" in shown and "datastore-lake" in shown
    assert "does not take --path" in failed("datastore", "register", "-n", "x", *s3, "--path", "/tmp", *ws, code=2)
    local = ["--type", "local", "--path", "/tmp"]
    assert "MLYARD_LOCAL_DATASTORE_ROOTS" in failed("datastore", "register", "-n", "h", *local, *ws)

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text("a")
    (src / "b.txt").write_text("b")
    into_in = ["--src", str(src), "--target-path", "in"]
    ok("datastore", "upload", "-n", "lake", *into_in, *ws)
    assert "nothing was uploaded" in failed("datastore", "upload", "-n", "lake", *into_in, *ws)
    ok("datastore", "upload", "-n", "lake", "--src", str(src / "b.txt"), "--target-path", "one", *ws)
    names = [f["name"] for f in json.loads(ok("datastore", "files", "-n", "lake", *ws, "-o", "json").stdout)]
    assert names == ["in/b.txt", "in/sub/a.txt", "one/b.txt"]
    out = tmp_path / "out"
    ok("datastore", "download", "-n", "lake", "-d", str(out), "--prefix", "in", *ws)
    assert (out / "in" / "sub" / "a.txt").read_text() == "a" and not (out / "one").exists()
    assert "nothing was downloaded" in failed("datastore", "download", "-n", "lake", "-d", str(out), *ws)

    azure = ["--type", "azure-blob", "--container-name", "training", "--account-name", "mlyardacct"]
    ok("datastore", "register", "-n", "azure_data", *azure, "--sas-token", canary, *ws)
    assert "Azure Blob support is not built in this installation" in failed(
        "datastore", "upload", "-n", "azure_data", "--src", str(src), *ws
    )
    ok("datastore", "unregister", "-n", "azure_data", "-y", *ws)
    ok("datastore", "set-default", "-n", "lake", *ws)
    assert "make another one the default first" in failed("datastore", "unregister", "-n", "lake", "-y", *ws)
