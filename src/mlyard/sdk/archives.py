"""Many files in one request, on the SDK's side: local files sent as one tar stream, and a tar
stream received into local files (format: :mod:`mlyard.core.archives`). Used by run files
(``upload_folder``, ``upload_files``, ``download_files``) and datastores (``upload``,
``upload_files``, ``download``) alike.

Sending hashes every file first (the manifest leads the archive, so that the server can refuse a
bad batch before storing anything), then streams the files in 1 MiB chunks. Receiving writes
each entry to a temporary file beside its target, hashing it on the way, and renames it into
place only once its xxh128 matches the one in its header; an archive that breaks off leaves the
files already verified and no partial one.
"""

from __future__ import annotations

import os
import tarfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mlyard.api.run_files import ARCHIVE_COUNT_HEADER
from mlyard.core.archives import (
    DIGEST_PAX,
    END,
    MANIFEST_NAME,
    MEDIA_TYPE,
    ManifestEntry,
    coalesce,
    entry_header,
    entry_kind,
    manifest_bytes,
    open_stream,
    padding,
)
from mlyard.core.errors import ChecksumMismatch, InvalidFileName, ServiceUnreachable, ValidationError
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.core.transfer_digests import new_hasher
from mlyard.sdk.client import Client
from mlyard.sdk.transfers import CHUNK, Bytes, raise_for, run_all, unreachable, xxh128_of_path

Done = Callable[[str], None]
"""Called with each file's name once it has gone (or arrived)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    path: Path
    name: str
    size: int
    mtime: float
    xxh128: str


def prepare(paths: Sequence[Path], names: Sequence[str]) -> list[Outgoing]:
    """Each file's size and xxh128 (hashed a few at a time), for the manifest."""

    def one(pair: tuple[Path, str]) -> Outgoing:
        path, name = pair
        try:
            st = path.stat()
        except FileNotFoundError:
            raise FileNotFoundError(f"Cannot upload '{path}' as '{name}': no such file.") from None
        return Outgoing(path, name, st.st_size, st.st_mtime, xxh128_of_path(path))

    return run_all(one, list(zip(paths, names, strict=True)))


def tar_stream(
    items: Sequence[Outgoing], on_bytes: Bytes | None = None, on_file: Done | None = None
) -> Iterator[bytes]:
    """The archive of ``items``: the manifest, then each file read in chunks."""

    def pieces() -> Iterator[bytes]:
        manifest = manifest_bytes(ManifestEntry(i.name, i.size, i.xxh128) for i in items)
        yield entry_header(MANIFEST_NAME, len(manifest))
        yield manifest
        yield padding(len(manifest))
        for item in items:
            yield entry_header(item.name, item.size, item.mtime)
            sent = 0
            with item.path.open("rb") as handle:
                while sent < item.size and (chunk := handle.read(min(CHUNK, item.size - sent))):
                    sent += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                    yield chunk
            if sent != item.size:
                raise ValidationError(f"'{item.path}' shrank while it was uploaded ({sent} of {item.size} bytes).")
            yield padding(item.size)
            if on_file is not None:
                on_file(item.name)
        yield END

    return coalesce(pieces())


def send(
    client: Client,
    url: str,
    items: Sequence[Outgoing],
    *,
    overwrite: bool,
    on_bytes: Bytes | None = None,
    on_file: Done | None = None,
) -> list[dict[str, Any]]:
    """POST the archive of ``items`` to ``url`` (``.../files.tar``); answer the stored files."""
    params = {"overwrite": "true"} if overwrite else None
    content = tar_stream(items, on_bytes, on_file)
    try:
        response = client._http.post(url, content=content, headers={"Content-Type": MEDIA_TYPE}, params=params)
    except httpx.TransportError as exc:
        raise unreachable(client, exc) from None
    raise_for(client, response)
    stored: list[dict[str, Any]] = response.json()["value"]
    return stored


def receive(
    client: Client,
    url: str,
    target_of: Callable[[str], Path],
    *,
    prefix: str = "",
    max_size: int | None = None,
    on_bytes: Bytes | None = None,
    on_file: Done | None = None,
    on_count: Callable[[int], None] | None = None,
) -> list[Path]:
    """GET the archive at ``url`` (``.../files.tar``) and write each file at ``target_of(name)``;
    only files of at most ``max_size`` bytes when given (the bigger ones go one by one)."""
    out: list[Path] = []
    expected = 0
    params: dict[str, str | int] = {"prefix": prefix} if prefix else {}
    if max_size is not None:
        params["maxSize"] = max_size
    try:
        with client._http.stream("GET", url, params=params or None) as response:
            raise_for(client, response)
            expected = int(response.headers.get(ARCHIVE_COUNT_HEADER, "-1"))
            if on_count is not None and expected >= 0:
                on_count(expected)
            made: set[Path] = set()  # folders already there: one mkdir per folder, not per file
            with open_stream(response.iter_bytes(CHUNK)) as tar:
                for member in tar:
                    out.append(_write_entry(tar, member, target_of, on_bytes, made))
                    if on_file is not None:
                        on_file(member.name)
    except httpx.TransportError as exc:
        raise unreachable(client, exc) from None
    except (tarfile.TarError, EOFError) as exc:
        raise ServiceUnreachable(
            f"The archive from {client.endpoint} broke off after {len(out)} files ({exc}); download it again."
        ) from None
    if expected >= 0 and len(out) != expected:
        raise ServiceUnreachable(
            f"The archive from {client.endpoint} ended after {len(out)} of {expected} files; download it again."
        )
    return out


def _write_entry(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    target_of: Callable[[str], Path],
    on_bytes: Bytes | None,
    made: set[Path],
) -> Path:
    kind = entry_kind(member)
    if kind is not None:
        raise ValidationError(f"The server sent '{member.name}' as {kind}: only regular files are accepted.")
    problem = file_name_problem(member.name)
    if problem is not None:
        raise InvalidFileName(describe_bad_name(member.name, problem) + " Nothing was written for it.")
    target = target_of(member.name)
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file
    digest = new_hasher()
    try:
        with partial.open("wb") as sink:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                sink.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        announced = member.pax_headers.get(DIGEST_PAX)
        if announced is not None and digest.hexdigest() != announced.lower():
            raise ChecksumMismatch(
                f"File '{member.name}' arrived with xxh128 {digest.hexdigest()}, but the server announced "
                f"{announced}: the transfer was corrupted; download it again."
            )
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


__all__ = ["Done", "Outgoing", "prepare", "receive", "send", "tar_stream"]
