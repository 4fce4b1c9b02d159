"""``mlyard environment list|show|register|build|build-image``: the workspace's environments.

An environment is named as ``NAME``, ``NAME:VERSION`` or ``NAME@latest``. ``build`` builds on
the server and prints the build's log as it runs (on stderr; the result on stdout).
``build-image`` writes a Dockerfile and its build context here, and runs ``docker build`` only
when a Docker engine answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.core.entities.environments import conda_to_pip, mlyard_requirements, parse_reference
from mlyard.sdk.environment import Environment
from mlyard.sdk.workspace import Workspace

app = typer.Typer(help="Environments: versioned Python specifications that jobs run in.", no_args_is_help=True)

ReferenceArgument = Annotated[str, typer.Argument(help="NAME, NAME:VERSION or NAME@latest.", show_default=False)]
COLUMNS: Columns = (
    ("name", "Name"),
    ("version", "Version"),
    ("curated", "Curated"),
    ("pythonVersion", "Python"),
    ("pipPackages", "Pip packages"),
    ("description", "Description"),
)
BUILD_COLUMNS: Columns = (
    ("status", "Last build"),
    ("finishedAt", "Finished"),
    ("durationSeconds", "Seconds"),
    ("tool", "Built with"),
    ("pythonVersion", "Built Python"),
    ("specHash", "Spec hash"),
    ("error", "Error"),
)


def _workspace(w: str | None, g: str | None, s: str | None) -> Workspace:
    return Context.load().workspace(w, g, s)


def _get(ws: Workspace, reference: str) -> Environment:
    ref = parse_reference(reference)
    return Environment.get(ws, ref.name, ref.version)


def _record(env: Environment) -> dict[str, Any]:
    return {
        "id": env.id,
        "name": env.name,
        "version": env.version,
        "curated": env.is_curated,
        "pythonVersion": env.python.python_version,
        "pipPackages": env.python.pip_packages,
        "condaPackages": env.python.conda_packages,
        "userManagedDependencies": env.python.user_managed_dependencies,
        "environmentVariables": env.environment_variables,
        "description": env.description,
    }


@app.command("list")
def list_(
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the environments (the latest version of each), the curated ones included."""
    ws = _workspace(workspace_name, resource_group, subscription)
    render([_record(e) for e in Environment.list(ws).values()], output, COLUMNS)


