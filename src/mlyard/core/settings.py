"""The server's settings: one typed object, read from ``MLYARD_*`` variables and flags.

Built once by the command that starts the server and passed into ``create_app``; nothing
reads the environment at import time.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PORT = 8765


def default_home() -> Path:
    env = os.environ.get("MLYARD_HOME")
    return Path(env).expanduser() if env else Path.home() / ".mlyard"


class InstanceSize(BaseModel):
    """One size of compute instance (``vm_size``): its limits and what an hour of it costs."""

    name: str = Field(min_length=1, max_length=64)
    cores: int = Field(ge=1, le=1024)
    memory_gb: float = Field(gt=0, le=100_000)
    price_per_hour: float = Field(default=0.0, ge=0)


def default_instance_sizes() -> list[InstanceSize]:
    return [
        InstanceSize(name="small", cores=1, memory_gb=4, price_per_hour=0.05),
        InstanceSize(name="medium", cores=2, memory_gb=8, price_per_hour=0.10),
        InstanceSize(name="large", cores=4, memory_gb=16, price_per_hour=0.20),
    ]


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
    # Deleted runs and experiments stay restorable this long; `mlyard gc` then purges them.
    retention_days: int = Field(default=30, ge=0, le=36_500)
    # Jobs (docs/compute.md): the source snapshot's limits, as Azure ML's; the local target's
    # slots (default: the host's cores); how long a canceled job has between SIGTERM and SIGKILL;
    # the lifetime of a job's token when the job sets no max_run_duration_seconds.
    snapshot_max_mb: int = Field(default=300, ge=1, le=100_000)
    snapshot_max_files: int = Field(default=2000, ge=1, le=10_000_000)
    local_max_concurrent_runs: int | None = Field(default=None, ge=1, le=1024)
    job_cancel_grace_seconds: float = Field(default=10.0, ge=0, le=3600)
    job_token_ttl_hours: int = Field(default=336, ge=1, le=8760)
    # Whether this server dispatches jobs (one leader among replicas either way).
    scheduler: bool = True
    # Environments are built with uv when it is installed ('auto'), or always with 'uv' or 'pip'.
    environment_builder: Literal["auto", "uv", "pip"] = "auto"
    # A failed environment build is answered from memory this long, so that a burst of jobs in a
    # broken environment does not rebuild it once each; an explicit build always tries again.
    environment_build_failure_ttl_seconds: int = Field(default=300, ge=0, le=86_400)
    # Compute instances (docs/compute.md): the size catalogue (MLYARD_INSTANCE_SIZES, a JSON list of
    # {name, cores, memory_gb, price_per_hour}); how often the scheduler looks at running instances
    # (idle shutdown, schedules, a Jupyter process that died); how long a Jupyter server may take to answer.
    instance_sizes: list[InstanceSize] = Field(default_factory=default_instance_sizes, min_length=1)
    instance_check_seconds: float = Field(default=30.0, gt=0, le=3600)
    jupyter_start_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    log_level: str = "info"
    public_url: str | None = None
    # The vault's master key (base64 of 32 bytes); without it, the key file at master_key_path.
    master_key: SecretStr | None = Field(default=None, repr=False)
    master_key_file: Path | None = None
    # Folders of this host that local datastores may point into: none unless the administrator
    # names them (MLYARD_LOCAL_DATASTORE_ROOTS, separated like PATH, or a JSON list).
    local_datastore_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list)

    @field_validator("local_datastore_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p for p in text.split(os.pathsep) if p.strip()]
        return value

    @field_validator("local_datastore_roots")
    @classmethod
    def _absolute_roots(cls, value: list[Path]) -> list[Path]:
        for root in value:
            if not root.expanduser().is_absolute():
                raise ValueError(f"MLYARD_LOCAL_DATASTORE_ROOTS holds '{root}': each root must be an absolute folder")
        return [root.expanduser() for root in value]

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
            if any(root.resolve() == Path(root.anchor) for root in self.local_datastore_roots):
                raise ValueError("MLYARD_LOCAL_DATASTORE_ROOTS may not hold '/' in production: it opens the whole host")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def job_endpoint(self) -> str:
        """The address a job's process reaches this server at (a wildcard host means this host)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def credentials_path(self) -> Path:
        return self.home / "credentials"

    @property
    def config_path(self) -> Path:
        return self.home / "config.json"

    @property
    def master_key_path(self) -> Path:
        return (self.master_key_file or self.home / "master.key").expanduser()
