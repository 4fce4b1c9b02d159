"""Notebooks as workspace assets: the workspace's notebooks folder, shared by its instances.

``Notebook.list(ws)``, ``Notebook.upload(ws, "train.ipynb", name="exp/train.ipynb")``,
``Notebook.download(ws, "exp/train.ipynb", "local/")``, ``Notebook.delete(ws, name)``; and
``Notebook.run(ws, name, compute_target="local", parameters={"lr": 0.1})``, which submits the
notebook as a job (``python -m mlyard.notebook_runner``) and answers its ``Run``: the executed
copy is the run's file ``outputs/<name>``.
"""

from __future__ import annotations

import builtins
import json
import posixpath
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import InvalidFileName
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.sdk.transfers import get_to_path, put_path, quote_name

if TYPE_CHECKING:
    from mlyard.sdk.compute import ComputeTarget
    from mlyard.sdk.environment import Environment
    from mlyard.sdk.run import Run
    from mlyard.sdk.workspace import Workspace


def check_name(name: object) -> str:
    """The server's rule, checked before a byte is sent (a '..' would not even reach the route)."""
    problem = file_name_problem(name, "the notebooks folder")
    if problem is None and isinstance(name, str) and any(p.startswith(".") for p in name.split("/")):
        problem = "hidden names (a segment starting with '.') belong to the instances"
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem, "notebook"), target="name")
    assert isinstance(name, str)
    return name


def _path(workspace: Workspace, name: str | None = None) -> str:
    base = workspace._path + "/notebooks"
    return f"{base}/{quote_name(check_name(name))}" if name else base


class Notebook:
    """The notebooks folder of a workspace (static methods, as ``Datastore``'s getters)."""

    @staticmethod
    def list(workspace: Workspace, folder: str = "") -> builtins.list[dict[str, Any]]:
        """Its files (``name``, ``size``, ``modifiedUtc``), hidden ones left out."""
        found: builtins.list[dict[str, Any]] = workspace._client.get(_path(workspace), folder=folder or None)["value"]
        return found

    @staticmethod
    def upload(
        workspace: Workspace, path: str | Path, name: str | None = None, overwrite: bool = False
    ) -> dict[str, Any]:
        """Upload the local file ``path`` as ``name`` (default: its file name)."""
        local = Path(path)
        return put_path(workspace._client, _path(workspace, name or local.name), local, overwrite=overwrite)

    @staticmethod
    def download(workspace: Workspace, name: str, target_path: str | Path = ".", overwrite: bool = False) -> Path:
        """Download ``name`` into the folder ``target_path``; answers the file's path."""
        target = Path(target_path) / posixpath.basename(name)
        if target.exists() and not overwrite:
            raise FileExistsError(f"'{target}' already exists: pass overwrite=True (--overwrite) to replace it.")
        return get_to_path(workspace._client, _path(workspace, name), target, name)

    @staticmethod
    def delete(workspace: Workspace, name: str) -> None:
        workspace._client.delete(_path(workspace, name))

    @staticmethod
    def run(
        workspace: Workspace,
        name: str,
        compute_target: str | ComputeTarget = "local",
        parameters: dict[str, Any] | None = None,
        experiment_name: str = "notebooks",
        environment: str | Environment | None = None,
        tags: dict[str, str] | None = None,
    ) -> Run:
        """Run the workspace's notebook ``name`` as a job; the executed copy is ``outputs/<its name>``."""
        from mlyard.sdk.experiment import Experiment
        from mlyard.sdk.script_run_config import ScriptRunConfig

        base = posixpath.basename(name)
        with tempfile.TemporaryDirectory(prefix="mlyard-notebook-") as folder:
            Notebook.download(workspace, name, folder)
            Path(folder, "parameters.json").write_text(json.dumps(parameters or {}))
            command = [
                "python", "-m", "mlyard.notebook_runner", base,
                "--parameters", "parameters.json", "--output", f"outputs/{base}",
            ]  # fmt: skip
            config = ScriptRunConfig(
                source_directory=folder, command=command, compute_target=compute_target, environment=environment
            )
            return Experiment(workspace, experiment_name).submit(config, tags={"notebook": name, **(tags or {})})
