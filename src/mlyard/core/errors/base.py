"""The root of the error tree, its kinds by HTTP status, the registry of codes, and errors
every part raises (names, blobs, config). See the tree in :mod:`mlyard.core.errors`."""

from __future__ import annotations

from typing import Any, ClassVar


class MlyardError(Exception):
    """Base of every mlyard error: a stable code, an HTTP status, a message, a target."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that does not name its own code is known by its class name.
        if "code" not in cls.__dict__:
            cls.code = cls.__name__
        _REGISTRY[cls.code] = cls

    def to_body(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": self.message, "target": self.target}}

    def __str__(self) -> str:
        return self.message


_REGISTRY: dict[str, type[MlyardError]] = {"InternalError": MlyardError}


class ValidationError(MlyardError):
    status = 400


class InvalidName(ValidationError):
    pass


class InvalidTemplate(ValidationError):
    pass


class InvalidConfig(ValidationError):
    pass


class InvalidBlobPath(ValidationError):
    pass


class InvalidScope(ValidationError):
    pass


class AuthenticationError(MlyardError):
    code = "AuthenticationFailed"
    status = 401

    def __init__(self, message: str, *, target: str | None = None, reason: str = "InvalidCredentials") -> None:
        super().__init__(message, target=target)
        # A category for the audit log (MissingCredentials, InvalidCredentials, ...); never sent.
        self.reason = reason


class AuthorizationError(MlyardError):
    code = "AuthorizationFailed"
    status = 403


class NotFound(MlyardError):
    status = 404


class BlobNotFound(NotFound):
    pass


class Conflict(MlyardError):
    status = 409


class ResourceNotEmpty(Conflict):
    pass


class ServiceUnavailable(MlyardError):
    status = 503


class ServiceUnreachable(MlyardError):
    """The client could not reach the server at all (raised by the SDK only)."""

    status = 503


def error_class(code: str) -> type[MlyardError]:
    return _REGISTRY.get(code, MlyardError)


def error_from_body(status: int, body: Any) -> MlyardError:
    """Rebuild the error that the server sent; unknown codes fall back on the status' class."""
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        cls = _REGISTRY.get(detail["code"])
        message = str(detail.get("message") or detail["code"])
        target = detail.get("target")
        if cls is None:
            cls = _class_for_status(status)
        err = cls(message, target=target if isinstance(target, str) else None)
        return err
    return _class_for_status(status)(f"HTTP {status}: {str(body)[:500]}")


def _class_for_status(status: int) -> type[MlyardError]:
    by_status: dict[int, type[MlyardError]] = {
        400: ValidationError,
        401: AuthenticationError,
        403: AuthorizationError,
        404: NotFound,
        409: Conflict,
        503: ServiceUnavailable,
    }
    if status == 422:
        return ValidationError
    return by_status.get(status, MlyardError)
