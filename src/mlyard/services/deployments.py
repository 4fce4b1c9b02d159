"""Template deployments at a resource group: plan, what-if, deploy, and their history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlyard.core.entities.deployments import Deployment
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import DeploymentNotFound, MlyardError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import DEPLOYMENT_NAME, name_key
from mlyard.core.scopes import Scope
from mlyard.services import subscriptions
from mlyard.services.deployment_target import HierarchyTarget
from mlyard.services.platform import Platform
from mlyard.services.templates import (
    ChangeType,
    DeploymentPlan,
    ResourceChange,
    build_plan,
    deploy,
    parse_template,
    render_change,
    what_if,
)
from mlyard.store.deployments import DeploymentRepository, DeploymentRow


@dataclass(frozen=True)
class WhatIf:
    changes: list[dict[str, Any]]
    warnings: list[str]


def change_record(change: ResourceChange) -> dict[str, Any]:
    """A change as stored and sent: secure values masked, never the raw plan."""
    r = change.resource
    return {
        "change_type": change.change_type.value,
        "resource_type": r.type,
        "kind": r.kind,
        "name": r.mask(r.name),
        "delta": [
            {
                "path": d.path,
                "before": "***" if d.secure else r.mask(d.before),
                "after": "***" if d.secure else r.mask(d.after),
            }
            for d in change.delta
        ],
        "reason": r.skipped_reason,
        "line": render_change(change),
    }


def _plan(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any] | None,
) -> tuple[DeploymentPlan, HierarchyTarget]:
    DEPLOYMENT_NAME.check(name, target="deploymentName")
    sub = subscriptions.get_subscription(p, subscription_id)
    group = subscriptions.get_resource_group(p, subscription_id, resource_group)
    plan = build_plan(
        parse_template(template),
        parameters or {},
        subscription={"subscriptionId": sub.subscription_id, "displayName": sub.display_name},
        resource_group={"name": group.name, "location": group.location, "tags": group.tags},
        deployment_name=name,
    )
    return plan, HierarchyTarget(p, actor, sub.subscription_id, group.name)


def preview_deployment(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any] | None,
) -> WhatIf:
    plan, target = _plan(p, actor, subscription_id, resource_group, name, template, parameters)
    return WhatIf([change_record(c) for c in what_if(plan, target)], list(plan.warnings))


def run_deployment(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any] | None,
) -> Deployment:
    """Deploy incrementally and record the outcome; a failure is recorded, then raised."""
    plan, target = _plan(p, actor, subscription_id, resource_group, name, template, parameters)
    scope = Scope(subscription_id, resource_group)
    error: MlyardError | None = None
    changes: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    try:
        result = deploy(plan, target)
        changes = [change_record(c) for c in result.changes]
        outputs = plan.mask(result.outputs)
    except MlyardError as exc:
        error = exc
    status = "Failed" if error else "Succeeded"
    now = utcnow()
    with p.db.write() as session:
        repo = DeploymentRepository(session)
        row = repo.get_row(scope.key, name)
        if row is None:
            row = DeploymentRow(
                id=new_id(),
                scope=scope.path,
                scope_key=scope.key,
                name=name,
                name_key=name_key(name),
                created_at=now,
                created_by=actor.id,
            )
            session.add(row)
        row.status = status
        row.template = plan.mask(template)
        row.changes = changes
        row.warnings = list(plan.warnings)
        row.outputs = outputs
        row.error = error.message if error else None
        row.updated_at = now
        session.flush()
        record = row.to_entity()
    if error is not None:
        raise error
    return record


def nothing_changed(deployment: Deployment) -> bool:
    return all(c["change_type"] in (ChangeType.NoChange.value, ChangeType.Ignore.value) for c in deployment.changes)


def get_deployment(p: Platform, subscription_id: str, resource_group: str, name: str) -> Deployment:
    scope = Scope(subscription_id, resource_group)
    with p.db.read() as session:
        row = DeploymentRepository(session).get_row(scope.key, name)
        if row is None:
            raise DeploymentNotFound(
                f"No deployment named '{name}' in resource group '{resource_group}'.", target="deploymentName"
            )
        return row.to_entity()


def list_deployments(p: Platform, subscription_id: str, resource_group: str) -> list[Deployment]:
    subscriptions.get_resource_group(p, subscription_id, resource_group)
    with p.db.read() as session:
        return DeploymentRepository(session).list(Scope(subscription_id, resource_group).key)
