"""Datasets: registered versions, their files, previews and profiles, reads, and lineage.

Registering needs ``workspaces/datasets/write``; unregistering ``…/delete``; everything else
``…/read`` (a read of a definition never registered reads the datastores' files through the
server, as the datastore's own routes would). A run's input datasets are part of the run:
``…/experiments/runs/read``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import StreamingResponse

from mlyard.api.datasets import (
    ARROW_STREAM,
    ROW_COUNT_HEADER,
    ColumnOut,
    DatasetFilesOut,
    DatasetInputIn,
    DatasetQueryIn,
    DatasetRegisterIn,
    DatasetVersionOut,
    PinnedFileOut,
    PreviewOut,
    ProfileOut,
    RunInputOut,
)
from mlyard.core import actions as A
from mlyard.core.entities.datasets import Column, DatasetInput, DatasetVersion, InputMode, PinnedFile, RunInput
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import WS, where
from mlyard.server.streaming import file_response
from mlyard.services import dataset_data, dataset_inputs
from mlyard.services import datasets as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


# A version is a whole number from 1; the bound keeps it inside a database integer.
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(prefix="/api/v1", tags=["datasets"], dependencies=[Depends(_workspace_path)])
ONE = WS + "/datasets/{name}"
VERSION = ONE + "/versions/{version}"
QUERIES = WS + "/datasetQueries"
Read = Annotated[AuthContext, authorize(A.DATASETS_READ)]
Write = Annotated[AuthContext, authorize(A.DATASETS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.DATASETS_DELETE)]
RunsRead = Annotated[AuthContext, authorize(A.RUNS_READ)]
Top = Annotated[int, Query(ge=1, le=10_000)]


def version_out(v: DatasetVersion, auth: AuthContext, count: int | None = None) -> DatasetVersionOut:
    return DatasetVersionOut(
        id=f"{auth.scope.path}/datasets/{v.name}/versions/{v.version}",
        name=v.name,
        version=v.version,
        dataset_type=v.dataset_type.value,
        definition=v.definition,
        columns=[_column(c) for c in v.columns],
        file_count=len(v.files),
        total_size=v.total_size,
        description=v.description,
        tags=v.tags,
        created_at=v.created_at,
        created_by=v.created_by,
        version_count=count,
    )


def _column(c: Column) -> ColumnOut:
    return ColumnOut(name=c.name, type=c.type)


def _read_version(platform: PlatformDep, auth: AuthContext, name: str, version: int) -> dict[str, Any]:
    v = svc.get_version(platform, *where(auth), name, version)
    return {"datasetType": v.dataset_type.value, "source": {"dataset": {"name": v.name, "version": v.version}}}


def _pinned_out(f: PinnedFile, change: str | None) -> PinnedFileOut:
    return PinnedFileOut(
        datastore=f.datastore, name=f.name, size=f.size, xxh128=f.xxh128 or None, modified_utc=f.modified, change=change
    )


def dataset_input(body: DatasetInputIn) -> DatasetInput:
    return DatasetInput(body.name, body.dataset, body.version, InputMode(body.mode), tuple(body.transforms))


def run_input_out(r: RunInput) -> RunInputOut:
    return RunInputOut(
        run_id=r.run_id,
        experiment_name=r.experiment_name,
        name=r.name,
        dataset=r.dataset,
        version=r.version,
        dataset_type=r.dataset_type.value,
        mode=r.mode.value,
        transforms=list(r.transforms),
        created_at=r.created_at,
    )


# -- the catalogue ---------------------------------------------------------------------------


@router.get(WS + "/datasets", response_model=list[DatasetVersionOut])
def list_datasets(auth: Read, platform: PlatformDep) -> list[DatasetVersionOut]:
    """Every dataset of the workspace, as its latest version (with ``versionCount``)."""
    return [version_out(d.latest, auth, d.version_count) for d in svc.list_datasets(platform, *where(auth))]


@router.get(ONE, response_model=DatasetVersionOut)
def get_dataset(
    name: str, auth: Read, platform: PlatformDep, version: Annotated[int | None, Query(ge=1)] = None
) -> DatasetVersionOut:
    """Version ``version`` of the dataset (the latest by default)."""
    return version_out(svc.get_version(platform, *where(auth), name, version), auth)


@router.put(
    ONE,
    response_model=DatasetVersionOut,
    responses={201: {"model": DatasetVersionOut, "description": "A new version (200: the same one again)."}},
)
def register_dataset(
    name: str, body: DatasetRegisterIn, response: Response, auth: Write, platform: PlatformDep
) -> DatasetVersionOut:
    """Register a definition: its files are pinned (size, xxh128) and a tabular one's first rows read."""
    made, created = svc.register(
        platform, auth.principal, *where(auth), name, body.definition, description=body.description,
        tags=body.tags, create_new_version=body.create_new_version,
    )  # fmt: skip
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return version_out(made, auth)


@router.delete(ONE, status_code=status.HTTP_204_NO_CONTENT)
def unregister_dataset(name: str, auth: Delete, platform: PlatformDep) -> None:
    """Forget every version; the files stay in their datastores, and the runs' lineage stays."""
    svc.unregister(platform, *where(auth), name)


@router.get(ONE + "/versions", response_model=list[DatasetVersionOut])
def list_versions(name: str, auth: Read, platform: PlatformDep) -> list[DatasetVersionOut]:
    return [version_out(v, auth) for v in svc.list_versions(platform, *where(auth), name)]


