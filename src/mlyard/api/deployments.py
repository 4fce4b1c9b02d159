"""Template deployments on the wire (the role of ARM deployments)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from mlyard.api.base import RequestModel, WireModel


class DeploymentRequest(RequestModel):
    template: dict[str, Any]
    parameters: dict[str, Any] | None = None
    mode: Literal["Incremental"] = "Incremental"


class PropertyChangeOut(WireModel):
    path: str
    before: Any = None
    after: Any = None


class ResourceChangeOut(WireModel):
    change_type: str
    resource_type: str
    kind: str | None
    name: str
    delta: list[PropertyChangeOut]
    reason: str | None = None
    line: str


class WhatIfOut(WireModel):
    changes: list[ResourceChangeOut]
    warnings: list[str]


class DeploymentOut(WireModel):
    id: str
    name: str
    status: str
    changes: list[ResourceChangeOut]
    warnings: list[str]
    outputs: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime
