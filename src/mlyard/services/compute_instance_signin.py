"""The SDK inside a compute instance signed in without ``auth=``: the instance's own token.

Each start of an instance issues a token of its **owner** (who created it), limited to the
instance's workspace, as a job's token is limited to its run's workspace
(:func:`mlyard.services.identity.issue_token` with the workspace's scope): in a notebook the
owner may do what they may do in that workspace, and nothing outside it. The Jupyter process,
and so every kernel and terminal, gets it as ``MLYARD_TOKEN`` with ``MLYARD_ENDPOINT``, and a
``config.json`` naming the workspace in its ``MLYARD_HOME``, where ``Workspace.from_config()``
looks last. The token is revoked when the instance stops (by hand, idle, schedule, restart, a
failed start, a lost process) or is deleted; it appears in ``mlyard token list`` as
``instance <name> <id>``, and expires anyway after ``job_token_ttl_hours``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from mlyard.core.entities.compute import ComputeTarget
from mlyard.core.entities.identity import PrincipalType
from mlyard.core.ids import utcnow
from mlyard.services import identity
from mlyard.services.compute_backends import SignIn
from mlyard.services.platform import Platform
from mlyard.store.hierarchy import WorkspaceRow
from mlyard.store.identity import IdentityRepository

log = logging.getLogger("mlyard.instances")


def token_name(target: ComputeTarget) -> str:
    return f"instance {target.name} {target.id[:8]}"


def issue(p: Platform, target: ComputeTarget) -> SignIn | None:
    """A fresh token for the instance's next start (an earlier one revoked); None without an owner."""
    revoke(p, target)
    if target.created_by is None:
        return None
    with p.db.write() as session:
        row = session.get(WorkspaceRow, target.workspace_id)
        if row is None:
            return None
        ws = row.to_entity()
        repo = IdentityRepository(session)
        kind = PrincipalType.USER if repo.get_user_by_id(target.created_by) else PrincipalType.SERVICE_PRINCIPAL
        lifetime = timedelta(hours=p.settings.job_token_ttl_hours)
        _, secret = identity.issue_token(session, target.created_by, kind, token_name(target), lifetime, scope=ws.scope)
    endpoint = p.settings.job_endpoint
    return SignIn(
        variables={
            "MLYARD_ENDPOINT": endpoint,
            "MLYARD_TOKEN": secret,
            "MLYARD_SUBSCRIPTION_ID": ws.subscription_id,
            "MLYARD_RESOURCE_GROUP": ws.resource_group,
            "MLYARD_WORKSPACE_NAME": ws.name,
            "MLYARD_COMPUTE_TARGET": target.name,
        },
        config={
            "subscription_id": ws.subscription_id,
            "resource_group": ws.resource_group,
            "workspace_name": ws.name,
            "endpoint": endpoint,
        },
    )


def revoke(p: Platform, target: ComputeTarget) -> None:
    """Revoke every live token of the instance (its owner's tokens of that name)."""
    if target.created_by is None:
        return
    name, now = token_name(target), utcnow()
    with p.db.write() as session:
        repo = IdentityRepository(session)
        for token in repo.list_tokens(target.created_by):
            if token.name == name and token.revoked_at is None:
                repo.revoke_token(token.id, now)
