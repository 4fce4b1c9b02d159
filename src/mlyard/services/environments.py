"""The environment registry: versions, specifications, and the builds that jobs run in.

Registering a definition under a name gives it the next version (1, 2, ...); registering one
identical to an existing version (same specification and variables) returns that version, as
Azure ML does. Names starting with ``mlyard-`` belong to the curated environments that every
workspace has. Builds are in :mod:`mlyard.services.environment_builds`.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator

from mlyard.core.entities.environments import (
    CURATED_PREFIX,
    ENVIRONMENT_NAME,
    BuildRecord,
    EnvironmentSpec,
    EnvironmentVersion,
    PreparedEnvironment,
    is_curated_name,
    parse_reference,
)
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import EnvironmentNotFound, InvalidEnvironmentSpec, InvalidName, MlyardError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.services import environment_builds as builds
from mlyard.services.platform import Platform
from mlyard.services.races import next_number_retried
from mlyard.services.workspaces import get_workspace
from mlyard.store.environments import EnvironmentRepository, EnvironmentRow, spec_to_json

Log = Callable[[str], None]
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PYTHON_VERSION = re.compile(r"3(\.\d{1,2}){0,2}")
_MAX_PACKAGES = 500
_MAX_LINE = 1000

# Pinned to what this machine's package index serves and what the server is tested with.
CURATED: dict[str, EnvironmentVersion] = {
    name_key(env.name): env
    for env in (
        EnvironmentVersion(
            "mlyard-minimal",
            "1",
            EnvironmentSpec(pip_packages=("mlyard",)),
            description="Just mlyard (and what it needs): for scripts that log runs and use the standard library.",
            is_curated=True,
        ),
        EnvironmentVersion(
            "mlyard-sklearn",
            "1",
            EnvironmentSpec(pip_packages=("mlyard", "scikit-learn==1.9.1", "pandas==3.1.1")),
            description="scikit-learn 1.9.1 and pandas 3.1.1 with mlyard: for classic machine learning.",
            is_curated=True,
        ),
    )
}


# -- checking definitions ------------------------------------------------------------------


def check_spec(spec: EnvironmentSpec, variables: dict[str, str]) -> None:
    """Refuse what cannot be built or run, naming the field, before anything is stored."""
    if spec.python_version is not None and not _PYTHON_VERSION.fullmatch(spec.python_version):
        raise InvalidEnvironmentSpec(
            f"'{spec.python_version}' is not a Python version: use one such as 3.11.", target="python_version"
        )
    for field, lines in (("pip_packages", spec.pip_packages), ("conda_packages", spec.conda_packages)):
        if len(lines) > _MAX_PACKAGES:
            raise InvalidEnvironmentSpec(f"{field} holds more than {_MAX_PACKAGES} entries.", target=field)
        for line in lines:
            if not isinstance(line, str) or not line.strip() or len(line) > _MAX_LINE or "\n" in line or "\0" in line:
                raise InvalidEnvironmentSpec(
                    f"{field}: {line!r} is not a requirement: give one requirement per entry, on one line.",
                    target=field,
                )
    if spec.interpreter_path is not None and not spec.interpreter_path.startswith("/"):
        raise InvalidEnvironmentSpec(
            f"interpreter_path '{spec.interpreter_path}' must be an absolute path.", target="interpreter_path"
        )
    for key, value in variables.items():
        if not _VARIABLE.fullmatch(key) or not isinstance(value, str) or "\0" in value:
            raise InvalidEnvironmentSpec(
                f"Environment variable {key!r}: names are letters, digits and '_' (not starting with a digit) "
                "and values are strings.",
                target="environment_variables",
            )


def definition_hash(spec: EnvironmentSpec, variables: dict[str, str]) -> str:
    data = {"spec": spec_to_json(spec), "variables": dict(sorted(variables.items()))}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# -- the registry --------------------------------------------------------------------------


def list_environments(
    p: Platform, subscription_id: str, resource_group: str, workspace: str
) -> list[EnvironmentVersion]:
    """The latest version of every registered environment, then the curated ones."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        registered = EnvironmentRepository(session).latest_versions(ws.id)
    return [*registered, *CURATED.values()]


