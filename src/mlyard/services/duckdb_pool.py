"""One DuckDB database per server process, a cursor of it per request.

A new in-memory database per request cost 30 ms or more of a profile's 0.5 s (its thread pool,
its catalogue, its temporary folder made and removed); a cursor of a database that is already
open costs half a millisecond. A cursor is a connection of its own: its temporary tables are its
own and go with it, so requests on their own threads never see each other's tables.

The database is opened on first use, one per spill folder (the server's home: one per process),
and closed by :func:`close` when the server stops. What it sets is the process's, not a
request's: :data:`MEMORY_LIMIT` bounds all of DuckDB's reads at once (beyond it, they spill to a
temporary folder under the spill folder), and its :func:`threads` are shared by the queries
running at once. A process that serves several homes (tests) keeps at most :data:`MAX_OPEN`
databases: beyond that, those no cursor uses are closed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "2GB"
MAX_THREADS = 8
MAX_OPEN = 4


@dataclass
class _Database:
    con: duckdb.DuckDBPyConnection
    folder: Path  # its temporary folder, removed when it closes
    users: int = 0  # cursors open


_lock = threading.Lock()
_open: dict[Path, _Database] = {}


def threads() -> int:
    """Every core of the host, at most :data:`MAX_THREADS` (the server has other work too)."""
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


def _connect(spill: Path) -> _Database:
    import duckdb

    spill.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="duckdb-", dir=spill))
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": MEMORY_LIMIT,
        "temp_directory": str(folder),
        "threads": threads(),
        # The allocator gives the memory of a finished read back to the system within about a
        # second, instead of keeping it (100 MB and more after a 1M-row profile) for the next
        # one, as it did when each request's database was closed after it.
        "allocator_background_threads": True,
    }
    return _Database(duckdb.connect(config=config), folder)


def _acquire(spill: Path) -> tuple[_Database, duckdb.DuckDBPyConnection]:
    key = spill.resolve()
    idle: list[_Database] = []
    with _lock:
        db = _open.get(key)
        if db is None:
            db = _open[key] = _connect(spill)
            if len(_open) > MAX_OPEN:
                idle = [_open.pop(k) for k, d in list(_open.items()) if d.users == 0 and d is not db]
        db.users += 1
        # The cursor made under the lock: close() cannot close the database in between.
        try:
            cur = db.con.cursor()
        except BaseException:
            db.users -= 1
            raise
    _shut(idle)
    return db, cur


def _release(db: _Database, *, broken: bool) -> None:
    with _lock:
        db.users -= 1
        # Closed already when close() ran meanwhile; a broken one, unless another replaced it.
        drop = broken and any(d is db for d in _open.values())
        if drop:
            _open.pop(next(k for k, d in _open.items() if d is db))
    if drop:
        _shut([db])


@contextlib.contextmanager
def cursor(spill: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the process's database for ``spill`` (opened on first use), closed after."""
    import duckdb

    db, con = _acquire(spill)
    broken = False
    try:
        yield con
    except (duckdb.FatalException, duckdb.InternalException):
        # DuckDB refuses every later query of a database such an error invalidated: the next
        # request opens a new one rather than failing too.
        broken = True
        raise
    finally:
        con.close()
        _release(db, broken=broken)


def close(under: Path | None = None) -> None:
    """Close the databases whose spill folder is ``under`` or inside it (every one without it)
    and remove their temporary folders; their cursors close with them, and a later
    :func:`cursor` opens a new one. The server calls it with its home as it stops."""
    root = None if under is None else under.resolve()
    with _lock:
        keys = [k for k in _open if root is None or k == root or root in k.parents]
        closing = [_open.pop(k) for k in keys]
    _shut(closing)


def _shut(databases: list[_Database]) -> None:
    for db in databases:
        db.con.close()
        shutil.rmtree(db.folder, ignore_errors=True)


__all__ = ["MAX_OPEN", "MAX_THREADS", "MEMORY_LIMIT", "close", "cursor", "threads"]
