"""Tables and repository of the secrets vault: wrapped data keys and encrypted secret versions.

Both tables hang off the workspace's ``vault`` supporting resource, not the workspace: when a
workspace is deleted without its dependent resources the vault is orphaned and its secrets stay
with it; deleting the vault resource removes them (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, and_, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from mlyard.core.entities.vault import DataKey, StoredSecret
from mlyard.core.names import name_key
from mlyard.store.base import Base


class VaultKeyRow(Base):
    __tablename__ = "vault_keys"
    __table_args__ = (UniqueConstraint("vault_id", "key_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("supporting_resources.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(36))
    key_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    def to_entity(self) -> DataKey:
        return DataKey(
            vault_id=self.vault_id,
            workspace_id=self.workspace_id,
            key_version=self.key_version,
            wrapped_key=self.wrapped_key,
            nonce=self.nonce,
            master_key_id=self.master_key_id,
            created_at=self.created_at,
        )


class SecretRow(Base):
    __tablename__ = "vault_secrets"
    __table_args__ = (UniqueConstraint("vault_id", "name_key", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("supporting_resources.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(127))
    name_key: Mapped[str] = mapped_column(String(127))
    version: Mapped[int] = mapped_column(Integer)
    key_version: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]
    deleted_at: Mapped[datetime | None]

    def to_entity(self) -> StoredSecret:
        return StoredSecret(
            vault_id=self.vault_id,
            workspace_id=self.workspace_id,
            name=self.name,
            version=self.version,
            key_version=self.key_version,
            ciphertext=self.ciphertext,
            nonce=self.nonce,
            created_at=self.created_at,
            created_by=self.created_by,
            deleted_at=self.deleted_at,
        )


class VaultRepository:
    """Reads and writes one server's vaults; callers own the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # data keys
    def get_key(self, vault_id: str, key_version: int | None = None, *, for_update: bool = False) -> DataKey | None:
        """A vault's data key: the given version, else the newest; ``for_update`` locks its row,
        which serializes the writers of one vault on PostgreSQL (SQLite's writers queue anyway)."""
        query = select(VaultKeyRow).where(VaultKeyRow.vault_id == vault_id)
        if key_version is not None:
            query = query.where(VaultKeyRow.key_version == key_version)
        query = query.order_by(VaultKeyRow.key_version.desc()).limit(1)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalar(query)
        return row.to_entity() if row else None

    def add_key(self, row: VaultKeyRow) -> DataKey:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    # secrets
    def _live(self, vault_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        return (SecretRow.vault_id == vault_id, SecretRow.deleted_at.is_(None))

    def latest(self, vault_id: str, name: str) -> StoredSecret | None:
        row = self.session.scalar(
            select(SecretRow)
            .where(*self._live(vault_id), SecretRow.name_key == name_key(name))
            .order_by(SecretRow.version.desc())
            .limit(1)
        )
        return row.to_entity() if row else None

    def get_version(self, vault_id: str, name: str, version: int) -> StoredSecret | None:
        row = self.session.scalar(
            select(SecretRow).where(
                *self._live(vault_id), SecretRow.name_key == name_key(name), SecretRow.version == version
            )
        )
        return row.to_entity() if row else None

    def list_latest(self, vault_id: str, names: Iterable[str] | None = None) -> list[StoredSecret]:
        """The newest live version of each secret (of ``names`` when given), ordered by name."""
        newest = select(SecretRow.name_key, func.max(SecretRow.version).label("version")).where(*self._live(vault_id))
        if names is not None:
            newest = newest.where(SecretRow.name_key.in_({name_key(n) for n in names}))
        sub = newest.group_by(SecretRow.name_key).subquery()
        rows = self.session.scalars(
            select(SecretRow)
            .join(sub, and_(SecretRow.name_key == sub.c.name_key, SecretRow.version == sub.c.version))
            .where(SecretRow.vault_id == vault_id)
            .order_by(SecretRow.name_key)
        )
        return [r.to_entity() for r in rows]

    def list_versions(self, vault_id: str, name: str) -> list[StoredSecret]:
        rows = self.session.scalars(
            select(SecretRow)
            .where(*self._live(vault_id), SecretRow.name_key == name_key(name))
            .order_by(SecretRow.version)
        )
        return [r.to_entity() for r in rows]

    def next_version(self, vault_id: str, name: str) -> int:
        # Deleted versions count: numbers are never reused, so an old version number never
        # names a different value.
        highest = self.session.scalar(
            select(func.max(SecretRow.version)).where(
                SecretRow.vault_id == vault_id, SecretRow.name_key == name_key(name)
            )
        )
        return int(highest or 0) + 1

    def add_secret(self, row: SecretRow) -> StoredSecret:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    def mark_deleted(self, vault_id: str, name: str, when: datetime) -> int:
        """Soft-delete every live version of a secret; answers how many there were."""
        result = self.session.execute(
            update(SecretRow)
            .where(*self._live(vault_id), SecretRow.name_key == name_key(name))
            .values(deleted_at=when)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def count(self, vault_id: str) -> int:
        """Every stored version, deleted ones included."""
        return int(
            self.session.scalar(select(func.count()).select_from(SecretRow).where(SecretRow.vault_id == vault_id)) or 0
        )
