"""Browser tests of the studio: one real ``mlyard up`` and one headless chromium for the session.

Fixtures:

- ``studio``: the running server (base URL, the admin's user name and password, an API token,
  ``api()`` an httpx client, ``workspace(sub, rg, name)`` creating one through the API and
  ``sdk_workspace(...)`` the SDK's ``Workspace`` for it);
- ``page``: a fresh browser context at 1280x800, already signed in, animations off; an uncaught
  exception in the app fails the test;
- ``anon_page``: the same, signed out (sign-in and sign-out tests);
- ``shot``: ``shot(page, name)`` saves ``artifacts/screenshots/<name>.png``.

They need Debian's chromium at /usr/bin/chromium, the playwright package and a built studio
(``bash scripts/build-studio.sh``). Without one of them the tests skip with the reason, except
under CI (the variable ``CI`` set), where a missing piece is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.fixtures.server import ADMIN_PASSWORD, RunningServer, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from mlyard import Workspace

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
STUDIO_INDEX = ROOT / "src" / "mlyard" / "server" / "static" / "studio" / "index.html"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
TOKEN_KEY = "mlyard.token"  # studio/src/api/client.ts
# No transitions or animations, so that screenshots and assertions never catch one half-way.
NO_MOTION = """
document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(style);
});
window.__MLYARD_NO_ANIMATION__ = true;
"""


def missing(reason: str) -> None:
    """Skip locally; fail under CI, where the studio and the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run)")
    pytest.skip(reason)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Studio:
    server: RunningServer
    username: str
    password: str
    token: str

    @property
    def base_url(self) -> str:
        return self.server.endpoint

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        )

    def workspace(self, sub: str, rg: str, name: str, **body: Any) -> dict[str, Any]:
        """Create (or find) subscription, resource group and workspace through the API; the workspace's JSON."""
        with self.api() as client:
            for path, payload in (
                ("/api/v1/subscriptions", {"subscriptionId": sub}),
                (f"/api/v1/subscriptions/{sub}/resourceGroups", {"name": rg}),
            ):
                answer = client.post(path, json=payload)
                assert answer.status_code in (201, 409), answer.text
            path = f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces"
            answer = client.post(path, json={"name": name, **body})
            if answer.status_code == 409:
                answer = client.get(f"{path}/{name}")
            assert answer.status_code in (200, 201), answer.text
            result: dict[str, Any] = answer.json()
            return result

    def sdk_workspace(self, sub: str, rg: str, name: str) -> Workspace:
        """The SDK's Workspace for one that exists (create it with ``workspace`` first)."""
        from mlyard import TokenAuthentication, Workspace

        return Workspace.get(
            name, auth=TokenAuthentication(self.token), subscription_id=sub, resource_group=rg, endpoint=self.base_url
        )

    def url(self, sub: str, rg: str, ws: str, section: str = "") -> str:
        """The studio URL of a workspace section (relative to base_url)."""
        base = f"/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}"
        return f"{base}/{section}" if section else base


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    if not STUDIO_INDEX.is_file():
        missing(f"the studio is not built ({STUDIO_INDEX} is missing): run 'bash scripts/build-studio.sh'")
    server = start_server(tmp_path_factory.mktemp("mlyard-studio"))
    try:
        login = httpx.post(
            f"{server.endpoint}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD, "tokenName": "browser-tests"},
            timeout=30,
            trust_env=False,
        )
        assert login.status_code == 201, login.text
        yield Studio(server, "admin", ADMIN_PASSWORD, login.json()["token"])
    finally:
        code = server.stop()
        log = server.log()
        server.reap_leftovers()
    assert code == 0, f"the studio's server exited with {code}:\n{log[-4000:]}"
    assert "Traceback" not in log, f"the studio's server logged a traceback:\n{log[-6000:]}"


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is started, and every later test that calls asyncio.run() (anyio, the ASGI tests) fails.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _page(browser: Browser, studio: Studio, token: str | None) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=studio.base_url, reduced_motion="reduce")
    context.add_init_script(NO_MOTION)
    if token:
        # Signed in from the first page on: the studio reads its token from localStorage.
        context.add_init_script(
            f"try {{ if (!sessionStorage.getItem('mlyard.tested')) {{ sessionStorage.setItem('mlyard.tested', '1');"
            f" localStorage.setItem('{TOKEN_KEY}', '{token}'); }} }} catch (e) {{}}"
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"the studio threw in the browser: {errors}"


@pytest.fixture
def page(browser: Browser, studio: Studio) -> Iterator[Page]:
    yield from _page(browser, studio, studio.token)


@pytest.fixture
def anon_page(browser: Browser, studio: Studio) -> Iterator[Page]:
    yield from _page(browser, studio, None)


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """``shot(page, name)``: a screenshot of the viewport in artifacts/screenshots/<name>.png."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
