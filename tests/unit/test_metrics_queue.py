"""The SDK's metrics queue against a test double of the HTTP layer (httpx.MockTransport)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable

import httpx
import pytest

from mlyard.core.errors import MetricsFlushTimeout, RunNotWritable
from mlyard.sdk.client import Client
from mlyard.sdk.metrics_queue import MetricsQueue, series_of
from mlyard.sdk.run_metrics import RunMetricsMixin, metric_value

PATH = "/api/v1/subscriptions/s/resourceGroups/r/workspaces/w/runs/abc"


class FakeServer:
    """Records the batches it stores; ``script`` answers each request (None: store and 200)."""

    def __init__(self, script: Callable[[int], httpx.Response | Exception | None] = lambda _: None) -> None:
        self.script = script
        self.requests: list[dict[str, object]] = []
        self.stored: dict[str, dict[str, object]] = {}
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.gate.wait(10)
        body = json.loads(request.content)
        self.requests.append(body)
        answer = self.script(len(self.requests))
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        duplicate = body["batchId"] in self.stored
        self.stored.setdefault(body["batchId"], body)
        return httpx.Response(200, json={"batchId": body["batchId"], "points": 0, "duplicate": duplicate})

    def points(self) -> list[tuple[str, int, object]]:
        return [
            (s["name"], step, value)
            for b in self.stored.values()
            for s in b["series"]  # type: ignore[attr-defined]
            for step, value in zip(s["steps"], s["values"], strict=True)
        ]


def queue(server: FakeServer, **options: float) -> MetricsQueue:
    client = Client("http://127.0.0.1:1", "token", transport=httpx.MockTransport(server))
    return MetricsQueue(client, PATH, max_backoff=0.05, **options)  # type: ignore[arg-type]


def test_points_are_grouped_by_name_into_columnar_series() -> None:
    got = series_of([("a", 0, 1.0, 10), ("b", 0, math.nan, 11), ("a", 1, math.inf, 12)])
    assert got == [
        {"name": "a", "steps": [0, 1], "values": [1.0, "Infinity"], "timestamps": [10, 12]},
        {"name": "b", "steps": [0], "values": ["NaN"], "timestamps": [11]},
    ]


def test_flush_waits_until_every_point_is_stored_in_batches() -> None:
    server = FakeServer()
    q = queue(server, interval=0.05, wake_at=1000, max_batch=1000)
    for i in range(2500):
        q.log("loss", float(i), i, 1000 + i)
    q.flush(10)
    assert q.waiting == 0
    assert [v for _, _, v in server.points()] == [float(i) for i in range(2500)]
    assert all(r["series"][0]["name"] == "loss" for r in server.requests)  # type: ignore[index]
    assert len(server.requests) >= 3


def test_log_never_waits_for_the_network() -> None:
    server = FakeServer()
    server.gate.clear()  # every request hangs until the gate opens
    q = queue(server, interval=0.01)
    q.log("m", 1.0, 0, 0)
    for i in range(20_000):
        q.log("m", 1.0, i + 1, 0)  # returns although the sender is stuck in a request
    assert q.waiting == 20_001
    with pytest.raises(MetricsFlushTimeout, match="20001 metric points still queued"):
        q.flush(0.2)
    server.gate.set()
    q.flush(10)
    assert len(server.points()) == 20_001


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "restarting"}}),
        httpx.Response(500, text="boom"),
    ],
    ids=["connect", "timeout", "503", "500"],
)
def test_failures_are_retried_with_the_same_batch_id(failure: httpx.Response | Exception) -> None:
    server = FakeServer(lambda n: failure if n <= 3 else None)
    q = queue(server, interval=0.01)
    for i in range(10):
        q.log("m", float(i), i, 0)
    q.flush(10)
    ids = [r["batchId"] for r in server.requests]
    assert len(ids) == 4 and len(set(ids)) == 1
    assert len(server.points()) == 10


def test_a_retry_after_a_lost_answer_is_stored_once() -> None:
    # The server stores the batch but the answer is lost: the retry carries the same id.
    server = FakeServer()
    lost = {"done": False}

    def transport(request: httpx.Request) -> httpx.Response:
        response = server(request)
        if not lost["done"]:
            lost["done"] = True
            raise httpx.ReadError("connection reset")
        return response

    client = Client("http://127.0.0.1:1", "token", transport=httpx.MockTransport(transport))
    q = MetricsQueue(client, PATH, interval=0.01, max_backoff=0.05)
    q.log("m", 1.0, 0, 0)
    q.flush(10)
    assert len(server.requests) == 2 and len(server.stored) == 1


def test_a_4xx_answer_is_raised_at_the_next_flush_and_later_points_still_go() -> None:
    refusal = httpx.Response(409, json={"error": {"code": "RunNotWritable", "message": "Run 'abc' is Completed"}})
    server = FakeServer(lambda n: refusal if n == 1 else None)
    q = queue(server, interval=0.01)
    q.log("m", 1.0, 0, 0)
    with pytest.raises(RunNotWritable, match="Completed"):
        q.flush(10)
    q.flush(10)  # raised once
    q.log("m", 2.0, 1, 0)
    q.flush(10)
    assert server.points() == [("m", 1, 2.0)]


class FakeRun(RunMetricsMixin):
    def __init__(self, client: Client) -> None:
        self._client = client
        self._path = PATH


def test_run_log_numbers_steps_per_name_and_checks_values() -> None:
    server = FakeServer()
    run = FakeRun(Client("http://127.0.0.1:1", "token", transport=httpx.MockTransport(server)))
    run.log("a", 1)
    run.log("a", True)
    run.log("b", 0.5, step=10)
    run.log("b", math.nan)
    run.log("a", 3.5)
    run.flush(10)
    assert sorted(server.points(), key=lambda p: (p[0], p[1])) == [
        ("a", 0, 1.0),
        ("a", 1, 1.0),
        ("a", 2, 3.5),
        ("b", 10, 0.5),
        ("b", 11, "NaN"),
    ]
    with pytest.raises(TypeError, match=r"Metric 'c': run\.log takes a number"):
        run.log("c", "high")
    with pytest.raises(TypeError, match="Metric 'c'"):
        run.log("c", [1.0])
    with pytest.raises(TypeError, match="step must be an int"):
        run.log("c", 1.0, step=1.5)  # type: ignore[arg-type]


def test_metric_value_takes_anything_with_float() -> None:
    class Scalar:  # as a numpy scalar: no numpy import needed
        def __float__(self) -> float:
            return 2.5

    assert metric_value("m", Scalar()) == 2.5
    assert metric_value("m", 3) == 3.0
