"""A workspace's collections and defaults (``ws.datastores``, ``ws.compute_targets``, …), apart
from the workspace's own lifecycle in ``workspace.py``: each asset kind adds one member here."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from mlyard.sdk.datastore import Datastore
from mlyard.sdk.keyvault import Keyvault
from mlyard.sdk.mlflow import get_mlflow_tracking_uri

if TYPE_CHECKING:
    from mlyard.sdk.compute import ComputeTarget
    from mlyard.sdk.dataset import AbstractDataset
    from mlyard.sdk.environment import Environment
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.workspace import Workspace


class WorkspaceAssets:
    """Mixed into :class:`~mlyard.sdk.workspace.Workspace`."""

    def _as_workspace(self) -> Workspace:
        return cast("Workspace", self)

    @property
    def compute_targets(self) -> dict[str, ComputeTarget]:
        from mlyard.sdk.compute import compute_targets

        return compute_targets(self._as_workspace())

    @property
    def datasets(self) -> dict[str, AbstractDataset]:
        """The workspace's datasets by name, each its latest version."""
        from mlyard.sdk.dataset import Dataset

        return Dataset.get_all(self._as_workspace())

    @property
    def datastores(self) -> dict[str, Datastore]:
        return {d.name: d for d in Datastore.list(self._as_workspace())}

    @property
    def environments(self) -> dict[str, Environment]:
        from mlyard.sdk.environment import Environment

        return Environment.list(self._as_workspace())

    @property
    def experiments(self) -> dict[str, Experiment]:
        """The workspace's active experiments by name."""
        from mlyard.sdk.experiment import Experiment

        return {e.name: e for e in Experiment.list(self._as_workspace())}

    def get_default_datastore(self) -> Datastore:
        return Datastore.get_default(self._as_workspace())

    def set_default_datastore(self, name: str) -> None:
        Datastore.set_default(self._as_workspace(), name)

    def get_default_keyvault(self) -> Keyvault:
        """The workspace's secrets vault (made with the workspace)."""
        return Keyvault(self._as_workspace())

    def get_mlflow_tracking_uri(self) -> str:
        """The URI for ``mlflow.set_tracking_uri`` (sets MLFLOW_TRACKING_TOKEN when unset): docs/tracking.md."""
        return get_mlflow_tracking_uri(self._as_workspace())
