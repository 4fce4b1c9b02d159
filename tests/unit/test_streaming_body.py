"""The request body as the worker thread sees it: read ahead by the event loop, bounded, in order."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import pytest

from mlyard.server.streaming import COALESCE, READ_AHEAD, pull_body

PIECE = 64 * 1024


class Body:
    """An ASGI-like body of ``count`` 64 KiB pieces that counts what was read from it."""

    def __init__(self, count: int, fail_after: int | None = None) -> None:
        self.count = count
        self.fail_after = fail_after
        self.read = 0

    async def pieces(self) -> AsyncIterator[bytes]:
        for i in range(self.count):
            if self.fail_after is not None and i == self.fail_after:
                raise ConnectionResetError("the client went away")
            self.read += 1
            yield bytes([i % 251]) * PIECE
            await anyio.sleep(0)


def run_in_thread(work: object) -> object:
    async def main() -> object:
        return await anyio.to_thread.run_sync(work)  # type: ignore[arg-type]

    return anyio.run(main)


def test_pieces_arrive_whole_and_in_order() -> None:
    body = Body(count=40)  # 2.5 MiB: three batches of up to a MiB

    def consume() -> list[bytes]:
        return list(pull_body(body.pieces()))

    chunks = run_in_thread(consume)
    assert isinstance(chunks, list)
    # As the server received them: joining them into MiB chunks cost more than hashing them.
    assert chunks == [bytes([i % 251]) * PIECE for i in range(40)]


def test_the_loop_reads_ahead_of_a_slow_thread_but_no_further_than_its_bound() -> None:
    pieces_per_chunk = COALESCE // PIECE
    body = Body(count=pieces_per_chunk * (READ_AHEAD + 10))
    stalled = threading.Event()

    def consume() -> int:
        chunks = pull_body(body.pieces())
        first = next(chunks)
        # The thread holds still; the loop goes on reading until its bound, then waits.
        for _ in range(200):
            anyio.from_thread.run(anyio.sleep, 0.005)
        stalled.set()
        ahead = body.read // pieces_per_chunk
        rest = sum(len(c) for c in chunks)
        assert len(first) + rest == body.count * PIECE
        return ahead

    ahead = run_in_thread(consume)
    assert stalled.is_set()
    # The first chunk taken frees one slot: READ_AHEAD + 1 chunks at most were read, and more than one.
    assert isinstance(ahead, int) and 1 < ahead <= READ_AHEAD + 1


def test_a_broken_body_raises_in_the_thread_after_the_chunks_before_it() -> None:
    body = Body(count=40, fail_after=20)

    def consume() -> tuple[int, BaseException | None]:
        got = 0
        try:
            for chunk in pull_body(body.pieces()):
                got += len(chunk)
        except ConnectionResetError as error:
            return got, error
        return got, None

    result = run_in_thread(consume)
    assert isinstance(result, tuple)
    got, error = result
    assert isinstance(error, ConnectionResetError)
    assert got == COALESCE  # the first whole batch (a MiB), then the error in place of the rest


def test_a_service_that_stops_early_stops_the_reading() -> None:
    body = Body(count=10_000)  # 625 MiB if read to the end

    def consume() -> None:
        chunks = pull_body(body.pieces())
        next(chunks)
        chunks.close()

    async def main() -> None:
        await anyio.to_thread.run_sync(consume)
        await anyio.sleep(0.2)

    anyio.run(main)
    assert body.read < (READ_AHEAD + 3) * (COALESCE // PIECE)


def test_a_service_that_fails_before_reading_leaves_the_body_unread() -> None:
    body = Body(count=10)

    def consume() -> None:
        pull_body(body.pieces())
        raise LookupError("no such run")

    with pytest.raises(LookupError):
        run_in_thread(consume)
    assert body.read == 0
