"""Request ids and the audit log, recorded from one place: a pure ASGI middleware.

The authentication and authorization dependencies (``server/deps.py``), the sign-in routes and
the error handlers write what they learn on the request's :class:`AuditNote`; once the
response's status is known, the middleware decides whether the request is worth a record and
writes it (one INSERT) before the status goes out, so that a caller who sees the answer can
already find its record. It is not a ``BaseHTTPMiddleware``, which would buffer streamed bodies.

Recorded: every request that reached authorization with a method other than GET/HEAD/OPTIONS and
an action other than a ``.../read`` (a run search POSTs its query), every sign-in, every denial
(401, 403, and the 404 that hides a scope) and every secret read. Other reads are not, to keep
the hot path cheap. A failed write is logged and counted, never passed on to the caller.

The tracking hot path (``IN_TRANSACTION``: runs and metrics written by the SDK many times a
second) pays no transaction of its own: the record of such a request is added to the request's
first write transaction as it commits, with the route's success status, so the change and its
record are stored together or not at all. When the answer's status turns out to be another (a
later step failed), the middleware appends a second record with the real outcome as before.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlyard.core import actions as A
from mlyard.core.entities.audit import AuditEntry, AuditResult
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.ids import utcnow
from mlyard.core.scopes import Scope as ResourceScope
from mlyard.services import audit, identity
from mlyard.store.database import Database

log = logging.getLogger("mlyard.server.audit")

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's request id is kept when it cannot smuggle anything into a log line or a header.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STATE_KEY = "audit"
# How a sign-in authenticated (requests with a token record their principal's auth_method).
PASSWORD = "password"
CLIENT_CREDENTIALS = "client_credentials"

# Reasons of a denial, as recorded.
SCOPE_NOT_VISIBLE = "ScopeNotVisible"
ACTION_NOT_ALLOWED = "ActionNotAllowed"
_FALLBACK_REASONS = {401: "AuthenticationFailed", 403: ACTION_NOT_ALLOWED}
# Actions whose record rides in the request's own write transaction (see the module docstring).
IN_TRANSACTION = frozenset({A.RUNS_WRITE})
_SESSION_KEY = "mlyard_audit_pending"


@dataclass
class AuditNote:
    """What the request's handlers learnt about it: who, what, where, and why it was refused."""

    request_id: str
    principal: Principal | None = None
    auth_method: str | None = None
    attempted_user: str | None = None
    action: str | None = None
    scope: ResourceScope | None = None
    reason: str | None = None
    sign_in: bool = False
    # Set by the middleware: the request's line and caller, for a record made in a transaction.
    method: str = ""
    target: str = ""
    address: str | None = None
    # The status a success answers with (the route's), and the status of a record stored with
    # the request's change (None: none stored yet).
    success_status: int = 200
    recorded_status: int | None = None


def audit_note(request: Request) -> AuditNote:
    """The note of this request (a throwaway one when the app runs without the middleware)."""
    note = getattr(request.state, _STATE_KEY, None)
    if not isinstance(note, AuditNote):
        note = AuditNote(request_id=new_request_id(None))
        setattr(request.state, _STATE_KEY, note)
    return note


def note_sign_in(request: Request, method: str, username: str | None = None) -> None:
    """Mark a sign-in (recorded whatever its outcome). ``username`` is the name that was tried:
    it is recorded only if a user has it, so that a password typed as a name never is."""
    note = audit_note(request)
    note.sign_in = True
    note.auth_method = method
    note.attempted_user = username


def note_principal(request: Request, principal: Principal) -> None:
    """Who the request turned out to be (a sign-in route says so once the credentials check out)."""
    audit_note(request).principal = principal


def new_request_id(given: str | None) -> str:
    if given is not None and _SAFE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def should_record(note: AuditNote, method: str, status: int) -> bool:
    if note.reason is not None or status in (401, 403) or note.sign_in:
        return True
    if note.action is None:
        return False  # never reached authorization: an unknown path, a public read
    if A.action_matches(A.SECRETS_READ, note.action):
        return True
    # A read action is a read whatever its method (a run search is a POST for its body).
    return method.upper() not in _READ_METHODS and not note.action.lower().endswith("/read")


