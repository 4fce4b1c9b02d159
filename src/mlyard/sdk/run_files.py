"""Azure ML's file methods of a run (``upload_file``, ``upload_folder``, ``download_files``, ...).

The transfers themselves (streamed, xxh128 both ways) are :mod:`mlyard.sdk.transfers` for one
file and :mod:`mlyard.sdk.archives` for many (one tar stream a call), shared with datastores.
A file or a stream (an open file object) is hashed while it is sent and its digest follows its
bytes (``X-Content-XXH128: trailer``): read once, never spooled.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from mlyard.core.errors import InvalidFileName, RunFileAlreadyExists, ValidationError
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.sdk import archives
from mlyard.sdk.client import Client
from mlyard.sdk.transfers import (
    PARALLEL_TRANSFERS,
    PathLike,
    Progress,
    chunks_of,
    get_to_path,
    put_file,
    put_stream,
    quote_name,
    stream_path,
)

IMAGES_FOLDER = "outputs/images"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_MAX_IMAGE_ATTEMPTS = 100


def check_file_name(name: object) -> str:
    """The same rule as the server's, checked before a byte is sent."""
    problem = file_name_problem(name)
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem), target="name")
    assert isinstance(name, str)
    return name


class RunFilesMixin:
    """File methods of ``Run``, which sets ``_client`` and ``_path`` (``.../runs/{runId}``)."""

    _client: Client
    _path: str
    _image_counts_: dict[str, int] | None = None

    def _file_path(self, name: str) -> str:
        return f"{self._path}/files/{quote_name(check_file_name(name))}"

    # -- uploading -----------------------------------------------------------------------

    def _put(self, name: str, handle: IO[bytes], size: int, xxh128: str, overwrite: bool) -> dict[str, Any]:
        return put_file(self._client, self._file_path(name), handle, size, xxh128, overwrite=overwrite)

    def upload_file(
        self,
        name: str,
        path_or_stream: PathLike | IO[bytes],
        datastore_name: str | None = None,
        *,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Upload a local file (a path) or a binary stream as the run's file ``name``.

        A name the run already has is refused (``RunFileAlreadyExists``) unless ``overwrite``.
        Answers the stored file: ``{"name", "size", "modifiedUtc", "xxh128"}``.
        """
        check_file_name(name)
        if isinstance(path_or_stream, str | os.PathLike):
            path = Path(path_or_stream)
            if not path.is_file():
                raise FileNotFoundError(f"Cannot upload '{path}' as '{name}': no such file.")
            return stream_path(self._client, self._file_path(name), path, overwrite=overwrite)
        return put_stream(
            self._client, self._file_path(name), _binary(path_or_stream, name), overwrite=overwrite, what=name
        )

    def upload_files(
        self,
        names: Sequence[str],
        paths: Sequence[PathLike],
        return_artifacts: bool = False,
        timeout_seconds: float | None = None,
        datastore_name: str | None = None,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> list[dict[str, Any]] | None:
        """Upload ``paths[i]`` as ``names[i]``, all in one streamed archive; the stored files if ``return_artifacts``.

        Every name is checked (and, without ``overwrite``, found free) before a byte is stored;
        a failure midway keeps none of the new files. ``timeout_seconds`` bounds the whole request.
        """
        if len(names) != len(paths):
            raise ValidationError(f"upload_files needs one path per name ({len(names)} names, {len(paths)} paths).")
        for name in names:
            check_file_name(name)
        if len(set(names)) != len(names):
            raise ValidationError("upload_files was given the same name twice.")
        files = [Path(p) for p in paths]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"Cannot upload: no such file {', '.join(missing[:5])}; nothing was uploaded.")
        if not files:
            return [] if return_artifacts else None
        items = archives.prepare(files, list(names))
        stored = archives.send(self._client, f"{self._path}/files.tar", items, overwrite=overwrite, on_file=progress)
        return stored if return_artifacts else None

    def upload_folder(
        self,
        name: str,
        path: PathLike,
        datastore_name: str | None = None,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> list[dict[str, Any]]:
        """Upload every file under the folder ``path`` as ``name/<its relative path>``."""
        root = Path(path)
        if not root.is_dir():
            raise NotADirectoryError(f"Cannot upload folder '{root}': it is not a folder.")
        name = name.strip("/")
        files = sorted(p for p in root.rglob("*") if p.is_file())
        names = [f"{name}/{p.relative_to(root).as_posix()}" if name else p.relative_to(root).as_posix() for p in files]
        stored = self.upload_files(names, files, return_artifacts=True, overwrite=overwrite, progress=progress)
        return stored or []

    # -- reading -------------------------------------------------------------------------

    def get_file_details(self, prefix: str | None = None) -> list[dict[str, Any]]:
        """The run's files (``name``, ``size``, ``modifiedUtc``), sorted by name."""
        params = {"prefix": prefix.strip("/")} if prefix and prefix.strip("/") else {}
        files: list[dict[str, Any]] = self._client.get(f"{self._path}/files", **params)["value"]
        return files

    def get_file_names(self) -> list[str]:
        return [f["name"] for f in self.get_file_details()]

    def download_file(
        self, name: str, output_file_path: PathLike | None = None, _validate_checksum: bool = False
    ) -> Path:
        """Stream the run's file ``name`` to ``output_file_path`` (default: its base name here).

        The bytes are checked against the server's xxh128 whenever it sends one; with
        ``_validate_checksum=True`` a file without a recorded digest is an error too.
        """
        target = Path(output_file_path) if output_file_path is not None else Path(name.rsplit("/", 1)[-1])
        if target.is_dir():
            target = target / name.rsplit("/", 1)[-1]
        return get_to_path(self._client, self._file_path(name), target, name, require_digest=_validate_checksum)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: PathLike | None = None,
        output_paths: Sequence[PathLike] | None = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        *,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Download the run's files under the folder ``prefix`` (all when None) as one streamed archive.

        Each lands at ``output_directory/<name>`` (``<name>`` without ``prefix/`` when
        ``append_prefix`` is False), or at ``output_paths[i]`` for the i-th name in name order.
        Each file is checked against its xxh128 before it takes its name; ``batch_size`` is
        accepted for Azure ML's signature (everything comes in one request).
        """
        base = Path(output_directory) if output_directory is not None else Path.cwd()
        folder = (prefix or "").strip("/")
        if folder:
            check_file_name(folder)
        if output_paths is not None:
            names = [f["name"] for f in self.get_file_details(prefix)]
            if len(output_paths) != len(names):
                raise ValidationError(
                    f"download_files found {len(names)} files under {prefix!r} but was given {len(output_paths)} paths."
                )
            chosen = {name: Path(p) for name, p in zip(names, output_paths, strict=True)}

            def target_of(name: str) -> Path:
                if name not in chosen:
                    raise ValidationError(
                        f"File '{name}' appeared under {prefix!r} after it was listed; download again."
                    )
                return chosen[name]

        else:

            def target_of(name: str) -> Path:
                return base / (name if append_prefix or not folder else _strip(name, folder))

        url = f"{self._path}/files.tar"
        return archives.receive(self._client, url, target_of, prefix=folder, on_file=progress)

    # -- images ----------------------------------------------------------------------------

    def log_image(self, name: str, path: PathLike | None = None, plot: Any = None, description: str = "") -> str:
        """Upload a PNG/JPEG file or a matplotlib figure and record it as an 'image' metric.

        ``plot`` is anything with ``savefig(buffer, format="png")``. The picture is stored as
        ``outputs/images/{name}-{n}.png`` (``.jpg`` for a JPEG), n counting from 0. Answers
        the file name.
        """
        if (path is None) == (plot is None):
            raise ValidationError(f"Image '{name}': pass exactly one of path= (a PNG or JPEG file) and plot=.")
        if path is not None:
            with Path(path).open("rb") as handle:
                head = handle.read(len(_PNG_MAGIC))
            data: IO[bytes] | PathLike = path
        else:
            if not callable(getattr(plot, "savefig", None)):
                raise TypeError(
                    f"Image '{name}': plot must have savefig(buffer, format='png'), like a matplotlib figure."
                )
            buffer = io.BytesIO()
            plot.savefig(buffer, format="png")
            head = buffer.getvalue()[: len(_PNG_MAGIC)]
            data = buffer
        if head.startswith(_PNG_MAGIC):
            extension = "png"
        elif head.startswith(_JPEG_MAGIC):
            extension = "jpg"
        else:
            what = f"'{path}' is not" if path is not None else "savefig did not write"
            raise ValidationError(f"Image '{name}': {what} a PNG or JPEG picture.")
        check_file_name(f"{IMAGES_FOLDER}/{name}-0.{extension}")
        counts = self._image_counts_
        if counts is None:
            counts = self._image_counts_ = {}
        # Another process may log the same name: on a taken number, try the next one.
        for _attempt in range(_MAX_IMAGE_ATTEMPTS):
            n = counts.get(name, 0)
            counts[name] = n + 1
            file_name = f"{IMAGES_FOLDER}/{name}-{n}.{extension}"
            if isinstance(data, io.BytesIO):
                data.seek(0)
            try:
                self.upload_file(file_name, data)
                break
            except RunFileAlreadyExists:
                continue
        else:
            raise RunFileAlreadyExists(f"Image '{name}': {_MAX_IMAGE_ATTEMPTS} numbers in a row are already taken.")
        value = {"path": file_name, "description": description}
        self._client.post(f"{self._path}/metrics/json", json={"name": name, "kind": "image", "value": value})
        return file_name


def _binary(stream: IO[bytes], name: str) -> Iterator[bytes]:
    """The stream's chunks; a text stream is refused at its first chunk, before the request starts."""
    chunks = chunks_of(stream)
    first = next(chunks, b"")
    if not isinstance(first, bytes | bytearray | memoryview):
        raise TypeError(f"Cannot upload '{name}': the stream must be binary (open it with 'rb').")

    def all_of() -> Iterator[bytes]:
        if first:
            yield bytes(first)
        for chunk in chunks:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"Cannot upload '{name}': the stream must be binary (open it with 'rb').")
            yield bytes(chunk) if not isinstance(chunk, bytes) else chunk

    return all_of()


def _strip(name: str, folder: str) -> str:
    return name[len(folder) + 1 :] if name.startswith(folder + "/") else name.rsplit("/", 1)[-1]


__all__ = ["PARALLEL_TRANSFERS", "Progress", "RunFilesMixin", "check_file_name"]
