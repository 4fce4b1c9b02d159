"""``mlyard server`` on its production backends: PostgreSQL for metadata, S3 for blobs.

PostgreSQL comes from ``MLYARD_TEST_DATABASE_URL`` (a role that may create databases): each
test gets a fresh database and drops it afterwards; without the variable those tests are
skipped. S3 is moto's server mode on 127.0.0.1 (``tests/fixtures/moto.py``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.fixtures.moto import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, MotoS3
from tests.fixtures.server import ADMIN_PASSWORD, RunningServer, free_port, start_server
from tests.fixtures.store import postgres_database

from mlyard.store import migrate

PG_ENV = "MLYARD_TEST_DATABASE_URL"
API = "/api/v1"
PREFIX = "team/prod"
START_FAILS_WITHIN = 60.0


def head_revision() -> str:
    engine = create_engine("sqlite://")  # only to build Alembic's config: never connected
    try:
        head = migrate.head_revision(engine)
    finally:
        engine.dispose()
    assert head
    return head


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    yield from postgres_database("mlyard_e2e")


def s3_env(endpoint_url: str) -> dict[str, str]:
    return {
        "MLYARD_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        # Never ask an instance metadata service (off this machine) for credentials.
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLYARD_", "AWS_"))}
    env.update({"MLYARD_HOME": str(home), "PYTHONUNBUFFERED": "1", "COLUMNS": "400"})
    env.update(extra or {})
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str, float]:
    """Run ``python -m mlyard ARGS``; return its exit code, its output (whitespace collapsed) and the time taken."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mlyard", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    output = " ".join((done.stdout + done.stderr).decode(errors="replace").split())
    return done.returncode, output, time.monotonic() - started


def login(endpoint: str) -> httpx.Client:
    answer = httpx.post(
        f"{endpoint}{API}/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD, "tokenName": "backends-test"},
        timeout=30,
        trust_env=False,
    )
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    return httpx.Client(base_url=endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=60, trust_env=False)


def object_keys(moto: MotoS3, bucket: str, prefix: str = "") -> list[str]:
    reply: dict[str, Any] = moto.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in reply.get("Contents", []))


@pytest.fixture
def backend_server(tmp_path: Path, pg_url: str, moto_server: MotoS3, s3_bucket: str) -> Iterator[RunningServer]:
    server = start_server(
        tmp_path / "home",
        extra_env=s3_env(moto_server.endpoint_url),
        args=["server", "--database-url", pg_url, "--storage-url", f"s3://{s3_bucket}/{PREFIX}"],
    )
    try:
        yield server
    finally:
        code = server.stop()
    log = server.log()
    assert code == 0, f"exit code {code}:\n{log[-4000:]}"
    assert "Finished server process" in log
    assert "Traceback" not in log, log[-6000:]


def test_server_on_postgresql_and_s3(
    backend_server: RunningServer, pg_url: str, moto_server: MotoS3, s3_bucket: str
) -> None:
    log = " ".join(backend_server.log().split())
    assert "postgresql+psycopg://" in log and f"/{make_url(pg_url).database} " in log
    assert f"s3://{s3_bucket}/{PREFIX}" in log
    assert f":{make_url(pg_url).password}@" not in log, "the database password was printed"
    # The admin password came from MLYARD_ADMIN_PASSWORD: nothing generated, nothing written.
    assert not (backend_server.home / "admin-password").exists()
    assert "Created user admin with password" not in log

    # Migrated to the newest revision; one admin.
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
            assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["admin"]
    finally:
        engine.dispose()

    with login(backend_server.endpoint) as client:
        # `mlyard server` creates no default workspace.
        assert client.get(f"{API}/workspaces").json() == []
        made = client.post(f"{API}/subscriptions", json={"subscriptionId": "team", "tags": {"cost": "1"}})
        assert made.status_code == 201, made.text
        group = f"{API}/subscriptions/team/resourceGroups/prod"
        assert client.post(f"{API}/subscriptions/team/resourceGroups", json={"name": "prod"}).status_code == 201
        ids = {}
        for name in ("ws-purged", "ws-kept"):
            answer = client.post(f"{group}/workspaces", json={"name": name})
            assert answer.status_code == 201, answer.text
            body = answer.json()
            ids[name] = body["workspaceId"]
            assert body["storageAccount"]
            # The workspace's storage area is in the bucket, under the prefix.
            keys = object_keys(moto_server, s3_bucket, f"{PREFIX}/workspaces/{body['workspaceId']}/")
            marker_key = f"{PREFIX}/workspaces/{body['workspaceId']}/.workspace.json"
            assert marker_key in keys, keys
            marker = json.loads(moto_server.client().get_object(Bucket=s3_bucket, Key=marker_key)["Body"].read())
            where = f"/subscriptions/team/resourceGroups/prod/workspaces/{name}"
            assert marker == {"workspace": where, "id": ids[name]}
            stores = client.get(f"{group}/workspaces/{name}/defaultDatastore")
            assert stores.status_code == 200 and f"s3://{s3_bucket}/{PREFIX}/" in json.dumps(stores.json())
        assert sorted(w["name"] for w in client.get(f"{group}/workspaces").json()) == ["ws-kept", "ws-purged"]

        # deleteDependentResources=true removes the storage area too …
        deleted = client.delete(f"{group}/workspaces/ws-purged", params={"deleteDependentResources": "true"})
        assert deleted.status_code == 200, deleted.text
        assert len(deleted.json()["removed"]) == 4 and deleted.json()["kept"] == []
        assert object_keys(moto_server, s3_bucket, f"{PREFIX}/workspaces/{ids['ws-purged']}/") == []
        # … without it, the supporting resources (and their blobs) stay.
        deleted = client.delete(f"{group}/workspaces/ws-kept")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["removed"] == [] and len(deleted.json()["kept"]) == 4
        assert f"{PREFIX}/workspaces/{ids['ws-kept']}/.workspace.json" in object_keys(moto_server, s3_bucket)

        assert client.get(f"{group}/workspaces").json() == []
        assert client.delete(group).status_code == 200
        assert client.delete(f"{API}/subscriptions/team").status_code == 204
        assert client.get(f"{API}/subscriptions").json() == []

    # Nothing outside the prefix, and no leftover start-up probe.
    keys = object_keys(moto_server, s3_bucket)
    assert all(key.startswith(f"{PREFIX}/") for key in keys), keys
    assert not any(".mlyard-check" in key for key in keys), keys


