"""Where the SDK and CLI find their workspace and their credentials.

``config.json`` holds ``subscription_id``, ``resource_group``, ``workspace_name`` and an
optional ``endpoint``; it is looked for as ``config.json``, ``.azureml/config.json`` and
``.mlyard/config.json`` in the working folder and each parent, then in ``MLYARD_HOME``.
Credentials live in ``MLYARD_HOME/credentials`` (JSON, mode 0600), by endpoint.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlyard.core.errors import InvalidConfig
from mlyard.core.settings import DEFAULT_PORT, default_home

CONFIG_CANDIDATES = ("config.json", ".azureml/config.json", ".mlyard/config.json")
REQUIRED_KEYS = ("subscription_id", "resource_group", "workspace_name")
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"


@dataclass(frozen=True)
class WorkspaceConfig:
    subscription_id: str
    resource_group: str
    workspace_name: str
    endpoint: str | None = None
    path: Path | None = None

    def to_json(self) -> dict[str, str]:
        out = {
            "subscription_id": self.subscription_id,
            "resource_group": self.resource_group,
            "workspace_name": self.workspace_name,
        }
        if self.endpoint:
            out["endpoint"] = self.endpoint
        return out


def find_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    start = Path(path).expanduser().resolve() if path is not None else Path.cwd()
    if start.is_file():
        return start
    for folder in (start, *start.parents):
        for name in CONFIG_CANDIDATES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    fallback = default_home() / "config.json"
    return fallback if fallback.is_file() else None


def load_config(file: Path) -> WorkspaceConfig:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfig(f"Cannot read workspace config file '{file}': {exc}.", target=str(file)) from None
    except json.JSONDecodeError as exc:
        raise InvalidConfig(
            f"Workspace config file '{file}' is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}.",
            target=str(file),
        ) from None
    if not isinstance(data, dict):
        raise InvalidConfig(f"Workspace config file '{file}' must hold a JSON object.", target=str(file))
    values: dict[str, str] = {}
    for key in REQUIRED_KEYS:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problem = "is missing" if value is None else "must be a non-empty string"
            raise InvalidConfig(
                f"Workspace config file '{file}': key '{key}' {problem} (the file needs {', '.join(REQUIRED_KEYS)}).",
                target=key,
            )
        values[key] = value.strip()
    endpoint = data.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))):
        raise InvalidConfig(
            f"Workspace config file '{file}': key 'endpoint' must be an http(s) URL.", target="endpoint"
        )
    return WorkspaceConfig(**values, endpoint=endpoint, path=file)


def write_config(
    config: WorkspaceConfig, path: str | os.PathLike[str] | None = None, file_name: str | None = None
) -> Path:
    """Write ``.azureml/config.json`` (Azure's place) under ``path`` (default: the working folder)."""
    folder = Path(path).expanduser() if path is not None else Path.cwd()
    target = folder / ".azureml" / (file_name or "config.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(config.to_json(), indent=2) + "\n", encoding="utf-8")
    return target


def write_json_private(file: Path, data: dict[str, Any]) -> None:
    """Write a file only its owner can read, without a moment in which others could."""
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, file)


def credentials_path() -> Path:
    return default_home() / "credentials"


def load_credentials() -> dict[str, Any]:
    file = credentials_path()
    if not file.is_file():
        return {"default_endpoint": None, "endpoints": {}}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidConfig(
            f"Credentials file '{file}' is unreadable ({exc}): run 'mlyard login' again.", target=str(file)
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), dict):
        raise InvalidConfig(f"Credentials file '{file}' is malformed: run 'mlyard login' again.", target=str(file))
    return data


def save_credentials(
    endpoint: str, username: str, token: str, *, password: str | None = None, make_default: bool = True
) -> Path:
    data = load_credentials()
    entry: dict[str, Any] = {"username": username, "token": token}
    if password is not None:
        entry["password"] = password
    data["endpoints"][endpoint.rstrip("/")] = entry
    if make_default or not data.get("default_endpoint"):
        data["default_endpoint"] = endpoint.rstrip("/")
    file = credentials_path()
    write_json_private(file, data)
    return file


def remove_credentials(endpoint: str) -> bool:
    data = load_credentials()
    removed = data["endpoints"].pop(endpoint.rstrip("/"), None) is not None
    if data.get("default_endpoint") == endpoint.rstrip("/"):
        data["default_endpoint"] = next(iter(data["endpoints"]), None)
    if removed:
        write_json_private(credentials_path(), data)
    return removed


def resolve_endpoint(explicit: str | None = None, config: WorkspaceConfig | None = None) -> str:
    """explicit > config.json's endpoint > MLYARD_ENDPOINT > the credentials' default > 127.0.0.1:8765."""
    for candidate in (explicit, config.endpoint if config else None, os.environ.get("MLYARD_ENDPOINT")):
        if candidate:
            return candidate.rstrip("/")
    default = load_credentials().get("default_endpoint")
    return str(default).rstrip("/") if default else DEFAULT_ENDPOINT


def token_for(endpoint: str) -> str | None:
    """MLYARD_TOKEN, else the saved token of that endpoint."""
    env = os.environ.get("MLYARD_TOKEN")
    if env:
        return env
    entry = load_credentials()["endpoints"].get(endpoint.rstrip("/"))
    token = entry.get("token") if isinstance(entry, dict) else None
    return token if isinstance(token, str) else None
