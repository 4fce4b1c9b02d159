"""Tabular datasets (``azureml.data.TabularDataset``): rows read on the server by DuckDB.

Transformations (``take``, ``skip``, ``keep_columns``, ``drop_columns``, ``filter``,
``random_split``) make new, unregistered datasets that record them in their definition; the
server applies them while it reads, so ``ds.filter(ds['age'] > 30).take(5)`` sends five rows,
not the file. ``to_pandas_dataframe()`` receives the rows as an Arrow stream (pandas and pyarrow
are imported then, not with ``mlyard``); ``get_profile()`` is computed on the server.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import httpx

from mlyard.core.errors import ValidationError
from mlyard.sdk.client import seg
from mlyard.sdk.dataset import AbstractDataset
from mlyard.sdk.dataset_expressions import Column, Expression, to_node
from mlyard.sdk.transfers import raise_for, unreachable


class DatasetProfile:
    """Per column: ``type``, ``count``, ``missing``, ``min``, ``max``, ``mean``, ``std``,
    ``distinct``, ``topValues`` (``profile['age']['mean']``), and ``row_count``.

    Counts, missing, min, max, mean and std are exact. Past its first ``sample_rows`` rows a
    dataset's ``distinct`` is an estimate (HyperLogLog) and its ``topValues`` are the most
    frequent values of those rows, counted exactly over all rows; each column lists the figures
    that are approximate in ``approximate`` (empty: all exact)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.row_count: int = body["rowCount"]
        self.column_count: int = body["columnCount"]
        self.sample_rows: int | None = body.get("sampleRows")
        self.columns: dict[str, dict[str, Any]] = {c["name"]: c for c in body["columns"]}

    def __getitem__(self, column: str) -> dict[str, Any]:
        return self.columns[column]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rowCount": self.row_count,
            "columnCount": self.column_count,
            "columns": list(self.columns.values()),
            "sampleRows": self.sample_rows,
        }

    def __repr__(self) -> str:
        return f"DatasetProfile(row_count={self.row_count}, columns={list(self.columns)})"


def _columns(columns: str | Sequence[str]) -> list[str]:
    found = [columns] if isinstance(columns, str) else list(columns)
    if not found or not all(isinstance(c, str) for c in found):
        raise ValidationError("Give a column name or a list of them.", target="columns")
    return found


class TabularDataset(AbstractDataset):
    _type = "tabular"

    def __getitem__(self, column: str) -> Column:
        """A column, for conditions: ``ds.filter(ds['age'] > 30)``."""
        return Column(column)

    # -- transformations --------------------------------------------------------------------

    def take(self, count: int) -> TabularDataset:
        derived: TabularDataset = self._derive({"kind": "take", "count": count})
        return derived

    def skip(self, count: int) -> TabularDataset:
        derived: TabularDataset = self._derive({"kind": "skip", "count": count})
        return derived

    def keep_columns(self, columns: str | Sequence[str], validate: bool = False) -> TabularDataset:
        derived: TabularDataset = self._derive({"kind": "keepColumns", "columns": _columns(columns)})
        return derived

    def drop_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        derived: TabularDataset = self._derive({"kind": "dropColumns", "columns": _columns(columns)})
        return derived

    def filter(self, expression: Expression | str) -> TabularDataset:
        """The rows where ``expression`` holds: ``ds['age'] > 30`` or ``"age > 30 and name != 'x'"``."""
        derived: TabularDataset = self._derive({"kind": "filter", "expression": to_node(expression)})
        return derived

    def random_split(self, percentage: float, seed: int | None = None) -> tuple[TabularDataset, TabularDataset]:
        """Two datasets: about ``percentage`` of the rows, and the rest; the same seed splits the same way."""
        if not 0 < percentage < 1:
            raise ValidationError("percentage is between 0 and 1.", target="percentage")
        chosen = random.randrange(2**31) if seed is None else seed
        first, second = (
            self._derive({"kind": "randomSplit", "percentage": percentage, "seed": chosen, "part": part})
            for part in (0, 1)
        )
        return first, second

    # -- reading ----------------------------------------------------------------------------

    def _post(self, what: str, **params: Any) -> httpx.Response:
        client = self.workspace._client
        url = f"{self.workspace._path}/datasetQueries/{what}"
        try:
            # No timeout: reading a large dataset takes as long as it takes.
            response = client._http.post(url, json={"definition": self._definition}, params=params, timeout=None)
        except httpx.TransportError as exc:
            raise unreachable(client, exc) from None
        raise_for(client, response)
        return response

    def to_pandas_dataframe(self, on_error: str = "null", out_of_range_datetime: str = "null") -> Any:
        """The rows as a ``pandas.DataFrame`` (needs pandas and pyarrow: ``pip install mlyard[data]``)."""
        import pyarrow as pa

        body = self._post("data").content
        return pa.ipc.open_stream(pa.py_buffer(body)).read_all().to_pandas()

    def preview(self, count: int = 20) -> dict[str, Any]:
        """The first ``count`` rows as JSON: ``{columns: [{name, type}], rows: [[...]]}`` (no pandas needed)."""
        if self._is_version:
            path = f"{self.workspace._path}/datasets/{seg(self.name or '')}/versions/{self.version}/preview"
            got: dict[str, Any] = self.workspace._client.get(path, top=count)
            return got
        answer: dict[str, Any] = self._post("preview", top=count).json()
        return answer

    def get_profile(self, workspace: Any = None) -> DatasetProfile:
        """Computed on the server, over every row, with DuckDB; a registered version's is kept."""
        if self._is_version:
            path = f"{self.workspace._path}/datasets/{seg(self.name or '')}/versions/{self.version}/profile"
            return DatasetProfile(self.workspace._client.get(path))
        return DatasetProfile(self._post("profile").json())


__all__ = ["DatasetProfile", "TabularDataset"]
