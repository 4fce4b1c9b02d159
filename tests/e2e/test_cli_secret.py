"""``mlyard secret`` against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok, unique
from tests.fixtures.server import RunningServer

SUB = "default"


@pytest.fixture
def where(server_env: RunningServer) -> tuple[str, ...]:
    group, name = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    ok("workspace", "create", "-n", name, "-g", group, "--subscription", SUB)
    return ("-w", name, "-g", group, "--subscription", SUB)


def test_set_from_a_flag_a_pipe_and_a_file(where: tuple[str, ...], tmp_path: Path) -> None:
    first = as_json("secret", "set", "-n", "db-pass", "--value", "from-the-flag", *where)
    assert (first["name"], first["version"]) == ("db-pass", 1) and "value" not in first
    assert "from-the-flag" not in json.dumps(first)

    piped = as_json("secret", "set", "-n", "db-pass", *where, stdin="from-the-pipe\n")
    assert piped["version"] == 2
    file = tmp_path / "value.txt"
    file.write_text("from-the-file\n")
    assert as_json("secret", "set", "-n", "db-pass", "--file", str(file), *where)["version"] == 3
    assert as_json("secret", "set", "-n", "db-pass", "--file", "-", *where, stdin="dash\n")["version"] == 4

    def value(*extra: str) -> str:
        return ok("secret", "show", "-n", "db-pass", "--show-value", *extra, *where).stdout

    assert value("--version", "1") == "from-the-flag\n"
    assert value("--version", "2") == "from-the-pipe\n"  # the newline that echo adds is not kept
    assert value("--version", "3") == "from-the-file\n\n"  # a file is taken as it is
    assert value() == "dash\n"


def test_show_prints_metadata_unless_the_value_is_asked_for(where: tuple[str, ...]) -> None:
    ok("secret", "set", "-n", "api-key", "--value", "do-not-print-me", *where)
    ok("secret", "set", "-n", "api-key", "--value", "do-not-print-me-either", *where)
    table = ok("secret", "show", "-n", "api-key", *where)
    assert "api-key" in table.stdout and "do-not-print" not in table.stdout + table.stderr
    shown = as_json("secret", "show", "-n", "api-key", *where)
    assert (shown["version"], shown["versions"]) == (2, "1, 2") and "value" not in shown
    older = as_json("secret", "show", "-n", "api-key", "--version", "1", *where)
    assert older["version"] == 1 and "value" not in older
    full = as_json("secret", "show", "-n", "api-key", "--show-value", *where)
    assert (full["name"], full["value"], full["version"]) == ("api-key", "do-not-print-me-either", 2)

    missing_version = mlyard("secret", "show", "-n", "api-key", "--version", "9", *where)
    assert missing_version.returncode == 1 and "its versions are 1, 2" in missing_version.stderr
    missing = mlyard("secret", "show", "-n", "nothing-here", *where)
    assert missing.returncode == 1 and "'nothing-here'" in missing.stderr and "mlyard secret set" in missing.stderr


def test_list_shows_names_and_versions_only(where: tuple[str, ...]) -> None:
    ok("secret", "set", "-n", "one", "--value", "list-value-one", *where)
    ok("secret", "set", "-n", "two", "--value", "list-value-two", *where)
    listed = as_json("secret", "list", *where)
    assert [(s["name"], s["version"]) for s in listed] == [("one", 1), ("two", 1)]
    table = ok("secret", "list", *where).stdout
    assert "one" in table and "two" in table and "list-value" not in table


def test_delete_asks_first(where: tuple[str, ...]) -> None:
    ok("secret", "set", "-n", "doomed", "--value", "v", *where)
    declined = mlyard("secret", "delete", "-n", "doomed", *where, stdin="n\n")
    assert declined.returncode == 1
    assert as_json("secret", "list", *where)[0]["name"] == "doomed"
    deleted = ok("secret", "delete", "-n", "doomed", "--yes", *where)
    assert "Deleted secret 'doomed' (1 version(s))" in deleted.stderr
    assert as_json("secret", "list", *where) == []
    again = mlyard("secret", "delete", "-n", "doomed", "--yes", *where)
    assert again.returncode == 1 and "'doomed'" in again.stderr


def test_the_workspace_flags_default_to_config_json(where: tuple[str, ...], tmp_path: Path) -> None:
    name, group = where[1], where[3]
    project = tmp_path / "project"
    (project / ".azureml").mkdir(parents=True)
    config = {"subscription_id": SUB, "resource_group": group, "workspace_name": name}
    (project / ".azureml" / "config.json").write_text(json.dumps(config))
    ok("secret", "set", "-n", "from-config", "--value", "v", cwd=project)
    assert [s["name"] for s in as_json("secret", "list", cwd=project)] == ["from-config"]
    assert [s["name"] for s in as_json("secret", "list", *where)] == ["from-config"]


def test_usage_errors(where: tuple[str, ...], tmp_path: Path) -> None:
    both = mlyard("secret", "set", "-n", "x", "--value", "v", "--file", str(tmp_path / "f"), *where)
    assert both.returncode == 2 and "not both" in both.stderr
    empty = mlyard("secret", "set", "-n", "x", *where, stdin="")
    assert empty.returncode == 2 and "No value was given" in empty.stderr
    unreadable = mlyard("secret", "set", "-n", "x", "--file", str(tmp_path / "missing"), *where)
    assert unreadable.returncode == 2 and "Cannot read --file" in unreadable.stderr
    bad_name = mlyard("secret", "set", "-n", "bad_name", "--value", "v", *where)
    assert bad_name.returncode == 1 and "letters, digits or hyphens" in bad_name.stderr
    too_big = mlyard("secret", "set", "-n", "big", *where, stdin="canary-" * 4000)
    assert too_big.returncode == 1 and "25 KiB" in too_big.stderr and "canary-" not in too_big.stderr
    assert as_json("secret", "list", *where) == []


def test_help(server_env: RunningServer) -> None:
    text = ok("secret", "--help").stdout
    for command in ("set", "show", "list", "delete"):
        assert command in text
    assert "--show-value" in ok("secret", "show", "--help").stdout
