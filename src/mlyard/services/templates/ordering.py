"""``dependsOn``: matching its entries to the template's resources, and ordering them.

An entry may be a resource id (from ``resourceId()``), ``type/name`` such as
``Microsoft.Storage/storageAccounts/st1``, a symbolic name, or a plain resource name
(which must then be unambiguous). Types match whether short or provider-qualified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates.kinds import FULL_TYPES, canonical_type


@dataclass(frozen=True)
class Node:
    where: str  # resources[2]
    type: str
    name: str
    symbolic: str | None
    depends_on: tuple[str, ...]
    strict: bool = True  # False: entries that match nothing are ignored (skipped resources)

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"

    def key(self) -> tuple[str, str]:
        return canonical_type(self.type), self.name.lower()


def parse_resource_id(resource_id: str) -> tuple[str, str] | None:
    """``(type, name)`` of an Azure-style id; None when it is not one."""
    parts = resource_id.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions" or not all(parts):
        return None
    rest = parts[2:]
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        if len(rest) == 2:
            return FULL_TYPES["resourceGroup"], rest[1]
        rest = rest[2:]
    if len(rest) < 4 or rest[0].lower() != "providers" or len(rest) % 2:
        return None
    namespace, pairs = rest[1], rest[2:]
    resource_type = "/".join([namespace, *pairs[0::2]])
    return resource_type, "/".join(pairs[1::2])


def _type_and_name(entry: str) -> tuple[str, str] | None:
    if entry.startswith("/"):
        return parse_resource_id(entry)
    parts = entry.split("/")
    if len(parts) >= 3 and len(parts) % 2 == 1 and all(parts):
        return "/".join([parts[0], *parts[1::2]]), "/".join(parts[2::2])
    return None


def _match(nodes: Sequence[Node], node: Node, entry: str, where: str) -> int | None:
    text = entry.strip()
    lowered = text.lower()
    for index, other in enumerate(nodes):
        if other.symbolic is not None and other.symbolic.lower() == lowered:
            return index
    parsed = _type_and_name(text)
    if parsed is not None:
        key = canonical_type(parsed[0]), parsed[1].lower()
        found = [i for i, other in enumerate(nodes) if other.key() == key]
        if found:
            return found[0]
    elif text.startswith("/"):
        raise InvalidTemplate(f"{where}: '{text}' is not a resource id that mlyard can read", target=where)
    by_name = [i for i, other in enumerate(nodes) if other.name.lower() == lowered]
    if len(by_name) > 1:
        labels = ", ".join(nodes[i].label for i in by_name)
        raise InvalidTemplate(
            f"{where}: '{text}' names several resources ({labels}); use resourceId() to say which one",
            target=where,
        )
    if by_name:
        return by_name[0]
    if not node.strict:
        return None
    raise InvalidTemplate(
        f"{where}: '{text}' matches no resource in the template; give a resourceId(), "
        "a resource name or a symbolic name of a resource declared in this template",
        target=where,
    )


def resolve_dependencies(nodes: Sequence[Node]) -> list[list[int]]:
    """For each node, the indexes of the nodes it depends on (in template order)."""
    result: list[list[int]] = []
    for node in nodes:
        found: set[int] = set()
        for position, entry in enumerate(node.depends_on):
            index = _match(nodes, node, entry, f"{node.where}.dependsOn[{position}]")
            if index is not None:
                found.add(index)
        result.append(sorted(found))
    return result


def topological_order(nodes: Sequence[Node], dependencies: Sequence[Sequence[int]]) -> list[int]:
    """Dependencies first; otherwise template order. A cycle is an error naming it."""
    done: set[int] = set()
    order: list[int] = []
    remaining = list(range(len(nodes)))
    while remaining:
        ready = next((i for i in remaining if all(d in done for d in dependencies[i])), None)
        if ready is None:
            cycle = _find_cycle(remaining, dependencies)
            path = " -> ".join(nodes[i].label for i in cycle)
            raise InvalidTemplate(
                f"{nodes[cycle[0]].where}.dependsOn: the resources depend on each other in a cycle: "
                f"{path}; remove one of these dependsOn entries",
                target=f"{nodes[cycle[0]].where}.dependsOn",
            )
        remaining.remove(ready)
        done.add(ready)
        order.append(ready)
    return order


def _find_cycle(remaining: list[int], dependencies: Sequence[Sequence[int]]) -> list[int]:
    left = set(remaining)
    path: list[int] = []
    current = remaining[0]
    while current not in path:
        path.append(current)
        current = next(d for d in dependencies[current] if d in left)
    return [*path[path.index(current) :], current]