def list_versions(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> list[EnvironmentVersion]:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    ENVIRONMENT_NAME.check(name, target="name")
    if curated := CURATED.get(name_key(name)):
        return [curated]
    with p.db.read() as session:
        found = EnvironmentRepository(session).versions(ws.id, name)
    if not found:
        raise _not_found(p, ws, name)
    return found


def get_environment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, version: int | None = None
) -> EnvironmentVersion:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    return environment_of(p, ws, name, version)


def environment_of(p: Platform, ws: Workspace, name: str, version: int | None) -> EnvironmentVersion:
    ENVIRONMENT_NAME.check(name, target="name")
    if curated := CURATED.get(name_key(name)):
        if version not in (None, 1):
            raise EnvironmentNotFound(
                f"Curated environment '{curated.name}' has only version 1, not {version}.", target="version"
            )
        return curated
    with p.db.read() as session:
        repo = EnvironmentRepository(session)
        found = repo.get(ws.id, name, version)
        if found is None and version is not None and (versions := repo.versions(ws.id, name)):
            raise EnvironmentNotFound(
                f"Environment '{versions[-1].name}' has no version {version}; its versions are "
                f"{', '.join(v.version for v in versions)}.",
                target="version",
            )
    if found is None:
        raise _not_found(p, ws, name)
    return found


def _not_found(p: Platform, ws: Workspace, name: str) -> EnvironmentNotFound:
    with p.db.read() as session:
        names = [e.name for e in EnvironmentRepository(session).latest_versions(ws.id)]
    names += [e.name for e in CURATED.values()]
    return EnvironmentNotFound(
        f"Environment '{name}' was not found in workspace '{ws.name}'. It has: {', '.join(names)}.", target="name"
    )


