"""The SDK's one HTTP client: bearer auth, JSON in and out, server errors raised as core errors."""

from __future__ import annotations

import os
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from mlyard.core.errors import AuthenticationError, ServiceUnreachable, error_from_body

API = "/api/v1"
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_MAX_URLS = 256  # parsed URLs kept per client (a bound: a long script touches many runs' paths)


def seg(value: str) -> str:
    """A path segment, escaped so that a name can never change the route."""
    return quote(value, safe="")


def workspace_path(subscription_id: str, resource_group: str, workspace_name: str | None = None) -> str:
    path = f"{API}/subscriptions/{seg(subscription_id)}/resourceGroups/{seg(resource_group)}"
    if workspace_name is not None:
        path += f"/workspaces/{seg(workspace_name)}"
    return path


class Client:
    """Talks to one mlyard server with one token."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._token = token
        self.timeout = timeout
        headers = {"User-Agent": "mlyard-sdk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        # Big downloads may bypass httpx (sdk/plain_get) only where httpx adds nothing: plain
        # HTTP, no transport or authentication of the caller's, no proxy from the environment.
        self.plain_http = (
            self.endpoint.lower().startswith("http://")
            and transport is None
            and auth is None
            and not any(os.environ.get(name) for name in _PROXY_VARIABLES)
        )
        # ``auth`` re-signs each request, for tokens that expire while the client lives.
        self._http = httpx.Client(
            base_url=self.endpoint, headers=headers, timeout=timeout, transport=transport, auth=auth
        )
        self._urls: dict[str, httpx.URL] = {}

    def url(self, path: str) -> httpx.URL | str:
        """The absolute URL of an API path, parsed once per path: httpx parses a path and merges
        it with the base URL (two parses) on every request, a cost that shows on the paths the SDK
        calls in a loop (a run's creation in its experiment). Other strings are left to httpx."""
        if not path.startswith("/") or path.startswith("//"):
            return path
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self.endpoint + path)
        return url

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        try:
            response = self._http.request(method, self.url(path), json=json, params=params)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(
                f"Cannot reach the mlyard server at {self.endpoint} ({type(exc).__name__}): is it running? "
                "Start one with 'mlyard up', or point MLYARD_ENDPOINT / config.json's 'endpoint' at yours."
            ) from None
        if response.status_code >= 400:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            self.raise_error(response.status_code, body)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def raise_error(self, status: int, body: Any) -> NoReturn:
        """Raise the server's error answer (``body``: its JSON, or its text) as its core class."""
        error = error_from_body(status, body)
        if isinstance(error, AuthenticationError) and not self._token:
            error.message += " (no saved credentials for this endpoint: run 'mlyard login')"
        raise error

    def lost_transfer(self, exc: Exception) -> ServiceUnreachable:
        """The error for a file transfer whose connection failed (``exc``: httpx's or the socket's)."""
        return ServiceUnreachable(
            f"Lost the mlyard server at {self.endpoint} during a file transfer ({type(exc).__name__}: {exc}); "
            "is it running? The transfer can be repeated."
        )

    def plain_headers(self) -> dict[str, str]:
        """The headers every request carries (the token, the user agent), for a request made
        outside httpx (``sdk/plain_get``)."""
        return dict(self._headers)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def post(self, path: str, json: Any = None, **params: Any) -> Any:
        return self.request("POST", path, json=json, params={k: v for k, v in params.items() if v is not None} or None)

    def put(self, path: str, json: Any = None) -> Any:
        return self.request("PUT", path, json=json)

    def patch(self, path: str, json: Any = None) -> Any:
        return self.request("PATCH", path, json=json)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params={k: v for k, v in params.items() if v is not None} or None)

    def close(self) -> None:
        self._http.close()
