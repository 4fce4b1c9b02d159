"""The vault's cryptography: AES-256-GCM sealing, key wrapping, and the master key's sources."""

from __future__ import annotations

import base64
import logging
import os
import re
import stat
import threading
from pathlib import Path

import pytest

from mlyard.core.errors import MasterKeyError, VaultIntegrityError
from mlyard.core.settings import Mode, Settings
from mlyard.services import crypto
from mlyard.services.crypto import MasterKey


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def master(seed: int = 1) -> MasterKey:
    return MasterKey(bytes([seed]) * 32, "test")


# sealing


def test_seal_and_open_round_trip_with_fresh_nonces() -> None:
    key = crypto.new_data_key()
    context = crypto.secret_context("ws-1", "api-key", 1)
    first, second = crypto.seal(key, b"hunter2", context), crypto.seal(key, b"hunter2", context)
    assert len(key) == 32 and len(first[0]) == crypto.NONCE_BYTES
    assert first[0] != second[0] and first[1] != second[1]
    assert b"hunter2" not in first[1]
    assert crypto.open_sealed(key, *first, context, what="x") == b"hunter2"


@pytest.mark.parametrize("part", ["nonce", "ciphertext", "tag"])
def test_any_altered_byte_is_detected(part: str) -> None:
    key = crypto.new_data_key()
    context = crypto.secret_context("ws-1", "api-key", 1)
    nonce, sealed = crypto.seal(key, b"a value of some length", context)
    if part == "nonce":
        nonce = bytes([nonce[0] ^ 1]) + nonce[1:]
    elif part == "ciphertext":
        sealed = bytes([sealed[0] ^ 1]) + sealed[1:]
    else:
        sealed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(VaultIntegrityError, match="Secret 'api-key' version 1 failed its integrity check"):
        crypto.open_sealed(key, nonce, sealed, context, what="secret 'api-key' version 1")


@pytest.mark.parametrize(
    "elsewhere",
    [("ws-1", "other-key", 1), ("ws-1", "api-key", 2), ("ws-2", "api-key", 1)],
    ids=["another name", "another version", "another workspace"],
)
def test_a_ciphertext_moved_to_another_secret_is_refused(elsewhere: tuple[str, str, int]) -> None:
    key = crypto.new_data_key()
    nonce, sealed = crypto.seal(key, b"value", crypto.secret_context("ws-1", "api-key", 1))
    with pytest.raises(VaultIntegrityError, match="altered or moved"):
        crypto.open_sealed(key, nonce, sealed, crypto.secret_context(*elsewhere), what="the secret")


def test_a_wrong_data_key_is_refused() -> None:
    context = crypto.secret_context("ws-1", "a", 1)
    nonce, sealed = crypto.seal(crypto.new_data_key(), b"value", context)
    with pytest.raises(VaultIntegrityError):
        crypto.open_sealed(crypto.new_data_key(), nonce, sealed, context, what="the secret")


# wrapping data keys


def test_wrap_and_unwrap_a_data_key() -> None:
    data_key = crypto.new_data_key()
    context = crypto.data_key_context("vault-1", "ws-1", 1)
    nonce, wrapped = master().wrap(data_key, context)
    assert data_key not in wrapped
    assert master().unwrap(nonce, wrapped, context, master().key_id) == data_key


def test_a_wrong_master_key_is_named_as_such() -> None:
    context = crypto.data_key_context("vault-1", "ws-1", 1)
    nonce, wrapped = master(1).wrap(crypto.new_data_key(), context)
    with pytest.raises(MasterKeyError) as info:
        master(2).unwrap(nonce, wrapped, context, master(1).key_id)
    message = info.value.message
    assert master(1).key_id in message and master(2).key_id in message
    assert "MLYARD_MASTER_KEY" in message and info.value.status == 503


def test_a_wrapped_key_moved_to_another_vault_is_refused() -> None:
    nonce, wrapped = master().wrap(crypto.new_data_key(), crypto.data_key_context("vault-1", "ws-1", 1))
    with pytest.raises(VaultIntegrityError, match="data key"):
        master().unwrap(nonce, wrapped, crypto.data_key_context("vault-2", "ws-2", 1), master().key_id)


def test_key_ids_differ_per_key_and_reveal_nothing_of_it() -> None:
    assert master(1).key_id != master(2).key_id and len(master(1).key_id) == 16
    assert master(1).key.hex()[:16] != master(1).key_id
    assert "\\x01" not in repr(master(1)) and "key=" not in repr(master(1))


