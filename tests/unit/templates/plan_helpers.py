"""Helpers of the template tests: a plan built with a fixed subscription and resource group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import DeploymentPlan, build_plan, parse_template

SUB = {"subscriptionId": "sub1", "displayName": "Sub One"}
RG = {"name": "rg1", "location": "westeurope"}
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "templates" / "workspace.json"


def plan(doc: dict[str, Any] | str, parameters: dict[str, Any] | None = None) -> DeploymentPlan:
    return build_plan(parse_template(doc), parameters or {}, subscription=SUB, resource_group=RG, deployment_name="d1")


def plan_error(doc: dict[str, Any], parameters: dict[str, Any] | None = None) -> InvalidTemplate:
    with pytest.raises(InvalidTemplate) as info:
        plan(doc, parameters)
    return info.value


def ws(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.MachineLearningServices/workspaces", "name": name, **extra}
