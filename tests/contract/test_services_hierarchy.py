"""Subscriptions and resource groups through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.contract.hierarchy_helpers import everything

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    Conflict,
    InvalidName,
    ResourceGroupAlreadyExists,
    ResourceGroupNotFound,
    ResourceNotEmpty,
    SubscriptionAlreadyExists,
    SubscriptionNotFound,
    ValidationError,
)
from mlyard.core.scopes import Scope
from mlyard.services import subscriptions, workspaces
from mlyard.services.platform import Platform


@pytest.fixture
def group(platform: Platform, admin: Principal) -> Scope:
    subscriptions.create_subscription(platform, admin, "sub1", "Subscription one")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    return Scope("sub1", "rg1")


# subscriptions


def test_subscription_lifecycle(platform: Platform, admin: Principal) -> None:
    sub = subscriptions.create_subscription(platform, admin, "Team-A", "Team A", {"cost": "1"})
    assert (sub.subscription_id, sub.display_name, sub.tags, sub.created_by) == (
        "Team-A",
        "Team A",
        {"cost": "1"},
        admin.id,
    )
    assert subscriptions.get_subscription(platform, "team-a") == sub
    assert [s.subscription_id for s in subscriptions.list_subscriptions(platform, everything(platform, admin))] == [
        "Team-A"
    ]
    updated = subscriptions.update_subscription(platform, "TEAM-A", display_name="Renamed", tags={"x": "y"})
    assert (updated.display_name, updated.tags) == ("Renamed", {"x": "y"})
    assert subscriptions.get_subscription(platform, "Team-A").display_name == "Renamed"
    unchanged = subscriptions.update_subscription(platform, "Team-A")
    assert (unchanged.display_name, unchanged.tags) == ("Renamed", {"x": "y"})
    subscriptions.delete_subscription(platform, "team-A")
    with pytest.raises(SubscriptionNotFound):
        subscriptions.get_subscription(platform, "Team-A")


def test_display_name_defaults_to_the_id(platform: Platform, admin: Principal) -> None:
    assert subscriptions.create_subscription(platform, admin, "plain").display_name == "plain"


def test_duplicate_subscription(platform: Platform, admin: Principal) -> None:
    subscriptions.create_subscription(platform, admin, "sub1", "first")
    with pytest.raises(SubscriptionAlreadyExists) as info:
        subscriptions.create_subscription(platform, admin, "SUB1", "second")
    assert info.value.status == 409 and isinstance(info.value, Conflict)
    assert info.value.target == "subscriptionId"
    assert subscriptions.get_subscription(platform, "sub1").display_name == "first"


@pytest.mark.parametrize("bad", ["", "-x", "a.b", "a b", "x" * 65])
def test_bad_subscription_ids(platform: Platform, admin: Principal, bad: str) -> None:
    with pytest.raises(InvalidName) as info:
        subscriptions.create_subscription(platform, admin, bad)
    assert info.value.target == "subscriptionId"
    assert subscriptions.list_subscriptions(platform, everything(platform, admin)) == []


def test_missing_subscription(platform: Platform) -> None:
    with pytest.raises(SubscriptionNotFound) as info:
        subscriptions.get_subscription(platform, "ghost")
    assert "'ghost'" in info.value.message and info.value.status == 404
    with pytest.raises(SubscriptionNotFound):
        subscriptions.update_subscription(platform, "ghost", display_name="x")
    with pytest.raises(SubscriptionNotFound):
        subscriptions.delete_subscription(platform, "ghost")


@pytest.mark.parametrize(
    "tags",
    [{f"k{i}": "v" for i in range(51)}, {"": "v"}, {"k" * 513: "v"}, {"k": "v" * 257}],
)
def test_bad_tags(platform: Platform, admin: Principal, tags: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        subscriptions.create_subscription(platform, admin, "sub1", tags=tags)
    assert info.value.target == "tags"


def test_deleting_a_non_empty_subscription_is_refused(platform: Platform, admin: Principal, group: Scope) -> None:
    with pytest.raises(ResourceNotEmpty) as info:
        subscriptions.delete_subscription(platform, "sub1")
    assert info.value.status == 409
    assert "rg1" in info.value.message
    assert subscriptions.get_resource_group(platform, "sub1", "rg1").name == "rg1"
    workspaces.delete_resource_group(platform, "sub1", "rg1")
    subscriptions.delete_subscription(platform, "sub1")
    assert subscriptions.list_subscriptions(platform, everything(platform, admin)) == []


# resource groups


def test_resource_group_lifecycle(platform: Platform, admin: Principal) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    rg = subscriptions.create_resource_group(platform, admin, "SUB1", "My.Group(1)", "westeurope", {"a": "b"})
    assert (rg.subscription_id, rg.name, rg.location, rg.tags) == ("sub1", "My.Group(1)", "westeurope", {"a": "b"})
    assert rg.scope == Scope("sub1", "My.Group(1)")
    assert subscriptions.get_resource_group(platform, "sub1", "my.group(1)") == rg
    default_location = subscriptions.create_resource_group(platform, admin, "sub1", "other")
    assert default_location.location == "local"
    listed = subscriptions.list_resource_groups(platform, everything(platform, admin), "sub1")
    assert [g.name for g in listed] == ["My.Group(1)", "other"]
    updated = subscriptions.update_resource_group(platform, "sub1", "MY.GROUP(1)", tags={"c": "d"})
    assert updated.tags == {"c": "d"} and updated.location == "westeurope"
    assert workspaces.delete_resource_group(platform, "sub1", "my.group(1)") == []
    with pytest.raises(ResourceGroupNotFound):
        subscriptions.get_resource_group(platform, "sub1", "My.Group(1)")
    assert [g.name for g in subscriptions.list_resource_groups(platform, everything(platform, admin), "sub1")] == [
        "other"
    ]


def test_duplicate_resource_group(platform: Platform, admin: Principal, group: Scope) -> None:
    with pytest.raises(ResourceGroupAlreadyExists) as info:
        subscriptions.create_resource_group(platform, admin, "sub1", "RG1", "elsewhere")
    assert info.value.status == 409 and info.value.target == "resourceGroupName"
    assert subscriptions.get_resource_group(platform, "sub1", "rg1").location == "local"


def test_the_same_group_name_in_two_subscriptions(platform: Platform, admin: Principal, group: Scope) -> None:
    subscriptions.create_subscription(platform, admin, "sub2")
    other = subscriptions.create_resource_group(platform, admin, "sub2", "rg1")
    assert other.id != subscriptions.get_resource_group(platform, "sub1", "rg1").id


def test_resource_group_in_a_missing_subscription(platform: Platform, admin: Principal) -> None:
    with pytest.raises(SubscriptionNotFound) as info:
        subscriptions.create_resource_group(platform, admin, "ghost", "rg1")
    assert "'ghost'" in info.value.message and info.value.target == "subscriptionId"
    with pytest.raises(SubscriptionNotFound):
        subscriptions.list_resource_groups(platform, everything(platform, admin), "ghost")


def test_listing_the_workspaces_of_a_missing_group(platform: Platform, admin: Principal, group: Scope) -> None:
    with pytest.raises(ResourceGroupNotFound) as info:
        workspaces.list_workspaces(platform, everything(platform, admin), "sub1", "nope")
    assert "'nope'" in info.value.message


def test_missing_resource_group(platform: Platform, admin: Principal, group: Scope) -> None:
    for call in (
        lambda: subscriptions.get_resource_group(platform, "sub1", "nope"),
        lambda: subscriptions.update_resource_group(platform, "sub1", "nope", tags={}),
        lambda: workspaces.delete_resource_group(platform, "sub1", "nope"),
    ):
        with pytest.raises(ResourceGroupNotFound) as info:
            call()
        assert "'nope'" in info.value.message and "'sub1'" in info.value.message


@pytest.mark.parametrize("bad", ["", "ends.", "a b", "x" * 91, "a/b"])
def test_bad_resource_group_names(platform: Platform, admin: Principal, bad: str) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    with pytest.raises(InvalidName) as info:
        subscriptions.create_resource_group(platform, admin, "sub1", bad)
    assert info.value.target == "resourceGroupName"


def test_an_empty_location_means_the_default(platform: Platform, admin: Principal) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    assert subscriptions.create_resource_group(platform, admin, "sub1", "rg", "").location == "local"
    assert subscriptions.create_resource_group(platform, admin, "sub1", "rg2", " north ").location == "north"


@pytest.mark.parametrize("location", ["   ", "x" * 65])
def test_bad_locations(platform: Platform, admin: Principal, location: str) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    with pytest.raises(ValidationError) as info:
        subscriptions.create_resource_group(platform, admin, "sub1", "rg", location)
    assert info.value.target == "location"
