"""The one place where errors become HTTP answers: ``{"error": {"code", "message", "target"}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlyard.core.errors import AuthenticationError, AuthorizationError, MlyardError
from mlyard.server.audit import ACTION_NOT_ALLOWED, audit_note

log = logging.getLogger("mlyard.server")

_HTTP_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
}


def _body(code: str, message: str, target: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "target": target}}


# MLflow's client reads ``error_code`` (e.g. ``get_experiment_by_name`` answers None on
# RESOURCE_DOES_NOT_EXIST), so the MLflow API under MLFLOW_PREFIX answers in MLflow's shape.
MLFLOW_PREFIX = "/mlflow/"
_MLFLOW_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "INVALID_STATE",
    413: "INVALID_PARAMETER_VALUE",
    503: "TEMPORARILY_UNAVAILABLE",
}
_MLFLOW_CODES_BY_NAME = {"AlreadyExists": "RESOURCE_ALREADY_EXISTS"}


def mlflow_error_code(status: int, code: str) -> str:
    """MLflow's ``error_code`` for one of our errors: by its status, or by its name where that says more."""
    if code == _HTTP_CODES[404]:
        # No such route: what MLflow's client hears from a server without the API, and falls back on.
        return "ENDPOINT_NOT_FOUND"
    for suffix, mlflow_code in _MLFLOW_CODES_BY_NAME.items():
        if code.endswith(suffix):
            return mlflow_code
    return _MLFLOW_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    target: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    if request.url.path.startswith(MLFLOW_PREFIX):
        body: dict[str, object] = {"error_code": mlflow_error_code(status, code), "message": message}
    else:
        body = dict(_body(code, message, target))
    return JSONResponse(body, status_code=status, headers=headers)


async def _mlyard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MlyardError)
    if isinstance(exc, AuthenticationError | AuthorizationError):
        note = audit_note(request)
        note.reason = note.reason or (exc.reason if isinstance(exc, AuthenticationError) else ACTION_NOT_ALLOWED)
    if exc.status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _respond(request, exc.status, exc.code, exc.message, exc.target, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    target = None
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        # A body that is not JSON at all is located at a character offset, not a field.
        where = "body" if err.get("type") == "json_invalid" else ".".join(loc) or "body"
        target = target or where
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return _respond(request, 400, "ValidationError", "The request is not valid: " + "; ".join(problems) + ".", target)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HttpError")
    message = str(exc.detail) if exc.detail else code
    if exc.status_code == 404 and message == "Not Found":
        message = f"No API at '{request.url.path}': see /api/v1/openapi.json for the routes."
    return _respond(request, exc.status_code, code, message, headers=exc.headers)


# Optional packages and the extra that brings each (pyproject.toml): a server installed without
# one still runs, and the feature that needs it says what to install instead of failing blindly.
_EXTRAS = {
    "duckdb": "data",
    "pyarrow": "data",
    "pandas": "data",
    "jupyter_server": "compute",
    "jupyterlab": "compute",
    "nbclient": "compute",
    "nbformat": "compute",
    "websockets": "compute",
    "ray": "ray",
    "psycopg": "postgres",
    "s3fs": "s3",
}


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    package = (exc.name or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
    if package in _EXTRAS:
        log.warning("%s %s needs the missing package '%s'", request.method, request.url.path, package)
        return _respond(
            request,
            501,
            "FeatureNotInstalled",
            f"This needs the package '{package}', which this server does not have: install it with "
            f"pip install 'mlyard[{_EXTRAS[package]}]' and restart the server.",
        )
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return _respond(request, 500, "InternalError", "The server failed unexpectedly; its log has the details.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MlyardError, _mlyard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
