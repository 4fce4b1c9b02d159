"""The SDK's one HTTP client: bearer auth, JSON in and out, server errors raised as core errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from mlyard.core.errors import AuthenticationError, ServiceUnreachable, error_from_body

API = "/api/v1"
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
        headers = {"User-Agent": "mlyard-sdk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
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
            error = error_from_body(response.status_code, body)
            if isinstance(error, AuthenticationError) and not self._token:
                error.message += " (no saved credentials for this endpoint: run 'mlyard login')"
            raise error
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

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
