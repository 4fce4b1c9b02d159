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
    from mlyard.sdk.datastore import Datastore
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.keyvault import Keyvault
    from mlyard.sdk.offline_run import OfflineRun
    from mlyard.sdk.run import Run
    from mlyard.sdk.workspace import Workspace

__version__ = "0.1.0"

# Public name -> the module that defines it, imported when the name is first asked for.
_LAZY: dict[str, str] = {
    "Workspace": "mlyard.sdk.workspace",
    "Datastore": "mlyard.sdk.datastore",
    "Keyvault": "mlyard.sdk.keyvault",
    "Experiment": "mlyard.sdk.experiment",
    "Run": "mlyard.sdk.run",
    "OfflineRun": "mlyard.sdk.offline_run",
    "AbstractAuthentication": "mlyard.sdk.authentication",
    "InteractiveLoginAuthentication": "mlyard.sdk.authentication",
    "ServicePrincipalAuthentication": "mlyard.sdk.authentication",
    "TokenAuthentication": "mlyard.sdk.authentication",
}

__all__ = [
    "AbstractAuthentication",
    "AuthenticationError",
    "AuthorizationError",
    "Conflict",
    "Datastore",
    "Experiment",
    "InteractiveLoginAuthentication",
    "InvalidConfig",
    "Keyvault",
    "MlyardError",
    "NotFound",
    "OfflineRun",
    "ResourceGroupNotFound",
    "Run",
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
