"""``create_app(settings)``: builds the server's parts at call time, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

import mlyard
from mlyard.backends import default_backends
from mlyard.core.settings import Settings
from mlyard.server.audit import AuditMiddleware
from mlyard.server.errors import install_error_handlers
from mlyard.server.routers import (
    audit,
    auth,
    compute_sizes,
    computes,
    datasets,
    datastore_files,
    datastores,
    deployments,
    environments,
    experiments,
    groups,
    health,
    instances,
    jobs,
    jupyter_proxy,
    metrics,
    mlflow_artifacts,
    mlflow_experiments,
    mlflow_runs,
    notebooks,
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
from mlyard.server.studio import mount_studio
from mlyard.services import duckdb_pool
from mlyard.services.platform import Platform, build_platform
from mlyard.services.scheduler import Scheduler

log = logging.getLogger("mlyard.server")

# One router per asset kind, one line each. The SDK's hot routes first: a request is matched
# router by router in this order, and no path of these two is one of another router's.
ROUTERS = (
    runs.router,
    metrics.router,
    health.router,
    auth.router,
    subscriptions.router,
    workspaces.router,
    datastores.router,
    datastore_files.router,
    datasets.router,
    deployments.router,
    users.router,
    groups.router,
    service_principals.router,
    vault.router,
    audit.router,
    role_definitions.router,
    role_assignments.router,
    permissions.router,
    experiments.router,
    run_files.router,
    computes.router,
    compute_sizes.router,
    instances.router,
    jupyter_proxy.router,
    notebooks.router,
    jobs.router,
    mlflow_artifacts.router,
    mlflow_experiments.router,
    mlflow_runs.router,
    environments.router,
)


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    platform = platform or build_platform(settings)
    backends = default_backends(settings)
    # Jobs keep running while the server stops: the next start adopts them (docs/compute.md).
    scheduler = Scheduler(platform, backends) if settings.scheduler else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            await anyio.to_thread.run_sync(scheduler.stop)
        proxy_client = getattr(app.state, "jupyter_http", None)  # made by the Jupyter proxy on first use
        if proxy_client is not None:
            await proxy_client.aclose()
        platform.db.dispose()
        duckdb_pool.close(platform.settings.home)  # the datasets' DuckDB database, if a read opened it
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
    app.state.backends = backends
    app.state.scheduler = scheduler
    install_error_handlers(app)
    app.add_middleware(AuditMiddleware, db=platform.db)
    for router in ROUTERS:
        app.include_router(router)
    mount_studio(app)  # last: the web app at / never shadows an API route
    return app
