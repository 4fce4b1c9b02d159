"""The scheduler's work on compute targets: what each target waits for (provision, start, stop,
restart, delete) and what scaling backends ask for (an owned Ray head scaled to zero or recorded),
each done by its backend in a worker thread, one at a time per target.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

from mlyard.core.entities.compute import ComputeTarget
from mlyard.services import compute_targets, ray_clusters
from mlyard.services.compute_backends import BackendRegistry
from mlyard.services.platform import Platform
from mlyard.store.compute import ComputeRepository

Spawn = Callable[[str, Callable[[], None]], None]


class TargetWork:
    def __init__(self, p: Platform, backends: BackendRegistry, spawn: Spawn, wake: Callable[[], None]) -> None:
        self.p = p
        self.backends = backends
        self._spawn = spawn
        self._wake = wake
        self._lock = threading.Lock()
        self._busy: set[str] = set()

    def busy(self) -> bool:
        with self._lock:
            return bool(self._busy)

    def run_due(self) -> None:
        """Start a worker for each target whose work is due and none is under way for."""
        with self.p.db.read() as session:
            pending = ComputeRepository(session).pending()
        for target in pending:
            self._worker(target, partial(compute_targets.apply_pending, self.p, self.backends, target))
        # Owned Ray heads: scaled to zero after their idle time, recorded when a job started one.
        for target, scaling in ray_clusters.due(self.p, self.backends):
            self._worker(target, scaling)

    def _worker(self, target: ComputeTarget, job: Callable[[], None]) -> None:
        with self._lock:
            if target.id in self._busy:
                return
            self._busy.add(target.id)

        def work() -> None:
            try:
                job()
            finally:
                with self._lock:
                    self._busy.discard(target.id)
                self._wake()

        self._spawn(f"mlyard-target-{target.name}", work)
