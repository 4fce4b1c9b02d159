"""How an upload carries its sha256: the wire contract both ends speak (the server's
``services/checksums`` and the SDK's ``sdk/transfers``), kept here so that neither restates it.

``X-Content-SHA256: <hex>`` announces the digest before the body; ``X-Content-SHA256: trailer``
says that the body's last :data:`TRAILER_BYTES` bytes are the hex sha256 of the bytes before them.
"""

from __future__ import annotations

SHA256_HEADER = "X-Content-SHA256"
SHA256_TRAILER = "trailer"
TRAILER_BYTES = 64

__all__ = ["SHA256_HEADER", "SHA256_TRAILER", "TRAILER_BYTES"]
