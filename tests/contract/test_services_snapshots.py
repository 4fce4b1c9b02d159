"""Snapshots of a job's source folder through their service, on SQLite and PostgreSQL: the
limits, unsafe archives, and the xxh128 an upload is checked against."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest
import xxhash
from tests.contract.conftest import WS
from tests.contract.snapshot_helpers import archive

from mlyard.core.errors import ChecksumMismatch, InvalidSnapshot, SnapshotTooLarge, ValidationError
from mlyard.services import snapshots
from mlyard.services.platform import Platform


def test_snapshot_limits_and_unsafe_archives(platform: Platform, ws: tuple[str, str, str]) -> None:
    small = Platform(platform.settings.model_copy(update={"snapshot_max_files": 3}), platform.db, platform.blobs)
    files = {"a.txt": "x", "data/big.bin": "y" * 5000, "data/b.bin": "z" * 100, "src/c.py": "", "d.txt": ""}
    with pytest.raises(SnapshotTooLarge) as caught:
        snapshots.upload(small, *WS, [archive(files)])
    message = caught.value.message
    assert "5 files (the limit is 3)" in message and "data/big.bin  4.9 KB" in message
    assert "data/  5.0 KB in 2 files" in message and ".amlignore" in message
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        tar.addfile(tarfile.TarInfo("../outside.txt"), io.BytesIO(b""))
    with pytest.raises(InvalidSnapshot, match="outside the source directory"):
        snapshots.upload(platform, *WS, [evil.getvalue()])
    link = io.BytesIO()
    with tarfile.open(fileobj=link, mode="w:gz") as tar:
        info = tarfile.TarInfo("etc")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(InvalidSnapshot, match="link"):
        snapshots.upload(platform, *WS, [link.getvalue()])
    with pytest.raises(InvalidSnapshot, match=r"not a readable tar\.gz"):
        snapshots.upload(platform, *WS, [b"this is not an archive"])


def test_a_snapshot_is_checked_against_its_xxh128(platform: Platform, ws: tuple[str, str, str]) -> None:
    body = archive({"train.py": "print(1)"})
    digest = xxhash.xxh3_128(body).hexdigest()
    with pytest.raises(ChecksumMismatch, match=f"xxh128 {digest}, but the client sent {'0' * 32}"):
        snapshots.upload(platform, *WS, [body], "0" * 32)
    with pytest.raises(ValidationError, match="X-Content-XXH128 must be 32 hexadecimal"):
        snapshots.upload(platform, *WS, [body], hashlib.sha256(body).hexdigest())  # a sha256, as sent before
    assert [b.key for b in platform.blobs.list("") if "/snapshots/" in b.key] == []  # nothing stored
    snap = snapshots.upload(platform, *WS, [body], digest.upper())
    assert snap.xxh128 == digest == snapshots.get_snapshot(platform, snap.workspace_id, snap.id).xxh128
    # A snapshot stored while digests were sha256: its xxh128 computed from the archive, and kept.
    key = f"{snapshots._prefix(snap.workspace_id, snap.id)}/{snapshots.MANIFEST}"
    platform.blobs.put_bytes(key, json.dumps({"files": [["train.py", 8]], "sha256": "ab" * 32}).encode())
    assert snapshots.get_snapshot(platform, snap.workspace_id, snap.id).xxh128 == digest
    assert json.loads(platform.blobs.get_bytes(key)) == {"files": [["train.py", 8]], "xxh128": digest}
