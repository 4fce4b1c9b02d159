"""How the SDK proves who it is: the authentication classes of ``azureml.core.authentication``.

Every class answers :meth:`AbstractAuthentication.get_token` with a bearer token for one
endpoint. Without an ``auth`` object the SDK uses ``MLYARD_TOKEN`` or the token that
``mlyard login`` (or ``mlyard up``) saved for the endpoint.
"""

from __future__ import annotations

import getpass
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mlyard.core.errors import AuthenticationError, ServiceUnreachable, ValidationError, error_from_body
from mlyard.sdk.client import API, Client, seg
from mlyard.sdk.config import WorkspaceConfig, resolve_endpoint, token_for

LOGIN_TOKEN_NAME = "sdk-login"


class AbstractAuthentication(ABC):
    """The base of every authentication class: a token for an endpoint."""

    @property
    def endpoint(self) -> str | None:
        """The server this object signs in to, when it names one."""
        return None

    @abstractmethod
    def get_token(self, endpoint: str) -> str:
        """A bearer token accepted by the server at ``endpoint``."""

    def get_authentication_header(self, endpoint: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.get_token(endpoint)}"}


class TokenAuthentication(AbstractAuthentication):
    """A token you already have: a personal access token from ``mlyard token create``."""

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValidationError("TokenAuthentication needs a non-empty token string.", target="token")
        self._token = token.strip()

    def get_token(self, endpoint: str) -> str:
        return self._token

    def __repr__(self) -> str:
        return "TokenAuthentication(token='***')"


class InteractiveLoginAuthentication(AbstractAuthentication):
    """Signs in with a user name and password, asking in the terminal for what was not given.

    The token is kept by this object for each endpoint, so one object prompts at most once.
    """

    def __init__(self, username: str | None = None, password: str | None = None, endpoint: str | None = None) -> None:
        self._username = username
        self._password = password
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._tokens: dict[str, str] = {}

    @property
    def endpoint(self) -> str | None:
        return self._endpoint

    @property
    def username(self) -> str | None:
        return self._username

    def get_token(self, endpoint: str) -> str:
        key = endpoint.rstrip("/")
        if key not in self._tokens:
            username, password = self._credentials(key)
            answer = login(key, username, password, token_name=LOGIN_TOKEN_NAME)
            self._username = username
            self._tokens[key] = str(answer["token"])
        return self._tokens[key]

    def _credentials(self, endpoint: str) -> tuple[str, str]:
        username, password = self._username, self._password
        if username and password:
            return username, password
        if not _in_terminal():
            missing = " and ".join(n for n, v in (("username", username), ("password", password)) if not v)
            raise AuthenticationError(
                f"InteractiveLoginAuthentication needs a {missing} for {endpoint}, and there is no terminal "
                "to ask in: pass username= and password=, or use TokenAuthentication."
            )
        if not username:
            username = input(f"Username for {endpoint}: ").strip()
        if not password:
            password = getpass.getpass(f"Password for {username}@{endpoint}: ")
        return username, password

    def __repr__(self) -> str:
        return f"InteractiveLoginAuthentication(username={self._username!r}, endpoint={self._endpoint!r})"


