"""The import arrows of the layers, held by a walk over the package's syntax trees.

core <- store, storage <- services <- backends <- server;  core <- api <- sdk <- cli.
Imports inside ``if TYPE_CHECKING:`` count too (a type-only import still couples two layers),
except in ``mlyard/__init__.py``, the public surface, which names the SDK lazily.
Top-level modules such as ``mlyard/authentication.py`` mirror Azure ML's import paths: they
are the "surface" layer, over the SDK.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

import mlyard

PACKAGE = Path(mlyard.__file__).parent
SRC = PACKAGE.parent

# layer -> the layers its modules may import (itself included)
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "store": frozenset({"core", "store"}),
    "storage": frozenset({"core", "storage"}),
    "migrations": frozenset({"core", "store", "migrations"}),
    "services": frozenset({"core", "store", "storage", "services"}),
    "backends": frozenset({"core", "store", "storage", "services", "backends"}),
    # The server is where backends meet the services: create_app builds the backend registry.
    "server": frozenset({"core", "api", "services", "store", "storage", "backends", "server"}),
    "api": frozenset({"core", "api"}),
    "sdk": frozenset({"core", "api", "sdk"}),
    "cli": frozenset({"core", "api", "sdk", "cli"}),
    "surface": frozenset({"core", "api", "sdk", "surface"}),
    "__main__": frozenset({"cli"}),
    "__init__": frozenset({"core"}),  # the public surface: the SDK only lazily, see LAZY_ALLOWED
}

# Imports inside function bodies (or, for __init__, under TYPE_CHECKING) that a module may make
# beyond its layer's arrows.
LAZY_ALLOWED: dict[str, frozenset[str]] = {
    # `mlyard up`, `mlyard server`, `mlyard db upgrade` start the server in-process.
    "mlyard/cli/server.py": frozenset({"server", "services", "store"}),
    # `mlyard gc` purges on the server's own database and blob store, as `mlyard db upgrade` does.
    "mlyard/cli/gc.py": frozenset({"services", "store", "storage"}),
    # `from mlyard import Workspace` loads the SDK on first use, not on `import mlyard`.
    "mlyard/__init__.py": frozenset({"core", "api", "sdk"}),
}

# Third-party packages a layer must never import.
FORBIDDEN_THIRD_PARTY: dict[str, frozenset[str]] = {
    "services": frozenset({"fastapi", "starlette", "uvicorn", "httpx"}),
    "store": frozenset({"fastapi", "starlette", "uvicorn", "httpx"}),
    "storage": frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic"}),
    "sdk": frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "argon2"}),
    "api": frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "httpx"}),
}

# core: the standard library and pydantic only.
# xxhash: the files' integrity digest (XXH3-128) is part of the wire contract core states for both ends.
CORE_THIRD_PARTY = frozenset({"pydantic", "pydantic_settings", "pydantic_core", "typing_extensions", "xxhash"})


@dataclass(frozen=True)
class Import:
    file: str  # relative to src/, with '/'
    line: int
    module: str  # absolute dotted name
    lazy: bool  # inside a function body
    type_checking: bool  # under `if TYPE_CHECKING:`


def layer_of_file(rel: str) -> str:
    parts = rel.split("/")
    assert parts[0] == "mlyard", rel
    if len(parts) == 2:
        name = parts[1].removesuffix(".py")
        return name if name in ("__init__", "__main__") else "surface"
    return parts[1]


def layer_of_module(module: str) -> str | None:
    """The layer a dotted mlyard name belongs to; None for the root package itself."""
    parts = module.split(".")
    if parts[0] != "mlyard":
        raise ValueError(module)
    if len(parts) == 1:
        return None
    if parts[1] not in ALLOWED and (PACKAGE / f"{parts[1]}.py").is_file():
        return "surface"
    return parts[1]


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def package_of(rel: str) -> list[str]:
    parts = rel.removesuffix(".py").split("/")
    return parts if parts[-1] == "__init__" and parts.pop() == "__init__" else parts[:-1]


def imports_of(rel: str, source: str) -> list[Import]:
    tree = ast.parse(source, filename=rel)
    out: list[Import] = []

    def visit(node: ast.AST, lazy: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            add = partial(Import, rel, getattr(child, "lineno", 0), lazy=lazy, type_checking=typing_only)
            if isinstance(child, ast.If) and is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), lazy, True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), lazy, typing_only)
                continue
            if isinstance(child, ast.Import):
                out.extend(add(alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package_of(rel)
                    if child.level > 1:
                        base = base[: len(base) - (child.level - 1)]
                    prefix = ".".join(base)
                    module = f"{prefix}.{child.module}" if child.module else prefix
                else:
                    module = child.module or ""
                if module == "mlyard":
                    # `from mlyard import x`: a subpackage, a dunder, or a public (SDK) name.
                    for alias in child.names:
                        if alias.name.startswith("__"):
                            out.append(add("mlyard"))
                        elif alias.name in ALLOWED or (PACKAGE / f"{alias.name}.py").is_file():
                            out.append(add(f"mlyard.{alias.name}"))
                        else:
                            out.append(add("mlyard.sdk"))
                else:
                    out.append(add(module))
            visit(child, inner, typing_only)

    visit(tree, False, False)
    return out


def all_modules() -> dict[str, str]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20, f"too few modules under {PACKAGE}"
    return {f.relative_to(SRC).as_posix(): f.read_text(encoding="utf-8") for f in files}


def violations(modules: dict[str, str]) -> list[str]:
    problems: list[str] = []
    for rel, source in modules.items():
        layer = layer_of_file(rel)
        if layer not in ALLOWED:
            problems.append(f"{rel}: unknown layer '{layer}': declare its arrows in test_architecture.ALLOWED")
            continue
        for imp in imports_of(rel, source):
            top = imp.module.split(".")[0]
            if top != "mlyard":
                if top in FORBIDDEN_THIRD_PARTY.get(layer, frozenset()):
                    problems.append(f"{rel}:{imp.line}: the {layer} layer imports {imp.module}")
                continue
            target = layer_of_module(imp.module)
            if target is None:
                # `import mlyard` (for __version__ or __file__) is fine, except from its own __init__.
                if layer == "__init__":
                    problems.append(f"{rel}:{imp.line}: mlyard/__init__.py imports itself")
                continue
            allowed = ALLOWED[layer]
            deferred = imp.lazy or (imp.type_checking and layer == "__init__")
            if deferred:
                allowed = allowed | LAZY_ALLOWED.get(rel, frozenset())
            if target not in allowed:
                how = "inside a function" if imp.lazy else "at module level"
                problems.append(f"{rel}:{imp.line}: {layer} imports {imp.module} {how}")
    return problems


def test_the_import_arrows_hold() -> None:
    problems = violations(all_modules())
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_core_uses_the_standard_library_and_pydantic_only() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    problems = [
        f"{imp.file}:{imp.line}: {imp.module}"
        for rel, source in all_modules().items()
        if layer_of_file(rel) == "core"
        for imp in imports_of(rel, source)
        if imp.module.split(".")[0] not in stdlib | CORE_THIRD_PARTY | {"mlyard"}
    ]
    assert not problems, "core imports beyond the standard library and pydantic:\n" + "\n".join(problems)


def test_no_service_imports_fastapi_or_starlette() -> None:
    problems = [
        f"{imp.file}:{imp.line}: {imp.module}"
        for rel, source in all_modules().items()
        if layer_of_file(rel) == "services"
        for imp in imports_of(rel, source)
        if imp.module.split(".")[0] in ("fastapi", "starlette")
    ]
    assert not problems, "\n".join(problems)


def test_every_layer_of_the_design_exists() -> None:
    for layer in ("core", "store", "storage", "services", "server", "api", "sdk", "cli", "migrations"):
        assert (PACKAGE / layer / "__init__.py").is_file(), layer


# The walker itself: it must see what it is meant to catch.


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("mlyard/core/x.py", "from mlyard.store.base import Base\n", "core imports mlyard.store.base at module level"),
        ("mlyard/core/x.py", "import mlyard.services.rbac\n", "core imports mlyard.services.rbac"),
        ("mlyard/store/x.py", "from ..services import rbac\n", "store imports mlyard.services"),
        ("mlyard/store/x.py", "from mlyard import sdk\n", "store imports mlyard.sdk"),
        ("mlyard/server/x.py", "from mlyard import Workspace\n", "server imports mlyard.sdk"),
        ("mlyard/sdk/x.py", "def f():\n    from mlyard.server import app\n", "sdk imports mlyard.server inside"),
        (
            "mlyard/api/x.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mlyard.sdk import c\n",
            "api imports mlyard.sdk",
        ),
        ("mlyard/cli/main.py", "def f():\n    from mlyard.server import runner\n", "cli imports mlyard.server"),
        ("mlyard/cli/server.py", "from mlyard.store import migrate\n", "cli imports mlyard.store at module level"),
        ("mlyard/cli/server.py", "def f():\n    from mlyard.backends import ray\n", "cli imports mlyard.backends"),
        ("mlyard/services/x.py", "from fastapi import Depends\n", "services layer imports fastapi"),
        ("mlyard/services/x.py", "import starlette.requests\n", "services layer imports starlette.requests"),
        ("mlyard/__init__.py", "from mlyard.sdk import Workspace\n", "__init__ imports mlyard.sdk at module level"),
        ("mlyard/__init__.py", "def __getattr__(n):\n    from mlyard.server import app\n", "imports mlyard.server"),
        ("mlyard/plugins/x.py", "import os\n", "unknown layer 'plugins'"),
        ("mlyard/authentication.py", "from mlyard.services import identity\n", "surface imports mlyard.services"),
        ("mlyard/sdk/x.py", "from mlyard.authentication import Token\n", "sdk imports mlyard.authentication"),
        (
            "mlyard/__init__.py",
            "if TYPE_CHECKING:\n    from mlyard.server.app import create_app\n",
            "__init__ imports mlyard.server.app",
        ),
    ],
)
def test_the_walker_catches(rel: str, source: str, expected: str) -> None:
    problems = violations({rel: source})
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("mlyard/store/migrate.py", "import mlyard\nfrom mlyard import __version__\n"),
        ("mlyard/services/x.py", "from . import rbac\nfrom .templates import plan\nfrom mlyard.storage import B\n"),
        ("mlyard/services/templates/x.py", "from ..rbac import Authorizer\nfrom . import plan\n"),
        ("mlyard/cli/server.py", "def f():\n    from mlyard.server.runner import serve\n    import mlyard.store\n"),
        ("mlyard/__init__.py", "def __getattr__(name):\n    from mlyard.sdk import workspace\n"),
        ("mlyard/__init__.py", "from typing import TYPE_CHECKING\nfrom mlyard.core.errors import NotFound\n"),
        ("mlyard/__init__.py", "import typing\nif typing.TYPE_CHECKING:\n    from mlyard.sdk.workspace import W\n"),
        ("mlyard/authentication.py", "from mlyard.sdk.authentication import TokenAuthentication\n"),
        ("mlyard/migrations/versions/0002.py", "from mlyard.store.base import UTCDateTime\n"),
        ("mlyard/server/x.py", "from mlyard.api.base import WireModel\nfrom fastapi import APIRouter\n"),
    ],
)
def test_the_walker_allows(rel: str, source: str) -> None:
    assert violations({rel: source}) == []


def test_importing_the_package_stays_light() -> None:
    """`import mlyard` (done by the server and by job scripts) loads neither the SDK nor a framework."""
    code = (
        "import sys, mlyard\n"
        "heavy = ('mlyard.sdk', 'mlyard.server', 'mlyard.services', 'mlyard.store', 'httpx', 'fastapi', "
        "'starlette', 'sqlalchemy', 'alembic')\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == "", f"`import mlyard` loads:\n{loaded.stdout}"