_CURRENT: ContextVar[tuple[AuditMiddleware, AuditNote] | None] = ContextVar("mlyard_audit_note", default=None)


def _record_in_transaction(session: Session) -> None:
    """Session hook (before commit): add the request's record to its first write transaction."""
    current = _CURRENT.get()
    if current is None:
        return
    middleware, note = current
    if (
        note.recorded_status is not None
        or note.action not in IN_TRANSACTION
        or note.reason is not None
        or note.method in _READ_METHODS
        or _SESSION_KEY in session.info
        or session.get_bind() is not middleware.db.write_engine
    ):
        return
    entry = middleware._entry(note, note.method, note.target, note.success_status, note.address)
    audit.record_in(session, entry)
    session.info[_SESSION_KEY] = note


def _committed(session: Session) -> None:
    note = session.info.pop(_SESSION_KEY, None)
    if isinstance(note, AuditNote):
        note.recorded_status = note.success_status


def _rolled_back(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


def _listen_to_sessions() -> None:
    for name, hook in (("before_commit", _record_in_transaction), ("after_commit", _committed)):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
    if not event.contains(Session, "after_rollback", _rolled_back):
        event.listen(Session, "after_rollback", _rolled_back)


class AuditMiddleware:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db
        self._failures = 0
        self._lock = threading.Lock()
        _listen_to_sessions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        note = AuditNote(new_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER)))
        note.method = str(scope.get("method", ""))
        note.target = str(scope.get("path", ""))
        client = scope.get("client")
        note.address = str(client[0]) if client else None
        scope.setdefault("state", {})[_STATE_KEY] = note
        token = _CURRENT.set((self, note))
        try:
            await self._serve(scope, receive, send, note)
        finally:
            _CURRENT.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, note: AuditNote) -> None:
        started = False

        async def send_with_audit(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, note.request_id)
                await self._maybe_record(scope, note, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_with_audit)
        except Exception:
            # An unexpected failure: the outermost error middleware answers 500 after us.
            if not started:
                await self._maybe_record(scope, note, 500)
            raise

    async def _maybe_record(self, scope: Scope, note: AuditNote, status: int) -> None:
        method = str(scope.get("method", ""))
        if note.recorded_status == status:
            return  # stored with the request's change
        if should_record(note, method, status):
            note.recorded_status = status  # and no transaction of this request adds one any more
            client = scope.get("client")
            address = str(client[0]) if client else None
            await run_in_threadpool(self._write, note, method, str(scope.get("path", "")), status, address)

    def _write(self, note: AuditNote, method: str, target: str, status: int, address: str | None) -> None:
        try:
            audit.record(self.db, self._entry(note, method, target, status, address))
        except Exception as exc:
            with self._lock:
                self._failures += 1
                failures = self._failures
            # The class only: a driver's message may quote the statement's parameters.
            log.error(
                "audit record of request %s not written (%d failed so far): %s",
                note.request_id,
                failures,
                type(exc).__name__,
            )

    def _entry(self, note: AuditNote, method: str, target: str, status: int, address: str | None) -> AuditEntry:
        principal = note.principal
        if principal is None and note.auth_method == PASSWORD and note.attempted_user:
            user = identity.find_user(self.db, note.attempted_user)
            if user is not None:
                principal = Principal(user.id, PrincipalType.USER, user.username, PASSWORD)
        denied = note.reason is not None or status in (401, 403)
        return AuditEntry(
            at=utcnow(),
            principal_id=principal.id if principal else None,
            principal_type=principal.type.value if principal else None,
            principal_name=principal.name if principal else None,
            auth_method=principal.auth_method if principal else note.auth_method,
            action=note.action,
            scope=note.scope.path if note.scope is not None else None,
            target=target,
            method=method,
            status=status,
            result=AuditResult.DENIED if denied else AuditResult.ALLOWED,
            reason=(note.reason or _FALLBACK_REASONS.get(status, "Denied")) if denied else None,
            client_address=address,
            request_id=note.request_id,
        )
