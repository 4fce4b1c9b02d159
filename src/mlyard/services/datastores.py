"""Datastores: where a workspace's data lives. Every workspace starts with two of its own.

Registering adds a local folder, an S3 bucket or an Azure Blob container under a name.
Credentials never enter the datastore's record: they go into the workspace's vault as one
secret named after the datastore (``datastore-<name>``, underscores as hyphens), and the record
keeps that secret's name and the version it registered. An S3 datastore is checked with its
credentials before anything is written, so wrong ones register nothing.

Registering a taken name is refused unless ``overwrite`` (as ``Datastore.register_*`` in Azure
ML); the built-in datastores can be neither replaced nor unregistered, nor can the default one
be unregistered until another is the default.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update

from mlyard.core.entities.datastores import (
    AzureBlobContainer,
    CredentialRef,
    Datastore,
    DatastoreSpec,
    DatastoreType,
    LocalFolder,
    S3Bucket,
)
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    DatastoreAlreadyExists,
    DatastoreNotFound,
    DatastoreNotRemovable,
    MlyardError,
    SecretNotFound,
    ValidationError,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import DATASTORE_NAME, name_key
from mlyard.services import datastore_access as access
from mlyard.services import vault
from mlyard.services.platform import Platform
from mlyard.services.races import same_answer_as_late_caller
from mlyard.services.workspaces import DEFAULT_BLOB_DATASTORE, get_workspace
from mlyard.storage import validate_prefix
from mlyard.store.datastores import DatastoreRepository, DatastoreRow
from mlyard.store.vault import SecretRow

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_SECRET_PREFIX = "datastore-"
_MAX_SECRET_NAME = 127


def list_datastores(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> list[Datastore]:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        return DatastoreRepository(session).list(ws.id)


def _not_found(ws: Workspace, name: str) -> DatastoreNotFound:
    return DatastoreNotFound(
        f"Datastore '{name}' was not found in workspace '{ws.name}': list them with ws.datastores "
        "or 'mlyard datastore list'.",
        target="name",
    )


def get_datastore(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> Datastore:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    return datastore_of(p, ws, name)


def datastore_of(p: Platform, ws: Workspace, name: str) -> Datastore:
    with p.db.read() as session:
        found = DatastoreRepository(session).get(ws.id, name)
    if found is None:
        raise _not_found(ws, name)
    return found


def get_default_datastore(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> Datastore:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = DatastoreRepository(session).get_default(ws.id)
    if found is None:
        raise DatastoreNotFound(f"Workspace '{ws.name}' has no default datastore.", target="name")
    return found


# -- registering ---------------------------------------------------------------------------


def secret_name_for(name: str) -> str:
    """The vault secret of datastore ``name`` (secret names allow hyphens, datastore names underscores)."""
    wanted = _SECRET_PREFIX + name.lower().replace("_", "-")
    if len(wanted) <= _MAX_SECRET_NAME:
        return wanted
    digest = hashlib.sha256(name.lower().encode()).hexdigest()[:12]
    return f"{wanted[: _MAX_SECRET_NAME - 13]}-{digest}"


def _text(value: object, field: str, what: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ValidationError(f"{what} needs {field}.", target=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what}: {field} must be a string.", target=field)
    return value


def _check_url(url: str | None, field: str, what: str) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{what}: {field} must be an http(s) URL such as https://s3.example.com.", target=field)
    if parts.username or parts.password:
        raise ValidationError(
            f"{what}: {field} must not carry credentials; pass them as their own arguments.", target=field
        )
    return url.rstrip("/")


def _s3(name: str, spec: S3Bucket) -> tuple[dict[str, Any], dict[str, str]]:
    what = f"S3 datastore '{name}'"
    bucket = _text(spec.bucket, "bucket", what, required=True)
    if bucket is None or not _BUCKET.fullmatch(bucket):
        raise ValidationError(
            f"{what}: '{bucket}' is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' or '-').",
            target="bucket",
        )
    prefix = (_text(spec.prefix, "prefix", what) or "").strip("/")
    if prefix:
        try:
            validate_prefix(prefix)
        except MlyardError as exc:
            raise ValidationError(f"{what}: prefix {exc.message.removeprefix('invalid blob prefix ')}.") from None
    key_id = _text(spec.access_key_id, "access_key_id", what)
    secret = _text(spec.secret_access_key, "secret_access_key", what)
    if not key_id or not secret:
        raise ValidationError(
            f"{what} needs access_key_id and secret_access_key: they are kept in the workspace's vault, and the "
            "server never lends its own S3 credentials to a datastore.",
            target="access_key_id" if not key_id else "secret_access_key",
        )
    props: dict[str, Any] = {"bucket": bucket, "credentialType": "AccessKey"}
    for key, value in (
        ("prefix", prefix or None),
        ("endpointUrl", _check_url(_text(spec.endpoint_url, "endpoint_url", what), "endpoint_url", what)),
        ("region", _text(spec.region, "region", what)),
    ):
        if value is not None:
            props[key] = value
    return props, {"access_key_id": key_id, "secret_access_key": secret}


def _azure(name: str, spec: AzureBlobContainer) -> tuple[dict[str, Any], dict[str, str] | None]:
    what = f"Azure Blob datastore '{name}'"
    container = _text(spec.container_name, "container_name", what, required=True) or ""
    if not _CONTAINER.fullmatch(container):
        raise ValidationError(
            f"{what}: '{container}' is not a container name (3 to 63 lowercase letters, digits and single hyphens).",
            target="container_name",
        )
    account = _text(spec.account_name, "account_name", what, required=True) or ""
    if not _ACCOUNT.fullmatch(account):
        raise ValidationError(
            f"{what}: '{account}' is not a storage account name (3 to 24 lowercase letters and digits).",
            target="account_name",
        )
    sas = _text(spec.sas_token, "sas_token", what)
    key = _text(spec.account_key, "account_key", what)
    if sas and key:
        raise ValidationError(f"{what}: give sas_token or account_key, not both.", target="sas_token")
    protocol = _text(spec.protocol, "protocol", what)
    if protocol is not None and protocol not in ("http", "https"):
        raise ValidationError(f"{what}: protocol is 'https' or 'http', not '{protocol}'.", target="protocol")
    props: dict[str, Any] = {
        "containerName": container,
        "accountName": account,
        "protocol": protocol or "https",
        "endpoint": _text(spec.endpoint, "endpoint", what) or "core.windows.net",
        "credentialType": "Sas" if sas else "AccountKey" if key else "None",
        "reachable": False,
    }
    for prop, value in (("subscriptionId", spec.subscription_id), ("resourceGroup", spec.resource_group)):
        if _text(value, prop, what):
            props[prop] = value
    secret = {"sas_token": sas} if sas else {"account_key": key} if key else None
    return props, secret


def _prepare(
    p: Platform, name: str, spec: DatastoreSpec
) -> tuple[DatastoreType, dict[str, Any], dict[str, str] | None]:
    """The datastore's type, its properties (no secret in them) and the secret for the vault."""
    if isinstance(spec, LocalFolder):
        path = _text(spec.path, "path", f"Local datastore '{name}'", required=True) or ""
        return DatastoreType.LOCAL, {"path": str(access.check_local_folder(p, path, name))}, None
    if isinstance(spec, S3Bucket):
        props, secret = _s3(name, spec)
        _check_reachable(name, props, secret)
        return DatastoreType.S3, props, secret
    if isinstance(spec, AzureBlobContainer):
        azure_props, azure_secret = _azure(name, spec)
        return DatastoreType.AZURE_BLOB, azure_props, azure_secret
    raise ValidationError(f"Datastore '{name}': unknown kind of datastore {type(spec).__name__}.")


