"""MLflow's artifact proxy over a workspace's run files: a run's MLflow artifacts are its files.

The MLflow client addresses an artifact as ``{experiment_id}/{run_id}/artifacts/{name}``
(the run's ``artifact_uri`` is ``mlflow-artifacts:/{experiment_id}/{run_id}/artifacts``), and
``name`` is the run file's name, so ``run.upload_file("outputs/x", ...)`` is the artifact
``outputs/x`` and the other way round. Every path is resolved to a run of the workspace that
belongs to that experiment, else ``RunNotFound`` (MLflow's ``RESOURCE_DOES_NOT_EXIST``).

The answers follow MLflow's own server (``mlflow/server/handlers.py``): a listing gives one
folder level with *base names* (the client joins them to the path it asked for), nothing for a
file or a missing folder; an upload replaces a file of the same name; a delete removes a file
or a whole folder, and a path that matches nothing is not an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mlyard.core.entities.tracking import Run
from mlyard.core.errors import RunFileNotFound, RunNotFound, ValidationError
from mlyard.services import run_files, runs
from mlyard.services.platform import Platform

ARTIFACTS_SEGMENT = "artifacts"
_SHAPE = "'{experiment_id}/{run_id}/artifacts/{name}'"


@dataclass(frozen=True, slots=True)
class ArtifactPath:
    """A parsed artifact path: the run it names and the file (or folder) name in it (``''``: the root)."""

    experiment_id: str
    run_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ArtifactEntry:
    """One line of a listing as MLflow gives it: a base name, whether a folder, a file's size."""

    path: str
    is_dir: bool
    file_size: int | None


def parse_artifact_path(path: str, *, file: bool) -> ArtifactPath:
    """Split ``{experiment_id}/{run_id}/artifacts[/{name}]``; ``file=True`` needs a valid file name.

    A listing may name the root or a folder with a trailing ``/``; the name then loses it.
    Names that would leave the run's folder (``..``, absolute, ...) raise ``InvalidFileName``.
    """
    parts = path.split("/", 3)
    if len(parts) < 3 or not parts[0] or not parts[1] or parts[2] != ARTIFACTS_SEGMENT:
        raise ValidationError(
            f"Invalid MLflow artifact path {path[:200]!r}: mlyard serves run artifacts, whose paths are {_SHAPE}.",
            target="path",
        )
    name = parts[3] if len(parts) == 4 else ""
    if file:
        run_files.check_name(name)
    elif name:
        name = run_files.check_name(name.removesuffix("/"))
    return ArtifactPath(parts[0], parts[1], name)


def _resolve(p: Platform, subscription_id: str, resource_group: str, workspace: str, path: ArtifactPath) -> Run:
    run = runs.get_run(p, subscription_id, resource_group, workspace, path.run_id)
    if run.experiment_id != path.experiment_id:
        # The same answer as for a missing run: the path names no run of this experiment.
        raise RunNotFound(
            f"Experiment '{path.experiment_id}' of workspace '{workspace}' has no run '{path.run_id}'.",
            target="path",
        )
    return run


def _one_level(files: Iterable[run_files.RunFile], folder: str) -> list[ArtifactEntry]:
    cut = len(folder) + 1 if folder else 0
    entries: dict[str, ArtifactEntry] = {}
    for f in files:
        if f.name == folder:
            continue  # the folder names a file: MLflow lists nothing for a file
        head, sep, _ = f.name[cut:].partition("/")
        entries.setdefault(head, ArtifactEntry(head, True, None) if sep else ArtifactEntry(head, False, f.size))
    return sorted(entries.values(), key=lambda e: e.path)


def list_artifacts(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, path: str
) -> list[ArtifactEntry]:
    """The entries of the folder ``path`` one level deep, sorted by name (``[]`` for a file or nothing)."""
    where = parse_artifact_path(path, file=False)
    run = _resolve(p, subscription_id, resource_group, workspace, where)
    return _one_level(run_files.list_files(p, run, where.name), where.name)


def open_artifact(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, path: str
) -> tuple[run_files.RunFile, Iterator[bytes]]:
    """The artifact's details and its bytes; ``RunFileNotFound`` for a folder or nothing."""
    where = parse_artifact_path(path, file=True)
    run = _resolve(p, subscription_id, resource_group, workspace, where)
    try:
        return run_files.open_file(p, run, where.name)
    except RunFileNotFound:
        raise RunFileNotFound(
            f"Run '{run.id}' has no artifact '{where.name}': list them with MlflowClient().list_artifacts('{run.id}').",
            target="path",
        ) from None


def upload_artifact(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, path: str, chunks: Iterable[bytes]
) -> run_files.RunFile:
    """Stream ``chunks`` into the artifact, replacing one of the same name as MLflow does.

    A finished or deleted run refuses it (``RunNotWritable``), as for any run file.
    """
    where = parse_artifact_path(path, file=True)
    run = _resolve(p, subscription_id, resource_group, workspace, where)
    return run_files.upload(p, run, where.name, chunks, overwrite=True)


def delete_artifacts(p: Platform, subscription_id: str, resource_group: str, workspace: str, path: str) -> int:
    """Remove the artifact or the folder ``path`` (the root: every file of the run); answer how many files went."""
    where = parse_artifact_path(path, file=False)
    run = _resolve(p, subscription_id, resource_group, workspace, where)
    return run_files.delete_files(p, run, where.name)


__all__ = [
    "ArtifactEntry",
    "ArtifactPath",
    "delete_artifacts",
    "list_artifacts",
    "open_artifact",
    "parse_artifact_path",
    "upload_artifact",
]
