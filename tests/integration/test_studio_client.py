"""The studio's typed API client is generated from the server's OpenAPI document: this fails when
studio/src/api/openapi.json differs from what the app serves now, or when schema.d.ts was not
generated from that openapi.json (its header carries the document's sha256). No node needed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_studio_client.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_studio_client", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


def test_the_studio_client_is_generated_from_the_current_api(script: ModuleType) -> None:
    problems = script.problems()
    assert not problems, "\n".join(problems)


def test_the_document_is_stable_and_sorted(script: ModuleType) -> None:
    first = script.openapi_text()
    assert first == script.openapi_text()
    assert '"openapi": ' in first and first.endswith("}\n")
    # The studio's own fallback route is not part of the API.
    assert '"/{path' not in first and '"/": {' not in first


def test_a_stale_document_or_schema_is_reported_with_the_fixing_command(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = script.openapi_text()
    spec, schema = tmp_path / "openapi.json", tmp_path / "schema.d.ts"
    spec.write_text(current.replace('"title": "mlyard"', '"title": "old"', 1), encoding="utf-8")
    schema.write_text(script.header(script.sha256(current)) + "export interface paths {}\n", encoding="utf-8")
    monkeypatch.setattr(script, "OPENAPI", spec)
    monkeypatch.setattr(script, "SCHEMA", schema)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    found = script.problems()
    assert len(found) == 2
    assert "openapi.json differs from what the server serves now" in found[0]
    assert "schema.d.ts was not generated from openapi.json" in found[1]
    assert all("run 'python scripts/gen_studio_client.py'" in p for p in found)
    assert script.main(["--check"]) == 1
    assert spec.read_text(encoding="utf-8") != current  # --check changed nothing
    spec.write_text(current, encoding="utf-8")
    assert script.problems() == [] and script.main(["--check"]) == 0
