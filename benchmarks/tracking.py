"""mlyard against MLflow, side by side on this machine, in one run (issue 4's benchmark).

    PYTHONPATH=src python benchmarks/tracking.py            # the full run (about 15 minutes)
    PYTHONPATH=src python benchmarks/tracking.py --quick    # small sizes, a smoke run
    PYTHONPATH=src python benchmarks/tracking.py --skip-mlflow --only log,batch,history

Starts ``mlyard up`` with a throw-away home and ``mlflow server`` on SQLite and a local
artifacts folder, as its users start it (``--backend-store-uri sqlite:///… --artifacts-destination
…``), in its default set-up and with ``--workers 1``; each on a free port of 127.0.0.1. mlyard is
driven through its SDK (``Experiment(ws, name).start_logging()``, ``run.log``, ``Run.search``,
``run.upload_file``, ...), MLflow through ``MlflowClient``. Prints one table: each figure for
mlyard and both MLflow set-ups, how many times better mlyard is than the better MLflow, and
issue 4's bar. Cases (``--only``): start, log, batch, runs, search, history, files.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import BATCH_POINTS, BIG_BATCH_POINTS, Figures, Sizes, make_files, print_table
from _seed import SEARCH_FILTER, SEARCH_ORDER

CASES = ("start", "log", "batch", "runs", "search", "history", "files")
SYSTEMS = ("mlyard", "mlflow", "mlflow-w1")
HEADERS = ("figure", "mlyard", "MLflow default", "MLflow --workers 1", "x better MLflow", "issue 4's bar", "met")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    bar: str = ""
    # Whether the bar is met, from the row's figures and all figures (None: cannot tell).
    met: Callable[[Figures, dict[str, Figures]], bool | None] | None = None


def _ratio(row: Row, values: Figures) -> float | None:
    mine = values.get("mlyard")
    theirs = [values[s] for s in SYSTEMS[1:] if values.get(s)]
    if not mine or not theirs:
        return None
    return mine / max(theirs) if row.higher_is_better else min(theirs) / mine


def at_least(bar: float) -> Callable[[Figures, dict[str, Figures]], bool | None]:
    return lambda values, _all: None if "mlyard" not in values else values["mlyard"] >= bar


def at_most(bar: float) -> Callable[[Figures, dict[str, Figures]], bool | None]:
    return lambda values, _all: None if "mlyard" not in values else values["mlyard"] < bar


def times_mlflow(factor: float, higher: bool) -> Callable[[Figures, dict[str, Figures]], bool | None]:
    def met(values: Figures, _all: dict[str, Figures]) -> bool | None:
        ratio = _ratio(Row("", "", "", higher), values)
        return None if ratio is None else ratio >= factor

    return met


def flat(first_key: str, factor: float) -> Callable[[Figures, dict[str, Figures]], bool | None]:
    def met(values: Figures, every: dict[str, Figures]) -> bool | None:
        base = every.get(first_key, {}).get("mlyard")
        return None if base is None or "mlyard" not in values else values["mlyard"] <= factor * base

    return met


def rows_for(sizes: Sizes) -> list[Row]:
    searches = sorted(set(sizes.search_sizes) | {sizes.mlflow_search_runs})
    rows = [
        Row("log", "single log calls until flushed (MLflow: synchronous)", "points/s", True, "≥ 200,000",
            at_least(200_000)),
        Row("log_async", "  … MLflow asynchronous, 1 s buffering", "points/s", True),
        Row("batch", f"batched logging, {BATCH_POINTS:,} points a request", "points/s", True, "≥ 200,000",
            at_least(200_000)),
        Row("batch_big", f"  … mlyard, {BIG_BATCH_POINTS:,} points a request", "points/s", True, "≥ 200,000",
            at_least(200_000)),
        Row("runs", "runs created (5 params, 5 metrics, 3 tags)", "runs/s", True, "≥ 10x MLflow",
            times_mlflow(10, True)),
    ]  # fmt: skip
    for n in searches:
        bar, met = "", None
        if n == sizes.mlflow_search_runs:
            bar, met = "≥ 10x faster", times_mlflow(10, False)
        elif n == searches[-1] and n != searches[0]:
            bar, met = f"≤ 2x the {searches[0]:,}-run time", flat(f"search_{searches[0]}", 2.0)
        rows.append(Row(f"search_{n}", f"filtered top-{100} search, {n:,} runs", "ms", False, bar, met))
    rows += [
        Row("page_all", f"paging through all {sizes.mlflow_search_runs:,} runs", "s", False),
        Row("history", f"metric history, {sizes.compare_history_points:,} points", "s", False),
        Row("history_big", f"metric history, {sizes.history_points:,} points", "s", False, "< 0.5 s", at_most(0.5)),
        Row("file_up", f"one {sizes.big_file_mb} MB file up", "MB/s", True, "≥ MLflow", times_mlflow(1, True)),
        Row("file_down", f"one {sizes.big_file_mb} MB file down", "MB/s", True, "≥ MLflow", times_mlflow(1, True)),
        Row("files_up", f"{sizes.small_files:,} files of {sizes.small_file_kb} KB up", "files/s", True,
            "≥ 5x MLflow", times_mlflow(5, True)),
        Row("files_down", f"{sizes.small_files:,} files of {sizes.small_file_kb} KB down", "files/s", True,
            "≥ 5x MLflow", times_mlflow(5, True)),
        Row("start", "server cold start, existing home (median)", "s", False, "< 1.5 s", at_most(1.5)),
        Row("start_source", "  … mlyard from this checkout, no bytecode cache", "s", False),
        Row("memory", "server memory after start, process tree RSS", "MB", False, "< 200 MB", at_most(200)),
    ]  # fmt: skip
    return rows


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:,.1f} ms"
    if unit == "s":
        return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def table(rows: list[Row], figures: dict[str, Figures]) -> list[tuple[str, ...]]:
    """The printed rows: only those with at least one figure."""
    by_row: dict[str, Figures] = {}
    for system, found in figures.items():
        for key, value in found.items():
            by_row.setdefault(key, {})[system] = value
    out = []
    for row in rows:
        values = by_row.get(row.key)
        if not values:
            continue
        ratio = _ratio(row, values)
        met = row.met(values, by_row) if row.met else None
        out.append(
            (
                row.label,
                *(_show(values.get(s), row.unit) for s in SYSTEMS),
                "—" if ratio is None else f"{ratio:,.1f}x",
                row.bar,
                "" if met is None else ("met" if met else "MISSED"),
            )
        )
    return out


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    parser.add_argument("--skip-mlflow", action="store_true", help="measure mlyard only")
    parser.add_argument("--only", help=f"comma-separated cases: {','.join(CASES)}")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away folder")
    defaults = Sizes()
    sizes = parser.add_argument_group("sizes (defaults for the full run; --quick lowers them)")
    for name, value in vars(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, list):
            sizes.add_argument(flag, type=int, nargs="+", help=f"default {' '.join(map(str, value))}")
        else:
            sizes.add_argument(flag, type=type(value), help=f"default {value}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    for name in vars(sizes):
        if getattr(args, name) is not None:
            setattr(sizes, name, getattr(args, name))
    cases = set(CASES) if not args.only else {c.strip() for c in args.only.split(",") if c.strip()}
    unknown = cases - set(CASES)
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(sorted(unknown))}: choose from {', '.join(CASES)}")

    def say(line: str) -> None:
        print(f"[{time.perf_counter() - began:6.0f} s] {line}", file=sys.stderr, flush=True)

    began = time.perf_counter()
    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="mlyard-vs-mlflow-"))
    say(f"working in {root}")
    files = make_files(root / "files", sizes) if "files" in cases else None
    figures: dict[str, Figures] = {}
    notes: list[str] = []
    try:
        from _mlyard import MlyardBench

        mine = MlyardBench(root, sizes, files, say)
        figures["mlyard"] = mine.run(cases)
        notes += mine.notes
        if not args.skip_mlflow:
            from _mlflow import MlflowBench

            theirs = MlflowBench(root, sizes, files, say)
            figures.update(theirs.run(cases))
            notes += theirs.notes
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()
    title = (
        f"mlyard vs MLflow {_mlflow_version()} on {platform.node()} ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}), {'quick' if args.quick else 'full'} run, "
        f"{time.perf_counter() - began:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print_table(HEADERS, table(rows_for(sizes), figures), title, left=(0, 5), width=200)
    for line in [*method_notes(sizes, args.skip_mlflow, cases), *notes]:
        print(f"- {line}")
    return 0


def method_notes(sizes: Sizes, skip_mlflow: bool, cases: set[str]) -> list[str]:
    notes = [
        "Both servers on SQLite and a local folder, on 127.0.0.1; bytecode cached for the servers "
        "(this machine sets PYTHONDONTWRITEBYTECODE; the servers run with a PYTHONPYCACHEPREFIX instead)."
    ]
    if "start" in cases:
        notes.append(
            f"Cold start: spawn until /health answers, on an existing home/database, median of {sizes.starts}; "
            "memory: resident set of the server's whole process tree once it is idle (using under 5% of a core), "
            f"at least {sizes.settle_seconds:.0f} s after the start. Cases start once the server is idle."
        )
    if "search" in cases:
        notes.append(
            f"Search: '{SEARCH_FILTER}' by {SEARCH_ORDER}, top 100, median of 5 after a warm-up. The runs are "
            "copies of one run made through each client, inserted with SQL into each store's own tables "
            "(benchmarks/_seed.py); mlyard's experiment grows through each size in turn."
        )
    if "files" in cases:
        notes.append(
            "Files: each transfer the fastest of 3 on both sides, each try after os.sync() and under its own "
            "name (one upload of a fraction of a second moved by 1.5x between runs of the same code)."
        )
    if cases & {"batch", "runs"}:
        notes.append(
            "mlyard's batched case posts .../metrics/batch through the run's HTTP client (the SDK's run.log "
            "batches by itself); its runs log their params with run.log_params (MLflow's name)."
        )
    if not skip_mlflow:
        notes.append(
            f"MLflow's single, batched and run-creation cases run for {sizes.seconds:.0f} s each (mlyard's run "
            f"creation too); its async case logs {sizes.async_points:,} points; its history and search figures "
            "are read once per set-up from data both set-ups share."
        )
    return notes


def _mlflow_version() -> str:
    try:
        from importlib.metadata import version

        return version("mlflow")
    except Exception:
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
