"""One contract for every BlobStore: the local-folder store and the S3 store (on moto)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.moto import MotoS3

from mlyard.core.errors import BlobNotFound, InvalidBlobPath, ServiceUnavailable
from mlyard.storage import BlobInfo, BlobStore, FileBlobStore, S3BlobStore, open_blob_store

MiB = 1024 * 1024

BAD_KEYS = [
    "",
    "/abs/key",
    "/",
    "a\\b",
    "back\\slash.txt",
    "nul\x00byte",
    "..",
    ".",
    "../escape",
    "a/../b",
    "a/./b",
    "a/..",
    "./a",
    "a//b",
    "trailing/",
    ".~mlyard-0123.part",
    "x" * 1025,
]


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "file":
        return open_blob_store((tmp_path / "blobs").as_uri())
    moto: MotoS3 = request.getfixturevalue("moto_server")
    bucket = moto.create_bucket()
    return open_blob_store(f"s3://{bucket}/root/prefix", **moto.store_options())


def keys(store: BlobStore, prefix: str = "") -> list[str]:
    return [info.key for info in store.list(prefix)]


def seeded_chunks(total: int, chunk: int, digest: Any, seed: int = 7) -> Iterator[bytes]:
    """Yield ``total`` pseudo-random bytes in chunks, hashing them on the way: never all at once."""
    rng = random.Random(seed)
    left = total
    while left:
        data = rng.randbytes(min(chunk, left))
        digest.update(data)
        left -= len(data)
        yield data


def test_is_a_blob_store(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)


def test_urls(store: BlobStore) -> None:
    assert store.url.startswith(("file:///", "s3://"))
    if store.url.startswith("s3://"):
        assert store.url.endswith("/root/prefix")
    assert store.url_for("a/b.txt") == store.url.rstrip("/") + "/a/b.txt"


def test_put_get_round_trip(store: BlobStore) -> None:
    store.put_bytes("a.txt", b"hello")
    assert store.get_bytes("a.txt") == b"hello"
    store.put_bytes("a.txt", b"replaced")
    assert store.get_bytes("a.txt") == b"replaced"
    store.put_bytes("deep/er/empty.bin", b"")
    assert store.get_bytes("deep/er/empty.bin") == b""
    binary = bytes(range(256)) * 3
    store.put_bytes("données/résumé ü [1] *.bin", binary)
    assert store.get_bytes("données/résumé ü [1] *.bin") == binary


def test_stream_20_mib_by_chunks(store: BlobStore) -> None:
    size = 20 * MiB
    written_digest = hashlib.sha256()
    written = store.write_stream("big/blob.bin", seeded_chunks(size, MiB, written_digest))
    assert written == size
    assert store.stat("big/blob.bin").size == size

    read_digest = hashlib.sha256()
    count = 0
    for chunk in store.open_read("big/blob.bin", chunk_size=MiB):
        assert 0 < len(chunk) <= MiB
        read_digest.update(chunk)
        count += 1
    assert read_digest.hexdigest() == written_digest.hexdigest()
    assert count == 20


def test_open_read_odd_chunk_size(store: BlobStore) -> None:
    data = bytes(range(256)) * 1000  # 256 000 bytes
    store.put_bytes("odd.bin", data)
    chunks = list(store.open_read("odd.bin", chunk_size=100_000))
    assert [len(c) for c in chunks] == [100_000, 100_000, 56_000]
    assert b"".join(chunks) == data
    assert list(store.open_read("odd.bin")) == [data]
    store.put_bytes("empty", b"")
    assert b"".join(store.open_read("empty")) == b""


def test_write_stream_is_invisible_until_complete(store: BlobStore) -> None:
    store.put_bytes("old-and-new", b"old")
    seen: list[object] = []

    def chunks() -> Iterator[bytes]:
        yield b"x" * 1000
        seen.append(store.exists("fresh"))
        seen.append(store.get_bytes("old-and-new"))
        seen.append(keys(store))
        yield b"y" * 1000

    assert store.write_stream("fresh", chunks()) == 2000
    assert seen == [False, b"old", ["old-and-new"]]
    seen.clear()
    assert store.write_stream("old-and-new", chunks()) == 2000
    assert seen == [True, b"old", ["fresh", "old-and-new"]]
    assert store.get_bytes("old-and-new") == b"x" * 1000 + b"y" * 1000


def test_failed_stream_leaves_nothing(store: BlobStore) -> None:
    store.put_bytes("kept", b"before")

    def failing() -> Iterator[bytes]:
        yield b"z" * (9 * MiB)  # past one S3 part: a multipart upload has begun
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        store.write_stream("kept", failing())
    with pytest.raises(RuntimeError, match="source broke"):
        store.write_stream("never/written", failing())
    assert store.get_bytes("kept") == b"before"
    assert not store.exists("never/written")
    assert keys(store) == ["kept"]


def test_list_sorted_recursive_with_prefixes(store: BlobStore) -> None:
    for key in ["b/2", "a/x/y/z", "a-c", "a/b", "run/10/f", "run/1/f", "run/1/g/h", "z"]:
        store.put_bytes(key, key.encode())
    assert keys(store) == ["a-c", "a/b", "a/x/y/z", "b/2", "run/1/f", "run/1/g/h", "run/10/f", "z"]
    assert keys(store, "a") == ["a/b", "a/x/y/z"]
    assert keys(store, "a/") == ["a/b", "a/x/y/z"]
    assert keys(store, "run/1") == ["run/1/f", "run/1/g/h"]  # a folder, not a string prefix
    assert keys(store, "run/1/f") == ["run/1/f"]  # a blob lists itself
    assert keys(store, "nothing/here") == []


def test_list_info(store: BlobStore) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    store.put_bytes("sized/three", b"123")
    store.put_bytes("sized/none", b"")
    infos = list(store.list("sized"))
    assert [(i.key, i.size) for i in infos] == [("sized/none", 0), ("sized/three", 3)]
    for info in infos:
        assert isinstance(info, BlobInfo)
        assert info.modified.tzinfo is not None
        assert info.modified.utcoffset() == timedelta(0)
        assert before <= info.modified <= datetime.now(UTC) + timedelta(minutes=5)
    assert store.stat("sized/three") == infos[1]


def test_list_empty_store(store: BlobStore) -> None:
    assert keys(store) == []


def test_delete_and_delete_prefix(store: BlobStore) -> None:
    for key in ["runs/1/a", "runs/1/b/c", "runs/1/b/d", "runs/10/a", "runs/2", "other"]:
        store.put_bytes(key, b"-")
    store.delete("runs/2")
    store.delete("runs/2")  # missing: not an error
    store.delete("never/was")
    assert not store.exists("runs/2")
    assert store.delete_prefix("runs/1") == 3
    assert keys(store) == ["other", "runs/10/a"]
    assert store.delete_prefix("runs/1/") == 0
    assert store.delete_prefix("runs/10/a") == 1
    assert store.delete_prefix("other/") == 1
    assert keys(store) == []


def test_delete_prefix_refuses_the_whole_store(store: BlobStore) -> None:
    store.put_bytes("keep/me", b"1")
    with pytest.raises(InvalidBlobPath, match="whole"):
        store.delete_prefix("")
    with pytest.raises(InvalidBlobPath):
        store.delete_prefix("/")
    assert keys(store) == ["keep/me"]


def test_copy(store: BlobStore) -> None:
    store.put_bytes("src/one", b"payload")
    store.copy("src/one", "dst/deep/two")
    assert store.get_bytes("dst/deep/two") == b"payload"
    assert store.get_bytes("src/one") == b"payload"
    store.put_bytes("dst/other", b"old")
    store.copy("src/one", "dst/other")
    assert store.get_bytes("dst/other") == b"payload"
    store.copy("src/one", "src/one")
    assert store.get_bytes("src/one") == b"payload"


def test_exists_and_stat(store: BlobStore) -> None:
    store.put_bytes("folder/file", b"12345")
    assert store.exists("folder/file")
    assert not store.exists("folder")  # a folder is not a blob
    assert not store.exists("folder/nope")
    info = store.stat("folder/file")
    assert (info.key, info.size) == ("folder/file", 5)
    with pytest.raises(BlobNotFound):
        store.stat("folder")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_bytes("missing/key"),
        lambda s: s.stat("missing/key"),
        lambda s: s.open_read("missing/key"),
        lambda s: s.copy("missing/key", "elsewhere"),
    ],
    ids=["get_bytes", "stat", "open_read", "copy"],
)
def test_missing_key(store: BlobStore, call: Callable[[BlobStore], object]) -> None:
    with pytest.raises(BlobNotFound, match="missing/key") as caught:
        call(store)
    assert caught.value.target == "missing/key"
    assert not store.exists("elsewhere")


OPERATIONS: dict[str, Callable[[BlobStore, str], object]] = {
    "url_for": lambda s, k: s.url_for(k),
    "put_bytes": lambda s, k: s.put_bytes(k, b"x"),
    "get_bytes": lambda s, k: s.get_bytes(k),
    "write_stream": lambda s, k: s.write_stream(k, iter([b"x"])),
    "open_read": lambda s, k: s.open_read(k),
    "exists": lambda s, k: s.exists(k),
    "stat": lambda s, k: s.stat(k),
    "delete": lambda s, k: s.delete(k),
    "copy_src": lambda s, k: s.copy(k, "fine"),
    "copy_dst": lambda s, k: s.copy("fine", k),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_bad_key_is_refused(store: BlobStore, operation: str) -> None:
    store.put_bytes("fine", b"ok")
    for key in BAD_KEYS:
        with pytest.raises(InvalidBlobPath) as caught:
            OPERATIONS[operation](store, key)
        assert repr(key) in caught.value.message, (operation, key)
    assert keys(store) == ["fine"]


@pytest.mark.parametrize("prefix", ["/", "/a", "a//b", "../x", "a/./b", "a\\b", "n\x00l"])
def test_bad_prefixes_are_refused(store: BlobStore, prefix: str) -> None:
    with pytest.raises(InvalidBlobPath):
        list(store.list(prefix))
    with pytest.raises(InvalidBlobPath):
        store.delete_prefix(prefix)


def test_check_passes_and_leaves_nothing(store: BlobStore) -> None:
    store.check()
    store.check()
    assert keys(store) == []


def test_check_fails_clearly_on_a_broken_file_store(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_bytes(b"")
    store = open_blob_store(str(not_a_folder))
    with pytest.raises(ServiceUnavailable, match="plain-file") as caught:
        store.check()
    assert caught.value.status == 503


def test_check_fails_clearly_on_a_missing_bucket(moto_server: MotoS3) -> None:
    store = open_blob_store("s3://no-such-bucket-here/p", **moto_server.store_options())
    with pytest.raises(ServiceUnavailable, match=r"s3://no-such-bucket-here/p.*(bucket|Bucket)"):
        store.check()


# -- what only the file store promises ------------------------------------------------------


def test_file_store_removes_empty_folders(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = FileBlobStore(root)
    store.put_bytes("runs/1/outputs/a", b"a")
    store.put_bytes("runs/1/outputs/deep/b", b"b")
    store.put_bytes("runs/2/c", b"c")
    assert store.delete_prefix("runs/1") == 2
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["runs", "runs/2", "runs/2/c"]
    store.delete("runs/2/c")
    assert list(root.iterdir()) == []
    assert root.is_dir()  # the root itself stays


def test_file_store_writes_through_a_temp_file_in_the_same_folder(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = FileBlobStore(root)
    seen: list[list[str]] = []

    def chunks() -> Iterator[bytes]:
        yield b"part"
        seen.append(sorted(p.name for p in (root / "d").iterdir()))
        yield b"s"

    store.write_stream("d/final.bin", chunks())
    assert len(seen[0]) == 1 and seen[0][0].startswith(".~mlyard-") and seen[0][0] != "final.bin"
    assert [p.name for p in (root / "d").iterdir()] == ["final.bin"]
    assert (root / "d" / "final.bin").read_bytes() == b"parts"


def test_file_store_urls(tmp_path: Path) -> None:
    by_url = open_blob_store((tmp_path / "with space").as_uri())
    by_path = open_blob_store(str(tmp_path / "with space"))
    assert isinstance(by_url, FileBlobStore) and isinstance(by_path, FileBlobStore)
    assert by_url.root == by_path.root == tmp_path / "with space"
    assert by_url.url == (tmp_path / "with space").as_uri()


# -- what only the S3 store promises --------------------------------------------------------


def test_s3_failed_stream_aborts_its_multipart_upload(moto_server: MotoS3) -> None:
    bucket = moto_server.create_bucket()
    store = open_blob_store(f"s3://{bucket}", **moto_server.store_options())
    assert isinstance(store, S3BlobStore) and store.url == f"s3://{bucket}"

    def failing() -> Iterator[bytes]:
        yield b"z" * (9 * MiB)
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError):
        store.write_stream("half", failing())
    assert moto_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    store.put_bytes("whole", b"1")
    assert keys(store) == ["whole"]