def race(server: RunningServer, headers: dict[str, str], clients: int, steps: list[tuple[str, str, Any]]) -> list[Any]:
    """``clients`` threads send ``steps`` (method, path, body; a path may use ``{i}``), starting together."""
    barrier = threading.Barrier(clients, timeout=60)
    answers: list[tuple[int, str, str, int, str]] = []
    lock = threading.Lock()

    errors: list[str] = []

    def work(i: int) -> None:
        with httpx.Client(base_url=server.endpoint, headers=headers, timeout=120, trust_env=False) as c:
            barrier.wait()
            for step, (method, path, body) in enumerate(steps):
                sent = json.loads(json.dumps(body).replace("{i}", f"{i:02d}")) if body is not None else None
                try:
                    answer = c.request(method, path.replace("{i}", f"{i:02d}"), json=sent)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    answers.append((step, method, path, answer.status_code, answer.text))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], f"{errors[:3]}\n{server.log()[-6000:]}"
    failures = [a for a in answers if a[3] >= 500]
    assert failures == [], f"{failures[:3]}\n{server.log()[-6000:]}"
    return answers


def statuses_of(answers: list[Any], step: int) -> Counter[int]:
    return Counter(status for s, _method, _path, status, _text in answers if s == step)


def test_concurrent_writes_on_postgresql(backend_server: RunningServer) -> None:
    """20 clients write at once: no 5xx, nothing lost, one winner per contested name."""
    clients = 20
    with login(backend_server.endpoint) as client:
        headers = dict(client.headers)
    sub = f"{API}/subscriptions/conc"
    group = f"{sub}/resourceGroups/rg"
    answers = race(
        backend_server,
        headers,
        clients,
        [
            ("POST", f"{API}/subscriptions", {"subscriptionId": "conc"}),
            ("POST", f"{sub}/resourceGroups", {"name": "rg"}),
            ("POST", f"{group}/workspaces", {"name": "own-{i}"}),
            ("POST", f"{group}/workspaces", {"name": "contested"}),
            ("PATCH", f"{group}/workspaces/contested", {"tags": {"by": "{i}"}}),
        ],
    )
    assert statuses_of(answers, 0) == Counter({201: 1, 409: clients - 1})
    assert statuses_of(answers, 1) == Counter({201: 1, 409: clients - 1})
    assert statuses_of(answers, 2) == Counter({201: clients})
    assert statuses_of(answers, 3) == Counter({201: 1, 409: clients - 1})
    assert statuses_of(answers, 4) == Counter({200: clients})
    # A lost race answers what a later caller gets, never a bare Conflict (exist_ok relies on it).
    expected = {0: "SubscriptionAlreadyExists", 1: "ResourceGroupAlreadyExists", 3: "WorkspaceAlreadyExists"}
    for step, _method, _path, status, body in answers:
        if status == 409:
            assert json.loads(body)["error"]["code"] == expected[step], body
    with login(backend_server.endpoint) as client:
        names = sorted(w["name"] for w in client.get(f"{group}/workspaces").json())
        assert names == sorted(["contested", *(f"own-{i:02d}" for i in range(clients))])
        tags = client.get(f"{group}/workspaces/contested").json()["tags"]
        assert set(tags) == {"by"}


