"""Run files through their service: SQLite and PostgreSQL, each over the file and the S3 blob store."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import xxhash
from tests.fixtures.moto import MotoS3

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import (
    ChecksumMismatch,
    InvalidBlobPath,
    InvalidFileName,
    RunFileAlreadyExists,
    RunFileNotFound,
    RunNotWritable,
    ValidationError,
)
from mlyard.services import run_changes, run_files, runs, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.storage.base import LEGACY_SHA256_XATTR, KeepsXxh128
from mlyard.storage.file import FileBlobStore

BAD_NAMES = ["", "/etc/passwd", "a/../b", "..", "./a", "a/.", "a//b", "trailing/", "a\\b", "nul\x00", "x" * 901]


@pytest.fixture(params=["file", "s3"])
def files_platform(request: pytest.FixtureRequest, platform: Platform) -> Platform:
    if request.param == "file":
        return platform
    moto: MotoS3 = request.getfixturevalue("moto_server")
    return replace(platform, blobs=open_blob_store(f"s3://{moto.create_bucket()}/blobs", **moto.store_options()))


@pytest.fixture
def run(files_platform: Platform, admin: Principal) -> Run:
    subscriptions.create_subscription(files_platform, admin, "sub1")
    subscriptions.create_resource_group(files_platform, admin, "sub1", "rg1")
    workspaces.create_workspace(files_platform, admin, "sub1", "rg1", "ws1")
    return runs.create_run(files_platform, admin, "sub1", "rg1", "ws1", "exp")


def pseudo_random(total: int, chunk: int, digest: Any) -> Iterator[bytes]:
    """``total`` bytes in chunks, hashed on the way: the test never holds them all either."""
    rng = random.Random(11)
    left = total
    while left:
        data = rng.randbytes(min(chunk, left))
        digest.update(data)
        left -= len(data)
        yield data


def xxh(data: bytes) -> str:
    return xxhash.xxh3_128(data).hexdigest()


def read_all(p: Platform, run: Run, name: str) -> bytes:
    return b"".join(run_files.open_file(p, run, name)[1])


def test_round_trip_with_digest_and_listing(files_platform: Platform, run: Run) -> None:
    p = files_platform
    data = b"weights" * 1000
    sha = xxh(data)
    stored = run_files.upload(p, run, "outputs/model.bin", [data[:10], data[10:]], sha.upper())
    assert (stored.name, stored.size, stored.xxh128) == ("outputs/model.bin", len(data), sha)
    run_files.upload(p, run, "logs/std.txt", [b"hello\n"])
    run_files.upload(p, run, "outputs/sub/empty.txt", [])
    info, chunks = run_files.open_file(p, run, "outputs/model.bin")
    assert b"".join(chunks) == data and (info.size, info.xxh128) == (len(data), sha)
    assert [f.name for f in run_files.list_files(p, run)] == [
        "logs/std.txt",
        "outputs/model.bin",
        "outputs/sub/empty.txt",
    ]
    assert [(f.name, f.size) for f in run_files.list_files(p, run, "outputs/")] == [
        ("outputs/model.bin", len(data)),
        ("outputs/sub/empty.txt", 0),
    ]
    assert run_files.list_files(p, run, "output") == []  # a folder prefix, not a string prefix
    assert read_all(p, run, "outputs/sub/empty.txt") == b""


def test_a_large_file_streams_in_and_out(files_platform: Platform, run: Run) -> None:
    total = 20 * 1024 * 1024
    sent = xxhash.xxh3_128()
    stored = run_files.upload(files_platform, run, "big.bin", pseudo_random(total, 256 * 1024, sent))
    assert (stored.size, stored.xxh128) == (total, sent.hexdigest())
    got, size = xxhash.xxh3_128(), 0
    info, chunks = run_files.open_file(files_platform, run, "big.bin")
    for chunk in chunks:
        assert len(chunk) <= 1024 * 1024
        got.update(chunk)
        size += len(chunk)
    assert (size, got.hexdigest(), info.xxh128) == (total, sent.hexdigest(), sent.hexdigest())


def test_a_checksum_mismatch_stores_nothing_and_keeps_the_old_file(files_platform: Platform, run: Run) -> None:
    p = files_platform
    wrong = "0" * 32
    with pytest.raises(ChecksumMismatch, match=f"xxh128 {xxh(b'abc')}.*{wrong}"):
        run_files.upload(p, run, "a.txt", [b"a", b"bc"], wrong)
    assert run_files.list_files(p, run) == []
    assert [b.key for b in p.blobs.list(run_files.run_prefix(run))] == []
    run_files.upload(p, run, "a.txt", [b"old"])
    with pytest.raises(ChecksumMismatch):
        run_files.upload(p, run, "a.txt", [b"new"], wrong, overwrite=True)
    assert read_all(p, run, "a.txt") == b"old"
    assert run_files.open_file(p, run, "a.txt")[0].xxh128 == xxh(b"old")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused_naming_the_rule(files_platform: Platform, run: Run, name: str) -> None:
    with pytest.raises(InvalidFileName, match="Invalid run file name") as caught:
        run_files.upload(files_platform, run, name, [b"x"])
    assert isinstance(caught.value, InvalidBlobPath) and caught.value.status == 400
    with pytest.raises(InvalidFileName):
        run_files.open_file(files_platform, run, name)
    assert [b.key for b in files_platform.blobs.list(run_files.run_prefix(run))] == []


def test_a_bad_digest_header_is_refused(files_platform: Platform, run: Run) -> None:
    with pytest.raises(ValidationError, match="32 hexadecimal"):
        run_files.upload(files_platform, run, "a.txt", [b"x"], "md5:abc")
    with pytest.raises(ValidationError, match="X-Content-XXH128 must be 32 hexadecimal"):
        run_files.upload(files_platform, run, "a.txt", [b"x"], hashlib.sha256(b"x").hexdigest())  # a sha256
    assert run_files.list_files(files_platform, run) == []


def test_overwrite_needs_to_be_asked_for(files_platform: Platform, run: Run) -> None:
    p = files_platform
    run_files.upload(p, run, "a.txt", [b"one"])
    with pytest.raises(RunFileAlreadyExists, match="overwrite"):
        run_files.upload(p, run, "a.txt", [b"two"])
    assert read_all(p, run, "a.txt") == b"one"
    stored = run_files.upload(p, run, "a.txt", [b"three"], overwrite=True)
    assert read_all(p, run, "a.txt") == b"three" and stored.xxh128 == xxh(b"three")


def test_a_finished_run_refuses_uploads_but_still_reads(files_platform: Platform, run: Run) -> None:
    p = files_platform
    run_files.upload(p, run, "outputs/a.txt", [b"a"])
    done = run_changes.update_run(p, "sub1", "rg1", "ws1", run.id, status=RunStatus.COMPLETED)
    with pytest.raises(RunNotWritable, match="Completed"):
        run_files.upload(p, done, "outputs/b.txt", [b"b"])
    assert read_all(p, done, "outputs/a.txt") == b"a"


def test_a_missing_file_is_named(files_platform: Platform, run: Run) -> None:
    with pytest.raises(RunFileNotFound, match=r"no file 'outputs/nope\.txt'"):
        run_files.open_file(files_platform, run, "outputs/nope.txt")


def test_delete_all_removes_only_this_runs_files(files_platform: Platform, run: Run, admin: Principal) -> None:
    p = files_platform
    other = runs.create_run(p, admin, "sub1", "rg1", "ws1", "exp")
    run_files.upload(p, run, "a/b.txt", [b"1"])
    run_files.upload(p, run, "c.txt", [b"2"])
    run_files.upload(p, other, "a/b.txt", [b"3"])
    # The file store keeps each digest with its file; S3 keeps it as a blob beside it.
    kept_with_file = isinstance(p.blobs, KeepsXxh128)
    assert run_files.delete_all(p, run) == (2 if kept_with_file else 4)
    assert run_files.list_files(p, run) == []
    assert [f.name for f in run_files.list_files(p, other)] == ["a/b.txt"]


def test_delete_file_removes_the_file_and_its_digest(files_platform: Platform, run: Run) -> None:
    p = files_platform
    run_files.upload(p, run, "outputs/a.txt", [b"a"])
    run_files.upload(p, run, "outputs/b.txt", [b"b"])
    done = run_changes.update_run(p, "sub1", "rg1", "ws1", run.id, status=RunStatus.COMPLETED)
    run_files.delete_file(p, done, "outputs/a.txt")  # a finished run's files may still be deleted
    assert [f.name for f in run_files.list_files(p, run)] == ["outputs/b.txt"]
    left = [b.key.rsplit("/", 2)[-2:] for b in p.blobs.list(run_files.run_prefix(run))]
    # The file and, where the store does not keep the digest with it (S3), its digest blob.
    assert left == [["outputs", "b.txt"]] * (1 if isinstance(p.blobs, KeepsXxh128) else 2)
    with pytest.raises(RunFileNotFound, match=r"no file 'outputs/a\.txt'"):
        run_files.delete_file(p, run, "outputs/a.txt")
    with pytest.raises(RunFileNotFound):
        run_files.delete_file(p, run, "outputs")  # a folder is not a file
    with pytest.raises(InvalidFileName):
        run_files.delete_file(p, run, "../outputs/b.txt")


def test_delete_files_takes_a_folder_or_everything(files_platform: Platform, run: Run) -> None:
    p = files_platform
    for name in ("a/1.txt", "a/b/2.txt", "ab/3.txt", "c.txt"):
        run_files.upload(p, run, name, [b"x"])
    assert run_files.delete_files(p, run, "a/") == 2
    assert [f.name for f in run_files.list_files(p, run)] == ["ab/3.txt", "c.txt"]
    assert run_files.delete_files(p, run, "nothing") == 0
    with pytest.raises(InvalidFileName):
        run_files.delete_files(p, run, "../x")
    assert run_files.delete_files(p, run) == 2
    assert [b.key for b in p.blobs.list(run_files.run_prefix(run))] == []


def test_an_overwrite_is_atomic(files_platform: Platform, run: Run) -> None:
    """Readers see the old file whole until the new one is complete; a failed overwrite keeps the old one."""
    p = files_platform
    old = b"old" * 1000
    run_files.upload(p, run, "model.bin", [old])
    old_sha = run_files.open_file(p, run, "model.bin")[0].xxh128
    seen: list[bytes] = []

    def new_then(fail: bool) -> Iterator[bytes]:
        yield b"n" * (9 * 1024 * 1024)  # past one S3 part: a multipart upload has begun
        seen.append(read_all(p, run, "model.bin"))
        if fail:
            raise RuntimeError("the client went away")
        yield b"end"

    with pytest.raises(RuntimeError, match="went away"):
        run_files.upload(p, run, "model.bin", new_then(fail=True), overwrite=True)
    info, chunks = run_files.open_file(p, run, "model.bin")
    assert (b"".join(chunks), info.xxh128, seen) == (old, old_sha, [old])
    assert [f.name for f in run_files.list_files(p, run)] == ["model.bin"]  # no temporary leftovers

    stored = run_files.upload(p, run, "model.bin", new_then(fail=False), overwrite=True)
    assert seen == [old, old] and stored.size == 9 * 1024 * 1024 + 3
    assert read_all(p, run, "model.bin")[-4:] == b"nend"


def test_a_file_of_the_sha256_days_gets_its_xxh128_computed_once(files_platform: Platform, run: Run) -> None:
    """A file uploaded before digests became xxh128 kept a sha256 (an attribute, or a blob beside
    it): a download announces its xxh128 all the same, computed from its bytes and recorded."""
    p = files_platform
    data = b"trained before" * 999
    key = f"{run_files.run_prefix(run)}/files/outputs/old.bin"
    p.blobs.put_bytes(key, data)
    if isinstance(p.blobs, FileBlobStore):
        os.setxattr(p.blobs.root / key, LEGACY_SHA256_XATTR, hashlib.sha256(data).hexdigest().encode())
    else:
        p.blobs.put_bytes(
            f"{run_files.run_prefix(run)}/sha256/outputs/old.bin", hashlib.sha256(data).hexdigest().encode()
        )
    info, chunks = run_files.open_file(p, run, "outputs/old.bin")
    assert (b"".join(chunks), info.xxh128) == (data, xxh(data))
    digests = [b.key.split("/")[-3] for b in p.blobs.list(run_files.run_prefix(run)) if b.key != key]
    assert digests == ([] if isinstance(p.blobs, KeepsXxh128) else ["xxh128"])  # the old record replaced
    assert run_files.open_file(p, run, "outputs/old.bin")[0].xxh128 == xxh(data)
    # A file of neither kind (written by another tool) still announces none.
    p.blobs.put_bytes(f"{run_files.run_prefix(run)}/files/other.bin", data)
    assert run_files.open_file(p, run, "other.bin")[0].xxh128 is None
    assert run_files.delete_files(p, run) == 2
    assert [b.key for b in p.blobs.list(run_files.run_prefix(run))] == []
