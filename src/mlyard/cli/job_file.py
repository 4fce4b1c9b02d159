"""``mlyard job create -f job.yml``: Azure ML v2's command job file, read into a submission.

Supported keys: ``command`` (required; ``${{inputs.NAME}}`` and ``${{outputs.NAME}}`` are
replaced), ``code`` (the source directory, relative to the file; default: the file's
folder), ``environment`` (``name``, ``name:version``, ``name@latest``, with or without
``azureml:``), ``compute`` (``local`` or ``azureml:NAME``), ``inputs`` (literal values, or
``{type, default|value}``; or a registered dataset: ``{type: uri_folder | mltable, path:
azureml:NAME:VERSION | azureml:NAME@latest | NAME, mode: ro_mount | download}``, made local
before the job starts exactly as ``dataset.as_named_input(NAME).as_mount()`` in a
``ScriptRunConfig``, its ``${{inputs.NAME}}`` the folder), ``outputs`` (each becomes the folder
``outputs/NAME``, made before the job starts and uploaded with the run's outputs),
``experiment_name``, ``display_name``, ``tags``, ``limits.timeout`` (seconds), and the
informational ``$schema``, ``type: command``, ``name``, ``description``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlyard.core.errors import ValidationError
from mlyard.sdk.dataset_inputs import PLACEHOLDER

KNOWN = {
    "$schema", "type", "name", "description", "command", "code", "environment", "compute", "inputs",
    "outputs", "experiment_name", "display_name", "tags", "limits",
}  # fmt: skip
_REFERENCE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")
_DATA_TYPES = {"uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model"}
_DATASET_TYPES = {"uri_folder", "mltable"}  # a registered dataset, made a local folder
_MODES = {None: "mount", "ro_mount": "mount", "mount": "mount", "download": "download"}
_DATASET_REF = re.compile(r"^(?P<name>[^:@/]+)(?:(?::|@)(?P<version>\d+|latest))?$")
_SDK_WAY = (
    "register the data as a dataset and give 'path: azureml:NAME:VERSION', or use the SDK: "
    "ScriptRunConfig(arguments=[Dataset.get_by_name(ws, NAME).as_named_input(INPUT).as_mount()])"
)


@dataclass(frozen=True)
class JobFile:
    command: str
    code: Path
    environment: str | None
    compute: str
    experiment_name: str | None
    display_name: str | None
    tags: dict[str, str] = field(default_factory=dict)
    output_folders: tuple[str, ...] = ()
    timeout: int | None = None
    # The job body's inputDatasets: {name, dataset, version, mode, transforms}.
    input_datasets: tuple[dict[str, Any], ...] = ()


def _fail(path: Path, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", target="file")


def _dataset_input(path: Path, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A data input read as a registered dataset, as ``as_named_input(name)`` would give it."""
    kind = spec.get("type", "uri_folder")
    if kind not in _DATASET_TYPES:
        raise _fail(path, f"data input '{name}' is a '{kind}': mlyard takes uri_folder or mltable; {_SDK_WAY}.")
    if not name.isidentifier():
        raise _fail(path, f"data input '{name}' must be named with letters, digits and underscores.")
    mode = spec.get("mode")
    if mode not in _MODES:
        raise _fail(
            path, f"data input '{name}' has mode '{mode}': mlyard takes ro_mount (a read-only copy) or download."
        )
    where = str(spec.get("path") or "")
    found = _DATASET_REF.match(where.removeprefix("azureml:"))
    if found is None or where.startswith(("azureml://", "http://", "https://", "wasbs://", "abfss://", "./", "/")):
        raise _fail(path, f"data input '{name}' has path '{where}', which is not a registered dataset; {_SDK_WAY}.")
    version = found.group("version")
    return {
        "name": name,
        "dataset": found.group("name"),
        "version": int(version) if version and version != "latest" else None,
        "mode": _MODES[mode],
        "transforms": [],
    }


def _input_value(path: Path, name: str, spec: Any) -> str:
    if isinstance(spec, dict):
        if spec.get("type") in _DATA_TYPES or "path" in spec:
            return PLACEHOLDER + name  # the backend puts the input's folder there
        for key in ("value", "default"):
            if key in spec:
                return str(spec[key])
        raise _fail(path, f"input '{name}' has no value (give 'value' or 'default').")
    if isinstance(spec, list):
        raise _fail(path, f"input '{name}' must be a single value.")
    return str(spec).lower() if isinstance(spec, bool) else str(spec)


def load(path: Path) -> JobFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"Cannot read the job file '{path}': {exc.strerror}.", target="file") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"The job file '{path}' is not valid YAML: {exc}", target="file") from None
    if not isinstance(data, dict):
        raise _fail(path, "a job file is a mapping with at least 'command'.")
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise _fail(path, f"unsupported key(s) {', '.join(unknown)}; mlyard reads {', '.join(sorted(KNOWN))}.")
    if data.get("type", "command") != "command":
        raise _fail(path, f"only command jobs can be created from a file, not '{data['type']}'.")
    command = data.get("command")
    if not isinstance(command, str) or not command.strip():
        raise _fail(path, "'command' is required: the shell command line the job runs.")
    inputs = data.get("inputs") or {}
    outputs = data.get("outputs") or {}
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        raise _fail(path, "'inputs' and 'outputs' are mappings of names.")
    values = {name: _input_value(path, name, spec) for name, spec in inputs.items()}
    datasets = tuple(
        _dataset_input(path, str(name), spec)
        for name, spec in inputs.items()
        if isinstance(spec, dict) and (spec.get("type") in _DATA_TYPES or "path" in spec)
    )

    def replace(match: re.Match[str]) -> str:
        kind, name = match.groups()
        if kind == "inputs":
            if name not in values:
                raise _fail(path, f"the command uses ${{{{inputs.{name}}}}}, which 'inputs' does not define.")
            return shlex.quote(values[name])
        if name not in outputs:
            raise _fail(path, f"the command uses ${{{{outputs.{name}}}}}, which 'outputs' does not define.")
        return f"outputs/{name}"

    limits = data.get("limits") or {}
    timeout = limits.get("timeout") if isinstance(limits, dict) else None
    if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
        raise _fail(path, "'limits.timeout' is a number of seconds (1 or more).")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        raise _fail(path, "'tags' is a mapping.")
    code = path.parent / str(data.get("code") or ".")
    compute = str(data.get("compute") or "local").removeprefix("azureml:")
    environment = data.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise _fail(path, "'environment' names a registered environment (name:version or name@latest).")
    return JobFile(
        command=_REFERENCE.sub(replace, command.strip()),
        code=code,
        environment=environment.removeprefix("azureml:") if environment else None,
        compute=compute,
        experiment_name=data.get("experiment_name"),
        display_name=data.get("display_name"),
        tags={str(k): str(v) for k, v in tags.items()},
        output_folders=tuple(f"outputs/{name}" for name in outputs),
        timeout=timeout,
        input_datasets=datasets,
    )
