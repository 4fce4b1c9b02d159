"""MLflow's side: ``mlflow server`` (its default set-up, then ``--workers 1``), driven through its client.

Both set-ups use one folder (a SQLite file and an artifacts folder), one after the other: the
first start migrates the database; the search runs and the long metric history are made once
and read by both. MLflow's slow cases run for a fixed time (``Sizes.seconds``) rather than a
fixed count, so that its default set-up (about 20 calls a second) cannot stall the benchmark.
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from _common import (
    BATCH_POINTS,
    METRICS,
    PARAMS,
    SEARCH_TOP,
    TAGS,
    Figures,
    Say,
    Sizes,
    TestFiles,
    best_rate,
    for_seconds,
    fresh,
    median_time,
    settle_disk,
)
from _seed import MLFLOW, SEARCH_FILTER, SEARCH_ORDER, clone_runs, mlflow_vary, run_values, sqlite_engine
from _servers import Server, start_mlflow

SETUPS: dict[str, int | None] = {"mlflow": None, "mlflow-w1": 1}


class MlflowBench:
    def __init__(self, root: Path, sizes: Sizes, files: TestFiles | None, say: Say) -> None:
        self.folder = root / "mlflow"
        self.work = root / "mlflow-out"
        self.sizes = sizes
        self.test_files = files
        self.say = say
        self.notes: list[str] = []
        self._search: tuple[str, int] | None = None  # experiment id, runs
        self._history_run: str | None = None
        # The client's async queue waits this long to gather a batch (the figure issue 4 quotes).
        os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"
        # Finishing a run would print its address, after reading the run again: a request saved.
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
        logging.getLogger("mlflow").setLevel(logging.ERROR)

    def run(self, cases: set[str]) -> dict[str, Figures]:
        first = start_mlflow(self.folder, 1)
        first.stop()
        self.say(f"MLflow: first start (new database, migrations) {first.started_in:.1f} s")
        out: dict[str, Figures] = {}
        for setup, workers in SETUPS.items():
            figures: Figures = {}
            if "start" in cases:
                figures.update(self.starts(setup, workers))
            rest = cases - {"start"}
            if rest:
                server = start_mlflow(self.folder, workers)
                try:
                    self.say(f"{setup}: started in {server.started_in:.1f} s, idle {server.wait_idle():.0f} s later")
                    figures.update(self.cases(setup, server, rest))
                finally:
                    server.stop()
            out[setup] = figures
        return out

    def cases(self, setup: str, server: Server, cases: set[str]) -> Figures:
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(server.endpoint)
        client = MlflowClient(server.endpoint)
        figures: Figures = {}
        for case in ("log", "batch", "runs", "search", "history", "files"):
            if case in cases:
                settle_disk()
                began = time.perf_counter()
                found = getattr(self, case)(client)
                figures.update(found)
                shown = ", ".join(f"{k} {v:,.4g}" for k, v in found.items())
                self.say(f"{setup}: {case} ({time.perf_counter() - began:.0f} s): {shown}")
        return figures

    def starts(self, setup: str, workers: int | None) -> Figures:
        times, memory = [], []
        for _ in range(self.sizes.starts):
            server = start_mlflow(self.folder, workers)
            times.append(server.started_in)
            time.sleep(self.sizes.settle_seconds)
            server.wait_idle()
            memory.append(server.rss_mb())
            server.stop()
        self.notes.append(
            f"{setup} starts (s): " + ", ".join(f"{t:.1f}" for t in times)
            + "; memory (MB): " + ", ".join(f"{m:.0f}" for m in memory)
        )  # fmt: skip
        return {"start": statistics.median(times), "memory": statistics.median(memory)}

    # -- metrics -------------------------------------------------------------------------------

    def log(self, client: Any) -> Figures:
        import mlflow

        exp = _experiment(client, "bench-log")
        run_id = client.create_run(exp).info.run_id
        sync = for_seconds(self.sizes.seconds, lambda i: client.log_metric(run_id, "loss", i * 0.001, step=i))
        run_id = client.create_run(exp).info.run_id
        n = self.sizes.async_points
        # As its users log asynchronously: in an active run (log_metric(run_id=...) would read the run each call).
        with mlflow.start_run(run_id=run_id):
            began = time.perf_counter()
            for i in range(n):
                mlflow.log_metric("loss", i * 0.001, step=i, synchronous=False)
            mlflow.flush_async_logging()
            took = time.perf_counter() - began
        assert len(client.get_metric_history(run_id, "loss")) == n
        return {"log": sync, "log_async": n / took}

    def batch(self, client: Any) -> Figures:
        from mlflow.entities import Metric

        run_id = client.create_run(_experiment(client, "bench-batch")).info.run_id
        stamp = int(time.time() * 1000)

        def one(i: int) -> None:
            first = i * BATCH_POINTS
            metrics = [Metric("acc", s * 0.5, stamp + s, s) for s in range(first, first + BATCH_POINTS)]
            client.log_batch(run_id, metrics=metrics)

        return {"batch": for_seconds(self.sizes.seconds, one) * BATCH_POINTS}

    def history(self, client: Any) -> Figures:
        from mlflow.entities import Metric

        n = self.sizes.compare_history_points
        if self._history_run is None:
            run_id = client.create_run(_experiment(client, "bench-history")).info.run_id
            stamp = int(time.time() * 1000)
            for first in range(0, n, BATCH_POINTS):
                last = min(first + BATCH_POINTS, n)
                client.log_batch(run_id, metrics=[Metric("loss", s * 0.001, stamp + s, s) for s in range(first, last)])
            self._history_run = run_id
        run_id = self._history_run

        def read() -> None:
            assert len(client.get_metric_history(run_id, "loss")) == n

        return {"history": median_time(read, repeat=1, warmup=0)}

    # -- runs ----------------------------------------------------------------------------------

    def runs(self, client: Any) -> Figures:
        from mlflow.entities import Metric, Param

        exp = _experiment(client, "bench-runs")

        def one(i: int) -> None:
            run_id = client.create_run(exp, tags=TAGS).info.run_id
            stamp = int(time.time() * 1000)
            client.log_batch(
                run_id,
                metrics=[Metric(k, v, stamp, 0) for k, v in METRICS.items()],
                params=[Param(k, v) for k, v in PARAMS.items()],
            )
            client.set_terminated(run_id)

        return {"runs": for_seconds(self.sizes.seconds, one)}

    # -- search --------------------------------------------------------------------------------

    def search(self, client: Any) -> Figures:
        from mlflow.entities import Metric, Param

        size = self.sizes.mlflow_search_runs
        if self._search is None:
            rng = random.Random(4)
            exp = _experiment(client, "bench-search")
            tags, params, metrics = run_values(0, rng)
            run = client.create_run(exp, tags=tags, run_name="run-0")
            stamp = int(time.time() * 1000)
            client.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, stamp, 0) for k, v in metrics.items()],
                params=[Param(k, v) for k, v in params.items()],
            )
            client.set_terminated(run.info.run_id)
            engine = sqlite_engine(str(self.folder / "mlflow.db"))
            began = time.perf_counter()
            clone_runs(engine, MLFLOW, run.info.run_id, size - 1, mlflow_vary(rng, run.info.start_time), first=1)
            engine.dispose()
            self.say(f"MLflow: seeded {size - 1:,} runs in {time.perf_counter() - began:.1f} s")
            self._search = (exp, size)
        exp, size = self._search

        def top() -> None:
            found = client.search_runs([exp], SEARCH_FILTER, order_by=[SEARCH_ORDER], max_results=SEARCH_TOP)
            assert 0 < len(found) <= SEARCH_TOP

        def page_all() -> None:
            seen, token = 0, None
            while True:
                page = client.search_runs([exp], max_results=1000, page_token=token)
                seen += len(page)
                token = page.token
                if not token:
                    break
            assert seen == size, (seen, size)

        return {f"search_{size}": median_time(top), "page_all": median_time(page_all, repeat=1, warmup=0)}

    # -- files ---------------------------------------------------------------------------------

    def files(self, client: Any) -> Figures:
        assert self.test_files is not None
        run_id = client.create_run(_experiment(client, "bench-files")).info.run_id
        out = fresh(self.work)
        files = self.test_files

        def into(k: int) -> str:
            (out / f"d{k}").mkdir(parents=True, exist_ok=True)
            return str(out / f"d{k}")

        def files_down(k: int) -> None:
            client.download_artifacts(run_id, "small-0", into(k))
            assert sum(1 for _ in (out / f"d{k}" / "small-0").iterdir()) == files.small_count

        figures = {
            "file_up": best_rate(files.big_mb, lambda k: client.log_artifact(run_id, str(files.big), f"big-{k}")),
            "file_down": best_rate(files.big_mb, lambda k: client.download_artifacts(run_id, "big-0/big.bin", into(k))),
            "files_up": best_rate(
                files.small_count, lambda k: client.log_artifacts(run_id, str(files.small), f"small-{k}")
            ),
            "files_down": best_rate(files.small_count, files_down),
        }
        fresh(self.work)
        client.set_terminated(run_id)
        return figures


def _experiment(client: Any, name: str) -> str:
    """The id of experiment ``name``, made through the server (so its artifacts go through the proxy)."""
    found = client.get_experiment_by_name(name)
    return str(found.experiment_id) if found is not None else str(client.create_experiment(name))
