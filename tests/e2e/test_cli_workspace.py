"""The ``mlyard`` command against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.fixtures.server import ADMIN_PASSWORD, RunningServer, free_port

SUB = "default"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def mlyard(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command; every run, failed or not, must be free of tracebacks."""
    done = subprocess.run(
        [sys.executable, "-m", "mlyard", *args],
        cwd=cwd or Path.cwd(),
        env=env or dict(os.environ),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def ok(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = mlyard(*args, **kwargs)
    assert done.returncode == 0, f"mlyard {' '.join(args)} failed:\n{done.stderr}"
    return done


def as_json(*args: str, **kwargs: Any) -> Any:
    return json.loads(ok(*args, "-o", "json", **kwargs).stdout)


def fresh_home(tmp_path: Path, live: RunningServer, *, logged_in: bool = True) -> dict[str, str]:
    """An environment with its own home: no config.json, and the server's credentials if asked."""
    home = tmp_path / unique("home")
    home.mkdir()
    if logged_in:
        shutil.copy(live.home / "credentials", home / "credentials")
    env = dict(os.environ)
    env["MLYARD_HOME"] = str(home)
    env["MLYARD_ENDPOINT"] = live.endpoint
    return env


def test_subscription_create_list_show(server_env: RunningServer) -> None:
    sub = unique("sub")
    made = as_json("subscription", "create", "-n", sub, "--display-name", "Team A")
    assert made["subscriptionId"] == sub and made["displayName"] == "Team A"
    listed = as_json("subscription", "list")
    assert sub in [s["subscriptionId"] for s in listed]
    shown = yaml.safe_load(ok("subscription", "show", "-n", sub, "-o", "yaml").stdout)
    assert shown["displayName"] == "Team A"
    assert sub in ok("subscription", "list").stdout


def test_group_create_list_show_delete(server_env: RunningServer) -> None:
    group = unique("grp")
    made = as_json("group", "create", "-n", group, "--subscription", SUB, "--tags", "team=a env=test")
    assert made["tags"] == {"team": "a", "env": "test"}
    assert group in [g["name"] for g in as_json("group", "list", "--subscription", SUB)]
    shown = yaml.safe_load(ok("group", "show", "-n", group, "--subscription", SUB, "-o", "yaml").stdout)
    assert shown["name"] == group
    assert group in ok("group", "show", "-n", group, "--subscription", SUB).stdout

    ws = unique("ws")
    ok("workspace", "create", "-n", ws, "-g", group, "--subscription", SUB)
    declined = mlyard("group", "delete", "-n", group, "--subscription", SUB, stdin="n\n")
    assert declined.returncode == 1
    assert ws in declined.stdout + declined.stderr and "supporting resources" in declined.stdout + declined.stderr
    ok("group", "show", "-n", group, "--subscription", SUB)

    deleted = ok("group", "delete", "-n", group, "--subscription", SUB, "--yes")
    assert f"workspaces/{ws}" in deleted.stderr and "Removed: storage" in deleted.stderr
    gone = mlyard("group", "show", "-n", group, "--subscription", SUB)
    assert gone.returncode == 1 and gone.stderr.startswith("error:") and group in gone.stderr


def test_workspace_create_show_list_update_delete(server_env: RunningServer) -> None:
    group, name = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    where = ("-g", group, "--subscription", SUB)
    made = as_json(
        "workspace", "create", "-n", name, *where, "--description", "first", "--friendly-name", "First",
        "--tags", "a=1", "--tags", "b=2",
    )  # fmt: skip
    assert (made["name"], made["description"], made["friendlyName"]) == (name, "first", "First")
    assert made["tags"] == {"a": "1", "b": "2"}
    kinds = {r["kind"]: r["status"] for r in made["supportingResources"]}
    assert kinds["environmentRegistry"] == "CreatedOnFirstUse" and kinds["storage"] == "Ready"

    again = as_json("workspace", "create", "-n", name, *where, "--exist-ok")
    assert again["workspaceId"] == made["workspaceId"]
    duplicate = mlyard("workspace", "create", "-n", name, *where)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    shown = as_json("workspace", "show", "-w", name, *where)
    assert shown["workspaceId"] == made["workspaceId"]
    table = ok("workspace", "show", "-w", name, *where).stdout
    assert name in table and "Supporting resources" in table and "CreatedOnFirstUse" in table
    listed = as_json("workspace", "list", *where)
    assert [w["name"] for w in listed] == [name]
    assert name in ok("workspace", "list", "--subscription", SUB).stdout

    updated = as_json("workspace", "update", "-w", name, *where, "--description", "second")
    assert (updated["description"], updated["friendlyName"]) == ("second", "First")

    declined = mlyard("workspace", "delete", "-w", name, *where, stdin="n\n")
    assert declined.returncode == 1
    ok("workspace", "show", "-w", name, *where)
    deleted = ok("workspace", "delete", "-w", name, *where, "--yes")
    assert "Kept supporting resources" in deleted.stderr and "rm -rf" in deleted.stderr
    assert "--all-resources" in deleted.stderr
    gone = mlyard("workspace", "show", "-w", name, *where)
    assert gone.returncode == 1 and "was not found" in gone.stderr


def test_workspace_delete_all_resources(server_env: RunningServer) -> None:
    group, name = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    ok("workspace", "create", "-n", name, "-g", group, "--subscription", SUB)
    deleted = ok("workspace", "delete", "-w", name, "-g", group, "--subscription", SUB, "--all-resources", "--yes")
    assert "Removed: storage" in deleted.stderr and "Kept" not in deleted.stderr


def test_workspace_flags_default_to_the_config_json_of_the_folder(server_env: RunningServer, tmp_path: Path) -> None:
    group, name = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    ok("workspace", "create", "-n", name, "-g", group, "--subscription", SUB)
    project = tmp_path / "project"
    (project / ".azureml").mkdir(parents=True)
    config = {"subscription_id": SUB, "resource_group": group, "workspace_name": name}
    (project / ".azureml" / "config.json").write_text(json.dumps(config))
    below = project / "src"
    below.mkdir()

    assert as_json("workspace", "show", cwd=below)["name"] == name
    assert as_json("workspace", "update", "--description", "from config", cwd=below)["description"] == "from config"
    assert [w["name"] for w in as_json("workspace", "list", "-g", group, cwd=below)] == [name]
    # A flag still wins over the file.
    assert as_json("workspace", "show", "-w", "default", "-g", "default", cwd=below)["name"] == "default"


def test_a_missing_flag_without_config_names_the_flag(server_env: RunningServer, tmp_path: Path) -> None:
    env = fresh_home(tmp_path, server_env)
    missing_ws = mlyard("workspace", "show", env=env, cwd=tmp_path)
    assert missing_ws.returncode == 2
    assert missing_ws.stderr.startswith("error:") and "-w/--workspace-name" in missing_ws.stderr
    missing_group = mlyard("workspace", "delete", "-w", "default", "--yes", env=env, cwd=tmp_path)
    assert missing_group.returncode == 2 and "-g/--resource-group" in missing_group.stderr
    shown = json.loads(ok("workspace", "show", "-w", "default", "-g", "default", "--subscription", SUB,
                          "-o", "json", env=env, cwd=tmp_path).stdout)  # fmt: skip
    assert shown["name"] == "default"


def test_login_whoami_logout(server_env: RunningServer, tmp_path: Path) -> None:
    env = fresh_home(tmp_path, server_env, logged_in=False)
    anonymous = mlyard("whoami", env=env)
    assert anonymous.returncode == 1 and "mlyard login" in anonymous.stderr

    wrong = mlyard("login", "--endpoint", server_env.endpoint, "-u", "admin", "-p", "wrong-password", env=env)
    assert wrong.returncode == 1 and "password is wrong" in wrong.stderr

    prompted = ok("login", "--endpoint", server_env.endpoint, env=env, stdin=f"admin\n{ADMIN_PASSWORD}\n")
    assert "Logged in" in prompted.stderr
    me = json.loads(ok("whoami", "-o", "json", env=env).stdout)
    assert me["name"] == "admin" and me["endpoint"] == server_env.endpoint
    token = json.loads(Path(env["MLYARD_HOME"], "credentials").read_text())["endpoints"][server_env.endpoint]["token"]

    out = ok("logout", env=env)
    assert "revoked on the server" in out.stderr
    assert mlyard("whoami", env=env).returncode == 1
    revoked = mlyard("whoami", env={**env, "MLYARD_TOKEN": token})
    assert revoked.returncode == 1 and "revoked" in revoked.stderr
    assert "Not logged in" in ok("logout", env=env).stderr


def test_login_with_a_token_checks_it(server_env: RunningServer, tmp_path: Path) -> None:
    secret = json.loads(ok("token", "create", "-n", unique("login"), "-o", "json").stdout)["token"]
    env = fresh_home(tmp_path, server_env, logged_in=False)
    bad = mlyard("login", "--endpoint", server_env.endpoint, "--token", "mly_not-a-token", env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("error:")
    ok("login", "--endpoint", server_env.endpoint, "--token", secret, env=env)
    assert json.loads(ok("whoami", "-o", "json", env=env).stdout)["name"] == "admin"
    both = mlyard("login", "--endpoint", server_env.endpoint, "--token", secret, "-p", "x", env=env)
    assert both.returncode == 2


def test_token_create_list_revoke(server_env: RunningServer) -> None:
    name = unique("tok")
    made = json.loads(ok("token", "create", "-n", name, "--expires-in-days", "7", "-o", "json").stdout)
    assert made["name"] == name and made["token"].startswith("mly_")
    table = ok("token", "create", "-n", unique("tok"))
    assert "mly_" in table.stdout and "not shown again" in table.stderr

    listed = json.loads(ok("token", "list", "-o", "json").stdout)
    mine = next(t for t in listed if t["id"] == made["id"])
    assert "token" not in mine and mine["revokedAt"] is None

    with_token = {**os.environ, "MLYARD_TOKEN": made["token"]}
    assert json.loads(ok("whoami", "-o", "json", env=with_token).stdout)["authMethod"] == "token"
    assert name in ok("token", "revoke", made["id"]).stderr
    refused = mlyard("whoami", env=with_token)
    assert refused.returncode == 1 and "revoked" in refused.stderr
    unknown = mlyard("token", "revoke", "no-such-id")
    assert unknown.returncode == 1 and "no-such-id" in unknown.stderr


def test_errors_are_one_red_line_with_the_right_exit_code(server_env: RunningServer, tmp_path: Path) -> None:
    bad_name = mlyard("workspace", "create", "-n", "a b", "-g", "default", "--subscription", SUB)
    assert bad_name.returncode == 1 and "not a valid workspace name" in bad_name.stderr

    bad_tags = mlyard("group", "create", "-n", unique("grp"), "--subscription", SUB, "--tags", "novalue")
    assert bad_tags.returncode == 2 and "key=value" in bad_tags.stderr

    missing_group = unique("nogrp")
    no_group = mlyard("workspace", "create", "-n", unique("ws"), "-g", missing_group, "--subscription", SUB)
    assert no_group.returncode == 1 and missing_group in no_group.stderr and "mlyard group create" in no_group.stderr

    usage = mlyard("workspace", "show", "--no-such-flag")
    assert usage.returncode == 2

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"subscription_id": SUB}))
    malformed = mlyard("workspace", "show", cwd=broken)
    assert malformed.returncode == 1 and str(broken / "config.json") in malformed.stderr
    assert "resource_group" in malformed.stderr

    wrong_token = mlyard("workspace", "list", env={**os.environ, "MLYARD_TOKEN": "mly_wrong"})
    assert wrong_token.returncode == 1 and "not valid" in wrong_token.stderr

    env = fresh_home(tmp_path, server_env)
    env["MLYARD_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
    unreachable = mlyard("workspace", "list", env=env, cwd=tmp_path)
    assert unreachable.returncode == 1 and unreachable.stderr.startswith("error: Cannot reach")
    assert "mlyard up" in unreachable.stderr


@pytest.mark.parametrize("command", [("workspace",), ("group",), ("subscription",), ("token",)])
def test_every_family_has_help(command: tuple[str, ...], server_env: RunningServer) -> None:
    assert "Usage" in ok(*command, "--help").stdout
