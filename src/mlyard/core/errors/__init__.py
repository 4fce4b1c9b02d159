"""The one error tree of mlyard, shared by the server, the services and the SDK.

One module a noun (``base``, ``hierarchy``, ``identity``, ``tracking``, ``data``, ``compute``); every
class is importable from here, and importing this package registers every code.

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
    │   ├── ChecksumMismatch             400  (an upload whose xxh128 is not the one the client sent)
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

from mlyard.core.errors.base import (
    AuthenticationError,
    AuthorizationError,
    BlobNotFound,
    Conflict,
    InvalidBlobPath,
    InvalidConfig,
    InvalidName,
    InvalidScope,
    InvalidTemplate,
    MlyardError,
    NotFound,
    ResourceNotEmpty,
    ServiceUnavailable,
    ServiceUnreachable,
    ValidationError,
    error_class,
    error_from_body,
)
from mlyard.core.errors.compute import (
    ComputeOperationNotSupported,
    ComputeStateConflict,
    ComputeTargetAlreadyExists,
    ComputeTargetNotFound,
    ComputeTargetNotRemovable,
    ComputeTypeNotSupported,
    ComputeUnreachable,
    EnvironmentBuildFailed,
    EnvironmentNotFound,
    InvalidEnvironmentSpec,
    InvalidSnapshot,
    JobFailed,
    JobNotFound,
    NotebookAlreadyExists,
    NotebookNotFound,
    SnapshotNotFound,
    SnapshotTooLarge,
)
from mlyard.core.errors.data import (
    DatasetAlreadyExists,
    DatasetFilesChanged,
    DatasetNotFound,
    DatastoreAlreadyExists,
    DatastoreFileAlreadyExists,
    DatastoreFileNotFound,
    DatastoreNotFound,
    DatastoreNotRemovable,
    DatastoreNotSupported,
    DatastorePathNotAllowed,
    DatastoreUnreachable,
    InvalidDatasetDefinition,
)
from mlyard.core.errors.hierarchy import (
    DeploymentNotFound,
    ResourceGroupAlreadyExists,
    ResourceGroupNotFound,
    SubscriptionAlreadyExists,
    SubscriptionNotFound,
    WorkspaceAlreadyExists,
    WorkspaceNotFound,
)
from mlyard.core.errors.identity import (
    GroupAlreadyExists,
    GroupNotFound,
    InvalidRoleDefinition,
    LastOwner,
    MasterKeyError,
    MembershipCycle,
    PrincipalNotFound,
    RoleAssignmentAlreadyExists,
    RoleAssignmentNotFound,
    RoleDefinitionAlreadyExists,
    RoleDefinitionInUse,
    RoleDefinitionNotFound,
    RoleDefinitionReadOnly,
    RoleNotAssignable,
    SecretNotFound,
    ServicePrincipalAlreadyExists,
    ServicePrincipalNotFound,
    TokenNotFound,
    UserAlreadyExists,
    UserNotFound,
    VaultIntegrityError,
)
from mlyard.core.errors.tracking import (
    ChecksumMismatch,
    ExperimentAlreadyExists,
    ExperimentArchived,
    ExperimentDeleted,
    ExperimentNotFound,
    InvalidFileName,
    InvalidFilter,
    MetricNotFound,
    MetricsFlushTimeout,
    PropertyAlreadySet,
    RunAlreadyExists,
    RunFileAlreadyExists,
    RunFileNotFound,
    RunNotFound,
    RunNotWritable,
    RunTagNotFound,
)

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "BlobNotFound",
    "ChecksumMismatch",
    "ComputeOperationNotSupported",
    "ComputeStateConflict",
    "ComputeTargetAlreadyExists",
    "ComputeTargetNotFound",
    "ComputeTargetNotRemovable",
    "ComputeTypeNotSupported",
    "ComputeUnreachable",
    "Conflict",
    "DatasetAlreadyExists",
    "DatasetFilesChanged",
    "DatasetNotFound",
    "DatastoreAlreadyExists",
    "DatastoreFileAlreadyExists",
    "DatastoreFileNotFound",
    "DatastoreNotFound",
    "DatastoreNotRemovable",
    "DatastoreNotSupported",
    "DatastorePathNotAllowed",
    "DatastoreUnreachable",
    "DeploymentNotFound",
    "EnvironmentBuildFailed",
    "EnvironmentNotFound",
    "ExperimentAlreadyExists",
    "ExperimentArchived",
    "ExperimentDeleted",
    "ExperimentNotFound",
    "GroupAlreadyExists",
    "GroupNotFound",
    "InvalidBlobPath",
    "InvalidConfig",
    "InvalidDatasetDefinition",
    "InvalidEnvironmentSpec",
    "InvalidFileName",
    "InvalidFilter",
    "InvalidName",
    "InvalidRoleDefinition",
    "InvalidScope",
    "InvalidSnapshot",
    "InvalidTemplate",
    "JobFailed",
    "JobNotFound",
    "LastOwner",
    "MasterKeyError",
    "MembershipCycle",
    "MetricNotFound",
    "MetricsFlushTimeout",
    "MlyardError",
    "NotFound",
    "NotebookAlreadyExists",
    "NotebookNotFound",
    "PrincipalNotFound",
    "PropertyAlreadySet",
    "ResourceGroupAlreadyExists",
    "ResourceGroupNotFound",
    "ResourceNotEmpty",
    "RoleAssignmentAlreadyExists",
    "RoleAssignmentNotFound",
    "RoleDefinitionAlreadyExists",
    "RoleDefinitionInUse",
    "RoleDefinitionNotFound",
    "RoleDefinitionReadOnly",
    "RoleNotAssignable",
    "RunAlreadyExists",
    "RunFileAlreadyExists",
    "RunFileNotFound",
    "RunNotFound",
    "RunNotWritable",
    "RunTagNotFound",
    "SecretNotFound",
    "ServicePrincipalAlreadyExists",
    "ServicePrincipalNotFound",
    "ServiceUnavailable",
    "ServiceUnreachable",
    "SnapshotNotFound",
    "SnapshotTooLarge",
    "SubscriptionAlreadyExists",
    "SubscriptionNotFound",
    "TokenNotFound",
    "UserAlreadyExists",
    "UserNotFound",
    "ValidationError",
    "VaultIntegrityError",
    "WorkspaceAlreadyExists",
    "WorkspaceNotFound",
    "error_class",
    "error_from_body",
]
