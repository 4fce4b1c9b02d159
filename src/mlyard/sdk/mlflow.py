"""The MLflow tracking URI of a workspace, so that the ``mlflow`` client logs to mlyard unchanged.

``mlflow.set_tracking_uri(ws.get_mlflow_tracking_uri())`` is all a script needs, as with Azure
ML's MLflow plugin: when ``MLFLOW_TRACKING_TOKEN`` is unset it is set to the workspace's bearer
token. A token from ``mlyard login`` (or InteractiveLoginAuthentication) expires with the
login; a personal access token (``mlyard token create``) lasts until its own expiry, so long
jobs should use one (``MLYARD_TOKEN`` or ``TokenAuthentication``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mlyard.sdk.client import seg
from mlyard.sdk.config import token_for

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

# The server's MLFLOW_BASE (server/routers/mlflow_paths.py); the SDK speaks only HTTP, so it
# spells the path itself, and a unit test holds the two equal.
MLFLOW_PATH = "/mlflow/v1.0/subscriptions/{subscription}/resourceGroups/{group}/workspaces/{workspace}"
TOKEN_VARIABLE = "MLFLOW_TRACKING_TOKEN"


def get_mlflow_tracking_uri(workspace: Workspace) -> str:
    """``{endpoint}/mlflow/v1.0/subscriptions/S/resourceGroups/R/workspaces/W``; sets
    ``MLFLOW_TRACKING_TOKEN`` to the workspace's token unless it is set already."""
    endpoint = workspace.endpoint
    path = MLFLOW_PATH.format(
        subscription=seg(workspace.subscription_id), group=seg(workspace.resource_group), workspace=seg(workspace.name)
    )
    if not os.environ.get(TOKEN_VARIABLE):
        auth = workspace._auth
        token = auth.get_token(endpoint) if auth is not None else token_for(endpoint)
        if token:
            os.environ[TOKEN_VARIABLE] = token
    return endpoint + path
