"""The one error tree of mlyard, shared by the server, the services and the SDK.

Every error has a stable ``code`` (its class name unless said otherwise) and an HTTP
``status``. The server maps errors to ``{"error": {"code", "message", "target"}}`` in one
place (``mlyard.server.errors``); the SDK turns such a body back into the same class
(:func:`error_from_body`), so a caller catches ``WorkspaceNotFound`` whichever side raised it.

::

    MlyardError                          500  InternalError
    ├── ValidationError                  400
    │   ├── InvalidName                  400
    │   ├── InvalidTemplate              400
    │   ├── InvalidConfig                400  (a malformed config.json or credentials file)
    │   ├── InvalidBlobPath              400
    │   │   └── InvalidFileName          400  (a run file name that breaks a rule: '..', absolute, ...)
    │   ├── ChecksumMismatch             400  (an upload whose sha256 is not the one the client sent)
    │   ├── InvalidScope                 400
    │   ├── InvalidFilter                400  (a run search filter or order-by key, with its position)
    │   ├── DatastorePathNotAllowed      400  (a local datastore outside MLYARD_LOCAL_DATASTORE_ROOTS)
    │   ├── InvalidEnvironmentSpec       400  (a requirements or conda file that cannot be read)
    │   ├── ComputeTypeNotSupported      400  (no backend for that kind of compute in this installation)
    │   ├── ComputeOperationNotSupported 400  (stopping `local`, ...)
    │   ├── InvalidSnapshot              400  (an archive that is not a safe tar.gz of files)
    │   └── SnapshotTooLarge             413  (lists the largest files and folders, and how to ignore them)
    │   InvalidRoleDefinition (a bad action pattern, name or scope), RoleNotAssignable (outside its scopes)
    ├── AuthenticationError              401  AuthenticationFailed
    ├── AuthorizationError               403  AuthorizationFailed
    ├── NotFound                         404
    │   ├── SubscriptionNotFound   ├── ResourceGroupNotFound   ├── WorkspaceNotFound
    │   ├── DatastoreNotFound      ├── UserNotFound            ├── TokenNotFound
    │   ├── RoleDefinitionNotFound ├── RoleAssignmentNotFound  ├── DeploymentNotFound
    │   └── BlobNotFound
    │   SecretNotFound (a vault secret, or one of its versions)
    │   PrincipalNotFound (a user, group or service principal named in a request)
    │   ├── GroupNotFound          └── ServicePrincipalNotFound
    │   ExperimentNotFound, RunNotFound (tracking)
    │   MetricNotFound (a metric name that a run has not logged), RunTagNotFound (MLflow's delete-tag)
    │   RunFileNotFound (a file name that a run does not have)
    │   DatastoreFileNotFound (a file name that a datastore does not have)
    │   EnvironmentNotFound (an environment or one of its versions; lists what exists)
    │   NotebookNotFound (a name the workspace's notebooks folder does not have)
    │   ComputeTargetNotFound (lists the targets that exist), SnapshotNotFound, JobNotFound (a run
    │   that was not submitted as a job)
    ├── Conflict                         409
    │   ├── SubscriptionAlreadyExists ├── ResourceGroupAlreadyExists
    │   ├── WorkspaceAlreadyExists    ├── UserAlreadyExists
    │   ├── RoleAssignmentAlreadyExists
    │   └── ResourceNotEmpty
    │   GroupAlreadyExists, ServicePrincipalAlreadyExists, MembershipCycle (a group inside
    │   itself), LastOwner (removing the last Owner at the root scope or of a subscription)
    │   RoleDefinitionAlreadyExists, RoleDefinitionInUse (assigned; delete with force),
    │   RoleDefinitionReadOnly (a built-in role)
    │   RunFileAlreadyExists (an upload onto an existing name without overwrite)
    │   DatastoreAlreadyExists (registering a taken name without overwrite), DatastoreFileAlreadyExists,
    │   DatastoreNotRemovable (a built-in datastore, or the default one, cannot be unregistered)
    │   RunNotWritable (a finished or deleted run), PropertyAlreadySet (write-once properties and
    │   parameters), ExperimentArchived (no new runs), ExperimentDeleted (name taken by a deleted one)
    │   ExperimentAlreadyExists (MLflow's create of a name that is taken), RunAlreadyExists (a
    │   client-made run id reused for another run)
    │   ComputeTargetAlreadyExists, ComputeTargetNotRemovable (`local`, or a target with active jobs)
    │   ComputeStateConflict (start a running instance, stop a stopped one), NotebookAlreadyExists
    ├── ServiceUnavailable               503
    │   └── MasterKeyError               503  (the vault's master key is missing, malformed, unsafe or wrong)
    ├── DatastoreNotSupported            501  (a registered kind of datastore this installation cannot reach)
    ├── DatastoreUnreachable             502  (a datastore's storage refused or failed: credentials, bucket, folder)
    ├── ComputeUnreachable               502  (a Ray cluster that does not answer, a head that did not start)
    │   DatasetNotFound (a dataset, or one of its versions), DatasetAlreadyExists (409: a name
    │   registered with another definition, without create_new_version), DatasetFilesChanged (409:
    │   the files pinned by a version changed since), InvalidDatasetDefinition (400: a glob that
    │   matches nothing, a malformed file with its line, an unknown column or transformation)
    ├── EnvironmentBuildFailed           422  (pip's or uv's last lines; remembered briefly per spec)
    ├── VaultIntegrityError              500  (a stored secret or data key fails authentication: altered or moved)
    ├── ServiceUnreachable               (client side: no answer from the server)
    ├── JobFailed                        (client side: wait_for_completion of a run that failed)
    └── MetricsFlushTimeout              (client side: flush(timeout) ended with points still queued)
"""

