"""How the SDK proves who it is: the authentication classes of ``azureml.core.authentication``.

Every class answers :meth:`AbstractAuthentication.get_token` with a bearer token for one
endpoint. Without an ``auth`` object the SDK uses ``MLYARD_TOKEN`` or the token that
``mlyard login`` (or ``mlyard up``) saved for the endpoint.
"""

from __future__ import annotations

import getpass
import sys
from abc import ABC, abstractmethod
from typing import Any

from mlyard.core.errors import AuthenticationError, ValidationError
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
    """A service principal's client id and secret (not available yet).

    The signature is Azure's, so that code ports unchanged; the server's OAuth2 token
    endpoint arrives with the access-control work, and until then this refuses clearly.
    """

    def __init__(self, tenant_id: str, service_principal_id: str, service_principal_password: str) -> None:
        self.tenant_id = tenant_id
        self.service_principal_id = service_principal_id
        raise ValidationError(
            "ServicePrincipalAuthentication is not available yet: service principals arrive with the "
            "access-control work (the server has no OAuth2 token endpoint so far). Use TokenAuthentication "
            "with a token from 'mlyard token create' meanwhile.",
            target="auth",
        )

    def get_token(self, endpoint: str) -> str:  # pragma: no cover - the constructor refuses
        raise ValidationError("ServicePrincipalAuthentication is not available yet.", target="auth")


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
    return Client(resolved, token)


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
