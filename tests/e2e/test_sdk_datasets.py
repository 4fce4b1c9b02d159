"""Datasets through the SDK against the session's server: tabular and file datasets, versions,
reads and profiles on the server, changed files, and datasets as the inputs of a job (lineage
both ways)."""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import pytest
from tests.fixtures.server import RunningServer

from mlyard import Dataset, Experiment, ScriptRunConfig, Workspace
from mlyard.core.errors import DatasetAlreadyExists, DatasetFilesChanged, DatasetNotFound, InvalidDatasetDefinition

SUB = "default"
CSV = "id,age,name,score\n1,25,ann,1.5\n2,31,bob,2.5\n3,47,cy,\n4,31,dee,4.0\n"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"data-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def test_tabular_datasets(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "a.csv").write_text(CSV)
    local = Dataset.Tabular.from_delimited_files(str(tmp_path / "people"), workspace=ws, show_progress=False)
    people = local.register(ws, "people", description="four people", tags={"team": "x"})
    assert (people.name, people.version, people.tags) == ("people", 1, {"team": "x"})
    assert people.register(ws, "people").version == 1  # the same again: the same version

    frame = Dataset.get_by_name(ws, "people").to_pandas_dataframe()
    assert list(frame.columns) == ["id", "age", "name", "score"] and frame["age"].sum() == 134
    older = people.filter(people["age"] > 30).keep_columns(["name", "age"])
    assert older.to_pandas_dataframe().to_dict("records") == [
        {"name": "bob", "age": 31}, {"name": "cy", "age": 47}, {"name": "dee", "age": 31},
    ]  # fmt: skip
    assert list(people.filter("name == 'cy' or score is null").to_pandas_dataframe()["id"]) == [3]
    assert list(people.skip(1).take(2).drop_columns("score").to_pandas_dataframe().columns) == ["id", "age", "name"]
    train, test = people.random_split(0.5, seed=3)
    ids = sorted([*train.to_pandas_dataframe()["id"], *test.to_pandas_dataframe()["id"]])
    assert ids == [1, 2, 3, 4]

    profile = people.get_profile()
    assert profile.row_count == 4 and profile["age"]["max"] == 47 and profile["score"]["missing"] == 1
    assert profile["age"]["topValues"][0] == {"value": 31, "count": 2}
    assert older.get_profile().row_count == 3
    assert people.preview(2)["rows"][1][2] == "bob"

    # A new file under the same glob: a new version only when asked; version 1 still reads 4 rows.
    store = ws.get_default_datastore()
    folder = people.definition["source"]["paths"][0]["path"].removesuffix("/**")
    (tmp_path / "b.csv").write_text("id,age,name,score\n5,52,eve,5.5\n")
    store.upload_files([str(tmp_path / "b.csv")], target_path=folder, show_progress=False)
    with pytest.raises(DatasetAlreadyExists, match="create_new_version"):
        local.register(ws, "people")
    v2 = local.register(ws, "people", create_new_version=True)
    assert v2.version == 2 and len(v2.to_pandas_dataframe()) == 5
    assert len(Dataset.get_by_name(ws, "people", version=1).to_pandas_dataframe()) == 4
    assert [d.version for d in Dataset.list_versions(ws, "people")] == [1, 2]
    assert set(Dataset.get_all(ws)) == {"people"} and ws.datasets["people"].version == 2

    # Changing a pinned file is detected and reported, naming it.
    (tmp_path / "b.csv").write_text("id,age,name,score\n5,99,eve,5.5\n")
    store.upload_files([str(tmp_path / "b.csv")], target_path=folder, overwrite=True, show_progress=False)
    with pytest.raises(DatasetFilesChanged, match=r"b\.csv' \(content changed\)"):
        v2.to_pandas_dataframe()
    assert len(Dataset.get_by_name(ws, "people", 1).to_pandas_dataframe()) == 4  # its files did not change


