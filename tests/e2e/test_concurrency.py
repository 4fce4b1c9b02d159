"""Many clients writing at once through the API of a real server on its default SQLite store.

The server runs with its defaults (SQLite in WAL mode, a local blob folder); every client is a
thread with its own ``httpx.Client`` (its own connections). The properties: no answer is a
5xx or mentions "database is locked", every create that answered 201 is then present, the
counts are exact, and the server's log has neither "database is locked" nor a traceback.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from tests.fixtures.server import RunningServer, start_server

API = "/api/v1"
CLIENTS = 50
WORKSPACES_PER_CLIENT = 3
T = TypeVar("T")


@dataclass
class Outcome:
    """What one client sent and was answered."""

    index: int = 0
    answers: list[tuple[str, str, int, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    tagged: dict[str, dict[str, str]] = field(default_factory=dict)
    listed: list[list[str]] = field(default_factory=list)

    def record(self, response: httpx.Response) -> httpx.Response:
        self.answers.append((response.request.method, response.request.url.path, response.status_code, response.text))
        return response


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("mlyard-concurrency"))
    assert "sqlite" in server.log()
    yield server
    server.stop()


def new_client(server: RunningServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.endpoint,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=120,
        trust_env=False,
    )


def all_at_once(count: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(i, barrier)`` in ``count`` threads; each waits on the barrier before its first request."""
    barrier = threading.Barrier(count, timeout=60)
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(work, i, barrier) for i in range(count)]
        return [f.result(timeout=300) for f in futures]


def new_subscription(server: RunningServer) -> str:
    sub = f"conc-{uuid.uuid4().hex[:10]}"
    with new_client(server) as client:
        answer = client.post(f"{API}/subscriptions", json={"subscriptionId": sub})
        assert answer.status_code == 201, answer.text
    return sub


def check_answers(outcomes: list[Outcome], server: RunningServer) -> Counter[int]:
    statuses: Counter[int] = Counter()
    for outcome in outcomes:
        for method, path, status, text in outcome.answers:
            statuses[status] += 1
            assert status < 500, f"{method} {path} -> {status}: {text}"
            assert "database is locked" not in text.lower(), f"{method} {path} -> {status}: {text}"
    log = server.log()
    assert "database is locked" not in log.lower(), log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    return statuses


