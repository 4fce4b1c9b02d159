"""``mlyard deployment`` against a real server: what-if, deploy, idempotence, parameters, errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli_workspace import SUB, as_json, mlyard, ok, unique
from tests.fixtures.server import RunningServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "templates" / "workspace.json"


def test_example_template_what_if_create_and_again(server_env: RunningServer, tmp_path: Path) -> None:
    group, ws = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    where = ("-g", group, "--subscription", SUB, "--template-file", str(EXAMPLE))

    preview = ok("deployment", "what-if", *where, "--parameters", f"workspaceName={ws}", "environment=test")
    assert f"+ Create workspace '{ws}'" in preview.stdout
    assert "Microsoft.KeyVault/vaults" in preview.stderr  # skipped with a warning, not an error
    assert ws not in [w["name"] for w in as_json("workspace", "list", "-g", group, "--subscription", SUB)]

    made = ok("deployment", "create", *where, "--parameters", f"workspaceName={ws}", "environment=test")
    assert f"+ Create workspace '{ws}'" in made.stdout
    shown = as_json("workspace", "show", "-w", ws, "-g", group, "--subscription", SUB)
    assert shown["tags"] == {"environment": "test", "deployedBy": "mlyard"}

    params = tmp_path / "params.json"
    params.write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {"workspaceName": {"value": ws}, "environment": {"value": "test"}},
            }
        )
    )
    again = ok("deployment", "create", *where, "--parameters", f"@{params}")
    assert "nothing changed" in again.stderr
    assert f"= NoChange workspace '{ws}'" in again.stdout

    history = as_json("deployment", "list", "-g", group, "--subscription", SUB)
    assert [(d["name"], d["status"]) for d in history] == [("workspace", "Succeeded")]


def test_bad_parameters_and_templates_fail_clearly(server_env: RunningServer, tmp_path: Path) -> None:
    group = unique("grp")
    ok("group", "create", "-n", group, "--subscription", SUB)
    where = ("-g", group, "--subscription", SUB)

    bad_value = mlyard("deployment", "create", *where, "-f", str(EXAMPLE), "-p", "environment=staging")
    assert bad_value.returncode == 1 and "allowed values" in bad_value.stderr

    broken = tmp_path / "broken.json"
    broken.write_text('{"resources": [ {"type": "workspaces", "name": "x",, } ]}')
    bad_file = mlyard("deployment", "create", *where, "-f", str(broken))
    assert bad_file.returncode == 1 and "broken.json" in bad_file.stderr and "line 1" in bad_file.stderr

    missing = mlyard("deployment", "create", "-g", unique("nogroup"), "--subscription", SUB, "-f", str(EXAMPLE))
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert as_json("workspace", "list", "-g", group, "--subscription", SUB) == []
