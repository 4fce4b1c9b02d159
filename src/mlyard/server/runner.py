"""Start-up: migrate, bootstrap, serve; and a clean stop on SIGTERM (uvicorn's own handling)."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType

import uvicorn

from mlyard.core.settings import Settings
from mlyard.server.app import create_app
from mlyard.services import crypto
from mlyard.services.bootstrap import BootstrapResult, bootstrap
from mlyard.services.platform import Platform, build_platform
from mlyard.store import migrate


@dataclass(frozen=True)
class Prepared:
    platform: Platform
    bootstrap: BootstrapResult
    revision: str | None


def prepare(settings: Settings, *, create_defaults: bool = True) -> Prepared:
    """Bring the store to the newest schema, check the blob store, create what a first start needs."""
    settings.home.mkdir(parents=True, exist_ok=True)
    # The vault's master key first: a bad or unsafe one stops the start before anything is changed.
    crypto.load_master_key(settings)
    platform = build_platform(settings)
    migrate.upgrade_or_explain(platform.db.write_engine, platform.db.display_url)
    platform.blobs.check()
    result = bootstrap(platform, create_defaults=create_defaults)
    return Prepared(platform, result, migrate.current_revision(platform.db.engine))


def serve(settings: Settings, platform: Platform) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, platform)
    # What start-up made (modules, routes, models) lives as long as the process: keep the
    # collector off it, and back on for what requests make (the CLI turned it off to start faster).
    gc.freeze()
    gc.enable()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
        server_header=False,
        # The Jupyter proxy carries kernels' WebSockets (server/routers/jupyter_proxy.py).
        ws="websockets-sansio",
    )
    _run_until_stopped(uvicorn.Server(config))


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    """Stands in for the default SIGINT/SIGTERM handlers while uvicorn serves (see below)."""


def _run_until_stopped(server: uvicorn.Server) -> None:
    """Serve until SIGINT or SIGTERM, then return normally so that the process exits with 0.

    uvicorn catches both signals for its graceful shutdown, then raises the caught signal
    again to the handler that was installed before it started: with the defaults the process
    would die of SIGTERM (-15) or end in KeyboardInterrupt (130) after a clean stop. A
    requested stop is not a failure, so those handlers are no-ops while it serves.
    """
    if threading.current_thread() is not threading.main_thread():
        server.run()
        return
    previous = {sig: signal.signal(sig, _stop_requested) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
