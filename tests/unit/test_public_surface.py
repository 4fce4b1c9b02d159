"""The public surface of ``import mlyard``: exactly the intended names, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mlyard

SDK_CLASSES = {
    "Workspace",
    "Datastore",
    "Dataset",
    "Environment",
    "CondaDependencies",
    "Keyvault",
    "Experiment",
    "Run",
    "OfflineRun",
    "ScriptRunConfig",
    "ComputeTarget",
    "ComputeInstance",
    "Notebook",
    "RayCompute",
    "AmlCompute",
    "AbstractAuthentication",
    "InteractiveLoginAuthentication",
    "ServicePrincipalAuthentication",
    "TokenAuthentication",
}
ERRORS = {
    "MlyardError",
    "WorkspaceNotFound",
    "WorkspaceAlreadyExists",
    "ResourceGroupNotFound",
    "SubscriptionNotFound",
    "AuthenticationError",
    "AuthorizationError",
    "InvalidConfig",
    "ValidationError",
    "ServiceUnreachable",
    "NotFound",
    "Conflict",
}


def test_all_holds_exactly_the_intended_names() -> None:
    assert set(mlyard.__all__) == SDK_CLASSES | ERRORS | {"__version__"}
    assert len(mlyard.__all__) == len(set(mlyard.__all__))


def test_every_public_name_is_importable_from_mlyard() -> None:
    for name in mlyard.__all__:
        assert getattr(mlyard, name) is not None, name
    assert set(mlyard.__all__) <= set(dir(mlyard))


def test_errors_are_the_core_classes_that_the_sdk_raises() -> None:
    from mlyard.core import errors

    for name in ERRORS:
        value = getattr(mlyard, name)
        assert value is getattr(errors, name)
        assert issubclass(value, errors.MlyardError)


def test_sdk_classes_are_the_sdk_s_own() -> None:
    from mlyard import Datastore, TokenAuthentication, Workspace
    from mlyard.authentication import InteractiveLoginAuthentication
    from mlyard.sdk import authentication, datastore, workspace

    assert Workspace is workspace.Workspace and Datastore is datastore.Datastore
    assert TokenAuthentication is authentication.TokenAuthentication
    assert InteractiveLoginAuthentication is mlyard.InteractiveLoginAuthentication


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        getattr(mlyard, "NoSuchThing")  # noqa: B009


def test_import_mlyard_stays_light() -> None:
    probe = (
        "import sys, mlyard\n"
        "heavy = sorted(m for m in ('httpx', 'fastapi', 'sqlalchemy', 'typer') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
