"""The xxh128 that travels after a body (``X-Content-XXH128: trailer``) and the one a file store
keeps with a file (an extended attribute): checked, and never paired with the wrong bytes; a file
that kept only the sha256 of before gets its xxh128 computed once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash

from mlyard.core.errors import ChecksumMismatch, MlyardError, ValidationError
from mlyard.core.transfer_digests import TRAILER_BYTES
from mlyard.services.checksums import TRAILER, Hashed, check_digest
from mlyard.storage.base import DIGEST_XATTR, LEGACY_SHA256_XATTR, KeepsXxh128
from mlyard.storage.file import FileBlobStore

DATA = bytes(range(256)) * 40  # 10,240 bytes
SHA = xxhash.xxh3_128(DATA).hexdigest()  # the digest, as xxh128sum prints it


def mismatch(got: str, sent: str) -> MlyardError:
    return ChecksumMismatch(f"got {got}, sent {sent}")


def split(body: bytes, sizes: list[int]) -> list[bytes]:
    out, at = [], 0
    for size in sizes:
        out.append(body[at : at + size])
        at += size
    return [*out, body[at:]] if at < len(body) else out


@pytest.mark.parametrize(
    "sizes",
    [
        [],
        [1024] * 10,
        [len(DATA)],
        [len(DATA) + 10],
        [len(DATA) + TRAILER_BYTES - 1],
        [5, 7, 1],
        [len(DATA) - 1, 1, 30],
    ],
    ids=["whole", "kib", "trailer-alone", "trailer-split", "one-byte-last", "tiny-first", "tiny-last"],
)
def test_a_trailing_digest_is_held_back_and_checked_however_the_body_is_cut(sizes: list[int]) -> None:
    body = DATA + SHA.encode()
    hashed = Hashed(split(body, sizes), TRAILER, mismatch)
    assert b"".join(hashed) == DATA
    assert hashed.hexdigest() == SHA


def test_a_wrong_short_or_garbled_trailer_fails_at_the_end_of_the_stream() -> None:
    wrong = Hashed([DATA, b"0" * 32], TRAILER, mismatch)
    with pytest.raises(ChecksumMismatch, match=f"got {SHA}, sent {'0' * 32}"):
        b"".join(wrong)
    with pytest.raises(ValidationError, match="ended after 3 bytes"):
        b"".join(Hashed([b"abc"], TRAILER, mismatch))
    with pytest.raises(ValidationError, match="must be its xxh128 in hex"):
        b"".join(Hashed([DATA, b"z" * 32], TRAILER, mismatch))
    with pytest.raises(ValidationError, match="must be its xxh128 in hex"):
        b"".join(Hashed([DATA, b"\xff" * 32], TRAILER, mismatch))
    # A sha256 trailer (64 hex) of an old client: its last 32 characters are no xxh128 of the rest.
    old = b"ab" * 32
    with pytest.raises(ChecksumMismatch):
        b"".join(Hashed([DATA, old], TRAILER, mismatch))


def test_trailer_is_a_digest_value_only_where_allowed() -> None:
    assert check_digest("Trailer", trailer=True) == TRAILER
    assert check_digest(SHA.upper(), trailer=True) == SHA
    with pytest.raises(ValidationError, match="32 hexadecimal characters"):
        check_digest("trailer")  # routes that take no trailing digest keep refusing it
    with pytest.raises(ValidationError, match="X-Content-XXH128 must be 32 hexadecimal") as refused:
        check_digest("ab" * 32)  # a sha256 (64 hex), as clients of before sent
    assert refused.value.target == "X-Content-XXH128"


def test_the_file_store_keeps_the_digest_with_the_file(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    assert isinstance(store, KeepsXxh128)
    hashed = Hashed([DATA], SHA, mismatch)
    info, kept = store.write_stream_xxh128("a/b.bin", hashed, hashed.hexdigest)
    assert (info.key, info.size, kept) == ("a/b.bin", len(DATA), True)
    assert info == store.stat("a/b.bin")  # size and time from the descriptor: what a stat says after
    assert store.kept_xxh128("a/b.bin") == SHA
    assert os.getxattr(tmp_path / "blobs" / "a" / "b.bin", DIGEST_XATTR) == SHA.encode()
    store.copy("a/b.bin", "c.bin")
    assert (store.get_bytes("c.bin"), store.kept_xxh128("c.bin")) == (DATA, SHA)
    assert store.kept_xxh128("missing.bin") is None
    # A corrupt upload over it leaves the file and its digest as they were.
    bad = Hashed([b"other"], SHA, mismatch)
    with pytest.raises(ChecksumMismatch):
        store.write_stream_xxh128("a/b.bin", bad, bad.hexdigest)
    assert (store.get_bytes("a/b.bin"), store.kept_xxh128("a/b.bin")) == (DATA, SHA)
    assert sorted(p.name for p in (tmp_path / "blobs" / "a").iterdir()) == ["b.bin"]  # no temporary file left
    # Bytes written without a digest carry none: never the previous version's.
    store.write_stream("a/b.bin", [b"new"])
    assert store.kept_xxh128("a/b.bin") is None


def test_a_file_that_kept_only_its_old_sha256_gets_its_xxh128_computed_once(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    store.put_bytes("old/model.bin", DATA)
    path = tmp_path / "blobs" / "old" / "model.bin"
    os.setxattr(path, LEGACY_SHA256_XATTR, b"5" * 64)  # as the file store kept digests before xxh128
    assert store.kept_xxh128("old/model.bin") == SHA  # computed from the bytes, not the old attribute
    assert os.getxattr(path, DIGEST_XATTR) == SHA.encode()  # and kept from then on
    path.write_bytes(b"changed in place")  # a change the kept digest cannot see: it is read, not recomputed
    assert store.kept_xxh128("old/model.bin") == SHA
    # A file with no digest of either kind stays without one (written by another tool).
    store.put_bytes("plain.bin", DATA)
    assert store.kept_xxh128("plain.bin") is None
