"""The authenticated reverse proxy to compute instances' Jupyter servers: HTTP and WebSocket.

``/api/v1/instances/{instanceId}/jupyter/...`` is passed through, path and query unchanged, to
the instance's Jupyter (whose ``base_url`` is that prefix) on 127.0.0.1, with its token added;
the caller's own credentials never reach Jupyter. The caller is known by a bearer token or, for
a browser, by the cookie that ``GET .../jupyter/open?ticket=`` sets (see
:mod:`mlyard.services.compute_instances`). Each request checks, once, in :class:`ProxyAuthorize`:
the action of its HTTP verb at the instance's workspace (``workspaces/notebooks/vm/read`` for
GET, ``.../delete`` for DELETE, ``.../write`` otherwise), then that the caller is the
instance's owner or an Owner of the workspace. A request authenticated by the cookie that
changes something, and every WebSocket, must come from this server's own origin.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, cast
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends, Query, Request, WebSocket
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from mlyard.backends.jupyter import JupyterBackend
from mlyard.core import actions as A
from mlyard.core.entities.compute import ComputeType
from mlyard.core.errors import AuthenticationError, AuthorizationError, ComputeStateConflict, MlyardError
from mlyard.server.audit import audit_note
from mlyard.server.deps import AuthContext, Authorize, PlatformDep
from mlyard.services import compute_instances, identity
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer

COOKIE = "mlyard_jupyter"
PREFIX = "/api/v1/instances/{instanceId}/jupyter"
PROXIED = PREFIX + "/{path:path}"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
}
# Not passed to Jupyter: the caller's credentials, and what Jupyter would check against its own address.
NOT_FORWARDED = HOP_BY_HOP | {"authorization", "origin", "referer", "cookie"}
SAFE_METHODS = {"GET", "OPTIONS"}
# Sending to a browser that left: the socket is gone, or already closed from the other side.
BROWSER_GONE = (WebSocketDisconnect, WebSocketDisconnected)

router = APIRouter(tags=["compute instances"])


def _credentials(headers: object, cookies: dict[str, str]) -> tuple[str, bool]:
    """The caller's token and whether it came from the cookie."""
    auth = getattr(headers, "get")("authorization") or ""  # noqa: B009  # Headers of a request or a socket
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), False
    if cookies.get(COOKIE):
        return cookies[COOKIE], True
    raise AuthenticationError(
        "Open the instance from the studio or with 'mlyard compute open', or send a bearer token.",
        reason="MissingCredentials",
    )


def _same_origin(headers: object) -> bool:
    origin = getattr(headers, "get")("origin")  # noqa: B009
    return origin is None or urlsplit(origin).netloc == getattr(headers, "get")("host")  # noqa: B009


def _check(p: Platform, token: str, action: str, instance_id: str) -> AuthContext:
    principal = identity.authenticate_token(p.db, token)
    _, scope = compute_instances.authorize_proxy(p, principal, action, instance_id)
    return AuthContext(principal, Authorizer(p.db, principal), scope)


class ProxyAuthorize(Authorize):
    """The one check of a proxied request (bearer header or the browser's cookie), made at the
    instance's own workspace (hence ``per_item``: the path names no scope)."""

    def __call__(self, request: Request, platform: PlatformDep) -> AuthContext:  # type: ignore[override]
        note = audit_note(request)
        note.action = self.action
        token, by_cookie = _credentials(request.headers, dict(request.cookies))
        if by_cookie and request.method not in SAFE_METHODS and not _same_origin(request.headers):
            raise AuthorizationError("A cross-site request to an instance is refused.", target="origin")
        note.auth_method = "cookie" if by_cookie else "token"
        context = _check(platform, token, self.action, request.path_params["instanceId"])
        note.principal, note.scope = context.principal, context.scope
        return context


