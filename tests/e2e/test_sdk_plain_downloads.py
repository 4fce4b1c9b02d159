"""Big downloads read with ``http.client`` straight into a buffer (``sdk/plain_get``), against a
real server: the same bytes and digest check as httpx's path, the same errors, and httpx kept
wherever it knows more (https, a transport or authentication of the caller's, a proxy)."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import httpx
import pytest
from tests.fixtures.server import RunningServer

from mlyard import Workspace
from mlyard.core.errors import ChecksumMismatch, MlyardError, ServiceUnreachable
from mlyard.sdk import plain_get, transfers
from mlyard.sdk.client import Client

BIG = transfers.SINGLE_FILE + 12345


def new_workspace() -> Workspace:
    name = f"pg-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths that went through ``plain_get.download`` (the real one, counted)."""
    seen: list[str] = []
    real = plain_get.download

    def counted(client: Client, path: str, *args: object, **kwargs: object) -> str | None:
        seen.append(path)
        return real(client, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plain_get, "download", counted)
    return seen


def test_a_datastores_big_files_come_down_through_one_buffer_and_are_checked(
    server_env: RunningServer, tmp_path: Path, calls: list[str]
) -> None:
    ws = new_workspace()
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    big = os.urandom(BIG)
    (src / "sub" / "big.bin").write_bytes(big)
    (src / "small.txt").write_text("small")
    store = ws.get_default_datastore()
    store.upload(str(src), target_path="data", show_progress=False)

    got = store.download(str(tmp_path / "down"), prefix="data", show_progress=False)

    assert got == 2
    assert (tmp_path / "down" / "data" / "sub" / "big.bin").read_bytes() == big
    assert (tmp_path / "down" / "data" / "small.txt").read_text() == "small"
    assert [p.rsplit("/", 1)[-1] for p in calls] == ["big.bin"]  # the small one came in the archive


def test_a_file_changed_under_its_digest_is_refused_and_nothing_is_left(
    server_env: RunningServer, tmp_path: Path, calls: list[str]
) -> None:
    ws = new_workspace()
    store = ws.get_default_datastore()
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(BIG))
    store.upload_files([str(src)], target_path="rot", show_progress=False)
    # Bit rot on the server's disk: the bytes change, the kept digest (an extended attribute) does not.
    blobs = [p for p in server_env.home.rglob("big.bin") if p.is_file() and "rot" in p.parts]
    assert len(blobs) == 1
    with blobs[0].open("r+b") as handle:
        handle.seek(BIG // 2)
        handle.write(b"\xff\x00\xff")

    target = tmp_path / "down"
    with pytest.raises(ChecksumMismatch, match=r"big\.bin.*xxh128"):
        store.download(str(target), prefix="rot", show_progress=False)
    assert calls, "the big file took the plain path"
    assert not [p for p in target.rglob("*") if p.is_file()]  # no partial file under any name


def test_the_servers_error_is_raised_as_its_core_class(server_env: RunningServer, tmp_path: Path) -> None:
    ws = new_workspace()
    client = ws._client
    assert client.plain_http
    missing = f"{ws._path}/datastores/workspaceblobstore/files/no/such.bin"
    with pytest.raises(MlyardError) as raised:
        transfers.get_to_path(client, missing, tmp_path / "x.bin", "no/such.bin", large=True)
    assert raised.value.code.endswith("NotFound") and "no/such.bin" in raised.value.message
    assert not (tmp_path / "x.bin").exists()


def test_a_server_that_is_gone_is_unreachable_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    client = Client(f"http://127.0.0.1:{port}", "token")
    with pytest.raises(ServiceUnreachable, match=f"127.0.0.1:{port}"):
        transfers.get_to_path(client, "/api/v1/some/file", tmp_path / "x.bin", "file", large=True)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "proxy", "plain"),
    [
        ("http://127.0.0.1:8765", {}, None, True),
        ("https://mlyard.example.org", {}, None, False),
        ("http://127.0.0.1:8765", {"transport": httpx.MockTransport(lambda r: httpx.Response(200))}, None, False),
        ("http://127.0.0.1:8765", {"auth": httpx.BasicAuth("a", "b")}, None, False),
        ("http://127.0.0.1:8765", {}, "http://proxy.example.org:3128", False),
    ],
)
def test_httpx_stays_wherever_it_knows_more(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, kwargs: dict[str, object], proxy: str | None, plain: bool
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    client = Client(endpoint, "token", **kwargs)  # type: ignore[arg-type]
    assert client.plain_http is plain
    assert client.plain_headers()["Authorization"] == "Bearer token"
