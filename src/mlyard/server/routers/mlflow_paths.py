"""Where a workspace's MLflow API lives: what ``ws.get_mlflow_tracking_uri()`` answers, plus the
MLflow client's own ``/api/2.0/mlflow/...`` and ``/api/2.0/mlflow-artifacts/...`` paths.

MLflow's client keeps the tracking URI's path as a prefix of every call (the artifact proxy
included), so one workspace path serves both APIs; ``server/errors.py`` answers errors under
``/mlflow/`` in MLflow's shape."""

from __future__ import annotations

MLFLOW_BASE = (
    "/mlflow/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
)
TRACKING = MLFLOW_BASE + "/api/2.0/mlflow"
ARTIFACTS = MLFLOW_BASE + "/api/2.0/mlflow-artifacts/artifacts"


def experiment_artifact_location(experiment_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}"


def run_artifact_uri(experiment_id: str, run_id: str) -> str:
    """A run's artifacts are its files: ``{experiment_id}/{run_id}/artifacts/{file name}`` on the proxy."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
