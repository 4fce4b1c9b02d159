"""The SDK's hot path for short runs against a test double of the HTTP layer (httpx.MockTransport):
one request per run, sent by ``complete()`` itself (no timer), the background sender for runs that
linger, and the client's parsed URLs."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from mlyard.sdk import run_start
from mlyard.sdk.client import Client
from mlyard.sdk.run_start import LINGER, TICK, RunStart

ENDPOINTS = ("http://127.0.0.1:8080", "http://host:1/prefix", "http://host:1/prefix/")
PATHS = (
    "/api/v1/subscriptions/a%2Fb/resourceGroups/r%20g/workspaces/w/experiments/e/runs",
    "/api/v1/runs?top=3",
    "/health",
)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_parsed_url_is_the_one_httpx_would_make(endpoint: str) -> None:
    client = Client(endpoint, "token")
    for path in PATHS:
        made = client.url(path)
        assert isinstance(made, httpx.URL) and made == client._http._merge_url(path)
        assert client.url(path) is made  # parsed once
    assert client.url("http://elsewhere/x") == "http://elsewhere/x"  # left to httpx
    assert client.url("//elsewhere/x") == "//elsewhere/x"


def test_the_parsed_urls_are_bounded() -> None:
    client = Client("http://127.0.0.1:8080", None)
    for i in range(1000):
        client.url(f"/api/v1/runs/{i}")
    assert 0 < len(client._urls) <= 256


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.threads: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.threads.append(threading.current_thread().name)
        return httpx.Response(201, json={"runId": body["runId"], "experimentName": "e", "status": "Running"})


class FakeRun:
    _details: dict[str, Any] | None = None
    _start: RunStart | None = None


def start(recorder: Recorder, run: FakeRun, run_id: str) -> RunStart:
    client = Client("http://127.0.0.1:8080", "token", transport=httpx.MockTransport(recorder))
    made = RunStart(run, client, "/api/v1/x/runs", {"runId": run_id, "displayName": None})  # type: ignore[arg-type]
    run._start = made
    return made


def test_a_run_finished_at_once_is_one_request_from_the_caller_without_waiting() -> None:
    recorder = Recorder()
    run = FakeRun()
    made = start(recorder, run, "a" * 32)
    assert made.add_params({"lr": 0.1}) and made.add_tags({"t": "1"})
    began = time.monotonic()
    assert made.send_whole({"status": "Completed"}, None)
    assert time.monotonic() - began < LINGER  # no timer on the way
    assert recorder.threads == [threading.current_thread().name]
    assert recorder.bodies == [{"runId": "a" * 32, "params": {"lr": 0.1}, "tags": {"t": "1"}, "status": "Completed"}]
    assert run._start is None and run._details is not None
    assert not made.send_whole({"status": "Completed"}, None) and not made.add_params({"x": 1})  # sent once


def test_runs_left_unsent_are_sent_by_the_background_thread_once_each() -> None:
    recorder = Recorder()
    runs = [FakeRun() for _ in range(5)]
    starts = [start(recorder, run, f"{i:032x}") for i, run in enumerate(runs)]
    starts[0].send_whole({"status": "Completed"}, None)  # finished first: never sent again
    deadline = time.monotonic() + 30
    while len(recorder.bodies) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(LINGER + 2 * TICK)  # nothing more comes
    assert sorted(b["runId"] for b in recorder.bodies) == [f"{i:032x}" for i in range(5)]
    assert recorder.threads.count("mlyard-run-start") == 4
    assert all(run._start is None for run in runs)
    assert not run_start._PENDING & set(starts)
