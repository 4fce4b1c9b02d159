"""A blob store in an S3 bucket (or any S3-compatible service): ``s3://bucket/prefix``.

Built on ``s3fs``, which is imported only when such a store is opened, so mlyard runs
without the ``[s3]`` extra. Settings, first found wins: keyword options, then the URL's
query (``?endpoint_url=http://127.0.0.1:9000&region=us-east-1``), then the environment
(``MLYARD_S3_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_DEFAULT_REGION``). Without credentials botocore's own chain
(profiles, instance roles) applies.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mlyard.core.errors import BlobNotFound, MlyardError, ServiceUnavailable, ValidationError
from mlyard.storage.base import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    split_options,
    under_prefix,
    validate_key,
    validate_prefix,
)

__all__ = ["S3BlobStore"]

PART_SIZE = 8 * 1024 * 1024
"""Multipart upload part size of ``write_stream``: the most it buffers at once."""

_OPTIONS = ("endpoint_url", "access_key_id", "secret_access_key", "session_token", "region")
_URL_OPTIONS = ("endpoint_url", "region")
_ENV = {
    "endpoint_url": "MLYARD_S3_ENDPOINT_URL",
    "access_key_id": "AWS_ACCESS_KEY_ID",
    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
    "region": "AWS_DEFAULT_REGION",
}
_DELETE_BATCH = 1000


def _import_s3fs() -> Any:
    try:
        import s3fs
    except ImportError as exc:
        raise ServiceUnavailable(
            "s3:// blob stores need the s3fs package, which is not installed: run pip install 'mlyard[s3]'"
        ) from exc
    return s3fs


def _addressable(key: str) -> bool:
    try:
        validate_key(key)
    except MlyardError:
        return False
    return True


class S3BlobStore:
    """Blobs as objects under ``prefix`` in ``bucket``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        region: str | None = None,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ValidationError(f"invalid S3 bucket name {bucket!r}", target="url")
        prefix = prefix.strip("/")
        self._bucket = bucket
        self._prefix = validate_prefix(prefix) if prefix else ""
        given = {
            "endpoint_url": endpoint_url,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "session_token": session_token,
            "region": region,
        }
        settings = {name: value or os.environ.get(_ENV[name]) or None for name, value in given.items()}
        endpoint = settings["endpoint_url"]
        if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
            raise ValidationError(f"S3 endpoint_url must be an http(s) URL, not {endpoint!r}")
        self._endpoint_url = endpoint
        self._region = settings["region"]
        s3fs = _import_s3fs()
        self._fs: Any = s3fs.S3FileSystem(
            key=settings["access_key_id"],
            secret=settings["secret_access_key"],
            token=settings["session_token"],
            endpoint_url=endpoint,
            client_kwargs={"region_name": self._region} if self._region else {},
            config_kwargs={
                "connect_timeout": 10,
                "read_timeout": 60,
                "retries": {"max_attempts": 3, "mode": "standard"},
            },
            skip_instance_cache=True,
            use_listings_cache=False,
        )
        self._fs.retries = 3  # s3fs's own retries, on top of botocore's (default 5)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3BlobStore:
        """Build from ``s3://bucket[/prefix][?endpoint_url=…&region=…]`` and keyword options."""
        given = split_options("s3", options, _OPTIONS)
        parts = urlsplit(url)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise ValidationError(f"not an S3 URL (s3://bucket/prefix): {url!r}", target="url")
        if "@" in parts.netloc:
            raise ValidationError("S3 URLs must not carry credentials; pass them as options", target="url")
        if parts.fragment:
            raise ValidationError(f"S3 URL {url!r} must not carry a fragment", target="url")
        query = dict(parse_qsl(parts.query, keep_blank_values=False))
        unknown = sorted(set(query) - set(_URL_OPTIONS))
        if unknown:
            raise ValidationError(
                f"unknown S3 URL parameter(s) {', '.join(unknown)} (known: {', '.join(_URL_OPTIONS)})",
                target="url",
            )
        merged = {**query, **given}
        return cls(parts.netloc, parts.path, **merged)

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def endpoint_url(self) -> str | None:
        return self._endpoint_url

    @property
    def url(self) -> str:
        return f"s3://{self._base}"

    def url_for(self, key: str) -> str:
        return f"s3://{self._path(key)}"

    def __repr__(self) -> str:
        return f"S3BlobStore({self.url!r}, endpoint_url={self._endpoint_url!r})"

    # -- writing -------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> None:
        self._fs.pipe_file(self._path(key), bytes(data))

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        handle = self._fs.open(self._path(key), "wb", block_size=PART_SIZE)
        written = 0
        try:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
            handle.close()  # completes the (multipart) upload: only now does the blob appear
        except BaseException:
            # close() would publish what was written so far; abort the upload instead.
            with contextlib.suppress(Exception):
                handle.discard()
            handle.closed = True
            raise
        return written

    def copy(self, src_key: str, dst_key: str) -> None:
        source, target = self._path(src_key), self._path(dst_key)
        if source == target:  # S3 refuses a copy onto itself; the blob already is its copy
            self.stat(src_key)
            return
        try:
            self._fs.cp_file(source, target)
        except FileNotFoundError:
            raise self._not_found(src_key) from None

    # -- reading -------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        try:
            data: bytes = self._fs.cat_file(self._path(key))
        except (FileNotFoundError, IsADirectoryError):
            raise self._not_found(key) from None
        return data

    def open_read(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.stat(key)  # BlobNotFound now, not at the first next()
        return self._read_chunks(key, chunk_size)

    def _read_chunks(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            handle = self._fs.open(self._path(key), "rb", block_size=chunk_size, cache_type="none")
        except FileNotFoundError:
            raise self._not_found(key) from None
        with handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._file_info(self._path(key)) is not None

    def stat(self, key: str) -> BlobInfo:
        info = self._file_info(self._path(key))
        if info is None:
            raise self._not_found(key)
        return self._blob_info(key, info)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        prefix = validate_prefix(prefix)
        start = f"{self._base}/{prefix}" if prefix else self._base
        try:
            found: dict[str, dict[str, Any]] = self._fs.find(start, detail=True)
        except FileNotFoundError as exc:
            raise ServiceUnavailable(f"blob store {self.url} is not usable: {exc}", target=self.url) from exc
        if prefix and start not in found:
            exact = self._file_info(start)
            if exact is not None:
                found[start] = exact
        base = self._base + "/"
        infos: list[BlobInfo] = []
        for name, info in found.items():
            if info.get("type") != "file" or not name.startswith(base):
                continue
            key = name[len(base) :]
            if not _addressable(key) or not under_prefix(key, prefix):
                continue  # a folder marker, or an object mlyard could not address
            infos.append(self._blob_info(key, info))
        infos.sort(key=lambda blob: blob.key)
        return iter(infos)

    # -- deleting ------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(self._path(key))

    def delete_prefix(self, prefix: str) -> int:
        prefix = validate_prefix(prefix, allow_empty=False)
        keys = [self._object_key(blob.key) for blob in self.list(prefix)]
        deleted = 0
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            reply = self._fs.call_s3(
                "delete_objects",
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = reply.get("Errors") or []
            deleted += len(batch) - len(errors)
            if errors:
                first = errors[0]
                raise ServiceUnavailable(
                    f"could not delete {len(errors)} blob(s) under {prefix!r} in {self.url}: "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}",
                    target=prefix,
                )
        return deleted

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        key = f".mlyard-check/{uuid.uuid4().hex}"
        probe = b"mlyard blob store check"
        where = self.url if self._endpoint_url is None else f"{self.url} (endpoint {self._endpoint_url})"
        try:
            self.put_bytes(key, probe)
            try:
                if self.get_bytes(key) != probe:
                    raise OSError("the probe read back differs from what was written")
            finally:
                self.delete(key)
        except Exception as exc:
            raise ServiceUnavailable(
                f"blob store {where} is not usable: {type(exc).__name__}: {exc}", target=self.url
            ) from exc

    # -- helpers -------------------------------------------------------------------------

    @property
    def _base(self) -> str:
        return f"{self._bucket}/{self._prefix}" if self._prefix else self._bucket

    def _object_key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def _path(self, key: str) -> str:
        return f"{self._bucket}/{self._object_key(validate_key(key))}"

    def _file_info(self, path: str) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self._fs.info(path)
        except FileNotFoundError:
            return None
        return info if info.get("type") == "file" else None

    @staticmethod
    def _blob_info(key: str, info: Mapping[str, Any]) -> BlobInfo:
        modified = info.get("LastModified")
        if not isinstance(modified, datetime):
            modified = datetime.fromtimestamp(0, tz=UTC)
        modified = modified.astimezone(UTC) if modified.tzinfo else modified.replace(tzinfo=UTC)
        return BlobInfo(key=key, size=int(info.get("size") or 0), modified=modified)

    def _not_found(self, key: str) -> BlobNotFound:
        return BlobNotFound(f"blob {key!r} not found in {self.url}", target=key)
