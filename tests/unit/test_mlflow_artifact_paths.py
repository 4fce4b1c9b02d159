"""MLflow artifact paths: '{experiment_id}/{run_id}/artifacts/{name}' split into a run and a file name."""

from __future__ import annotations

import pytest

from mlyard.core.errors import InvalidFileName, ValidationError
from mlyard.services.mlflow_artifacts import ArtifactPath, parse_artifact_path

RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"7/{RUN}/artifacts/model.pkl", "model.pkl"),
        (f"7/{RUN}/artifacts/outputs/deep/er/x.bin", "outputs/deep/er/x.bin"),
        (f"7/{RUN}/artifacts/données ü [1].txt", "données ü [1].txt"),
    ],
)
def test_a_file_path_names_the_run_and_the_file(path: str, name: str) -> None:
    assert parse_artifact_path(path, file=True) == ArtifactPath("7", RUN, name)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"7/{RUN}/artifacts", ""),
        (f"7/{RUN}/artifacts/", ""),
        (f"7/{RUN}/artifacts/plots", "plots"),
        (f"7/{RUN}/artifacts/plots/", "plots"),
        (f"7/{RUN}/artifacts/plots/2024", "plots/2024"),
    ],
)
def test_a_folder_path_may_be_the_root_or_end_with_a_slash(path: str, name: str) -> None:
    assert parse_artifact_path(path, file=False) == ArtifactPath("7", RUN, name)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "7",
        f"7/{RUN}",
        f"7/{RUN}/artifact/x",
        f"7/{RUN}/models/x",
        f"/7/{RUN}/artifacts/x",
        f"7//{RUN}/artifacts/x",
        f"/{RUN}/artifacts/x",
        "7/models/m-123/artifacts/MLmodel",
    ],
)
def test_paths_outside_a_runs_artifacts_are_refused(path: str) -> None:
    for file in (True, False):
        with pytest.raises(ValidationError, match="mlyard serves run artifacts") as caught:
            parse_artifact_path(path, file=file)
        assert caught.value.status == 400 and caught.value.target == "path"


@pytest.mark.parametrize(
    "name",
    ["../x", "a/../../b", "..", "a/..", "/etc/passwd", "a//b", "a\\b", "./a", "nul\x00", ".~mlyard-1.part", "x" * 901],
)
def test_names_that_leave_the_runs_folder_are_refused(name: str) -> None:
    with pytest.raises(InvalidFileName, match="Invalid run file name"):
        parse_artifact_path(f"7/{RUN}/artifacts/{name}", file=True)
    with pytest.raises(InvalidFileName):
        parse_artifact_path(f"7/{RUN}/artifacts/{name}", file=False)


def test_a_file_path_needs_a_file_name() -> None:
    for path in (f"7/{RUN}/artifacts", f"7/{RUN}/artifacts/", f"7/{RUN}/artifacts/plots/"):
        with pytest.raises(InvalidFileName):
            parse_artifact_path(path, file=True)
