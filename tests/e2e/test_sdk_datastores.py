"""Datastores through the SDK against real servers: one on the file blob store (the session's),
one on an S3 blob store (moto's server) that allows local datastores under a folder of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import xxhash
from tests.fixtures.moto import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, MotoS3
from tests.fixtures.server import RunningServer, start_server

from mlyard import AuthorizationError, Datastore, Workspace
from mlyard.core.errors import (
    ChecksumMismatch,
    DatastoreAlreadyExists,
    DatastoreFileAlreadyExists,
    DatastoreNotFound,
    DatastoreNotRemovable,
    DatastoreNotSupported,
    DatastorePathNotAllowed,
    InvalidFileName,
)
from mlyard.sdk.authentication import TokenAuthentication

SUB = "default"


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, moto_server: MotoS3) -> Iterator[RunningServer]:
    """``mlyard up`` on an S3 blob store, allowing local datastores under ``<home>/../data``."""
    base = tmp_path_factory.mktemp("s3-server")
    (base / "data" / "team").mkdir(parents=True)
    env = {
        "MLYARD_STORAGE_URL": f"s3://{moto_server.create_bucket()}/store",
        "MLYARD_S3_ENDPOINT_URL": moto_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "MLYARD_LOCAL_DATASTORE_ROOTS": str(base / "data"),
    }
    server = start_server(base / "home", extra_env=env)
    yield server
    server.stop()


@pytest.fixture(params=["file", "s3"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunningServer:
    running: RunningServer = request.getfixturevalue("live_server" if request.param == "file" else "s3_server")
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("MLYARD_HOME", str(running.home))
    monkeypatch.chdir(tmp_path)
    return running


def new_workspace() -> Workspace:
    name = f"ds-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_upload_and_download_through_the_workspace_datastore(
    server: RunningServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ws = new_workspace()
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "a" / "b.txt").write_text("bee")
    (src / "c.bin").write_bytes(os.urandom(1_500_000))
    (src / "empty.txt").write_bytes(b"")
    store = ws.get_default_datastore()

    ref = store.upload(src, target_path="inputs", show_progress=True)
    assert (ref.datastore.name, ref.path_on_datastore) == ("workspaceblobstore", "inputs")
    assert "Uploaded 3 files" in capfd.readouterr().err
    assert [f["name"] for f in store.list_files("inputs")] == ["inputs/a/b.txt", "inputs/c.bin", "inputs/empty.txt"]
    (src / "new.txt").write_text("new")
    with pytest.raises(DatastoreFileAlreadyExists, match=r"'inputs/a/b\.txt', 'inputs/c\.bin'.*nothing was uploaded"):
        store.upload(src, target_path="inputs", show_progress=False)
    assert "inputs/new.txt" not in [f["name"] for f in store.list_files("inputs")]
    store.upload(src, target_path="inputs", overwrite=True, show_progress=False)

    out = tmp_path / "out"
    assert store.download(out, prefix="inputs", show_progress=False) == 4
    assert tree(out / "inputs") == tree(src)
    (out / "inputs" / "a" / "b.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="nothing was downloaded"):
        store.download(out, prefix="inputs", show_progress=False)
    assert (out / "inputs" / "a" / "b.txt").read_text() == "mine"
    assert store.download(out, prefix="inputs/a", overwrite=True, show_progress=False) == 1
    assert (out / "inputs" / "a" / "b.txt").read_text() == "bee"

    files = [src / "a" / "b.txt", src / "c.bin"]
    store.upload_files(files, relative_root=src, target_path="picked", show_progress=False)
    ws.datastores["workspacefilestore"].upload_files([src / "a" / "b.txt"], show_progress=False)
    assert [f["name"] for f in store.list_files("picked")] == ["picked/a/b.txt", "picked/c.bin"]
    assert [f["name"] for f in Datastore.get(ws, "workspacefilestore").list_files()] == ["b.txt"]

    # Bad calls change nothing.
    with pytest.raises(FileNotFoundError, match="no such folder"):
        store.upload(tmp_path / "missing", show_progress=False)
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        store.upload_files([src / "a" / "b.txt", tmp_path / "missing.txt"], show_progress=False)
    for target in ("../escape", "a/../.."):
        with pytest.raises(InvalidFileName, match="may not leave the datastore"):
            store.upload(src, target_path=target, show_progress=False)
    assert len(store.list_files()) == 6


def test_the_server_checks_digests_names_and_protection(server: RunningServer) -> None:
    ws = new_workspace()
    files = f"{ws._path}/datastores/workspaceblobstore/files"
    with server.client() as http:
        bad = http.put(f"{files}/a.txt", content=b"abc", headers={"X-Content-XXH128": "0" * 32})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == ChecksumMismatch.code
        escape = http.put(f"{files}/a/%2E%2E/%2E%2E/b.txt", content=b"x")
        assert escape.status_code == 400 and "'..' segment" in escape.json()["error"]["message"], escape.text
        assert http.get(files).json() == {"value": []}
        good = http.put(
            f"{files}/data/a.csv", content=b"x,y\n", headers={"X-Content-XXH128": xxhash.xxh3_128(b"x,y\n").hexdigest()}
        )
        assert good.status_code == 200, good.text
        got = http.get(f"{files}/data/a.csv")
        assert got.content == b"x,y\n" and got.headers["x-content-xxh128"] == good.json()["xxh128"]
        assert got.headers["content-type"].startswith("text/csv")
        missing = http.get(f"{files}/data/b.csv")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "DatastoreFileNotFound"
        builtin = http.delete(f"{ws._path}/datastores/workspaceblobstore")
        assert builtin.status_code == 409 and "built into workspace" in builtin.json()["error"]["message"]
        untyped = http.put(f"{ws._path}/datastores/lake", json={"bucket": "b"})
        assert untyped.status_code == 400 and "datastoreType" in untyped.json()["error"]["message"], untyped.text
        typo = http.put(f"{ws._path}/datastores/lake", json={"datastoreType": "s3", "bucket": "b", "secretKey": "x"})
        assert typo.status_code == 400 and "secretKey" in typo.json()["error"]["message"], typo.text
    assert [d.name for d in Datastore.list(ws)] == ["workspaceblobstore", "workspacefilestore"]


@pytest.fixture
def on_s3_server(s3_server: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunningServer:
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("MLYARD_HOME", str(s3_server.home))
    monkeypatch.chdir(tmp_path)
    return s3_server


def test_registered_datastores_local_s3_and_azure(
    on_s3_server: RunningServer, moto_server: MotoS3, tmp_path: Path
) -> None:
    ws = new_workspace()
    team = on_s3_server.home.parent / "data" / "team"
    (tmp_path / "t.csv").write_text("a\n1\n")

    with pytest.raises(DatastorePathNotAllowed, match="outside the folders this server allows"):
        Datastore.register_local(ws, "host_etc", "/etc")
    local = Datastore.register_local(ws, "team", str(team))
    assert local.datastore_type == "local" and local.properties["path"] == str(team.resolve())
    local.upload_files([tmp_path / "t.csv"], target_path=ws.name, show_progress=False)
    assert (team / ws.name / "t.csv").read_text() == "a\n1\n"

    canary = f"CANARY-{uuid.uuid4().hex}"
    bucket = moto_server.create_bucket()
    lake = Datastore.register_s3(ws, "lake", bucket, "raw", moto_server.endpoint_url, "test", canary, region=REGION)
    assert lake.credentials == {"secretName": "datastore-lake", "version": 1}
    assert lake.bucket == bucket and canary not in repr(lake.get_details())
    lake.upload_files([tmp_path / "t.csv"], show_progress=False)
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["raw/t.csv"]
    with pytest.raises(DatastoreAlreadyExists, match="overwrite=True"):
        Datastore.register_s3(
            ws, "LAKE", bucket, endpoint_url=moto_server.endpoint_url, access_key_id="test", secret_access_key=canary
        )
    again = Datastore.register_s3(
        ws, "lake", bucket, None, moto_server.endpoint_url, "test", canary, region=REGION, overwrite=True
    )
    assert again.credentials == {"secretName": "datastore-lake", "version": 2} and again.prefix is None
    assert Datastore.get(ws, "lake").download(tmp_path / "down", prefix="raw", show_progress=False) == 1

    azure = Datastore.register_azure_blob_container(ws, "azure_data", "training", "mlyardacct", sas_token=canary)
    assert azure.container_name == "training" and azure.account_name == "mlyardacct"
    with pytest.raises(DatastoreNotSupported, match="Azure Blob support is not built in this installation"):
        azure.upload_files([tmp_path / "t.csv"], show_progress=False)

    ws.set_default_datastore("lake")
    assert ws.get_default_datastore().name == "lake"
    with pytest.raises(DatastoreNotRemovable, match="make another one the default first"):
        Datastore.get(ws, "lake").unregister()
    ws.get_default_datastore()  # still there
    Datastore.get(ws, "workspaceblobstore").set_as_default()
    for name in ("lake", "azure_data", "team"):
        Datastore.get(ws, name).unregister()
    with pytest.raises(DatastoreNotFound):
        Datastore.get(ws, "lake")
    with pytest.raises(DatastoreNotRemovable, match="cannot be unregistered"):
        Datastore.get(ws, "workspacefilestore").unregister()
    assert (team / ws.name / "t.csv").exists()  # unregistering leaves the data

    # The secret went to the vault only: not the log, not the database, not the blob store.
    holding = [str(p) for p in on_s3_server.home.rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
    assert holding == []
    s3, store_bucket = moto_server.client(), on_s3_server.env["MLYARD_STORAGE_URL"].split("/")[2]
    for item in s3.list_objects_v2(Bucket=store_bucket).get("Contents", []):
        assert canary.encode() not in s3.get_object(Bucket=store_bucket, Key=item["Key"])["Body"].read()


def test_a_reader_may_download_but_not_upload_or_register(on_s3_server: RunningServer, tmp_path: Path) -> None:
    ws = new_workspace()
    ws.get_default_datastore().upload_files([Path(__file__)], show_progress=False)
    reader = f"reader-{uuid.uuid4().hex[:8]}"
    with on_s3_server.client() as admin:
        assert admin.post("/api/v1/users", json={"username": reader, "password": "a-long-password"}).status_code == 201
        scope = f"/subscriptions/{SUB}/resourceGroups/{ws.resource_group}/workspaces/{ws.name}"
        made = admin.post("/api/v1/roleAssignments", json={"assignee": reader, "role": "Reader", "scope": scope})
        assert made.status_code == 201, made.text
        token = admin.post(
            "/api/v1/auth/login", json={"username": reader, "password": "a-long-password", "tokenName": "t"}
        ).json()["token"]
    as_reader = Workspace(SUB, ws.resource_group, ws.name, auth=TokenAuthentication(token), endpoint=ws.endpoint)
    store = as_reader.get_default_datastore()
    assert store.download(tmp_path / "got", show_progress=False) == 1
    with pytest.raises(AuthorizationError, match="'workspaces/datastores/write'"):
        store.upload_files([Path(__file__)], target_path="again", show_progress=False)
    with pytest.raises(AuthorizationError, match="'workspaces/datastores/write'"):
        Datastore.register_local(as_reader, "team", "/tmp")
