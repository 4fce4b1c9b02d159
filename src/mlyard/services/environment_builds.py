"""Builds: one virtual environment per specification hash on the server's host, made once.

Layout under ``<MLYARD_HOME>/environments/<hash>/``: ``venv/`` (the environment),
``requirements.txt`` (what was installed), ``build.log`` (the last build's output) and
``build.json`` (its record). ``build.json`` says Succeeded only after everything else is in
place, so a build cut short is never taken for a cached one: the next prepare rebuilds it.

- The hash covers what ends up in the venv: the Python asked for, the pip and conda packages,
  and the server's own mlyard (its version, folder and requirements), so upgrading mlyard
  builds afresh. Environment variables are not part of it: they change nothing on disk.
- Builds use ``uv`` (its package cache makes a rebuild of known packages take a second or
  two) and fall back on ``venv`` + ``pip`` when uv is not installed. Venvs are clean (no
  system site packages): a job sees what its specification lists, nothing the server has.
- mlyard itself is not installed from an index: the venv's site-packages gets a link to the
  server's own ``mlyard`` package (and a small dist-info), and mlyard's requirements are
  installed with the rest. A job's ``Run.get_context()`` so always speaks the server's API.
- One build per hash at a time, across threads and processes: an exclusive ``flock`` on
  ``<hash>/lock``. Whoever waits says so in its log and follows the live build log.
- A failed build is remembered for ``environment_build_failure_ttl_seconds``: prepares in that
  time fail at once with the same message; ``retry_failed`` (an explicit build) tries again.
- A job's build stops as soon as the job is not wanted (canceled): its installer's process group
  is killed (:mod:`mlyard.services.environment_build_output`) and :class:`BuildCanceled` raised;
  such a build is not remembered as failed, so whoever waited for it builds it afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from mlyard.core.entities.environments import (
    BuildRecord,
    BuildStatus,
    EnvironmentSpec,
    conda_to_pip,
    mlyard_requirements,
    mlyard_version,
)
from mlyard.core.errors import EnvironmentBuildFailed
from mlyard.core.ids import utcnow
from mlyard.core.settings import Settings
from mlyard.services.environment_build_output import BuildCanceled, BuildOutput, Wanted

Log = Callable[[str], None]
RECIPE = 1  # raise when the way builds are made changes, so that every spec builds afresh
_POLL_SECONDS = 0.25
_MLYARD_REQUIREMENT = re.compile(r"^\s*mlyard\s*(?:[\[<>=!~;@ ]|$)", re.IGNORECASE)
_CONDA_SKIPPED = re.compile(r"^(python|pip)\b", re.IGNORECASE)
_MLYARD_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuildPlan:
    spec_hash: str
    python_version: str | None
    requirements: tuple[str, ...]
    notes: tuple[str, ...]


def environments_root(settings: Settings) -> Path:
    return settings.home / "environments"


def plan(spec: EnvironmentSpec) -> BuildPlan:
    user = [line.strip() for line in spec.pip_packages if line.strip() and not line.strip().startswith("#")]
    own = [line for line in user if _MLYARD_REQUIREMENT.match(line)]
    pip = [line for line in user if line not in own]
    conda = [p.strip() for p in spec.conda_packages if p.strip() and not _CONDA_SKIPPED.match(p.strip())]
    notes: list[str] = []
    if own:
        notes.append(f"'{own[0]}' is the server's own mlyard: linked into the environment, not installed.")
    if conda:
        where = "is installed but not used" if shutil.which("conda") else "is not installed here (it is optional)"
        mapped = [conda_to_pip(p) for p in conda]
        notes.append(
            f"conda {where}: mlyard builds virtual environments, so the conda packages {', '.join(conda)} "
            f"are installed from the Python package index as {', '.join(mapped)}."
        )
        pip = mapped + pip
    # uv builds environments; the jobs that run in them do not need it.
    requirements = (*pip, *(r for r in mlyard_requirements() if not re.match(r"uv\b", r)))
    key = {
        "recipe": RECIPE,
        "python": spec.python_version,
        "requirements": list(requirements),
        "mlyard": [mlyard_version(), str(_MLYARD_DIR)],
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return BuildPlan(digest[:32], spec.python_version, requirements, tuple(notes))


def _folder(settings: Settings, spec_hash: str) -> Path:
    return environments_root(settings) / spec_hash


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _read_record(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "build.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    tmp = folder / "build.json.tmp"
    tmp.write_text(json.dumps(record, indent=2, default=str))
    os.replace(tmp, folder / "build.json")


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def build_record(settings: Settings, spec_hash: str) -> BuildRecord:
    """The last build of ``spec_hash`` on this host, with its log (NotBuilt when there is none)."""
    folder = _folder(settings, spec_hash)
    data = _read_record(folder)
    try:
        log = (folder / "build.log").read_text(errors="replace")
    except OSError:
        log = ""
    status = BuildStatus(data.get("status", BuildStatus.NOT_BUILT))
    if status is BuildStatus.BUILDING and not _locked(folder):
        status = BuildStatus.FAILED  # its builder died: the next prepare builds it again
        data.setdefault("error", "The build was interrupted (the server stopped while it ran).")
    return BuildRecord(
        spec_hash=spec_hash,
        status=status,
        log=log,
        python=data.get("python"),
        python_version=data.get("python_version"),
        tool=data.get("tool"),
        started_at=_time(data.get("started_at")),
        finished_at=_time(data.get("finished_at")),
        duration_seconds=data.get("duration_seconds"),
        error=data.get("error"),
    )


def _cached(folder: Path) -> Path | None:
    data = _read_record(folder)
    python = venv_python(folder / "venv")
    if data.get("status") == BuildStatus.SUCCEEDED and python.exists():
        return python
    return None


def _failure_since(folder: Path, since: float) -> EnvironmentBuildFailed | None:
    """The failure of a build that finished at ``since`` or later, if the last build failed."""
    data = _read_record(folder)
    finished = data.get("finished_ts")
    canceled = data.get("canceled", False)
    if (
        data.get("status") == BuildStatus.FAILED
        and not canceled
        and isinstance(finished, int | float)
        and finished >= since
    ):
        return EnvironmentBuildFailed(str(data.get("error")), target="environment")
    return None


def _locked(folder: Path) -> bool:
    try:
        with open(folder / "lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return isinstance(exc, BlockingIOError)
    return False


@contextlib.contextmanager
def _build_lock(folder: Path, log: Log, wanted: Wanted | None = None) -> Iterator[float | None]:
    """Hold the hash's lock; yields when this caller started waiting for someone else's build."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+") as handle:
        waited_since: float | None = None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waited_since = time.time()
            log(f"Waiting for the build of this environment already in progress (spec {folder.name[:12]}); its log:")
            _follow_until_locked(handle, folder / "build.log", log, wanted)
        yield waited_since


