"""No secret value in the clear: after a session of setting, reading and deleting secrets through
the SDK, the CLI and raw HTTP (failures included), no file of the server's home holds a value:
not its log, not the SQLite database or its WAL, not the blob store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.test_cli_workspace import mlyard, ok
from tests.fixtures.server import RunningServer, start_server

from mlyard import ValidationError, Workspace
from mlyard.core.errors import InvalidName, SecretNotFound


def canary(label: str) -> str:
    """A value that nothing else could contain; its ASCII core is what the files are searched for."""
    return f"CANARY-{uuid.uuid4().hex}-{label}"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "home", extra_env={"MLYARD_LOG_LEVEL": "debug"})
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("MLYARD_HOME", str(running.home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        yield running
    finally:
        running.stop()


def files_holding(home: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n in needles if n.encode() in data or n.encode("utf-16-le") in data]
        if hits:
            found[str(path.relative_to(home))] = hits
    return found


def test_no_secret_value_reaches_the_log_the_database_or_the_blob_store(server: RunningServer) -> None:
    used: list[str] = []

    def value(label: str, prefix: str = "", suffix: str = "") -> str:
        core = canary(label)
        used.append(core)
        return prefix + core + suffix

    # The SDK, as a script would use it.
    kv = Workspace.from_config().get_default_keyvault()
    kv.set_secret("sdk-one", value("sdk-one"))
    kv.set_secret("sdk-one", value("sdk-one-v2", prefix="ünïcødé ✓ "))
    kv.set_secrets({"sdk-two": value("sdk-two"), "sdk-three": value("sdk-three", suffix="\n" + "x" * 20_000)})
    assert kv.get_secret("sdk-one", version=1).startswith("CANARY-")
    assert set(kv.get_secrets(["sdk-one", "sdk-two", "sdk-three"])) == {"sdk-one", "sdk-two", "sdk-three"}
    assert "CANARY" not in str(kv.list_secrets())
    kv.delete_secret("sdk-two")
    with pytest.raises(SecretNotFound):
        kv.get_secret("sdk-two")
    with pytest.raises(ValidationError) as too_big:
        kv.set_secrets({"sdk-four": value("sdk-four"), "sdk-five": value("sdk-five", suffix="y" * 26_000)})
    assert "CANARY" not in too_big.value.message

    # Raw HTTP that the server must refuse, with the value in the body.
    with server.client() as client:
        base = kv.workspace._path + "/secrets"
        bad_name = client.put(base + "/bad_name", json={"value": value("bad-name")})
        assert bad_name.status_code == 400 and "CANARY" not in bad_name.text
        extra = client.put(base + "/fine", json={"value": value("extra-field"), "valeu": value("typo-field")})
        assert extra.status_code == 400 and "CANARY" not in extra.text
        not_text = client.put(base + "/fine", json={"value": [value("not-text")]})
        assert not_text.status_code == 400 and "CANARY" not in not_text.text
        batch = client.post(base + "/batchSet", json={"secrets": {"fine": value("batch-ok"), "bad_one": "x"}})
        assert batch.status_code == 400 and "CANARY" not in batch.text
        not_found = client.post(base + "/batchGet", json={"names": ["sdk-one", "sdk-two"]})
        assert not_found.status_code == 404 and "CANARY" not in not_found.text
    with pytest.raises(InvalidName):
        kv.set_secret("also_bad", value("client-refused"))

    # The CLI, as a person at a terminal would use it.
    env = {**os.environ, "MLYARD_ENDPOINT": server.endpoint}
    ok("secret", "set", "-n", "cli-one", "--value", value("cli-flag"), env=env)
    ok("secret", "set", "-n", "cli-two", env=env, stdin=value("cli-pipe") + "\n")
    shown = ok("secret", "show", "-n", "cli-two", env=env)
    assert "CANARY" not in shown.stdout + shown.stderr
    assert ok("secret", "show", "-n", "cli-one", "--show-value", env=env).stdout.startswith("CANARY-")
    ok("secret", "delete", "-n", "cli-one", "--yes", env=env)
    refused = mlyard("secret", "set", "-n", "cli-big", env=env, stdin=value("cli-big", suffix="z" * 26_000))
    assert refused.returncode == 1 and "CANARY" not in refused.stderr

    home = server.home
    assert (home / "mlyard.db").is_file() and (home / "mlyard.db-wal").is_file()
    assert (home / "server.log").stat().st_size > 0 and (home / "blobs").is_dir()
    assert "PUT /api/v1/subscriptions" in server.log()  # the log did record the requests
    assert files_holding(home, used) == {}, "secret values found in the clear"

    # Stopping checkpoints the WAL into the database file: still nothing.
    assert server.stop() == 0
    assert files_holding(home, used) == {}, "secret values found in the clear after the stop"
    with httpx.Client() as probe, pytest.raises(httpx.TransportError):
        probe.get(server.endpoint + "/health", timeout=2)
