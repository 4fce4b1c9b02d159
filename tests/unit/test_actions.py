"""Action strings: wildcards, '/*/' spanning nothing, case, and Azure provider prefixes."""

from __future__ import annotations

import pytest

from mlyard.core import actions as A
from mlyard.core.actions import action_matches, any_matches, normalize_action


@pytest.mark.parametrize(
    ("azure", "mlyard"),
    [
        ("Microsoft.MachineLearningServices/workspaces/computes/write", "workspaces/computes/write"),
        ("Microsoft.MachineLearningServices/workspaces/read", "workspaces/read"),
        ("microsoft.machinelearningservices/workspaces/*/read", "workspaces/*/read"),
        (
            "MICROSOFT.MACHINELEARNINGSERVICES/workspaces/experiments/runs/submit/action",
            "workspaces/experiments/runs/submit/action",
        ),
        ("Microsoft.Authorization/roleAssignments/write", "roleAssignments/write"),
        ("Microsoft.Authorization/roleDefinitions/read", "roleDefinitions/read"),
        ("Microsoft.Resources/subscriptions/resourceGroups/read", "resourceGroups/read"),
        ("Microsoft.Resources/subscriptions/resourcegroups/write", "resourceGroups/write"),
        ("Microsoft.Resources/subscriptions/read", "subscriptions/read"),
        ("Microsoft.Resources/deployments/write", "deployments/write"),
        ("  Microsoft.MachineLearningServices/workspaces/read  ", "workspaces/read"),
    ],
)
def test_azure_provider_prefixes_are_normalised(azure: str, mlyard: str) -> None:
    assert normalize_action(azure) == mlyard


@pytest.mark.parametrize("action", ["workspaces/read", "*", "*/read", "roleAssignments/write", "self/action"])
def test_actions_without_a_prefix_are_unchanged(action: str) -> None:
    assert normalize_action(action) == action


def test_the_rest_of_a_prefixed_action_keeps_its_case() -> None:
    assert normalize_action("Microsoft.MachineLearningServices/workspaces/listKeys/action") == (
        "workspaces/listKeys/action"
    )


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        # exact
        ("workspaces/read", "workspaces/read", True),
        ("workspaces/read", "workspaces/write", False),
        ("workspaces/read", "workspaces/read/more", False),
        ("workspaces/read", "x/workspaces/read", False),
        # '*' spans anything, slashes included
        ("*", "workspaces/experiments/runs/submit/action", True),
        ("*", "roleAssignments/write", True),
        ("*/read", "workspaces/read", True),
        ("*/read", "workspaces/secrets/read", True),
        ("*/read", "subscriptions/read", True),
        ("*/read", "workspaces/write", False),
        ("*/read", "workspaces/reader", False),
        ("workspaces/*", "workspaces/computes/write", True),
        ("workspaces/*", "workspaces/read", True),
        ("workspaces/*", "subscriptions/read", False),
        ("workspaces/computes/*", "workspaces/computes/start/action", True),
        ("workspaces/computes/*", "workspaces/models/write", False),
        # '/*/' may span nothing: Azure's built-in roles rely on it
        ("workspaces/*/read", "workspaces/read", True),
        ("workspaces/*/read", "workspaces/models/read", True),
        ("workspaces/*/read", "workspaces/experiments/runs/read", True),
        ("workspaces/*/read", "workspaces/models/write", False),
        ("workspaces/*/read", "workspaces/xread", False),
        ("workspaces/*/action", "workspaces/experiments/runs/submit/action", True),
        ("workspaces/computes/*/write", "workspaces/computes/write", True),
        ("workspaces/computes/*/write", "workspaces/computes/a/b/write", True),
        ("workspaces/computes/*/write", "workspaces/models/write", False),
        ("workspaces/*/computes/*/write", "workspaces/computes/write", True),
        # regex metacharacters are literal
        ("workspaces.read", "workspacesxread", False),
        ("workspaces/(a|b)/read", "workspaces/a/read", False),
        ("workspaces/[ab]/read", "workspaces/[ab]/read", True),
        ("workspaces/+/read", "workspaces/+/read", True),
    ],
)
def test_pattern_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "action"),
    [
        ("WORKSPACES/READ", "workspaces/read"),
        ("workspaces/read", "Workspaces/Read"),
        ("Workspaces/Computes/*/Write", "workspaces/computes/write"),
        ("resourcegroups/write", A.RESOURCE_GROUPS_WRITE),
        ("roleassignments/*", "RoleAssignments/Delete"),
    ],
)
def test_matching_ignores_case(pattern: str, action: str) -> None:
    assert action_matches(pattern, action)


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("Microsoft.MachineLearningServices/workspaces/computes/write", A.WORKSPACES_READ, False),
        ("Microsoft.MachineLearningServices/workspaces/computes/write", "workspaces/computes/write", True),
        ("Microsoft.MachineLearningServices/workspaces/*/read", A.WORKSPACES_READ, True),
        ("Microsoft.MachineLearningServices/workspaces/*/read", A.DATASTORES_READ, True),
        ("Microsoft.Authorization/roleAssignments/write", A.ROLE_ASSIGNMENTS_WRITE, True),
        ("Microsoft.Authorization/*/read", A.ROLE_DEFINITIONS_READ, True),
        ("Microsoft.Authorization/*/read", A.ROLE_ASSIGNMENTS_WRITE, False),
        ("Microsoft.Resources/subscriptions/resourceGroups/read", A.RESOURCE_GROUPS_READ, True),
        ("Microsoft.Resources/subscriptions/resourceGroups/read", A.SUBSCRIPTIONS_READ, False),
        ("Microsoft.Resources/subscriptions/read", A.SUBSCRIPTIONS_READ, True),
        ("Microsoft.Resources/deployments/*", A.DEPLOYMENTS_WRITE, True),
    ],
)
def test_prefixed_patterns_match_mlyard_actions(pattern: str, action: str, expected: bool) -> None:
    """The JSON of an Azure custom role imports unchanged."""
    assert action_matches(pattern, action) is expected


def test_any_matches() -> None:
    patterns = ("workspaces/read", "workspaces/models/*")
    assert any_matches(patterns, "workspaces/models/write")
    assert any_matches(list(patterns), "Workspaces/Read")
    assert not any_matches(patterns, "workspaces/write")
    assert not any_matches((), "workspaces/read")
    assert not any_matches([], "*")


def test_action_constants_are_well_formed_and_match_themselves() -> None:
    names = [n for n in dir(A) if n.isupper() and isinstance(getattr(A, n), str)]
    assert len(names) >= 20
    for n in names:
        value = getattr(A, n)
        assert value == value.strip() and "*" not in value, n
        # 'list' is mlyard's one extra verb: workspaces/secrets/list lists names without reading values.
        assert value.rsplit("/", 1)[-1] in ("read", "list", "write", "delete", "action"), n
        assert action_matches(value, value), n
        assert normalize_action(value) == value, n
