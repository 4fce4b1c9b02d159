"""Errors of environments, compute targets, notebooks, snapshots and jobs."""

from __future__ import annotations

from mlyard.core.errors.base import Conflict, MlyardError, NotFound, ValidationError


class EnvironmentNotFound(NotFound):
    """An environment name, or a version of it, that the workspace does not have."""


class InvalidEnvironmentSpec(ValidationError):
    """A requirements file, conda specification or environment definition that cannot be read."""


class EnvironmentBuildFailed(MlyardError):
    """Building an environment failed; the message carries the last lines of the installer's output."""

    status = 422


class ComputeTargetNotFound(NotFound):
    """A compute target name that the workspace does not have (the message lists those it has)."""


class ComputeTargetAlreadyExists(Conflict):
    """Creating a compute target under a name the workspace already uses."""


class ComputeTargetNotRemovable(Conflict):
    """Deleting the workspace's ``local`` target, or a target that still has queued or running jobs."""


class ComputeTypeNotSupported(ValidationError):
    """A kind of compute that no backend of this installation provides."""


class ComputeOperationNotSupported(ValidationError):
    """An operation that the target's kind does not have (stopping ``local``, ...)."""


class ComputeStateConflict(Conflict):
    """A lifecycle operation that the target's state refuses: starting a running instance,
    stopping a stopped one, opening the Jupyter of one that is not running."""


class ComputeUnreachable(MlyardError):
    """A compute target's cluster that does not answer (an attached Ray address), or whose head
    mlyard could not start; the message says what was tried and what answered."""

    status = 502


class NotebookNotFound(NotFound):
    """A notebook (or file) name that the workspace's notebooks folder does not have."""


class NotebookAlreadyExists(Conflict):
    """Uploading a notebook onto an existing name without overwrite."""


class SnapshotNotFound(NotFound):
    """A source snapshot id that the workspace does not have."""


class InvalidSnapshot(ValidationError):
    """An uploaded snapshot that is not a tar.gz of plain files and folders inside one root."""


class SnapshotTooLarge(ValidationError):
    """A source snapshot above the server's size or file-count limit."""

    status = 413


class JobNotFound(NotFound):
    """A run that was not submitted as a job (an interactive run has no job, queue or log)."""


class JobFailed(MlyardError):
    """``wait_for_completion(raise_on_error=True)`` of a run that failed (raised by the SDK only)."""