@router.get(VERSION, response_model=DatasetVersionOut)
def get_version(name: str, version: VersionNumber, auth: Read, platform: PlatformDep) -> DatasetVersionOut:
    return version_out(svc.get_version(platform, *where(auth), name, version), auth)


@router.get(VERSION + "/files", response_model=DatasetFilesOut)
def version_files(
    name: str,
    version: VersionNumber,
    auth: Read,
    platform: PlatformDep,
    verify: Annotated[
        bool, Query(description="Check each file against its pin (a stat; a hash if its time changed).")
    ] = False,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1, le=10_000)] = None,
    continuation_token: Annotated[str | None, Query(alias="continuationToken", max_length=200)] = None,
) -> DatasetFilesOut:
    """The files the version pins (a page of ``pageSize`` when given); with ``verify``, those
    of the page that changed since say how."""
    start = dataset_data.page_start(continuation_token)
    definition = _read_version(platform, auth, name, version)
    pl, changes = dataset_data.files(platform, where(auth), definition, verify=verify, start=start, count=page_size)
    changed = {c.file.key(): c.change for c in changes}
    files = [_pinned_out(f, changed.get(f.key())) for f in pl.files]
    total = len(pl.origin.files) if pl.origin is not None else None
    more = page_size is not None and total is not None and start + len(files) < total
    token = dataset_data.page_token(start + len(files)) if more else None
    return DatasetFilesOut(
        value=files, verified=verify, changed=len(changes), next_continuation_token=token, total=total
    )


@router.get(VERSION + "/files/{path:path}", response_class=StreamingResponse)
def download_file(name: str, version: VersionNumber, path: str, auth: Read, platform: PlatformDep) -> StreamingResponse:
    """One pinned file (``<datastore>/<name>``), its pinned xxh128 in ``X-Content-XXH128``."""
    f, chunks = dataset_data.open_file(platform, where(auth), name, version, path)
    return file_response(f.name, f.size, f.xxh128, chunks)


@router.get(VERSION + "/preview", response_model=PreviewOut)
def preview_version(name: str, version: VersionNumber, auth: Read, platform: PlatformDep, top: Top = 20) -> PreviewOut:
    definition = _read_version(platform, auth, name, version)
    columns, rows = dataset_data.preview(platform, where(auth), definition, top)
    return PreviewOut(columns=[_column(c) for c in columns], rows=rows)


@router.get(VERSION + "/profile", response_model=ProfileOut)
def profile_version(name: str, version: VersionNumber, auth: Read, platform: PlatformDep) -> ProfileOut:
    """Per column: type, count, missing, min, max, mean, std, distinct, top values; kept once computed."""
    made = dataset_data.profile(platform, where(auth), _read_version(platform, auth, name, version))
    return ProfileOut.model_validate(made)


@router.get(VERSION + "/runs", response_model=list[RunInputOut])
def version_runs(
    name: str, version: VersionNumber, auth: Read, platform: PlatformDep, top: Top = 100
) -> list[RunInputOut]:
    """The runs that read this version (lineage), newest first."""
    found = dataset_inputs.runs_of(platform, *where(auth), name, version, top)
    return [run_input_out(r) for r in found]


@router.get(WS + "/runs/{runId}/inputDatasets", response_model=list[RunInputOut])
def run_inputs(runId: str, auth: RunsRead, platform: PlatformDep) -> list[RunInputOut]:
    """The dataset versions the run read, by input name."""
    return [run_input_out(r) for r in dataset_inputs.inputs_of_run(platform, *where(auth), runId)]


# -- reading any definition ------------------------------------------------------------------


@router.post(QUERIES + "/data", response_class=StreamingResponse)
def read_data(body: DatasetQueryIn, auth: Read, platform: PlatformDep) -> StreamingResponse:
    """The rows of a tabular definition, transformations applied, as an Arrow IPC stream."""
    rows, size, chunks = dataset_data.data(platform, where(auth), body.definition)
    headers = {"Content-Length": str(size), ROW_COUNT_HEADER: str(rows)}
    return StreamingResponse(chunks, media_type=ARROW_STREAM, headers=headers)


@router.post(QUERIES + "/preview", response_model=PreviewOut)
def preview_data(body: DatasetQueryIn, auth: Read, platform: PlatformDep, top: Top = 20) -> PreviewOut:
    columns, rows = dataset_data.preview(platform, where(auth), body.definition, top)
    return PreviewOut(columns=[_column(c) for c in columns], rows=rows)


@router.post(QUERIES + "/profile", response_model=ProfileOut)
def profile_data(body: DatasetQueryIn, auth: Read, platform: PlatformDep) -> ProfileOut:
    return ProfileOut.model_validate(dataset_data.profile(platform, where(auth), body.definition))


@router.post(QUERIES + "/files", response_model=DatasetFilesOut)
def definition_files(body: DatasetQueryIn, auth: Read, platform: PlatformDep) -> DatasetFilesOut:
    """The files a definition reads (a registered version's pins, or what its globs match now)."""
    pl, _ = dataset_data.files(platform, where(auth), body.definition, verify=False)
    files = [
        PinnedFileOut(datastore=f.datastore, name=f.name, size=f.size, xxh128=f.xxh128 or None)
        if pl.pinned
        else PinnedFileOut(datastore=f.datastore, name=f.name, size=f.size)
        for f in pl.files
    ]
    return DatasetFilesOut(value=files, verified=False, changed=0)
