"""Environments through their services: the registry on SQLite and PostgreSQL, and real builds
(uv, or pip, installing a tiny pinned package from the registry) on SQLite only, since a build
lives on the host, not in the database: a cache hit, a failed build remembered for a while,
concurrent prepares that build once, the server's own mlyard inside the environment."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

import mlyard
from mlyard.core.entities.environments import BuildStatus, EnvironmentSpec, parse_reference
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    EnvironmentBuildFailed,
    EnvironmentNotFound,
    InvalidEnvironmentSpec,
    InvalidName,
    ValidationError,
    WorkspaceNotFound,
)
from mlyard.services import environment_builds, subscriptions, workspaces
from mlyard.services import environments as envs
from mlyard.services.platform import Platform
from mlyard.store.environments import EnvironmentRepository

WS = ("sub1", "rg1", "ws1")
TINY = EnvironmentSpec(pip_packages=("six==1.16.0",))
MISSING_PACKAGE = "mlyard-test-no-such-package-7f3a==0.0.1"
builds_on_sqlite = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    return platform


def register(p: Platform, admin: Principal, name: str, spec: EnvironmentSpec, **variables: str) -> tuple[str, bool]:
    made, created = envs.register_environment(p, admin, *WS, name, spec, variables)
    return made.version, created


class Log(list[str]):
    def __call__(self, line: str) -> None:
        self.append(line)


# -- the registry --------------------------------------------------------------------------


def test_parse_reference() -> None:
    assert parse_reference("train") == parse_reference("train@latest") == parse_reference("train@LATEST")
    assert parse_reference("train:3").version == 3
    assert parse_reference(" train:latest ").version is None
    for bad in ("", "train:0", "train:x", "train:-1", "train@v2", "a/b", ":3", "-x", "train:1:2"):
        with pytest.raises(ValidationError):
            parse_reference(bad)


def test_register_versions_and_identical_definitions(p: Platform, admin: Principal) -> None:
    assert register(p, admin, "train", TINY) == ("1", True)
    assert register(p, admin, "TRAIN", TINY) == ("1", False)  # names ignore case, as in Azure
    assert register(p, admin, "train", TINY, MODE="fast") == ("2", True)
    assert register(p, admin, "train", replace(TINY, python_version="3.11")) == ("3", True)
    assert register(p, admin, "train", TINY) == ("1", False)  # an older identical version counts too
    assert [e.version for e in envs.list_versions(p, *WS, "train")] == ["1", "2", "3"]
    latest = envs.get_environment(p, *WS, "train")
    assert (latest.version, latest.spec.python_version) == ("3", "3.11")
    assert envs.get_environment(p, *WS, "Train", 2).environment_variables == {"MODE": "fast"}
    listed = [(e.name, e.version, e.is_curated) for e in envs.list_environments(p, *WS)]
    assert listed == [("train", "3", False), ("mlyard-minimal", "1", True), ("mlyard-sklearn", "1", True)]
    sklearn = envs.get_environment(p, *WS, "mlyard-sklearn")
    assert {"scikit-learn==1.9.1", "pandas==3.1.1", "mlyard"} <= set(sklearn.spec.pip_packages)


def test_concurrent_registrations_get_distinct_versions(p: Platform, admin: Principal) -> None:
    specs = [EnvironmentSpec(pip_packages=(f"six=={v}",)) for v in ("1.14.0", "1.15.0", "1.16.0", "1.17.0")]
    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(lambda s: register(p, admin, "race", s)[0], specs))
    assert sorted(versions) == ["1", "2", "3", "4"]


def test_bad_definitions_are_refused_and_store_nothing(p: Platform, admin: Principal) -> None:
    register(p, admin, "kept", TINY)
    bad_names = ["", "a/b", "a:b", "a@b", "-x", "x" * 256, "mlyard-mine", "MLYARD-sklearn"]
    for name in bad_names:
        with pytest.raises(InvalidName):
            register(p, admin, name, TINY)
    bad_specs = [
        EnvironmentSpec(python_version="three"),
        EnvironmentSpec(python_version="2.7"),
        EnvironmentSpec(pip_packages=("six\n--index-url http://evil",)),
        EnvironmentSpec(pip_packages=("",)),
        EnvironmentSpec(conda_packages=("x" * 1001,)),
        EnvironmentSpec(user_managed_dependencies=True, interpreter_path="relative/python"),
    ]
    for spec in bad_specs:
        with pytest.raises(InvalidEnvironmentSpec):
            register(p, admin, "kept", spec)
    for variables in ({"1A": "x"}, {"A-B": "x"}, {"A": "x\0"}):
        with pytest.raises(InvalidEnvironmentSpec):
            envs.register_environment(p, admin, *WS, "kept", TINY, variables)
    with p.db.read() as session:
        ws = workspaces.get_workspace(p, *WS)
        assert [e.version for e in EnvironmentRepository(session).versions(ws.id, "kept")] == ["1"]


def test_unknown_environments_say_what_exists(p: Platform, admin: Principal) -> None:
    register(p, admin, "train", TINY)
    with pytest.raises(EnvironmentNotFound) as missing:
        envs.get_environment(p, *WS, "nothing")
    assert "'nothing'" in missing.value.message
    assert all(n in missing.value.message for n in ("train", "mlyard-minimal", "mlyard-sklearn"))
    with pytest.raises(EnvironmentNotFound, match="no version 7; its versions are 1"):
        envs.get_environment(p, *WS, "train", 7)
    with pytest.raises(EnvironmentNotFound, match="only version 1"):
        envs.get_environment(p, *WS, "mlyard-minimal", 2)
    with pytest.raises(EnvironmentNotFound):
        envs.prepare_python(p, *WS, "nothing:1", Log())
    with pytest.raises(EnvironmentNotFound):
        envs.list_versions(p, *WS, "nothing")
    with pytest.raises(WorkspaceNotFound):
        envs.list_environments(p, "sub1", "rg1", "absent-ws")
    with pytest.raises(ValidationError):
        envs.prepare_python(p, *WS, "train:first", Log())


# -- builds --------------------------------------------------------------------------------


@builds_on_sqlite
def test_build_then_cache_hit(p: Platform, admin: Principal) -> None:
    register(p, admin, "tiny", TINY, GREETING="hello")
    first_log = Log()
    started = time.monotonic()
    first = envs.prepare_python(p, *WS, "tiny", first_log)
    build_seconds = time.monotonic() - started
    assert not first.cache_hit and first.build_seconds is not None
    assert (first.name, first.version, first.environment_variables) == ("tiny", "1", {"GREETING": "hello"})
    assert any("six==1.16.0" in line for line in first_log) and any("Built environment" in x for x in first_log)
    started = time.monotonic()
    again_log = Log()
    again = envs.prepare_python(p, *WS, "tiny:1", again_log)
    hit_seconds = time.monotonic() - started
    assert again.cache_hit and again.python == first.python and again.spec_hash == first.spec_hash
    assert len(again_log) == 1 and "no build needed" in again_log[0]
    assert hit_seconds < build_seconds
    print(f"\nbuild {build_seconds:.2f} s, cache hit {hit_seconds * 1000:.1f} ms")
    # A clean venv: six and the server's own mlyard, not the server's other packages.
    probe = "import six, mlyard, importlib.util as u; print(six.__version__, mlyard.__file__, u.find_spec('numpy'))"
    out = subprocess.run([first.python, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "1.16.0" and out[2] == "None"
    assert Path(out[1]).resolve() == Path(mlyard.__file__).resolve()
    _, record = envs.last_build(p, *WS, "tiny", None)
    assert record is not None and record.status is BuildStatus.SUCCEEDED and record.tool == "uv"
    assert "Built environment 'tiny:1'" in record.log and record.python == first.python


@builds_on_sqlite
def test_failed_build_is_clear_remembered_and_leaves_nothing_cached(p: Platform, admin: Principal) -> None:
    register(p, admin, "broken", EnvironmentSpec(pip_packages=(MISSING_PACKAGE,)))
    log = Log()
    with pytest.raises(EnvironmentBuildFailed) as failed:
        envs.prepare_python(p, *WS, "broken", log)
    message = failed.value.message
    assert "Building environment 'broken:1' failed" in message and "mlyard-test-no-such-package-7f3a" in message
    assert "mlyard-test-no-such-package-7f3a" in "\n".join(log)
    _, record = envs.last_build(p, *WS, "broken", 1)
    assert record is not None and record.status is BuildStatus.FAILED and record.error == message
    folder = environment_builds.environments_root(p.settings) / record.spec_hash
    assert not (folder / "venv").exists() and "mlyard-test-no-such-package-7f3a" in record.log
    # Within the remembered time: the same answer at once, without building.
    remembered = Log()
    started = time.monotonic()
    with pytest.raises(EnvironmentBuildFailed) as again:
        envs.prepare_python(p, *WS, "broken:1", remembered)
    assert again.value.message == message and time.monotonic() - started < 1
    assert "failed to build a moment ago" in remembered[0]
    # An explicit build tries again; a changed spec is another hash and builds at once.
    forced = Log()
    with pytest.raises(EnvironmentBuildFailed):
        envs.build_environment(p, *WS, "broken", None, forced)
    assert any("Building environment 'broken:1'" in line for line in forced)


@builds_on_sqlite
def test_concurrent_prepares_build_once(p: Platform, admin: Principal) -> None:
    register(p, admin, "shared", EnvironmentSpec(pip_packages=("six==1.16.0", "# shared by three jobs")))
    logs = [Log() for _ in range(3)]
    gate = threading.Barrier(3)

    def prepare(log: Log) -> bool:
        gate.wait()
        return envs.prepare_python(p, *WS, "shared@latest", log).cache_hit

    with ThreadPoolExecutor(3) as pool:
        hits = list(pool.map(prepare, logs))
    assert sorted(hits) == [False, True, True]
    waiters = [log for log, hit in zip(logs, hits, strict=True) if hit]
    for log in waiters:
        # Each waiter said why it waited (unless the build ended before it looked) and saw its end.
        assert any("Waiting for the build" in line or "no build needed" in line for line in log)
    assert any(any("Waiting for the build" in line for line in log) for log in waiters)
    assert any(any("Built environment 'shared:1'" in line for line in log) for log in waiters)


@builds_on_sqlite
def test_curated_minimal_and_user_managed(p: Platform, admin: Principal) -> None:
    minimal = envs.prepare_python(p, *WS, "mlyard-minimal", Log())
    probe = "from mlyard import Run; print(type(Run.get_context()).__name__)"
    assert subprocess.run([minimal.python, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    spec = EnvironmentSpec(user_managed_dependencies=True)
    register(p, admin, "mine", spec, TOKEN_FREE="1")
    log = Log()
    own = envs.prepare_python(p, *WS, "mine", log)
    assert own.python and own.spec_hash is None and own.environment_variables == {"TOKEN_FREE": "1"}
    assert "nothing is built" in log[0]
    assert envs.prepare_python(p, *WS, None, log).name is None


@pytest.mark.slow  # pip takes tens of seconds where uv takes two: the reason uv is the default
@builds_on_sqlite
def test_pip_fallback_and_conda_packages(p: Platform, admin: Principal) -> None:
    settings = p.settings.model_copy(update={"environment_builder": "pip"})
    pip_platform = replace(p, settings=settings)
    register(p, admin, "conda", EnvironmentSpec(python_version="3.9", conda_packages=("python=3.9", "six=1.16")))
    log = Log()
    built = envs.prepare_python(pip_platform, *WS, "conda", log)
    text = "\n".join(log)
    assert "installed from the Python package index as six==1.16.*" in text
    assert "Python 3.9 was asked for" in text and "with pip" in text
    out = subprocess.run([built.python, "-c", "import six; print(six.__version__)"], capture_output=True, text=True)
    assert out.stdout.strip() == "1.16.0"