# parsing the master key


def test_master_key_in_standard_or_url_safe_base64() -> None:
    raw = bytes(range(200, 232))
    assert crypto.parse_master_key(b64(raw), "env") == raw
    assert crypto.parse_master_key(base64.urlsafe_b64encode(raw).decode() + "\n", "env") == raw


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("not base64 at all!", "is not valid base64"),
        (b64(b"k" * 16), "decodes to 16 bytes"),
        (b64(b"k" * 33), "decodes to 33 bytes"),
        ("", "decodes to 0 bytes"),
    ],
)
def test_anything_but_32_base64_bytes_is_refused_without_echoing_it(text: str, found: str) -> None:
    with pytest.raises(MasterKeyError) as info:
        crypto.parse_master_key(text, "MLYARD_MASTER_KEY")
    message = info.value.message
    assert found in message and "exactly 32 random bytes" in message and "os.urandom(32)" in message
    if text:
        assert text not in message


# the key file


def test_the_key_file_is_created_private_even_under_a_loose_umask(tmp_path: Path) -> None:
    path = tmp_path / "home" / "master.key"
    old = os.umask(0)
    try:
        assert crypto.create_key_file(path) is True
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600
    first = path.read_text()
    assert len(crypto.parse_master_key(first, str(path))) == 32
    assert crypto.create_key_file(path) is False
    assert path.read_text() == first
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


def test_servers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(crypto.create_key_file(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]


def test_a_readable_key_file_is_refused_in_production_and_warned_about_in_development(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "master.key"
    crypto.create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(MasterKeyError, match=r"mode 0644.*chmod 600"):
        crypto.check_key_file(path, Mode.PRODUCTION)
    with caplog.at_level(logging.WARNING, logger="mlyard.vault"):
        crypto.check_key_file(path, Mode.DEVELOPMENT)
    assert "chmod 600" in caplog.text and "refused in production" in caplog.text
    path.chmod(0o600)
    crypto.check_key_file(path, Mode.PRODUCTION)


def test_a_key_folder_is_not_a_key_file(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="not a regular file"):
        crypto.check_key_file(tmp_path, Mode.DEVELOPMENT)


# where the server's key comes from


def test_without_the_variable_the_key_file_is_made_and_used(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    assert settings.master_key_path == tmp_path / "home" / "master.key"
    key = crypto.load_master_key(settings)
    assert mode_of(settings.master_key_path) == 0o600
    assert key.key == crypto.parse_master_key(settings.master_key_path.read_text(), "file")
    assert key.source == str(settings.master_key_path)
    assert crypto.load_master_key(Settings(home=tmp_path / "home")) == key


def test_the_variable_wins_and_makes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = os.urandom(32)
    monkeypatch.setenv("MLYARD_MASTER_KEY", b64(raw))
    settings = Settings(home=tmp_path / "home")
    key = crypto.load_master_key(settings)
    assert key.key == raw and key.source == "MLYARD_MASTER_KEY"
    assert not settings.master_key_path.exists()
    assert b64(raw) not in repr(settings) and b64(raw) not in str(settings.model_dump())


def test_a_bad_variable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLYARD_MASTER_KEY", "c2hvcnQ=")
    with pytest.raises(MasterKeyError, match="MLYARD_MASTER_KEY decodes to 5 bytes"):
        crypto.load_master_key(Settings(home=tmp_path / "home"))


def test_a_named_key_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets" / "mlyard.key"
    path.parent.mkdir()
    raw = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b64(raw).encode())
    os.close(fd)
    monkeypatch.setenv("MLYARD_MASTER_KEY_FILE", str(path))
    assert crypto.load_master_key(Settings(home=tmp_path / "home")).key == raw


def test_a_garbled_key_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "home" / "master.key"
    path.parent.mkdir()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"garbage")
    os.close(fd)
    with pytest.raises(MasterKeyError, match=re.escape(f"The master key in {path} is not valid base64")):
        crypto.load_master_key(Settings(home=tmp_path / "home"))


def test_production_refuses_to_start_with_a_readable_key_file(tmp_path: Path) -> None:
    from mlyard.server.runner import prepare

    home = tmp_path / "home"
    crypto.create_key_file(home / "master.key")
    (home / "master.key").chmod(0o640)
    with pytest.raises(MasterKeyError, match="before starting the server in production"):
        prepare(Settings(home=home, mode=Mode.PRODUCTION))
    assert not (home / "mlyard.db").exists()
