"""Dataset sources beyond plain CSV through the services: JSON lines, includePath,
setColumnTypes (delimited, JSON lines and Parquet), a version's files page by page; bad options
refused with nothing registered."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import InvalidDatasetDefinition
from mlyard.services import dataset_data, datasets, datastore_files, subscriptions, workspaces
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")
STORE = "workspaceblobstore"


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    for name, text in {
        "d/a.csv": "id,code\n1,007\n2,010\n",
        "d/b.csv": "id,code\n3,100\n",
        "j/rows.jsonl": '{"id": 1, "tags": ["x"], "v": 2.5}\n{"id": 2, "tags": [], "v": null}\n',
    }.items():
        datastore_files.upload(platform, *WS, STORE, name, [text.encode()])
    return platform


def source(path: str, fmt: str = "delimited", **options: Any) -> dict[str, Any]:
    src = {"paths": [{"datastore": STORE, "path": path}], "format": fmt, **options}
    return {"datasetType": "tabular", "source": src, "transforms": []}


def rows(p: Platform, definition: dict[str, Any]) -> list[dict[str, Any]]:
    _, _, chunks = dataset_data.data(p, WS, definition)
    out: list[dict[str, Any]] = pa.ipc.open_stream(pa.py_buffer(b"".join(chunks))).read_all().to_pylist()
    return out


def test_include_path_and_set_column_types(p: Platform, admin: Principal) -> None:
    typed = source("d/*.csv", includePath=True, setColumnTypes={"code": "VARCHAR"})
    got = sorted(rows(p, typed), key=lambda r: r["id"])
    assert [(r["code"], r["Path"]) for r in got] == [("007", "d/a.csv"), ("010", "d/a.csv"), ("100", "d/b.csv")]
    version, _ = datasets.register(p, admin, *WS, "typed", typed)
    assert [(c.name, c.type) for c in version.columns] == [("id", "BIGINT"), ("code", "VARCHAR")]
    # A filter on the added column, and the profile over it.
    only_b = {"kind": "filter", "expression": {"op": "==", "args": [{"column": "Path"}, {"value": "d/b.csv"}]}}
    ref = {"datasetType": "tabular", "source": {"dataset": {"name": "typed", "version": 1}}, "transforms": [only_b]}
    assert [r["id"] for r in rows(p, ref)] == [3]
    made = dataset_data.profile(p, WS, {**ref, "transforms": []})
    assert {c["name"]: c["distinct"] for c in made["columns"]}["Path"] == 2


def test_json_lines(p: Platform) -> None:
    got = rows(p, source("j/*.jsonl", "jsonLines"))
    assert got == [{"id": 1, "tags": '["x"]', "v": 2.5}, {"id": 2, "tags": "[]", "v": None}]
    columns, _ = dataset_data.preview(p, WS, source("j/*.jsonl", "jsonLines", setColumnTypes={"id": "VARCHAR"}), 1)
    assert [(c.name, c.type) for c in columns] == [("id", "VARCHAR"), ("tags", "VARCHAR"), ("v", "DOUBLE")]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"setColumnTypes": {"code": "INTERVAL"}}, "cannot have type 'INTERVAL'"),
        ({"setColumnTypes": {"nope": "BIGINT"}}, "names column.*nope.*they have id, code"),
        ({"setColumnTypes": ["code"]}, "maps column names to types"),
        ({"includePath": "yes"}, "includePath is true or false"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_bad_source_options_register_nothing(
    p: Platform, admin: Principal, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidDatasetDefinition, match=message):
        datasets.register(p, admin, *WS, "bad", source("d/*.csv", **options))
    files = {"paths": [{"datastore": STORE, "path": "d/a.csv"}], "format": "files", "setColumnTypes": {"id": "BIGINT"}}
    with pytest.raises(InvalidDatasetDefinition, match="delimited, JSON-lines and Parquet"):
        datasets.register(p, admin, *WS, "bad", {"datasetType": "file", "source": files, "transforms": []})
    assert datasets.list_datasets(p, *WS) == []


def put_parquet(p: Platform) -> None:
    # Text that should be numbers and dates, as Parquet written by a careless tool holds it.
    table = pa.table({"id": [1, 2], "code": ["007", "010"], "when": ["2024-01-02", "2024-02-03"], "name": ["a", "b"]})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    datastore_files.upload(p, *WS, STORE, "q/t.parquet", [sink.getvalue().to_pybytes()])


def test_set_column_types_casts_parquet_columns_on_read(p: Platform, admin: Principal) -> None:
    put_parquet(p)
    typed = source("q/*.parquet", "parquet", includePath=True, setColumnTypes={"code": "BIGINT", "when": "DATE"})
    columns, _ = dataset_data.preview(p, WS, typed, 1)
    kinds = [(c.name, c.type) for c in columns]
    assert kinds == [("id", "BIGINT"), ("code", "BIGINT"), ("when", "DATE"), ("name", "VARCHAR"), ("Path", "VARCHAR")]
    got = rows(p, typed)
    assert [(r["code"], r["when"].isoformat(), r["Path"]) for r in got] == [
        (7, "2024-01-02", "q/t.parquet"), (10, "2024-02-03", "q/t.parquet")
    ]  # fmt: skip
    version, _ = datasets.register(p, admin, *WS, "typedq", typed)
    assert [(c.name, c.type) for c in version.columns][:3] == [("id", "BIGINT"), ("code", "BIGINT"), ("when", "DATE")]
    ref = {"datasetType": "tabular", "source": {"dataset": {"name": "typedq", "version": 1}}, "transforms": []}
    code = {c["name"]: c for c in dataset_data.profile(p, WS, ref)["columns"]}["code"]
    assert (code["type"], code["min"], code["max"], code["mean"]) == ("BIGINT", 7, 10, 8.5)


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ({"code": "INTERVAL"}, "cannot have type 'INTERVAL'"),
        ({"nope": "BIGINT"}, "names column.*nope.*they have id, code, when, name"),
        ({"name": "BIGINT"}, "cannot be read.*name.*set_column_types"),  # 'a' is no number
    ],
)
def test_bad_parquet_column_types_register_nothing(
    p: Platform, admin: Principal, types: dict[str, str], message: str
) -> None:
    put_parquet(p)
    with pytest.raises(InvalidDatasetDefinition, match=message):
        datasets.register(p, admin, *WS, "bad", source("q/t.parquet", "parquet", setColumnTypes=types))
    assert datasets.list_datasets(p, *WS) == []


def test_files_page_by_page(p: Platform, admin: Principal) -> None:
    datasets.register(p, admin, *WS, "many", source("d/*.csv"))
    ref = {"datasetType": "tabular", "source": {"dataset": {"name": "many", "version": 1}}, "transforms": []}
    first, _ = dataset_data.files(p, WS, ref, verify=True, start=0, count=1)
    rest, _ = dataset_data.files(p, WS, ref, verify=True, start=dataset_data.page_start(dataset_data.page_token(1)))
    assert [f.name for f in first.files] == ["d/a.csv"] and [f.name for f in rest.files] == ["d/b.csv"]
    for token in ("bogus!", dataset_data.page_token(1)[:-2] + "zz", "ZmlsZXM6LTE"):
        with pytest.raises(InvalidDatasetDefinition, match="continuation token"):
            dataset_data.page_start(token)
