"""The server's authentication cache: entries expire, and any write to a watched table empties it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from mlyard.services.auth_cache import AuthCache, cache_of
from mlyard.store.database import Database


def _db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'cache.db'}")
    with db.write() as session:
        session.execute(text("CREATE TABLE role_assignments (id TEXT)"))
        session.execute(text("CREATE TABLE run_tags (id TEXT)"))
    return db


def test_entries_expire_after_the_ttl() -> None:
    now = [0.0]
    cache = AuthCache(ttl=5.0, clock=lambda: now[0])
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert cache.get_or_load("held", "p", load) == 1
    now[0] = 4.9
    assert cache.get_or_load("held", "p", load) == 1 and cache.peek("held", "p") == 1
    now[0] = 5.1
    assert cache.peek("held", "p") is None
    assert cache.get_or_load("held", "p", load) == 2
    assert cache.get_or_load("held", "p", load, valid=lambda v: v > 2) == 3  # refused value: loaded again


def test_a_write_to_a_watched_table_empties_the_cache_and_others_do_not(tmp_path: Path) -> None:
    db = _db(tmp_path)
    try:
        cache = cache_of(db)
        assert cache_of(db) is cache
        cache.get_or_load("held", "p", lambda: "before")
        with db.write() as session:
            session.execute(text("INSERT INTO run_tags (id) VALUES ('x')"))
        assert cache.peek("held", "p") == "before"
        with db.write() as session:
            session.execute(text("DELETE FROM role_assignments WHERE id = 'x'"))
        assert cache.peek("held", "p") is None
    finally:
        db.dispose()


def test_a_value_read_while_a_change_happened_is_not_kept(tmp_path: Path) -> None:
    db = _db(tmp_path)
    try:
        cache = cache_of(db)

        def load_racing_a_revocation() -> str:
            with db.write() as session:  # another request changes roles while this one reads
                session.execute(text("INSERT INTO role_assignments (id) VALUES ('y')"))
            return "stale"

        assert cache.get_or_load("held", "p", load_racing_a_revocation) == "stale"
        assert cache.peek("held", "p") is None
        assert cache.get_or_load("held", "p", lambda: "fresh") == "fresh"
        assert cache.peek("held", "p") == "fresh"
    finally:
        db.dispose()