class ServicePrincipalAuthentication(AbstractAuthentication):
    """A service principal's client id and secret, for scripts and pipelines that run unattended.

    The secret is traded at the server's OAuth2 token endpoint (client-credentials grant) for a
    short-lived token, which this object keeps and renews a few minutes before it expires.
    The signature is Azure's so that code ports unchanged: ``tenant_id`` and ``cloud`` are
    accepted and ignored (an mlyard server is its own tenant). ``endpoint`` names the server when
    no config.json or saved login does.
    """

    #: Renew this long before expiry, so that a request never leaves with a token about to lapse.
    REFRESH_MARGIN = timedelta(minutes=5)

    def __init__(
        self,
        tenant_id: str | None,
        service_principal_id: str,
        service_principal_password: str,
        cloud: str = "AzureCloud",
        *,
        endpoint: str | None = None,
    ) -> None:
        for value, name in ((service_principal_id, "service_principal_id"), (service_principal_password, "password")):
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(
                    f"ServicePrincipalAuthentication needs a non-empty {name}: the client id and secret "
                    "that 'mlyard ad sp create' printed.",
                    target=name,
                )
        self.tenant_id = tenant_id
        self.service_principal_id = service_principal_id.strip()
        self._secret = service_principal_password
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._tokens: dict[str, tuple[str, datetime]] = {}  # endpoint -> (token, when to renew it)
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str | None:
        return self._endpoint

    def get_token(self, endpoint: str) -> str:
        key = endpoint.rstrip("/")
        with self._lock:
            cached = self._tokens.get(key)
            if cached is None or datetime.now(UTC) >= cached[1]:
                cached = self._exchange(key)
                self._tokens[key] = cached
            return cached[0]

    def _exchange(self, endpoint: str) -> tuple[str, datetime]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.service_principal_id,
            "client_secret": self._secret,
        }
        asked = datetime.now(UTC)
        try:
            response = httpx.post(f"{endpoint}{API}/oauth2/token", data=form, timeout=30)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(
                f"Cannot reach the mlyard server at {endpoint} ({type(exc).__name__}) to sign in the "
                "service principal: is it running?"
            ) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            error = error_from_body(response.status_code, body)
            error.message = (
                f"Cannot sign in service principal '{self.service_principal_id}' at {endpoint}: {error.message}"
            )
            raise error
        lifetime = int(body.get("expires_in", 0)) if isinstance(body, dict) else 0
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or lifetime <= 0:
            raise AuthenticationError(f"The server at {endpoint} sent no usable token for the service principal.")
        # A token shorter-lived than twice the margin is renewed at half its life instead.
        margin = min(self.REFRESH_MARGIN, timedelta(seconds=lifetime / 2))
        return token, asked + timedelta(seconds=lifetime) - margin

    def __repr__(self) -> str:
        return f"ServicePrincipalAuthentication(service_principal_id={self.service_principal_id!r}, password='***')"


class _Resigning(httpx.Auth):
    """Signs each request with the authentication's current token (renewed when it nears expiry)."""

    def __init__(self, auth: AbstractAuthentication, endpoint: str) -> None:
        self._auth = auth
        self._endpoint = endpoint

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._auth.get_token(self._endpoint)}"
        yield request


def _in_terminal() -> bool:
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


def login(endpoint: str, username: str, password: str, *, token_name: str | None = None) -> dict[str, Any]:
    """POST /auth/login: the new token's id, name, expiry and secret (``token``)."""
    client = Client(endpoint, None)
    try:
        body = {"username": username, "password": password}
        if token_name:
            body["tokenName"] = token_name
        answer: dict[str, Any] = client.post(f"{API}/auth/login", body)
    except AuthenticationError:
        raise AuthenticationError(
            f"Cannot sign in to {endpoint} as '{username}': the user name or password is wrong, "
            "or the account is disabled."
        ) from None
    finally:
        client.close()
    return answer


def connect(
    endpoint: str | None = None,
    auth: AbstractAuthentication | None = None,
    config: WorkspaceConfig | None = None,
) -> Client:
    """A client for the resolved endpoint, signed with ``auth`` or the saved credentials.

    The endpoint is the explicit one, else the one ``auth`` names, else config.json's, else
    ``MLYARD_ENDPOINT``, else the default of the saved credentials, else 127.0.0.1:8765.
    """
    resolved = resolve_endpoint(endpoint or (auth.endpoint if auth is not None else None), config)
    token = auth.get_token(resolved) if auth is not None else token_for(resolved)
    resign = _Resigning(auth, resolved) if isinstance(auth, ServicePrincipalAuthentication) else None
    return Client(resolved, token, auth=resign)


def whoami(client: Client) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{API}/me")
    return answer


def list_tokens(client: Client) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(f"{API}/me/tokens")
    return answer


def create_token(client: Client, name: str, expires_in_days: int | None = None) -> dict[str, Any]:
    """A new personal access token; the answer's ``token`` is its secret, shown only this once."""
    body: dict[str, Any] = {"name": name}
    if expires_in_days is not None:
        body["expiresInDays"] = expires_in_days
    answer: dict[str, Any] = client.post(f"{API}/me/tokens", body)
    return answer


def revoke_token(client: Client, token_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.delete(f"{API}/me/tokens/{seg(token_id)}")
    return answer