def _check_reachable(name: str, props: dict[str, Any], secret: dict[str, str]) -> None:
    """List one (unlikely) name in the bucket: wrong credentials or bucket fail here, before any write."""
    store = access.s3_store(props, secret["access_key_id"], secret["secret_access_key"])
    location = access.Location(name, store, "", access.s3_where(props), (secret["secret_access_key"],))
    with location.reaching("checking it with the credentials given (nothing was registered)"):
        list(store.list(".mlyard-probe"))


def register_datastore(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    spec: DatastoreSpec,
    *,
    overwrite: bool = False,
) -> tuple[Datastore, bool]:
    """Register (or, with ``overwrite``, replace) a datastore; answer it and whether it is new."""
    DATASTORE_NAME.check(name, target="name")
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        existing = DatastoreRepository(session).get(ws.id, name)
    if existing is not None:
        _check_replaceable(ws, existing, overwrite)
    datastore_type, props, secret = _prepare(p, name, spec)
    credentials = None
    if secret is not None:
        info = vault.set_secret(p, actor, ws.scope, secret_name_for(name), json.dumps(secret))
        credentials = CredentialRef(info.name, info.version)
    try:
        datastore, created, had_secret = _write_row(p, actor, ws, name, datastore_type, props, credentials, overwrite)
    except BaseException:
        if credentials is not None:
            _take_back(p, ws, credentials)
        raise
    if had_secret is not None and credentials is None:
        _delete_secret(p, ws, had_secret)
    access.forget(datastore.id)
    return datastore, created


