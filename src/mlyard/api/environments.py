"""Environments on the wire: a registration, a version, the last build of one.

``POST .../environments/{name}/versions`` registers (201 new, 200 when an identical version
exists). ``POST .../versions/{version}/build`` answers NDJSON as the build runs: one
``{"line": ...}`` per log line, then ``{"result": BuildResult}`` or ``{"error": ErrorDetail}``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel


class PythonSectionIn(RequestModel):
    """``env.python``: what the interpreter holds, as Azure ML's ``PythonSection``."""

    python_version: str | None = Field(default=None, max_length=16)
    pip_packages: list[str] = Field(default_factory=list, max_length=500)
    conda_packages: list[str] = Field(default_factory=list, max_length=500)
    conda_channels: list[str] = Field(default_factory=list, max_length=50)
    user_managed_dependencies: bool = False
    interpreter_path: str | None = Field(default=None, max_length=4096)


class EnvironmentIn(RequestModel):
    python: PythonSectionIn = Field(default_factory=PythonSectionIn)
    environment_variables: dict[str, str] = Field(default_factory=dict, max_length=500)
    description: str | None = Field(default=None, max_length=2000)


class PythonSectionOut(WireModel):
    python_version: str | None
    pip_packages: list[str]
    conda_packages: list[str]
    conda_channels: list[str]
    user_managed_dependencies: bool
    interpreter_path: str | None


class EnvironmentOut(WireModel):
    id: str
    name: str
    version: str
    is_curated: bool
    python: PythonSectionOut
    environment_variables: dict[str, str]
    description: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None


class BuildOut(WireModel):
    """The last build of a version's specification on the server's host."""

    name: str
    version: str
    spec_hash: str
    status: str
    tool: str | None = None
    python: str | None = None
    python_version: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None
    log: str = ""


class BuildResult(WireModel):
    name: str | None
    version: str | None
    python: str
    spec_hash: str | None
    cache_hit: bool
    build_seconds: float | None
