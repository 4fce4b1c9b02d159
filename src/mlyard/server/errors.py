"""The one place where errors become HTTP answers: ``{"error": {"code", "message", "target"}}``."""

from __future__ import annotations

import logging

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


async def _mlyard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MlyardError)
    if isinstance(exc, AuthenticationError | AuthorizationError):
        note = audit_note(request)
        note.reason = note.reason or (exc.reason if isinstance(exc, AuthenticationError) else ACTION_NOT_ALLOWED)
    if exc.status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=headers)


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
    return JSONResponse(
        _body("ValidationError", "The request is not valid: " + "; ".join(problems) + ".", target),
        status_code=400,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HttpError")
    message = str(exc.detail) if exc.detail else code
    if exc.status_code == 404 and message == "Not Found":
        message = f"No API at '{request.url.path}': see /api/v1/openapi.json for the routes."
    return JSONResponse(_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return JSONResponse(
        _body("InternalError", "The server failed unexpectedly; its log has the details."), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MlyardError, _mlyard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
