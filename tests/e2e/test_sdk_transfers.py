"""Transfers against a real server: a digest that follows the body (``X-Content-XXH128: trailer``)
for run and datastore files, a path read once, and a datastore's big files sent one by one."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xxhash
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace
from mlyard.core.errors import ChecksumMismatch
from mlyard.sdk import archives, datastore_files, transfers

SUB = "default"


def new_workspace() -> Workspace:
    name = f"tr-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def xxh(data: bytes) -> str:
    return xxhash.xxh3_128(data).hexdigest()


def trailed(data: bytes, digest: str | None = None) -> bytes:
    return data + (digest or xxh(data)).encode()


@pytest.fixture(params=["run", "datastore"])
def files_url(request: pytest.FixtureRequest, server_env: RunningServer) -> str:
    ws = new_workspace()
    if request.param == "run":
        run = Experiment(ws, "trailers").start_logging()
        run.get_file_names()  # a started run is created on the server when first needed
        return f"{run._path}/files"
    return f"{ws._path}/datastores/workspaceblobstore/files"


def test_a_trailing_digest_is_checked_before_the_file_replaces_the_old_one(
    server_env: RunningServer, files_url: str
) -> None:
    trailer = {"X-Content-XXH128": "trailer"}
    old, new = b"old bytes" * 1000, b"new bytes" * 1000
    with server_env.client() as http:
        first = http.put(f"{files_url}/a/f.bin", content=trailed(old), headers=trailer)
        assert first.status_code == 200, first.text
        assert (first.json()["size"], first.json()["xxh128"]) == (len(old), xxh(old))

        def refused(body: bytes | Iterator[bytes], code: str, says: str) -> None:
            answer = http.put(f"{files_url}/a/f.bin", content=body, headers=trailer, params={"overwrite": "true"})
            assert answer.status_code in (400, 409, 422), answer.text
            assert answer.json()["error"]["code"] == code and says in answer.json()["error"]["message"], answer.text
            kept = http.get(f"{files_url}/a/f.bin")
            assert kept.content == old and kept.headers["x-content-xxh128"] == xxh(old)

        refused(trailed(new, "0" * 32), "ChecksumMismatch", "nothing was stored")
        refused(trailed(new, "x" * 32), "ValidationError", "xxh128 in hex")
        refused(b"short", "ValidationError", "ended after 5 bytes")
        # A digest in the header that is no xxh128 (a sha256's 64 hex, as clients of before sent).
        bad = http.put(
            f"{files_url}/a/f.bin", content=new, headers={"X-Content-XXH128": "0" * 64}, params={"overwrite": "true"}
        )
        assert bad.status_code == 400 and bad.json()["error"]["target"] == "X-Content-XXH128", bad.text
        assert "X-Content-XXH128 must be 32 hexadecimal" in bad.json()["error"]["message"]
        assert http.get(f"{files_url}/a/f.bin").content == old
        # Sent chunked (no length known), the digest split across the last two chunks.
        body = trailed(new)
        good = http.put(
            f"{files_url}/a/f.bin",
            content=iter([body[:5000], body[5000:-10], body[-10:]]),
            headers=trailer,
            params={"overwrite": "true"},
        )
        assert good.status_code == 200 and good.json()["size"] == len(new), good.text
        got = http.get(f"{files_url}/a/f.bin")
        assert got.content == new and got.headers["x-content-xxh128"] == xxh(new)
        # A corrupt upload of a new name leaves no file of that name.
        http.put(f"{files_url}/b.bin", content=trailed(new, "1" * 32), headers=trailer)
        assert [f["name"] for f in http.get(files_url).json()["value"]] == ["a/f.bin"]


def test_a_run_file_is_read_once_and_a_stream_is_not_spooled(
    server_env: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prehash(path: Path) -> str:
        raise AssertionError(f"{path} was hashed before it was sent")

    monkeypatch.setattr(transfers, "xxh128_of_path", no_prehash)
    data = os.urandom(3 * transfers.CHUNK + 17)
    (tmp_path / "big.bin").write_bytes(data)
    run = Experiment(Workspace.from_config(), "read-once").start_logging()
    stored = run.upload_file("outputs/big.bin", tmp_path / "big.bin")
    assert (stored["size"], stored["xxh128"]) == (len(data), xxh(data))
    streamed = run.upload_file("outputs/stream.bin", io.BytesIO(data))
    assert streamed["xxh128"] == stored["xxh128"]
    with pytest.raises(TypeError, match="must be binary"):
        run.upload_file("outputs/text.txt", io.StringIO("text"))  # type: ignore[arg-type]
    assert run.get_file_names() == ["outputs/big.bin", "outputs/stream.bin"]
    assert run.download_file("outputs/stream.bin", tmp_path / "back.bin").read_bytes() == data


def test_a_corrupted_big_upload_keeps_the_previous_file(
    server_env: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Experiment(Workspace.from_config(), "corrupt").start_logging()
    (tmp_path / "f.bin").write_bytes(b"first")
    run.upload_file("f.bin", tmp_path / "f.bin")
    real = transfers._with_trailer

    def flipped(chunks: Any, digest: Any) -> Iterator[bytes]:
        for piece in real(chunks, digest):
            yield piece if len(piece) != 32 else piece[::-1]  # the trailer arrives reversed

    monkeypatch.setattr(transfers, "_with_trailer", flipped)
    (tmp_path / "f.bin").write_bytes(b"second, longer")
    with pytest.raises(ChecksumMismatch, match="nothing was stored"):
        run.upload_file("f.bin", tmp_path / "f.bin", overwrite=True)
    assert run.download_file("f.bin", tmp_path / "back.bin").read_bytes() == b"first"


def test_a_datastore_sends_big_files_one_by_one_and_small_ones_in_an_archive(
    server_env: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datastore_files, "SINGLE_FILE", 100_000)
    src = tmp_path / "src"
    (src / "deep").mkdir(parents=True)
    files = {"big1.bin": os.urandom(300_000), "deep/big2.bin": os.urandom(100_000), "s.txt": b"s", "deep/t": b""}
    for name, data in files.items():
        (src / name).write_bytes(data)
    archived: list[str] = []
    real_send, real_receive = archives.send, archives.receive

    def send(client: Any, url: str, items: Any, **kw: Any) -> Any:
        archived.extend(i.name for i in items)
        return real_send(client, url, items, **kw)

    def receive(client: Any, url: str, target_of: Any, **kw: Any) -> list[Path]:
        got = real_receive(client, url, target_of, **kw)
        archived.extend(p.name for p in got)
        return got

    monkeypatch.setattr(archives, "send", send)
    monkeypatch.setattr(archives, "receive", receive)
    store = new_workspace().get_default_datastore()
    store.upload(src, target_path="in", show_progress=False)
    assert sorted(archived) == ["in/deep/t", "in/s.txt"]
    archived.clear()
    assert store.download(tmp_path / "out", prefix="in", show_progress=False) == 4
    assert sorted(archived) == ["s.txt", "t"]
    for name, data in files.items():
        assert (tmp_path / "out" / "in" / name).read_bytes() == data

    # A file listed small that is big by the time of the archive still arrives (on its own).
    real_list = datastore_files.DatastoreFilesMixin.list_files

    def stale(self: Any, prefix: str | None = None) -> list[dict[str, Any]]:
        return [{**f, "size": 1} for f in real_list(self, prefix)]

    monkeypatch.setattr(datastore_files.DatastoreFilesMixin, "list_files", stale)
    assert store.download(tmp_path / "again", prefix="in", show_progress=False) == 4
    assert (tmp_path / "again" / "in" / "big1.bin").read_bytes() == files["big1.bin"]


def test_the_archive_of_a_datastore_takes_a_size_limit(server_env: RunningServer) -> None:
    ws = new_workspace()
    files = f"{ws._path}/datastores/workspaceblobstore/files"
    with server_env.client() as http:
        for name, size in (("a", 10), ("b", 1000), ("c", 11)):
            assert http.put(f"{files}/{name}", content=trailed(b"x" * size), headers={"X-Content-XXH128": "trailer"})
        limited = http.get(f"{files}.tar", params={"maxSize": 11})
        assert limited.status_code == 200 and limited.headers["x-file-count"] == "2"
        assert http.get(f"{files}.tar").headers["x-file-count"] == "3"
        negative = http.get(f"{files}.tar", params={"maxSize": -1})
        assert negative.status_code in (400, 422)
