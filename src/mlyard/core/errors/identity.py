"""Errors of users, tokens, principals, groups, role definitions and assignments, and the vault."""

from __future__ import annotations

from mlyard.core.errors.base import Conflict, MlyardError, NotFound, ServiceUnavailable, ValidationError


class UserNotFound(NotFound):
    pass


class TokenNotFound(NotFound):
    pass


class RoleDefinitionNotFound(NotFound):
    pass


class RoleAssignmentNotFound(NotFound):
    pass


class UserAlreadyExists(Conflict):
    pass


class RoleAssignmentAlreadyExists(Conflict):
    pass


class PrincipalNotFound(NotFound):
    pass


class GroupNotFound(PrincipalNotFound):
    pass


class ServicePrincipalNotFound(PrincipalNotFound):
    pass


class GroupAlreadyExists(Conflict):
    pass


class ServicePrincipalAlreadyExists(Conflict):
    pass


class MembershipCycle(Conflict):
    pass


class LastOwner(Conflict):
    pass


class InvalidRoleDefinition(ValidationError):
    pass


class RoleNotAssignable(ValidationError):
    pass


class RoleDefinitionAlreadyExists(Conflict):
    pass


class RoleDefinitionInUse(Conflict):
    pass


class RoleDefinitionReadOnly(Conflict):
    pass


class MasterKeyError(ServiceUnavailable):
    """The vault cannot work: its master key is missing, malformed, unsafely stored or not the right one."""


class VaultIntegrityError(MlyardError):
    """A stored ciphertext failed authentication: it was altered, or moved to another secret."""


class SecretNotFound(NotFound):
    pass
