"""Environments: named, versioned Python specifications, built when first needed and cached.

A specification (:class:`EnvironmentSpec`) says what a job's interpreter holds: a Python
version, pip requirements, conda packages (installed from the package index by name) and
whether the user manages the interpreter themselves. Registering one under a name gives it the
next version; an identical definition registered again keeps its version. A job names an
environment by a reference: ``name``, ``name:version`` or ``name@latest``.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mlyard.core.errors import InvalidName, ValidationError
from mlyard.core.names import NameRule

ENVIRONMENT_NAME = NameRule(
    "environment",
    1,
    255,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*"),
    "use 1 to 255 letters, digits, '.', '_' or '-', starting with a letter or digit",
)
# Names under this prefix are the curated environments that every workspace has.
CURATED_PREFIX = "mlyard-"
LATEST = "latest"
_VERSION = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True)
class EnvironmentSpec:
    """What gets built. ``pip_packages`` are requirement lines as pip reads them."""

    python_version: str | None = None
    pip_packages: tuple[str, ...] = ()
    conda_packages: tuple[str, ...] = ()
    conda_channels: tuple[str, ...] = ()
    # The user's own interpreter (``interpreter_path``, else the server's): nothing is built.
    user_managed_dependencies: bool = False
    interpreter_path: str | None = None


@dataclass(frozen=True)
class EnvironmentVersion:
    """One registered version of an environment (or a curated one, which has no id)."""

    name: str
    version: str
    spec: EnvironmentSpec
    environment_variables: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    is_curated: bool = False
    id: str | None = None
    workspace_id: str | None = None
    definition_hash: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None


class BuildStatus(StrEnum):
    NOT_BUILT = "NotBuilt"
    BUILDING = "Building"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class BuildRecord:
    """The last build of a specification on the server's host, and its log."""

    spec_hash: str
    status: BuildStatus
    log: str = ""
    python: str | None = None
    python_version: str | None = None
    tool: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class PreparedEnvironment:
    """What a job needs to run in an environment: the interpreter to start and the variables to set.

    ``name``/``version`` are None for the server's own interpreter (a job without an environment)."""

    python: str
    name: str | None = None
    version: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    cache_hit: bool = True
    spec_hash: str | None = None
    build_seconds: float | None = None


@dataclass(frozen=True)
class EnvironmentReference:
    """A parsed ``name``, ``name:version`` or ``name@latest``; ``version`` None means the latest."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}:{self.version}"


def parse_version(text: object, *, target: str = "version") -> int | None:
    """``"3"`` -> 3, ``"latest"``/None -> None; anything else is a clear 400."""
    if text is None or (isinstance(text, str) and text.lower() == LATEST):
        return None
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    if isinstance(text, str) and _VERSION.fullmatch(text):
        return int(text)
    raise ValidationError(
        f"'{text}' is not an environment version: use a whole number from 1 (such as 3) or 'latest'.",
        target=target,
    )


def parse_reference(reference: str) -> EnvironmentReference:
    text = reference.strip() if isinstance(reference, str) else reference
    if not isinstance(text, str) or not text:
        raise InvalidName(
            "An environment reference must be 'name', 'name:version' or 'name@latest'.", target="environment"
        )
    if "@" in text:
        name, _, label = text.partition("@")
        if label.lower() != LATEST:
            raise ValidationError(
                f"'{reference}': the only label an environment has is 'latest' (name@latest); "
                "name a version as name:version.",
                target="environment",
            )
        return EnvironmentReference(ENVIRONMENT_NAME.check(name, target="environment"))
    name, sep, version = text.partition(":")
    ENVIRONMENT_NAME.check(name, target="environment")
    if not sep:
        return EnvironmentReference(name)
    return EnvironmentReference(name, parse_version(version, target="environment"))


def is_curated_name(name: str) -> bool:
    return name.lower().startswith(CURATED_PREFIX)


def conda_to_pip(package: str) -> str:
    """A conda package as a pip requirement: ``numpy=1.26`` -> ``numpy==1.26.*``, the build string
    and channel dropped; ``numpy>=1.2`` unchanged."""
    text = package.split("::", 1)[-1].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*=\s*([^=<>!\s]+)(?:=\S+)?", text)
    if match:
        name, version = match.groups()
        exact = version.endswith("*") or version.count(".") >= 2
        return f"{name}=={version}" if exact else f"{name}=={version}.*"
    return text


def mlyard_requirements() -> list[str]:
    """What this installation's mlyard package needs to import (its requirements, no extras)."""
    try:
        declared = importlib.metadata.requires("mlyard") or []
    except importlib.metadata.PackageNotFoundError:  # run from a source tree without metadata
        declared = ["httpx>=0.27", "pydantic>=2.7", "pydantic-settings>=2.3", "rich>=13", "pyyaml>=6", "xxhash>=3.4"]
    return [r for r in declared if not re.search(r"extra\s*==", r)]


def mlyard_version() -> str:
    try:
        return importlib.metadata.version("mlyard")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
