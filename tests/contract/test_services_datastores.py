"""Datastores through their services, on SQLite and PostgreSQL: registering (local folders, S3
buckets on moto's server, Azure Blob containers), the vault holding credentials, the default,
and files in and out of the built-in datastore over the file and the S3 blob store."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import xxhash
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from tests.fixtures.moto import MotoS3, _moto_executable, _start, _stop

from mlyard.core.entities.datastores import AzureBlobContainer, DatastoreSpec, LocalFolder, S3Bucket
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    ChecksumMismatch,
    DatastoreAlreadyExists,
    DatastoreFileAlreadyExists,
    DatastoreFileNotFound,
    DatastoreNotFound,
    DatastoreNotRemovable,
    DatastoreNotSupported,
    DatastorePathNotAllowed,
    DatastoreUnreachable,
    InvalidFileName,
    InvalidName,
    SecretNotFound,
    ValidationError,
)
from mlyard.core.scopes import Scope
from mlyard.core.settings import Settings
from mlyard.services import datastore_files, datastores, subscriptions, vault, workspaces
from mlyard.services.datastore_access import digest_prefix, legacy_digest_prefix
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.store.datastores import DatastoreRow

WS = ("sub1", "rg1", "ws1")
SCOPE = Scope(*WS)
BAD_NAMES = ["", "/etc/passwd", "a/../b", "..", "a//b", "a\\b", "x" * 901]


def xxh(data: bytes) -> str:
    return xxhash.xxh3_128(data).hexdigest()


@pytest.fixture
def roots(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "team").mkdir(parents=True)
    return root


@pytest.fixture
def p(platform: Platform, admin: Principal, roots: Path) -> Platform:
    """A platform whose administrator allows local datastores under ``roots``, with workspace ws1."""
    settings = platform.settings.model_copy(update={"local_datastore_roots": [roots]})
    made = replace(platform, settings=settings)
    subscriptions.create_subscription(made, admin, "sub1")
    subscriptions.create_resource_group(made, admin, "sub1", "rg1")
    workspaces.create_workspace(made, admin, *WS)
    return made


def register(p: Platform, admin: Principal, name: str, spec: DatastoreSpec, overwrite: bool = False) -> object:
    return datastores.register_datastore(p, admin, *WS, name, spec, overwrite=overwrite)[0]


def names(p: Platform) -> list[str]:
    return [d.name for d in datastores.list_datastores(p, *WS)]


# -- the roots setting -----------------------------------------------------------------------


def test_the_roots_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLYARD_LOCAL_DATASTORE_ROOTS", f"/srv/data{os.pathsep}/mnt/x")
    assert Settings(home=tmp_path).local_datastore_roots == [Path("/srv/data"), Path("/mnt/x")]
    monkeypatch.setenv("MLYARD_LOCAL_DATASTORE_ROOTS", '["/srv/a:b"]')
    assert Settings(home=tmp_path).local_datastore_roots == [Path("/srv/a:b")]
    monkeypatch.delenv("MLYARD_LOCAL_DATASTORE_ROOTS")
    assert Settings(home=tmp_path).local_datastore_roots == []
    with pytest.raises(PydanticValidationError, match="must be an absolute folder"):
        Settings(home=tmp_path, local_datastore_roots=["relative"])
    with pytest.raises(PydanticValidationError, match="may not hold '/' in production"):
        Settings(home=tmp_path, mode="production", local_datastore_roots=["/"])


# -- registering local folders -------------------------------------------------------------


def test_local_datastores_are_refused_until_the_administrator_allows_roots(
    platform: Platform, admin: Principal, roots: Path
) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    with pytest.raises(DatastorePathNotAllowed, match="MLYARD_LOCAL_DATASTORE_ROOTS") as caught:
        register(platform, admin, "team", LocalFolder(str(roots / "team")))
    assert caught.value.status == 400
    assert names(platform) == ["workspaceblobstore", "workspacefilestore"]


def test_local_folder_round_trip_and_the_folders_it_may_not_be(
    p: Platform, admin: Principal, roots: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (roots / "escape").symlink_to(outside)
    refused = {
        str(outside): "outside the folders",
        str(roots / "escape"): f"resolves to '{outside}'",
        str(roots / "team" / ".." / ".."): "outside the folders",
        "team": "absolute",
        str(roots / "missing"): "not an existing folder",
    }
    for path, why in refused.items():
        with pytest.raises(DatastorePathNotAllowed, match=why):
            register(p, admin, "team", LocalFolder(path))
    # Even under an allowed root, never the server's home or blob store, nor a folder holding them.
    wide = replace(p, settings=p.settings.model_copy(update={"local_datastore_roots": [tmp_path]}))
    (roots / "home-link").symlink_to(p.settings.home)
    for path in (tmp_path, p.settings.home / "sub", roots / "home-link", tmp_path / "blobs"):
        with pytest.raises(DatastorePathNotAllowed, match="overlaps the server's own files"):
            register(wide, admin, "team", LocalFolder(str(path)))
    assert names(p) == ["workspaceblobstore", "workspacefilestore"]

    made = register(p, admin, "Team_Data", LocalFolder(str(roots / "team" / ".")))
    assert made.properties == {"path": str(roots / "team")} and made.credentials is None  # type: ignore[attr-defined]
    (roots / "team" / "already.csv").write_text("a,b\n1,2\n")
    stored = datastore_files.upload(p, *WS, "team_data", "sub/new.txt", [b"new"])
    assert (roots / "team" / "sub" / "new.txt").read_bytes() == b"new"
    assert stored.xxh128 == xxh(b"new")
    assert [f.name for f in datastore_files.list_files(p, *WS, "team_data")] == ["already.csv", "sub/new.txt"]
    info, chunks = datastore_files.open_file(p, *WS, "team_data", "already.csv")
    assert b"".join(chunks) == b"a,b\n1,2\n" and info.xxh128 is None  # written by another tool
    # Uploaded while digests were sha256: its record (still true to the file) gives way to an xxh128.
    ws_id = workspaces.get_workspace(p, *WS).id
    old = {
        "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
        "size": info.size,
        "modified": info.modified.isoformat(),
    }
    p.blobs.put_bytes(f"{legacy_digest_prefix(ws_id, made.id)}/already.csv", json.dumps(old).encode())
    assert datastore_files.open_file(p, *WS, "team_data", "already.csv")[0].xxh128 == xxh(b"a,b\n1,2\n")
    record = json.loads(p.blobs.get_bytes(f"{digest_prefix(ws_id, made.id)}/already.csv"))
    assert record == {"xxh128": xxh(b"a,b\n1,2\n"), "size": info.size, "modified": info.modified.isoformat()}
    assert not p.blobs.exists(f"{legacy_digest_prefix(ws_id, made.id)}/already.csv")
    # An old record that no longer holds (the file changed since) still gives nothing.
    (roots / "team" / "changed.csv").write_text("new content")
    stale = {"sha256": "0" * 64, "size": 3, "modified": info.modified.isoformat()}
    p.blobs.put_bytes(f"{legacy_digest_prefix(ws_id, made.id)}/changed.csv", json.dumps(stale).encode())
    assert datastore_files.open_file(p, *WS, "team_data", "changed.csv")[0].xxh128 is None
    (roots / "team" / "changed.csv").unlink()

    # A link planted in the folder does not lead out of it.
    (outside / "secret.txt").write_text("host file")
    (roots / "team" / "link").symlink_to(outside)
    (roots / "team" / "file-link").symlink_to(outside / "secret.txt")
    for name in ("link/secret.txt", "file-link"):
        with pytest.raises(DatastorePathNotAllowed, match="symbolic link"):
            datastore_files.open_file(p, *WS, "team_data", name)
    with pytest.raises(DatastorePathNotAllowed):
        datastore_files.upload(p, *WS, "team_data", "link/planted.txt", [b"x"])
    assert not (outside / "planted.txt").exists()
    assert "file-link" not in [f.name for f in datastore_files.list_files(p, *WS, "team_data")]


def test_a_local_datastore_outside_the_roots_later_is_unreachable(p: Platform, admin: Principal, roots: Path) -> None:
    register(p, admin, "team", LocalFolder(str(roots / "team")))
    narrowed = replace(p, settings=p.settings.model_copy(update={"local_datastore_roots": [roots / "elsewhere"]}))
    with pytest.raises(DatastoreUnreachable, match="outside the folders"):
        datastore_files.list_files(narrowed, *WS, "team")


# -- registering, the default, unregistering -------------------------------------------------


def test_names_overwrite_default_and_unregister(p: Platform, admin: Principal, roots: Path) -> None:
    (roots / "other").mkdir()
    with pytest.raises(InvalidName, match="letters, digits and underscores"):
        register(p, admin, "bad-name", LocalFolder(str(roots / "team")))
    for builtin in ("workspaceblobstore", "WorkspaceFileStore"):
        with pytest.raises(DatastoreNotRemovable, match="built into workspace 'ws1'"):
            register(p, admin, builtin, LocalFolder(str(roots / "team")), overwrite=True)
        with pytest.raises(DatastoreNotRemovable, match="cannot be unregistered"):
            datastores.unregister_datastore(p, *WS, builtin)
    first, created = datastores.register_datastore(p, admin, *WS, "team", LocalFolder(str(roots / "team")))
    assert created and first.created_by == admin.id and first.updated_at is None and not first.is_default
    with pytest.raises(DatastoreAlreadyExists, match="overwrite=True"):
        register(p, admin, "TEAM", LocalFolder(str(roots / "other")))
    again, created = datastores.register_datastore(
        p, admin, *WS, "TEAM", LocalFolder(str(roots / "other")), overwrite=True
    )
    assert not created and again.id == first.id and again.name == "team" and again.updated_at is not None
    assert again.properties["path"] == str(roots / "other")

    made = datastores.set_default_datastore(p, *WS, "Team")
    assert made.is_default and datastores.get_default_datastore(p, *WS).name == "team"
    assert [d.name for d in datastores.list_datastores(p, *WS) if d.is_default] == ["team"]
    with pytest.raises(DatastoreNotRemovable, match="make another one the default first"):
        datastores.unregister_datastore(p, *WS, "team")
    datastores.set_default_datastore(p, *WS, "workspaceblobstore")
    datastores.unregister_datastore(p, *WS, "team")
    assert names(p) == ["workspaceblobstore", "workspacefilestore"]
    assert (roots / "other").is_dir()  # the data stays
    for gone in (
        lambda: datastores.unregister_datastore(p, *WS, "team"),
        lambda: datastores.set_default_datastore(p, *WS, "team"),
    ):
        with pytest.raises(DatastoreNotFound, match="'team' was not found in workspace 'ws1'"):
            gone()


# -- S3 ----------------------------------------------------------------------------------------


def s3_spec(moto: MotoS3, bucket_name: str, **changes: str | None) -> S3Bucket:
    spec = S3Bucket(bucket_name, "test", "CANARY-secret-key", "raw/", moto.endpoint_url, "us-east-1")
    return replace(spec, **changes)


def test_s3_credentials_live_in_the_vault_only(
    p: Platform, admin: Principal, moto_server: MotoS3, s3_bucket: str
) -> None:
    made = register(p, admin, "lake_raw", s3_spec(moto_server, s3_bucket))
    assert made.properties == {  # type: ignore[attr-defined]
        "bucket": s3_bucket,
        "credentialType": "AccessKey",
        "prefix": "raw",
        "endpointUrl": moto_server.endpoint_url,
        "region": "us-east-1",
    }
    assert made.credentials is not None and made.credentials.secret_name == "datastore-lake-raw"  # type: ignore[attr-defined]
    secret = vault.get_secret(p, SCOPE, "datastore-lake-raw")
    assert json.loads(secret.value) == {"access_key_id": "test", "secret_access_key": "CANARY-secret-key"}
    with p.db.read() as session:
        row = session.scalars(select(DatastoreRow).where(DatastoreRow.name == "lake_raw")).one()
        assert "CANARY" not in json.dumps(row.properties) and row.secret_version == secret.version

    data = b"x,y\n" * 1000
    datastore_files.upload(p, *WS, "lake_raw", "2024/a.csv", [data], xxh(data))
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["raw/2024/a.csv"]
    info, chunks = datastore_files.open_file(p, *WS, "lake_raw", "2024/a.csv")
    assert b"".join(chunks) == data and info.xxh128 == xxh(data)
    moto_server.client().put_object(Bucket=s3_bucket, Key="raw/2024/a.csv", Body=b"changed by another tool")
    assert datastore_files.open_file(p, *WS, "lake_raw", "2024/a.csv")[0].xxh128 is None

    datastores.unregister_datastore(p, *WS, "lake_raw")
    with pytest.raises(SecretNotFound):
        vault.get_secret(p, SCOPE, "datastore-lake-raw")
    assert moto_server.client().list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 1  # the data stays


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"secret_access_key": None}, ValidationError, "never lends its own S3 credentials"),
        ({"bucket": "Bad_Bucket"}, ValidationError, "not an S3 bucket name"),
        ({"endpoint_url": "ftp://example.com"}, ValidationError, "http"),
        ({"endpoint_url": "http://user:pw@127.0.0.1:1"}, ValidationError, "must not carry credentials"),
        ({"prefix": "a/../b"}, ValidationError, "'..' segment"),
        ({"bucket": "no-such-bucket"}, DatastoreUnreachable, "nothing was registered.*bucket does not exist"),
    ],
)
def test_bad_s3_registrations_register_nothing(
    p: Platform,
    admin: Principal,
    moto_server: MotoS3,
    s3_bucket: str,
    changes: dict[str, str | None],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message) as caught:
        register(p, admin, "lake", s3_spec(moto_server, s3_bucket, **changes))
    assert "CANARY" not in str(caught.value)
    assert names(p) == ["workspaceblobstore", "workspacefilestore"]
    assert vault.list_secrets(p, SCOPE) == []


@pytest.fixture(scope="module")
def moto_with_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server that checks credentials (and knows none): every key is a wrong one."""
    executable = _moto_executable()
    if executable is None:
        pytest.skip("no moto_server executable")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "0")
        process, endpoint = _start(executable, tmp_path_factory.mktemp("moto-auth") / "moto.log")
    yield endpoint
    _stop(process)