def register_environment(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    spec: EnvironmentSpec,
    variables: dict[str, str] | None = None,
    description: str | None = None,
) -> tuple[EnvironmentVersion, bool]:
    """Register ``spec`` as the next version of ``name``; (version, whether it is new)."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    ENVIRONMENT_NAME.check(name, target="name")
    if is_curated_name(name):
        raise InvalidName(
            f"'{name}': names starting with '{CURATED_PREFIX}' are kept for curated environments; choose another.",
            target="name",
        )
    variables = dict(variables or {})
    check_spec(spec, variables)
    digest = definition_hash(spec, variables)
    # Two registrations of one name at once may choose the same next version: read again.
    return next_number_retried(lambda: _register(p, actor, ws, name, spec, variables, description, digest))


def _register(
    p: Platform,
    actor: Principal,
    ws: Workspace,
    name: str,
    spec: EnvironmentSpec,
    variables: dict[str, str],
    description: str | None,
    digest: str,
) -> tuple[EnvironmentVersion, bool]:
    with p.db.write() as session:
        repo = EnvironmentRepository(session)
        if same := repo.with_definition(ws.id, name, digest):
            return same, False
        existing = repo.get(ws.id, name, None)
        row = EnvironmentRow(
            id=new_id(),
            workspace_id=ws.id,
            name=existing.name if existing else name,
            name_key=name_key(name),
            version=repo.next_version(ws.id, name),
            spec=spec_to_json(spec),
            environment_variables=variables,
            description=description,
            definition_hash=digest,
            created_at=utcnow(),
            created_by=actor.id,
        )
        return repo.add(row), True


# -- building ------------------------------------------------------------------------------


def _label(env: EnvironmentVersion) -> str:
    return f"'{env.name}:{env.version}'"


def prepare_python(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    reference: str | None,
    log: Callable[[str], None],
    wanted: Callable[[], bool] | None = None,
) -> PreparedEnvironment:
    """The interpreter a job runs with. ``reference`` is ``name``, ``name:version`` or
    ``name@latest``; None means the server's own interpreter. A build, when one is needed,
    writes its output line by line to ``log`` (the run's log) as it goes.

    Blocking (it may build for minutes): call it from a worker thread, never the event loop.
    Once ``wanted()`` answers False (the job was canceled) the build is stopped and
    ``BuildCanceled`` raised."""
    if reference is None:
        return PreparedEnvironment(python=sys.executable)
    ref = parse_reference(reference)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    env = environment_of(p, ws, ref.name, ref.version)
    return _prepare(p, env, log, retry_failed=False, wanted=wanted)


def build_environment(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    version: int | None,
    log: Log,
) -> PreparedEnvironment:
    """Build ahead (``env.build``): a cached build is kept; a recent failure is tried again."""
    env = get_environment(p, subscription_id, resource_group, workspace, name, version)
    return _prepare(p, env, log, retry_failed=True)


def _prepare(
    p: Platform, env: EnvironmentVersion, log: Log, *, retry_failed: bool, wanted: Callable[[], bool] | None = None
) -> PreparedEnvironment:
    if env.spec.user_managed_dependencies:
        own = env.spec.interpreter_path or sys.executable
        log(f"Environment {_label(env)} manages its own dependencies: it runs with {own}, nothing is built.")
        return PreparedEnvironment(own, env.name, env.version, dict(env.environment_variables))
    python, hit, seconds, spec_hash = builds.ensure_built(
        p.settings, env.spec, _label(env), log, retry_failed=retry_failed, wanted=wanted
    )
    return PreparedEnvironment(
        python=str(python),
        name=env.name,
        version=env.version,
        environment_variables=dict(env.environment_variables),
        cache_hit=hit,
        spec_hash=spec_hash,
        build_seconds=seconds,
    )


def last_build(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, version: int | None
) -> tuple[EnvironmentVersion, BuildRecord | None]:
    """The last build of a version's specification on this host, with its log (None: nothing to build)."""
    env = get_environment(p, subscription_id, resource_group, workspace, name, version)
    if env.spec.user_managed_dependencies:
        return env, None
    return env, builds.build_record(p.settings, builds.plan(env.spec).spec_hash)


def stream_build(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, version: int | None
) -> Iterator[str]:
    """Build in a worker thread and yield NDJSON as it goes: ``{"line": ...}`` for each log line,
    then ``{"result": {...}}`` or ``{"error": {"code", "message"}}`` last. The version is looked
    up before the first line, so that a missing one is a plain 404."""
    env = get_environment(p, subscription_id, resource_group, workspace, name, version)
    return _stream(p, env)


def _stream(p: Platform, env: EnvironmentVersion) -> Iterator[str]:
    lines: queue.Queue[str | None] = queue.Queue()
    outcome: list[PreparedEnvironment | MlyardError] = []

    def work() -> None:
        try:
            outcome.append(_prepare(p, env, lines.put, retry_failed=True))
        except MlyardError as exc:
            outcome.append(exc)
        except Exception as exc:  # shown to the caller; the server's log keeps the traceback
            outcome.append(MlyardError(f"The build stopped: {exc!r}"))
        finally:
            lines.put(None)

    threading.Thread(target=work, name=f"environment-build-{env.name}", daemon=True).start()
    while (line := lines.get()) is not None:
        yield json.dumps({"line": line}) + "\n"
    done = outcome[0]
    if isinstance(done, MlyardError):
        yield json.dumps({"error": {"code": done.code, "message": done.message, "target": done.target}}) + "\n"
        return
    result = {
        "name": done.name,
        "version": done.version,
        "python": done.python,
        "specHash": done.spec_hash,
        "cacheHit": done.cache_hit,
        "buildSeconds": done.build_seconds,
    }
    yield json.dumps({"result": result}) + "\n"
