"""Notebooks as workspace assets: files in the workspace's file storage, ``notebooks/`` folder.

The folder is the key prefix ``workspaces/{id}/files/notebooks`` of the server's blob store,
which the ``workspacefilestore`` datastore also shows (under ``notebooks/``). Every compute
instance of the workspace opens this same folder in Jupyter, so a notebook saved in one opens
in every other:

- with the file blob store, Jupyter's root folder *is* that folder on the server's host;
- with an S3 blob store, an instance works in a local copy (``<home>/instances/<id>/notebooks``)
  filled from the store when it starts and written back when it stops (:func:`sync_down`,
  :func:`sync_up`); what one instance saves reaches the others at its next stop.

Hidden files (a segment starting with ``.``, such as Jupyter's ``.ipynb_checkpoints``) are the
instances' own: they are neither listed nor synchronised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mlyard.core.errors import BlobNotFound, InvalidBlobPath, InvalidFileName, NotebookAlreadyExists, NotebookNotFound
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace, storage_prefix
from mlyard.storage import BlobStore, FileBlobStore


@dataclass(frozen=True)
class NotebookFile:
    name: str
    size: int
    modified: datetime


def notebooks_prefix(workspace_id: str) -> str:
    return f"{storage_prefix(workspace_id)}/files/notebooks"


def shared_folder(blobs: BlobStore, workspace_id: str) -> Path | None:
    """The notebooks folder on this host when the blob store is a folder of it, else None."""
    if isinstance(blobs, FileBlobStore):
        folder = blobs.root / notebooks_prefix(workspace_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return None


def check_name(name: object) -> str:
    problem = file_name_problem(name, "the notebooks folder")
    if problem is None and isinstance(name, str) and _hidden(name):
        problem = "hidden names (a segment starting with '.') belong to the instances"
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem, "notebook"), target="name")
    assert isinstance(name, str)
    return name


def _hidden(name: str) -> bool:
    return any(part.startswith(".") for part in name.split("/"))


def _prefix(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> str:
    return notebooks_prefix(get_workspace(p, subscription_id, resource_group, workspace).id)


def list_notebooks(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, folder: str = ""
) -> list[NotebookFile]:
    """The files of the notebooks folder (or of its sub-folder ``folder``), sorted by name."""
    root = _prefix(p, subscription_id, resource_group, workspace)
    sub = check_name(folder.strip("/")) if folder.strip("/") else ""
    start = f"{root}/{sub}" if sub else root
    found = []
    for blob in p.blobs.list(start):
        name = blob.key[len(root) + 1 :]
        if name and not _hidden(name):
            found.append(NotebookFile(name, blob.size, blob.modified))
    return found


def upload(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    chunks: Iterable[bytes],
    *,
    overwrite: bool = False,
) -> NotebookFile:
    name = check_name(name)
    key = f"{_prefix(p, subscription_id, resource_group, workspace)}/{name}"
    if not overwrite and p.blobs.exists(key):
        raise NotebookAlreadyExists(
            f"The notebooks folder already has '{name}': pass overwrite=True (--overwrite) to replace it.",
            target="name",
        )
    p.blobs.write_stream(key, chunks)
    info = p.blobs.stat(key)
    return NotebookFile(name, info.size, info.modified)


def open_notebook(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> tuple[NotebookFile, Iterator[bytes]]:
    name = check_name(name)
    key = f"{_prefix(p, subscription_id, resource_group, workspace)}/{name}"
    try:
        info = p.blobs.stat(key)
        chunks = p.blobs.open_read(key)
    except BlobNotFound:
        raise NotebookNotFound(
            f"The notebooks folder of workspace '{workspace}' has no '{name}': list it with 'mlyard notebook list'.",
            target="name",
        ) from None
    return NotebookFile(name, info.size, info.modified), chunks


def delete_notebook(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> None:
    name = check_name(name)
    key = f"{_prefix(p, subscription_id, resource_group, workspace)}/{name}"
    if not p.blobs.exists(key):
        raise NotebookNotFound(f"The notebooks folder of workspace '{workspace}' has no '{name}'.", target="name")
    p.blobs.delete(key)


# -- an instance's local copy (S3 blob stores) ---------------------------------------------------


def sync_down(blobs: BlobStore, workspace_id: str, folder: Path) -> int:
    """Copy the notebooks folder into ``folder`` (files newer there are kept); answer how many came."""
    root = notebooks_prefix(workspace_id)
    copied = 0
    for blob in blobs.list(root):
        name = blob.key[len(root) + 1 :]
        target = folder / name
        if not name or _hidden(name):
            continue
        if target.exists() and target.stat().st_mtime >= blob.modified.timestamp():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in blobs.open_read(blob.key):
                out.write(chunk)
        os.utime(target, (blob.modified.timestamp(), blob.modified.timestamp()))
        copied += 1
    return copied


def sync_up(blobs: BlobStore, workspace_id: str, folder: Path) -> int:
    """Write back what changed in ``folder`` since it was copied; answer how many files went."""
    root = notebooks_prefix(workspace_id)
    known = {b.key: b for b in blobs.list(root)}
    sent = 0
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if not path.is_file() or _hidden(name):
            continue
        key = f"{root}/{name}"
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if key in known and known[key].modified >= mtime and known[key].size == path.stat().st_size:
            continue
        with contextlib.suppress(InvalidBlobPath), path.open("rb") as data:
            blobs.write_stream(key, iter(lambda: data.read(1 << 20), b""))
            sent += 1
    return sent
