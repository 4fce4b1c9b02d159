"""mlyard: a self-hosted machine-learning workspace platform.

``from mlyard import Workspace`` gives the SDK; the SDK classes load on first use (PEP 562)
so that ``import mlyard`` stays light for the server and for job scripts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import (
    AuthenticationError,
    AuthorizationError,
    Conflict,
    InvalidConfig,
    MlyardError,
    NotFound,
    ResourceGroupNotFound,
    ServiceUnreachable,
    SubscriptionNotFound,
    ValidationError,
    WorkspaceAlreadyExists,
    WorkspaceNotFound,
)

if TYPE_CHECKING:
    from mlyard.sdk.authentication import (
        AbstractAuthentication,
        InteractiveLoginAuthentication,
        ServicePrincipalAuthentication,
        TokenAuthentication,
    )
    from mlyard.sdk.compute import ComputeTarget
    from mlyard.sdk.compute_instance import ComputeInstance
    from mlyard.sdk.dataset import Dataset
    from mlyard.sdk.datastore import Datastore
    from mlyard.sdk.environment import CondaDependencies, Environment
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.keyvault import Keyvault
    from mlyard.sdk.notebook import Notebook
    from mlyard.sdk.offline_run import OfflineRun
    from mlyard.sdk.ray_compute import AmlCompute, RayCompute
    from mlyard.sdk.run import Run
    from mlyard.sdk.script_run_config import ScriptRunConfig
    from mlyard.sdk.workspace import Workspace

__version__ = "0.1.0"

# Public name -> the module that defines it, imported when the name is first asked for.
_LAZY: dict[str, str] = {
    "Workspace": "mlyard.sdk.workspace",
    "Datastore": "mlyard.sdk.datastore",
    "Dataset": "mlyard.sdk.dataset",
    "Environment": "mlyard.sdk.environment",
    "CondaDependencies": "mlyard.sdk.environment",
    "Keyvault": "mlyard.sdk.keyvault",
    "Experiment": "mlyard.sdk.experiment",
    "Run": "mlyard.sdk.run",
    "ScriptRunConfig": "mlyard.sdk.script_run_config",
    "ComputeTarget": "mlyard.sdk.compute",
    "ComputeInstance": "mlyard.sdk.compute_instance",
    "Notebook": "mlyard.sdk.notebook",
    "RayCompute": "mlyard.sdk.ray_compute",
    "AmlCompute": "mlyard.sdk.ray_compute",
    "OfflineRun": "mlyard.sdk.offline_run",
    "AbstractAuthentication": "mlyard.sdk.authentication",
    "InteractiveLoginAuthentication": "mlyard.sdk.authentication",
    "ServicePrincipalAuthentication": "mlyard.sdk.authentication",
    "TokenAuthentication": "mlyard.sdk.authentication",
}

__all__ = [
    "AbstractAuthentication",
    "AmlCompute",
    "AuthenticationError",
    "AuthorizationError",
    "ComputeInstance",
    "ComputeTarget",
    "CondaDependencies",
    "Conflict",
    "Dataset",
    "Datastore",
    "Environment",
    "Experiment",
    "InteractiveLoginAuthentication",
    "InvalidConfig",
    "Keyvault",
    "MlyardError",
    "NotFound",
    "Notebook",
    "OfflineRun",
    "RayCompute",
    "ResourceGroupNotFound",
    "Run",
    "ScriptRunConfig",
    "ServicePrincipalAuthentication",
    "ServiceUnreachable",
    "SubscriptionNotFound",
    "TokenAuthentication",
    "ValidationError",
    "Workspace",
    "WorkspaceAlreadyExists",
    "WorkspaceNotFound",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlyard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
