"""``one_sync``: many writes to a file store, one flush to disk at the end (and none on failure)."""

from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mlyard.storage.base import one_sync
from mlyard.storage.file import FileBlobStore


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[FileBlobStore, dict[str, int]]:
    """The store, and counts of its writes' own fsyncs and of its ``sync`` calls (whose fsyncs
    are counted apart, in ``synced``)."""
    calls = {"fsync": 0, "sync": 0, "synced": 0}
    real_fsync = os.fsync
    in_sync = [False]

    def fsync(fd: int) -> None:
        calls["synced" if in_sync[0] else "fsync"] += 1
        real_fsync(fd)

    store = FileBlobStore(tmp_path / "blobs")
    real_sync = store.sync

    def sync(paths: Any = None) -> None:
        calls["sync"] += 1
        in_sync[0] = True
        try:
            real_sync(paths)
        finally:
            in_sync[0] = False

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(store, "sync", sync)
    return store, calls


def test_each_write_is_flushed_outside_a_block(counted: tuple[FileBlobStore, dict[str, int]]) -> None:
    store, calls = counted
    store.put_bytes("a/1", b"x")
    store.put_bytes("a/2", b"y")
    assert calls == {"fsync": 2, "sync": 0, "synced": 0}


def test_a_block_flushes_once_for_writes_of_every_thread(counted: tuple[FileBlobStore, dict[str, int]]) -> None:
    store, calls = counted
    with one_sync(), ThreadPoolExecutor(4) as pool:
        store.put_bytes("main", b"m")
        futures = [pool.submit(contextvars.copy_context().run, store.put_bytes, f"t/{i}", b"z" * i) for i in range(20)]
        for future in futures:
            future.result()
    # One sync for the block: each of the 21 files, and the folders 't' and the root.
    assert calls == {"fsync": 0, "sync": 1, "synced": 21 + 2}
    assert store.get_bytes("t/7") == b"z" * 7 and store.get_bytes("main") == b"m"


def test_a_failed_block_flushes_nothing_and_later_writes_flush_again(
    counted: tuple[FileBlobStore, dict[str, int]],
) -> None:
    store, calls = counted
    with pytest.raises(RuntimeError), one_sync():
        store.put_bytes("b", b"1")
        raise RuntimeError("the archive broke")
    assert calls == {"fsync": 0, "sync": 0, "synced": 0}
    store.put_bytes("c", b"2")
    assert calls == {"fsync": 1, "sync": 0, "synced": 0}


def test_sync_reaches_the_disk(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "fresh")
    store.sync()  # a store not written yet: its folder is made, syncfs succeeds
    assert (tmp_path / "fresh").is_dir()


def test_a_block_flushes_only_its_own_files_and_skips_removed_ones(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    flushed: list[Path] = []
    real = store.sync

    def sync(paths: Any = None) -> None:
        flushed.extend(paths)
        real(paths)

    store.sync = sync  # type: ignore[method-assign]
    store.put_bytes("other/x", b"not ours")
    with one_sync():
        store.put_bytes("a/b/1", b"1")
        store.put_bytes("a/b/2", b"2")
        store.put_bytes("gone", b"3")
        store.delete("gone")  # an undone write: nothing to flush, no error
    assert sorted(p.relative_to(tmp_path).as_posix() for p in flushed) == [
        "blobs/a/b/1",
        "blobs/a/b/2",
        "blobs/gone",
    ]
