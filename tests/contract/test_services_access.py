"""Identity and authorization through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.contract.identity_helpers import assign, user

from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import (
    AuthorizationError,
    NotFound,
    ResourceGroupNotFound,
    RoleAssignmentAlreadyExists,
    RoleDefinitionNotFound,
    SubscriptionNotFound,
    WorkspaceNotFound,
)
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.database import Database
from mlyard.store.rbac import RbacRepository

ROOT = Scope()
SUB = Scope("sub1")
RG = Scope("sub1", "rg1")
WS = Scope("sub1", "rg1", "ws1")
LEVELS = {"root": ROOT, "subscription": SUB, "resourceGroup": RG, "workspace": WS}


# authorization: inheritance


@pytest.fixture
def tree(platform: Platform, admin: Principal) -> Platform:
    """sub1/rg1/{ws1, ws10}, sub1/rg2/ws2, sub2/rg1/ws1, all made by the admin (Owner at '/')."""
    for sub in ("sub1", "sub2"):
        subscriptions.create_subscription(platform, admin, sub)
        subscriptions.create_resource_group(platform, admin, sub, "rg1")
        workspaces.create_workspace(platform, admin, sub, "rg1", "ws1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws10")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg2")
    workspaces.create_workspace(platform, admin, "sub1", "rg2", "ws2")
    return platform


@pytest.mark.parametrize("level", list(LEVELS))
def test_assignments_hold_downward_not_upward(tree: Platform, level: str) -> None:
    carol = user(tree.db, "carol")
    at = LEVELS[level]
    assign(tree.db, carol, "Contributor", at)
    authz = rbac.Authorizer(tree.db, carol)
    for other_level, scope in LEVELS.items():
        expected = at.contains(scope)
        assert authz.can(A.WORKSPACES_WRITE, scope) is expected, (level, other_level)
    # never sideways
    assert authz.can(A.WORKSPACES_READ, Scope("sub2", "rg1", "ws1")) is (level == "root")
    assert authz.can(A.WORKSPACES_READ, Scope("sub1", "rg2", "ws2")) is (level in ("root", "subscription"))
    assert authz.can(A.WORKSPACES_READ, Scope("sub1", "rg1", "ws10")) is (level != "workspace")


def test_assignments_ignore_case(tree: Platform) -> None:
    carol = user(tree.db, "carol")
    assign(tree.db, carol, "Reader", Scope("SUB1", "RG1"))
    authz = rbac.Authorizer(tree.db, carol)
    assert authz.can(A.WORKSPACES_READ, Scope("sub1", "rg1", "ws1"))
    assert authz.can("Workspaces/Read", Scope("Sub1", "Rg1", "WS1"))


def test_nothing_is_allowed_by_default(tree: Platform) -> None:
    dave = user(tree.db, "dave")
    authz = rbac.Authorizer(tree.db, dave)
    for scope in LEVELS.values():
        assert not authz.can(A.WORKSPACES_READ, scope)
        assert not authz.can(A.SUBSCRIPTIONS_READ, scope)
    assert authz.can(A.SELF, ROOT) and authz.can(A.SELF, WS)
    assert workspaces.list_workspaces(tree, authz) == []
    assert subscriptions.list_subscriptions(tree, authz) == []


def test_roles_combine_across_levels(tree: Platform) -> None:
    erin = user(tree.db, "erin")
    assign(tree.db, erin, "Reader", SUB)
    assign(tree.db, erin, "Data Scientist", WS)
    authz = rbac.Authorizer(tree.db, erin)
    assert authz.can("workspaces/experiments/runs/submit/action", WS)
    assert not authz.can("workspaces/experiments/runs/submit/action", Scope("sub1", "rg1", "ws10"))
    assert authz.can(A.WORKSPACES_READ, Scope("sub1", "rg1", "ws10"))
    assert not authz.can(A.WORKSPACES_WRITE, WS)
    assert {r.name for r in authz.roles_at(WS)} == {"Reader", "Data Scientist"}
    assert {r.name for r in authz.roles_at(RG)} == {"Reader"}
    assert authz.roles_at(ROOT) == []


def test_list_filters_by_read_access(tree: Platform) -> None:
    frank = user(tree.db, "frank")
    assign(tree.db, frank, "Reader", RG)
    assign(tree.db, frank, "Reader", Scope("sub2", "rg1", "ws1"))
    authz = rbac.Authorizer(tree.db, frank)
    seen = [w.scope.path for w in workspaces.list_workspaces(tree, authz)]
    assert seen == [
        "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1",
        "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws10",
        "/subscriptions/sub2/resourceGroups/rg1/workspaces/ws1",
    ]
    assert [g.name for g in subscriptions.list_resource_groups(tree, authz, "sub1")] == ["rg1"]
    assert subscriptions.list_subscriptions(tree, authz) == []


# authorization: require, 404 versus 403


def test_no_access_to_a_workspace_is_a_404(tree: Platform) -> None:
    gina = user(tree.db, "gina")
    assign(tree.db, gina, "Owner", Scope("sub1", "rg1", "ws10"))
    authz = rbac.Authorizer(tree.db, gina)
    with pytest.raises(WorkspaceNotFound) as info:
        authz.require(A.WORKSPACES_READ, WS)
    assert info.value.status == 404
    # the same answer as for a workspace that does not exist at all
    with pytest.raises(WorkspaceNotFound) as missing:
        authz.require(A.WORKSPACES_READ, Scope("sub1", "rg1", "nope"))
    assert type(missing.value) is type(info.value)
    assert missing.value.message.replace("nope", "ws1") == info.value.message
    with pytest.raises(ResourceGroupNotFound):
        authz.require(A.RESOURCE_GROUPS_WRITE, RG)  # owning a workspace is not owning its group
    with pytest.raises(SubscriptionNotFound):
        authz.require(A.SUBSCRIPTIONS_READ, SUB)


def test_a_reader_gets_403_on_write(tree: Platform) -> None:
    hank = user(tree.db, "hank")
    assign(tree.db, hank, "Reader", RG)
    authz = rbac.Authorizer(tree.db, hank)
    authz.require(A.WORKSPACES_READ, WS)
    with pytest.raises(AuthorizationError) as info:
        authz.require(A.WORKSPACES_WRITE, WS)
    err = info.value
    assert err.status == 403 and err.code == "AuthorizationFailed"
    assert "workspaces/write" in err.message
    assert WS.path in err.message
    assert "hank" in err.message
    assert err.target == "workspaces/write"
    with pytest.raises(AuthorizationError) as group_write:
        authz.require(A.RESOURCE_GROUPS_WRITE, RG)
    assert RG.path in group_write.value.message
    with pytest.raises(AuthorizationError):
        authz.require("workspaces/secrets/read", WS)
    # above the assignment nothing is visible
    with pytest.raises(SubscriptionNotFound):
        authz.require(A.SUBSCRIPTIONS_WRITE, SUB)


def test_require_at_root_is_403_not_404(tree: Platform) -> None:
    ivan = user(tree.db, "ivan")
    with pytest.raises(AuthorizationError):
        rbac.Authorizer(tree.db, ivan).require(A.SUBSCRIPTIONS_WRITE, ROOT)


def test_require_allows_what_can_allows(tree: Platform, admin: Principal) -> None:
    authz = rbac.Authorizer(tree.db, admin)
    for scope in LEVELS.values():
        authz.require(A.ROLE_ASSIGNMENTS_WRITE, scope)
    rbac.Authorizer(tree.db, user(tree.db, "judy")).require(A.SELF, WS)


def test_unknown_role(tree: Platform) -> None:
    kim = user(tree.db, "kim")
    with pytest.raises(RoleDefinitionNotFound):
        assign(tree.db, kim, "Superuser", WS)


def test_assigning_twice_is_idempotent(tree: Platform) -> None:
    kim = user(tree.db, "kim")
    assign(tree.db, kim, "Reader", WS)
    assign(tree.db, kim, "Reader", Scope("SUB1", "RG1", "WS1"))
    with tree.db.read() as session:
        assert len([a for a in RbacRepository(session).list_assignments() if a.principal_id == kim.id]) == 1


def test_assigning_twice_when_asked_not_to_is_a_409(tree: Platform) -> None:
    kim = user(tree.db, "kim")
    rbac.assign_role(tree.db, kim.id, kim.type, "Reader", WS, created_by=None, exist_ok=False)
    with pytest.raises(RoleAssignmentAlreadyExists):
        rbac.assign_role(tree.db, kim.id, kim.type, "Reader", WS, created_by=None, exist_ok=False)


def test_listing_groups_does_not_reveal_which_subscriptions_exist(tree: Platform) -> None:
    authz = rbac.Authorizer(tree.db, user(tree.db, "paul"))
    outcomes: list[tuple[str, object]] = []
    for subscription_id in ("sub1", "no-such-subscription"):
        try:
            outcomes.append(("listed", tuple(subscriptions.list_resource_groups(tree, authz, subscription_id))))
        except NotFound as exc:
            outcomes.append(("not found", type(exc)))
    assert outcomes[0] == outcomes[1]


# creators own what they create


def assignments_of(db: Database, who: Principal) -> list[tuple[str, str]]:
    with db.read() as session:
        return sorted(
            (a.scope, a.role_name) for a in RbacRepository(session).list_assignments() if a.principal_id == who.id
        )


def test_creators_become_owners(platform: Platform, admin: Principal) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    lee = user(platform.db, "lee")
    assign(platform.db, lee, "Contributor", RG)
    ws = workspaces.create_workspace(platform, lee, "sub1", "rg1", "ws1")
    assert assignments_of(platform.db, lee) == [(RG.path, "Contributor"), (ws.scope.path, "Owner")]
    authz = rbac.Authorizer(platform.db, lee)
    authz.require(A.ROLE_ASSIGNMENTS_WRITE, ws.scope)
    assert not authz.can(A.ROLE_ASSIGNMENTS_WRITE, RG)


def test_creators_of_subscriptions_and_groups_become_owners(platform: Platform, admin: Principal) -> None:
    mia = user(platform.db, "mia")
    assign(platform.db, mia, "Contributor", ROOT)
    sub = subscriptions.create_subscription(platform, mia, "mine")
    group = subscriptions.create_resource_group(platform, mia, "mine", "g")
    assert assignments_of(platform.db, mia) == [("/", "Contributor"), (sub.scope.path, "Owner")]
    # Owner of the subscription already owns the group from above: no second assignment.
    assert group.scope.path not in [s for s, _ in assignments_of(platform.db, mia)]


def test_owners_from_above_get_no_new_assignment(platform: Platform, admin: Principal) -> None:
    before = assignments_of(platform.db, admin)
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    assert assignments_of(platform.db, admin) == before == [("/", "Owner")]


# deleting a scope removes the assignments under it


def test_deleting_a_workspace_removes_its_assignments_only(tree: Platform) -> None:
    nora = user(tree.db, "nora")
    for scope in (WS, Scope("sub1", "rg1", "ws10"), RG, Scope("sub2", "rg1", "ws1")):
        assign(tree.db, nora, "Reader", scope)
    workspaces.delete_workspace(tree, "sub1", "rg1", "WS1")
    assert [s for s, _ in assignments_of(tree.db, nora)] == [
        RG.path,
        "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws10",
        "/subscriptions/sub2/resourceGroups/rg1/workspaces/ws1",
    ]
    # a new workspace of the same name does not inherit the old one's assignments
    workspaces.create_workspace(tree, tree_admin(tree), "sub1", "rg1", "ws1")
    authz = rbac.Authorizer(tree.db, nora)
    assert authz.can(A.WORKSPACES_READ, WS)  # from the group
    assert [s for s, _ in assignments_of(tree.db, nora)].count(WS.path) == 0


def test_deleting_a_group_and_a_subscription_remove_their_assignments(tree: Platform) -> None:
    olga = user(tree.db, "olga")
    for scope in (SUB, RG, WS, Scope("sub1", "rg2"), Scope("sub2")):
        assign(tree.db, olga, "Reader", scope)
    workspaces.delete_resource_group(tree, "sub1", "rg1")
    assert [s for s, _ in assignments_of(tree.db, olga)] == [
        SUB.path,
        "/subscriptions/sub1/resourceGroups/rg2",
        "/subscriptions/sub2",
    ]
    workspaces.delete_resource_group(tree, "sub1", "rg2")
    subscriptions.delete_subscription(tree, "SUB1")
    assert [s for s, _ in assignments_of(tree.db, olga)] == ["/subscriptions/sub2"]


def tree_admin(platform: Platform) -> Principal:
    found = identity.find_user(platform.db, "root-admin")
    assert found is not None
    return Principal(found.id, PrincipalType.USER, found.username, "test")


def test_not_found_for_every_level() -> None:
    assert type(rbac.not_found_for(WS)) is WorkspaceNotFound
    assert type(rbac.not_found_for(RG)) is ResourceGroupNotFound
    assert type(rbac.not_found_for(SUB)) is SubscriptionNotFound
    assert type(rbac.not_found_for(ROOT)) is NotFound
    assert "ws1" in rbac.not_found_for(WS).message and "rg1" in rbac.not_found_for(WS).message
