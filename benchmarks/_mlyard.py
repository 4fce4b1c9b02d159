"""mlyard's side: ``mlyard up`` with a throw-away home, driven through the public SDK.

One call reaches below the SDK's public methods, because it has none for it: the batched case
posts ``.../metrics/batch`` through the run's own HTTP client (``run.log`` batches by itself, so
the single-call case already goes that way). Run creation uses ``run.log_params`` (MLflow's
name; Azure ML v1 has no parameters).
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from _common import (
    BATCH_POINTS,
    BIG_BATCH_POINTS,
    METRICS,
    PARAMS,
    SEARCH_TOP,
    TAGS,
    Figures,
    Say,
    Sizes,
    TestFiles,
    best_rate,
    fresh,
    median_time,
    settle_disk,
    timed,
)
from _seed import (
    MLYARD,
    SEARCH_FILTER,
    SEARCH_ORDER,
    clone_runs,
    mlyard_run_facts,
    mlyard_vary,
    run_values,
    sqlite_engine,
)
from _servers import Server, start_mlyard

from mlyard import Experiment, Run, TokenAuthentication, Workspace


class MlyardBench:
    def __init__(self, root: Path, sizes: Sizes, files: TestFiles | None, say: Say) -> None:
        self.home = root / "mlyard"
        self.cache = root / "pycache"
        self.work = root / "mlyard-out"
        self.sizes = sizes
        self.test_files = files
        self.say = say
        self.notes: list[str] = []
        self._log_run: tuple[Run, int] | None = None

    def run(self, cases: set[str]) -> Figures:
        figures: Figures = {}
        first = start_mlyard(self.home, self.cache)
        first.stop()
        self.say(f"mlyard: first start (new home: migrations, admin, workspace) {first.started_in:.2f} s")
        if "start" in cases:
            figures.update(self.starts())
        rest = cases - {"start"}
        if not rest:
            return figures
        server = start_mlyard(self.home, self.cache)
        try:
            server.wait_idle()
            ws = Workspace(
                "default", "default", "default", auth=TokenAuthentication(server.token), endpoint=server.endpoint
            )
            for case in ("log", "batch", "runs", "search", "history", "files"):
                if case in rest:
                    settle_disk()
                    began = time.perf_counter()
                    found = getattr(self, case)(ws, server)
                    figures.update(found)
                    shown = ", ".join(f"{k} {v:,.4g}" for k, v in found.items())
                    self.say(f"mlyard: {case} ({time.perf_counter() - began:.0f} s): {shown}")
        finally:
            server.stop()
        return figures

    # -- start and memory --------------------------------------------------------------------

    def starts(self) -> Figures:
        times, memory, source = [], [], []
        for _ in range(self.sizes.starts):
            server = start_mlyard(self.home, self.cache)
            times.append(server.started_in)
            time.sleep(self.sizes.settle_seconds)
            server.wait_idle()
            memory.append(server.rss_mb())
            server.stop()
        for _ in range(self.sizes.starts):
            server = start_mlyard(self.home, None)  # as run from this checkout: no bytecode cache
            source.append(server.started_in)
            server.stop()
        self.notes.append(
            "mlyard starts (s): " + ", ".join(f"{t:.2f}" for t in times)
            + "; without bytecode: " + ", ".join(f"{t:.2f}" for t in source)
            + "; memory (MB): " + ", ".join(f"{m:.0f}" for m in memory)
        )  # fmt: skip
        return {
            "start": statistics.median(times),
            "memory": statistics.median(memory),
            "start_source": statistics.median(source),
        }

    # -- metrics -------------------------------------------------------------------------------

    def log(self, ws: Workspace, server: Server) -> Figures:
        n = self.sizes.log_points
        run = Experiment(ws, "bench-log").start_logging(display_name="single run.log calls")
        began = time.perf_counter()
        for i in range(n):
            run.log("loss", i * 0.001)
        queued = time.perf_counter() - began
        run.flush()
        took = time.perf_counter() - began
        self._log_run = (run, n)
        self.notes.append(f"mlyard run.log: {n:,} calls queued in {queued:.2f} s, flush() returned at {took:.2f} s")
        return {"log": n / took, "log_async": n / took}  # run.log is always asynchronous

    def batch(self, ws: Workspace, server: Server) -> Figures:
        """POST .../metrics/batch of MLflow's largest batch (1,000 points), then of 10,000 points."""
        figures: Figures = {}
        for key, size in (("batch", BATCH_POINTS), ("batch_big", BIG_BATCH_POINTS)):
            run = Experiment(ws, "bench-batch").start_logging(display_name=f"batches of {size:,}")
            bodies = _batches(self.sizes.batch_points, size)
            url = f"{run._path}/metrics/batch"
            took = timed(lambda run=run, bodies=bodies, url=url: [run._client.post(url, json=b) for b in bodies])
            run.complete()
            figures[key] = len(bodies) * size / took
        return figures

    def history(self, ws: Workspace, server: Server) -> Figures:
        big = self._points_run(ws, self.sizes.history_points)
        small = self._points_run(ws, self.sizes.compare_history_points)
        figures = {}
        for key, (run, n) in (("history_big", big), ("history", small)):

            def read(run: Run = run, n: int = n) -> None:
                values = run.get_metrics("loss")["loss"]
                assert len(values) == n, (len(values), n)

            figures[key] = median_time(read, repeat=3)
        return figures

    def _points_run(self, ws: Workspace, n: int) -> tuple[Run, int]:
        if self._log_run is not None and self._log_run[1] == n:
            return self._log_run
        run = Experiment(ws, "bench-history").start_logging(display_name=f"{n:,} points")
        for i in range(n):
            run.log("loss", i * 0.001)
        run.flush()
        return run, n

    # -- runs ----------------------------------------------------------------------------------

    def runs(self, ws: Workspace, server: Server) -> Figures:
        exp = Experiment(ws, "bench-runs")

        def one(i: int) -> None:
            run = exp.start_logging(tags=TAGS)
            run.log_params(PARAMS)
            for key, value in METRICS.items():
                run.log(key, value)
            run.complete()

        one(-1)  # the experiment is made by its first run
        began = time.perf_counter()
        count = 0
        while time.perf_counter() - began < self.sizes.seconds:
            one(count)
            count += 1
        return {"runs": count / (time.perf_counter() - began)}

    # -- search --------------------------------------------------------------------------------

    def search(self, ws: Workspace, server: Server) -> Figures:
        rng = random.Random(4)
        exp = Experiment(ws, "bench-search")
        tags, params, metrics = run_values(0, rng)
        template = exp.start_logging(display_name="run-0", tags=tags)
        template.log_params(params)
        for key, value in metrics.items():
            template.log(key, value)
        template.complete()
        engine = sqlite_engine(str(self.home / "mlyard.db"))
        created, number = mlyard_run_facts(engine, template.id)
        vary = mlyard_vary(rng, created, number)
        figures: Figures = {}
        have = 1
        for size in sorted(self.sizes.search_sizes):
            began = time.perf_counter()
            clone_runs(engine, MLYARD, template.id, size - have, vary, first=have)
            self.say(f"mlyard: seeded {size - have:,} runs in {time.perf_counter() - began:.1f} s")
            have = size

            # From 1,000 runs on, the filter matches more than the top (about 13 %: see _seed).
            full = size >= 1_000

            def top(full: bool = full) -> None:
                found = list(Run.search(exp, filter=SEARCH_FILTER, order_by=[SEARCH_ORDER], max_results=SEARCH_TOP))
                assert len(found) == SEARCH_TOP or (found and not full), f"the search found {len(found)} runs"

            figures[f"search_{size}"] = median_time(top)
            if size == self.sizes.mlflow_search_runs:

                def page_all(size: int = size) -> None:
                    assert sum(1 for _ in Run.search(exp)) == size

                figures["page_all"] = median_time(page_all, repeat=3, warmup=0)
        engine.dispose()
        return figures

    # -- files ---------------------------------------------------------------------------------

    def files(self, ws: Workspace, server: Server) -> Figures:
        assert self.test_files is not None
        run = Experiment(ws, "bench-files").start_logging(display_name="files")
        out = fresh(self.work)
        files = self.test_files

        def files_down(k: int) -> None:
            got = run.download_files(prefix="small-0", output_directory=out / f"small-{k}")
            assert len(got) == files.small_count

        figures = {
            "file_up": best_rate(files.big_mb, lambda k: run.upload_file(f"big-{k}.bin", files.big)),
            "file_down": best_rate(files.big_mb, lambda k: run.download_file("big-0.bin", out / f"big-{k}.bin")),
            "files_up": best_rate(files.small_count, lambda k: run.upload_folder(f"small-{k}", files.small)),
            "files_down": best_rate(files.small_count, files_down),
        }
        fresh(self.work)
        run.complete()
        return figures


def _batches(points: int, size: int) -> list[dict[str, Any]]:
    """Request bodies of ``size`` points each, ``points`` in all (at least one request)."""
    stamp = int(time.time() * 1000)
    return [
        {
            "batchId": uuid.uuid4().hex,
            "series": [
                {
                    "name": "acc",
                    "steps": list(range(first, first + size)),
                    "values": [i * 0.5 for i in range(size)],
                    "timestamps": [stamp + i for i in range(size)],
                }
            ],
        }
        for first in range(0, max(points, size), size)
    ]
