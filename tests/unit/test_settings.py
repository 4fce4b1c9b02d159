"""Settings: defaults under MLYARD_HOME, environment overrides, and the refusals of production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticValidationError

from mlyard.core.settings import DEFAULT_PORT, Mode, Settings, default_home


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MLYARD_* variable of the caller leaks in; MLYARD_HOME points at a fresh folder."""
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("MLYARD_HOME", str(home))
    return home


def test_defaults_live_under_mlyard_home(clean_env: Path) -> None:
    s = Settings()
    home = clean_env.resolve()
    assert s.home == home
    assert s.mode is Mode.DEVELOPMENT
    assert s.host == "127.0.0.1"
    assert s.port == DEFAULT_PORT == 8765
    assert s.database_url == f"sqlite:///{home / 'mlyard.db'}"
    assert s.storage_url == (home / "blobs").as_uri()
    assert s.credentials_path == home / "credentials"
    assert s.config_path == home / "config.json"
    assert s.is_sqlite
    assert s.base_url == "http://127.0.0.1:8765"
    assert s.admin_password is None
    assert s.token_ttl_days == 90


def test_default_home_without_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLYARD_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_home() == tmp_path / "user" / ".mlyard"
    assert Settings().home == (tmp_path / "user" / ".mlyard").resolve()


def test_home_is_expanded_and_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MLYARD_HOME", "~/state")
    assert default_home() == tmp_path / "state"
    assert Settings().home == (tmp_path / "state").resolve()
    monkeypatch.chdir(tmp_path)
    assert Settings(home=Path("relative")).home == (tmp_path / "relative").resolve()


def test_nothing_is_read_from_the_environment_at_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = Settings().home
    monkeypatch.setenv("MLYARD_HOME", str(tmp_path / "other"))
    assert Settings().home == (tmp_path / "other").resolve() != first


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLYARD_PORT", "9999")
    monkeypatch.setenv("MLYARD_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:5432/mlyard")
    monkeypatch.setenv("MLYARD_STORAGE_URL", "s3://bucket/prefix")
    monkeypatch.setenv("MLYARD_HOST", "0.0.0.0")
    monkeypatch.setenv("MLYARD_TOKEN_TTL_DAYS", "7")
    s = Settings()
    assert s.port == 9999
    assert s.database_url == "postgresql+psycopg://u:p@127.0.0.1:5432/mlyard"
    assert not s.is_sqlite
    assert s.storage_url == "s3://bucket/prefix"
    assert s.host == "0.0.0.0"
    assert s.base_url == "http://0.0.0.0:9999"
    assert s.token_ttl_days == 7


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLYARD_PORT", "9999")
    assert Settings(port=1234).port == 1234


def test_public_url_wins_for_base_url() -> None:
    assert Settings(public_url="https://ml.example.org").base_url == "https://ml.example.org"


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLYARD_NO_SUCH_SETTING", "x")
    Settings()


@pytest.mark.parametrize("port", [-1, 65536, 100_000])
def test_ports_out_of_range(port: int) -> None:
    with pytest.raises(PydanticValidationError) as info:
        Settings(port=port)
    assert info.value.errors()[0]["loc"] == ("port",)


@pytest.mark.parametrize("port", [0, 1, 65535])
def test_ports_in_range(port: int) -> None:
    assert Settings(port=port).port == port


@pytest.mark.parametrize("value", ["abc", "70000", "-5"])
def test_bad_port_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MLYARD_PORT", value)
    with pytest.raises(PydanticValidationError) as info:
        Settings()
    assert info.value.errors()[0]["loc"] == ("port",)


def test_production_refuses_a_short_admin_password() -> None:
    with pytest.raises(PydanticValidationError) as info:
        Settings(mode="production", admin_password="x" * 11)
    assert "MLYARD_ADMIN_PASSWORD" in str(info.value)
    assert "12" in str(info.value)
    assert Settings(mode="production", admin_password="x" * 12).mode is Mode.PRODUCTION
    # A password is generated when none is given.
    assert Settings(mode="production").admin_password is None


def test_production_from_the_environment_refuses_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLYARD_MODE", "production")
    monkeypatch.setenv("MLYARD_ADMIN_PASSWORD", "short")
    with pytest.raises(PydanticValidationError):
        Settings()


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "ml.example.org", "::"])
def test_production_refuses_sqlite_beyond_loopback(host: str) -> None:
    with pytest.raises(PydanticValidationError) as info:
        Settings(mode="production", host=host)
    assert "PostgreSQL" in str(info.value)
    with pytest.raises(PydanticValidationError):
        Settings(mode="production", host=host, database_url="sqlite:////srv/mlyard.db")
    ok = Settings(mode="production", host=host, database_url="postgresql+psycopg://u:p@db:5432/mlyard")
    assert ok.host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_production_allows_sqlite_on_loopback(host: str) -> None:
    assert Settings(mode="production", host=host).is_sqlite


def test_development_allows_what_production_refuses() -> None:
    s = Settings(host="0.0.0.0", admin_password="short")
    assert s.mode is Mode.DEVELOPMENT and s.is_sqlite


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(PydanticValidationError):
        Settings(mode="staging")


def test_admin_password_is_not_in_the_repr() -> None:
    s = Settings(admin_password="very-secret-password")
    assert "very-secret-password" not in repr(s)
    assert "very-secret-password" not in str(s)
