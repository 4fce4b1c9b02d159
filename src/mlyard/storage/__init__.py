"""Blob storage: one small protocol, a local-folder store and an S3 store, chosen by URL.

>>> store = open_blob_store("file:///srv/mlyard/blobs")      # or "/srv/mlyard/blobs"
>>> store = open_blob_store("s3://bucket/prefix", endpoint_url="http://127.0.0.1:9000")
"""

from mlyard.storage.base import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobStore,
    BlobStoreFactory,
    open_blob_store,
    register_blob_store,
    supported_schemes,
    validate_key,
    validate_prefix,
)
from mlyard.storage.file import FileBlobStore
from mlyard.storage.s3 import S3BlobStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BlobInfo",
    "BlobStore",
    "BlobStoreFactory",
    "FileBlobStore",
    "S3BlobStore",
    "open_blob_store",
    "register_blob_store",
    "supported_schemes",
    "validate_key",
    "validate_prefix",
]
