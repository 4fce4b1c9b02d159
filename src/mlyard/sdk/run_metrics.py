"""Azure ML's logging methods of a run (``run.log``, ``log_list``, ``log_row``, ... , ``get_metrics``).

Scalars go through the run's :class:`MetricsQueue` (``log`` never waits for the network);
the JSON metrics (lists, rows, tables, confusion matrices, accuracy tables) are small and rare,
and are sent at once. ``step`` defaults to 0, 1, 2, ... per name, since Azure's repeated
``run.log`` calls of one name form a series.
"""

from __future__ import annotations

import json
import time
from typing import Any

from mlyard.api.metrics import BINARY_MEDIA_TYPE, unpack_history
from mlyard.core.errors import ValidationError
from mlyard.sdk.client import Client, seg
from mlyard.sdk.metrics_queue import MetricsQueue


def metric_value(name: str, value: object) -> float:
    """A scalar metric's value as a float: ints, floats, bools and numpy scalars; else TypeError."""
    if type(value) is float:
        return value
    if isinstance(value, str | bytes) or not hasattr(value, "__float__"):
        raise TypeError(
            f"Metric '{name}': run.log takes a number (int, float, bool or a numpy scalar), not "
            f"{type(value).__name__}; use log_list, log_row or log_table for several values."
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Metric '{name}': {type(value).__name__} is not a single number (an array of size 1 at most)."
        ) from None


def _from_wire(value: float | str) -> float:
    return float(value)  # float() reads "NaN", "Infinity" and "-Infinity"


class RunMetricsMixin:
    """Logging methods of ``Run``, which sets ``_client`` and ``_path`` (``.../runs/{runId}``)."""

    _client: Client
    _path: str
    _metrics_queue_: MetricsQueue | None = None
    _next_steps_: dict[str, int] | None = None

    @property
    def _metrics(self) -> MetricsQueue:
        if self._metrics_queue_ is None:
            self._metrics_queue_ = MetricsQueue(self._client, self._path)
        return self._metrics_queue_

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Queue one point of metric ``name``; returns at once (``flush`` waits until it is stored)."""
        number = metric_value(name, value)
        steps = self._next_steps_
        if steps is None:
            steps = self._next_steps_ = {}
        if step is None:
            step = steps.get(name, 0)
        elif isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"Metric '{name}': step must be an int, not {type(step).__name__}.")
        steps[name] = step + 1
        self._metrics.log(name, number, step, int(time.time() * 1000))

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every point logged so far is stored (MetricsFlushTimeout after ``timeout`` s)."""
        if self._metrics_queue_ is not None:
            self._metrics_queue_.flush(timeout)

    # JSON metrics, sent at once

    def _log_json(self, name: str, kind: str, value: Any) -> None:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Metric '{name}': the value must be JSON with finite numbers ({exc}).") from None
        self._client.post(f"{self._path}/metrics/json", json={"name": name, "kind": kind, "value": value})

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        self._log_json(name, "list", list(value))

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """One row of a table metric: repeated calls of one name add rows (``get_metrics`` answers columns)."""
        self._log_json(name, "row", kwargs)

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        if not isinstance(value, dict):
            raise TypeError(f"Metric '{name}': log_table takes a dict of column name to list of values.")
        self._log_json(name, "table", value)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, "confusion_matrix", json.loads(value) if isinstance(value, str) else value)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, "accuracy_table", json.loads(value) if isinstance(value, str) else value)

    # reading

    def get_metrics(
        self, name: str | None = None, recursive: bool = False, run_type: str | None = None, populate: bool = False
    ) -> dict[str, Any]:
        """Azure's shape: a name logged once answers its value, several times the list of values.

        ``recursive=True`` answers ``{run_id: {name: value}}`` for this run and its descendants
        (``run_type`` keeps the descendants of that type). Points still queued are flushed first.
        """
        self.flush()
        if not recursive:
            return _metrics_of(self._client, self._path, name)
        out = {self._path.rsplit("/", 1)[-1]: _metrics_of(self._client, self._path, name)}
        for child_path, child_id in _descendants(self._client, self._path, run_type):
            out[child_id] = _metrics_of(self._client, child_path, name)
        return out


def history(client: Client, run_path: str, name: str) -> list[float]:
    """A metric's full history (values in step order), fetched packed."""
    # Client.request speaks JSON only; the packed form is 3x smaller and needs no parsing.
    response = client._http.get(f"{run_path}/metrics/{seg(name)}", params={"format": "binary"})
    if response.status_code >= 400:
        client.request("GET", f"{run_path}/metrics/{seg(name)}")  # raises the server's error
    if response.headers.get("content-type", "").split(";")[0] != BINARY_MEDIA_TYPE:
        raise ValidationError(f"The server answered metric '{name}' in an unexpected format.")
    return unpack_history(response.content)[3].tolist()


def _metrics_of(client: Client, run_path: str, only: str | None) -> dict[str, Any]:
    body = client.get(f"{run_path}/metrics")
    out: dict[str, Any] = {}
    for m in body["metrics"]:
        if only is not None and m["name"] != only:
            continue
        out[m["name"]] = _from_wire(m["value"]) if m["count"] == 1 else history(client, run_path, m["name"])
    rows: dict[str, dict[str, list[Any]]] = {}
    for j in body["jsonMetrics"]:
        if only is not None and j["name"] != only:
            continue
        if j["kind"] == "row":
            table = rows.setdefault(j["name"], {})
            for column, cell in j["value"].items():
                table.setdefault(column, []).append(cell)
            out[j["name"]] = table
        else:
            out[j["name"]] = j["value"]
    return out


def _descendants(client: Client, run_path: str, run_type: str | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    base = run_path.rsplit("/", 1)[0]
    body = client.get(f"{run_path}/children")
    # A plain list, or a page {"value": [...]} as Azure's list answers.
    children = body.get("value", body.get("runs")) if isinstance(body, dict) else body
    for child in children if isinstance(children, list) else []:
        child_id = str(child.get("runId") or child.get("id"))
        child_path = f"{base}/{seg(child_id)}"
        if run_type is None or child.get("runType") == run_type:
            found.append((child_path, child_id))
        found.extend(_descendants(client, child_path, run_type))
    return found


__all__ = ["RunMetricsMixin", "history", "metric_value"]
