"""The server serves the studio at / (src/mlyard/server/studio.py): files of the build, the
index.html fallback for browser navigations, never over the API, and a build hint when unbuilt."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from mlyard.server.errors import install_error_handlers
from mlyard.server.studio import BUILD_COMMAND, IMMUTABLE, mount_studio

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
INDEX = "<!doctype html><title>studio</title>"


def make_client(root: Path) -> TestClient:
    app = FastAPI(docs_url=None, redoc_url=None)  # as create_app: the docs live under /api/v1
    install_error_handlers(app)

    @app.get("/api/v1/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    mount_studio(app, root)
    return TestClient(app)


@pytest.fixture
def built(tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "studio"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    with make_client(root) as client:
        yield client


def test_root_and_browser_navigations_get_the_app(built: TestClient) -> None:
    for url, headers in (("/", {}), ("/", HTML), ("/subscriptions/s/resourceGroups/r/workspaces/w/jobs", HTML)):
        reply = built.get(url, headers=headers)
        assert reply.status_code == 200, url
        assert reply.text == INDEX and reply.headers["content-type"].startswith("text/html")
        assert reply.headers["cache-control"] == "no-cache"


def test_assets_are_cached_for_a_year_and_other_files_briefly(built: TestClient) -> None:
    asset = built.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log('app')"
    assert asset.headers["cache-control"] == IMMUTABLE
    icon = built.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["cache-control"] == "public, max-age=3600"
    assert built.head("/assets/index-abc123.js").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v2", "/mlflow/nope", "/docs/x", "/health/x", "/redoc"])
def test_the_api_prefixes_are_never_the_app(built: TestClient, url: str) -> None:
    reply = built.get(url, headers=HTML)
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/json" and INDEX not in reply.text


def test_api_routes_answer_as_before(built: TestClient) -> None:
    assert built.get("/api/v1/thing", headers=HTML).json() == {"ok": "yes"}
    assert built.get("/health", headers=HTML).json() == {"status": "ok"}
    assert built.delete("/health").status_code == 405  # a wrong method stays a 405, not the app


def test_a_client_that_does_not_ask_for_html_gets_the_json_404(built: TestClient) -> None:
    reply = built.get("/nothing", headers={"Accept": "application/json"})
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "NotFound"
    assert built.get("/assets/missing.js").status_code == 404
    assert built.post("/some/page", headers=HTML).status_code == 404


@pytest.mark.parametrize("url", ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"])
def test_no_file_outside_the_build_is_served(built: TestClient, url: str) -> None:
    reply = built.get(url)
    assert "outside the build" not in reply.text


def test_an_unbuilt_studio_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with make_client(tmp_path / "not-built") as client:
        reply = client.get("/")
        assert reply.status_code == 200 and BUILD_COMMAND in reply.text
        assert "/api/v1/docs" in reply.text
        assert client.get("/workspaces/x", headers=HTML).text == reply.text
        assert client.get("/nothing").status_code == 404


def test_the_app_route_is_not_in_the_openapi_document(tmp_path: Path) -> None:
    app = FastAPI()
    mount_studio(app, tmp_path)
    assert app.openapi()["paths"] == {}
