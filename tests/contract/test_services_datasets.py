"""Datasets through their services, on SQLite and PostgreSQL: registering pins files, versions,
reading (data, preview, profile) with DuckDB, changed files detected, and bad input refused
with nothing registered."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa
import pytest
import xxhash
from sqlalchemy import select

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    DatasetAlreadyExists,
    DatasetFilesChanged,
    DatasetNotFound,
    DatastoreNotFound,
    InvalidDatasetDefinition,
    InvalidName,
)
from mlyard.services import dataset_data, datasets, datastore_files, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.datasets import DatasetVersionRow

WS = ("sub1", "rg1", "ws1")
STORE = "workspaceblobstore"
CSV = "id,age,name,score\n1,25,ann,1.5\n2,31,bob,2.5\n3,47,cy,\n4,31,dee,4.0\n"


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    return platform


def put(p: Platform, name: str, text: str, *, overwrite: bool = False) -> None:
    datastore_files.upload(p, *WS, STORE, name, [text.encode()], overwrite=overwrite)


def tabular(path: str, **options: Any) -> dict[str, Any]:
    source = {"paths": [{"datastore": STORE, "path": path}], "format": "delimited", **options}
    return {"datasetType": "tabular", "source": source, "transforms": []}


def ref(name: str, version: int | None = None, *transforms: dict[str, Any]) -> dict[str, Any]:
    return {
        "datasetType": "tabular",
        "source": {"dataset": {"name": name, "version": version}},
        "transforms": [*transforms],
    }


def rows(p: Platform, definition: dict[str, Any]) -> list[dict[str, Any]]:
    _, _, chunks = dataset_data.data(p, WS, definition)
    table = pa.ipc.open_stream(pa.py_buffer(b"".join(chunks))).read_all()
    out: list[dict[str, Any]] = table.to_pylist()
    return out


def test_register_pins_files_and_versions_are_immutable(p: Platform, admin: Principal) -> None:
    put(p, "people/a.csv", CSV)
    put(p, "people/b.csv", "id,age,name,score\n5,52,eve,5.5\n")
    put(p, "people/notes.txt", "not data")
    v1, created = datasets.register(p, admin, *WS, "people", tabular("people/*.csv"), tags={"team": "x"})
    assert created and v1.version == 1 and [f.name for f in v1.files] == ["people/a.csv", "people/b.csv"]
    assert [f.digest() for f in v1.files] == [
        ("xxh128", xxhash.xxh3_128(CSV.encode()).hexdigest()),
        ("xxh128", xxhash.xxh3_128(b"id,age,name,score\n5,52,eve,5.5\n").hexdigest()),
    ]
    assert v1.tags == {"team": "x"}
    assert [(c.name, c.type) for c in v1.columns] == [
        ("id", "BIGINT"), ("age", "BIGINT"), ("name", "VARCHAR"), ("score", "DOUBLE"),
    ]  # fmt: skip
    # The same definition over the same files answers the version; another one is refused.
    again, created = datasets.register(p, admin, *WS, "PEOPLE", tabular("people/*.csv"))
    assert not created and again.id == v1.id
    with pytest.raises(DatasetAlreadyExists, match="another definition"):
        datasets.register(p, admin, *WS, "people", tabular("people/a.csv"))
    put(p, "people/c.csv", "id,age,name,score\n6,60,fay,6.0\n")
    with pytest.raises(DatasetAlreadyExists, match="files changed"):
        datasets.register(p, admin, *WS, "people", tabular("people/*.csv"))
    v2, created = datasets.register(p, admin, *WS, "people", tabular("people/*.csv"), create_new_version=True)
    assert created and v2.version == 2 and len(v2.files) == 3
    assert [v.version for v in datasets.list_versions(p, *WS, "people")] == [1, 2]
    assert datasets.get_version(p, *WS, "people").version == 2
    (listed,) = datasets.list_datasets(p, *WS)
    assert listed.latest.version == 2 and listed.version_count == 2
    # Version 1 still reads its own two files.
    assert [r["id"] for r in rows(p, ref("people", 1))] == [1, 2, 3, 4, 5]
    assert len(rows(p, ref("people"))) == 6


def test_transformations_apply_on_the_server(p: Platform, admin: Principal) -> None:
    put(p, "t.csv", CSV)
    datasets.register(p, admin, *WS, "t", tabular("t.csv"))
    older = {"kind": "filter", "expression": {"op": ">", "args": [{"column": "age"}, {"value": 30}]}}
    got = rows(p, ref("t", None, older, {"kind": "keepColumns", "columns": ["name", "age"]}))
    assert got == [{"name": "bob", "age": 31}, {"name": "cy", "age": 47}, {"name": "dee", "age": 31}]
    assert [r["id"] for r in rows(p, ref("t", None, {"kind": "skip", "count": 1}, {"kind": "take", "count": 2}))] == [
        2,
        3,
    ]
    assert "score" not in rows(p, ref("t", None, {"kind": "dropColumns", "columns": ["score"]}))[0]
    split = [{"kind": "randomSplit", "percentage": 0.5, "seed": 7, "part": part} for part in (0, 1)]
    first, second = (sorted(r["id"] for r in rows(p, ref("t", None, s))) for s in split)
    assert sorted(first + second) == [1, 2, 3, 4] and not set(first) & set(second)
    # A derived definition registered keeps the files of the version it came from.
    derived, _ = datasets.register(p, admin, *WS, "t-old", ref("t", 1, older))
    assert derived.definition["derivedFrom"] == {"name": "t", "version": 1} and derived.files[0].name == "t.csv"
    columns, preview = dataset_data.preview(p, WS, ref("t-old"), 2)
    assert [c.name for c in columns] == ["id", "age", "name", "score"] and [r[2] for r in preview] == ["bob", "cy"]


def test_profile_is_computed_by_duckdb_and_kept(p: Platform, admin: Principal) -> None:
    put(p, "t.csv", CSV)
    datasets.register(p, admin, *WS, "t", tabular("t.csv"))
    made = dataset_data.profile(p, WS, ref("t"))
    assert made["rowCount"] == 4 and made["columnCount"] == 4
    age = next(c for c in made["columns"] if c["name"] == "age")
    assert (age["min"], age["max"], age["distinct"], age["missing"]) == (25, 47, 3, 0)
    assert age["mean"] == pytest.approx(33.5) and age["topValues"][0] == {"value": 31, "count": 2}
    score = next(c for c in made["columns"] if c["name"] == "score")
    assert score["missing"] == 1 and score["count"] == 3
    name = next(c for c in made["columns"] if c["name"] == "name")
    assert name["type"] == "VARCHAR" and name["mean"] is None
    # Kept: the same answer even though the file has gone (the cache is the version's).
    assert dataset_data.profile(p, WS, ref("t", 1)) == made
    json.dumps(made)


def test_changed_files_are_detected_and_named(p: Platform, admin: Principal) -> None:
    put(p, "c/a.csv", CSV)
    put(p, "c/b.csv", CSV)
    datasets.register(p, admin, *WS, "c", tabular("c/*.csv"))
    put(p, "c/a.csv", CSV.replace("ann", "ANN"), overwrite=True)
    with pytest.raises(
        DatasetFilesChanged, match=r"Version 1 of dataset 'c' pins 1 file.*'workspaceblobstore/c/a.csv'"
    ):
        rows(p, ref("c"))
    _, found = dataset_data.files(p, WS, ref("c"), verify=True)
    assert [(c.file.name, c.change) for c in found] == [("c/a.csv", "content changed")]
    put(p, "c/a.csv", CSV, overwrite=True)  # the same bytes again: readable again
    assert len(rows(p, ref("c"))) == 8


def test_file_datasets(p: Platform, admin: Principal) -> None:
    put(p, "imgs/x/1.bin", "one")
    put(p, "imgs/y/2.bin", "two")
    definition = {"datasetType": "file", "source": {"paths": [{"datastore": STORE, "path": "imgs"}], "format": "files"}}
    v, _ = datasets.register(p, admin, *WS, "imgs", definition)
    assert [f.name for f in v.files] == ["imgs/x/1.bin", "imgs/y/2.bin"] and v.total_size == 6
    _, chunks = dataset_data.open_file(p, WS, "imgs", 1, "workspaceblobstore/imgs/y/2.bin")
    assert b"".join(chunks) == b"two"
    with pytest.raises(InvalidDatasetDefinition, match="no rows"):
        rows(p, {**definition, "datasetType": "file"} | {"source": {"dataset": {"name": "imgs", "version": 1}}})
    with pytest.raises(DatasetNotFound, match="no file"):
        dataset_data.open_file(p, WS, "imgs", 1, "workspaceblobstore/other")


def test_a_pin_of_the_sha256_days_is_still_checked_with_sha256(p: Platform, admin: Principal) -> None:
    """A version registered before digests became xxh128 pinned sha256s (JSON key ``sha256``):
    it still reads, is still checked, and its downloads announce the file's xxh128."""
    put(p, "old/a.csv", CSV)
    datasets.register(p, admin, *WS, "old", tabular("old/*.csv"))
    with p.db.write() as session:  # as such a version was stored
        row = session.scalars(select(DatasetVersionRow)).one()
        pins = [{k: v for k, v in f.items() if k != "xxh128"} for f in row.files]
        row.files = [{**f, "sha256": hashlib.sha256(CSV.encode()).hexdigest()} for f in pins]
    version = datasets.get_version(p, *WS, "old", 1)
    assert [f.digest() for f in version.files] == [("sha256", hashlib.sha256(CSV.encode()).hexdigest())]
    put(p, "old/a.csv", CSV, overwrite=True)  # the same bytes, a new time: hashed again, with sha256
    assert len(rows(p, ref("old"))) == 4
    pinned, chunks = dataset_data.open_file(p, WS, "old", 1, "workspaceblobstore/old/a.csv")
    assert (b"".join(chunks), pinned.xxh128) == (CSV.encode(), xxhash.xxh3_128(CSV.encode()).hexdigest())
    put(p, "old/a.csv", CSV.replace("ann", "ANN"), overwrite=True)  # the same size, other bytes
    assert [c.change for c in dataset_data.files(p, WS, ref("old"), verify=True)[1]] == ["content changed"]
    with pytest.raises(DatasetFilesChanged, match=r"old/a\.csv"):
        dataset_data.open_file(p, WS, "old", 1, "workspaceblobstore/old/a.csv")


