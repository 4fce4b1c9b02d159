"""Defining datasets (Azure's ``azureml.data.dataset_factory``): ``Dataset.Tabular.from_*``,
``Dataset.File.from_files``, ``register_pandas_dataframe``, ``DataType``, and the paths they take.

A path is ``(datastore, 'folder/*.csv')``, a list of such, a ``DataReference``
(``datastore.path('folder')``), or a local file, folder or glob, uploaded first to the default
datastore under ``datasets/uploads/<id>/``.
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ValidationError

if TYPE_CHECKING:
    from mlyard.sdk.dataset_file import FileDataset
    from mlyard.sdk.dataset_tabular import TabularDataset
    from mlyard.sdk.workspace import Workspace

UPLOADS = "datasets/uploads"


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


class DataType:
    """A column type for ``set_column_types`` (Azure's ``azureml.data.dataset_factory.DataType``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @staticmethod
    def to_long() -> DataType:
        return DataType("BIGINT")

    @staticmethod
    def to_float(decimal_mark: str = ".") -> DataType:
        if decimal_mark != ".":
            raise ValidationError("Only '.' is supported as the decimal mark.", target="decimal_mark")
        return DataType("DOUBLE")

    @staticmethod
    def to_bool() -> DataType:
        return DataType("BOOLEAN")

    @staticmethod
    def to_string() -> DataType:
        return DataType("VARCHAR")

    @staticmethod
    def to_datetime(formats: Any = None) -> DataType:
        """ISO 8601 times (``formats`` other than DuckDB's own are not supported)."""
        return DataType("TIMESTAMP")

    @staticmethod
    def to_date() -> DataType:
        return DataType("DATE")

    def __repr__(self) -> str:
        return f"DataType({self.kind!r})"


_TYPE_NAMES = {
    "int": "BIGINT", "long": "BIGINT", "integer": "BIGINT", "bigint": "BIGINT",
    "float": "DOUBLE", "double": "DOUBLE", "bool": "BOOLEAN", "boolean": "BOOLEAN",
    "str": "VARCHAR", "string": "VARCHAR", "varchar": "VARCHAR",
    "date": "DATE", "datetime": "TIMESTAMP", "timestamp": "TIMESTAMP",
}  # fmt: skip


def _column_types(types: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``set_column_types`` on the wire: DataType objects, Python types or names (``'int'``)."""
    if not types:
        return None
    out = {}
    for name, kind in types.items():
        if isinstance(kind, DataType):
            out[name] = kind.kind
        elif isinstance(kind, type) and kind.__name__ in _TYPE_NAMES:
            out[name] = _TYPE_NAMES[kind.__name__]
        elif isinstance(kind, str) and kind.lower() in _TYPE_NAMES:
            out[name] = _TYPE_NAMES[kind.lower()]
        else:
            raise ValidationError(
                f"Column '{name}': {kind!r} is not a column type: use DataType.to_long(), to_float(), to_bool(), "
                "to_string(), to_datetime(), to_date(), or a name such as 'int'.",
                target="set_column_types",
            )
    return out


def _tabular(ws: Workspace, source: dict[str, Any], validate: bool) -> TabularDataset:
    from mlyard.sdk.dataset_tabular import TabularDataset

    made = TabularDataset(ws, {"datasetType": "tabular", "source": source, "transforms": []})
    if validate:  # as Azure ML: read the first rows now, so a bad file or column fails here
        made.preview(1)
    return made


class TabularFactory:
    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Mapping[str, Any] | None = None,
        separator: str = ",",
        header: bool | str = True,
        workspace: Workspace | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """CSV (or other delimited) files; ``header`` True (the first line names the columns) or False.

        ``include_path``: a last column ``Path``, each row's file on its datastore;
        ``set_column_types``: ``{column: DataType.to_long()}`` (or ``'int'``, ``float``...) over
        the inferred types; ``validate``: read the first rows now (a bad file fails here).
        """
        if isinstance(header, str):  # Azure's PromoteHeadersBehavior names
            header = header.upper() not in ("NO_HEADERS", "NONE", "FALSE")
        ws, paths = resolve_paths(path, workspace, show_progress)
        source: dict[str, Any] = {
            "paths": paths, "format": "delimited", "separator": separator, "header": bool(header),
            "inferColumnTypes": infer_column_types,
        }  # fmt: skip
        return _tabular(ws, _options(source, include_path, set_column_types), validate)

    @staticmethod
    def from_parquet_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        workspace: Workspace | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """Parquet files, with their own column types; ``set_column_types`` casts columns as the
        rows are read (a value that does not convert is an error naming it)."""
        ws, paths = resolve_paths(path, workspace, show_progress)
        source = _options({"paths": paths, "format": "parquet"}, include_path, set_column_types)
        return _tabular(ws, source, validate)

    @staticmethod
    def from_json_lines_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Mapping[str, Any] | None = None,
        partition_format: str | None = None,
        invalid_lines: str = "error",
        encoding: str = "utf8",
        workspace: Workspace | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """Files of one JSON object a line; types from their first rows (nested values as JSON text)."""
        if partition_format is not None or invalid_lines != "error" or encoding not in ("utf8", "utf-8"):
            raise ValidationError(
                "partition_format, invalid_lines other than 'error' and encodings other than utf8 are not supported.",
                target="path",
            )
        ws, paths = resolve_paths(path, workspace, show_progress)
        source = _options({"paths": paths, "format": "jsonLines"}, include_path, set_column_types)
        return _tabular(ws, source, validate)

    @staticmethod
    def from_sql_query(*args: Any, **kwargs: Any) -> TabularDataset:
        """Not built: mlyard has no SQL datastores."""
        raise ValidationError("from_sql_query is not supported: mlyard has no SQL datastores.", target="query")

    @staticmethod
    def register_pandas_dataframe(
        dataframe: Any,
        target: Any,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """Write ``dataframe`` as Parquet to ``target`` (a datastore, or ``(datastore, 'folder')``)
        under a new folder, and register it as ``name`` (a new version when ``name`` is taken)."""
        import tempfile

        store, folder = (target[0], str(target[1]).strip("/")) if isinstance(target, tuple) else (target, "")
        if not hasattr(store, "upload_files"):
            raise ValidationError("target is a datastore or (datastore, 'folder').", target="target")
        folder = "/".join(x for x in (folder, "managed-dataset", uuid.uuid4().hex[:12]) if x)
        with tempfile.TemporaryDirectory(prefix="mlyard-frame-") as local:
            file = Path(local) / "part-0.parquet"
            dataframe.to_parquet(file, index=False)
            store.upload_files([str(file)], relative_root=local, target_path=folder, show_progress=show_progress)
        made = TabularFactory.from_parquet_files((store, f"{folder}/part-0.parquet"), validate=False)
        registered: TabularDataset = made.register(
            store.workspace, name, description=description, tags=tags, create_new_version=True
        )
        return registered


def _options(source: dict[str, Any], include_path: bool, set_column_types: Mapping[str, Any] | None) -> dict[str, Any]:
    if include_path:
        source["includePath"] = True
    types = _column_types(set_column_types)
    if types:
        source["setColumnTypes"] = types
    return source


class FileFactory:
    @staticmethod
    def from_files(
        path: Any, validate: bool = True, workspace: Workspace | None = None, show_progress: bool = True
    ) -> FileDataset:
        from mlyard.sdk.dataset_file import FileDataset

        ws, paths = resolve_paths(path, workspace, show_progress)
        return FileDataset(ws, {"datasetType": "file", "source": {"paths": paths, "format": "files"}, "transforms": []})


__all__ = ["UPLOADS", "DataType", "FileFactory", "TabularFactory", "resolve_paths"]