def test_wrong_s3_credentials_register_nothing(p: Platform, admin: Principal, moto_with_auth: str) -> None:
    spec = S3Bucket("team-bucket", "AKIAWRONG", "CANARY-wrong", None, moto_with_auth, "us-east-1")
    with pytest.raises(DatastoreUnreachable, match="Access Key Id you provided does not exist") as caught:
        register(p, admin, "lake", spec)
    assert caught.value.status == 502 and "nothing was registered" in caught.value.message
    assert names(p) == ["workspaceblobstore", "workspacefilestore"] and vault.list_secrets(p, SCOPE) == []


# -- Azure Blob --------------------------------------------------------------------------------


def test_azure_blob_is_stored_but_not_reachable(p: Platform, admin: Principal) -> None:
    spec = AzureBlobContainer("training-data", "mlyardstore", sas_token="sv=CANARY-sas")
    made = register(p, admin, "azure_training", spec)
    assert made.properties["credentialType"] == "Sas" and "CANARY" not in json.dumps(made.properties)  # type: ignore[attr-defined]
    assert json.loads(vault.get_secret(p, SCOPE, "datastore-azure-training").value) == {"sas_token": "sv=CANARY-sas"}
    for attempt in (
        lambda: datastore_files.list_files(p, *WS, "azure_training"),
        lambda: datastore_files.upload(p, *WS, "azure_training", "a.txt", [b"x"]),
        lambda: datastore_files.open_file(p, *WS, "azure_training", "a.txt"),
    ):
        with pytest.raises(DatastoreNotSupported, match="Azure Blob support is not built in this installation"):
            attempt()
    with pytest.raises(ValidationError, match="not both"):
        register(p, admin, "both", replace(spec, account_key="k"))
    with pytest.raises(ValidationError, match="not a container name"):
        register(p, admin, "bad", replace(spec, container_name="Bad_Container"))
    # Replacing it with a datastore without credentials deletes the secret.
    register(p, admin, "azure_training", replace(spec, sas_token=None), overwrite=True)
    with pytest.raises(SecretNotFound):
        vault.get_secret(p, SCOPE, "datastore-azure-training")


