"""Liveness: answers without auth."""

from __future__ import annotations

from fastapi import APIRouter

import mlyard
from mlyard.api.identity import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    return HealthOut(status="ok", version=mlyard.__version__)
