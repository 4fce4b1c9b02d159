"""Scopes: parsing every level, Azure's long form, bad scopes, ancestors, containment, case."""

from __future__ import annotations

import pytest

from mlyard.core.errors import InvalidScope, ValidationError
from mlyard.core.scopes import Scope

ROOT = Scope()
SUB = Scope("S1")
RG = Scope("S1", "rg1")
WS = Scope("S1", "rg1", "ws1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/", ROOT),
        ("", ROOT),
        ("   ", ROOT),
        ("/subscriptions/S1", SUB),
        ("/subscriptions/S1/", SUB),
        ("subscriptions/S1", SUB),
        ("  /subscriptions/S1  ", SUB),
        ("/subscriptions/S1/resourceGroups/rg1", RG),
        ("/subscriptions/S1/resourceGroups/rg1/workspaces/ws1", WS),
        ("/SUBSCRIPTIONS/S1/RESOURCEGROUPS/rg1/WORKSPACES/ws1", WS),
        ("/Subscriptions/S1/resourcegroups/rg1/Workspaces/ws1", WS),
    ],
)
def test_parse_every_level(text: str, expected: Scope) -> None:
    assert Scope.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "/subscriptions/S1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1",
        "/subscriptions/S1/resourceGroups/rg1/providers/microsoft.machinelearningservices/workspaces/ws1",
        "/subscriptions/S1/resourcegroups/rg1/Providers/MICROSOFT.MACHINELEARNINGSERVICES/Workspaces/ws1",
        "subscriptions/S1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1/",
    ],
)
def test_parse_azure_long_form_of_a_workspace(text: str) -> None:
    scope = Scope.parse(text)
    assert scope == WS
    assert scope.path == "/subscriptions/S1/resourceGroups/rg1/workspaces/ws1"


def test_levels_and_paths() -> None:
    assert (ROOT.level, ROOT.path, str(ROOT)) == ("root", "/", "/")
    assert (SUB.level, SUB.path) == ("subscription", "/subscriptions/S1")
    assert (RG.level, RG.path) == ("resourceGroup", "/subscriptions/S1/resourceGroups/rg1")
    assert (WS.level, WS.path) == ("workspace", "/subscriptions/S1/resourceGroups/rg1/workspaces/ws1")
    assert Scope.root() == ROOT
    for scope in (ROOT, SUB, RG, WS):
        assert Scope.parse(scope.path) == scope
        assert str(scope) == scope.path


def test_path_keeps_the_names_case_and_uses_canonical_keys() -> None:
    scope = Scope.parse("/SUBSCRIPTIONS/Sub-A/RESOURCEGROUPS/My.Group/WORKSPACES/My_WS")
    assert scope == Scope("Sub-A", "My.Group", "My_WS")
    assert scope.path == "/subscriptions/Sub-A/resourceGroups/My.Group/workspaces/My_WS"


@pytest.mark.parametrize(
    "text",
    [
        "/subscriptions",
        "/subscriptions/",
        "/subscriptions/S1/resourceGroups",
        "/subscriptions/S1/resourceGroups/rg1/workspaces",
        "/subscriptions//resourceGroups/rg1",
        "//",
        "/resourceGroups/rg1",
        "/workspaces/ws1",
        "/subscriptions/S1/workspaces/ws1",
        "/subscriptions/S1/resourceGroups/rg1/workspaces/ws1/computes/c1",
        "/subscriptions/S1/resourceGroups/rg1/workspaces/ws1/extra",
        "/subscriptions/S1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/x",
        "/subscriptions/S1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces",
        "/subscriptions/S1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices",
        "/subscriptions/S1/resourceGroups/rg1/providers",
        "/subscription/S1",
        "/foo/bar",
        "not a scope",
    ],
)
def test_bad_scopes_are_refused(text: str) -> None:
    with pytest.raises(InvalidScope) as info:
        Scope.parse(text)
    assert info.value.target == "scope"
    assert text in info.value.message
    assert isinstance(info.value, ValidationError)
    assert info.value.status == 400


def test_a_scope_needs_its_parents() -> None:
    with pytest.raises(InvalidScope):
        Scope(None, "rg1")
    with pytest.raises(InvalidScope):
        Scope("S1", None, "ws1")
    with pytest.raises(InvalidScope):
        Scope(None, None, "ws1")


def test_ancestors_innermost_first() -> None:
    assert WS.ancestors() == [WS, RG, SUB, ROOT]
    assert RG.ancestors() == [RG, SUB, ROOT]
    assert SUB.ancestors() == [SUB, ROOT]
    assert ROOT.ancestors() == [ROOT]


def test_contains_holds_downward_not_upward() -> None:
    chain = [ROOT, SUB, RG, WS]
    for i, outer in enumerate(chain):
        for j, inner in enumerate(chain):
            assert outer.contains(inner) is (i <= j), (outer, inner)


def test_contains_does_not_cross_siblings() -> None:
    assert not SUB.contains(Scope("S2", "rg1", "ws1"))
    assert not RG.contains(Scope("S1", "rg2", "ws1"))
    assert not RG.contains(Scope("S1", "rg10"))  # a name prefix is not a parent
    assert not Scope("S1", "rg").contains(Scope("S1", "rg1", "ws"))
    assert not WS.contains(Scope("S1", "rg1", "ws2"))
    assert ROOT.contains(Scope("S2", "rg2", "ws2"))


def test_keys_ignore_case() -> None:
    upper = Scope("S1", "RG1", "WS1")
    lower = Scope("s1", "rg1", "ws1")
    assert upper.key == lower.key == "/subscriptions/s1/resourcegroups/rg1/workspaces/ws1"
    assert upper.path != lower.path
    assert Scope.parse("/SUBSCRIPTIONS/S1").key == Scope("s1").key
    assert Scope("S1").contains(lower)
    assert Scope("s1", "Rg1").contains(upper)
    assert upper.contains(lower) and lower.contains(upper)
    assert ROOT.key == "/"


def test_scopes_are_values() -> None:
    assert {Scope("S1"), Scope("S1"), Scope.parse("/subscriptions/S1")} == {SUB}
    with pytest.raises(AttributeError):
        SUB.subscription = "other"  # type: ignore[misc]