@app.command("show")
def show(
    reference: ReferenceArgument,
    log: Annotated[bool, typer.Option("--log/--no-log", help="Print the last build's log.")] = True,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show an environment version, its last build on the server, and that build's log."""
    ws = _workspace(workspace_name, resource_group, subscription)
    env = _get(ws, reference)
    build = env.get_build_details(ws)
    record = {**_record(env), "build": build}
    if output is not OutputFormat.TABLE:
        render(record, output, ())
        return
    columns = (*COLUMNS, ("condaPackages", "Conda packages"), ("environmentVariables", "Variables"))
    render(record, output, (("id", "Id"), *columns))
    render(build, output, BUILD_COLUMNS)
    if log and build.get("log"):
        sys.stdout.write("\n" + build["log"])


@app.command("register")
def register(
    file: Annotated[Path, typer.Option("--file", "-f", help="A requirements.txt, or a conda .yml/.yaml.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The environment's name.")],
    description: Annotated[str | None, typer.Option("--description", help="What it is for.")] = None,
    env_vars: Annotated[
        list[str] | None, typer.Option("--env", help="An environment variable KEY=VALUE; repeat for more.")
    ] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register a requirements file or conda specification as the next version (an identical
    definition keeps its version)."""
    is_conda = file.suffix.lower() in (".yml", ".yaml")
    env = (
        Environment.from_conda_specification(name, file) if is_conda else Environment.from_pip_requirements(name, file)
    )
    for pair in env_vars or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--env takes KEY=VALUE; '{pair}' has no '='.", 2)
        env.environment_variables[key] = value
    env.description = description
    if is_conda and env.python.conda_packages and not shutil.which("conda"):
        note("conda is not installed here, nor needed: the conda packages are installed from the package index.")
    made = env.register(_workspace(workspace_name, resource_group, subscription))
    note(f"Environment '{made.name}' version {made.version} holds this definition.")
    render(_record(made), output, (("id", "Id"), *COLUMNS))


@app.command("build")
def build(
    reference: ReferenceArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Build an environment on the server now unless it is built (a recent failure is tried again)."""
    ws = _workspace(workspace_name, resource_group, subscription)
    env = _get(ws, reference)
    done = env.build(ws, on_line=_print_line)
    how = "was already built" if done.cache_hit else f"built in {done.build_seconds or 0:.1f} s"
    note(f"Environment '{done.name}:{done.version}' {how}.")
    result: dict[str, Any] = {"name": done.name, "version": done.version, "python": done.python}
    result |= {"specHash": done.spec_hash, "cacheHit": done.cache_hit, "buildSeconds": done.build_seconds}
    render(result, output, tuple((k, k) for k in result))


@app.command("build-image")
def build_image(
    name: Annotated[str, typer.Argument(help="The environment's name.", show_default=False)],
    version: Annotated[str, typer.Option("--version", "-v", help="Its version (or 'latest').")] = "latest",
    output_dir: Annotated[
        Path | None,
        typer.Option("--output", help="Where to write the build context (default ./NAME-VERSION-image)."),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="The image tag (default mlyard-env/NAME:VERSION).")
    ] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Write a Dockerfile and build context for an environment; run docker build when Docker is here."""
    ws = _workspace(workspace_name, resource_group, subscription)
    env = _get(ws, f"{name}:{version}" if version != "latest" else name)
    folder = output_dir or Path(f"{env.name}-{env.version}-image")
    tag = tag or f"mlyard-env/{env.name.lower()}:{env.version}"
    write_docker_context(env, folder)
    note(f"Wrote the Dockerfile and build context of '{env.name}:{env.version}' to {folder}.")
    engine = _docker_engine()
    if engine is not None:
        note(f"No Docker engine here ({engine}): build the image where one runs with: docker build -t {tag} {folder}")
        return
    code = subprocess.run(["docker", "build", "-t", tag, str(folder)], check=False).returncode
    if code:
        fail(f"docker build exited with {code}; the build context is in {folder}.")
    note(f"Built image {tag}.")


def _print_line(line: str) -> None:
    # Plain text, not rich markup: an installer's lines may hold brackets.
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _docker_engine() -> str | None:
    """None when a Docker engine answers, else why not (in plain words)."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    try:
        probe = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "'docker info' did not answer within 30 s"
    if probe.returncode:
        reason = (probe.stderr.strip().splitlines() or ["'docker info' failed"])[-1]
        return reason.rstrip(".")
    return None


def write_docker_context(env: Environment, folder: Path) -> None:
    """A python:<version>-slim image with the environment's packages, this installation's mlyard
    (copied in, so that Run.get_context() works in the container) and its variables."""
    import mlyard

    folder.mkdir(parents=True, exist_ok=True)
    py = env.python
    wanted = py.python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    parts = [int(x) for x in wanted.split(".")[:2] if x.isdigit()]
    base = ".".join(str(x) for x in parts) if len(parts) == 2 and parts >= [3, 11] else "3.11"
    pip = [line for line in py.pip_packages if not line.lower().startswith("mlyard")]
    conda = [conda_to_pip(c) for c in py.conda_packages if c.split("=")[0].strip() not in ("python", "pip")]
    requirements = [*conda, *pip, *(r for r in mlyard_requirements() if not r.startswith("uv"))]
    (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
    package = Path(mlyard.__file__).parent
    shutil.rmtree(folder / "mlyard", ignore_errors=True)
    shutil.copytree(package, folder / "mlyard", ignore=shutil.ignore_patterns("__pycache__", "static"))
    lines = [
        f"# mlyard environment {env.name}:{env.version}",
        f"FROM python:{base}-slim",
        "COPY requirements.txt /tmp/mlyard-environment/requirements.txt",
        "RUN pip install --no-cache-dir -r /tmp/mlyard-environment/requirements.txt",
        "COPY mlyard /opt/mlyard/mlyard",
        "ENV PYTHONPATH=/opt/mlyard",
        *(f"ENV {key}={_quoted(value)}" for key, value in sorted(env.environment_variables.items())),
        "WORKDIR /app",
    ]
    (folder / "Dockerfile").write_text("\n".join(lines) + "\n")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
