"""Engines and units of work, one object per server, built by ``create_app``.

SQLite gets WAL, a busy timeout and foreign keys; its write transactions begin with
``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of failing with
"database is locked" when a read lock cannot be upgraded. Reads stay deferred and never wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from mlyard.core.errors import Conflict, ValidationError
from mlyard.store.schema import METADATA

__all__ = ["METADATA", "Database", "make_engine"]

# SQLSTATEs of the integrity errors that two concurrent writers cause (PostgreSQL).
_RACE_SQLSTATES = frozenset({"23505", "23503"})  # unique_violation, foreign_key_violation
_RACE_SQLITE_MESSAGES = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")
_CONCURRENT_CHANGE = "Another request changed the same resource at the same time: read it again, then retry."


def _nul_in_text(exc: DataError) -> bool:
    """PostgreSQL's text cannot hold NUL characters (SQLite's can): whatever field carried one,
    that is the caller's input to fix, not a server failure. Other data errors stay errors."""
    return "NUL (0x00)" in str(exc.orig)


_NUL_REFUSED = "Text may not contain NUL (\\x00) characters: remove them and send the request again."


def _lost_a_race(exc: IntegrityError) -> bool:
    """Whether a unique or foreign-key violation: what a concurrent writer causes, not a bug."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RACE_SQLSTATES:
        return True
    return str(orig).startswith(_RACE_SQLITE_MESSAGES)


def _sqlite_engine(url: str, busy_timeout_ms: int, *, immediate: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        pool_size=8,
        max_overflow=32,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint (two fsyncs and a copy of the WAL's pages, run by the commit that crosses the
        # threshold) every 10,000 pages (~40 MB) rather than SQLite's 1,000: at the default every
        # ~40th run created paid for one, and runs were created 14-17 % slower (A/B, 2 servers).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, immediate: bool = False) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms, immediate=immediate)
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise ValidationError(
        f"Unsupported database URL '{make_url(url).render_as_string(hide_password=True)}': "
        "use sqlite:///path/to/mlyard.db or postgresql+psycopg://user:password@host:port/db.",
        target="database_url",
    )


class Database:
    """The server's connection to the metadata store."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.write_engine = (
            make_engine(url, busy_timeout_ms=busy_timeout_ms, immediate=True) if self.is_sqlite else self.engine
        )
        self._reader = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._reader() as session:
                yield session
        except DataError as exc:
            if not _nul_in_text(exc):
                raise
            raise ValidationError(_NUL_REFUSED) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One short transaction: committed when the block ends, rolled back on any error.

        A unique or foreign-key violation, or rows that vanished between this transaction's
        read and its write, mean that another request changed the same rows at the same time
        (PostgreSQL runs writers side by side): that is a 409 ``Conflict`` for the caller to
        retry, not a server failure.
        """
        try:
            with self._writer() as session, session.begin():
                yield session
        except (IntegrityError, StaleDataError) as exc:
            if isinstance(exc, IntegrityError) and not _lost_a_race(exc):
                raise
            raise Conflict(_CONCURRENT_CHANGE) from exc
        except DataError as exc:
            if not _nul_in_text(exc):
                raise
            raise ValidationError(_NUL_REFUSED) from exc

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
