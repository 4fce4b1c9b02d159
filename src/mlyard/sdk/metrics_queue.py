"""The SDK's metrics queue: ``log`` appends in memory, a daemon thread sends batches.

``log`` never waits for the network. A sender thread drains the queue every ``interval``
seconds, or as soon as ``wake_at`` points wait, groups the points by name into columnar series
and POSTs them as one batch with a fresh batch id. A connection error or a 5xx answer is
retried with the SAME batch (same id) and exponential backoff, so a server that restarts loses
nothing and stores nothing twice (the server ignores a batch id it has stored). A 4xx answer
(a finished run, a bad name) cannot succeed on retry: the batch is dropped and the error is
raised by the next ``flush``. ``flush`` waits until every point queued before it is
acknowledged; an ``atexit`` hook flushes what a script leaves behind.
"""

from __future__ import annotations

import atexit
import logging
import math
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from mlyard.core.errors import MetricsFlushTimeout, MlyardError, ServiceUnreachable
from mlyard.sdk.client import Client

log = logging.getLogger(__name__)

MAX_BATCH_POINTS = 50_000  # the server takes at most 100,000 points a batch
EXIT_FLUSH_TIMEOUT = 120.0
Point = tuple[str, int, float, int]  # name, step, value, timestamp (ms)


def _wire(values: list[float]) -> list[float | str]:
    """Non-finite values as the strings the server reads ("NaN", "Infinity", "-Infinity")."""
    if math.isfinite(sum(values)):  # one C loop: true for every series without NaN or ±inf
        return list(values)
    out: list[float | str] = []
    for v in values:
        if math.isfinite(v):
            out.append(v)
        elif v != v:
            out.append("NaN")
        else:
            out.append("Infinity" if v > 0 else "-Infinity")
    return out


def series_of(points: list[Point]) -> list[dict[str, Any]]:
    """Points grouped by name into columnar series, in the order they were logged."""
    grouped: dict[str, tuple[list[int], list[float], list[int]]] = {}
    for name, step, value, stamp in points:
        columns = grouped.get(name)
        if columns is None:
            columns = grouped[name] = ([], [], [])
        columns[0].append(step)
        columns[1].append(value)
        columns[2].append(stamp)
    return [
        {"name": name, "steps": steps, "values": _wire(values), "timestamps": stamps}
        for name, (steps, values, stamps) in grouped.items()
    ]


