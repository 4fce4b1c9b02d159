"""docs/actions.md is generated from the route table: this fails when it is stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_actions_doc.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_actions_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_actions_md_is_up_to_date() -> None:
    expected = load_script().build_doc()
    current = (ROOT / "docs" / "actions.md").read_text(encoding="utf-8")
    assert current == expected, "docs/actions.md is stale: run 'python scripts/gen_actions_doc.py' and commit it"


def test_the_doc_lists_every_access_control_route_and_role() -> None:
    text = (ROOT / "docs" / "actions.md").read_text(encoding="utf-8")
    for line in (
        "| POST | `/api/v1/roleAssignments` | `roleAssignments/write` | body `scope` |",
        "| GET | `/api/v1/permissions` | `self/action` | itself |",
        "| DELETE | `/api/v1/roleDefinitions/{roleName}` | `roleDefinitions/delete` | each item's scope |",
    ):
        assert line in text
    for role in ("Owner", "Contributor", "Reader", "Data Scientist", "Compute Operator"):
        assert f"\n| {role} | " in text


def test_the_check_mode_reports_a_stale_doc(tmp_path: Path) -> None:
    module = load_script()
    stale = tmp_path / "actions.md"
    stale.write_text("old\n", encoding="utf-8")
    module.DOC = stale
    assert module.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "old\n"
    assert module.main([]) == 0 and module.main(["--check"]) == 0
