"""Raw file bodies in and out of the routes that carry files (run files, datastore files).

An upload route is ``async`` only to read the request body as it arrives; the services are
synchronous, so they run in a worker thread and pull the body's chunks, which the event loop
reads ahead of them (:func:`pull_body`). A download is a ``StreamingResponse`` over the store's
chunks with the length, the xxh128 and the content type in its headers (:func:`file_response`).
Nothing holds a whole file in memory on either path.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import queue
from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
from fastapi.responses import StreamingResponse

from mlyard.api.run_files import DIGEST_HEADER

COALESCE = 1024 * 1024  # the ASGI server hands over ~64 KiB pieces: the thread takes them a MiB at a time
READ_AHEAD = 8  # batches received ahead of the thread that writes them: at most ~8 MiB per upload


def pull_body(body: AsyncIterator[bytes]) -> BodyChunks:
    """The request body as a blocking iterator, for the worker thread that runs the service.

    The event loop reads ahead of the thread (up to :data:`READ_AHEAD` batches of the pieces that
    arrived, about :data:`COALESCE` bytes each), so receiving the next MiB overlaps with hashing and
    writing the last one; a thread that pulled each chunk itself left the socket idle while it wrote
    (a 200 MB upload ran receive, hash and write one after the other on a 2-core machine). The
    reader starts at the first pull (a service that fails before reading leaves the body unread) and
    is cancelled when the iterator is closed or dropped early.
    """
    return BodyChunks(body)


class BodyChunks(Iterator[bytes]):
    """A request body's chunks for a worker thread, read ahead of it by the event loop."""

    def __init__(self, body: AsyncIterator[bytes]) -> None:
        self._body = body
        self._chunks: queue.SimpleQueue[list[bytes] | BaseException | None] = queue.SimpleQueue()
        self._held: list[bytes] = []  # the pieces of the batch being handed out, last first
        self._loop: asyncio.AbstractEventLoop | None = None
        self._room: asyncio.Semaphore | None = None
        self._task: asyncio.Task[None] | None = None
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._held:
            return self._held.pop()
        if self._done:
            raise StopIteration
        if self._task is None:
            anyio.from_thread.run(self._start)
        item = self._chunks.get()
        if isinstance(item, list):
            assert self._loop is not None and self._room is not None
            self._loop.call_soon_threadsafe(self._room.release)
            item.reverse()
            self._held = item
            return self._held.pop()
        self._done = True
        if item is None:
            raise StopIteration
        raise item

    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Semaphore(READ_AHEAD)
        self._task = self._loop.create_task(self._read())

    async def _read(self) -> None:
        assert self._room is not None
        try:
            while True:
                await self._room.acquire()
                pending: list[bytes] = []
                held = 0
                while held < COALESCE:
                    try:
                        piece = await self._body.__anext__()
                    except StopAsyncIteration:
                        break
                    pending.append(piece)
                    held += len(piece)
                if not pending:
                    self._chunks.put(None)
                    return
                # Handed over as the pieces that arrived: joining them into one chunk cost the
                # server more CPU than hashing them (a fresh MiB of memory per chunk).
                self._chunks.put(pending)
        except Exception as error:  # the client went away, or the body broke: the thread re-raises it
            self._chunks.put(error)
        except BaseException:  # cancelled (the thread stopped early, or the server stops): never leave it waiting
            self._chunks.put(ConnectionAbortedError("The server stopped reading the upload's body."))
            raise

    def close(self) -> None:
        """Stop reading ahead (the service stopped early: an error, or it read enough)."""
        self._done = True
        if self._task is not None and self._loop is not None and not self._task.done():
            # RuntimeError: the loop has closed (server shutdown) and the task went with it.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._task.cancel)

    def __del__(self) -> None:
        self.close()


def file_response(name: str, size: int, xxh128: str | None, chunks: Iterator[bytes]) -> StreamingResponse:
    """Stream a file; its xxh128, when known, in ``X-Content-XXH128`` and the ``ETag``."""
    headers = {"Content-Length": str(size)}
    if xxh128:
        headers[DIGEST_HEADER] = xxh128
        headers["ETag"] = f'"{xxh128}"'
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


__all__ = ["COALESCE", "READ_AHEAD", "file_response", "pull_body"]
