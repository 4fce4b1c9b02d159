"""A short-lived, in-process cache of who a token is, what a principal holds, and workspaces.

Without it every request asked the database the same things before doing its work: the
token, its user (or service principal), the principal's groups and role assignments, and the
workspace of the path — six statements in four transactions, most of the server's time on a
small write. Entries live ``TTL`` seconds at most.

Invalidation: every INSERT, UPDATE or DELETE that this server runs on a table the entries come
from (``WATCHED``) empties the cache, once when the statement runs and again when its
transaction has committed (its connection goes back to the pool); a value read under an older
generation is never stored, so a reader that raced a change cannot put back what it replaced.
A revoked token, a removed role assignment or group membership, a disabled user: refused at
once on this server. **Another server process (a second replica, or the CLI writing to the
database directly) sees such a
change only when its own entries expire: up to ``TTL`` seconds later.**

Failures (an unknown, revoked or expired token) are never cached; a cached token still expires
at its own ``expires_at``.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, event

from mlyard.store.database import Database

T = TypeVar("T")

TTL = 5.0
# Tables whose rows the cached answers are made of.
WATCHED = frozenset(
    {
        "access_tokens",
        "users",
        "service_principals",
        "groups",
        "group_members",
        "role_assignments",
        "role_definitions",
        "subscriptions",
        "resource_groups",
        "workspaces",
    }
)
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_CHANGED = "mlyard_auth_changed"
_MAX_ENTRIES = 10_000  # a bound, not a tuning knob: tokens and principals of a busy server


class AuthCache:
    """Entries by (kind, key), each until its deadline or the next change to a watched table."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}
        self.generation = 0

    def get_or_load(self, kind: str, key: str, load: Callable[[], T], valid: Callable[[T], bool] | None = None) -> T:
        """The cached value, or ``load()`` stored when nothing changed while it ran.
        ``valid`` may refuse a cached value (a token past its expiry): it is loaded again."""
        now = self._clock()
        with self._lock:
            hit = self._entries.get((kind, key))
            generation = self.generation
        if hit is not None and hit[0] > now and (valid is None or valid(hit[1])):
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            if self.generation == generation:
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.clear()
                self._entries[(kind, key)] = (now + self.ttl, value)
        return value

    def peek(self, kind: str, key: str, valid: Callable[[Any], bool] | None = None) -> Any | None:
        """The cached value, or None: lets an async caller answer from memory and run only a
        miss (database I/O) in a worker thread."""
        with self._lock:
            hit = self._entries.get((kind, key))
        if hit is not None and hit[0] > self._clock() and (valid is None or valid(hit[1])):
            return hit[1]
        return None

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def watch(self, engine: Engine) -> None:
        """Empty the cache on every write to a watched table through ``engine``, and on its commit."""
        me = weakref.ref(self)

        def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            match = _WRITE.match(statement)
            if match is not None and match.group(1).lower() in WATCHED and (cache := me()) is not None:
                conn.info[_CHANGED] = True
                cache.clear()

        def returned(_dbapi_connection: Any, record: Any) -> None:
            # Checked in after its commit (or rollback): a reader from now on sees the change.
            if record is not None and record.info.pop(_CHANGED, False) and (cache := me()) is not None:
                cache.clear()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "checkin", returned)


_CACHES: weakref.WeakKeyDictionary[Database, AuthCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(db: Database) -> AuthCache:
    """The cache of one database (one per server), watching its engines from first use."""
    cache = _CACHES.get(db)
    if cache is not None:
        return cache
    with _CACHES_LOCK:
        cache = _CACHES.get(db)
        if cache is None:
            cache = AuthCache()
            cache.watch(db.engine)
            if db.write_engine is not db.engine:
                cache.watch(db.write_engine)
            _CACHES[db] = cache
    return cache


def unexpired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or expires_at > now


__all__ = ["TTL", "WATCHED", "AuthCache", "cache_of", "unexpired"]
