"""``create_app(settings)``: builds the server's parts at call time, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import mlyard
from mlyard.core.settings import Settings
from mlyard.server.audit import AuditMiddleware
from mlyard.server.errors import install_error_handlers
from mlyard.server.routers import (
    audit,
    auth,
    datastores,
    deployments,
    experiments,
    groups,
    health,
    metrics,
    permissions,
    role_assignments,
    role_definitions,
    run_files,
    runs,
    service_principals,
    subscriptions,
    users,
    vault,
    workspaces,
)
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.store.database import Database

log = logging.getLogger("mlyard.server")

# One router per asset kind, one line each.
ROUTERS = (
    health.router,
    auth.router,
    subscriptions.router,
    workspaces.router,
    datastores.router,
    deployments.router,
    users.router,
    groups.router,
    service_principals.router,
    vault.router,
    audit.router,
    role_definitions.router,
    role_assignments.router,
    permissions.router,
    metrics.router,
    experiments.router,
    runs.router,
    run_files.router,
)


def build_platform(settings: Settings) -> Platform:
    options = {"endpoint_url": settings.s3_endpoint_url} if settings.s3_endpoint_url else {}
    return Platform(
        settings,
        Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms),
        open_blob_store(settings.storage_url, **options),
    )


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    platform = platform or build_platform(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        platform.db.dispose()
        log.info("mlyard server stopped")

    app = FastAPI(
        title="mlyard",
        version=mlyard.__version__,
        description="The REST API of mlyard, a self-hosted machine-learning workspace platform.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(AuditMiddleware, db=platform.db)
    for router in ROUTERS:
        app.include_router(router)
    return app
