"""Subscriptions and resource groups: the namespaces above workspaces, where access is granted."""

from __future__ import annotations

from mlyard.core import actions as A
from mlyard.core.entities.hierarchy import ResourceGroup, Subscription
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    ResourceGroupAlreadyExists,
    ResourceGroupNotFound,
    ResourceNotEmpty,
    SubscriptionAlreadyExists,
    SubscriptionNotFound,
    ValidationError,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import RESOURCE_GROUP_NAME, SUBSCRIPTION_ID, name_key
from mlyard.core.scopes import Scope
from mlyard.services import rbac
from mlyard.services.platform import Platform
from mlyard.services.races import same_answer_as_late_caller
from mlyard.store.hierarchy import HierarchyRepository, ResourceGroupRow, SubscriptionRow

DEFAULT_LOCATION = "local"


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    if tags is None:
        return {}
    if len(tags) > 50:
        raise ValidationError("At most 50 tags are allowed.", target="tags")
    for key, value in tags.items():
        if not key or len(key) > 512 or len(str(value)) > 256:
            raise ValidationError(
                f"Tag '{key[:40]}' is invalid: keys take 1 to 512 characters, values up to 256.",
                target="tags",
            )
    return {str(k): str(v) for k, v in tags.items()}


def check_location(location: str | None) -> str:
    text = (location or DEFAULT_LOCATION).strip()
    if not text or len(text) > 64:
        raise ValidationError("A location takes 1 to 64 characters (default 'local').", target="location")
    return text


def _subscription_exists(subscription_id: str) -> SubscriptionAlreadyExists:
    return SubscriptionAlreadyExists(f"Subscription '{subscription_id}' already exists.", target="subscriptionId")


def _subscription_taken(p: Platform, subscription_id: str) -> SubscriptionAlreadyExists | None:
    with p.db.read() as session:
        found = HierarchyRepository(session).get_subscription_row(subscription_id)
        return _subscription_exists(found.subscription_id) if found is not None else None


def _group_exists(name: str, subscription_id: str) -> ResourceGroupAlreadyExists:
    return ResourceGroupAlreadyExists(
        f"Resource group '{name}' already exists in subscription '{subscription_id}'.", target="resourceGroupName"
    )


def _group_taken(p: Platform, subscription_id: str, name: str) -> ResourceGroupAlreadyExists | None:
    with p.db.read() as session:
        found = HierarchyRepository(session).get_resource_group_row(subscription_id, name)
        return _group_exists(found.name, found.subscription_id) if found is not None else None


# subscriptions


def create_subscription(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    display_name: str | None = None,
    tags: dict[str, str] | None = None,
) -> Subscription:
    SUBSCRIPTION_ID.check(subscription_id, target="subscriptionId")
    row = SubscriptionRow(
        subscription_id=subscription_id,
        id_key=name_key(subscription_id),
        display_name=(display_name or subscription_id)[:255],
        tags=check_tags(tags),
        created_at=utcnow(),
        created_by=actor.id,
    )
    with same_answer_as_late_caller(lambda: _subscription_taken(p, subscription_id)), p.db.write() as session:
        repo = HierarchyRepository(session)
        if repo.get_subscription_row(subscription_id) is not None:
            raise _subscription_exists(subscription_id)
        sub = repo.add_subscription(row)
    rbac.grant_creator_ownership(p.db, actor, sub.scope)
    return sub


def get_subscription(p: Platform, subscription_id: str) -> Subscription:
    with p.db.read() as session:
        row = HierarchyRepository(session).get_subscription_row(subscription_id)
        if row is None:
            raise rbac.not_found_for(Scope(subscription_id))
        return row.to_entity()


def list_subscriptions(p: Platform, authz: rbac.Authorizer) -> list[Subscription]:
    with p.db.read() as session:
        subs = HierarchyRepository(session).list_subscriptions()
    return [s for s in subs if authz.can(A.SUBSCRIPTIONS_READ, s.scope)]


