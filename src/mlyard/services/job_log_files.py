"""``./logs`` of a running job uploaded as it is written, not only at the end (Azure ML streams
``logs/`` too), so that a long job's own log files can be read while it runs.

Every ``LOG_SYNC_SECONDS`` the scheduler hands each running job whose backend has a local
working folder to :func:`sync`, in a worker thread (one at a time per job): the files under
``logs/`` whose size or modification time changed since the last look are uploaded as the run
files ``logs/<name>`` (overwriting the earlier copy). The upload at the end of the job still
takes every file; it waits for a sync under way, so that an older copy never lands after it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from mlyard.core.errors import MlyardError
from mlyard.services import run_files
from mlyard.services.platform import Platform

log = logging.getLogger("mlyard.scheduler")

LOG_SYNC_SECONDS = 5.0
MAX_FILES = 200  # a job that writes more log files gets them at its end only


@dataclass
class LogFiles:
    """What one job's ``logs/`` held at the last look: (size, mtime) by relative name."""

    seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    last: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def due(self, now: float) -> bool:
        return now - self.last >= LOG_SYNC_SECONDS and not self.lock.locked()


def changed(folder: Path, seen: dict[str, tuple[int, int]]) -> list[tuple[str, Path, tuple[int, int]]]:
    """The files of ``folder/logs`` that are new or changed since ``seen``."""
    base = folder / "logs"
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.rglob("*"))[:MAX_FILES]:
        if not path.is_file() or path.is_symlink():
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        name = path.relative_to(folder).as_posix()
        mark = (stat.st_size, stat.st_mtime_ns)
        if seen.get(name) != mark:
            found.append((name, path, mark))
    return found


def sync(p: Platform, run_id: str, workspace_id: str, folder: Path | None, files: LogFiles) -> int:
    """Upload the changed log files; answers how many. Failures wait for the next look."""
    from mlyard.services.job_lifecycle import file_chunks, writable_run  # the lifecycle imports this module

    if folder is None:
        return 0
    count = 0
    with files.lock:
        todo = changed(folder, files.seen)
        if not todo:
            return 0
        run = writable_run(p, workspace_id, run_id)
        for name, path, mark in todo:
            try:
                run_files.upload(p, run, name, file_chunks(path), overwrite=True)
            except (MlyardError, OSError) as exc:
                log.debug("run %s: %s not uploaded yet: %s", run_id, name, exc)
                continue
            files.seen[name] = mark
            count += 1
    return count