def test_racing_deletes_on_postgresql(backend_server: RunningServer, moto_server: MotoS3, s3_bucket: str) -> None:
    """20 clients delete one workspace, then its resource group, at once: never a 5xx.

    Each answer is 200, 404 or, for a request that lost the race inside the database
    (PostgreSQL runs writers side by side), 409 Conflict. More than one 200 is possible on
    PostgreSQL: requests that read the row before the first delete committed all delete it
    (DELETE is idempotent); afterwards it is gone, with its blobs.
    """
    clients = 20
    group = f"{API}/subscriptions/dels/resourceGroups/rg"
    with login(backend_server.endpoint) as client:
        headers = dict(client.headers)
        assert client.post(f"{API}/subscriptions", json={"subscriptionId": "dels"}).status_code == 201
        assert client.post(f"{API}/subscriptions/dels/resourceGroups", json={"name": "rg"}).status_code == 201
        made = [client.post(f"{group}/workspaces", json={"name": name}) for name in ("doomed", "inside")]
        assert [m.status_code for m in made] == [201, 201]
    answers = race(
        backend_server,
        headers,
        clients,
        [
            ("DELETE", f"{group}/workspaces/doomed?deleteDependentResources=true", None),
            ("DELETE", group, None),
        ],
    )
    for step in (0, 1):
        statuses = statuses_of(answers, step)
        assert statuses[200] >= 1 and set(statuses) <= {200, 404, 409}, (step, statuses)
        assert sum(statuses.values()) == clients
    with login(backend_server.endpoint) as client:
        assert client.get(f"{API}/subscriptions/dels/resourceGroups").json() == []
    for m in made:
        assert object_keys(moto_server, s3_bucket, f"{PREFIX}/workspaces/{m.json()['workspaceId']}/") == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_upgrade_then_already_at_head(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    env = cli_env(tmp_path / "home")
    shown = make_url(url).render_as_string(hide_password=True)
    head = head_revision()

    code, output, _ = run_cli(["db", "upgrade", "--database-url", url], env)
    assert code == 0, output
    assert f"{shown}: upgraded from empty to {head}" in output, output

    code, output, _ = run_cli(["db", "upgrade", "--database-url", url], env)
    assert code == 0, output
    assert f"{shown}: already at revision {head}" in output, output
    if make_url(url).password:
        assert f":{make_url(url).password}@" not in output


def test_unreachable_storage_fails_at_start(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    url = "s3://no-such-bucket/some/prefix"
    env = cli_env(tmp_path / "home", {**s3_env(f"http://127.0.0.1:{closed}"), "MLYARD_ADMIN_PASSWORD": ADMIN_PASSWORD})
    code, output, took = run_cli(
        ["server", "--storage-url", url, "--port", str(free_port())], env, timeout=START_FAILS_WITHIN + 30
    )
    assert code != 0, output
    assert took < START_FAILS_WITHIN, f"took {took:.1f} s: {output}"
    assert "Cannot start" in output, output
    assert url in output, output
    assert f"127.0.0.1:{closed}" in output, output
    assert "Traceback" not in output, output
    assert "Uvicorn running" not in output, output


def test_unreachable_database_fails_at_start(tmp_path: Path) -> None:
    closed = free_port()
    url = f"postgresql+psycopg://someone:s3cret-pw@127.0.0.1:{closed}/nowhere"
    env = cli_env(tmp_path / "home", {"MLYARD_ADMIN_PASSWORD": ADMIN_PASSWORD})
    code, output, took = run_cli(
        ["server", "--database-url", url, "--port", str(free_port())], env, timeout=START_FAILS_WITHIN + 30
    )
    assert code != 0, output
    assert took < START_FAILS_WITHIN, f"took {took:.1f} s: {output}"
    assert "Cannot start" in output, output
    assert f"postgresql+psycopg://someone:***@127.0.0.1:{closed}/nowhere" in output, output
    assert "s3cret-pw" not in output, output
    assert "Traceback" not in output, output
    assert re.search(r"connection (failed|refused)", output, re.IGNORECASE), output


def test_unsupported_database_url_fails_at_start(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home", {"MLYARD_ADMIN_PASSWORD": ADMIN_PASSWORD})
    code, output, _ = run_cli(["server", "--database-url", "mysql://u:pw-secret@127.0.0.1:1/db"], env)
    assert code != 0, output
    assert "Unsupported database URL" in output and "pw-secret" not in output, output
    assert "Traceback" not in output, output


def test_server_stops_cleanly_on_sigterm_with_postgresql(backend_server: RunningServer) -> None:
    """The fixture's own teardown checks exit code 0; here the stop is timed while a client holds a session."""
    with login(backend_server.endpoint) as client:
        assert client.get(f"{API}/workspaces").status_code == 200
        started = time.monotonic()
        assert backend_server.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 15
