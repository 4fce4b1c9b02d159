"""A dataset's profile past its sample: one pass over every row, exact counts, and the figures
that are estimates said so; column-type detection that rules types out on the first rows; two
profiles at once on the process's DuckDB database."""

from __future__ import annotations

import decimal
import json
import statistics
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlyard.core.entities.identity import Principal
from mlyard.services import dataset_data, dataset_profile, dataset_reads, datastore_files, subscriptions, workspaces
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")
STORE = "workspaceblobstore"
CITIES = ["a", "a", "b", "a", "b", "a", "b", "c", "c", "a", "b", "d"]  # a 5, b 4, c 2, d 1


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    return platform


def tabular(path: str) -> dict[str, Any]:
    source = {"paths": [{"datastore": STORE, "path": path}], "format": "delimited"}
    return {"datasetType": "tabular", "source": source, "transforms": []}


def put_table(p: Platform) -> None:
    lines = ["id,city,x,flag"]
    for i, city in enumerate(CITIES):
        x = "" if i == 3 else str(i + 1)
        lines.append(f"{i},{city},{x},{'true' if i % 2 else 'false'}")
    datastore_files.upload(p, *WS, STORE, "p.csv", ["\n".join(lines).encode() + b"\n"])


def by_name(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in profile["columns"]}


def test_a_dataset_past_its_sample_is_profiled_in_one_pass(p: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_profile, "SAMPLE_ROWS", 4)  # the sample: the first 5 rows
    monkeypatch.setattr(dataset_profile, "RARE", 2)  # a candidate: at least 2 of them
    put_table(p)
    made = dataset_data.profile(p, WS, tabular("p.csv"))
    json.dumps(made)
    assert (made["rowCount"], made["columnCount"], made["sampleRows"]) == (12, 4, 4)
    cols = by_name(made)
    city = cols["city"]
    # Exact over all rows: counts, missing, min, max; the candidates (a, b) counted over all rows.
    assert (city["count"], city["missing"], city["min"], city["max"]) == (12, 0, "a", "d")
    assert city["topValues"] == [{"value": "a", "count": 5}, {"value": "b", "count": 4}]
    assert city["approximate"] == ["distinct", "topValues"] and city["distinct"] >= 2
    x = cols["x"]
    assert (x["count"], x["missing"], x["min"], x["max"]) == (11, 1, 1, 12)
    assert x["mean"] == pytest.approx(sum(i + 1 for i in range(12) if i != 3) / 11)
    # No value repeats in the sample: no top values, rather than arbitrary ones.
    assert cols["id"]["topValues"] == [] and "topValues" in cols["id"]["approximate"]
    # Two values, both in the sample: they account for every row, so both figures are exact.
    flag = cols["flag"]
    assert flag["approximate"] == [] and flag["distinct"] == 2
    assert sorted((t["value"], t["count"]) for t in flag["topValues"]) == [(False, 6), (True, 6)]


def test_a_dataset_within_its_sample_is_exact(p: Platform) -> None:
    put_table(p)
    made = dataset_data.profile(p, WS, tabular("p.csv"))
    assert made["sampleRows"] is None
    city = by_name(made)["city"]
    assert city["approximate"] == [] and city["distinct"] == 4
    assert city["topValues"][:3] == [{"value": "a", "count": 5}, {"value": "b", "count": 4}, {"value": "c", "count": 2}]


