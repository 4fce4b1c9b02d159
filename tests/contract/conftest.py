"""Fixtures of the service contract tests (the platform and its admin come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from mlyard.core.entities.identity import Principal
from mlyard.services import subscriptions, workspaces
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")


@pytest.fixture
def ws(platform: Platform, admin: Principal) -> tuple[str, str, str]:
    """Workspace ``sub1/rg1/ws1``, made by the admin; a module may define its own ``ws``."""
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    return WS
