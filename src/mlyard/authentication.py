"""Authentication classes at the path Azure ML users import them from (``azureml.core.authentication``)."""

from mlyard.sdk.authentication import (
    AbstractAuthentication,
    InteractiveLoginAuthentication,
    ServicePrincipalAuthentication,
    TokenAuthentication,
)

__all__ = [
    "AbstractAuthentication",
    "InteractiveLoginAuthentication",
    "ServicePrincipalAuthentication",
    "TokenAuthentication",
]