def _follow_until_locked(handle: IO[str], log_path: Path, log: Log, wanted: Wanted | None = None) -> None:
    offset = 0
    pending = ""
    while True:
        with contextlib.suppress(OSError), open(log_path, errors="replace") as source:
            if os.fstat(source.fileno()).st_size < offset:
                offset = 0
            source.seek(offset)
            chunk = source.read()
            offset = source.tell()
            lines = (pending + chunk).split("\n")
            pending = lines.pop()
            for line in lines:
                log(line)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if wanted is not None and not wanted():
                raise BuildCanceled() from None  # a canceled job stops waiting for another's build
            time.sleep(_POLL_SECONDS)


def uv_binary() -> str | None:
    beside = Path(sysconfig.get_path("scripts")) / "uv"  # installed with mlyard, maybe not on PATH
    return shutil.which("uv") or (str(beside) if beside.exists() else None)


def _builder(settings: Settings) -> tuple[str, str | None]:
    uv = uv_binary()
    if settings.environment_builder == "pip" or (settings.environment_builder == "auto" and uv is None):
        return "pip", None
    if uv is None:
        raise EnvironmentBuildFailed(
            "MLYARD_ENVIRONMENT_BUILDER is 'uv' but uv is not installed on the server's host: "
            "pip install uv, or set it to 'auto' to fall back on pip.",
            target="environment",
        )
    return "uv", uv


def ensure_built(
    settings: Settings,
    spec: EnvironmentSpec,
    label: str,
    log: Log,
    *,
    retry_failed: bool = False,
    wanted: Wanted | None = None,
) -> tuple[Path, bool, float | None, str]:
    """The venv python for ``spec``, built if needed: (python, cache hit, build seconds, hash)."""
    built = plan(spec)
    folder = _folder(settings, built.spec_hash)
    python = _cached(folder)
    if python is not None:
        log(f"Environment {label} is built (spec {built.spec_hash[:12]}): no build needed.")
        return python, True, None, built.spec_hash
    ttl = settings.environment_build_failure_ttl_seconds
    if not retry_failed and (failure := _failure_since(folder, time.time() - ttl)):
        log(
            f"Environment {label} failed to build a moment ago; not trying again before "
            f"{ttl} s have passed (or on an explicit build):"
        )
        log(failure.message)
        raise failure
    with _build_lock(folder, log, wanted) as waited_since:
        if waited_since is not None:
            if (python := _cached(folder)) is not None:
                log(f"Environment {label}: the build it waited for succeeded.")
                return python, True, None, built.spec_hash
            if failure := _failure_since(folder, waited_since):
                raise failure  # the very build it waited for
        elif (python := _cached(folder)) is not None:
            return python, True, None, built.spec_hash
        started = time.monotonic()
        python = _build(settings, built, folder, label, log, wanted)
        return python, False, time.monotonic() - started, built.spec_hash


def _installer_env() -> dict[str, str]:
    # The import check writes bytecode for what every job imports (mlyard and its dependencies).
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["UV_PYTHON_DOWNLOADS"] = "never"  # no interpreter downloads: this host's Pythons only
    env["UV_NO_PROGRESS"] = "1"
    return env


