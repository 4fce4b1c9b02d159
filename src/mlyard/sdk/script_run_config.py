"""``azureml.core.ScriptRunConfig`` and ``Experiment.submit``: a script (or a command) from a
source directory, on a compute target, in an environment.

``exp.submit(config)`` checks the script exists, snapshots the source directory (see
:mod:`mlyard.sdk.snapshots` for the ignore rules and limits), then queues the run and answers
it (Queued): ``run.wait_for_completion(show_output=True)`` streams its output.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.entities.compute import LOCAL_TARGET
from mlyard.core.entities.environments import is_curated_name
from mlyard.core.errors import ValidationError
from mlyard.sdk import snapshots

if TYPE_CHECKING:
    from mlyard.sdk.experiment import Experiment
    from mlyard.sdk.run import Run


class ScriptRunConfig:
    """What to run: ``script`` with ``arguments`` (or a ``command``) from ``source_directory``,
    on ``compute_target`` (default ``local``), in ``environment`` (default: the server's Python),
    stopped after ``max_run_duration_seconds`` if given."""

    def __init__(
        self,
        source_directory: str | os.PathLike[str] = ".",
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        run_config: Any = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Any = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        command: str | Sequence[Any] | None = None,
        docker_runtime_config: Any = None,
    ) -> None:
        for name, value in (
            ("run_config", run_config),
            ("distributed_job_config", distributed_job_config),
            ("resume_from", resume_from),
            ("docker_runtime_config", docker_runtime_config),
        ):
            if value is not None:
                raise ValidationError(
                    f"ScriptRunConfig's {name} is not supported by mlyard yet: leave it out.", target=name
                )
        if (script is None) == (command is None):
            raise ValidationError("ScriptRunConfig takes a script (with arguments) or a command: give exactly one.")
        if command is not None and arguments:
            raise ValidationError("A command carries its own arguments: put them into the command.", target="arguments")
        if max_run_duration_seconds is not None and max_run_duration_seconds < 1:
            raise ValidationError("max_run_duration_seconds must be at least 1.", target="max_run_duration_seconds")
        self.source_directory = str(source_directory)
        self.script = script
        # Datasets given as arguments (as_named_input(...).as_mount()) are the job's inputs too.
        self.input_datasets = [a._to_input() for a in arguments or [] if hasattr(a, "_to_input")]
        self.arguments = [str(a) for a in arguments or []]
        self.command = command if command is None or isinstance(command, str) else shlex.join(map(str, command))
        self.compute_target = compute_target
        self.environment = environment
        self.max_run_duration_seconds = max_run_duration_seconds

    @property
    def target(self) -> str:
        """The compute target's name (Azure's ``run_config.target``)."""
        target = self.compute_target
        if target is None:
            return LOCAL_TARGET
        return str(getattr(target, "name", target))

    def environment_reference(self) -> str | None:
        """``name``, ``name:version``, or None for the server's own Python."""
        env = self.environment
        if env is None:
            return None
        if isinstance(env, str):
            return env
        name = getattr(env, "name", None)
        if not isinstance(name, str):
            raise ValidationError("environment is an Environment or a 'name[:version]' string.", target="environment")
        version = getattr(env, "version", None)
        return f"{name}:{version}" if version else name

    def check(self) -> Path:
        """The source directory, after checking that it and the script exist (before any upload)."""
        source = Path(self.source_directory).expanduser().resolve()
        if not source.is_dir():
            raise ValidationError(f"The source directory '{source}' does not exist or is not a folder.")
        if self.script is not None and not (source / self.script).is_file():
            raise ValidationError(
                f"The script '{self.script}' was not found in the source directory '{source}': the script's path "
                "is relative to source_directory.",
                target="script",
            )
        return source

    def to_body(self, snapshot_id: str, tags: Mapping[str, str] | None, display_name: str | None) -> dict[str, Any]:
        return {
            "snapshotId": snapshot_id,
            "computeTarget": self.target,
            "script": self.script,
            "arguments": self.arguments,
            "command": self.command,
            "environment": self.environment_reference(),
            "maxRunDurationSeconds": self.max_run_duration_seconds,
            "tags": dict(tags) if tags else None,
            "displayName": display_name,
            "inputDatasets": self.input_datasets,
        }


def submit(
    experiment: Experiment,
    config: ScriptRunConfig,
    tags: Mapping[str, str] | None = None,
    display_name: str | None = None,
    output_folders: Sequence[str] = (),
) -> Run:
    """Snapshot the source directory and queue the run; answers the Queued run."""
    from mlyard.sdk.run import Run

    if not isinstance(config, ScriptRunConfig):
        raise ValidationError(
            f"mlyard submits a ScriptRunConfig for now, not a {type(config).__name__}.", target="config"
        )
    source = config.check()
    _register_if_new(experiment, config.environment)
    client = experiment.workspace._client
    snapshot = snapshots.upload(client, experiment.workspace._path, source)
    body = config.to_body(snapshot["snapshotId"], tags, display_name)
    body["outputFolders"] = list(output_folders)
    made = client.post(f"{experiment._path}/jobs", body)
    return Run(experiment, made["run"]["runId"], _details=made["run"])


def _register_if_new(experiment: Experiment, env: Any) -> None:
    """An ``Environment`` built in the script and never registered is registered at submit, as
    Azure does (the same definition again finds its existing version); curated ones exist already."""
    register = getattr(env, "register", None)
    name = getattr(env, "name", None)
    unregistered = getattr(env, "version", None) is None
    if callable(register) and unregistered and isinstance(name, str) and not is_curated_name(name):
        register(experiment.workspace)
