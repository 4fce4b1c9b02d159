"""Datasets as inputs of runs: ``dataset.as_named_input('train').as_mount()`` in a
``ScriptRunConfig``'s arguments, and ``Run.get_context().input_datasets['train']`` in the script.

The argument stands for the input's local folder: it is ``DatasetConsumptionConfig:<name>``
until the job starts, when the backend replaces it with the folder it copied the files into
(read-only for a mount). In the job, ``input_datasets`` answers that folder for a file
dataset and a ``TabularDataset`` for a tabular one (its ``to_pandas_dataframe()`` reads
through the server, which checks the pinned files again).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError

if TYPE_CHECKING:
    from mlyard.sdk.client import Client

PLACEHOLDER = "DatasetConsumptionConfig:"
VARIABLE = "MLYARD_INPUT_DATASETS"


class DatasetConsumptionConfig:
    """How a run consumes a registered dataset: under ``name``, as a mount (default) or a download."""

    def __init__(
        self, name: str, dataset: str, version: int | None, transforms: list[dict[str, Any]], mode: str = "mount"
    ) -> None:
        if not name.isidentifier():
            raise ValidationError(f"Input name '{name}' must be letters, digits and underscores.", target="name")
        self.name = name
        self.dataset = dataset
        self.version = version
        self.transforms = list(transforms)
        self.mode = mode

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """A read-only folder (a copy made read-only: mlyard has no FUSE mount)."""
        return DatasetConsumptionConfig(self.name, self.dataset, self.version, self.transforms, "mount")

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """A writable copy in the job's folder."""
        return DatasetConsumptionConfig(self.name, self.dataset, self.version, self.transforms, "download")

    def _to_input(self) -> dict[str, Any]:
        """The job body's ``inputDatasets`` entry (``ScriptRunConfig`` collects these)."""
        return {
            "name": self.name, "dataset": self.dataset, "version": self.version, "mode": self.mode,
            "transforms": self.transforms,
        }  # fmt: skip

    def __str__(self) -> str:
        return PLACEHOLDER + self.name

    def __repr__(self) -> str:
        return f"DatasetConsumptionConfig(name={self.name!r}, dataset={self.dataset!r}, mode={self.mode!r})"


class RunInputsMixin:
    """``input_datasets`` of ``Run``, which sets ``id``, ``experiment``, ``_client`` and ``_path``."""

    id: str
    experiment: Any
    _client: Client
    _path: str

    def _input_dataset_details(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._client.get(self._path + "/inputDatasets")
        return found

    @property
    def input_datasets(self) -> dict[str, Any]:
        """By input name: in the job itself, the local folder of a file dataset and a
        ``TabularDataset`` for a tabular one; elsewhere, the dataset versions the run read."""
        from mlyard.sdk.dataset import Dataset

        workspace = self.experiment.workspace
        local: dict[str, dict[str, Any]] = {}
        if os.environ.get("MLYARD_RUN_ID") == self.id:
            local = json.loads(os.environ.get(VARIABLE) or "{}")
        out: dict[str, Any] = {}
        for item in self._input_dataset_details():
            given = local.get(item["name"])
            if given is not None and item["datasetType"] == "file":
                out[item["name"]] = given["path"]
                continue
            dataset = Dataset.get_by_name(workspace, item["dataset"], item["version"])
            out[item["name"]] = dataset._derive(*item["transforms"]) if item["transforms"] else dataset
        return out


__all__ = ["PLACEHOLDER", "VARIABLE", "DatasetConsumptionConfig", "RunInputsMixin"]
