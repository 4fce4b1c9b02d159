"""benchmarks/data.py runs end to end with tiny sizes (no time bars here), so that it cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--large-files", "2", "--large-mb", "1", "--small-files", "30", "--rows", "30000", "--repeat", "1"]


def run_benchmark(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLYARD_")}
    env.update({"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "data.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_the_tiny_run_prints_every_figure() -> None:
    done = run_benchmark(*TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for label in (
        "2 x 1 MB up",
        "2 x 1 MB down",
        "30 files of 10 KB up",
        "30 files of 10 KB down",
        "get_profile(), 30,000 x 20 CSV",
        "memory of that work",
        "to_pandas_dataframe(), 30,000 x 20 CSV",
        "copy+fsync",
        "pd.read_csv",
        "clear_refs",
    ):
        assert label in out, f"{label!r} missing from:\n{out}"
    assert "Traceback" not in done.stderr


def test_an_unknown_case_is_refused_before_anything_starts() -> None:
    done = run_benchmark("--only", "files,nope")
    assert done.returncode != 0 and "unknown case(s) nope" in done.stderr
