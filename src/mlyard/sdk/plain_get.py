"""Big downloads over the standard library's HTTP client, read straight into one reused buffer.

httpx hands a body over in ~64 KiB pieces, each copied twice inside h11 (into its receive buffer,
then out of it): ~0.5 CPU-s per GB on the client, which on 2 cores shared with the server held
4 x 256 MB datastore downloads to 70-80 % of a copy. ``http.client``'s ``readinto`` fills a 1 MiB
buffer from the socket: client CPU 1.0 -> 0.4 s per GB, two 256 MB files at once 840-1,040 ->
1,300-1,500 MB/s (measured here). It is used for big files (the caller says which) from a
plain-HTTP endpoint (mlyard's default, on one host or a LAN) with the client's own token; an
https endpoint, a custom transport or authentication, or a proxy in the environment keep httpx,
which knows their certificates, hooks and proxies (:attr:`Client.plain_http`).
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mlyard.core.errors import ServiceUnreachable
from mlyard.core.transfer_digests import DIGEST_HEADER, Hasher
from mlyard.sdk.client import Client

BUFFER = 1024 * 1024


def download(
    client: Client, path: str, fd: int, digest: Hasher, on_bytes: Callable[[int], None] | None = None
) -> str | None:
    """GET ``path`` (an API path) into the open file ``fd``, hashing into ``digest``; answers the
    xxh128 the server announced (None when it sent none). A server error is raised as its core
    class, a lost or short transfer as ``ServiceUnreachable``."""
    parts = urlsplit(client.endpoint + path)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=client.timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers=client.plain_headers())
        response = conn.getresponse()
        if response.status >= 400:
            text = response.read().decode("utf-8", "replace")
            try:
                body: Any = json.loads(text)
            except ValueError:
                body = text
            client.raise_error(response.status, body)
        length = response.getheader("Content-Length")
        got = _copy(response, fd, digest, on_bytes)
    except (OSError, http.client.HTTPException) as exc:
        raise client.lost_transfer(exc) from None
    finally:
        conn.close()
    if length is not None and got != int(length):
        raise ServiceUnreachable(
            f"The server at {client.endpoint} closed the transfer after {got:,} of {int(length):,} bytes: "
            "nothing was kept; the transfer can be repeated."
        )
    return response.getheader(DIGEST_HEADER)


def _copy(response: http.client.HTTPResponse, fd: int, digest: Hasher, on_bytes: Callable[[int], None] | None) -> int:
    buffer = bytearray(BUFFER)
    view = memoryview(buffer)
    got = 0
    while n := response.readinto(buffer):
        piece = view[:n]
        digest.update(piece)
        while piece:
            piece = piece[os.write(fd, piece) :]
        got += n
        if on_bytes is not None:
            on_bytes(n)
    return got


__all__ = ["BUFFER", "download"]
