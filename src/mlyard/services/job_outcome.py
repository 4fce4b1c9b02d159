"""How a job ended, in words: its final status, the reason shown, and the run's error.

A failed script's error carries its exit code (or the signal that killed it), the exception
of the last Python traceback in its output, and its last lines, so that nobody has to open
the log to learn why it failed.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from mlyard.core.entities.tracking import RunStatus
from mlyard.services.compute_backends import JobPoll, JobState
from mlyard.services.platform import Platform
from mlyard.store.jobs import JobRepository

PREFIX = "[mlyard] "
_TAIL_BYTES = 16 * 1024
_LAST_LINES = 20


def tail(p: Platform, run_id: str) -> list[str]:
    with p.db.read() as session:
        jobs = JobRepository(session)
        job = jobs.get(run_id)
        size = job.log_size if job is not None else 0
        chunks = jobs.log_chunks(run_id, max(0, size - _TAIL_BYTES), _TAIL_BYTES * 2)
    text = b"".join(data for _, data in chunks)[-_TAIL_BYTES:].decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if not line.startswith(PREFIX)]


def exception_of(lines: list[str]) -> str | None:
    """The exception line of the last Python traceback in ``lines`` ("ValueError: bad data")."""
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return None
    after = [line for line in lines[starts[-1] + 1 :] if line and not line[0].isspace()]
    found = next((line for line in after if re.match(r"[A-Za-z_][\w.]*(:|$)", line)), None)
    return found[:1000] if found else None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def outcome(
    kill_reason: str | None, max_seconds: int | None, poll: JobPoll, lines: list[str], lost: str | None
) -> tuple[RunStatus, str, dict[str, Any] | None]:
    """The final status, its reason, and the run's error (exit code, exception, last lines)."""
    last = [line[:500] for line in lines[-_LAST_LINES:]]
    if kill_reason == "canceled":
        return RunStatus.CANCELED, "canceled: its processes were stopped on request", None
    if kill_reason == "timeout":
        message = f"The job ran longer than max_run_duration_seconds={max_seconds} and was stopped."
        return RunStatus.FAILED, f"failed: {message}", {"code": "RunTimeout", "message": message, "lastLines": last}
    if poll.state is JobState.LOST:
        message = lost or poll.reason or "the job's process ended without leaving an exit code"
        return RunStatus.FAILED, f"failed: {message}", {"code": "JobProcessLost", "message": message, "lastLines": last}
    code = poll.exit_code if poll.exit_code is not None else -1
    if code == 0:
        return RunStatus.COMPLETED, "completed: exit code 0", None
    how = f"exit code {code}" if code > 0 else f"killed by {_signal_name(-code)}"
    exc = exception_of(lines)
    error = {
        "code": "UserError",
        "message": f"The script failed with {how}" + (f": {exc}" if exc else "."),
        "exitCode": code,
        "exception": exc,
        "lastLines": last,
    }
    return RunStatus.FAILED, f"failed: {how}" + (f" ({exc})" if exc else ""), error
