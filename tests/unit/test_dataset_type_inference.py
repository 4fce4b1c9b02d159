"""A CSV's column types are inferred once per file as it is: again when the file changes, when it
is read another way, and ``set_column_types`` always on top."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mlyard.core.entities.datasets import Column
from mlyard.services import dataset_reads


@pytest.fixture
def inferences(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose types were inferred (the real inference, counted)."""
    seen: list[str] = []
    real = dataset_reads._infer

    def counted(con: Any, fmt: str, options: dict[str, Any], text: list[Column], first: str) -> tuple[Column, ...]:
        seen.append(first)
        return real(con, fmt, options, text, first)

    monkeypatch.setattr(dataset_reads, "_infer", counted)
    monkeypatch.setattr(dataset_reads, "_inferred", dataset_reads._Inferred())
    return seen


def detect(path: Path, **options: Any) -> list[tuple[str, str]]:
    with duckdb.connect() as con:
        found = dataset_reads.detect_columns(con, "delimited", {"separator": ",", "header": True, **options}, str(path))
    return [(c.name, c.type) for c in found]


def test_the_same_file_is_inferred_once_and_set_types_still_apply(tmp_path: Path, inferences: list[str]) -> None:
    path = tmp_path / "a.csv"
    path.write_text("n,x\n1,a\n2,b\n")
    assert detect(path) == [("n", "BIGINT"), ("x", "VARCHAR")]
    assert detect(path) == [("n", "BIGINT"), ("x", "VARCHAR")]
    assert detect(path, setColumnTypes={"n": "DOUBLE"}) == [("n", "DOUBLE"), ("x", "VARCHAR")]
    assert len(inferences) == 1
    # Read another way (no header: the first row is data), the types are inferred again.
    assert [t for _n, t in detect(path, header=False)] == ["VARCHAR", "VARCHAR"]
    assert len(inferences) == 2


def test_a_file_rewritten_in_place_with_the_same_size_and_time_is_inferred_again(
    tmp_path: Path, inferences: list[str]
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("n,x\n1,a\n2,b\n")
    before = path.stat()
    assert detect(path)[0] == ("n", "BIGINT")
    with path.open("r+") as handle:  # same inode, same size: only the bytes and the change time move
        handle.write("n,x\nq,a\n2,b\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert detect(path)[0] == ("n", "VARCHAR")
    assert len(inferences) == 2


def test_a_file_that_cannot_be_opened_is_not_remembered(tmp_path: Path, inferences: list[str]) -> None:
    missing = tmp_path / "gone.csv"
    with pytest.raises(Exception, match=r"gone\.csv"):
        detect(missing)
    assert dataset_reads._identity(str(missing), {}) is None and inferences == []
