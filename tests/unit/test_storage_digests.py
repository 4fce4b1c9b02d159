"""The sha256 that travels after a body (``X-Content-SHA256: trailer``) and the one a file store
keeps with a file (an extended attribute): checked, and never paired with the wrong bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlyard.core.errors import ChecksumMismatch, MlyardError, ValidationError
from mlyard.services.checksums import TRAILER, Hashed, check_sha256
from mlyard.storage.base import KeepsSha256
from mlyard.storage.file import FileBlobStore

DATA = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(DATA).hexdigest()


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
    [[], [1024] * 10, [len(DATA)], [len(DATA) + 10], [len(DATA) + 63], [5, 7, 1], [len(DATA) - 1, 1, 30]],
    ids=["whole", "kib", "trailer-alone", "trailer-split", "one-byte-last", "tiny-first", "tiny-last"],
)
def test_a_trailing_digest_is_held_back_and_checked_however_the_body_is_cut(sizes: list[int]) -> None:
    body = DATA + SHA.encode()
    hashed = Hashed(split(body, sizes), TRAILER, mismatch)
    assert b"".join(hashed) == DATA
    assert hashed.hexdigest() == SHA


def test_a_wrong_short_or_garbled_trailer_fails_at_the_end_of_the_stream() -> None:
    wrong = Hashed([DATA, b"0" * 64], TRAILER, mismatch)
    with pytest.raises(ChecksumMismatch, match=f"got {SHA}, sent {'0' * 64}"):
        b"".join(wrong)
    with pytest.raises(ValidationError, match="ended after 3 bytes"):
        b"".join(Hashed([b"abc"], TRAILER, mismatch))
    with pytest.raises(ValidationError, match="must be its sha256 in hex"):
        b"".join(Hashed([DATA, b"z" * 64], TRAILER, mismatch))
    with pytest.raises(ValidationError, match="must be its sha256 in hex"):
        b"".join(Hashed([DATA, b"\xff" * 64], TRAILER, mismatch))


def test_trailer_is_a_digest_value_only_where_allowed() -> None:
    assert check_sha256("Trailer", trailer=True) == TRAILER
    assert check_sha256(SHA.upper(), trailer=True) == SHA
    with pytest.raises(ValidationError, match="64 hexadecimal characters"):
        check_sha256("trailer")  # routes that take no trailing digest keep refusing it


def test_the_file_store_keeps_the_digest_with_the_file(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    assert isinstance(store, KeepsSha256)
    hashed = Hashed([DATA], SHA, mismatch)
    assert store.write_stream_sha256("a/b.bin", hashed, hashed.hexdigest) == (len(DATA), True)
    assert store.kept_sha256("a/b.bin") == SHA
    store.copy("a/b.bin", "c.bin")
    assert (store.get_bytes("c.bin"), store.kept_sha256("c.bin")) == (DATA, SHA)
    assert store.kept_sha256("missing.bin") is None
    # A corrupt upload over it leaves the file and its digest as they were.
    bad = Hashed([b"other"], SHA, mismatch)
    with pytest.raises(ChecksumMismatch):
        store.write_stream_sha256("a/b.bin", bad, bad.hexdigest)
    assert (store.get_bytes("a/b.bin"), store.kept_sha256("a/b.bin")) == (DATA, SHA)
    assert sorted(p.name for p in (tmp_path / "blobs" / "a").iterdir()) == ["b.bin"]  # no temporary file left
    # Bytes written without a digest carry none: never the previous version's.
    store.write_stream("a/b.bin", [b"new"])
    assert store.kept_sha256("a/b.bin") is None
