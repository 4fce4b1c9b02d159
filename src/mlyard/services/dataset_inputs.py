"""Datasets as inputs of jobs: checked at submission, recorded as lineage, made local at start.

A submission names its inputs (``as_named_input('train').as_mount()``): each is a registered
dataset (a version, or the latest one, resolved now), with the transformations added to it.
They are recorded with the run in the submission's transaction, so that the run says which
versions it read (``run.get_details()['inputDatasets']``) and each version which runs read it.

Before the job starts, :func:`materialise` copies each input's pinned files into the job's
folder (one folder per input), checking every byte against the pinned xxh128 (sha256 for a pin
of before): a file changed since the version was registered fails the job while it prepares,
naming the file. A
``mount`` input is then made read-only (mlyard has no FUSE mount: a mount is a read-only
copy); a ``download`` stays writable. The arguments' placeholders (``DatasetConsumptionConfig:
<name>``) become the folders' paths, and the job's environment gets ``MLYARD_INPUT_DATASETS``
(a JSON object by input name) and Azure's ``AZUREML_DATAREFERENCE_<name>``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from mlyard.core.entities.datasets import (
    DatasetInput,
    DatasetType,
    DatasetVersion,
    FileChange,
    InputMode,
    RunInput,
    local_layout,
)
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.tracking import Run
from mlyard.core.errors import ValidationError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.transfer_digests import new_hasher
from mlyard.services import dataset_files, dataset_sql, runs
from mlyard.services.dataset_definitions import version_of
from mlyard.services.datastore_access import open_location
from mlyard.services.datastores import datastore_of
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.datasets import DatasetRepository, DatasetRunInputRow

MAX_INPUTS = 50
PLACEHOLDER = "DatasetConsumptionConfig:"
VARIABLE = "MLYARD_INPUT_DATASETS"
_INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

Resolved = list[tuple[DatasetInput, DatasetVersion]]


def resolve(p: Platform, ws: Workspace, inputs: Sequence[DatasetInput]) -> Resolved:
    """Each input with the version it reads; refused before anything is made when one is wrong."""
    if len(inputs) > MAX_INPUTS:
        raise ValidationError(f"A job reads at most {MAX_INPUTS} datasets.", target="inputDatasets")
    seen: set[str] = set()
    out: Resolved = []
    for item in inputs:
        if not _INPUT_NAME.fullmatch(item.name) or item.name.lower() in seen:
            raise ValidationError(
                f"Input name '{item.name}' must be unique in the job, 1 to 64 letters, digits or underscores "
                "(not starting with a digit).",
                target="inputDatasets",
            )
        seen.add(item.name.lower())
        version = version_of(p, ws, item.dataset, item.version)
        dataset_sql.check_transforms(list(item.transforms), tabular=version.dataset_type is DatasetType.TABULAR)
        out.append((item, version))
    return out


def record(session: Session, ws: Workspace, run: Run, resolved: Resolved) -> None:
    """Lineage rows for ``run``, in the caller's transaction."""
    repo = DatasetRepository(session)
    now = utcnow()
    for item, version in resolved:
        repo.add_input(
            DatasetRunInputRow(
                id=new_id(), workspace_id=ws.id, run_id=run.id, experiment_name=run.experiment_name,
                input_name=item.name, dataset_id=version.dataset_id, dataset_name=version.name,
                version=version.version, dataset_type=version.dataset_type.value, mode=item.mode.value,
                transforms=list(item.transforms), created_at=now,
            )
        )  # fmt: skip


def inputs_of_run(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str
) -> list[RunInput]:
    run = runs.get_run(p, subscription_id, resource_group, workspace, run_id)
    with p.db.read() as session:
        return DatasetRepository(session).inputs_of_run(run.id)


def runs_of(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, version: int | None, top: int
) -> list[RunInput]:
    """The runs that read dataset ``name`` (``version``, or any), newest first."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    if not 1 <= top <= 1000:
        raise ValidationError("top is 1 to 1000.", target="top")
    with p.db.read() as session:
        return DatasetRepository(session).runs_of(ws.id, name, version, top)


# -- before the job starts -------------------------------------------------------------------


def _copy(p: Platform, ws: Workspace, version: DatasetVersion, folder: Path) -> int:
    what = f"Version {version.version} of dataset '{version.name}'"
    found = dataset_files.changes(p, ws, version.files)
    if found:
        raise dataset_files.changed_error(what, found)
    locations = {n: open_location(p, ws, datastore_of(p, ws, n)) for n in {f.datastore for f in version.files}}
    for f, relative in zip(version.files, local_layout([(f.datastore, f.name) for f in version.files]), strict=True):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        location = locations[f.datastore]
        algorithm, pinned = f.digest()
        digest = new_hasher(algorithm)
        with location.reaching(f"reading '{f.name}'"), target.open("wb") as out:
            for chunk in location.blobs.open_read(location.key(f.name)):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != pinned:
            raise dataset_files.changed_error(what, [FileChange(f, "content changed")])
    return version.total_size


def _read_only(folder: Path) -> None:
    for root, dirs, names in os.walk(folder):
        for name in names:
            os.chmod(os.path.join(root, name), 0o444)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(folder, 0o555)


def materialise(
    p: Platform,
    ws: Workspace,
    run_id: str,
    folder: Path,
    log: Callable[[str], None],
    progress: Callable[[str], None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Copy the run's inputs under ``folder``; answers (placeholder -> path, variables)."""
    with p.db.read() as session:
        inputs = DatasetRepository(session).inputs_of_run(run_id)
    if not inputs:
        return {}, {}
    progress(f"preparing: copying {len(inputs)} input dataset(s)")
    replacements: dict[str, str] = {}
    described: dict[str, dict[str, object]] = {}
    variables: dict[str, str] = {}
    for item in inputs:
        version = version_of(p, ws, item.dataset, item.version)
        target = folder / item.name
        target.mkdir(parents=True, exist_ok=True)
        size = _copy(p, ws, version, target)
        if item.mode is InputMode.MOUNT:
            _read_only(target)
        log(
            f"[mlyard] input '{item.name}': dataset '{version.name}' version {version.version}, "
            f"{len(version.files)} file(s), {size} bytes, {item.mode.value} at {target}"
        )
        replacements[PLACEHOLDER + item.name] = str(target)
        variables[f"AZUREML_DATAREFERENCE_{item.name}"] = str(target)
        described[item.name] = {
            "path": str(target), "dataset": version.name, "version": version.version,
            "datasetType": version.dataset_type.value, "mode": item.mode.value, "transforms": list(item.transforms),
        }  # fmt: skip
    variables[VARIABLE] = json.dumps(described)
    return replacements, variables


__all__ = ["PLACEHOLDER", "VARIABLE", "inputs_of_run", "materialise", "record", "resolve", "runs_of"]
