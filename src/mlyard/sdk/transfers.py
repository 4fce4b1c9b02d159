"""File transfers with the server, shared by run files and datastore files.

Files stream both ways in 1 MiB chunks; no file is ever held whole in memory. Every upload
carries its xxh128 (XXH3-128, :mod:`mlyard.core.transfer_digests`), and the server refuses a body
that does not match before it publishes the file: a file is hashed while it is sent and its
digest follows its bytes (``X-Content-XXH128: trailer``, see :mod:`mlyard.services.checksums`),
so it is read once; a digest the caller already knows leads the body instead. Every download is hashed as it is
written and checked against the digest the server announces. A download lands in a temporary file beside
its target and is renamed into place once verified, so a failed or corrupted transfer never
leaves a partial file under the real name. Many files go through a small thread pool
(:data:`PARALLEL_TRANSFERS`) over the client's kept-alive connections, which is what makes a
folder of a thousand small files quick.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import IO, Any

import httpx

from mlyard.api.run_files import DIGEST_HEADER, DIGEST_TRAILER
from mlyard.core.errors import (
    ChecksumMismatch,
    ServiceUnreachable,
    ValidationError,
)
from mlyard.core.transfer_digests import TRAILER_BYTES, Hasher, new_hasher
from mlyard.sdk import plain_get
from mlyard.sdk.client import Client, seg

CHUNK = 1024 * 1024
PARALLEL_TRANSFERS = 8
SINGLE_FILE = 8 * 1024 * 1024
"""Files of at least this size travel as requests of their own, not inside an archive: the tar
path copies each byte several times more, and a big file pays a request's overhead only once."""
PARALLEL_LARGE = 2
"""Big files in flight at a time: one keeps a core busy hashing on each side; a second overlaps
one file's fsync and request set-up with the other's bytes."""

Progress = Callable[[str], None]
"""Called with each file's name once it has been transferred (the CLI draws a progress bar)."""

Bytes = Callable[[int], None]
"""Called with the size of each chunk as it goes (a progress bar in bytes)."""

PathLike = str | os.PathLike[str]


def quote_name(name: str) -> str:
    """A file name as URL path segments, each escaped ('/' kept between them)."""
    return "/".join(seg(part) for part in name.split("/"))


def xxh128_of_path(path: Path) -> str:
    digest = new_hasher()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def chunks_of(handle: IO[bytes], on_bytes: Bytes | None = None) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        if on_bytes is not None:
            on_bytes(len(chunk))
        yield chunk


def raise_for(client: Client, response: httpx.Response) -> None:
    """Raise the server's error as its core class (the body is read first when streamed)."""
    if response.status_code < 400:
        return
    response.read()
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    client.raise_error(response.status_code, body)


def unreachable(client: Client, exc: httpx.TransportError) -> ServiceUnreachable:
    return client.lost_transfer(exc)