class TicketAuthorize(Authorize):
    """``/open``: the caller is known by the ticket in the query, redeemed once for the session."""

    def __call__(self, request: Request, platform: PlatformDep) -> AuthContext:  # type: ignore[override]
        note = audit_note(request)
        note.action = self.action
        ticket = request.query_params.get("ticket")
        if not ticket:
            raise AuthenticationError(
                "Opening an instance needs its ticket: POST .../computes/{name}/jupyter/open answers the URL.",
                reason="MissingCredentials",
            )
        note.auth_method = "ticket"
        context = _check(platform, ticket, self.action, request.path_params["instanceId"])
        note.principal, note.scope = context.principal, context.scope
        return context


Read = Annotated[AuthContext, Depends(ProxyAuthorize(A.NOTEBOOK_VM_READ, per_item=True))]
Write = Annotated[AuthContext, Depends(ProxyAuthorize(A.NOTEBOOK_VM_WRITE, per_item=True))]
Delete = Annotated[AuthContext, Depends(ProxyAuthorize(A.NOTEBOOK_VM_DELETE, per_item=True))]
Ticket = Annotated[AuthContext, Depends(TicketAuthorize(A.NOTEBOOK_VM_READ, per_item=True))]


def _endpoint(request: Request | WebSocket, instance_id: str) -> tuple[str, str]:
    backend = request.app.state.backends.get(ComputeType.COMPUTE_INSTANCE)
    found = backend.endpoint(instance_id) if isinstance(backend, JupyterBackend) else None
    if found is None:
        raise ComputeStateConflict(
            "The compute instance is not running: start it ('mlyard compute start -n NAME') and open it again.",
            target="instanceId",
        )
    return found


def _client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient | None = getattr(request.app.state, "jupyter_http", None)
    if client is None:
        # No read timeout: a kernel may take long to restart, a download to stream.
        client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10), follow_redirects=False)
        request.app.state.jupyter_http = client
    return client


def _upstream_headers(headers: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in NOT_FORWARDED]
    for name, value in headers:
        if name.lower() == "cookie":
            # Jupyter's own cookies (_xsrf, its user) pass; mlyard's session cookie does not.
            others = [c.strip() for c in value.split(";") if c.strip() and not c.strip().startswith(COOKIE + "=")]
            if others:
                # Stripped and joined anew: a value that starts with a space is refused by h11.
                kept.append(("cookie", "; ".join(others)))
    kept.append(("authorization", f"token {token}"))
    return kept


@router.get(PREFIX + "/open", include_in_schema=True)
def open_instance(instanceId: str, auth: Ticket, platform: PlatformDep, ticket: Annotated[str, Query()]) -> Response:
    """Redeem a ticket: set the session cookie (HttpOnly, SameSite=Strict, this instance's path) and
    redirect to JupyterLab."""
    secret, seconds = compute_instances.redeem_ticket(platform, instanceId, ticket)
    prefix = compute_instances.proxy_path(instanceId)
    response = RedirectResponse(prefix + "lab", status_code=303)
    secure = platform.settings.base_url.startswith("https://")
    response.set_cookie(COOKIE, secret, max_age=seconds, path=prefix, httponly=True, samesite="strict", secure=secure)
    return response


async def _forward(request: Request, instanceId: str) -> Response:
    base, token = await anyio.to_thread.run_sync(_endpoint, request, instanceId)
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    url = httpx.URL(base).copy_with(raw_path=raw_path + (b"?" + query if query else b""))
    has_body = request.method not in ("GET", "HEAD")
    upstream = _client(request).build_request(
        request.method,
        url,
        headers=_upstream_headers(request.headers.items(), token),
        content=request.stream() if has_body else None,
    )
    try:
        reply = await _client(request).send(upstream, stream=True)
    except ClientDisconnect:
        # The browser left while its body was being passed on (a tab closed mid-save): nobody to answer.
        return Response(status_code=499)
    except httpx.HTTPError as exc:
        raise ComputeStateConflict(
            f"The instance's Jupyter server did not answer ({type(exc).__name__}): it may be stopping.",
            target="instanceId",
        ) from None
    response = StreamingResponse(
        reply.aiter_raw(), status_code=reply.status_code, background=BackgroundTask(reply.aclose)
    )
    response.raw_headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in reply.headers.multi_items()
        if k.lower() not in HOP_BY_HOP
    ]
    return response


