"""The server's DuckDB database: opened by the first read, shared by the next, closed at stop."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest
from tests.fixtures.server import point_at, start_server

from mlyard import Dataset, Workspace


def test_profiles_share_the_database_that_the_server_closes_as_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(tmp_path / "home")
    try:
        point_at(server, monkeypatch, tmp_path)
        name = f"prof-{uuid.uuid4().hex[:8]}"
        ws = Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)
        store = ws.get_default_datastore()
        (tmp_path / "t").mkdir()
        (tmp_path / "t" / "a.csv").write_text("n,city\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(50)))
        (tmp_path / "t" / "b.csv").write_text("n,city\n" + "".join(f"{i},c\n" for i in range(7)))
        store.upload(str(tmp_path / "t"), target_path="t", show_progress=False)
        a = Dataset.Tabular.from_delimited_files((store, "t/a.csv")).get_profile()
        b = Dataset.Tabular.from_delimited_files((store, "t/b.csv")).get_profile()
        assert (a.row_count, a["n"]["max"], a["city"]["distinct"]) == (50, 49, 2)
        assert (b.row_count, b["city"]["topValues"]) == (7, [{"value": "c", "count": 7}])
        spill = server.home / "tmp"
        assert len([f for f in spill.iterdir() if f.name.startswith("duckdb-")]) == 1  # one database for both
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.log()[-4000:]
    assert "Traceback" not in server.log()
    assert [f for f in (server.home / "tmp").iterdir() if f.name.startswith("duckdb-")] == []
