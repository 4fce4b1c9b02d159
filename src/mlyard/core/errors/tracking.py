"""Errors of experiments, runs, metrics and run files."""

from __future__ import annotations

from mlyard.core.errors.base import Conflict, InvalidBlobPath, MlyardError, NotFound, ValidationError


class InvalidFilter(ValidationError):
    """A run search filter or order-by key that MLflow's grammar does not accept."""


class ExperimentNotFound(NotFound):
    """An experiment that the workspace does not have (or that was deleted)."""


class RunNotFound(NotFound):
    """A run id that the workspace does not have."""


class RunTagNotFound(NotFound):
    """A tag that the run does not have (MLflow's delete-tag refuses it; mlyard's removeTags does not)."""


class RunNotWritable(Conflict):
    """A finished (Completed, Failed, Canceled) or deleted run refuses logging and status changes."""


class PropertyAlreadySet(Conflict):
    """A write-once run property or parameter already holds a different value."""


class ExperimentArchived(Conflict):
    """An archived experiment takes no new runs until it is reactivated."""


class ExperimentDeleted(Conflict):
    """An experiment of that name was deleted: restore it or choose another name."""


class ExperimentAlreadyExists(Conflict):
    """MLflow's experiment create (which, unlike Azure's, is not get-or-create) of a name already taken."""


class RunAlreadyExists(Conflict):
    """A run created with a client-made id that names another run (a retry of the same run is not an error)."""


class MetricNotFound(NotFound):
    """A metric name that the run has not logged."""


class InvalidFileName(InvalidBlobPath):
    """A run file name that is empty, absolute, leaves the run's folder or breaks another rule."""


class ChecksumMismatch(ValidationError):
    """An upload whose xxh128 (XXH3-128) differs from the one the client announced: nothing was stored."""


class RunFileNotFound(NotFound):
    """A file name that the run does not have."""


class RunFileAlreadyExists(Conflict):
    """An upload onto a name the run already has, without ``overwrite=true``."""


class MetricsFlushTimeout(MlyardError):
    """``flush(timeout=...)`` ran out of time with points still queued (raised by the SDK only)."""

    status = 504
