"""The blob store protocol, its key rules and the registry that picks a store by URL scheme.

Every blob of mlyard (run files, model files, datasets, notebooks, workspace storage areas)
is reached through :class:`BlobStore`. A key is a ``/``-separated relative path such as
``runs/42/outputs/model.pkl``; :func:`validate_key` says which keys are acceptable.

A *prefix* (for :meth:`BlobStore.list` and :meth:`BlobStore.delete_prefix`) names a folder:
``runs/4`` matches the blob ``runs/4`` itself and every blob under ``runs/4/``, never
``runs/42/…``. A trailing ``/`` is allowed and changes nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from mlyard.core.errors import InvalidBlobPath, ValidationError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DIGEST_XATTR",
    "LEGACY_SHA256_XATTR",
    "MAX_KEY_BYTES",
    "RESERVED_PREFIX",
    "BlobInfo",
    "BlobStore",
    "BlobStoreFactory",
    "KeepsXxh128",
    "one_sync",
    "open_blob_store",
    "register_blob_store",
    "supported_schemes",
    "sync_deferred",
    "validate_key",
    "validate_prefix",
]

DEFAULT_CHUNK_SIZE = 1024 * 1024
"""Chunk size of :meth:`BlobStore.open_read` unless told otherwise (1 MiB)."""

MAX_KEY_BYTES = 1024
"""The longest key, in UTF-8 bytes (S3's own limit)."""

RESERVED_PREFIX = ".~mlyard-"
"""Path segments starting with this are the stores' own temporary files: never a key."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """One blob as listed: its key, its size in bytes and when it was last written (UTC)."""

    key: str
    size: int
    modified: datetime


@runtime_checkable
class BlobStore(Protocol):
    """Where blobs live. Missing keys raise ``BlobNotFound``, bad keys ``InvalidBlobPath``."""

    @property
    def url(self) -> str:
        """A displayable location (``file:///…``, ``s3://bucket/prefix``), without secrets."""
        ...

    def url_for(self, key: str) -> str:
        """The displayable location of one blob."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        """Write a blob from chunks without holding it whole; return the bytes written.

        The blob appears only once complete; if ``chunks`` raises, nothing is written.
        """
        ...

    def open_read(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream a blob in chunks of at most ``chunk_size`` bytes (``BlobNotFound`` at once)."""
        ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> BlobInfo: ...

    def delete(self, key: str) -> None:
        """Delete one blob; a missing blob is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob under ``prefix`` and return how many; ``''`` is refused."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob under ``prefix``, recursively, sorted by key."""
        ...

    def copy(self, src_key: str, dst_key: str) -> None: ...

    def check(self) -> None:
        """Write, read back and delete a probe; raise ``ServiceUnavailable`` if that fails."""
        ...


DIGEST_XATTR = "user.mlyard.xxh128"
"""The extended attribute in which a file store keeps a blob's xxh128 (XXH3-128, 32 hex)."""

LEGACY_SHA256_XATTR = "user.mlyard.sha256"
"""Where blobs written before the move to xxh128 kept their sha256: such a blob's xxh128 is
computed (the blob read once) the first time it is asked for, and kept from then on."""


@runtime_checkable
class KeepsXxh128(Protocol):
    """A store that keeps a blob's xxh128 *with* the blob, published in the same step as its bytes.

    The file store does (an extended attribute of the file, set before the rename): a digest kept
    as a blob of its own beside each file made every small file of an archive two files, which
    was most of the server's cost for 1,000 files, and a reader racing an overwrite could pair
    the new bytes with the old digest."""

    def write_stream_xxh128(
        self, key: str, chunks: Iterable[bytes], xxh128: Callable[[], str]
    ) -> tuple[BlobInfo, bool]:
        """``write_stream``, keeping ``xxh128()`` (called once the chunks are consumed) with the blob.

        Answers the blob as written (size and time, read from the file it still holds: no ``stat``
        by name after) and whether the digest was kept (a file system without extended attributes
        cannot: the caller then records it its own way)."""
        ...

    def kept_xxh128(self, key: str) -> str | None:
        """The digest kept with the blob, or None (none kept, or no such blob). A blob that kept
        only its old sha256 (:data:`LEGACY_SHA256_XATTR`) has its xxh128 computed and kept."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is an acceptable blob key, else raise ``InvalidBlobPath``.

    A key is a non-empty relative ``/``-separated path, with no backslash, no NUL, no empty,
    ``.`` or ``..`` segment, no segment starting with :data:`RESERVED_PREFIX`, and at most
    :data:`MAX_KEY_BYTES` bytes of UTF-8.
    """
    if not isinstance(key, str):
        raise InvalidBlobPath(f"blob key must be a string, not {type(key).__name__}", target=repr(key))
    reason = _key_problem(key)
    if reason is not None:
        raise InvalidBlobPath(f"invalid blob key {key!r}: {reason}", target=key)
    return key


def _key_problem(key: str) -> str | None:
    if not key:
        return "it is empty"
    if key.startswith("/"):
        return "it must be relative, not absolute"
    if "\\" in key:
        return "it contains a backslash; separate folders with '/'"
    if "\x00" in key:
        return "it contains a NUL character"
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid Unicode text"
    if len(encoded) > MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES} bytes"
    for segment in key.split("/"):
        if segment == "":
            return "it has an empty segment ('//' or a trailing '/')"
        if segment in (".", ".."):
            return f"it has a {segment!r} segment"
        if segment.startswith(RESERVED_PREFIX):
            return f"segments starting with {RESERVED_PREFIX!r} are reserved"
    return None


def validate_prefix(prefix: str, *, allow_empty: bool = True) -> str:
    """Normalise a listing prefix: ``''`` (the whole store) or a valid key, trailing ``/`` dropped."""
    if not isinstance(prefix, str):
        raise InvalidBlobPath(f"blob prefix must be a string, not {type(prefix).__name__}")
    if prefix == "":
        if not allow_empty:
            raise InvalidBlobPath("refusing an empty prefix: it would cover the whole blob store", target=prefix)
        return ""
    if prefix.startswith("/"):
        raise InvalidBlobPath(f"invalid blob prefix {prefix!r}: it must be relative", target=prefix)
    trimmed = prefix[:-1] if prefix.endswith("/") else prefix
    reason = _key_problem(trimmed)
    if reason is not None:
        raise InvalidBlobPath(f"invalid blob prefix {prefix!r}: {reason}", target=prefix)
    return trimmed


def under_prefix(key: str, prefix: str) -> bool:
    """Whether ``key`` is the blob ``prefix`` or lies under it (``prefix`` already validated)."""
    return prefix == "" or key == prefix or key.startswith(prefix + "/")


def split_options(store: str, options: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    """Keep the options that are set (not None); refuse any the store does not know."""
    allowed = set(known)
    given = {name: value for name, value in options.items() if value is not None}
    unknown = sorted(set(given) - allowed)
    if unknown:
        known_text = ", ".join(sorted(allowed)) or "none"
        raise ValidationError(
            f"unknown option(s) for the {store} blob store: {', '.join(unknown)} (known: {known_text})"
        )
    return given


BlobStoreFactory = Callable[..., BlobStore]
"""Builds a store from its URL and keyword options: ``factory(url, **options)``."""

_FACTORIES: dict[str, BlobStoreFactory | str] = {
    "file": "mlyard.storage.file:FileBlobStore.from_url",
    "s3": "mlyard.storage.s3:S3BlobStore.from_url",
}


def register_blob_store(scheme: str, factory: BlobStoreFactory) -> None:
    """Make ``open_blob_store`` build ``factory(url, **options)`` for URLs of ``scheme``."""
    _FACTORIES[scheme.lower()] = factory


def supported_schemes() -> list[str]:
    return sorted(_FACTORIES)


def _factory(scheme: str) -> BlobStoreFactory | None:
    entry = _FACTORIES.get(scheme)
    if entry is None or callable(entry):
        return entry
    module_name, _, attribute = entry.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    factory: BlobStoreFactory = target
    _FACTORIES[scheme] = factory
    return factory


def open_blob_store(url: str, **options: Any) -> BlobStore:
    """Open the blob store at ``url``, chosen by its scheme (a plain absolute path is ``file``).

    Options set to ``None`` count as not given, so callers may pass all their settings.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("blob store URL is empty", target="url")
    url = url.strip()
    if url.startswith("/"):
        scheme = "file"
    else:
        scheme = urlsplit(url).scheme.lower()
        if not scheme or "://" not in url:
            raise ValidationError(
                f"blob store URL {url!r} is neither an absolute path nor a URL such as "
                f"file:///srv/mlyard/blobs or s3://bucket/prefix",
                target="url",
            )
    factory = _factory(scheme)
    if factory is None:
        raise ValidationError(
            f"unsupported blob store scheme {scheme!r} in {url!r}; supported: {', '.join(supported_schemes())}",
            target="url",
        )
    return factory(url, **options)


# -- durability of many small writes ------------------------------------------------------------

# (store, what it wrote) for each write inside ``one_sync()`` that skipped its own flush to disk
# (shared by the threads the block hands work to through ``contextvars.copy_context()``).
_DEFERRED: ContextVar[list[tuple[Any, Any]] | None] = ContextVar("mlyard_deferred_sync", default=None)


@contextmanager
def one_sync() -> Iterator[None]:
    """Many writes, one flush to disk: inside the block a store that flushes each blob (the file
    store's fsync) leaves that to the end, and a clean exit flushes every such store once, before
    the caller acknowledges anything: ``store.sync(written)`` with what each write recorded.
    Per-file fsync inside each write made an archive of 1,000 small files several times slower;
    a failed block flushes nothing (its new blobs are removed by the caller)."""
    writes: list[tuple[Any, Any]] = []
    token = _DEFERRED.set(writes)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    by_store: dict[int, tuple[Any, list[Any]]] = {}
    for store, item in writes:
        by_store.setdefault(id(store), (store, []))[1].append(item)
    for store, items in by_store.values():
        store.sync(items)


def sync_deferred(store: Any, written: Any = None) -> bool:
    """For a store's write: True when an enclosing ``one_sync()`` will call ``store.sync([...])``
    with ``written`` (what the store needs to flush that write) among the items."""
    pending = _DEFERRED.get()
    if pending is None:
        return False
    pending.append((store, written))  # list.append is atomic: writer threads share the list
    return True
