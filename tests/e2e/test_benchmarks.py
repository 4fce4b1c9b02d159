"""benchmarks/tracking.py runs end to end (mlyard's side, tiny sizes), so that it cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--log-points", "2000", "--batch-points", "2000", "--history-points", "2000",
    "--compare-history-points", "1000", "--search-sizes", "50", "200", "--mlflow-search-runs", "200",
    "--seconds", "0.5", "--big-file-mb", "2", "--small-files", "20", "--starts", "1", "--settle-seconds", "0",
]  # fmt: skip


def run_benchmark(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLYARD_")}
    env.update({"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tracking.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_the_quick_run_of_mlyard_prints_every_figure() -> None:
    done = run_benchmark("--quick", "--skip-mlflow", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for label in (
        "single log calls",
        "batched logging",
        "runs created",
        "search, 50 runs",
        "search, 200 runs",
        "paging through all 200 runs",
        "metric history, 2,000 points",
        "one 2 MB file up",
        "20 files of 10 KB down",
        "server cold start",
        "server memory after start",
    ):
        assert label in out, f"{label!r} missing from:\n{out}"
    assert "Traceback" not in done.stderr


def test_an_unknown_case_is_refused_before_anything_starts() -> None:
    done = run_benchmark("--only", "log,nope", "--skip-mlflow")
    assert done.returncode != 0
    assert "unknown case(s) nope" in done.stderr