def _write_row(
    p: Platform,
    actor: Principal,
    ws: Workspace,
    name: str,
    datastore_type: DatastoreType,
    props: dict[str, Any],
    credentials: CredentialRef | None,
    overwrite: bool,
) -> tuple[Datastore, bool, str | None]:
    """Insert or replace the record; answers it, whether it is new, and the secret it had."""
    now = utcnow()
    with same_answer_as_late_caller(lambda: _taken(p, ws, name)), p.db.write() as session:
        repo = DatastoreRepository(session)
        row = repo.get_row(ws.id, name)
        created = row is None
        if row is None:
            row = DatastoreRow(id=new_id(), workspace_id=ws.id, name=name, name_key=name_key(name), created_at=now)
            row.is_default, row.created_by = False, actor.id
            session.add(row)
        else:
            _check_replaceable(ws, row.to_entity(), overwrite)
            row.updated_at = now
        had_secret = row.secret_name
        row.datastore_type, row.properties = datastore_type.value, props
        row.secret_name = credentials.secret_name if credentials else None
        row.secret_version = credentials.version if credentials else None
        session.flush()
        datastore = row.to_entity()
    return datastore, created, had_secret


def _take_back(p: Platform, ws: Workspace, credentials: CredentialRef) -> None:
    """Delete the secret version a failed registration wrote (it lost a race for the name, or
    may not replace the datastore): the vault keeps no credentials that no datastore uses.

    Only that version: the winner of a race wrote its own version of the same secret and
    points at it. The vault's service deletes whole secrets, so the version is marked here.
    """
    vault_id = vault.vault_of(p, ws.scope).id
    with p.db.write() as session:
        session.execute(
            update(SecretRow)
            .where(
                SecretRow.vault_id == vault_id,
                SecretRow.name_key == name_key(credentials.secret_name),
                SecretRow.version == credentials.version,
                SecretRow.deleted_at.is_(None),
            )
            .values(deleted_at=utcnow())
        )


def _check_replaceable(ws: Workspace, existing: Datastore, overwrite: bool) -> None:
    if existing.builtin:
        raise DatastoreNotRemovable(
            f"Datastore '{existing.name}' is built into workspace '{ws.name}' (its own storage): it cannot be "
            "replaced. Register yours under another name.",
            target="name",
        )
    if not overwrite:
        raise DatastoreAlreadyExists(
            f"Workspace '{ws.name}' already has a datastore '{existing.name}': register with overwrite=True "
            "(--overwrite) to replace it, or pick another name.",
            target="name",
        )


def _taken(p: Platform, ws: Workspace, name: str) -> MlyardError | None:
    with p.db.read() as session:
        found = DatastoreRepository(session).get(ws.id, name)
    return (
        None
        if found is None
        else DatastoreAlreadyExists(
            f"Workspace '{ws.name}' already has a datastore '{found.name}' (registered at the same time): "
            "register with overwrite=True to replace it.",
            target="name",
        )
    )


def _delete_secret(p: Platform, ws: Workspace, secret_name: str) -> None:
    with contextlib.suppress(SecretNotFound):
        vault.delete_secret(p, ws.scope, secret_name)


# -- changing ------------------------------------------------------------------------------


def set_default_datastore(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> Datastore:
    """Make ``name`` the workspace's default datastore (the former default stays, as a plain one)."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = DatastoreRepository(session)
        row = repo.get_row(ws.id, name)
        if row is None:
            raise _not_found(ws, name)
        return repo.make_default(row)


def unregister_datastore(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> Datastore:
    """Forget a registered datastore and its vault secret; its data stays where it is."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = DatastoreRepository(session)
        row = repo.get_row(ws.id, name)
        if row is None:
            raise _not_found(ws, name)
        gone = row.to_entity()
        if gone.builtin:
            raise DatastoreNotRemovable(
                f"Datastore '{gone.name}' is built into workspace '{ws.name}' (its own storage) and cannot be "
                "unregistered.",
                target="name",
            )
        if gone.is_default:
            raise DatastoreNotRemovable(
                f"Datastore '{gone.name}' is the default of workspace '{ws.name}': make another one the default "
                f"first, e.g. ws.set_default_datastore('{DEFAULT_BLOB_DATASTORE}') or "
                f"'mlyard datastore set-default -n {DEFAULT_BLOB_DATASTORE}'.",
                target="name",
            )
        repo.delete(row)
    if gone.credentials is not None:
        _delete_secret(p, ws, gone.credentials.secret_name)
    access.forget(gone.id)
    p.blobs.delete_prefix(access.records_prefix(ws.id, gone.id))  # its files' digests, old and new
    return gone
