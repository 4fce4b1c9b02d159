"""Naming rules for every named asset, checked once here and quoted in the errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlyard.core.errors import InvalidName


@dataclass(frozen=True)
class NameRule:
    kind: str
    min_length: int
    max_length: int
    pattern: re.Pattern[str]
    description: str

    def check(self, name: object, *, target: str | None = None) -> str:
        where = target or self.kind
        if not isinstance(name, str):
            raise InvalidName(f"The {self.kind} name must be a string.", target=where)
        if not self.min_length <= len(name) <= self.max_length or not self.pattern.fullmatch(name):
            raise InvalidName(f"'{name}' is not a valid {self.kind} name: {self.description}.", target=where)
        return name


WORKSPACE_NAME = NameRule(
    "workspace",
    3,
    33,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*"),
    "use 3 to 33 letters, digits, hyphens or underscores, starting with a letter or digit",
)
RESOURCE_GROUP_NAME = NameRule(
    "resource group",
    1,
    90,
    re.compile(r"[A-Za-z0-9_.()-]*[A-Za-z0-9_()-]"),
    "use 1 to 90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period",
)
SUBSCRIPTION_ID = NameRule(
    "subscription",
    1,
    64,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*"),
    "use 1 to 64 letters, digits, hyphens or underscores, starting with a letter or digit",
)
DATASTORE_NAME = NameRule(
    "datastore",
    1,
    255,
    re.compile(r"[A-Za-z0-9_]+"),
    "use letters, digits and underscores only",
)
USER_NAME = NameRule(
    "user",
    2,
    64,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*"),
    "use 2 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
)
DEPLOYMENT_NAME = NameRule(
    "deployment",
    1,
    64,
    re.compile(r"[A-Za-z0-9_.()-]+"),
    "use 1 to 64 letters, digits, underscores, hyphens, periods or parentheses",
)
TOKEN_NAME = NameRule(
    "token",
    1,
    100,
    re.compile(r"[^\x00-\x1f]+"),
    "use 1 to 100 printable characters",
)
# Azure Key Vault's rule, so that a secret name moves between the two unchanged.
SECRET_NAME = NameRule(
    "secret",
    1,
    127,
    re.compile(r"[A-Za-z0-9-]+"),
    "use 1 to 127 letters, digits or hyphens",
)


def name_key(name: str) -> str:
    """Names are unique without regard to case, as in Azure: this is the key they are unique on."""
    return name.lower()