from __future__ import annotations

from typing import Any, ClassVar


class MlyardError(Exception):
    """Base of every mlyard error: a stable code, an HTTP status, a message, a target."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that does not name its own code is known by its class name.
        if "code" not in cls.__dict__:
            cls.code = cls.__name__
        _REGISTRY[cls.code] = cls

    def to_body(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": self.message, "target": self.target}}

    def __str__(self) -> str:
        return self.message


_REGISTRY: dict[str, type[MlyardError]] = {"InternalError": MlyardError}


class ValidationError(MlyardError):
    status = 400


class InvalidName(ValidationError):
    pass


class InvalidTemplate(ValidationError):
    pass


class InvalidConfig(ValidationError):
    pass


class InvalidBlobPath(ValidationError):
    pass


class InvalidScope(ValidationError):
    pass


class InvalidFilter(ValidationError):
    """A run search filter or order-by key that MLflow's grammar does not accept."""


class AuthenticationError(MlyardError):
    code = "AuthenticationFailed"
    status = 401

    def __init__(self, message: str, *, target: str | None = None, reason: str = "InvalidCredentials") -> None:
        super().__init__(message, target=target)
        # A category for the audit log (MissingCredentials, InvalidCredentials, ...); never sent.
        self.reason = reason


class AuthorizationError(MlyardError):
    code = "AuthorizationFailed"
    status = 403


class NotFound(MlyardError):
    status = 404


class SubscriptionNotFound(NotFound):
    pass


class ResourceGroupNotFound(NotFound):
    pass


class WorkspaceNotFound(NotFound):
    pass


class DatastoreNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class TokenNotFound(NotFound):
    pass


class RoleDefinitionNotFound(NotFound):
    pass


class RoleAssignmentNotFound(NotFound):
    pass


class DeploymentNotFound(NotFound):
    pass


class BlobNotFound(NotFound):
    pass


class Conflict(MlyardError):
    status = 409


class SubscriptionAlreadyExists(Conflict):
    pass


class ResourceGroupAlreadyExists(Conflict):
    pass


class WorkspaceAlreadyExists(Conflict):
    pass


class UserAlreadyExists(Conflict):
    pass


class RoleAssignmentAlreadyExists(Conflict):
    pass


class ResourceNotEmpty(Conflict):
    pass


class PrincipalNotFound(NotFound):
    pass


class GroupNotFound(PrincipalNotFound):
    pass


class ServicePrincipalNotFound(PrincipalNotFound):
    pass


class GroupAlreadyExists(Conflict):
    pass


class ServicePrincipalAlreadyExists(Conflict):
    pass


class MembershipCycle(Conflict):
    pass


class LastOwner(Conflict):
    pass


class InvalidRoleDefinition(ValidationError):
    pass


class RoleNotAssignable(ValidationError):
    pass


class RoleDefinitionAlreadyExists(Conflict):
    pass


class RoleDefinitionInUse(Conflict):
    pass


class RoleDefinitionReadOnly(Conflict):
    pass


class ServiceUnavailable(MlyardError):
    status = 503


class MasterKeyError(ServiceUnavailable):
    """The vault cannot work: its master key is missing, malformed, unsafely stored or not the right one."""


class VaultIntegrityError(MlyardError):
    """A stored ciphertext failed authentication: it was altered, or moved to another secret."""


class SecretNotFound(NotFound):
    pass


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


class ServiceUnreachable(MlyardError):
    """The client could not reach the server at all (raised by the SDK only)."""

    status = 503


class MetricNotFound(NotFound):
    """A metric name that the run has not logged."""


class InvalidFileName(InvalidBlobPath):
    """A run file name that is empty, absolute, leaves the run's folder or breaks another rule."""


class ChecksumMismatch(ValidationError):
    """An upload whose sha256 differs from the one the client announced: nothing was stored."""


class RunFileNotFound(NotFound):
    """A file name that the run does not have."""


class RunFileAlreadyExists(Conflict):
    """An upload onto a name the run already has, without ``overwrite=true``."""


class MetricsFlushTimeout(MlyardError):
    """``flush(timeout=...)`` ran out of time with points still queued (raised by the SDK only)."""

    status = 504


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


class DatasetNotFound(NotFound):
    """A dataset name, or a version of it, that the workspace does not have."""


class DatasetAlreadyExists(Conflict):
    """Registering a taken name with another definition, without ``create_new_version``."""


class DatasetFilesChanged(Conflict):
    """A version's pinned files changed since it was registered (missing, other size or content)."""


class InvalidDatasetDefinition(ValidationError):
    """A dataset that cannot be defined or read: no file matched, a malformed file, a bad column."""


def error_class(code: str) -> type[MlyardError]:
    return _REGISTRY.get(code, MlyardError)


def error_from_body(status: int, body: Any) -> MlyardError:
    """Rebuild the error that the server sent; unknown codes fall back on the status' class."""
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        cls = _REGISTRY.get(detail["code"])
        message = str(detail.get("message") or detail["code"])
        target = detail.get("target")
        if cls is None:
            cls = _class_for_status(status)
        err = cls(message, target=target if isinstance(target, str) else None)
        return err
    return _class_for_status(status)(f"HTTP {status}: {str(body)[:500]}")


def _class_for_status(status: int) -> type[MlyardError]:
    by_status: dict[int, type[MlyardError]] = {
        400: ValidationError,
        401: AuthenticationError,
        403: AuthorizationError,
        404: NotFound,
        409: Conflict,
        503: ServiceUnavailable,
    }
    if status == 422:
        return ValidationError
    return by_status.get(status, MlyardError)