@router.api_route(PROXIED, methods=["GET"], include_in_schema=False)
async def proxy_read(request: Request, instanceId: str, path: str, auth: Read) -> Response:
    """Jupyter's pages, files and REST reads."""
    return await _forward(request, instanceId)


@router.api_route(PROXIED, methods=["POST", "PUT", "PATCH", "OPTIONS"], include_in_schema=False)
async def proxy_write(request: Request, instanceId: str, path: str, auth: Write) -> Response:
    """Jupyter's REST writes: save a notebook, start a kernel, ..."""
    return await _forward(request, instanceId)


@router.api_route(PROXIED, methods=["DELETE"], include_in_schema=False)
async def proxy_delete(request: Request, instanceId: str, path: str, auth: Delete) -> Response:
    """Jupyter's REST deletes: a file, a kernel, a session."""
    return await _forward(request, instanceId)


# -- WebSocket (kernels' channels, terminals) ---------------------------------------------------


@router.websocket(PROXIED)
async def proxy_socket(websocket: WebSocket, instanceId: str, path: str) -> None:
    """A kernel's channels or a terminal: the same check as a write, then frames both ways."""
    platform: Platform = websocket.app.state.platform
    try:
        token, _ = _credentials(websocket.headers, dict(websocket.cookies))
        if not _same_origin(websocket.headers):
            raise AuthorizationError("A cross-site WebSocket to an instance is refused.", target="origin")
        await anyio.to_thread.run_sync(_check, platform, token, A.NOTEBOOK_VM_WRITE, instanceId)
        base, jupyter_token = await anyio.to_thread.run_sync(_endpoint, websocket, instanceId)
    except MlyardError as exc:
        await websocket.close(code=1008, reason=exc.message[:120])
        return
    raw_path: bytes = websocket.scope.get("raw_path") or websocket.url.path.encode()
    query = websocket.scope.get("query_string", b"")
    url = "ws" + base[4:] + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    offered = [cast(Subprotocol, s) for s in websocket.scope.get("subprotocols", [])]
    try:
        async with connect(
            url,
            additional_headers={"Authorization": f"token {jupyter_token}"},
            subprotocols=offered or None,
            max_size=None,
            open_timeout=10,
        ) as upstream:
            await websocket.accept(subprotocol=upstream.subprotocol)
            await _relay(websocket, upstream)
    except (InvalidStatus, InvalidHandshake, OSError, TimeoutError):
        await websocket.close(code=1011, reason="the instance's Jupyter refused the connection")


async def _relay(websocket: WebSocket, upstream: object) -> None:
    from websockets.asyncio.client import ClientConnection

    assert isinstance(upstream, ClientConnection)

    async with anyio.create_task_group() as tasks:

        async def from_browser() -> None:
            try:
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    data = message.get("text") if message.get("text") is not None else message.get("bytes")
                    if data is not None:
                        await upstream.send(data)
            except ConnectionClosed:
                pass  # Jupyter ended the socket (the instance stopping) while a frame was on its way
            await upstream.close()
            tasks.cancel_scope.cancel()

        async def from_jupyter() -> None:
            try:
                async for data in upstream:
                    if isinstance(data, str):
                        await websocket.send_text(data)
                    else:
                        await websocket.send_bytes(data)
            except (ConnectionClosed, *BROWSER_GONE):
                pass  # Jupyter ended the socket, or the browser left (a tab closed) while a frame was on its way
            with anyio.CancelScope(shield=True), suppress(*BROWSER_GONE):
                await websocket.close()  # the browser may be gone already
            tasks.cancel_scope.cancel()

        tasks.start_soon(from_browser)
        tasks.start_soon(from_jupyter)
