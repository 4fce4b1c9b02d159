"""Property-based fuzzing of the whole REST API (schemathesis) against a real server.

The server is started for this module alone (``start_server``), because fuzzing creates
and deletes subscriptions, resource groups and workspaces. Every operation of the OpenAPI
document served at ``/api/v1/openapi.json`` is called with the admin's bearer token, with
valid and invalid inputs (schemathesis' positive and negative modes, coverage and
fuzzing phases). The properties:

- no answer is a 5xx (schemathesis' ``not_a_server_error`` check), and
- every 4xx answer has the body ``{"error": {"code", "message", "target"}}``.

Path parameters are, half of the time, the names of a subscription, resource group and
workspace that exist (so that request bodies reach the services instead of stopping at a
404), and random strings otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from tests.fixtures.server import RunningServer, start_server

FUZZ_SUBSCRIPTION = "fuzz-sub"
FUZZ_GROUP = "fuzz-rg"
FUZZ_WORKSPACE = "fuzz-ws"

DEFAULT_EXAMPLES = 15
SLOW_EXAMPLES = 150


def _config() -> SchemathesisConfig:
    """Schemathesis' settings for this module (no schemathesis.toml is read)."""
    return SchemathesisConfig.from_dict(
        {
            "dictionaries": {
                "subscriptions": {"values": [FUZZ_SUBSCRIPTION]},
                "groups": {"values": [FUZZ_GROUP]},
                "workspaces": {"values": [FUZZ_WORKSPACE]},
            },
            "parameters": {
                "path.subscriptionId": {"dictionary": "subscriptions", "probability": 0.5},
                "path.resourceGroupName": {"dictionary": "groups", "probability": 0.5},
                "path.workspaceName": {"dictionary": "workspaces", "probability": 0.5},
            },
            # Valid and invalid inputs; no example database written into the source tree.
            "generation": {"mode": "all", "database": "none"},
            "phases": {"coverage": {"enabled": True}, "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
            "request-timeout": 30,
        }
    )


def _ensure_hierarchy(client: httpx.Client) -> None:
    """Create the fuzz subscription, resource group and workspace unless they exist (after deletes)."""
    sub = f"/api/v1/subscriptions/{FUZZ_SUBSCRIPTION}"
    group = f"{sub}/resourceGroups/{FUZZ_GROUP}"
    steps = [
        (sub, "/api/v1/subscriptions", {"subscriptionId": FUZZ_SUBSCRIPTION}),
        (group, f"{sub}/resourceGroups", {"name": FUZZ_GROUP}),
        (f"{group}/workspaces/{FUZZ_WORKSPACE}", f"{group}/workspaces", {"name": FUZZ_WORKSPACE}),
    ]
    for get_path, post_path, body in steps:
        if client.get(get_path).status_code == 404:
            answer = client.post(post_path, json=body)
            assert answer.status_code in (201, 409), answer.text


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("mlyard-fuzz"))
    yield server
    code = server.stop()
    log = server.log()
    assert code == 0, f"the fuzzed server exited with {code}:\n{log[-4000:]}"
    assert "Traceback" not in log, f"the fuzzed server logged a traceback:\n{_tracebacks(log)}"


@pytest.fixture(scope="module")
def fuzz_client(fuzz_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=fuzz_server.endpoint,
        headers={"Authorization": f"Bearer {fuzz_server.token}"},
        timeout=30,
        trust_env=False,
    ) as client:
        _ensure_hierarchy(client)
        yield client


@pytest.fixture(scope="module")
def fuzz_session(fuzz_server: RunningServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # never a proxy: only 127.0.0.1
    yield session
    session.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: RunningServer, fuzz_client: httpx.Client) -> Any:
    return schemathesis.openapi.from_url(
        f"{fuzz_server.endpoint}/api/v1/openapi.json",
        config=_config(),
        timeout=10,
        proxies={"http": "", "https": ""},
    )


schema = schemathesis.pytest.from_fixture("api_schema")


