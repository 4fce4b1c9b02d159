"""Template deployments and their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Deployment:
    id: str
    scope: str
    name: str
    status: str
    changes: list[dict[str, Any]]
    warnings: list[str]
    outputs: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None
