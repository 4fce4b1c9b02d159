"""Start-up: migrate, bootstrap, serve; and a clean stop on SIGTERM (uvicorn's own handling)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import uvicorn

from mlyard.core.settings import Settings
from mlyard.server.app import build_platform, create_app
from mlyard.services.bootstrap import BootstrapResult, bootstrap
from mlyard.services.platform import Platform
from mlyard.store import migrate


@dataclass(frozen=True)
class Prepared:
    platform: Platform
    bootstrap: BootstrapResult
    revision: str | None


def prepare(settings: Settings, *, create_defaults: bool = True) -> Prepared:
    """Bring the store to the newest schema, check the blob store, create what a first start needs."""
    settings.home.mkdir(parents=True, exist_ok=True)
    platform = build_platform(settings)
    migrate.upgrade(platform.db.write_engine)
    platform.blobs.check()
    result = bootstrap(platform, create_defaults=create_defaults)
    return Prepared(platform, result, migrate.current_revision(platform.db.engine))


def serve(settings: Settings, platform: Platform) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, platform)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    uvicorn.Server(config).run()