def update_subscription(
    p: Platform, subscription_id: str, display_name: str | None = None, tags: dict[str, str] | None = None
) -> Subscription:
    with p.db.write() as session:
        row = HierarchyRepository(session).get_subscription_row(subscription_id)
        if row is None:
            raise rbac.not_found_for(Scope(subscription_id))
        if display_name is not None:
            row.display_name = display_name[:255]
        if tags is not None:
            row.tags = check_tags(tags)
        return row.to_entity()


def delete_subscription(p: Platform, subscription_id: str) -> None:
    with p.db.write() as session:
        repo = HierarchyRepository(session)
        row = repo.get_subscription_row(subscription_id)
        if row is None:
            raise rbac.not_found_for(Scope(subscription_id))
        groups = repo.list_resource_groups(subscription_id)
        if groups:
            raise ResourceNotEmpty(
                f"Subscription '{subscription_id}' still holds {len(groups)} resource group(s) "
                f"({', '.join(g.name for g in groups[:5])}): delete them first.",
                target="subscriptionId",
            )
        repo.delete(row)
    rbac.remove_assignments_under(p.db, Scope(subscription_id))


# resource groups


def create_resource_group(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    name: str,
    location: str | None = None,
    tags: dict[str, str] | None = None,
) -> ResourceGroup:
    RESOURCE_GROUP_NAME.check(name, target="resourceGroupName")
    with same_answer_as_late_caller(lambda: _group_taken(p, subscription_id, name)), p.db.write() as session:
        repo = HierarchyRepository(session)
        sub = repo.get_subscription_row(subscription_id)
        if sub is None:
            raise SubscriptionNotFound(f"Subscription '{subscription_id}' does not exist.", target="subscriptionId")
        if repo.get_resource_group_row(subscription_id, name) is not None:
            raise _group_exists(name, sub.subscription_id)
        row = ResourceGroupRow(
            id=new_id(),
            subscription_id=sub.subscription_id,
            name=name,
            name_key=name_key(name),
            location=check_location(location),
            tags=check_tags(tags),
            created_at=utcnow(),
            created_by=actor.id,
        )
        repo.add(row)
        group = row.to_entity()
    rbac.grant_creator_ownership(p.db, actor, group.scope)
    return group


def get_resource_group(p: Platform, subscription_id: str, name: str) -> ResourceGroup:
    with p.db.read() as session:
        row = HierarchyRepository(session).get_resource_group_row(subscription_id, name)
        if row is None:
            raise ResourceGroupNotFound(
                f"Resource group '{name}' was not found in subscription '{subscription_id}'.",
                target="resourceGroupName",
            )
        return row.to_entity()


def list_resource_groups(p: Platform, authz: rbac.Authorizer, subscription_id: str) -> list[ResourceGroup]:
    """The groups the caller may read; a subscription the caller sees nothing of is "not found",
    exactly as a missing one is, so that nobody can probe which subscription ids exist."""
    get_subscription(p, subscription_id)
    with p.db.read() as session:
        repo = HierarchyRepository(session)
        groups = repo.list_resource_groups(subscription_id)
        visible = [g for g in groups if authz.can(A.RESOURCE_GROUPS_READ, g.scope)]
        if not visible and not authz.can(A.SUBSCRIPTIONS_READ, Scope(subscription_id)):
            inside = repo.list_workspaces(subscription_id)
            if not any(authz.can(A.WORKSPACES_READ, w.scope) for w in inside):
                raise rbac.not_found_for(Scope(subscription_id))
    return visible


def update_resource_group(
    p: Platform, subscription_id: str, name: str, tags: dict[str, str] | None = None
) -> ResourceGroup:
    with p.db.write() as session:
        row = HierarchyRepository(session).get_resource_group_row(subscription_id, name)
        if row is None:
            raise ResourceGroupNotFound(
                f"Resource group '{name}' was not found in subscription '{subscription_id}'.",
                target="resourceGroupName",
            )
        if tags is not None:
            row.tags = check_tags(tags)
        return row.to_entity()
