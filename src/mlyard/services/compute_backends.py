"""The ``ComputeBackend`` interface that every kind of compute implements, and their registry.

A backend (``mlyard.backends.local`` now; Jupyter instances and Ray clusters next) does two
things, both called by the scheduler in the server (never by a request):

- the **lifecycle** of targets that have one: ``provision`` (create), ``start``, ``stop``,
  ``status``, ``delete``. Each may block (a Jupyter server takes seconds to answer): the
  scheduler calls it in a worker thread and records the :class:`TargetStatus` it answers.
- **jobs**: ``submit`` prepares and starts one (blocking while it prepares: extract the
  snapshot, build the environment), and answers a JSON-able *handle* that the job row keeps,
  so that a restarted server can find the job again; ``poll``, ``cancel``, ``logs``,
  ``working_folder`` and ``release`` take that handle.

The server chooses a backend by the target's type, as blob stores are chosen by URL scheme:
``mlyard.backends.default_backends(settings)`` builds the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.environments import PreparedEnvironment
from mlyard.core.errors import ComputeTypeNotSupported

Handle = dict[str, Any]
"""What a backend needs to find a job again (the local backend: pid, start time, folder)."""


@dataclass(frozen=True)
class TargetStatus:
    """A target's state as its backend sees it; ``properties`` are merged into the target's."""

    provisioning_state: ProvisioningState
    state: str | None = None
    reason: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobLaunch:
    """Everything a backend needs to prepare and start one job."""

    run_id: str
    attempt: int
    target: ComputeTarget
    # The source snapshot: a tar.gz, read as a stream.
    snapshot: Callable[[], Iterator[bytes]]
    script: str | None
    arguments: tuple[str, ...]
    command: str | None  # a shell command line, run instead of a script
    output_folders: tuple[str, ...]
    # Prepares the interpreter; the build's output goes, line by line, to the callable it is given.
    environment: Callable[[Callable[[str], None]], PreparedEnvironment]
    # MLYARD_* variables (run id, workspace, endpoint, the job's token) for the job's process.
    variables: dict[str, str]
    # A line for the run's log (what preparation does, the environment build's output).
    log: Callable[[str], None]
    # The run's status reason while it prepares ("preparing: building environment 'x'").
    progress: Callable[[str], None]
    # False once the scheduler no longer wants the job started (canceled, lost its lead).
    wanted: Callable[[], bool] = lambda: True
    # The environment asked for (``name:version``, ``name@latest``), for messages; None: the server's Python.
    environment_reference: str | None = None
    # Makes the job's inputs (datasets) local under the folder it is given, before the job starts.
    inputs: Callable[[Path], PreparedInputs] = lambda folder: PreparedInputs()


@dataclass(frozen=True)
class PreparedInputs:
    """Inputs made local: each placeholder in the arguments or command becomes a path; ``variables``
    go into the job's environment. A backend calls ``JobLaunch.inputs`` then :meth:`apply`."""

    replacements: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)

    def apply(self, text: str) -> str:
        for placeholder in sorted(self.replacements, key=len, reverse=True):
            text = text.replace(placeholder, self.replacements[placeholder])
        return text


@dataclass(frozen=True)
class SignIn:
    """What a compute instance's Jupyter gets so that the SDK in its notebooks is signed in:
    ``variables`` for its environment (the token among them) and ``config`` for its config.json."""

    variables: dict[str, str]
    config: dict[str, str]


@runtime_checkable
class SigningInBackend(Protocol):
    """A backend whose targets run the SDK for their owner (compute instances): started with a sign-in."""

    def start_signed_in(self, target: ComputeTarget, sign_in: SignIn | None) -> TargetStatus: ...


class JobState(StrEnum):
    RUNNING = "running"
    EXITED = "exited"
    LOST = "lost"


@dataclass(frozen=True)
class JobPoll:
    state: JobState
    exit_code: int | None = None
    reason: str | None = None


class JobNotStarted(Exception):
    """``submit`` gave up before starting a process (not wanted any more); nothing to clean."""


class ComputeBackend(Protocol):
    """One kind of compute. Methods may block; none is called on the server's event loop."""

    compute_type: ComputeType

    # -- targets -------------------------------------------------------------------------------

    def validate(self, spec: ComputeTargetSpec) -> ComputeTargetSpec:
        """Check a create request (raise ValidationError) and answer it with defaults filled."""
        ...

    def provision(self, target: ComputeTarget) -> TargetStatus: ...

    def start(self, target: ComputeTarget) -> TargetStatus: ...

    def stop(self, target: ComputeTarget) -> TargetStatus: ...

    def status(self, target: ComputeTarget) -> TargetStatus: ...

    def delete(self, target: ComputeTarget) -> None: ...

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, launch: JobLaunch) -> Handle:
        """Prepare and start the job; raise JobNotStarted when ``launch.wanted()`` turns False
        first, or any MlyardError whose message says why preparation failed."""
        ...

    def poll(self, handle: Handle) -> JobPoll: ...

    def cancel(self, handle: Handle, *, force: bool) -> None:
        """Ask the job to stop (SIGTERM to its process group), or make it (``force``: SIGKILL)."""
        ...

    def logs(self, handle: Handle, offset: int, limit: int) -> bytes:
        """Up to ``limit`` bytes of the job's output from byte ``offset`` (b'' when none is new)."""
        ...

    def working_folder(self, handle: Handle) -> Path | None:
        """A local folder whose ``outputs/`` and ``logs/`` become the run's files, if any."""
        ...

    def release(self, handle: Handle) -> None:
        """Forget a finished job: remove its folder, reap what is left of its processes."""
        ...


class BackendRegistry:
    """The backends of this installation, by compute type."""

    def __init__(self, backends: Iterable[ComputeBackend] = ()) -> None:
        self._backends: dict[ComputeType, ComputeBackend] = {}
        for backend in backends:
            self.register(backend)

    def register(self, backend: ComputeBackend) -> None:
        self._backends[backend.compute_type] = backend

    def get(self, compute_type: ComputeType | str) -> ComputeBackend:
        try:
            return self._backends[ComputeType(compute_type)]
        except (KeyError, ValueError):
            known = ", ".join(sorted(t.value for t in self._backends)) or "none"
            raise ComputeTypeNotSupported(
                f"This installation has no backend for compute type '{compute_type}' (it has: {known}).",
                target="computeType",
            ) from None

    def types(self) -> list[ComputeType]:
        return sorted(self._backends)
