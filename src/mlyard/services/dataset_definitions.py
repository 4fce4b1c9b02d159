"""Dataset definitions checked into their canonical form, and registered versions looked up.

A definition is ``{"datasetType", "source", "transforms"}`` (see docs/data.md): its source is
``{"paths": [{datastore, path}], "format", ...}`` or ``{"dataset": {"name", "version"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlyard.core.entities.datasets import DATASET_NAME, DatasetType, DatasetVersion, Definition, SourceFormat
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.errors import DatasetNotFound, InvalidDatasetDefinition
from mlyard.services import dataset_sql
from mlyard.services.dataset_files import check_pattern
from mlyard.services.platform import Platform
from mlyard.store.datasets import DatasetRepository

MAX_PATHS = 1000
_OPTIONS = ("includePath", "setColumnTypes")
_FORMATS = {
    DatasetType.TABULAR: (SourceFormat.DELIMITED, SourceFormat.PARQUET, SourceFormat.JSON_LINES),
    DatasetType.FILE: (SourceFormat.FILES,),
}


def _bad(message: str, target: str = "definition") -> InvalidDatasetDefinition:
    return InvalidDatasetDefinition(message, target=target)


def _only(value: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _bad(f"{what} has unknown field(s) {', '.join(unknown)}.")


def _source(kind: DatasetType, src: object) -> dict[str, Any]:
    if not isinstance(src, dict):
        raise _bad("A dataset definition needs a source: paths on datastores, or a registered dataset.", "source")
    if "dataset" in src:
        _only(src, {"dataset"}, "source")
        ref = src["dataset"]
        if not isinstance(ref, dict):
            raise _bad("source.dataset is {name, version}.", "source")
        version = ref.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
            raise _bad(f"A dataset version is a number from 1, not {version!r}.", "version")
        return {"dataset": {"name": DATASET_NAME.check(ref.get("name"), target="name"), "version": version}}
    _only(src, {"paths", "format", "separator", "header", "inferColumnTypes", *_OPTIONS}, "source")
    paths = src.get("paths")
    if not isinstance(paths, list) or not 1 <= len(paths) <= MAX_PATHS:
        raise _bad(f"source.paths is a list of 1 to {MAX_PATHS} {{datastore, path}}.", "path")
    clean = []
    for path in paths:
        if not isinstance(path, dict) or not isinstance(path.get("datastore"), str):
            raise _bad("Each dataset path is {datastore, path}.", "path")
        clean.append({"datastore": path["datastore"], "path": check_pattern(path.get("path"))})
    fmt = src.get("format")
    if fmt not in _FORMATS[kind]:
        allowed = " or ".join(f.value for f in _FORMATS[kind])
        raise _bad(f"A {kind.value} dataset's format is {allowed}, not {fmt!r}.", "format")
    out: dict[str, Any] = {"paths": clean, "format": fmt}
    if fmt == SourceFormat.DELIMITED:
        separator, header, infer = src.get("separator", ","), src.get("header", True), src.get("inferColumnTypes", True)
        if not isinstance(separator, str) or len(separator) != 1 or separator in '"\r\n':
            raise _bad(f"The separator is one character (not a quote or a line break), not {separator!r}.", "separator")
        if not isinstance(header, bool) or not isinstance(infer, bool):
            raise _bad("header and inferColumnTypes are true or false.", "header")
        out.update(separator=separator, header=header, inferColumnTypes=infer)
    if src.get("includePath", False) is not False:
        if src["includePath"] is not True:
            raise _bad("includePath is true or false.", "includePath")
        out["includePath"] = True
    if src.get("setColumnTypes"):
        out["setColumnTypes"] = _column_types(src["setColumnTypes"], fmt)
    return out


def _column_types(types: object, fmt: str) -> dict[str, str]:
    if fmt not in (SourceFormat.DELIMITED, SourceFormat.JSON_LINES, SourceFormat.PARQUET):
        raise _bad("set_column_types is for delimited, JSON-lines and Parquet files.", "setColumnTypes")
    if not isinstance(types, dict) or len(types) > 10_000:
        raise _bad("setColumnTypes maps column names to types.", "setColumnTypes")
    out = {}
    for name, kind in types.items():
        dataset_sql.ident(name)
        if kind not in dataset_sql.TYPES:
            allowed = ", ".join(sorted(dataset_sql.TYPES))
            raise _bad(f"Column '{name}' cannot have type {kind!r}: use one of {allowed}.", "setColumnTypes")
        out[name] = kind
    return dict(sorted(out.items()))


def normalise(definition: object) -> Definition:
    """The definition checked and in its one canonical form; raises InvalidDatasetDefinition."""
    if not isinstance(definition, dict):
        raise _bad("A dataset definition is an object {datasetType, source, transforms}.")
    _only(definition, {"datasetType", "source", "transforms"}, "The definition")
    try:
        kind = DatasetType(str(definition.get("datasetType")))
    except ValueError:
        raise _bad(
            f"datasetType is 'tabular' or 'file', not {definition.get('datasetType')!r}.", "datasetType"
        ) from None
    source = _source(kind, definition.get("source"))
    transforms = dataset_sql.check_transforms(definition.get("transforms"), tabular=kind is DatasetType.TABULAR)
    return {"datasetType": kind.value, "source": source, "transforms": transforms}


def not_found(ws: Workspace, name: str, version: int | None = None) -> DatasetNotFound:
    what = f"Version {version} of dataset '{name}'" if version is not None else f"Dataset '{name}'"
    return DatasetNotFound(
        f"{what} was not found in workspace '{ws.name}': list them with Dataset.get_all(ws) or "
        f"'mlyard dataset {'versions -n ' + name if version is not None else 'list'}'.",
        target="version" if version is not None else "name",
    )


def version_of(p: Platform, ws: Workspace, name: str, version: int | None = None) -> DatasetVersion:
    with p.db.read() as session:
        found = DatasetRepository(session).version(ws.id, name, version)
    if found is None:
        raise not_found(ws, name, version)
    return found


__all__ = ["MAX_PATHS", "normalise", "not_found", "version_of"]
