"""Errors of datastores and datasets."""

from __future__ import annotations

from mlyard.core.errors.base import Conflict, MlyardError, NotFound, ValidationError


class DatastoreNotFound(NotFound):
    pass


class DatastoreAlreadyExists(Conflict):
    """Registering a datastore name that the workspace already has, without ``overwrite``."""


class DatastoreNotRemovable(Conflict):
    """Unregistering a workspace's built-in datastore, or its default one."""


class DatastorePathNotAllowed(ValidationError):
    """A local datastore folder outside the roots the administrator allows, or over the server's own files."""


class DatastoreFileNotFound(NotFound):
    """A file name that the datastore does not have."""


class DatastoreFileAlreadyExists(Conflict):
    """An upload onto a name the datastore already has, without ``overwrite``."""


class DatastoreNotSupported(MlyardError):
    """A datastore whose kind is registered but not reachable from this installation (Azure Blob)."""

    status = 501


class DatastoreUnreachable(MlyardError):
    """The storage behind a datastore refused or failed (credentials, bucket, endpoint, folder)."""

    status = 502


class DatasetNotFound(NotFound):
    """A dataset name, or a version of it, that the workspace does not have."""


class DatasetAlreadyExists(Conflict):
    """Registering a taken name with another definition, without ``create_new_version``."""


class DatasetFilesChanged(Conflict):
    """A version's pinned files changed since it was registered (missing, other size or content)."""


class InvalidDatasetDefinition(ValidationError):
    """A dataset that cannot be defined or read: no file matched, a malformed file, a bad column."""