def _tracebacks(log: str) -> str:
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if "Traceback" in line]
    return "\n---\n".join("\n".join(lines[max(0, i - 3) : i + 30]) for i in starts[:3])


def _describe(case: Any, response: Any) -> str:
    return (
        f"{case.method.upper()} {response.request.url} -> {response.status_code}\n"
        f"request body: {case.body!r}\nresponse: {response.content[:1000]!r}"
    )


def check_error_body(case: Any, response: Any) -> None:
    """A 4xx answer carries exactly ``{"error": {"code", "message", "target"}}``; under /mlflow/,
    MLflow's ``{"error_code", "message"}``, which the mlflow client reads."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        pytest.fail(f"4xx answer without a JSON body: {_describe(case, response)}")
    if case.path.startswith("/mlflow/"):
        assert isinstance(body, dict) and set(body) == {"error_code", "message"}, _describe(case, response)
        assert isinstance(body["error_code"], str) and body["error_code"], _describe(case, response)
        assert isinstance(body["message"], str) and body["message"], _describe(case, response)
        return
    assert isinstance(body, dict) and set(body) == {"error"}, _describe(case, response)
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "target"}, _describe(case, response)
    assert isinstance(error["code"], str) and error["code"], _describe(case, response)
    assert isinstance(error["message"], str) and error["message"], _describe(case, response)
    assert error["target"] is None or isinstance(error["target"], str), _describe(case, response)


# Routes that check credentials of their own (a password, a client secret, a one-time ticket):
# their 401 is about those, whatever bearer token comes along.
OWN_CREDENTIALS = frozenset(
    {"/api/v1/auth/login", "/api/v1/oauth2/token", "/api/v1/instances/{instanceId}/jupyter/open"}
)


def _run_case(case: Any, fuzz_server: RunningServer, fuzz_client: httpx.Client, fuzz_session: requests.Session) -> None:
    token = f"Bearer {fuzz_server.token}"
    response = case.call(session=fuzz_session, headers={"Authorization": token}, timeout=30)
    if response.status_code >= 500:
        pytest.fail(f"server error: {_describe(case, response)}\nserver log:\n{_tracebacks(fuzz_server.log())}")
    case.validate_response(response, checks=[not_a_server_error])
    check_error_body(case, response)
    sent = response.request.headers.get("Authorization")
    if response.status_code == 401 and sent == token and case.path not in OWN_CREDENTIALS:
        pytest.fail(f"the admin's token was refused: {_describe(case, response)}")
    if case.method.upper() == "DELETE" and response.status_code < 300:
        _ensure_hierarchy(fuzz_client)


# One test for every operation of the API: its time grows with the routes, past the suite's 300 s.
@pytest.mark.timeout(1200)
@schema.parametrize()
@settings(
    max_examples=DEFAULT_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(
    case: Any, fuzz_server: RunningServer, fuzz_client: httpx.Client, fuzz_session: requests.Session
) -> None:
    _run_case(case, fuzz_server, fuzz_client, fuzz_session)


@pytest.mark.slow
# Its time grows with the number of operations (150 examples each): well past the suite's 300 s.
@pytest.mark.timeout(2400)
@schema.parametrize()
@settings(
    max_examples=SLOW_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz_long(
    case: Any, fuzz_server: RunningServer, fuzz_client: httpx.Client, fuzz_session: requests.Session
) -> None:
    _run_case(case, fuzz_server, fuzz_client, fuzz_session)


def test_fuzzed_server_answers_after_fuzzing(fuzz_server: RunningServer, fuzz_client: httpx.Client) -> None:
    """After the fuzzing, the server still serves, and the default workspace was not harmed."""
    assert fuzz_client.get("/health").status_code == 200
    listed = fuzz_client.get("/api/v1/workspaces")
    assert listed.status_code == 200
    assert "default" in {w["name"] for w in listed.json()}
    assert Path(fuzz_server.home, "mlyard.db").is_file()