def test_types_ruled_out_on_the_first_rows_are_not_counted_again(p: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    # A date column whose 150th row is not a date; a column empty in the first rows, then integers.
    rows = ["d,late,n"] + [f"2024-01-{1 + i % 28:02d},,{i}" for i in range(149)]
    rows += ["not a date,7,x"] + [f"2024-02-01,{i},{i}" for i in range(20)]
    datastore_files.upload(p, *WS, STORE, "t.csv", ["\n".join(rows).encode() + b"\n"])
    made = dataset_data.preview(p, WS, tabular("t.csv"), 3)
    assert [(c.name, c.type) for c in made[0]] == [("d", "VARCHAR"), ("late", "BIGINT"), ("n", "VARCHAR")]
    assert dataset_reads.PROBE_ROWS < 150


def test_mean_and_std_past_the_sample_match_exact_arithmetic(p: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    # The sums are taken around the sample's mean; sorted columns put the first 101 rows' mean
    # far from the whole's (the worst case: 500 times the rows of the sample), and a large offset
    # with a small spread would lose the variance to a plain sum of squares.
    monkeypatch.setattr(dataset_profile, "SAMPLE_ROWS", 100)
    n = 50_000
    columns: dict[str, list[str]] = {
        "i": [str(i) for i in range(n)],
        "big": [f"{1e9 + i * 0.001:.3f}" for i in range(n)],
        "late": ["" if i < 200 else f"{(i * 7919) % 1000 / 8:.3f}" for i in range(n)],  # none in the sample
        "one": ["4.5" if i == 150 else "" for i in range(n)],  # a single value, after the sample
    }
    lines = [",".join(columns)] + [",".join(v[i] for v in columns.values()) for i in range(n)]
    datastore_files.upload(p, *WS, STORE, "m.csv", ["\n".join(lines).encode() + b"\n"])
    made = dataset_data.profile(p, WS, tabular("m.csv"))
    assert made["sampleRows"] == 100
    cols = by_name(made)
    for name in ("i", "big", "late"):
        values = [float(v) for v in columns[name] if v]
        assert cols[name]["count"] == len(values)
        # statistics computes with exact fractions inside, rounded once at the end.
        assert cols[name]["mean"] == pytest.approx(statistics.mean(values), rel=1e-10)
        assert cols[name]["std"] == pytest.approx(statistics.stdev(values), rel=1e-10)
    assert cols["i"]["mean"] == (n - 1) / 2  # whole numbers: exact sums
    one = cols["one"]
    assert (one["type"], one["count"], one["mean"], one["std"]) == ("DOUBLE", 1, 4.5, None)  # std needs two values


def test_parquet_numbers_and_lists_of_numbers_past_the_sample(p: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    # A list of numbers has no mean (avg of a list was a binder error); small integer, float and
    # decimal types have theirs.
    monkeypatch.setattr(dataset_profile, "SAMPLE_ROWS", 10)
    n = 500
    table = pa.table({
        "small": pa.array([i % 100 for i in range(n)], pa.int8()),
        "half": pa.array([i * 0.5 for i in range(n)], pa.float32()),
        "money": pa.array([decimal.Decimal(f"{i}.25") for i in range(n)], pa.decimal128(12, 2)),
        "pair": pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.int64())),
    })  # fmt: skip
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    datastore_files.upload(p, *WS, STORE, "n.parquet", [sink.getvalue().to_pybytes()])
    source = {"paths": [{"datastore": STORE, "path": "n.parquet"}], "format": "parquet"}
    made = dataset_data.profile(p, WS, {"datasetType": "tabular", "source": source, "transforms": []})
    assert made["sampleRows"] == 10
    cols = by_name(made)
    for name, values in (
        ("small", [i % 100 for i in range(n)]),
        ("half", [i * 0.5 for i in range(n)]),
        ("money", [i + 0.25 for i in range(n)]),
    ):
        assert cols[name]["mean"] == pytest.approx(statistics.mean(values), rel=1e-12)
        assert cols[name]["std"] == pytest.approx(statistics.stdev(values), rel=1e-10)
    pair = cols["pair"]
    assert (pair["count"], pair["mean"], pair["std"]) == (n, None, None)
    assert pair["approximate"] == ["distinct", "topValues"]


def test_two_profiles_at_once_on_the_process_database_are_each_right(
    p: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests share the process's DuckDB database, each on its own cursor: the barrier holds
    # each one after its sample table is made, so both tables (one name) exist at once.
    monkeypatch.setattr(dataset_profile, "SAMPLE_ROWS", 4)
    monkeypatch.setattr(dataset_profile, "RARE", 2)
    put_table(p)
    other = ["id,city,x,flag"] + [f"{i},{'zz' if i % 3 else 'yy'},{100 + i},true" for i in range(30)]
    datastore_files.upload(p, *WS, STORE, "q.csv", ["\n".join(other).encode() + b"\n"])
    alone = {name: dataset_data.profile(p, WS, tabular(name)) for name in ("p.csv", "q.csv")}
    barrier = threading.Barrier(2, timeout=60)
    sample = dataset_profile._sample

    def held(con: Any, cols: Any) -> Any:
        barrier.wait()
        return sample(con, cols)

    monkeypatch.setattr(dataset_profile, "_sample", held)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda name: dataset_data.profile(p, WS, tabular(name)), alone))
    together = dict(zip(alone, results, strict=True))
    for name, made in together.items():
        assert made["rowCount"] == alone[name]["rowCount"]
        for got, want in zip(made["columns"], alone[name]["columns"], strict=True):
            assert {k: v for k, v in got.items() if k not in ("mean", "std")} == {
                k: v for k, v in want.items() if k not in ("mean", "std")
            }
            assert got["mean"] == pytest.approx(want["mean"]) and got["std"] == pytest.approx(want["std"])
    assert by_name(together["q.csv"])["city"]["topValues"] == [
        {"value": "zz", "count": 20},
        {"value": "yy", "count": 10},
    ]
    assert by_name(together["p.csv"])["x"]["max"] == 12