def _base_python(built: BuildPlan, uv: str | None, out: BuildOutput, env: dict[str, str]) -> str:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = getattr(sys, "_base_executable", None) or sys.executable
    wanted = built.python_version
    if not wanted or wanted == here or wanted.startswith(here + "."):
        return base
    if uv is not None:
        found = subprocess.run([uv, "python", "find", wanted], capture_output=True, text=True, env=env, check=False)
        path = found.stdout.strip()
        if found.returncode == 0 and path and _version_at_least(wanted, (3, 11)):
            return path
    out.line(
        f"Python {wanted} was asked for, but this host has no Python {wanted} that mlyard runs on "
        f"(mlyard needs 3.11 or later): the environment uses the server's Python {sys.version.split()[0]}."
    )
    return base


def _version_at_least(text: str, least: tuple[int, int]) -> bool:
    parts = re.findall(r"\d+", text)[:2]
    return len(parts) == 2 and (int(parts[0]), int(parts[1])) >= least


def _steps(uv: str | None, base: str, venv: Path, requirements: Path) -> list[list[str]]:
    python = str(venv_python(venv))
    if uv is not None:
        return [
            [uv, "venv", str(venv), "--python", base, "--no-config"],
            [uv, "pip", "install", "--python", python, "--no-config", "-r", str(requirements)],
        ]
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-input", "--progress-bar", "off"]
    return [[base, "-m", "venv", "--without-pip", str(venv)], [*pip, "-r", str(requirements)]]


def _build(
    settings: Settings, built: BuildPlan, folder: Path, label: str, log: Log, wanted: Wanted | None = None
) -> Path:
    tool, uv = _builder(settings)
    venv, now, started = folder / "venv", utcnow(), time.monotonic()
    record: dict[str, Any] = {"status": BuildStatus.BUILDING, "spec_hash": built.spec_hash, "tool": tool}
    record["started_at"] = now.isoformat()
    _write_record(folder, record)
    (folder / "requirements.txt").write_text("\n".join(built.requirements) + "\n")
    out = BuildOutput(folder / "build.log", log, wanted)
    try:
        env = _installer_env()
        out.line(f"Building environment {label} (spec {built.spec_hash[:12]}) with {tool} at {now:%Y-%m-%d %H:%M:%S}Z.")
        for note in built.notes:
            out.line(note)
        shutil.rmtree(venv, ignore_errors=True)
        base = _base_python(built, uv, out, env)
        for step in _steps(uv, base, venv, folder / "requirements.txt"):
            if code := out.run(step, env):
                raise _failed(label, f"{Path(step[0]).name} {step[1]} exited with {code}", out.tail)
        python = venv_python(venv)
        version = _link_mlyard(python, out, env)
        if out.run([str(python), "-c", "import mlyard.sdk.run"], env):
            raise _failed(label, "the built environment cannot import mlyard", out.tail)
        seconds = time.monotonic() - started
        out.line(f"Built environment {label} in {seconds:.1f} s (Python {version}).")
        record.update(status=BuildStatus.SUCCEEDED, python=str(python), python_version=version)
        _finish(folder, record, seconds)
        return python
    except BaseException as exc:
        shutil.rmtree(venv, ignore_errors=True)
        if isinstance(exc, BuildCanceled):
            message = "The build was stopped: its job was canceled; the next job that needs it builds it again."
        else:
            message = exc.message if isinstance(exc, EnvironmentBuildFailed) else f"The build stopped: {exc!r}"
        out.line(message)
        record.update(status=BuildStatus.FAILED, error=message, canceled=isinstance(exc, BuildCanceled))
        _finish(folder, record, time.monotonic() - started)
        raise
    finally:
        out.close()


def _finish(folder: Path, record: dict[str, Any], seconds: float) -> None:
    record.update(finished_at=utcnow().isoformat(), finished_ts=time.time(), duration_seconds=round(seconds, 3))
    _write_record(folder, record)


def _failed(label: str, what: str, tail: list[str]) -> EnvironmentBuildFailed:
    lines = "\n".join(tail)
    return EnvironmentBuildFailed(
        f"Building environment {label} failed: {what}. The last lines of its output:\n{lines}", target="environment"
    )


def _link_mlyard(python: Path, out: BuildOutput, env: dict[str, str]) -> str:
    """Make the server's own mlyard importable in the venv (a link and a dist-info, no copy);
    answers the venv's Python version."""
    where = "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); print(sys.version.split()[0])"
    asked = subprocess.run([str(python), "-c", where], capture_output=True, text=True, env=env, check=True)
    purelib, version = asked.stdout.split()
    site = Path(purelib)
    (site / "mlyard").symlink_to(_MLYARD_DIR, target_is_directory=True)
    info = site / f"mlyard-{mlyard_version()}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mlyard\nVersion: {mlyard_version()}\n")
    (info / "INSTALLER").write_text("mlyard\n")
    (info / "RECORD").write_text("")
    out.line(f"Linked the server's mlyard {mlyard_version()} ({_MLYARD_DIR}) into the environment.")
    return version
