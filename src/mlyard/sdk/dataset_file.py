"""File datasets (``azureml.data.FileDataset``): files to download, or to mount read-only.

A registered version's files come from the version's own route, each checked against the
xxh128 it pinned (a file changed since registration is refused by the server, or fails the
digest check here). ``mount()`` is a read-only local copy: mlyard has no FUSE mount, so the
files are downloaded into a temporary folder, made read-only, and removed when it ends.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from mlyard.core.entities.datasets import local_layout
from mlyard.sdk.client import seg
from mlyard.sdk.dataset import AbstractDataset
from mlyard.sdk.transfers import SINGLE_FILE, PathLike, get_to_path, quote_name, run_all


class FileDataset(AbstractDataset):
    _type = "file"

    def _files(self) -> list[dict[str, Any]]:
        client = self.workspace._client
        if self._is_version:
            found: list[dict[str, Any]] = [f for page in self.iter_file_pages() for f in page]
        else:
            found = client.post(f"{self.workspace._path}/datasetQueries/files", {"definition": self._definition})[
                "value"
            ]
        return found

    def _url(self, f: dict[str, Any]) -> str:
        if self._is_version:
            base = f"{self.workspace._path}/datasets/{seg(self.name or '')}/versions/{self.version}/files"
            return f"{base}/{seg(f['datastore'])}/{quote_name(f['name'])}"
        return f"{self.workspace._path}/datastores/{seg(f['datastore'])}/files/{quote_name(f['name'])}"

    def to_path(self) -> list[str]:
        """The files' paths as a download or mount lays them out (``/x/1.png``, ...)."""
        files = self._files()
        return ["/" + p for p in local_layout([(f["datastore"], f["name"]) for f in files])]

    def download(self, target_path: PathLike | None = None, overwrite: bool = False) -> list[str]:
        """Download the files under ``target_path`` (a new temporary folder when None); answers their paths."""
        base = Path(target_path) if target_path is not None else Path(tempfile.mkdtemp(prefix="mlyard-dataset-"))
        files = self._files()
        targets = [base / p for p in local_layout([(f["datastore"], f["name"]) for f in files])]
        if not overwrite:
            there = [str(t) for t in targets if t.exists()]
            if there:
                raise FileExistsError(
                    f"{', '.join(there[:5])} already exist: nothing was downloaded. "
                    "Pass overwrite=True to replace them."
                )
        client = self.workspace._client
        pinned = self._is_version

        def one(pair: tuple[dict[str, Any], Path]) -> str:
            f, target = pair
            big = int(f.get("size") or 0) >= SINGLE_FILE
            get_to_path(client, self._url(f), target, f["name"], require_digest=pinned, large=big)
            return str(target.absolute())

        done: list[str] = run_all(one, list(zip(files, targets, strict=True)))
        return done

    def mount(self, mount_point: PathLike | None = None, **kwargs: Any) -> MountContext:
        """``with ds.mount() as context: context.mount_point`` - a read-only local copy (no FUSE)."""
        return MountContext(self, mount_point)


class MountContext:
    """A read-only local copy of a file dataset, for the time of a ``with`` block (or start/stop)."""

    def __init__(self, dataset: FileDataset, mount_point: PathLike | None = None) -> None:
        self._dataset = dataset
        self._given = mount_point is not None
        self._mount_point = Path(mount_point) if mount_point is not None else None

    @property
    def mount_point(self) -> str:
        if self._mount_point is None:
            raise RuntimeError("The dataset is not mounted: call start() or use 'with dataset.mount() as context'.")
        return str(self._mount_point)

    def __fspath__(self) -> str:
        return self.mount_point

    def start(self) -> None:
        folder = self._mount_point or Path(tempfile.mkdtemp(prefix="mlyard-mount-"))
        self._mount_point = folder
        self._dataset.download(folder, overwrite=False)
        for root, dirs, names in os.walk(folder):
            for name in names:
                os.chmod(os.path.join(root, name), 0o444)
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o555)
        os.chmod(folder, 0o555)

    def stop(self) -> None:
        folder = self._mount_point
        if folder is None:
            return
        for root, _dirs, _names in os.walk(folder):
            os.chmod(root, stat.S_IRWXU)
        if self._given:
            for child in folder.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            shutil.rmtree(folder, ignore_errors=True)
            self._mount_point = None

    def __enter__(self) -> MountContext:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


__all__ = ["FileDataset", "MountContext"]
