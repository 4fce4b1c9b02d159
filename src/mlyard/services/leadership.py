"""Who schedules: one leader among the servers that share a metadata store.

- PostgreSQL (several replicas): a session-level advisory lock, held on a connection kept
  open for as long as this server leads. If that connection breaks, PostgreSQL drops the lock
  and another replica may take it; :meth:`Lease.holds` notices at the next tick.
- SQLite (one host): an exclusive ``flock`` on ``<home>/scheduler.lock``, so that a second
  server started on the same home by mistake does not schedule too. The descriptor is not
  inherited by job processes (Python opens files non-inheritable), so a job that outlives the
  server never holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from mlyard.store.database import Database

log = logging.getLogger("mlyard.scheduler")

# Any constant works, as long as every replica uses the same: "mlyard" in ASCII.
ADVISORY_KEY = 0x6D6C79617264


class Lease(Protocol):
    def acquire(self) -> bool:
        """Try to become the leader (without waiting); True while this server leads."""
        ...

    def holds(self) -> bool:
        """Whether the lead is still ours (a broken connection loses it)."""
        ...

    def release(self) -> None: ...


class PostgresLease:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.holds()
        conn = self._db.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            conn.commit()
        except SQLAlchemyError:
            conn.close()
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def holds(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except SQLAlchemyError:
            log.warning("the scheduler's lock connection broke: another replica may lead now")
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(SQLAlchemyError):
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self._conn.commit()
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.invalidate()
                conn.close()


class FileLease:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._handle = handle
        return True

    def holds(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def lease_for(db: Database, home: Path) -> Lease:
    return FileLease(home / "scheduler.lock") if db.is_sqlite else PostgresLease(db)
