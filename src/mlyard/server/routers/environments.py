"""A workspace's environments: registered versions, the curated ones, and their builds.

Reading needs ``workspaces/environments/read``, registering ``…/write`` and building ahead
``…/build/action``. A build answers NDJSON while it runs (see :mod:`mlyard.api.environments`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from fastapi.responses import StreamingResponse

from mlyard.api.environments import BuildOut, EnvironmentIn, EnvironmentOut, PythonSectionOut
from mlyard.core import actions as A
from mlyard.core.entities.environments import EnvironmentSpec, EnvironmentVersion, parse_version
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import environments as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["environments"], dependencies=[Depends(_workspace_path)])
WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
ENVIRONMENTS = WS + "/environments"
ONE = ENVIRONMENTS + "/{name}"
VERSION = ONE + "/versions/{version}"
Read = Annotated[AuthContext, authorize(A.ENVIRONMENTS_READ)]
Write = Annotated[AuthContext, authorize(A.ENVIRONMENTS_WRITE)]
Build = Annotated[AuthContext, authorize(A.ENVIRONMENTS_BUILD)]
VersionParam = Annotated[str, Path(description="A version number, or 'latest'.")]


def where(auth: AuthContext) -> tuple[str, str, str]:
    s = auth.scope
    assert s.subscription and s.resource_group and s.workspace  # the route's path has all three
    return s.subscription, s.resource_group, s.workspace


def environment_out(e: EnvironmentVersion, auth: AuthContext) -> EnvironmentOut:
    spec = e.spec
    return EnvironmentOut(
        id=f"{auth.scope.path}/environments/{e.name}/versions/{e.version}",
        name=e.name,
        version=e.version,
        is_curated=e.is_curated,
        python=PythonSectionOut(
            python_version=spec.python_version,
            pip_packages=list(spec.pip_packages),
            conda_packages=list(spec.conda_packages),
            conda_channels=list(spec.conda_channels),
            user_managed_dependencies=spec.user_managed_dependencies,
            interpreter_path=spec.interpreter_path,
        ),
        environment_variables=e.environment_variables,
        description=e.description,
        created_at=e.created_at,
        created_by=e.created_by,
    )


@router.get(ENVIRONMENTS, response_model=list[EnvironmentOut])
def list_environments(auth: Read, platform: PlatformDep) -> list[EnvironmentOut]:
    """The latest version of each registered environment, then the curated ones."""
    return [environment_out(e, auth) for e in svc.list_environments(platform, *where(auth))]


@router.get(ONE, response_model=EnvironmentOut)
def get_environment(name: str, auth: Read, platform: PlatformDep) -> EnvironmentOut:
    """The latest version of ``name``."""
    return environment_out(svc.get_environment(platform, *where(auth), name), auth)


@router.get(ONE + "/versions", response_model=list[EnvironmentOut])
def list_versions(name: str, auth: Read, platform: PlatformDep) -> list[EnvironmentOut]:
    return [environment_out(e, auth) for e in svc.list_versions(platform, *where(auth), name)]


@router.post(
    ONE + "/versions",
    response_model=EnvironmentOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": EnvironmentOut, "description": "An identical version exists: that one."}},
)
def register_environment(
    name: str, body: EnvironmentIn, response: Response, auth: Write, platform: PlatformDep
) -> EnvironmentOut:
    """Register the next version of ``name`` (or find the version with this same definition)."""
    py = body.python
    spec = EnvironmentSpec(
        python_version=py.python_version,
        pip_packages=tuple(py.pip_packages),
        conda_packages=tuple(py.conda_packages),
        conda_channels=tuple(py.conda_channels),
        user_managed_dependencies=py.user_managed_dependencies,
        interpreter_path=py.interpreter_path,
    )
    made, created = svc.register_environment(
        platform, auth.principal, *where(auth), name, spec, body.environment_variables, body.description
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return environment_out(made, auth)


@router.get(VERSION, response_model=EnvironmentOut)
def get_version(name: str, version: VersionParam, auth: Read, platform: PlatformDep) -> EnvironmentOut:
    return environment_out(svc.get_environment(platform, *where(auth), name, parse_version(version)), auth)


@router.get(VERSION + "/build", response_model=BuildOut)
def get_build(name: str, version: VersionParam, auth: Read, platform: PlatformDep) -> BuildOut:
    """The last build of this version's specification on the server's host, with its log."""
    env, record = svc.last_build(platform, *where(auth), name, parse_version(version))
    if record is None:
        return BuildOut(name=env.name, version=env.version, spec_hash="", status="UserManaged")
    return BuildOut(
        name=env.name,
        version=env.version,
        spec_hash=record.spec_hash,
        status=record.status.value,
        tool=record.tool,
        python=record.python,
        python_version=record.python_version,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_seconds=record.duration_seconds,
        error=record.error,
        log=record.log,
    )


@router.post(
    VERSION + "/build", response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}}
)
def build_environment(name: str, version: VersionParam, auth: Build, platform: PlatformDep) -> StreamingResponse:
    """Build ahead (a cached build is kept; a recent failure is tried again); the log streams as NDJSON."""
    lines = svc.stream_build(platform, *where(auth), name, parse_version(version))
    return StreamingResponse(lines, media_type="application/x-ndjson")
