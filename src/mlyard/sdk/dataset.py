"""Datasets (``azureml.core.Dataset``): named, versioned references to files in datastores.

``Dataset.Tabular.from_delimited_files(path)``, ``from_parquet_files(path)`` and
``Dataset.File.from_files(path)`` define one, where ``path`` is ``(datastore, 'folder/*.csv')``,
a list of such, a ``DataReference`` (``datastore.path('folder')``), or a local file, folder or
glob (uploaded first to the default datastore, under ``datasets/uploads/<id>/``).
``dataset.register(ws, name)`` pins the files the globs match now (their sha256 on the server);
``Dataset.get_by_name(ws, name, version='latest')`` and ``Dataset.get_all(ws)`` read the
catalogue. Reading goes through the server, which checks the pinned files first.
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError
from mlyard.sdk.client import seg
from mlyard.sdk.dataset_inputs import DatasetConsumptionConfig

if TYPE_CHECKING:
    from mlyard.sdk.dataset_file import FileDataset
    from mlyard.sdk.dataset_tabular import TabularDataset
    from mlyard.sdk.workspace import Workspace

UPLOADS = "datasets/uploads"


class AbstractDataset:
    """What tabular and file datasets share: their definition, registration and lineage."""

    _type = ""

    def __init__(
        self,
        workspace: Workspace,
        definition: dict[str, Any],
        details: dict[str, Any] | None = None,
    ) -> None:
        self.workspace = workspace
        self._definition = definition
        self._details = dict(details or {})

    # -- what it is -------------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The registered name (None until registered; a transformed dataset is unregistered)."""
        return self._details.get("name")

    @property
    def version(self) -> int | None:
        return self._details.get("version")

    @property
    def id(self) -> str | None:
        return self._details.get("id")

    @property
    def description(self) -> str | None:
        return self._details.get("description")

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._details.get("tags") or {})

    @property
    def definition(self) -> dict[str, Any]:
        """What the server reads: a registered version's stored definition, else this one."""
        return dict(self._details.get("definition") or self._definition)

    def get_details(self) -> dict[str, Any]:
        return dict(self._details) or {"definition": self._definition}

    def _derive(self, *transforms: dict[str, Any]) -> Any:
        """A new, unregistered dataset: this one with more transformations."""
        definition = {**self._definition, "transforms": [*self._definition.get("transforms", []), *transforms]}
        return type(self)(self.workspace, definition)

    @property
    def _path(self) -> str:
        return f"{self.workspace._path}/datasets"

    @property
    def _is_version(self) -> bool:
        """Registered and not transformed since: the server's routes for a version apply."""
        return self.version is not None and not self._definition.get("transforms")

    # -- registering ------------------------------------------------------------------------

    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        create_new_version: bool = False,
    ) -> Any:
        """Register this definition as ``name``; answers the registered version. The same
        definition over the same files answers the existing version; anything else under a
        taken name needs ``create_new_version=True`` (else ``DatasetAlreadyExists``)."""
        body = {
            "definition": self._definition,
            "description": description,
            "tags": dict(tags) if tags else None,
            "createNewVersion": create_new_version,
        }
        made: dict[str, Any] = workspace._client.put(f"{workspace._path}/datasets/{seg(name)}", body)
        return _from_details(workspace, made)

    def unregister_all_versions(self) -> None:
        """Forget every version of this dataset; its files stay, and so does the runs' lineage."""
        self.workspace._client.delete(f"{self._path}/{seg(self._registered_name())}")

    def _registered_name(self) -> str:
        if self.name is None:
            raise ValidationError("This dataset is not registered: register it first (dataset.register(ws, name)).")
        return self.name

    # -- in runs ----------------------------------------------------------------------------

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as input ``name`` of a run: ``.as_mount()`` or ``.as_download()``."""
        source = self._definition.get("source", {})
        ref = source.get("dataset") if isinstance(source, dict) else None
        if not isinstance(ref, dict):
            raise ValidationError(
                "Only a registered dataset can be a run's input: register it first (dataset.register(ws, name)).",
                target="dataset",
            )
        return DatasetConsumptionConfig(name, ref["name"], ref.get("version"), self._definition.get("transforms", []))

    def get_runs(self) -> list[Any]:
        """The runs that read this version (lineage), newest first."""
        from mlyard.sdk.experiment import Experiment
        from mlyard.sdk.run import Run

        path = f"{self._path}/{seg(self._registered_name())}/versions/{self.version}/runs"
        found: list[dict[str, Any]] = self.workspace._client.get(path)
        return [Run(Experiment(self.workspace, r["experimentName"]), r["runId"]) for r in found]

    def __repr__(self) -> str:
        if self.name is not None:
            return f"{type(self).__name__}(name={self.name!r}, version={self.version})"
        return f"{type(self).__name__}(definition={self._definition!r})"


def _from_details(workspace: Workspace, details: dict[str, Any]) -> Any:
    from mlyard.sdk.dataset_file import FileDataset
    from mlyard.sdk.dataset_tabular import TabularDataset

    cls = TabularDataset if details["datasetType"] == "tabular" else FileDataset
    ref = {"name": details["name"], "version": details["version"]}
    definition = {"datasetType": details["datasetType"], "source": {"dataset": ref}, "transforms": []}
    return cls(workspace, definition, details)


# -- paths -----------------------------------------------------------------------------------


def _pair(item: Any) -> tuple[Any, dict[str, str]] | None:
    """``(datastore, path)``, a DataReference or a DataPath-like: its workspace and wire path."""
    if isinstance(item, tuple) and len(item) == 2 and hasattr(item[0], "workspace"):
        return item[0].workspace, {"datastore": item[0].name, "path": str(item[1])}
    datastore = getattr(item, "datastore", None)
    if datastore is not None and hasattr(datastore, "workspace"):
        path = getattr(item, "path_on_datastore", None) or getattr(item, "path", None) or "**"
        return datastore.workspace, {"datastore": datastore.name, "path": str(path)}
    return None


def _upload(workspace: Workspace, local: str, show_progress: bool) -> dict[str, str]:
    store = workspace.get_default_datastore()
    folder = f"{UPLOADS}/{uuid.uuid4().hex[:12]}"
    if Path(local).is_dir():
        store.upload(local, target_path=folder, show_progress=show_progress)
        return {"datastore": store.name, "path": f"{folder}/**"}
    matched = sorted(p for p in glob.glob(local, recursive=True) if Path(p).is_file())
    if not matched:
        raise FileNotFoundError(f"Cannot define a dataset from '{local}': no such file, folder or matching files.")
    if len(matched) == 1:
        store.upload_files(matched, target_path=folder, show_progress=show_progress)
        return {"datastore": store.name, "path": f"{folder}/{Path(matched[0]).name}"}
    root = os.path.commonpath([str(Path(m).absolute().parent) for m in matched])
    store.upload_files(matched, relative_root=root, target_path=folder, show_progress=show_progress)
    return {"datastore": store.name, "path": f"{folder}/**"}


def resolve_paths(
    path: Any, workspace: Workspace | None = None, show_progress: bool = True
) -> tuple[Workspace, list[dict[str, str]]]:
    """The wire paths of ``path`` and their workspace; local paths are uploaded first."""
    items = path if isinstance(path, list) else [path]
    if not items:
        raise ValidationError("A dataset needs at least one path.", target="path")
    out: list[dict[str, str]] = []
    local: list[str] = []
    for item in items:
        pair = _pair(item)
        if pair is not None:
            workspace = workspace or pair[0]
            out.append(pair[1])
        elif isinstance(item, str | os.PathLike):
            local.append(os.fspath(item))
        else:
            raise ValidationError(
                f"{item!r} is not a dataset path: give (datastore, 'folder/*.csv'), datastore.path('folder'), "
                "or a local file or folder.",
                target="path",
            )
    if local and workspace is None:
        from mlyard.sdk.workspace import Workspace

        workspace = Workspace.from_config()
    assert workspace is not None
    out += [_upload(workspace, item, show_progress) for item in local]
    return workspace, out


# -- Dataset ---------------------------------------------------------------------------------


class _TabularFactory:
    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Any = None,
        separator: str = ",",
        header: bool | str = True,
        workspace: Workspace | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """CSV (or other delimited) files; ``header`` True (the first line names the columns) or False."""
        from mlyard.sdk.dataset_tabular import TabularDataset

        if include_path or set_column_types is not None:
            raise ValidationError("include_path and set_column_types are not supported by mlyard yet.")
        if isinstance(header, str):  # Azure's PromoteHeadersBehavior names
            header = header.upper() not in ("NO_HEADERS", "NONE", "FALSE")
        ws, paths = resolve_paths(path, workspace, show_progress)
        source = {
            "paths": paths, "format": "delimited", "separator": separator, "header": bool(header),
            "inferColumnTypes": infer_column_types,
        }  # fmt: skip
        return TabularDataset(ws, {"datasetType": "tabular", "source": source, "transforms": []})

    @staticmethod
    def from_parquet_files(
        path: Any, validate: bool = True, include_path: bool = False, workspace: Workspace | None = None
    ) -> TabularDataset:
        from mlyard.sdk.dataset_tabular import TabularDataset

        ws, paths = resolve_paths(path, workspace)
        source = {"paths": paths, "format": "parquet"}
        return TabularDataset(ws, {"datasetType": "tabular", "source": source, "transforms": []})


class _FileFactory:
    @staticmethod
    def from_files(
        path: Any, validate: bool = True, workspace: Workspace | None = None, show_progress: bool = True
    ) -> FileDataset:
        from mlyard.sdk.dataset_file import FileDataset

        ws, paths = resolve_paths(path, workspace, show_progress)
        return FileDataset(ws, {"datasetType": "file", "source": {"paths": paths, "format": "files"}, "transforms": []})


class Dataset:
    """``Dataset.Tabular.from_*``, ``Dataset.File.from_files``, ``get_by_name``, ``get_all``."""

    Tabular = _TabularFactory
    File = _FileFactory

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: int | str = "latest") -> Any:
        """Version ``version`` of dataset ``name`` ('latest' by default): a TabularDataset or FileDataset."""
        params: dict[str, Any] = {}
        if version != "latest":
            params["version"] = int(version)
        details: dict[str, Any] = workspace._client.get(f"{workspace._path}/datasets/{seg(name)}", **params)
        return _from_details(workspace, details)

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        """Every dataset of the workspace by name, each its latest version."""
        found: list[dict[str, Any]] = workspace._client.get(f"{workspace._path}/datasets")
        return {d["name"]: _from_details(workspace, d) for d in found}

    @staticmethod
    def list_versions(workspace: Workspace, name: str) -> list[Any]:
        found: list[dict[str, Any]] = workspace._client.get(f"{workspace._path}/datasets/{seg(name)}/versions")
        return [_from_details(workspace, d) for d in found]


__all__ = ["AbstractDataset", "Dataset", "resolve_paths"]