# -- files of the built-in datastore, over both blob stores ------------------------------------


@pytest.fixture(params=["file", "s3"])
def blobs_p(request: pytest.FixtureRequest, p: Platform) -> Platform:
    """The built-in datastores live in the server's blob store: a folder, or a bucket on moto."""
    if request.param == "file":
        return p
    moto: MotoS3 = request.getfixturevalue("moto_server")
    return replace(p, blobs=open_blob_store(f"s3://{moto.create_bucket()}/blobs", **moto.store_options()))


def test_builtin_files_with_digests_overwrite_and_bad_names(blobs_p: Platform) -> None:
    p, where = blobs_p, WS
    data = os.urandom(3 * 1024 * 1024 + 5)
    sha = xxh(data)
    chunks = [data[i : i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024)]
    stored = datastore_files.upload(p, *where, "workspaceblobstore", "raw/big.bin", chunks, sha.upper())
    assert (stored.size, stored.xxh128) == (len(data), sha)
    info, out = datastore_files.open_file(p, *where, "workspaceblobstore", "raw/big.bin")
    assert info.xxh128 == sha and b"".join(out) == data
    with pytest.raises(DatastoreFileAlreadyExists, match="overwrite=True"):
        datastore_files.upload(p, *where, "workspaceblobstore", "raw/big.bin", [b"x"])
    with pytest.raises(ChecksumMismatch, match="nothing was stored"):
        datastore_files.upload(p, *where, "workspaceblobstore", "raw/big.bin", [b"x"], "0" * 32, overwrite=True)
    assert b"".join(datastore_files.open_file(p, *where, "workspaceblobstore", "raw/big.bin")[1]) == data
    datastore_files.upload(p, *where, "workspacefilestore", "notes.txt", [b"n"])
    assert [f.name for f in datastore_files.list_files(p, *where, "workspaceblobstore")] == ["raw/big.bin"]
    assert [f.name for f in datastore_files.list_files(p, *where, "workspacefilestore", "/")] == ["notes.txt"]
    assert datastore_files.list_files(p, *where, "workspaceblobstore", "ra") == []
    with pytest.raises(DatastoreFileNotFound, match="has no file 'raw/missing'"):
        datastore_files.open_file(p, *where, "workspaceblobstore", "raw/missing")
    for name in BAD_NAMES:
        with pytest.raises(InvalidFileName, match="Invalid datastore file name"):
            datastore_files.upload(p, *where, "workspaceblobstore", name, [b"x"])
    with pytest.raises(DatastoreNotFound):
        datastore_files.list_files(p, *where, "nope")
