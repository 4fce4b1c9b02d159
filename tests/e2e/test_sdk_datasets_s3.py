"""Datasets whose files live on an S3 datastore (moto's server on 127.0.0.1): registered, read,
profiled and downloaded through the session's server, a file changed in the bucket behind
mlyard's back detected, and a job reading both as its inputs."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from tests.fixtures.moto import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, MotoS3
from tests.fixtures.server import RunningServer

from mlyard import Dataset, Datastore, Experiment, ScriptRunConfig, Workspace
from mlyard.core.errors import DatasetFilesChanged

CSV = "id,city,score\n1,oslo,1.5\n2,rome,2.5\n3,oslo,\n"
SCRIPT = """
    import os, sys
    from mlyard import Run
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    print("files:", sorted(os.listdir(args["--files"])))
    print("rows:", len(Run.get_context().input_datasets["table"].to_pandas_dataframe()))
"""


def test_datasets_on_an_s3_datastore(server_env: RunningServer, moto_server: MotoS3, tmp_path: Path) -> None:
    name = f"s3ds-{uuid.uuid4().hex[:8]}"
    ws = Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)
    bucket = moto_server.create_bucket()
    lake = Datastore.register_s3(
        ws, "lake", bucket, "raw", moto_server.endpoint_url, ACCESS_KEY_ID, SECRET_ACCESS_KEY, region=REGION
    )
    (tmp_path / "up" / "tables").mkdir(parents=True)
    (tmp_path / "up" / "tables" / "a.csv").write_text(CSV)
    (tmp_path / "up" / "tables" / "b.csv").write_text("id,city,score\n4,lima,4.0\n")
    (tmp_path / "up" / "files" / "x").mkdir(parents=True)
    (tmp_path / "up" / "files" / "x" / "1.bin").write_bytes(b"one")
    (tmp_path / "up" / "files" / "2.bin").write_bytes(b"two")
    lake.upload(str(tmp_path / "up"), show_progress=False)
    keys = sorted(o["Key"] for o in moto_server.client().list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["raw/files/2.bin", "raw/files/x/1.bin", "raw/tables/a.csv", "raw/tables/b.csv"]

    table = Dataset.Tabular.from_delimited_files((lake, "tables/*.csv")).register(ws, "s3_table")
    frame = table.to_pandas_dataframe()
    assert sorted(frame["id"]) == [1, 2, 3, 4] and frame["score"].isna().sum() == 1
    profile = table.get_profile()
    assert profile.row_count == 4 and profile["city"]["topValues"][0] == {"value": "oslo", "count": 2}
    assert profile["score"]["missing"] == 1 and profile["score"]["max"] == 4.0
    assert table.filter(table["city"] == "oslo").to_pandas_dataframe()["id"].tolist() == [1, 3]

    files = Dataset.File.from_files((lake, "files/**")).register(ws, "s3_files")
    assert sorted(files.to_path()) == ["/2.bin", "/x/1.bin"]
    got = files.download(tmp_path / "down")
    assert sorted(Path(p).read_bytes() for p in got) == [b"one", b"two"]
    with files.mount() as mounted:
        assert (Path(mounted.mount_point) / "x" / "1.bin").read_bytes() == b"one"

    # A job reads both: the server copies the files out of the bucket before the script starts.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(textwrap.dedent(SCRIPT))
    config = ScriptRunConfig(
        source_directory=str(tmp_path / "src"),
        script="job.py",
        arguments=["--files", files.as_named_input("files").as_download(), "--table", table.as_named_input("table")],
    )
    run = Experiment(ws, "s3-inputs").submit(config)
    details = run.wait_for_completion(raise_on_error=False)
    log = run.read_log()["content"]
    assert details["status"] == "Completed", log
    assert "files: ['2.bin', 'x']" in log and "rows: 4" in log

    # Changed in the bucket by another tool: every read of the version says which file and how.
    moto_server.client().put_object(Bucket=bucket, Key="raw/tables/b.csv", Body=b"id,city,score\n4,lima,9.0\n")
    with pytest.raises(DatasetFilesChanged, match=r"tables/b\.csv"):
        table.to_pandas_dataframe()
    assert files.download(tmp_path / "again")  # its files did not change
