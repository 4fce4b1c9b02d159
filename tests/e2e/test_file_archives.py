"""Many files in one request (``.../files.tar``) against real servers, on the file blob store and
on S3 (moto's server): round trips through the SDK, and hand-made archives that the server must
refuse without keeping anything (bad digests, names leaving the folder, links, broken streams)."""

from __future__ import annotations

import io
import os
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import xxhash
from tests.fixtures.moto import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, MotoS3
from tests.fixtures.server import RunningServer, point_at, start_server

from mlyard import Datastore, Experiment, Workspace
from mlyard.core.archives import END, MANIFEST_NAME, ManifestEntry, entry_header, manifest_bytes, padding
from mlyard.core.errors import ChecksumMismatch, RunFileAlreadyExists
from mlyard.sdk.run import Run


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, moto_server: MotoS3) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("s3-archives")
    env = {
        "MLYARD_STORAGE_URL": f"s3://{moto_server.create_bucket()}/store",
        "MLYARD_S3_ENDPOINT_URL": moto_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    server = start_server(base / "home", extra_env=env)
    yield server
    server.stop()


@pytest.fixture(params=["file", "s3"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunningServer:
    running: RunningServer = request.getfixturevalue("live_server" if request.param == "file" else "s3_server")
    return point_at(running, monkeypatch, tmp_path)


def new_run() -> Run:
    run = Experiment(Workspace.from_config(), f"tar-{uuid.uuid4().hex[:8]}").start_logging()
    run.get_details()  # the run exists on the server before raw requests name it
    return run


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def xxh(data: bytes) -> str:
    return xxhash.xxh3_128(data).hexdigest()


def archive(files: list[tuple[str, bytes]], *, manifest: list[ManifestEntry] | None = None) -> bytes:
    """An upload archive by hand: the manifest (given, or the true one) and the files."""
    listed = manifest if manifest is not None else [ManifestEntry(n, len(d), xxh(d)) for n, d in files]
    body = manifest_bytes(listed)
    out = [entry_header(MANIFEST_NAME, len(body)), body, padding(len(body))]
    for name, data in files:
        out += [entry_header(name, len(data)), data, padding(len(data))]
    return b"".join(out) + END


def upload(http: httpx.Client, run: Run, content: bytes, **params: str) -> httpx.Response:
    return http.post(f"{run._path}/files.tar", content=content, params=params)


def names(run: Run) -> list[str]:
    return run.get_file_names()


def test_a_folder_goes_up_and_comes_down_in_one_archive(server: RunningServer, tmp_path: Path) -> None:
    src = tmp_path / "src"
    files = {f"d{i % 3}/f{i}.txt": os.urandom(i * 37) for i in range(40)}
    files["big/weights.bin"] = os.urandom(3 * 1024 * 1024 + 5)  # streams in the request's thread
    files["empty"] = b""
    files["ünïcode name with spaces.txt"] = b"hello"
    files["deep/" + "x" * 120 + "/long.txt"] = b"a long path needs a PAX header"
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    run = new_run()
    seen: list[str] = []
    stored = run.upload_folder("out", src, progress=seen.append)
    assert sorted(f["name"] for f in stored) == sorted(f"out/{n}" for n in files)
    assert {f["name"]: f["xxh128"] for f in stored} == {f"out/{n}": xxh(d) for n, d in files.items()}
    assert sorted(seen) == sorted(f"out/{n}" for n in files)
    assert names(run) == sorted(f"out/{n}" for n in files)

    with pytest.raises(RunFileAlreadyExists, match="nothing was stored"):
        run.upload_files(["out/empty", "new.txt"], [src / "empty", src / "empty"])
    assert "new.txt" not in names(run)
    run.upload_files(["out/empty", "new.txt"], [src / "d0/f3.txt", src / "empty"], overwrite=True)

    down = run.download_files(prefix="out/d0", output_directory=tmp_path / "down")
    assert [p.relative_to(tmp_path / "down").as_posix() for p in down] == sorted(
        f"out/{n}" for n in files if n.startswith("d0/")
    )
    everything = run.download_files(output_directory=tmp_path / "all", append_prefix=False)
    assert len(everything) == len(files) + 1
    got = tree(tmp_path / "all" / "out")
    assert got == {**files, "empty": files["d0/f3.txt"]}
    stripped = run.download_files(prefix="out/big", output_directory=tmp_path / "strip", append_prefix=False)
    assert [p.name for p in stripped] == ["weights.bin"] and stripped[0].read_bytes() == files["big/weights.bin"]


def test_a_datastore_takes_and_gives_a_folder_in_one_archive(server: RunningServer, tmp_path: Path) -> None:
    name = f"tar-{uuid.uuid4().hex[:8]}"
    ws = Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)
    store = Datastore.get(ws, "workspaceblobstore")
    src = tmp_path / "src"
    files = {f"part-{i}.csv": f"a,b\n{i},{i * 2}\n".encode() for i in range(30)}
    for n, data in files.items():
        (src / n).parent.mkdir(parents=True, exist_ok=True)
        (src / n).write_bytes(data)
    store.upload(src, target_path="tables", show_progress=False)
    assert store.download(tmp_path / "down", prefix="tables", show_progress=False) == len(files)
    assert tree(tmp_path / "down" / "tables") == files
    with server.client() as http:
        url = f"{ws._path}/datastores/workspaceblobstore/files.tar"
        bad = http.post(url, content=archive([("../escape.csv", b"x")]))
        assert bad.status_code == 400 and "'..' segment" in bad.json()["error"]["message"], bad.text
        assert all(".." not in f["name"] for f in store.list_files())


def test_a_bad_digest_midway_keeps_nothing_new(server: RunningServer) -> None:
    run = new_run()
    run.upload_file("keep.txt", io.BytesIO(b"old"))
    files = [("a.txt", b"a" * 10), ("b.txt", b"b" * 10), ("keep.txt", b"new"), ("c.txt", b"c")]
    manifest = [ManifestEntry(n, len(d), xxh(d)) for n, d in files]
    manifest[3] = ManifestEntry("c.txt", 1, "0" * 32)
    with server.client() as http:
        answer = upload(http, run, archive(files, manifest=manifest), overwrite="true")
    error = answer.json()["error"]
    assert answer.status_code == 400 and error["code"] == ChecksumMismatch.code, answer.text
    assert "stay replaced: 'keep.txt'" in error["message"]
    assert names(run) == ["keep.txt"]
    with server.client() as http:
        answer = upload(http, run, archive(files[:2], manifest=[manifest[0], ManifestEntry("b.txt", 10, "1" * 32)]))
    assert answer.status_code == 400 and "Nothing of this archive was kept" in answer.json()["error"]["message"]
    assert names(run) == ["keep.txt"]


@pytest.mark.parametrize(
    ("bad_name", "says"),
    [("../../outside.txt", "'..' segment"), ("/etc/passwd", "absolute"), ("a/./b", "'.' segment")],
)
def test_names_that_leave_the_run_refuse_the_whole_archive(server: RunningServer, bad_name: str, says: str) -> None:
    run = new_run()
    with server.client() as http:
        answer = upload(http, run, archive([("fine.txt", b"ok"), (bad_name, b"evil")]))
    assert answer.status_code == 400 and says in answer.json()["error"]["message"], answer.text
    assert "nothing was stored" in answer.json()["error"]["message"]
    assert names(run) == []


def test_links_and_folders_are_refused_and_nothing_escapes(server: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    body = manifest_bytes([ManifestEntry("a.txt", 1, xxh(b"a")), ManifestEntry("link", 0, xxh(b""))])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in ((MANIFEST_NAME, body), ("a.txt", b"a")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    with server.client() as http:
        answer = upload(http, run, buffer.getvalue())
    assert answer.status_code == 400, answer.text
    assert "symbolic link to '/etc/passwd'" in answer.json()["error"]["message"]
    assert names(run) == []
    assert not list(server.home.rglob("passwd"))


def test_an_archive_that_ends_early_or_breaks_off_keeps_nothing(server: RunningServer) -> None:
    run = new_run()
    files = [(f"f{i}.bin", os.urandom(5000)) for i in range(6)]
    whole = archive(files)
    short = archive(files[:3], manifest=[ManifestEntry(n, len(d), xxh(d)) for n, d in files])
    with server.client() as http:
        answer = upload(http, run, short)
        assert answer.status_code == 400 and "after 3 of 6 files" in answer.json()["error"]["message"], answer.text
        assert names(run) == []
        cut = upload(http, run, whole[: len(whole) // 2])
        assert cut.status_code == 400, cut.text
        assert names(run) == []
        not_tar = upload(http, run, b"this is not a tar" * 100)
        assert not_tar.status_code == 400 and "not a valid tar" in not_tar.json()["error"]["message"], not_tar.text

        def breaking() -> Iterator[bytes]:
            yield whole[: len(whole) // 2]
            raise ConnectionAbortedError("the client went away")

        with pytest.raises((ConnectionAbortedError, httpx.TransportError)):
            upload_broken = http.post(f"{run._path}/files.tar", content=breaking())
            upload_broken.read()
    for _ in range(50):  # the server notices the dropped connection on its own time
        if names(run) == []:
            break
        time.sleep(0.1)
    assert names(run) == []
    with server.client() as http:
        assert upload(http, run, whole).status_code == 200
    assert names(run) == [n for n, _ in files]


def test_a_corrupted_download_is_refused_and_not_written(
    live_server: RunningServer, server_env: RunningServer, tmp_path: Path
) -> None:
    run = new_run()
    run.upload_files(["x/a.txt", "x/b.txt"], [_write(tmp_path / "a", b"aaaa"), _write(tmp_path / "b", b"bbbb")])
    [blob] = [p for p in live_server.home.rglob("b.txt") if f"runs/{run.id}/files/x" in p.as_posix()]
    blob.write_bytes(b"BBBB")  # same size, other bytes: only the digest can tell
    with pytest.raises(ChecksumMismatch, match=r"x/b\.txt"):
        run.download_files(prefix="x", output_directory=tmp_path / "down")
    assert tree(tmp_path / "down") == {"x/a.txt": b"aaaa"}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
