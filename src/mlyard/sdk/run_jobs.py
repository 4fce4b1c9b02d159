"""What a submitted run adds to ``Run``: its job (status reason, queue place, process, exit
code), ``wait_for_completion`` with its output streamed as it comes, and cancel.

The output is read from ``GET .../runs/{id}/logs?offset=N``, polled every 0.1 s while it
flows and less often (up to every 2 s) while it is quiet. A waiting run prints why it waits
("queued: position 2 of 3 on target 'local' (2 of 2 slots busy)") whenever that changes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlyard.core.entities.tracking import RunStatus, RunType
from mlyard.core.errors import JobFailed, JobNotFound
from mlyard.sdk.client import Client

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

_CANCEL_WAIT = 60.0
_WAITING = (RunStatus.QUEUED.value, RunStatus.PREPARING.value)


def _print(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def failure_message(details: dict[str, Any]) -> str:
    """What a failed run says: its error, exception and the last lines of its output."""
    error = details.get("error") or {}
    lines = [f"Run {details.get('runId')} {details.get('status')}: {error.get('message') or 'no reason recorded'}"]
    if error.get("lastLines"):
        lines.append("Last lines of its output:")
        lines += [f"  {line}" for line in error["lastLines"]]
    return "\n".join(lines)


class RunJobsMixin:
    """Job methods of ``Run``, which sets ``_client``, ``_path`` and ``_details``."""

    _client: Client
    _path: str
    _details: dict[str, Any]

    if TYPE_CHECKING:  # given by Run and RunMetricsMixin

        def _refresh(self) -> dict[str, Any]: ...

        def flush(self, timeout: float | None = None) -> None: ...

        def get_details(self) -> dict[str, Any]: ...

    @property
    def _is_job(self) -> bool:
        return self._details.get("runType") == RunType.SCRIPT.value

    def get_job(self) -> dict[str, Any]:
        """The job of a submitted run: ``status``, ``statusReason``, ``queue``, ``pid``, ``exitCode``, times."""
        job: dict[str, Any] = self._client.get(self._path + "/job")
        return job

    def _job_details(self) -> dict[str, Any]:
        try:
            job = self.get_job()
        except JobNotFound:
            return {}  # a script run recorded without a job (none of mlyard's own)
        return {"statusReason": job["statusReason"], "target": job["computeTarget"], "job": job}

    def read_log(self, offset: int = 0) -> dict[str, Any]:
        """A slice of the job's log from byte ``offset``: ``{content, nextOffset, complete, status, ...}``."""
        got: dict[str, Any] = self._client.get(self._path + "/logs", offset=offset)
        return got

    def stream_output(self, write: Callable[[str], None] = _print, timeout_seconds: float | None = None) -> None:
        """Write the job's output as it comes until it has ended and all of it was written."""
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        offset, delay, reason = 0, 0.1, ""
        while True:
            got = self.read_log(offset)
            if got["content"]:
                write(got["content"])
                delay = 0.1
            elif got["status"] in _WAITING and got["statusReason"] != reason and got["status"] == "Queued":
                write(f"[mlyard] {got['statusReason']}\n")
            reason = got["statusReason"]
            offset = got["nextOffset"]
            if got["complete"]:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Run {self._details.get('runId')} is still {got['status']} ({reason}).")
            if not got["content"]:
                time.sleep(delay)
                delay = min(delay * 1.5, 2.0)

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
        timeout_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Wait until the run has finished; with ``show_output``, print its output as it comes.
        A failed run raises ``JobFailed`` (its error, exception and last lines) unless
        ``raise_on_error=False``. Answers ``get_details()``."""
        if self._is_job and show_output:
            _print(f"RunId: {self._details.get('runId')}\n")
            self.stream_output(timeout_seconds=timeout_seconds)
        else:
            deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
            delay = 0.1
            while not RunStatus(self._refresh()["status"]).terminal:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"Run {self._details.get('runId')} is still {self._details['status']}.")
                time.sleep(delay)
                delay = min(delay * 1.5, 2.0)
        details: dict[str, Any] = self.get_details()
        if raise_on_error and details["status"] == RunStatus.FAILED.value:
            raise JobFailed(failure_message(details), target="runId")
        return details

    def _cancel_job(self) -> None:
        """Cancel, then wait (a minute at most) until its processes are gone and the run is final."""
        self.flush()
        self._details = self._client.post(self._path + "/cancel")
        deadline = time.monotonic() + _CANCEL_WAIT
        delay = 0.05
        while time.monotonic() < deadline:
            job = self.get_job()
            if RunStatus(job["status"]).terminal:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        self._refresh()


def list_jobs(
    workspace: Workspace, status: str | None = None, compute_target: str | None = None, top: int = 100
) -> list[dict[str, Any]]:
    """The workspace's jobs as the server's records (with ``statusReason``), newest first."""
    found: list[dict[str, Any]] = workspace._client.get(
        workspace._path + "/jobs", status=status, computeTarget=compute_target, top=top
    )
    return found
