"""The process's DuckDB database: one per spill folder, a cursor per request, closed on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from mlyard.services import duckdb_pool


@pytest.fixture(autouse=True)
def _closed() -> Iterator[None]:
    yield
    duckdb_pool.close()


def test_cursors_share_one_database_but_not_their_temporary_tables(tmp_path: Path) -> None:
    spill = tmp_path / "tmp"
    with duckdb_pool.cursor(spill) as a, duckdb_pool.cursor(spill) as b:
        a.execute("CREATE TABLE shared AS SELECT 42 AS x")
        a.execute("CREATE TEMP TABLE mine AS SELECT 1 AS x")
        b.execute("CREATE TEMP TABLE mine AS SELECT 2 AS x")
        assert b.execute("SELECT x FROM shared").fetchall() == [(42,)]
        assert a.execute("SELECT x FROM mine").fetchall() == [(1,)]
        assert b.execute("SELECT x FROM mine").fetchall() == [(2,)]
        ((limit, threads),) = a.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchall()
    assert threads == duckdb_pool.threads() and limit != ""
    with duckdb_pool.cursor(spill) as c:
        assert c.execute("SELECT x FROM shared").fetchall() == [(42,)]  # the same database, still open
        with pytest.raises(duckdb.CatalogException):
            c.execute("SELECT x FROM mine")  # went with its cursor
    assert [f.name[:7] for f in spill.iterdir()] == ["duckdb-"]  # its one temporary folder


def test_close_ends_the_database_of_a_home_only(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for home in (one, two):
        with duckdb_pool.cursor(home / "tmp") as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
    duckdb_pool.close(one)
    assert list((one / "tmp").iterdir()) == []  # the temporary folder removed
    with duckdb_pool.cursor(one / "tmp") as con, pytest.raises(duckdb.CatalogException):
        con.execute("SELECT x FROM t")  # a new database
    with duckdb_pool.cursor(two / "tmp") as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_idle_databases_beyond_the_limit_are_closed_not_those_in_use(tmp_path: Path) -> None:
    with duckdb_pool.cursor(tmp_path / "busy") as busy:
        busy.execute("CREATE TABLE t AS SELECT 1 AS x")
        for i in range(duckdb_pool.MAX_OPEN + 2):
            with duckdb_pool.cursor(tmp_path / f"idle{i}") as con:
                con.execute("SELECT 1").fetchall()
        assert busy.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert len(duckdb_pool._open) <= duckdb_pool.MAX_OPEN
    assert list((tmp_path / "idle0").iterdir()) == []  # closed: its folder removed


def test_an_error_that_breaks_the_database_replaces_it(tmp_path: Path) -> None:
    spill = tmp_path / "tmp"
    with duckdb_pool.cursor(spill) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    with pytest.raises(duckdb.InternalException), duckdb_pool.cursor(spill):
        raise duckdb.InternalException("as DuckDB raises it when a database is invalidated")
    with duckdb_pool.cursor(spill) as con, pytest.raises(duckdb.CatalogException):
        con.execute("SELECT x FROM t")  # a new database
    with pytest.raises(duckdb.BinderException), duckdb_pool.cursor(spill) as con:
        con.execute("CREATE TABLE u AS SELECT 1 AS x")
        con.execute("SELECT nope FROM u")
    with duckdb_pool.cursor(spill) as con:  # an ordinary error keeps the database
        assert con.execute("SELECT x FROM u").fetchall() == [(1,)]