def test_bad_input_is_refused_clearly(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,4\n5,6,7\n")
    store.upload_files([str(tmp_path / "bad.csv")], target_path="raw", show_progress=False)
    with pytest.raises(InvalidDatasetDefinition, match=r"Line: 4.*raw/bad\.csv"):
        Dataset.Tabular.from_delimited_files((store, "raw/bad.csv")).register(ws, "bad")
    with pytest.raises(InvalidDatasetDefinition, match="No file of datastore 'workspaceblobstore' matches"):
        Dataset.Tabular.from_delimited_files((store, "raw/*.parquet")).register(ws, "none")
    with pytest.raises(DatasetNotFound, match="Version 7 of dataset 'bad'"):
        Dataset.get_by_name(ws, "bad", version=7)
    assert Dataset.get_all(ws) == {}
    with pytest.raises(InvalidDatasetDefinition, match="nope"):
        Dataset.Tabular.from_delimited_files(
            (store, "raw/bad.csv"), infer_column_types=False, validate=False
        ).keep_columns("nope").to_pandas_dataframe()
    with pytest.raises(FileNotFoundError):
        Dataset.File.from_files(str(tmp_path / "missing"), workspace=ws)


def test_file_datasets_download_mount(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    (tmp_path / "imgs" / "x").mkdir(parents=True)
    (tmp_path / "imgs" / "x" / "1.bin").write_bytes(b"one")
    (tmp_path / "imgs" / "2.bin").write_bytes(b"two")
    store.upload(str(tmp_path / "imgs"), target_path="imgs", show_progress=False)
    images = Dataset.File.from_files((store, "imgs/**")).register(ws, "images")
    assert sorted(images.to_path()) == ["/2.bin", "/x/1.bin"]
    got = images.download(tmp_path / "out")
    assert sorted(Path(p).read_bytes() for p in got) == [b"one", b"two"]
    with pytest.raises(FileExistsError):
        images.download(tmp_path / "out")
    with images.mount() as mounted:
        root = Path(mounted.mount_point)
        assert (root / "x" / "1.bin").read_bytes() == b"one"
        assert not os.access(root / "x" / "1.bin", os.W_OK) or os.geteuid() == 0
        assert oct((root / "x" / "1.bin").stat().st_mode)[-3:] == "444"
    assert not root.exists()


SCRIPT = """
    import os, sys
    from mlyard import Run
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    run = Run.get_context()
    inputs = run.input_datasets
    print("images:", sorted(os.listdir(args["--images"])), inputs["images"] == args["--images"])
    print("mode:", oct(os.stat(os.path.join(args["--images"], "a.txt")).st_mode)[-3:])
    print("table:", sorted(os.listdir(args["--table"])))
    print("rows:", len(inputs["table"].to_pandas_dataframe()))
"""


def test_datasets_as_job_inputs_and_lineage(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("A")
    (tmp_path / "files" / "t.csv").write_text(CSV)
    store.upload(str(tmp_path / "files"), target_path="in", show_progress=False)
    images = Dataset.File.from_files((store, "in/a.txt")).register(ws, "images")
    table = Dataset.Tabular.from_delimited_files((store, "in/t.csv")).register(ws, "table")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(textwrap.dedent(SCRIPT))
    config = ScriptRunConfig(
        source_directory=str(tmp_path / "src"),
        script="job.py",
        arguments=[
            "--images", images.as_named_input("images").as_mount(),
            "--table", table.take(2).as_named_input("table").as_download(),
        ],
    )  # fmt: skip
    run = Experiment(ws, "with-data").submit(config)
    details = run.wait_for_completion(raise_on_error=False)
    log = run.read_log()["content"]
    assert details["status"] == "Completed", log
    assert "images: ['a.txt'] True" in log and "mode: 444" in log
    assert "table: ['t.csv']" in log and "rows: 2" in log
    inputs = {i["name"]: i for i in details["inputDatasets"]}
    assert (inputs["images"]["dataset"], inputs["images"]["version"], inputs["images"]["mode"]) == (
        "images",
        1,
        "mount",
    )
    assert inputs["table"]["transforms"] == [{"kind": "take", "count": 2}]
    assert [r.id for r in images.get_runs()] == [run.id] and [r.id for r in table.get_runs()] == [run.id]
    assert set(run.input_datasets) == {"images", "table"}
