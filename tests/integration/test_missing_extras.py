"""A server installed without an optional extra answers the feature that needs it with what to install."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from mlyard.server.errors import install_error_handlers


def _app(missing: str) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/needs")
    def needs() -> None:
        raise ModuleNotFoundError(f"No module named '{missing}'", name=missing)

    return app


def _get(app: FastAPI) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/needs")

    return asyncio.run(call())


def test_a_missing_extra_is_a_501_that_names_the_extra() -> None:
    answer = _get(_app("duckdb.experimental"))
    assert answer.status_code == 501
    error = answer.json()["error"]
    assert error["code"] == "FeatureNotInstalled" and "pip install 'mlyard[data]'" in error["message"]


def test_any_other_missing_module_is_still_a_server_failure() -> None:
    answer = _get(_app("not_an_extra"))
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "InternalError"
