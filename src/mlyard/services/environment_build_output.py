"""A build's output and its installer processes: each line to the build's log file and to the
caller's log, the last lines kept for the error, and a build that its job no longer wants
stopped at once.

Each installer step (``uv venv``, ``uv pip install``, pip) runs in a process group of its own;
while it runs a watcher asks ``wanted()`` every quarter second, and once it answers False (the
job was canceled, its scheduler lost the lead) the group gets SIGTERM, then SIGKILL two
seconds later, and the build ends with :class:`BuildCanceled` rather than a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

Log = Callable[[str], None]
Wanted = Callable[[], bool]
_TAIL_LINES = 25
_WATCH_SECONDS = 0.25
_KILL_GRACE_SECONDS = 2.0


class BuildCanceled(Exception):
    """The build was stopped because nobody wants it any more (not a failure: it is not remembered)."""


class BuildOutput:
    """The build log: each line to the file kept with the build and to the caller's log."""

    def __init__(self, path: Path, log: Log, wanted: Wanted | None = None) -> None:
        self.file = open(path, "w", buffering=1)  # noqa: SIM115 (closed by the build)
        self.log = log
        self.wanted = wanted
        self.tail: list[str] = []

    def line(self, text: str) -> None:
        self.file.write(text + "\n")
        self.log(text)
        self.tail = [*self.tail[-(_TAIL_LINES - 1) :], text]

    def check(self) -> None:
        """Raise BuildCanceled when the build is not wanted any more."""
        if self.wanted is not None and not self.wanted():
            raise BuildCanceled()

    def run(self, command: list[str], env: dict[str, str]) -> int:
        self.check()
        self.line("$ " + " ".join(command))
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
            start_new_session=True,  # its own group: a cancel stops uv's or pip's children too
        )
        stopped = threading.Event()
        done = threading.Event()
        watcher = None
        if self.wanted is not None:
            watcher = threading.Thread(target=self._watch, args=(proc, stopped, done), daemon=True)
            watcher.start()
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                self.line(raw.rstrip("\n"))
            code = proc.wait()
        finally:
            done.set()
            if watcher is not None:
                watcher.join()
        if stopped.is_set():
            self.line("The build was stopped: its job was canceled.")
            raise BuildCanceled()
        return code

    def _watch(self, proc: subprocess.Popen[str], stopped: threading.Event, done: threading.Event) -> None:
        assert self.wanted is not None
        while not done.wait(_WATCH_SECONDS):
            if proc.poll() is not None:
                return
            try:
                wanted = self.wanted()
            except Exception:  # a failed look (the database busy) is not a cancel
                continue
            if not wanted:
                stopped.set()
                _stop_group(proc)
                return

    def close(self) -> None:
        self.file.close()


def _stop_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_KILL_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # what is left of the group (uv's children)
