"""Environments: what a job's interpreter holds (``azureml.core.Environment``).

``Environment(name)`` starts an empty definition; ``from_pip_requirements`` and
``from_conda_specification`` read one from a file here, on the client. ``register(ws)`` stores
it as the next version (an identical definition keeps its version); ``build(ws)`` builds it on
the server ahead of a job and streams the log. The curated ``mlyard-minimal`` and
``mlyard-sklearn`` exist in every workspace. Conda is never needed: a conda specification's pip
section is installed as is, its conda packages from the Python package index by name.
"""

from __future__ import annotations

import builtins
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mlyard.core.entities.environments import ENVIRONMENT_NAME
from mlyard.core.errors import EnvironmentBuildFailed, InvalidEnvironmentSpec, error_from_body
from mlyard.sdk.client import seg

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

_CONDA_PYTHON = re.compile(r"python\s*(?:[=<>!~]=?)\s*([0-9][0-9.*]*)")


class CondaDependencies:
    """Conda and pip packages and the Python version (``azureml.core.conda_dependencies``)."""

    def __init__(self, conda_dependencies_file_path: str | Path | None = None) -> None:
        self.pip_packages: builtins.list[str] = []
        self.conda_packages: builtins.list[str] = []
        self.channels: builtins.list[str] = []
        self.python_version: str | None = None
        self.variables: dict[str, str] = {}
        if conda_dependencies_file_path is not None:
            self._load(Path(conda_dependencies_file_path))

    @staticmethod
    def create(
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
    ) -> CondaDependencies:
        """``pin_sdk_version`` is accepted for Azure's sake: every environment has the server's mlyard."""
        made = CondaDependencies()
        made.pip_packages = list(pip_packages or [])
        made.conda_packages = list(conda_packages or [])
        made.python_version = python_version
        return made

    def add_pip_package(self, pip_package: str) -> None:
        if pip_package not in self.pip_packages:
            self.pip_packages.append(pip_package)

    def add_conda_package(self, conda_package: str) -> None:
        if conda_package not in self.conda_packages:
            self.conda_packages.append(conda_package)

    def set_python_version(self, version: str) -> None:
        self.python_version = version

    def _load(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise InvalidEnvironmentSpec(f"Cannot read conda specification '{path}': {exc.strerror}.") from None
        except yaml.YAMLError as exc:
            raise InvalidEnvironmentSpec(f"'{path}' is not YAML: {exc}".rstrip(".") + ".") from None
        if not isinstance(data, dict) or not isinstance(data.get("dependencies", []), list):
            raise InvalidEnvironmentSpec(
                f"'{path}' is not a conda specification: it needs a 'dependencies:' list (and may have "
                "'channels:' and a '- pip:' list inside the dependencies)."
            )
        self.channels = [str(c) for c in data.get("channels") or []]
        self.variables = {str(k): str(v) for k, v in (data.get("variables") or {}).items()}
        for item in data.get("dependencies") or []:
            if isinstance(item, dict) and set(item) == {"pip"} and isinstance(item["pip"], list):
                self.pip_packages += [str(p) for p in item["pip"]]
            elif isinstance(item, str | int | float):
                text = str(item).strip()
                if match := _CONDA_PYTHON.fullmatch(text):
                    self.python_version = match.group(1).rstrip(".*")
                elif text != "python":
                    self.conda_packages.append(text)
            else:
                raise InvalidEnvironmentSpec(f"'{path}': the dependency {item!r} is neither a package nor a pip list.")

    def __repr__(self) -> str:
        return (
            f"CondaDependencies(python_version={self.python_version!r}, conda_packages={self.conda_packages!r}, "
            f"pip_packages={self.pip_packages!r})"
        )


@dataclass
class PythonSection:
    """``env.python``: the interpreter's packages, or the user's own interpreter."""

    pip_packages: builtins.list[str] = field(default_factory=list)
    conda_packages: builtins.list[str] = field(default_factory=list)
    conda_channels: builtins.list[str] = field(default_factory=list)
    python_version: str | None = None
    user_managed_dependencies: bool = False
    interpreter_path: str | None = None

    @property
    def conda_dependencies(self) -> CondaDependencies:
        made = CondaDependencies.create(self.pip_packages, self.conda_packages, self.python_version)
        made.channels = list(self.conda_channels)
        return made

    @conda_dependencies.setter
    def conda_dependencies(self, value: CondaDependencies) -> None:
        self.pip_packages = list(value.pip_packages)
        self.conda_packages = list(value.conda_packages)
        self.conda_channels = list(value.channels)
        self.python_version = value.python_version


@dataclass(frozen=True)
class EnvironmentBuild:
    """What ``env.build`` answers: the interpreter built (or found cached) on the server."""

    name: str
    version: str
    python: str
    spec_hash: str | None
    cache_hit: bool
    build_seconds: float | None
    log: tuple[str, ...]


class Environment:
    """A named definition of a job's interpreter; ``version`` is set once registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.environment_variables: dict[str, str] = {}
        self.description: str | None = None
        self.is_curated = False
        self.id: str | None = None

    # -- from files ----------------------------------------------------------------------

    @staticmethod
    def from_pip_requirements(name: str, file_path: str | Path) -> Environment:
        """An environment whose pip packages are a requirements file's lines (``-r`` files inlined)."""
        env = Environment(name)
        env.python.pip_packages = read_requirements(Path(file_path))
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str | Path) -> Environment:
        """An environment from a conda YAML: its pip section, its conda packages (installed from the
        Python package index by name: conda is not needed), its Python version and variables."""
        conda = CondaDependencies(file_path)
        env = Environment(name)
        env.python.conda_dependencies = conda
        env.environment_variables = dict(conda.variables)
        return env

    # -- the registry --------------------------------------------------------------------

    def register(self, workspace: Workspace) -> Environment:
        """Store this definition as the next version (or find the version identical to it)."""
        ENVIRONMENT_NAME.check(self.name, target="name")  # a '/' would change the route, not fail
        body = {
            "python": {
                "pythonVersion": self.python.python_version,
                "pipPackages": list(self.python.pip_packages),
                "condaPackages": list(self.python.conda_packages),
                "condaChannels": list(self.python.conda_channels),
                "userManagedDependencies": self.python.user_managed_dependencies,
                "interpreterPath": self.python.interpreter_path,
            },
            "environmentVariables": dict(self.environment_variables),
            "description": self.description,
        }
        answer: dict[str, Any] = workspace._client.post(
            f"{workspace._path}/environments/{seg(self.name)}/versions", body
        )
        made = Environment._from_body(answer)
        self.version, self.id = made.version, made.id
        return made

    @staticmethod
    def get(workspace: Workspace, name: str, version: str | int | None = None, label: str | None = None) -> Environment:
        """A registered (or curated) environment: its latest version unless ``version`` is given."""
        ENVIRONMENT_NAME.check(name, target="name")
        path = f"{workspace._path}/environments/{seg(name)}"
        if version is not None:
            path += f"/versions/{seg(str(version))}"
        elif label is not None:
            path += f"/versions/{seg(label)}"
        return Environment._from_body(workspace._client.get(path))

    @staticmethod
    def list(workspace: Workspace) -> dict[str, Environment]:
        """Every environment by name (its latest version), the curated ones included."""
        bodies: builtins.list[dict[str, Any]] = workspace._client.get(f"{workspace._path}/environments")
        return {b["name"]: Environment._from_body(b) for b in bodies}

    @staticmethod
    def list_versions(workspace: Workspace, name: str) -> builtins.list[Environment]:
        bodies: builtins.list[dict[str, Any]] = workspace._client.get(
            f"{workspace._path}/environments/{seg(name)}/versions"
        )
        return [Environment._from_body(b) for b in bodies]

    # -- building ------------------------------------------------------------------------

    def build(
        self, workspace: Workspace, show_output: bool = True, on_line: Callable[[str], None] | None = None
    ) -> EnvironmentBuild:
        """Build on the server now (registering first if needed), streaming the log as it runs;
        raises ``EnvironmentBuildFailed`` with the installer's last lines."""
        version = self.version if self.version is not None else self.register(workspace).version
        path = f"{workspace._path}/environments/{seg(self.name)}/versions/{seg(str(version))}/build"
        lines: builtins.list[str] = []
        result: dict[str, Any] | None = None
        with workspace._client._http.stream("POST", path, timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise error_from_body(response.status_code, _json_or_text(response.text))
            for raw in response.iter_lines():
                if not raw.strip():
                    continue
                item = json.loads(raw)
                if "line" in item:
                    lines.append(item["line"])
                    if on_line is not None:
                        on_line(item["line"])
                    elif show_output:
                        print(item["line"], file=sys.stdout, flush=True)
                elif "error" in item:
                    raise error_from_body(EnvironmentBuildFailed.status, item)
                else:
                    result = item["result"]
        if result is None:
            raise EnvironmentBuildFailed(f"The server ended the build of '{self.name}' without a result.")
        return EnvironmentBuild(
            name=self.name,
            version=str(version),
            python=result["python"],
            spec_hash=result.get("specHash"),
            cache_hit=bool(result.get("cacheHit")),
            build_seconds=result.get("buildSeconds"),
            log=tuple(lines),
        )

    def get_build_details(self, workspace: Workspace) -> dict[str, Any]:
        """The last build of this version on the server's host: status, times, Python, and its log."""
        version = self.version or "latest"
        details: dict[str, Any] = workspace._client.get(
            f"{workspace._path}/environments/{seg(self.name)}/versions/{seg(version)}/build"
        )
        return details

    # -- plumbing ------------------------------------------------------------------------

    @staticmethod
    def _from_body(body: dict[str, Any]) -> Environment:
        env = Environment(body["name"])
        env.version = body.get("version")
        env.id = body.get("id")
        env.is_curated = bool(body.get("isCurated"))
        env.description = body.get("description")
        env.environment_variables = dict(body.get("environmentVariables") or {})
        py = body.get("python") or {}
        env.python = PythonSection(
            pip_packages=list(py.get("pipPackages") or []),
            conda_packages=list(py.get("condaPackages") or []),
            conda_channels=list(py.get("condaChannels") or []),
            python_version=py.get("pythonVersion"),
            user_managed_dependencies=bool(py.get("userManagedDependencies")),
            interpreter_path=py.get("interpreterPath"),
        )
        return env

    def __repr__(self) -> str:
        return (
            f"Environment(name={self.name!r}, version={self.version!r}, "
            f"pip_packages={self.python.pip_packages!r}, environment_variables={self.environment_variables!r})"
        )


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_requirements(path: Path, seen: frozenset[Path] = frozenset()) -> builtins.list[str]:
    """A requirements file's requirement lines: comments and blanks dropped, continuations joined,
    ``-r other.txt`` read in place (relative to the file), since the server cannot see this disk."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidEnvironmentSpec(f"Cannot read requirements file '{path}': {exc.strerror}.") from None
    if path.resolve() in seen:
        raise InvalidEnvironmentSpec(f"'{path}' includes itself through -r.")
    out: builtins.list[str] = []
    for line in text.replace("\\\n", "").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        include = re.fullmatch(r"(?:-r|--requirement)(?:\s+|=)(\S+)", line)
        if include:
            out += read_requirements(path.parent / include.group(1), seen | {path.resolve()})
        else:
            out.append(line)
    return out
