"""Serve the studio (the web app built from ``studio/``) at ``/``, beside the API.

One route, added after every API router, answers GET and HEAD for paths outside the API's
prefixes: a file of the build when one matches (``/assets/*`` are content-hashed, so cached for a
year), else ``index.html`` so that the app's own router shows the page. The fallback answers only
``/`` and requests that accept HTML (a browser navigating): an API client that GETs an unknown
path still gets the JSON 404 of every other unknown path. The route is a plain Starlette route,
outside the OpenAPI document and the route table (it serves no data and needs no action).
When the app is not built, HTML requests get a short page naming the command that builds it.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import URLPath
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

STUDIO_DIR = Path(__file__).resolve().parent / "static" / "studio"
BUILD_COMMAND = "bash scripts/build-studio.sh"
# First path segments that belong to the server, never to the studio.
RESERVED = frozenset({"api", "mlflow", "docs", "redoc", "openapi.json", "health"})
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=3600"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mlyard studio is not built</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:640px;margin:12vh auto;padding:0 24px;color:#1b1f24}}
code{{background:#f0f2f5;padding:2px 6px;border-radius:4px}}</style></head>
<body><h1>mlyard studio is not built</h1>
<p>The API is running: see <a href="/api/v1/docs">/api/v1/docs</a>. To build the web app, run this
in the mlyard checkout (it needs Node.js 20 and npm), then reload:</p>
<p><code>{command}</code></p></body></html>
"""


def _reserved(path: str) -> bool:
    return path.lstrip("/").split("/", 1)[0] in RESERVED


def _accepts_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


class StudioRoute(BaseRoute):
    """The studio's files and its index.html fallback (see the module's docstring)."""

    def __init__(self, root: Path = STUDIO_DIR) -> None:
        self.root = root

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative or "\x00" in relative:
            return None
        candidate = (self.root / relative).resolve()
        # Never outside the build folder, whatever '..' or links the path holds.
        if not candidate.is_relative_to(self.root.resolve()) or not candidate.is_file():
            return None
        return candidate

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        path = scope["path"]
        if _reserved(path):
            return Match.NONE, {}
        if path == "/" or _accepts_html(scope) or self._file(path) is not None:
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.response(scope["path"])
        await response(scope, receive, send)

    def response(self, path: str) -> Response:
        index = self.root / "index.html"
        if not index.is_file():
            page = NOT_BUILT.format(command=html.escape(BUILD_COMMAND))
            return HTMLResponse(page, headers={"Cache-Control": REVALIDATE})
        found = self._file(path)
        if found is None or found == index.resolve():
            return FileResponse(index, media_type="text/html", headers={"Cache-Control": REVALIDATE})
        cache = IMMUTABLE if path.startswith("/assets/") else SHORT
        return FileResponse(found, headers={"Cache-Control": cache})


def mount_studio(app: FastAPI, root: Path = STUDIO_DIR) -> None:
    """Add the studio's route after every other route (it must never shadow one)."""
    app.router.routes.append(StudioRoute(root))
