"""The secrets vault of a workspace: versioned secrets, encrypted at rest.

Each vault (a workspace's ``vault`` supporting resource) has a random data key, wrapped by the
server's master key (:mod:`mlyard.services.crypto`) and made on first use. Setting a secret adds
a version; reading answers the newest live version unless one is named; deleting marks every
version deleted, and a later set starts the next version number. Values never leave this module
except to the caller that asked for them: not in errors, not in logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from mlyard.core.entities.hierarchy import SupportingKind
from mlyard.core.entities.identity import Principal
from mlyard.core.entities.vault import DataKey, Secret, SecretDeletion, SecretInfo, StoredSecret
from mlyard.core.errors import Conflict, MlyardError, SecretNotFound, ValidationError, VaultIntegrityError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import SECRET_NAME, name_key
from mlyard.core.scopes import Scope
from mlyard.services import crypto, rbac
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.vault import SecretRow, VaultKeyRow, VaultRepository

MAX_VALUE_BYTES = 25 * 1024
MAX_BATCH = 200


@dataclass(frozen=True)
class Vault:
    """Where a workspace's secrets live: its vault resource's id and the workspace's id."""

    id: str
    workspace_id: str
    workspace_name: str


def vault_of(p: Platform, workspace: Scope) -> Vault:
    """The vault of the workspace at ``workspace`` (a workspace scope); WorkspaceNotFound if none."""
    sub, group, name = workspace.subscription, workspace.resource_group, workspace.workspace
    if not (sub and group and name):
        raise ValidationError(f"A vault belongs to a workspace: '{workspace.path}' is not a workspace's path.")
    ws = get_workspace(p, sub, group, name)
    resource = ws.resource(SupportingKind.VAULT)
    if resource is None:
        raise MlyardError(f"Workspace '{ws.name}' has no secrets vault among its supporting resources.")
    return Vault(resource.id, ws.id, ws.name)


# -- checks --------------------------------------------------------------------------------


def _check_name(name: object) -> str:
    return SECRET_NAME.check(name, target="name")


def _encode_value(name: str, value: object) -> bytes:
    # Messages name the secret, never its value.
    if not isinstance(value, str):
        raise ValidationError(f"The value of secret '{name}' must be a string.", target="value")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"The value of secret '{name}' is not valid Unicode text (it holds a lone surrogate).", target="value"
        ) from None
    if len(raw) > MAX_VALUE_BYTES:
        raise ValidationError(
            f"The value of secret '{name}' has {len(raw)} bytes in UTF-8: a secret holds at most "
            f"{MAX_VALUE_BYTES} bytes (25 KiB). Keep large files in a datastore and their key here.",
            target="value",
        )
    return raw


def _check_batch(kind: str, count: int) -> None:
    if count == 0:
        raise ValidationError(f"Give at least one secret {kind}.", target="names" if kind == "name" else "secrets")
    if count > MAX_BATCH:
        raise ValidationError(
            f"A batch holds at most {MAX_BATCH} secrets ({count} given): split it.",
            target="names" if kind == "name" else "secrets",
        )


def _not_found(vault: Vault, names: list[str], version: int | None = None) -> SecretNotFound:
    if version is not None:
        return SecretNotFound(
            f"Secret '{names[0]}' has no version {version} in the vault of workspace '{vault.workspace_name}' "
            "(or it was deleted): list its versions with 'mlyard secret show'.",
            target="version",
        )
    listed = ", ".join(f"'{n}'" for n in names)
    noun = "Secret" if len(names) == 1 else "Secrets"
    return SecretNotFound(
        f"{noun} {listed} not found in the vault of workspace '{vault.workspace_name}' (or deleted): "
        "set it first (ws.get_default_keyvault().set_secret, or 'mlyard secret set').",
        target="name",
    )


# -- keys ----------------------------------------------------------------------------------


def _ensure_data_key(p: Platform, vault: Vault) -> None:
    with p.db.read() as session:
        if VaultRepository(session).get_key(vault.id) is not None:
            return
    master = crypto.load_master_key(p.settings)
    wrapped_nonce, wrapped = master.wrap(
        crypto.new_data_key(), crypto.data_key_context(vault.id, vault.workspace_id, 1)
    )
    row = VaultKeyRow(
        id=new_id(),
        vault_id=vault.id,
        workspace_id=vault.workspace_id,
        key_version=1,
        wrapped_key=wrapped,
        nonce=wrapped_nonce,
        master_key_id=master.key_id,
        created_at=utcnow(),
    )
    try:
        with p.db.write() as session:
            repo = VaultRepository(session)
            if repo.get_key(vault.id) is None:
                repo.add_key(row)
    except (Conflict, IntegrityError):
        pass  # another request made the vault's key first: that one is used


def _unwrap(p: Platform, key: DataKey) -> bytes:
    master = crypto.load_master_key(p.settings)
    context = crypto.data_key_context(key.vault_id, key.workspace_id, key.key_version)
    return master.unwrap(key.nonce, key.wrapped_key, context, key.master_key_id)


def _decrypt(data_keys: Mapping[int, bytes], stored: StoredSecret) -> Secret:
    data_key = data_keys.get(stored.key_version)
    if data_key is None:
        raise VaultIntegrityError(
            f"Secret '{stored.name}' version {stored.version} names a data key that the vault does not have.",
            target="vault",
        )
    context = crypto.secret_context(stored.workspace_id, name_key(stored.name), stored.version)
    what = f"secret '{stored.name}' version {stored.version}"
    plain = crypto.open_sealed(data_key, stored.nonce, stored.ciphertext, context, what=what)
    return Secret(stored.name, stored.version, stored.created_at, plain.decode("utf-8"))


