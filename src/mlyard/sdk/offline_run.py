"""The run a script gets from ``Run.get_context()`` when mlyard did not start it.

It has the logging and lifecycle methods of a real run, prints each metric, and appends one
JSON line per call to ``./outputs/offline-run/metrics.jsonl``, so that a training script runs
unchanged on a laptop, in CI or under mlyard.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mlyard.core.entities.tracking import RunStatus

OFFLINE_FOLDER = Path("outputs") / "offline-run"


def _plain(value: Any) -> Any:
    # NaN and infinities are written as text: JSON has no spelling for them.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


class OfflineRun:
    """An offline stand-in for ``Run``: metrics go to the console and a local JSON-lines file."""

    def __init__(self, folder: Path | None = None) -> None:
        self.id = f"OfflineRun_{uuid.uuid4()}"
        self.number = 0
        self.display_name: str | None = None
        self.status = RunStatus.RUNNING.value
        self.tags: dict[str, str] = {}
        self.properties: dict[str, str] = {}
        self.parent: OfflineRun | None = None
        self._folder = folder or OFFLINE_FOLDER
        self._metrics: dict[str, list[Any]] = {}

    @property
    def metrics_file(self) -> Path:
        return Path.cwd() / self._folder / "metrics.jsonl"

    def _record(self, kind: str, name: str, value: Any, **extra: Any) -> None:
        value = _plain(value)
        self._metrics.setdefault(name, []).append(value)
        sys.stdout.write(f"[offline run] {name}: {value}\n")
        line = {"run_id": self.id, "kind": kind, "name": name, "value": value, **extra}
        path = self.metrics_file
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    # logging, as Run's
    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        self._record("scalar", name, value, step=step)

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        self._record("list", name, list(value))

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._record("row", name, kwargs)

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        self._record("table", name, value)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        self._record("confusion_matrix", name, json.loads(value) if isinstance(value, str) else value)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._record("accuracy_table", name, json.loads(value) if isinstance(value, str) else value)

    def log_image(self, name: str, path: str | None = None, plot: Any = None, description: str = "") -> None:
        self._record("image", name, str(path) if path is not None else "<plot>")

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        found = {k: v[0] if len(v) == 1 else list(v) for k, v in self._metrics.items()}
        return {name: found[name]} if name is not None and name in found else ({} if name else found)

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is queued offline: every call is written when made."""

    # tags, properties, children, lifecycle
    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.tags.update({k: "" if v is None else str(v) for k, v in tags.items()})

    def tag(self, key: str, value: str | None = None) -> None:
        self.set_tags({key: value})

    def remove_tags(self, tags: list[str] | str) -> None:
        for key in [tags] if isinstance(tags, str) else tags:
            self.tags.pop(key, None)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        self.properties.update({k: str(v) for k, v in properties.items()})

    def child_run(self, name: str | None = None) -> OfflineRun:
        child = OfflineRun(self._folder)
        child.display_name, child.parent = name, self
        return child

    def get_children(self, recursive: bool = False) -> list[OfflineRun]:
        return []

    def get_status(self) -> str:
        return self.status

    def get_details(self) -> dict[str, Any]:
        return {"runId": self.id, "status": self.status, "tags": dict(self.tags), "properties": dict(self.properties)}

    def complete(self) -> None:
        self.status = RunStatus.COMPLETED.value

    def fail(self, error_details: BaseException | str | None = None, error_code: str | None = None) -> None:
        self.status = RunStatus.FAILED.value

    def cancel(self) -> None:
        self.status = RunStatus.CANCELED.value

    def __enter__(self) -> OfflineRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if RunStatus(self.status).terminal:
            return
        if exc is not None:
            self.fail(exc)
        else:
            self.complete()

    def __repr__(self) -> str:
        return f"OfflineRun(Id: {self.id}, Status: {self.status})"
