"""The server's settings: one typed object, read from ``MLYARD_*`` variables and flags.

Built once by the command that starts the server and passed into ``create_app``; nothing
reads the environment at import time.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8765


def default_home() -> Path:
    env = os.environ.get("MLYARD_HOME")
    return Path(env).expanduser() if env else Path.home() / ".mlyard"


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLYARD_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    mode: Mode = Mode.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    database_url: str = ""
    storage_url: str = ""
    s3_endpoint_url: str | None = None
    admin_password: str | None = Field(default=None, repr=False)
    token_ttl_days: int = Field(default=90, ge=1, le=3650)
    login_token_ttl_days: int = Field(default=30, ge=1, le=365)
    service_principal_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    service_principal_secret_ttl_days: int = Field(default=365, ge=1, le=3650)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: str = "info"
    public_url: str | None = None
    # The vault's master key (base64 of 32 bytes); without it, the key file at master_key_path.
    master_key: SecretStr | None = Field(default=None, repr=False)
    master_key_file: Path | None = None

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'mlyard.db'}"
        if not self.storage_url:
            self.storage_url = (self.home / "blobs").as_uri()
        if self.mode is Mode.PRODUCTION:
            # Refuse the defaults that are only safe on one person's machine.
            if self.admin_password is not None and len(self.admin_password) < 12:
                raise ValueError("MLYARD_ADMIN_PASSWORD must have at least 12 characters in production")
            if self.database_url.startswith("sqlite") and self.host not in ("127.0.0.1", "localhost"):
                raise ValueError(
                    "SQLite serves one host only: use PostgreSQL (--database-url postgresql+psycopg://…) "
                    "when the server listens beyond 127.0.0.1 in production"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def credentials_path(self) -> Path:
        return self.home / "credentials"

    @property
    def config_path(self) -> Path:
        return self.home / "config.json"

    @property
    def master_key_path(self) -> Path:
        return (self.master_key_file or self.home / "master.key").expanduser()
