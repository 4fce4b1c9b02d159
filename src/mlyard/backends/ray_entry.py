"""A Ray job's entrypoint: the snapshot extracted into the job's folder, its interpreter prepared.

On a cluster of this host the entrypoint changes into ``<home>/ray-jobs/<run id>/wd`` and reads
the job's variables (its token among them) from ``job.env`` (mode 600), not through Ray's job
table; on a remote cluster the folder goes as the ``runtime_env`` working_dir and the variables
as its ``env_vars`` (environments are not shipped there).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from mlyard.backends.local import python_shims, working_folder
from mlyard.services.compute_backends import JobLaunch
from mlyard.services.dataset_inputs import PLACEHOLDER
from mlyard.services.ray_clusters import Cluster


def prepare(launch: JobLaunch, folder: Path, cluster: Cluster) -> tuple[str, dict[str, Any] | None, str]:
    """The snapshot extracted and the interpreter prepared: (entrypoint, runtime_env, shown)."""
    wd = working_folder(launch, folder)
    shown = launch.command or shlex.join(["python", str(launch.script), *launch.arguments])
    variables = {**launch.variables, "PYTHONUNBUFFERED": "1"}
    if not cluster.on_this_host:
        if any(PLACEHOLDER in text for text in [*launch.arguments, launch.command or ""]):
            launch.log(
                "[mlyard] dataset inputs are not made local on a remote Ray cluster: the script gets their "
                "placeholders; read the dataset with the SDK inside the script (Dataset.get_by_name) instead"
            )
        wanted = f"environment '{launch.environment_reference}'" if launch.environment_reference else "no environment"
        launch.log(
            f"[mlyard] {wanted}: environments are not shipped to a remote Ray cluster; its own python runs "
            "the job, and ./outputs stays on the cluster"
        )
        return shown, {"working_dir": str(wd), "env_vars": variables}, shown
    asked = launch.environment_reference
    launch.progress(
        f"preparing: environment '{asked}' (built if needed; the build's output streams into the run's log)"
        if asked
        else "preparing: the server's own Python"
    )
    prepared = launch.environment(launch.log)
    name = f"'{prepared.name}:{prepared.version}'" if prepared.name else "the server's own Python"
    launch.log(f"[mlyard] environment: {name} ({prepared.python}{'' if prepared.cache_hit else ', just built'})")
    python_shims(folder, prepared.python)
    (folder / "home").mkdir()
    # The SDK inside the job must not find the server's credentials; `python` is the environment's.
    variables.update({**prepared.environment_variables, **variables, "MLYARD_HOME": str(folder / "home")})
    # Dataset inputs are made local as for a local job: the owned head runs on this host.
    inputs = launch.inputs(folder / "inputs")
    variables.update(inputs.variables)
    arguments = [inputs.apply(a) for a in launch.arguments]
    command = inputs.apply(launch.command) if launch.command is not None else None
    shown = command or shlex.join(["python", str(launch.script), *arguments])
    path = os.pathsep.join([str(folder / "bin"), str(Path(prepared.python).parent)])
    env_file = folder / "job.env"
    lines = [f"export {k}={shlex.quote(v)}" for k, v in variables.items()]
    env_file.write_text("\n".join([*lines, f'export PATH={shlex.quote(path)}:"$PATH"', ""]))
    env_file.chmod(0o600)
    run = command if command is not None else shlex.join(["exec", prepared.python, str(launch.script), *arguments])
    return f"cd {shlex.quote(str(wd))} && . {shlex.quote(str(env_file))} && {run}", None, shown
