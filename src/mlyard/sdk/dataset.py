"""Datasets (``azureml.core.Dataset``): named, versioned references to files in datastores.

``Dataset.Tabular.from_delimited_files(path)``, ``from_parquet_files(path)`` and
``Dataset.File.from_files(path)`` define one, where ``path`` is ``(datastore, 'folder/*.csv')``,
a list of such, a ``DataReference`` (``datastore.path('folder')``), or a local file, folder or
glob (uploaded first to the default datastore, under ``datasets/uploads/<id>/``).
``dataset.register(ws, name)`` pins the files the globs match now (their xxh128 on the server);
``Dataset.get_by_name(ws, name, version='latest')`` and ``Dataset.get_all(ws)`` read the
catalogue. Reading goes through the server, which checks the pinned files first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError
from mlyard.sdk.client import seg
from mlyard.sdk.dataset_factory import DataType, FileFactory, TabularFactory, resolve_paths
from mlyard.sdk.dataset_inputs import DatasetConsumptionConfig

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

FILES_PAGE = 1_000


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

    def iter_file_pages(self, page_size: int = FILES_PAGE, verify: bool = False) -> Iterator[list[dict[str, Any]]]:
        """A registered version's pinned files, ``page_size`` at a time (``datastore``, ``name``,
        ``size``, ``xxh128``, ``modifiedUtc``; with ``verify``, ``change`` for a changed file)."""
        path = f"{self._path}/{seg(self._registered_name())}/versions/{self.version}/files"
        token: str | None = None
        while True:
            params: dict[str, Any] = {"pageSize": page_size, "verify": verify}
            if token:
                params["continuationToken"] = token
            page: dict[str, Any] = self.workspace._client.get(path, **params)
            yield page["value"]
            token = page.get("nextContinuationToken")
            if not token:
                return

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


# -- Dataset ---------------------------------------------------------------------------------


class Dataset:
    """``Dataset.Tabular.from_*``, ``Dataset.File.from_files``, ``get_by_name``, ``get_all``."""

    Tabular = TabularFactory
    File = FileFactory

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: int | str = "latest") -> Any:
        """Version ``version`` of dataset ``name`` ('latest' by default): a TabularDataset or FileDataset."""
        params: dict[str, Any] = {}
        if version != "latest":
            params["version"] = int(version)
        details: dict[str, Any] = workspace._client.get(f"{workspace._path}/datasets/{seg(name)}", **params)
        return _from_details(workspace, details)

    @staticmethod
    def get_by_id(workspace: Workspace, id: str) -> Any:
        """The version whose ``id`` is given (``dataset.id``: ``…/datasets/<name>/versions/<n>``)."""
        head, sep, tail = str(id).rstrip("/").rpartition("/datasets/")
        name, _, number = tail.partition("/versions/")
        if not sep or not name or not number.isdigit():
            raise ValidationError(
                f"{id!r} is not a dataset version's id (…/datasets/<name>/versions/<version>).", target="id"
            )
        scope = workspace._path.removeprefix("/api/v1")
        if head and head.lower() != scope.lower():
            raise ValidationError(f"Dataset {id!r} is not in workspace '{workspace.name}'.", target="id")
        return Dataset.get_by_name(workspace, name, int(number))

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        """Every dataset of the workspace by name, each its latest version."""
        found: list[dict[str, Any]] = workspace._client.get(f"{workspace._path}/datasets")
        return {d["name"]: _from_details(workspace, d) for d in found}

    @staticmethod
    def list_versions(workspace: Workspace, name: str) -> list[Any]:
        found: list[dict[str, Any]] = workspace._client.get(f"{workspace._path}/datasets/{seg(name)}/versions")
        return [_from_details(workspace, d) for d in found]


__all__ = ["AbstractDataset", "DataType", "Dataset", "resolve_paths"]
