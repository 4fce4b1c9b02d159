"""Run files through the SDK against a real server: single files, folders, large files, images."""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import xxhash
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace
from mlyard.core.errors import (
    ChecksumMismatch,
    InvalidFileName,
    RunFileAlreadyExists,
    RunFileNotFound,
    RunNotWritable,
    ValidationError,
)
from mlyard.sdk.run import Run

# The smallest valid PNG: an 1x1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def new_run() -> Run:
    return Experiment(Workspace.from_config(), f"files-{uuid.uuid4().hex[:8]}").start_logging()


def xxh128_file(path: Path) -> str:
    digest = xxhash.xxh3_128()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_upload_file_download_file_and_names(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    source = tmp_path / "model.pkl"
    source.write_bytes(b"\x00weights" * 100)
    stored = run.upload_file("outputs/model.pkl", str(source))
    assert stored["size"] == source.stat().st_size and stored["xxh128"] == xxh128_file(source)
    run.upload_file("logs/driver.log", io.BytesIO(b"line 1\nline 2\n"))
    assert run.get_file_names() == ["logs/driver.log", "outputs/model.pkl"]
    with pytest.raises(RunFileAlreadyExists):
        run.upload_file("outputs/model.pkl", str(source))
    run.upload_file("outputs/model.pkl", io.BytesIO(b"new"), overwrite=True)

    target = run.download_file("outputs/model.pkl", tmp_path / "down" / "m.pkl", _validate_checksum=True)
    assert target.read_bytes() == b"new"
    assert run.download_file("logs/driver.log") == Path("driver.log")  # the base name, here
    assert Path("driver.log").read_bytes() == b"line 1\nline 2\n"
    with pytest.raises(RunFileNotFound, match="no file 'outputs/missing'"):
        run.download_file("outputs/missing", tmp_path / "x")
    assert not (tmp_path / "x").exists() and list((tmp_path / "down").iterdir()) == [target]


def test_the_server_sends_length_digest_and_content_type(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    (tmp_path / "page.html").write_text("<p>hi</p>")
    run.upload_file("outputs/page.html", str(tmp_path / "page.html"))
    with server_env.client() as http:
        answer = http.get(f"{run._path}/files/outputs/page.html")
        bad = http.put(f"{run._path}/files/outputs/other.txt", content=b"abc", headers={"X-Content-XXH128": "0" * 32})
    assert answer.status_code == 200 and answer.content == b"<p>hi</p>"
    digest = xxhash.xxh3_128(b"<p>hi</p>").hexdigest()
    assert answer.headers["content-type"].startswith("text/html")
    assert (answer.headers["content-length"], answer.headers["x-content-xxh128"]) == ("9", digest)
    assert answer.headers["etag"] == f'"{digest}"'
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "ChecksumMismatch"
    assert run.get_file_names() == ["outputs/page.html"]


def test_a_folder_of_200_files_up_and_down(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    folder = tmp_path / "results"
    for i in range(200):
        path = folder / f"part-{i % 4}" / f"file-{i:03}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {i}\n" * (i + 1))
    seen: list[str] = []
    stored = run.upload_folder("outputs/results", folder, progress=seen.append)
    assert len(stored) == 200 and len(seen) == 200
    names = run.get_file_names()
    assert len(names) == 200 and names[0] == "outputs/results/part-0/file-000.txt"

    out = tmp_path / "out"
    got = run.download_files(prefix="outputs/results", output_directory=out, batch_size=64)
    assert len(got) == 200
    for i in range(200):
        rel = Path("outputs/results") / f"part-{i % 4}" / f"file-{i:03}.txt"
        assert (out / rel).read_text() == f"file {i}\n" * (i + 1)
    flat = run.download_files(prefix="outputs/results/part-1", output_directory=tmp_path / "flat", append_prefix=False)
    assert len(flat) == 50 and (tmp_path / "flat" / "file-001.txt").is_file()


def test_a_50_mb_file_streams_up_and_down_verified(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    big = tmp_path / "big.bin"
    rng = random.Random(5)
    with big.open("wb") as handle:
        for _ in range(50):
            handle.write(rng.randbytes(1 << 20))
    stored = run.upload_file("outputs/big.bin", big)
    assert stored["size"] == 50 << 20 and stored["xxh128"] == xxh128_file(big)
    target = run.download_file("outputs/big.bin", tmp_path / "copy.bin", _validate_checksum=True)
    assert target.stat().st_size == 50 << 20 and xxh128_file(target) == stored["xxh128"]


class FakeFigure:
    """Duck-typed like a matplotlib figure: savefig writes a PNG into the buffer."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def savefig(self, buffer: io.BytesIO, **options: Any) -> None:
        self.calls.append(options)
        buffer.write(PNG)


def test_log_image_from_a_file_and_from_a_figure(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    (tmp_path / "pic.png").write_bytes(PNG)
    assert run.log_image("sample", path=tmp_path / "pic.png", description="a pixel") == "outputs/images/sample-0.png"
    figure = FakeFigure()
    assert run.log_image("sample", plot=figure) == "outputs/images/sample-1.png"
    assert figure.calls == [{"format": "png"}]
    assert run.get_file_names() == ["outputs/images/sample-0.png", "outputs/images/sample-1.png"]
    assert run.get_metrics()["sample"] == {"path": "outputs/images/sample-1.png", "description": ""}
    assert run.download_file("outputs/images/sample-0.png", tmp_path / "back.png").read_bytes() == PNG
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(ValidationError, match="PNG or JPEG"):
        run.log_image("bad", path=tmp_path / "notes.txt")
    with pytest.raises(ValidationError, match="exactly one"):
        run.log_image("bad")


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", "a/../../b", "a//b", "a\\b", "x" * 901, ""])
def test_bad_names_give_clear_errors(server_env: RunningServer, tmp_path: Path, name: str) -> None:
    run = new_run()
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InvalidFileName, match="Invalid run file name"):
        run.upload_file(name, tmp_path / "f.txt")
    with pytest.raises(InvalidFileName):
        run.download_file(name, tmp_path / "out")
    assert run.get_file_names() == []


def test_the_server_refuses_escaping_names_sent_by_hand(server_env: RunningServer) -> None:
    run = new_run()
    with server_env.client() as http:
        for raw in ("%2E%2E/escape.txt", "a/%2E%2E/%2E%2E/b", "a%5Cb", "a//b"):
            answer = http.put(f"{run._path}/files/{raw}", content=b"x")
            assert answer.status_code in (400, 404), raw
            if answer.status_code == 400:
                assert answer.json()["error"]["code"] == "InvalidFileName", raw
    assert run.get_file_names() == []


def test_a_completed_run_refuses_uploads(server_env: RunningServer, tmp_path: Path) -> None:
    run = new_run()
    run.upload_file("outputs/a.txt", io.BytesIO(b"a"))
    run.complete()
    with pytest.raises(RunNotWritable, match="Completed"):
        run.upload_file("outputs/b.txt", io.BytesIO(b"b"))
    assert run.download_file("outputs/a.txt", tmp_path / "a.txt").read_bytes() == b"a"


def test_a_corrupted_download_is_refused_and_leaves_no_file(
    server_env: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = new_run()
    run.upload_file("outputs/a.txt", io.BytesIO(b"abc"))
    real_iter = httpx.Response.iter_bytes

    def corrupted(self: httpx.Response, chunk_size: int | None = None) -> Any:
        for chunk in real_iter(self, chunk_size):
            yield chunk.upper()

    monkeypatch.setattr(httpx.Response, "iter_bytes", corrupted)
    with pytest.raises(ChecksumMismatch, match="download it again"):
        run.download_file("outputs/a.txt", tmp_path / "a.txt")
    assert list(tmp_path.iterdir()) == []
