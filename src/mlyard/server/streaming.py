"""Raw file bodies in and out of the routes that carry files (run files, datastore files).

An upload route is ``async`` only to read the request body as it arrives; the services are
synchronous, so they run in a worker thread and pull the body's chunks back from the event
loop one at a time (:func:`pull_body`). A download is a ``StreamingResponse`` over the store's
chunks with the length, the sha256 and the content type in its headers (:func:`file_response`).
Nothing holds a whole file in memory on either path.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
from fastapi.responses import StreamingResponse

from mlyard.api.run_files import SHA256_HEADER

COALESCE = 1024 * 1024  # the ASGI server hands over ~64 KiB pieces; write in MiB chunks


def pull_body(body: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The request body as a blocking iterator, for the worker thread that runs the service.

    The pieces are gathered into MiB chunks on the event loop: one hop between the thread and
    the loop per ~64 KiB piece made that hop the largest cost of a 200 MB upload."""

    async def next_chunk() -> bytes:
        pending: list[bytes] = []
        held = 0
        while held < COALESCE:
            try:
                piece = await body.__anext__()
            except StopAsyncIteration:
                break
            pending.append(piece)
            held += len(piece)
        # One copy (the join), not two (a bytearray grown piece by piece, then frozen).
        return pending[0] if len(pending) == 1 else b"".join(pending)

    while chunk := anyio.from_thread.run(next_chunk):
        yield chunk


def file_response(name: str, size: int, sha256: str | None, chunks: Iterator[bytes]) -> StreamingResponse:
    """Stream a file; its sha256, when known, in ``X-Content-SHA256`` and the ``ETag``."""
    headers = {"Content-Length": str(size)}
    if sha256:
        headers[SHA256_HEADER] = sha256
        headers["ETag"] = f'"{sha256}"'
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


__all__ = ["COALESCE", "file_response", "pull_body"]