BAD_DEFINITIONS = [
    (tabular("nothing/*.csv"), "No file of datastore"),
    (
        {"datasetType": "tabular", "source": {"paths": [{"datastore": STORE, "path": "../x"}], "format": "delimited"}},
        "Dataset path",
    ),
    ({"datasetType": "table", "source": {}}, "datasetType is"),
    (tabular("t.csv", separator=";;"), "separator"),
    (tabular("t.csv") | {"transforms": [{"kind": "take", "count": -1}]}, "count"),
    (tabular("t.csv") | {"transforms": [{"kind": "sql", "query": "select 1"}]}, "Unknown transformation"),
    (tabular("t.csv") | {"transforms": [{"kind": "keepColumns", "columns": ["nope"]}]}, "nope"),
    (tabular("t.csv") | {"transforms": [{"kind": "filter", "expression": {"op": "exec", "args": []}}]}, "operator"),
    (tabular("t.csv") | {"extra": 1}, "unknown field"),
    (tabular("bad.csv"), "Line: 3"),
]


def test_bad_definitions_register_nothing(p: Platform, admin: Principal) -> None:
    put(p, "t.csv", CSV)
    put(p, "bad.csv", "a,b\n1,2\n3,4,5\n")
    for definition, message in BAD_DEFINITIONS:
        with pytest.raises(InvalidDatasetDefinition, match=message):
            datasets.register(p, admin, *WS, "bad", definition)
    assert datasets.list_datasets(p, *WS) == []


def test_bad_names_and_missing_things(p: Platform, admin: Principal) -> None:
    put(p, "t.csv", CSV)
    with pytest.raises(InvalidName):
        datasets.register(p, admin, *WS, "../x", tabular("t.csv"))
    with pytest.raises(DatastoreNotFound):
        datasets.register(
            p,
            admin,
            *WS,
            "x",
            tabular("t.csv") | {"source": {"paths": [{"datastore": "nope", "path": "a"}], "format": "delimited"}},
        )
    datasets.register(p, admin, *WS, "x", tabular("t.csv"))
    with pytest.raises(DatasetNotFound, match="Version 9 of dataset 'x'"):
        datasets.get_version(p, *WS, "x", 9)
    with pytest.raises(DatasetNotFound):
        rows(p, ref("y"))
    datasets.unregister(p, *WS, "x")
    with pytest.raises(DatasetNotFound):
        datasets.get_version(p, *WS, "x")
