"""Resource paths: the scope of an assignment and the address of every asset.

A scope is ``/`` (the whole installation), ``/subscriptions/S``,
``/subscriptions/S/resourceGroups/R`` or ``/subscriptions/S/resourceGroups/R/workspaces/W``.
Azure's long form of a workspace id
(``…/providers/Microsoft.MachineLearningServices/workspaces/W``) is accepted too.
Names compare without regard to case, as in Azure.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlyard.core.errors import InvalidScope

_ML_PROVIDER = "microsoft.machinelearningservices"


@dataclass(frozen=True)
class Scope:
    subscription: str | None = None
    resource_group: str | None = None
    workspace: str | None = None

    def __post_init__(self) -> None:
        if self.resource_group is not None and self.subscription is None:
            raise InvalidScope("A resource group scope needs its subscription.")
        if self.workspace is not None and self.resource_group is None:
            raise InvalidScope("A workspace scope needs its resource group.")

    @classmethod
    def root(cls) -> Scope:
        return cls()

    @classmethod
    def parse(cls, path: str) -> Scope:
        text = path.strip()
        if text in ("", "/"):
            return cls()
        parts = [p for p in text.strip("/").split("/")]
        if any(p == "" for p in parts):
            raise InvalidScope(f"Scope '{path}' has an empty segment.", target="scope")
        # Drop Azure's provider segment so that ARM-style workspace ids parse.
        if len(parts) >= 7 and parts[4].lower() == "providers" and parts[5].lower() == _ML_PROVIDER:
            parts = parts[:4] + parts[6:]
        keys = ["subscriptions", "resourcegroups", "workspaces"]
        values: list[str] = []
        for i in range(0, len(parts), 2):
            if i // 2 >= len(keys) or parts[i].lower() != keys[i // 2] or i + 1 >= len(parts):
                raise InvalidScope(
                    f"Scope '{path}' is not of the form /subscriptions/S[/resourceGroups/R"
                    "[/workspaces/W]] (or '/' for everything).",
                    target="scope",
                )
            values.append(parts[i + 1])
        values += [None] * (3 - len(values))  # type: ignore[list-item]
        return cls(values[0], values[1], values[2])

    @property
    def path(self) -> str:
        out = ""
        if self.subscription is not None:
            out += f"/subscriptions/{self.subscription}"
        if self.resource_group is not None:
            out += f"/resourceGroups/{self.resource_group}"
        if self.workspace is not None:
            out += f"/workspaces/{self.workspace}"
        return out or "/"

    @property
    def key(self) -> str:
        """The case-folded path, for storing and comparing scopes."""
        return self.path.lower()

    @property
    def level(self) -> str:
        if self.workspace is not None:
            return "workspace"
        if self.resource_group is not None:
            return "resourceGroup"
        if self.subscription is not None:
            return "subscription"
        return "root"

    def ancestors(self) -> list[Scope]:
        """This scope and every scope above it, innermost first."""
        out = [self]
        if self.workspace is not None:
            out.append(Scope(self.subscription, self.resource_group))
        if self.resource_group is not None:
            out.append(Scope(self.subscription))
        if self.subscription is not None:
            out.append(Scope())
        return out

    def contains(self, other: Scope) -> bool:
        """True when ``other`` is this scope or lies below it."""
        return any(a.key == self.key for a in other.ancestors())

    def __str__(self) -> str:
        return self.path
