"""A run started by ``exp.start_logging()``: its id made here, its creation sent when needed.

``start_logging`` returns at once. The run's creation (display name, tags, parameters logged
before anything was sent) waits until something needs the server: reading a server-side fact
(``run.number``, ``get_details()``, ``status``...), any call that reaches the run's routes, or
the metrics sender's first batch. When the run finishes first — a short script: start, log a few
values, complete — one request creates it with its tags, parameters, queued metric points and
final status. A run still unsent ``LINGER`` seconds after it started is created by a background
thread, so that a long run shows in listings and the studio at once (Azure creates it within
``start_logging``). The id makes every retry safe: the server answers a repeated creation with the
same run (and 409 ``RunAlreadyExists`` for another body under that id), so a server that is
down or restarting is retried with backoff. Runs still not sent at interpreter exit are sent
then, like queued metrics.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
import uuid
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import MlyardError, ServiceUnreachable
from mlyard.sdk.client import Client
from mlyard.sdk.metrics_queue import MetricsQueue, series_of

if TYPE_CHECKING:
    from mlyard.sdk.run import Run

log = logging.getLogger(__name__)

RETRY_FOR = 120.0  # seconds a creation is retried while the server is unreachable or failing
# At exit, a run that nothing was logged to is retried this long only (its metrics, if any, are
# retried as long as the metrics queue's exit flush: the sender creates the run first).
EXIT_RETRY_FOR = 5.0
WHOLE_RUN_POINTS = 10_000  # at most this many queued points ride with a run's creation
LINGER = 0.2  # seconds a creation waits for the run to finish first (then one request does all)
TICK = 0.05  # the background sender wakes at most this often (a creation waits LINGER to LINGER + TICK)


class RunStart:
    """The not-yet-sent creation of one run; thread-safe, sent exactly once."""

    def __init__(self, run: Run, client: Client, url: str, body: dict[str, Any]) -> None:
        self._run = weakref.ref(run)
        self._client = client
        self._url = url
        self._body = {k: v for k, v in body.items() if v is not None}
        self._lock = threading.Lock()
        self._sent = False
        _PENDING.add(self)
        _LINGER.add(self)

    def add_params(self, params: dict[str, Any]) -> bool:
        """Add parameters to the creation; False when it is sent already or a key would change."""
        return self._merge("params", params)

    def add_tags(self, tags: dict[str, str]) -> bool:
        return self._merge("tags", tags)

    def _merge(self, field: str, values: dict[str, Any]) -> bool:
        with self._lock:
            if self._sent:
                return False
            held = self._body.setdefault(field, {})
            if field == "params" and any(k in held and held[k] != v for k, v in values.items()):
                return False  # write-once: let the server refuse the change
            held.update(values)
            return True

    def send(self, retry_for: float = RETRY_FOR) -> None:
        """Create the run on the server, if it is not yet."""
        with self._lock:
            if not self._sent:
                self._done(self._post(self._body, retry_for))

    def send_whole(self, final: dict[str, Any], queue: MetricsQueue | None) -> bool:
        """Create the run finished, with the points still queued, in one request. False when the
        run was sent already or a batch is on its way (the caller then finishes it as usual)."""
        with self._lock:
            if self._sent:
                return False
            points = queue.take_unsent(WHOLE_RUN_POINTS) if queue is not None else []
            if points is None:
                return False
            body = {**self._body, **final}
            if points:
                body["batchId"] = uuid.uuid4().hex
                body["series"] = series_of(points)
            try:
                details = self._post(body)
            finally:
                if points and queue is not None:
                    queue.acknowledge(len(points))  # stored, or refused for good (raised here)
            self._done(details)
            return True

    def _post(self, body: dict[str, Any], retry_for: float = RETRY_FOR) -> dict[str, Any]:
        delay, deadline = 0.1, time.monotonic() + retry_for
        while True:
            try:
                made: dict[str, Any] = self._client.post(self._url, body)
                return made
            except ServiceUnreachable:
                pass
            except MlyardError as exc:
                if exc.status < 500:
                    raise
            if time.monotonic() > deadline:
                raise ServiceUnreachable(
                    f"The run '{body['runId']}' could not be created in {retry_for:.0f} s: is the server up? "
                    "Calling the run again retries (its id makes that safe)."
                )
            log.debug("run %s not created yet; retrying in %.1f s", body["runId"], delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _done(self, details: dict[str, Any]) -> None:
        self._sent = True
        _PENDING.discard(self)
        run = self._run()
        if run is not None:
            run._details = details
            run._start = None


_PENDING: set[RunStart] = set()


class _Linger:
    """One daemon thread per process: sends the creations still unsent ``LINGER`` s after their
    run started. A refusal is left for the run's owner to meet on its next call (it sends again).

    The thread wakes at most once per ``TICK`` and takes every creation due by then, not once per
    run: a script that makes hundreds of short runs a second (each sent whole by ``complete()``,
    never by this thread) would otherwise pay two thread switches per run for nothing."""

    def __init__(self) -> None:
        self._due: deque[tuple[float, weakref.ref[RunStart]]] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, start: RunStart) -> None:
        with self._wake:
            self._due.append((time.monotonic() + LINGER, weakref.ref(start)))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="mlyard-run-start", daemon=True)
                self._thread.start()
            elif len(self._due) == 1:
                # The thread waits for an entry; an entry added behind others is never due sooner.
                self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._due:
                    self._wake.wait()
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(max(wait, TICK))
                    continue
                now, due = time.monotonic(), []
                while self._due and self._due[0][0] <= now:
                    due.append(self._due.popleft()[1])
            for ref in due:
                start = ref()
                if start is None:
                    continue
                try:
                    start.send()
                except MlyardError as exc:
                    log.debug("a run's creation was refused in the background: %s", exc)


_LINGER = _Linger()


@atexit.register
def _send_at_exit() -> None:
    for start in list(_PENDING):
        try:
            start.send(EXIT_RETRY_FOR)
        except MlyardError as exc:
            print(f"mlyard: a run was not created at exit: {exc}", file=sys.stderr)