class MetricsQueue:
    """Points of one run waiting to be sent; one daemon sender thread, started on first use."""

    def __init__(
        self,
        client: Client,
        path: str,
        *,
        interval: float = 0.2,
        wake_at: int = 10_000,
        max_batch: int = MAX_BATCH_POINTS,
        max_backoff: float = 5.0,
        before_send: Callable[[], None] | None = None,
        defer_start: bool = False,
    ) -> None:
        self._client = client
        # Start the sender only once points have waited ``interval``: a short run finished sooner
        # (its points sent with its creation) never pays for a thread.
        self._defer_start = defer_start
        # Called before each batch goes out: a run made by the SDK is created on the server first.
        self._before_send = before_send
        self._url = f"{path}/metrics/batch"
        self._interval = interval
        self._wake_at = wake_at
        self._max_batch = max_batch
        self._max_backoff = max_backoff
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._pending: list[Point] = []
        self._queued = 0  # points ever queued
        self._acknowledged = 0  # points the server stored (or refused for good), in queue order
        self._errors: list[MlyardError] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        _LIVE.add(self)

    @property
    def waiting(self) -> int:
        """Points queued but not yet acknowledged."""
        with self._lock:
            return self._queued - self._acknowledged

    def log(self, name: str, value: float, step: int, timestamp: int) -> None:
        with self._lock:
            self._pending.append((name, step, value, timestamp))
            self._queued += 1
            crowded = len(self._pending) == self._wake_at
            self._closed = False  # logging again after stop() starts a sender again
            if self._thread is None:
                if self._defer_start and not crowded:
                    _start_later(self)
                else:
                    self._start()
        if crowded:
            self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every point queued before this call is stored; raise a 4xx the server gave."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._queued
            if self._thread is None and self._pending:
                self._closed = False
                self._start()
            self._wake.set()
            while self._acknowledged < target:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    missing = self._queued - self._acknowledged
                    raise MetricsFlushTimeout(
                        f"flush() timed out after {timeout} s with {missing} metric points still queued "
                        f"for {self._url.rsplit('/metrics', 1)[0]}: the server did not acknowledge them "
                        "(is it reachable?). They stay queued and are retried; call flush() again to wait."
                    )
                self._done.wait(left)
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    def close(self, timeout: float | None = None) -> None:
        """Flush, then stop the sender thread."""
        try:
            self.flush(timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        """Let the sender thread end once nothing is queued (a finished run's queue: one thread per
        finished run would pile up in a long process). A later ``log`` starts a new one."""
        with self._lock:
            self._closed = True
        self._wake.set()

    def take_unsent(self, limit: int) -> list[Point] | None:
        """Every queued point, taken out to be sent by the caller — or None when a batch is on its
        way or more than ``limit`` points wait. The caller must ``acknowledge`` them."""
        with self._lock:
            in_flight = self._queued - self._acknowledged - len(self._pending)
            if in_flight or len(self._pending) > limit:
                return None
            taken, self._pending = self._pending, []
            return taken

    def acknowledge(self, count: int) -> None:
        with self._lock:
            self._acknowledged += count
            self._done.notify_all()

    @property
    def sending(self) -> bool:
        """Whether a sender thread is alive."""
        with self._lock:
            return self._thread is not None

    # the sender thread

    def _start_if_waiting(self) -> None:
        with self._lock:
            if self._thread is None and self._pending:
                self._closed = False
                self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mlyard-metrics", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            while True:
                with self._lock:
                    taken = self._pending[: self._max_batch]
                    del self._pending[: self._max_batch]
                if not taken:
                    break
                self._send(taken)
                self.acknowledge(len(taken))
            with self._lock:
                if self._closed and not self._pending:
                    self._thread = None
                    return

    def _send(self, points: list[Point]) -> None:
        body = {"batchId": uuid.uuid4().hex, "series": series_of(points)}
        delay = 0.1
        while True:
            try:
                if self._before_send is not None:
                    self._before_send()
                self._client.request("POST", self._url, json=body)
                return
            except ServiceUnreachable as exc:
                reason: MlyardError = exc
            except MlyardError as exc:
                if exc.status < 500:
                    with self._lock:
                        self._errors.append(exc)
                    return
                reason = exc
            except Exception as exc:  # a bug or an odd transport failure must not kill the thread
                log.warning("sending metrics failed (%s); retrying", exc)
                reason = MlyardError(str(exc))
            log.debug("metrics batch not stored yet (%s); retrying in %.1f s", reason, delay)
            time.sleep(delay)
            delay = min(delay * 2, self._max_backoff)


_LIVE: weakref.WeakSet[MetricsQueue] = weakref.WeakSet()

# Queues whose sender starts later (``defer_start``), by when; one process-wide thread starts them.
_LATER: weakref.WeakKeyDictionary[MetricsQueue, float] = weakref.WeakKeyDictionary()
_LATER_LOCK = threading.Lock()
_later_thread: threading.Thread | None = None


def _start_later(queue: MetricsQueue) -> None:
    global _later_thread
    with _LATER_LOCK:
        _LATER.setdefault(queue, time.monotonic() + queue._interval)
        if _later_thread is None:
            _later_thread = threading.Thread(target=_start_due, name="mlyard-metrics-starter", daemon=True)
            _later_thread.start()


def _start_due() -> None:
    global _later_thread
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        with _LATER_LOCK:
            if not _LATER:
                _later_thread = None  # nothing waits: end (the next deferred queue starts another)
                return
            due = [q for q, when in _LATER.items() if when <= now]
            for queue in due:
                del _LATER[queue]
        for queue in due:
            queue._start_if_waiting()


@atexit.register
def _flush_at_exit() -> None:
    for queue in list(_LIVE):
        if queue.waiting == 0:
            continue
        try:
            queue.flush(EXIT_FLUSH_TIMEOUT)
        except MlyardError as exc:
            print(f"mlyard: metrics not stored at exit: {exc}", file=sys.stderr)