def test_fifty_clients_write_at_once(sqlite_server: RunningServer) -> None:
    sub = new_subscription(sqlite_server)

    def client_work(i: int, barrier: threading.Barrier) -> Outcome:
        out = Outcome(index=i)
        group = f"{API}/subscriptions/{sub}/resourceGroups/rg-{i:02d}"
        with new_client(sqlite_server) as client:
            barrier.wait()
            created = out.record(client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": f"rg-{i:02d}"}))
            if created.status_code != 201:
                return out
            for w in range(WORKSPACES_PER_CLIENT):
                name = f"ws-{i:02d}-{w}"
                answer = out.record(client.post(f"{group}/workspaces", json={"name": name, "tags": {"client": str(i)}}))
                if answer.status_code == 201:
                    out.created.append(answer.json()["id"])
            if out.created:
                tags = {"client": str(i), "updated": "yes"}
                name = out.created[0].rsplit("/", 1)[1]
                answer = out.record(client.patch(f"{group}/workspaces/{name}", json={"tags": tags}))
                if answer.status_code == 200:
                    out.tagged[out.created[0]] = tags
            listed = out.record(client.get(f"{group}/workspaces"))
            if listed.status_code == 200:
                out.listed.append(sorted(w["id"] for w in listed.json()))
        return out

    outcomes = all_at_once(CLIENTS, client_work)
    statuses = check_answers(outcomes, sqlite_server)
    assert sum(statuses.values()) == CLIENTS * (2 + WORKSPACES_PER_CLIENT + 1)
    assert statuses == Counter({201: CLIENTS * (1 + WORKSPACES_PER_CLIENT), 200: CLIENTS * 2}), statuses

    # Nothing lost: every 201 is there, and nothing else is.
    created = sorted(ws for out in outcomes for ws in out.created)
    assert len(created) == CLIENTS * WORKSPACES_PER_CLIENT
    for out in outcomes:
        # Each client's own list, read after its writes, saw all of its workspaces.
        assert out.listed == [sorted(out.created)]
    with new_client(sqlite_server) as client:
        everything = client.get(f"{API}/workspaces", params={"subscriptionId": sub})
        assert everything.status_code == 200
        found = {w["id"]: w for w in everything.json()}
        assert sorted(found) == created
        groups = client.get(f"{API}/subscriptions/{sub}/resourceGroups")
        assert groups.status_code == 200
        assert sorted(g["name"] for g in groups.json()) == [f"rg-{i:02d}" for i in range(CLIENTS)]
        for out in outcomes:
            for ws_id, tags in out.tagged.items():
                assert found[ws_id]["tags"] == tags
            for ws_id in out.created[1:]:
                assert found[ws_id]["tags"] == {"client": str(out.index)}
            for ws_id in out.created:
                # Each workspace is whole: its datastores were written in the same transaction.
                stores = client.get(f"{API}{ws_id}/datastores")
                assert stores.status_code == 200, stores.text
                assert {d["name"] for d in stores.json()} == {"workspaceblobstore", "workspacefilestore"}
    check_answers(outcomes, sqlite_server)


def test_racing_creates_of_one_name_make_one_workspace(sqlite_server: RunningServer) -> None:
    """50 clients create the same workspace at once: exactly one 201, every other answer 409."""
    sub = new_subscription(sqlite_server)
    group = f"{API}/subscriptions/{sub}/resourceGroups/race"
    with new_client(sqlite_server) as client:
        assert client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": "race"}).status_code == 201

    def client_work(i: int, barrier: threading.Barrier) -> Outcome:
        out = Outcome()
        with new_client(sqlite_server) as client:
            barrier.wait()
            answer = out.record(client.post(f"{group}/workspaces", json={"name": "contested", "tags": {"by": str(i)}}))
            if answer.status_code == 201:
                out.created.append(answer.json()["workspaceId"])
        return out

    outcomes = all_at_once(CLIENTS, client_work)
    statuses = check_answers(outcomes, sqlite_server)
    assert statuses == Counter({201: 1, 409: CLIENTS - 1}), statuses
    for out in outcomes:
        for _method, _path, status, text in out.answers:
            if status == 409:
                assert '"WorkspaceAlreadyExists"' in text
    (winner,) = [ws for out in outcomes for ws in out.created]
    with new_client(sqlite_server) as client:
        listed = client.get(f"{group}/workspaces").json()
    assert [(w["name"], w["workspaceId"]) for w in listed] == [("contested", winner)]


def test_readers_and_writers_mixed(sqlite_server: RunningServer) -> None:
    """Readers of long lists never wait on writers, and never see a half-written workspace."""
    sub = new_subscription(sqlite_server)
    with new_client(sqlite_server) as client:
        assert client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": "mixed"}).status_code == 201
    group = f"{API}/subscriptions/{sub}/resourceGroups/mixed"

    def client_work(i: int, barrier: threading.Barrier) -> Outcome:
        out = Outcome()
        with new_client(sqlite_server) as client:
            barrier.wait()
            for round_ in range(3):
                if i % 2:
                    answer = out.record(client.post(f"{group}/workspaces", json={"name": f"m-{i:02d}-{round_}"}))
                    if answer.status_code == 201:
                        out.created.append(answer.json()["id"])
                else:
                    listed = out.record(client.get(f"{group}/workspaces"))
                    if listed.status_code == 200:
                        body: list[dict[str, Any]] = listed.json()
                        # A listed workspace always has its four supporting resources.
                        assert all(len(w["supportingResources"]) == 4 for w in body)
                        out.listed.append(sorted(w["id"] for w in body))
        return out

    outcomes = all_at_once(CLIENTS, client_work)
    statuses = check_answers(outcomes, sqlite_server)
    writers = CLIENTS // 2
    assert statuses == Counter({201: writers * 3, 200: (CLIENTS - writers) * 3}), statuses
    created = sorted(ws for out in outcomes for ws in out.created)
    assert len(created) == writers * 3
    for out in outcomes:
        for seen in out.listed:
            assert set(seen) <= set(created)
    with new_client(sqlite_server) as client:
        assert sorted(w["id"] for w in client.get(f"{group}/workspaces").json()) == created


def test_racing_deletes_of_one_workspace(sqlite_server: RunningServer) -> None:
    """50 clients delete the same workspace at once: exactly one 200, every other answer 404."""
    sub = new_subscription(sqlite_server)
    group = f"{API}/subscriptions/{sub}/resourceGroups/doomed"
    with new_client(sqlite_server) as client:
        assert client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": "doomed"}).status_code == 201
        made = client.post(f"{group}/workspaces", json={"name": "goner"})
        assert made.status_code == 201, made.text
    storage = sqlite_server.home / "blobs" / "workspaces" / made.json()["workspaceId"]
    assert storage.is_dir()

    def client_work(i: int, barrier: threading.Barrier) -> Outcome:
        out = Outcome(index=i)
        with new_client(sqlite_server) as client:
            barrier.wait()
            out.record(client.delete(f"{group}/workspaces/goner", params={"deleteDependentResources": "true"}))
        return out

    outcomes = all_at_once(CLIENTS, client_work)
    statuses = check_answers(outcomes, sqlite_server)
    assert statuses == Counter({200: 1, 404: CLIENTS - 1}), statuses
    with new_client(sqlite_server) as client:
        assert client.get(f"{group}/workspaces").json() == []
    assert not any(path.is_file() for path in storage.rglob("*"))
