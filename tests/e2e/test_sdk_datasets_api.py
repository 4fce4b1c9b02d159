"""Azure ML's other dataset calls through the SDK: include_path, set_column_types, validate,
JSON-lines files, register_pandas_dataframe, get_by_id, and a version's files page by page."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from tests.fixtures.server import RunningServer

from mlyard import Dataset, Workspace
from mlyard.core.errors import DatasetNotFound, InvalidDatasetDefinition, ValidationError
from mlyard.sdk.dataset import DataType


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"dsapi-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)


def test_delimited_options_and_json_lines(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.csv").write_text("id,code,when\n1,007,2024-01-02\n2,010,2024-02-03\n")
    (tmp_path / "t" / "b.csv").write_text("id,code,when\n3,100,2024-03-04\n")
    (tmp_path / "t" / "rows.jsonl").write_text(
        '{"id": 1, "name": "ann", "meta": {"x": 1}, "score": 1.5}\n'
        '{"id": 2, "name": "bob", "meta": null, "score": null}\n'
    )
    store.upload(str(tmp_path / "t"), target_path="t", show_progress=False)

    typed = Dataset.Tabular.from_delimited_files(
        (store, "t/*.csv"), include_path=True, set_column_types={"code": DataType.to_string(), "id": "float"}
    )
    frame = typed.to_pandas_dataframe().sort_values("id")
    assert list(frame.columns) == ["id", "code", "when", "Path"]
    assert frame["code"].tolist() == ["007", "010", "100"] and frame["id"].dtype.kind == "f"
    assert frame["Path"].tolist() == ["t/a.csv", "t/a.csv", "t/b.csv"]
    registered = typed.register(ws, "typed")
    assert [c["type"] for c in registered.get_details()["columns"]] == ["DOUBLE", "VARCHAR", "DATE"]
    assert registered.filter(registered["Path"] == "t/b.csv").to_pandas_dataframe()["code"].tolist() == ["100"]

    # validate=True (the default) reads the first rows at once: a bad column type fails here.
    with pytest.raises(InvalidDatasetDefinition, match=r"set_column_types names column.*nope"):
        Dataset.Tabular.from_delimited_files((store, "t/*.csv"), set_column_types={"nope": "int"})
    with pytest.raises(InvalidDatasetDefinition, match="cannot have type 'INTERVAL'"):
        Dataset.Tabular.from_delimited_files((store, "t/*.csv"), set_column_types={"id": DataType("INTERVAL")})
    with pytest.raises(ValidationError, match="not a column type"):
        Dataset.Tabular.from_delimited_files((store, "t/*.csv"), set_column_types={"id": object()})
    lazy = Dataset.Tabular.from_delimited_files((store, "t/nothing-*.csv"), validate=False)  # no call yet
    with pytest.raises(InvalidDatasetDefinition, match="matches"):
        lazy.to_pandas_dataframe()

    lines = Dataset.Tabular.from_json_lines_files((store, "t/rows.jsonl"), include_path=True)
    got = lines.to_pandas_dataframe()
    assert got["name"].tolist() == ["ann", "bob"] and got["Path"].tolist() == ["t/rows.jsonl"] * 2
    assert got["meta"].tolist()[0] == '{"x":1}' and pd.isna(got["score"].tolist()[1])
    profile = lines.register(ws, "lines").get_profile()
    assert profile.row_count == 2 and profile["score"]["missing"] == 1
    with pytest.raises(ValidationError, match="no SQL datastores"):
        Dataset.Tabular.from_sql_query(("sqlstore", "SELECT 1"))
    assert set(Dataset.get_all(ws)) == {"typed", "lines"}


def test_register_pandas_dataframe_get_by_id_and_file_pages(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    made = Dataset.Tabular.register_pandas_dataframe(frame, (store, "frames"), "frame", tags={"k": "v"})
    assert (made.name, made.version, made.tags) == ("frame", 1, {"k": "v"})
    assert made.to_pandas_dataframe().equals(frame)
    again = Dataset.Tabular.register_pandas_dataframe(frame.head(1), store, "frame")
    assert again.version == 2 and len(again.to_pandas_dataframe()) == 1

    found = Dataset.get_by_id(ws, made.id)
    assert (found.name, found.version) == ("frame", 1)
    with pytest.raises(DatasetNotFound):
        Dataset.get_by_id(ws, made.id.replace("/versions/1", "/versions/9"))
    with pytest.raises(ValidationError, match="not a dataset version's id"):
        Dataset.get_by_id(ws, "frame")

    (tmp_path / "many").mkdir()
    for i in range(5):
        (tmp_path / "many" / f"{i}.txt").write_text(str(i))
    store.upload(str(tmp_path / "many"), target_path="many", show_progress=False)
    files = Dataset.File.from_files((store, "many/*.txt")).register(ws, "many")
    pages = list(files.iter_file_pages(page_size=2, verify=True))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(f["name"] for p in pages for f in p) == [f"many/{i}.txt" for i in range(5)]
    assert sorted(files.to_path()) == [f"/{i}.txt" for i in range(5)]
    http = ws._client
    path = f"{ws._path}/datasets/many/versions/1/files"
    with pytest.raises(InvalidDatasetDefinition, match="continuation token"):
        http.get(path, pageSize=2, continuationToken="bogus!")
    assert http.get(path)["nextContinuationToken"] is None and http.get(path)["total"] == 5


def test_parquet_set_column_types(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    (tmp_path / "q").mkdir()
    pd.DataFrame({"id": [1, 2], "code": ["007", "010"], "when": ["2024-01-02", "2024-02-03"]}).to_parquet(
        tmp_path / "q" / "t.parquet", index=False
    )
    store.upload(str(tmp_path / "q"), target_path="q", show_progress=False)

    typed = Dataset.Tabular.from_parquet_files(
        (store, "q/t.parquet"), set_column_types={"code": "int", "when": DataType.to_date()}
    )
    frame = typed.to_pandas_dataframe()
    assert frame["code"].tolist() == [7, 10] and frame["code"].dtype.kind == "i"
    assert [str(d) for d in frame["when"]] == ["2024-01-02", "2024-02-03"]
    registered = typed.register(ws, "typedq")
    assert [c["type"] for c in registered.get_details()["columns"]] == ["BIGINT", "BIGINT", "DATE"]
    assert registered.get_profile()["code"]["max"] == 10

    with pytest.raises(ValidationError, match="not a column type"):  # refused before any request
        Dataset.Tabular.from_parquet_files((store, "q/t.parquet"), set_column_types={"code": "complex"})
    with pytest.raises(InvalidDatasetDefinition, match="cannot have type 'INTERVAL'"):
        Dataset.Tabular.from_parquet_files((store, "q/t.parquet"), set_column_types={"code": DataType("INTERVAL")})
    unchecked = Dataset.Tabular.from_parquet_files(
        (store, "q/t.parquet"), set_column_types={"code": DataType("BLOB")}, validate=False
    )
    with pytest.raises(InvalidDatasetDefinition, match="cannot have type 'BLOB'"):
        unchecked.register(ws, "badq")
    assert set(Dataset.get_all(ws)) == {"typedq"}
