"""What the benchmark's two sides share: the sizes, the test files, and small timing helpers."""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TAGS = {"team": "vision", "owner": "bench", "stage": "dev"}
PARAMS = {"lr": "0.01", "batch": "64", "model": "cnn", "seed": "7", "epochs": "10"}
METRICS = {"accuracy": 0.93, "loss": 0.21, "f1": 0.9, "precision": 0.91, "recall": 0.89}
BATCH_POINTS = 1_000  # points a request in the batched case: MLflow's log_batch takes at most 1,000 metrics
BIG_BATCH_POINTS = 10_000  # mlyard's batches take up to 100,000 points; its SDK sends up to 50,000 at once
SEARCH_TOP = 100

Figures = dict[str, float]
Say = Callable[[str], None]


@dataclass
class Sizes:
    """How much each case does; ``--quick`` shrinks them all."""

    log_points: int = 1_000_000
    batch_points: int = 1_000_000
    history_points: int = 1_000_000  # mlyard's bar: under 0.5 s
    compare_history_points: int = 100_000  # the side-by-side history (MLflow's takes seconds)
    search_sizes: list[int] = field(default_factory=lambda: [1_000, 10_000, 100_000])
    mlflow_search_runs: int = 10_000
    seconds: float = 10.0  # MLflow's slow cases, and run creation on both sides, run this long
    async_points: int = 10_000
    big_file_mb: int = 200
    small_files: int = 1_000
    small_file_kb: int = 10
    starts: int = 3
    settle_seconds: float = 5.0  # idle time after a start before its memory is read

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            log_points=50_000,
            batch_points=50_000,
            history_points=50_000,
            compare_history_points=10_000,
            search_sizes=[100, 1_000, 3_000],
            mlflow_search_runs=1_000,
            seconds=2.0,
            async_points=1_000,
            big_file_mb=20,
            small_files=100,
            starts=1,
            settle_seconds=1.0,
        )


def settle_disk() -> None:
    """Flush the disk's pending writes before a case, on both sides alike: the previous case's
    writeback (100,000 seeded runs, a 200 MB file) otherwise lands in the next case's timing —
    the small-file uploads measured 1,815 and 2,257 files/s in two runs of the same code."""
    os.sync()


def timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


TRIES = 3
"""Each file transfer is timed this many times on both sides, the fastest kept: one transfer of a
fraction of a second moved by 1.5x between runs of the same code (fsync and page-cache timing)."""


def best_rate(amount: float, call: Callable[[int], Any], tries: int = TRIES) -> float:
    """``amount`` per second of the fastest of ``tries`` calls ``call(k)``, each after :func:`settle_disk`
    (``k`` lets each try use its own names: an upload of the same name could be refused)."""
    times = []
    for k in range(tries):
        settle_disk()
        times.append(timed(lambda k=k: call(k)))
    return amount / min(times)


def median_time(call: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of ``call()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        call()
    return statistics.median(timed(call) for _ in range(repeat))


def for_seconds(seconds: float, step: Callable[[int], Any]) -> float:
    """Call ``step(i)`` for i = 0, 1, ... until ``seconds`` have passed; answers calls per second."""
    began = time.perf_counter()
    count = 0
    while (elapsed := time.perf_counter() - began) < seconds:
        step(count)
        count += 1
    return count / elapsed


@dataclass(frozen=True)
class TestFiles:
    big: Path
    small: Path

    @property
    def big_mb(self) -> float:
        return self.big.stat().st_size / 1e6

    @property
    def small_count(self) -> int:
        return sum(1 for _ in self.small.iterdir())


def make_files(folder: Path, sizes: Sizes) -> TestFiles:
    """One big file of random bytes and a folder of small ones (made once, shared by both sides)."""
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / "big.bin"
    if not big.exists():
        with big.open("wb") as out:
            for _ in range(sizes.big_file_mb):
                out.write(os.urandom(1_000_000))
    small = folder / "small"
    if not small.exists():
        small.mkdir()
        for i in range(sizes.small_files):
            (small / f"f{i:05d}.bin").write_bytes(os.urandom(sizes.small_file_kb * 1000))
    return TestFiles(big, small)


def fresh(folder: Path) -> Path:
    """An empty folder at ``folder`` (emptied when it exists)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def print_table(
    headers: tuple[str, ...], lines: list[tuple[str, ...]], title: str, left: tuple[int, ...], width: int
) -> None:
    """A benchmark's table with rich (rows whose last cell is MISSED in red), or plain text without it."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        for line in [headers, *lines]:
            print(" | ".join(line))
        return
    grid = Table(title=title, title_justify="left")
    for i, name in enumerate(headers):
        grid.add_column(name, justify="left" if i in left else "right", no_wrap=True)
    for line in lines:
        grid.add_row(*line, style="red" if line[-1] == "MISSED" else None)
    Console(width=max(width, Console().width)).print(grid)
