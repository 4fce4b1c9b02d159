"""``mlyard dataset …`` against the session's real server, run in a subprocess as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli_datastore import failed, workspace_flags
from tests.e2e.test_cli_workspace import mlyard, ok
from tests.fixtures.server import RunningServer


def test_create_list_show_versions_profile_download(server_env: RunningServer, tmp_path: Path) -> None:
    ws = workspace_flags()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("id,city,temp\n1,oslo,3.5\n2,rome,18.0\n3,oslo,4.5\n")
    ok("datastore", "upload", "-n", "workspaceblobstore", "--src", str(tmp_path / "data"), "--target-path", "w", *ws)

    made = json.loads(
        ok("dataset", "create", "-n", "weather", "-p", "workspaceblobstore:w/*.csv", *ws, "-o", "json").stdout
    )
    assert made["version"] == 1 and [c["type"] for c in made["columns"]] == ["BIGINT", "VARCHAR", "DOUBLE"]
    local = ["dataset", "create", "-n", "weather", "-p", str(tmp_path / "data" / "a.csv"), *ws]
    assert "create_new_version" in failed(*local)
    assert json.loads(ok(*local, "--new-version", "-o", "json").stdout)["version"] == 2

    listed = ok("dataset", "list", *ws).stdout
    assert "weather" in listed and "tabular" in listed
    assert [v["version"] for v in json.loads(ok("dataset", "versions", "-n", "weather", *ws, "-o", "json").stdout)] == [
        1,
        2,
    ]
    shown = ok("dataset", "show", "-n", "weather", "-v", "1", *ws).stdout
    assert "w/*.csv" in shown and "city VARCHAR" in shown
    profile = ok("dataset", "profile", "-n", "weather", *ws).stdout
    assert "3 rows" in profile and "oslo (2)" in profile

    ok("dataset", "download", "-n", "weather", "-v", "1", "-d", str(tmp_path / "out"), *ws)
    assert (tmp_path / "out" / "a.csv").read_text().startswith("id,city")
    assert "already exist" in failed(
        "dataset", "download", "-n", "weather", "-v", "1", "-d", str(tmp_path / "out"), *ws
    )
    assert "was not found" in failed("dataset", "show", "-n", "weather", "-v", "9", *ws)
    done = mlyard("dataset", "create", "-n", "empty", "-p", "workspaceblobstore:nothing/*.csv", *ws)
    assert done.returncode == 1 and "No file of datastore" in done.stderr