def _read_many(p: Platform, vault: Vault, found: list[StoredSecret]) -> list[Secret]:
    with p.db.read() as session:
        repo = VaultRepository(session)
        keys = [k for v in {s.key_version for s in found} if (k := repo.get_key(vault.id, v)) is not None]
    data_keys = {k.key_version: _unwrap(p, k) for k in keys}  # each key once, however many secrets
    return [_decrypt(data_keys, s) for s in found]


# -- writing -------------------------------------------------------------------------------


def set_secrets(p: Platform, actor: Principal, workspace: Scope, secrets: Mapping[str, str]) -> list[SecretInfo]:
    """Add a new version of each secret, all in one transaction: all are set or none is."""
    if not isinstance(secrets, Mapping):
        raise ValidationError("Give the secrets as a mapping of names to values.", target="secrets")
    _check_batch("value", len(secrets))
    encoded: dict[str, tuple[str, bytes]] = {}
    for name, value in secrets.items():
        checked = _check_name(name)
        if name_key(checked) in encoded:
            raise ValidationError(
                f"Secret names ignore case: '{encoded[name_key(checked)][0]}' and '{checked}' are the same secret.",
                target="secrets",
            )
        encoded[name_key(checked)] = (checked, _encode_value(checked, value))
    vault = vault_of(p, workspace)
    _ensure_data_key(p, vault)
    now = utcnow()
    with p.db.write() as session:
        repo = VaultRepository(session)
        key = repo.get_key(vault.id, for_update=True)
        if key is None:  # the workspace, and its vault with it, was deleted meanwhile
            raise rbac.not_found_for(workspace)
        data_key = _unwrap(p, key)
        out = []
        for name, raw in encoded.values():
            version = repo.next_version(vault.id, name)
            nonce, ciphertext = crypto.seal(
                data_key, raw, crypto.secret_context(vault.workspace_id, name_key(name), version)
            )
            stored = repo.add_secret(
                SecretRow(
                    id=new_id(),
                    vault_id=vault.id,
                    workspace_id=vault.workspace_id,
                    name=name,
                    name_key=name_key(name),
                    version=version,
                    key_version=key.key_version,
                    ciphertext=ciphertext,
                    nonce=nonce,
                    created_at=now,
                    created_by=actor.id,
                    deleted_at=None,
                )
            )
            out.append(stored.info())
    return out


def set_secret(p: Platform, actor: Principal, workspace: Scope, name: str, value: str) -> SecretInfo:
    """Add a new version of one secret (its first if the name is new or was deleted)."""
    return set_secrets(p, actor, workspace, {name: value})[0]


def delete_secret(p: Platform, workspace: Scope, name: str) -> SecretDeletion:
    """Mark every version deleted: reads answer SecretNotFound; a later set starts a new version."""
    _check_name(name)
    vault = vault_of(p, workspace)
    now = utcnow()
    with p.db.write() as session:
        repo = VaultRepository(session)
        latest = repo.latest(vault.id, name)
        if latest is None:
            raise _not_found(vault, [name])
        count = repo.mark_deleted(vault.id, name, now)
    return SecretDeletion(latest.name, count, now)


# -- reading -------------------------------------------------------------------------------


def get_secret(p: Platform, workspace: Scope, name: str, version: int | None = None) -> Secret:
    """A secret's value: its newest live version, or the version named."""
    _check_name(name)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ValidationError("A secret version is a whole number from 1.", target="version")
    vault = vault_of(p, workspace)
    with p.db.read() as session:
        repo = VaultRepository(session)
        found = repo.latest(vault.id, name) if version is None else repo.get_version(vault.id, name, version)
    if found is None:
        raise _not_found(vault, [name], version)
    return _read_many(p, vault, [found])[0]


def get_secrets(p: Platform, workspace: Scope, names: Iterable[str]) -> list[Secret]:
    """The newest values of several secrets, in the order asked; if any is missing, none is
    answered and the error lists every missing name."""
    wanted = list(names) if not isinstance(names, str) else [names]
    _check_batch("name", len(wanted))
    for name in wanted:
        _check_name(name)
    vault = vault_of(p, workspace)
    with p.db.read() as session:
        found = {name_key(s.name): s for s in VaultRepository(session).list_latest(vault.id, wanted)}
    missing = list(dict.fromkeys(n for n in wanted if name_key(n) not in found))
    if missing:
        raise _not_found(vault, missing)
    unique = list(dict.fromkeys(name_key(n) for n in wanted))
    by_key = {name_key(s.name): s for s in _read_many(p, vault, [found[k] for k in unique])}
    return [by_key[name_key(n)] for n in dict.fromkeys(wanted)]


def list_secrets(p: Platform, workspace: Scope) -> list[SecretInfo]:
    """Every live secret's name with its newest version, never a value."""
    vault = vault_of(p, workspace)
    with p.db.read() as session:
        return [s.info() for s in VaultRepository(session).list_latest(vault.id)]


def list_versions(p: Platform, workspace: Scope, name: str) -> list[SecretInfo]:
    """The live versions of one secret, oldest first, never a value."""
    _check_name(name)
    vault = vault_of(p, workspace)
    with p.db.read() as session:
        found = [s.info() for s in VaultRepository(session).list_versions(vault.id, name)]
    if not found:
        raise _not_found(vault, [name])
    return found
