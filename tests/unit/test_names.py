"""Naming rules at their edges; every refusal quotes the rule and the name."""

from __future__ import annotations

import pytest

from mlyard.core.errors import InvalidName, ValidationError
from mlyard.core.names import (
    DATASTORE_NAME,
    RESOURCE_GROUP_NAME,
    SUBSCRIPTION_ID,
    USER_NAME,
    WORKSPACE_NAME,
    NameRule,
    name_key,
)


def refused(rule: NameRule, name: object, target: str | None = None) -> InvalidName:
    with pytest.raises(InvalidName) as info:
        rule.check(name, target=target)
    return info.value


# workspace: 3 to 33 letters, digits, '-' or '_', starting with a letter or digit


@pytest.mark.parametrize(
    "name",
    ["abc", "a" * 33, "A" * 33, "1ab", "9-_", "my-ws_01", "WS1", "a--", "a__", "0" * 3, "Z9z"],
)
def test_workspace_names_accepted(name: str) -> None:
    assert WORKSPACE_NAME.check(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a",
        "ab",  # 2: one too short
        "a" * 34,  # one too long
        "-ab",
        "_ab",
        "ab.c",
        "ab c",
        " abc",
        "abc ",
        "abc\n",
        "ab/c",
        "ab\\c",
        "abç",
        "\uff41bc",  # a fullwidth letter
        "ab\x00c",
        "ab:c",
        "ab@c",
    ],
)
def test_workspace_names_refused(name: str) -> None:
    err = refused(WORKSPACE_NAME, name)
    assert WORKSPACE_NAME.description in err.message
    assert "3 to 33" in err.message
    assert f"'{name}'" in err.message
    assert err.target == "workspace"


def test_the_target_defaults_to_the_kind_and_can_be_named() -> None:
    assert refused(WORKSPACE_NAME, "x").target == "workspace"
    assert refused(WORKSPACE_NAME, "x", target="workspaceName").target == "workspaceName"


@pytest.mark.parametrize("value", [None, 123, b"abc", ["abc"]])
def test_a_name_must_be_a_string(value: object) -> None:
    err = refused(WORKSPACE_NAME, value)
    assert "must be a string" in err.message
    assert isinstance(err, ValidationError) and err.status == 400


# resource group: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'


@pytest.mark.parametrize("name", ["a", "a" * 90, "(rg)", "rg.prod", ".rg", "-rg", "_rg", "rg-1_(x).y", "RG", "1"])
def test_resource_group_names_accepted(name: str) -> None:
    assert RESOURCE_GROUP_NAME.check(name) == name


@pytest.mark.parametrize("name", ["", "a" * 91, "rg.", "rg..", ".", "r g", "rg/x", "rg\n", "rg#", "rgé", "rg:x"])
def test_resource_group_names_refused(name: str) -> None:
    err = refused(RESOURCE_GROUP_NAME, name)
    assert RESOURCE_GROUP_NAME.description in err.message
    assert "1 to 90" in err.message and "not ending in a period" in err.message
    assert err.target == "resource group"


# subscription: 1 to 64 letters, digits, '-' or '_', starting with a letter or digit


@pytest.mark.parametrize("name", ["a", "0", "a" * 64, "00000000-0000-0000-0000-000000000000", "team_a-prod", "Default"])
def test_subscription_ids_accepted(name: str) -> None:
    assert SUBSCRIPTION_ID.check(name) == name


@pytest.mark.parametrize("name", ["", "a" * 65, "-a", "_a", "a.b", "a b", "a/b", "sub\n"])
def test_subscription_ids_refused(name: str) -> None:
    err = refused(SUBSCRIPTION_ID, name)
    assert SUBSCRIPTION_ID.description in err.message
    assert "1 to 64" in err.message
    assert err.target == "subscription"


# user: 2 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit


@pytest.mark.parametrize("name", ["ab", "a" * 64, "jane.doe@example.com", "j_d-1", "1a", "A.B"])
def test_user_names_accepted(name: str) -> None:
    assert USER_NAME.check(name) == name


@pytest.mark.parametrize("name", ["", "a", "a" * 65, ".ab", "@ab", "-ab", "_ab", "a b", "a/b", "ab\n", "a+b", "a:b"])
def test_user_names_refused(name: str) -> None:
    err = refused(USER_NAME, name)
    assert USER_NAME.description in err.message
    assert "2 to 64" in err.message
    assert err.target == "user"


def test_datastore_names() -> None:
    assert DATASTORE_NAME.check("workspaceblobstore") == "workspaceblobstore"
    assert DATASTORE_NAME.check("a") == "a"
    for bad in ("", "my-store", "my.store", "a b", "x" * 256):
        assert DATASTORE_NAME.description in refused(DATASTORE_NAME, bad).message


@pytest.mark.parametrize("rule", [WORKSPACE_NAME, RESOURCE_GROUP_NAME, SUBSCRIPTION_ID, USER_NAME, DATASTORE_NAME])
def test_every_message_names_the_kind(rule: NameRule) -> None:
    err = refused(rule, "")
    assert f"valid {rule.kind} name" in err.message


def test_name_key_folds_case() -> None:
    assert name_key("WS1") == name_key("ws1") == name_key("Ws1") == "ws1"
    assert name_key("My-Group.(A)") == "my-group.(a)"
