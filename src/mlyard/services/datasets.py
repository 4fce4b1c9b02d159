"""Datasets: registered, versioned, immutable; each version pins its files.

Registering a definition (see :mod:`mlyard.core.entities.datasets`) under a name resolves its
globs, pins every file (size, time, xxh128), reads the columns of a tabular one and reads its
first rows (so a malformed file or an unknown column registers nothing), then stores version 1,
or the next version with ``create_new_version``. As in Azure ML, registering a taken name
without ``create_new_version`` answers the latest version when nothing differs (the same
definition and the same files) and is refused (``DatasetAlreadyExists``) otherwise.

A definition may derive from a registered version (``{"source": {"dataset": {"name",
"version"}}}`` with more transformations): registering it stores the version's source with
all transformations, and pins the version's files, not what its globs match today.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError

from mlyard.core.entities.datasets import DATASET_NAME, Dataset, DatasetVersion, Definition
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import DatasetAlreadyExists, InvalidDatasetDefinition, ValidationError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.services import dataset_data
from mlyard.services.dataset_definitions import normalise, not_found, version_of
from mlyard.services.dataset_files import MAX_FILES
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.datasets import DatasetRepository, DatasetRow, DatasetVersionRow, columns_json, files_json


def _fingerprint(definition: Definition, version: dataset_data.Plan) -> str:
    body = {
        "definition": definition,
        "files": [[f.datastore, f.name, f.digest()[1]] for f in version.files],
        "columns": [[c.name, c.type] for c in version.columns],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- reading the catalogue -----------------------------------------------------------------


def get_version(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, version: int | None = None
) -> DatasetVersion:
    return version_of(p, get_workspace(p, subscription_id, resource_group, workspace), name, version)


def list_datasets(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> list[Dataset]:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        return DatasetRepository(session).in_workspace(ws.id)


def list_versions(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str
) -> list[DatasetVersion]:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = DatasetRepository(session).versions(ws.id, name)
    if found is None:
        raise not_found(ws, name)
    return found


# -- registering ---------------------------------------------------------------------------


MAX_TAGS = 50


def _check_tags(tags: Mapping[str, str] | None, description: str | None) -> dict[str, str]:
    out = dict(tags or {})
    if len(out) > MAX_TAGS or any(
        not isinstance(k, str) or not isinstance(v, str) or len(k) > 255 for k, v in out.items()
    ):
        raise ValidationError(f"tags are at most {MAX_TAGS} string pairs, keys up to 255 characters.", target="tags")
    if description is not None and len(description) > 5000:
        raise ValidationError("A description holds at most 5000 characters.", target="description")
    return out


def register(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    definition: object,
    *,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    create_new_version: bool = False,
) -> tuple[DatasetVersion, bool]:
    """Register ``definition`` as dataset ``name``; answers the version and whether it is new."""
    DATASET_NAME.check(name, target="name")
    clean_tags = _check_tags(tags, description)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    wanted = normalise(definition)
    plan = dataset_data.plan(p, ws, wanted, pin=True)
    with p.db.read() as session:
        latest = DatasetRepository(session).version(ws.id, name, None)
    flat = plan.flat_definition()
    if latest is not None and not create_new_version and latest.definition != flat:
        raise _taken(ws, latest, "with another definition")
    if len(plan.files) > MAX_FILES:
        raise InvalidDatasetDefinition(f"A dataset holds at most {MAX_FILES} files.", target="path")
    checked = dataset_data.check_readable(p, ws, plan)
    fingerprint = _fingerprint(flat, checked)
    if latest is not None and latest.fingerprint == fingerprint:
        return latest, False
    if latest is not None and not create_new_version:
        raise _taken(ws, latest, "and its files changed since (the same definition matches other files now)")
    try:
        return _store(p, actor, ws, name, checked, flat, fingerprint, description, clean_tags), True
    except IntegrityError:
        raise DatasetAlreadyExists(
            f"Dataset '{name}' was registered by another request at the same time: get it with "
            f"Dataset.get_by_name(ws, '{name}'), or register again with create_new_version=True.",
            target="name",
        ) from None


def _taken(ws: Workspace, latest: DatasetVersion, how: str) -> DatasetAlreadyExists:
    return DatasetAlreadyExists(
        f"Workspace '{ws.name}' already has dataset '{latest.name}' (version {latest.version}) {how}: register with "
        "create_new_version=True to add a version, or pick another name.",
        target="name",
    )


def _store(
    p: Platform,
    actor: Principal,
    ws: Workspace,
    name: str,
    plan: dataset_data.Plan,
    flat: Definition,
    fingerprint: str,
    description: str | None,
    tags: dict[str, str],
) -> DatasetVersion:
    now = utcnow()
    with p.db.write() as session:
        repo = DatasetRepository(session)
        row = repo.get_row(ws.id, name, for_update=True)
        if row is None:
            row = DatasetRow(
                id=new_id(), workspace_id=ws.id, name=name, name_key=name_key(name),
                dataset_type=plan.dataset_type.value, latest_version=0, created_at=now, created_by=actor.id,
            )  # fmt: skip
            session.add(row)
        elif row.dataset_type != plan.dataset_type.value:
            raise ValidationError(
                f"Dataset '{row.name}' is a {row.dataset_type} dataset: a {plan.dataset_type.value} dataset cannot "
                "be a version of it. Register it under another name.",
                target="datasetType",
            )
        row.latest_version += 1
        version = DatasetVersionRow(
            id=new_id(), dataset_id=row.id, workspace_id=ws.id, version=row.latest_version, definition=flat,
            files=files_json(plan.files), columns=columns_json(plan.columns), fingerprint=fingerprint,
            file_count=len(plan.files), total_size=sum(f.size for f in plan.files), description=description,
            tags=tags, created_at=now, created_by=actor.id,
        )  # fmt: skip
        session.add(version)
        session.flush()
        return version.to_entity(row.name, row.dataset_type)


def unregister(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> None:
    """Forget every version of ``name`` (``unregister_all_versions``); the files and the lineage
    of runs that read it stay."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = DatasetRepository(session)
        row = repo.get_row(ws.id, name)
        if row is None:
            raise not_found(ws, name)
        repo.delete(row)


__all__ = ["get_version", "list_datasets", "list_versions", "register", "unregister"]
