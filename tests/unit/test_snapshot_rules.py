"""Which files a job's snapshot takes: .amlignore/.gitignore rules, and the message above the limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlyard.core.snapshots import SnapshotLimits, over_limits
from mlyard.sdk.snapshots import collect, ignored, parse_rules


@pytest.mark.parametrize(
    ("rules", "path", "folder", "expected"),
    [
        ("*.pyc", "a/b/c.pyc", False, True),
        ("*.pyc", "c.py", False, False),
        ("data/", "data", True, True),
        ("data/", "data", False, False),  # a file named data is not the folder
        ("data/", "sub/data", True, True),  # no slash inside: any depth
        ("/data", "sub/data", True, False),  # anchored to the ignore file's folder
        ("docs/*.md", "docs/a.md", False, True),
        ("docs/*.md", "docs/x/a.md", False, False),
        ("**/logs", "a/b/logs", True, True),
        ("a/**/z.txt", "a/z.txt", False, True),
        ("a/**/z.txt", "a/b/c/z.txt", False, True),
        ("file?.txt", "file1.txt", False, True),
        ("[!a]*.csv", "b.csv", False, True),
        ("[!a]*.csv", "a.csv", False, False),
        ("*.log\n!keep.log", "keep.log", False, False),
        ("# a comment\n\n*.bin", "x.bin", False, True),
    ],
)
def test_gitignore_patterns(rules: str, path: str, folder: bool, expected: bool) -> None:
    assert ignored(parse_rules(rules, ""), path, folder) is expected


def test_collect_applies_the_nearest_ignore_files(tmp_path: Path) -> None:
    for name in ("train.py", "big.bin", "notes.tmp", "sub/keep.bin", "sub/drop.txt", "venv/lib/x.py", ".git/HEAD"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".gitignore").write_text("*.tmp\n")
    (tmp_path / ".amlignore").write_text("*.bin\nvenv/\n")  # wins over .gitignore in its folder
    (tmp_path / "sub" / ".gitignore").write_text("!keep.bin\ndrop.txt\n")
    names = sorted(name for name, _, _ in collect(tmp_path))
    assert names == [".amlignore", ".gitignore", "notes.tmp", "sub/.gitignore", "sub/keep.bin", "train.py"]


def test_the_message_above_the_limits_names_the_largest_files_and_folders() -> None:
    files = [("a.py", 10), ("venv/lib/big.so", 5000), ("venv/lib/small.py", 20), ("data/x.csv", 900)]
    assert over_limits(files, SnapshotLimits(max_bytes=10_000, max_files=10)) is None
    message = over_limits(files, SnapshotLimits(max_bytes=1000, max_files=3))
    assert message is not None
    assert "4 files (the limit is 3) and 5.8 KB (the limit is 1000 B)" in message
    assert message.index("venv/  4.9 KB in 2 files") < message.index("data/  900 B in 1 file")
    assert "venv/lib/big.so  4.9 KB" in message and "'venv/' in a .amlignore file" in message