def run_all(
    fn: Callable[[Any], Any], items: Sequence[Any], timeout: float | None = None, workers: int = PARALLEL_TRANSFERS
) -> list[Any]:
    """``fn`` over ``items`` in the thread pool; results in order; the first failure is raised."""
    if len(items) <= 1 or workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlyard-files") as pool:
        futures = [pool.submit(fn, item) for item in items]
        done, pending = wait(futures, timeout=timeout, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            raise failed.exception()  # type: ignore[misc]  # checked not None just above
        if pending:
            raise TimeoutError(f"{len(pending)} of {len(items)} file transfers did not finish within {timeout} s.")
        return [f.result() for f in futures]


def put_file(
    client: Client,
    url: str,
    handle: IO[bytes],
    size: int,
    xxh128: str,
    *,
    overwrite: bool,
    on_bytes: Bytes | None = None,
) -> dict[str, Any]:
    """PUT the bytes of ``handle`` at ``url`` with their digest; answer the server's JSON."""
    headers = {"Content-Length": str(size), DIGEST_HEADER: xxh128, "Content-Type": "application/octet-stream"}
    params = {"overwrite": "true"} if overwrite else None
    try:
        response = client._http.put(url, content=chunks_of(handle, on_bytes), headers=headers, params=params)
    except httpx.TransportError as exc:
        raise unreachable(client, exc) from None
    raise_for(client, response)
    answer: dict[str, Any] = response.json()
    return answer


def put_path(client: Client, url: str, path: Path, *, overwrite: bool, on_bytes: Bytes | None = None) -> dict[str, Any]:
    """PUT the local file ``path`` at ``url``, its digest leading (``FileNotFoundError`` when it
    is not a file). The file is read twice (hash, then send): for routes that take no trailing
    digest (notebooks); run and datastore files use :func:`stream_path`."""
    if not path.is_file():
        raise FileNotFoundError(f"Cannot upload '{path}': no such file.")
    xxh128 = xxh128_of_path(path)
    with path.open("rb") as handle:
        return put_file(
            client, url, handle, os.fstat(handle.fileno()).st_size, xxh128, overwrite=overwrite, on_bytes=on_bytes
        )


def stream_path(
    client: Client, url: str, path: Path, *, overwrite: bool, on_bytes: Bytes | None = None
) -> dict[str, Any]:
    """PUT the local file ``path`` at ``url``, read once: hashed while it is sent, its digest
    after its bytes (``X-Content-XXH128: trailer``; ``FileNotFoundError`` when it is not a file)."""
    if not path.is_file():
        raise FileNotFoundError(f"Cannot upload '{path}': no such file.")
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = new_hasher()
        body = _with_trailer(_sized(handle, size, str(path), on_bytes), digest)
        answer = _put(client, url, body, str(size + TRAILER_BYTES), overwrite)
    _check_answer(answer, digest, str(path))
    return answer


def put_stream(client: Client, url: str, chunks: Iterable[bytes], *, overwrite: bool, what: str) -> dict[str, Any]:
    """PUT chunks of unknown total size (sent chunked), hashed on the way, the digest after them."""
    digest = new_hasher()
    answer = _put(client, url, _with_trailer(chunks, digest), None, overwrite)
    _check_answer(answer, digest, what)
    return answer


def _sized(handle: IO[bytes], size: int, what: str, on_bytes: Bytes | None) -> Iterator[bytes]:
    """Exactly ``size`` bytes of ``handle`` (the request's announced length) or an error."""
    left = size
    while left > 0 and (chunk := handle.read(min(CHUNK, left))):
        left -= len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
        yield chunk
    if left:
        raise ValidationError(f"'{what}' shrank while it was uploaded ({size - left} of {size} bytes).")


def _with_trailer(chunks: Iterable[bytes], digest: Hasher) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    yield digest.hexdigest().encode("ascii")


def _put(client: Client, url: str, body: Iterator[bytes], length: str | None, overwrite: bool) -> dict[str, Any]:
    headers = {DIGEST_HEADER: DIGEST_TRAILER, "Content-Type": "application/octet-stream"}
    if length is not None:
        headers["Content-Length"] = length
    params = {"overwrite": "true"} if overwrite else None
    try:
        response = client._http.put(url, content=body, headers=headers, params=params)
    except httpx.TransportError as exc:
        raise unreachable(client, exc) from None
    raise_for(client, response)
    answer: dict[str, Any] = response.json()
    return answer


def _check_answer(answer: dict[str, Any], digest: Hasher, what: str) -> None:
    """The server checked our digest; ours is checked against what it says it stored."""
    stored = answer.get("xxh128")
    if stored is not None and stored != digest.hexdigest():
        raise ChecksumMismatch(
            f"The server stored '{what}' with xxh128 {stored}, but {digest.hexdigest()} was sent: upload it again."
        )


def get_to_path(
    client: Client,
    url: str,
    target: Path,
    name: str,
    *,
    require_digest: bool = False,
    on_bytes: Bytes | None = None,
    large: bool = False,
) -> Path:
    """Stream ``url`` into ``target`` through a temporary file, checked against the server's xxh128.

    ``large``: the caller knows the file is big (:data:`SINGLE_FILE` or more): it is read with
    ``http.client`` into one buffer where the client allows (:mod:`mlyard.sdk.plain_get`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    digest = new_hasher()
    try:
        if large and client.plain_http and url.startswith("/"):
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                expected = plain_get.download(client, url, fd, digest, on_bytes)
            finally:
                os.close(fd)
        else:
            expected = _get_via_httpx(client, url, partial, digest, on_bytes)
        if expected is None and require_digest:
            raise ChecksumMismatch(f"The server sent no xxh128 for file '{name}': it cannot be validated.")
        if expected is not None and digest.hexdigest() != expected.lower():
            raise ChecksumMismatch(
                f"File '{name}' arrived with xxh128 {digest.hexdigest()}, but the server announced {expected}: "
                "the transfer was corrupted; download it again."
            )
        os.replace(partial, target)
    except httpx.TransportError as exc:
        raise unreachable(client, exc) from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def _get_via_httpx(client: Client, url: str, partial: Path, digest: Hasher, on_bytes: Bytes | None) -> str | None:
    with client._http.stream("GET", url) as response:
        raise_for(client, response)
        with partial.open("wb") as out:
            # As the pieces arrive (~64 KiB): re-chunking them to 1 MiB cost one more copy.
            for chunk in response.iter_bytes():
                digest.update(chunk)
                out.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        expected: str | None = response.headers.get(DIGEST_HEADER)
        return expected


__all__ = [
    "CHUNK",
    "PARALLEL_LARGE",
    "PARALLEL_TRANSFERS",
    "SINGLE_FILE",
    "Bytes",
    "PathLike",
    "Progress",
    "chunks_of",
    "get_to_path",
    "put_file",
    "put_path",
    "put_stream",
    "quote_name",
    "raise_for",
    "run_all",
    "stream_path",
    "unreachable",
    "xxh128_of_path",
]
