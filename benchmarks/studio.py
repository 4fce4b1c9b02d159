"""The studio in a real browser (issue 7's benchmark): the experiment page with 10,000 runs and
the run page with a 1,000,000-point metric, timed with the browser's Performance API.

    PYTHONPATH=src python benchmarks/studio.py            # 10,000 runs, 1,000,000 points, 5 loads a page
    PYTHONPATH=src python benchmarks/studio.py --quick    # 1,000 runs, 100,000 points, 2 loads a page

Starts ``mlyard up`` with a throw-away home (SQLite, local files), which serves the built studio
(``bash scripts/build-studio.sh`` first). Seeds an experiment through the SDK with one real run
(5 params, 5 metrics, 3 tags) and copies it to 10,000 runs with ``_seed.clone_runs`` (rows the
server itself writes, inserted a thousand a transaction), and logs one run's 1,000,000-point
metric through the batched metrics API (100,000 points a request). Then Debian's Chromium,
driven by Playwright, opens each page several times; the app sets ``performance.mark``
``mlyard:runs-first-page`` when the runs table has rendered its first page and
``mlyard:chart-drawn`` when the first chart has drawn, and the figure is the mark's
``startTime``: milliseconds from navigation start. The first load of each page has a cold HTTP
cache; the median is over the later, warm ones (a studio kept open all day). Prints one table
with issue 7's bars and the machine's load average, which other work on the machine moves.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _seed import MLYARD, clone_runs, mlyard_run_facts, mlyard_vary, run_values, sqlite_engine
from _servers import Server, start_mlyard

from mlyard import Experiment, TokenAuthentication, Workspace

CHROMIUM = "/usr/bin/chromium"
STUDIO_INDEX = Path(__file__).resolve().parents[1] / "src" / "mlyard" / "server" / "static" / "studio" / "index.html"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
RUNS_MARK = "mlyard:runs-first-page"
CHART_MARK = "mlyard:chart-drawn"
TOKEN_KEY = "mlyard.token"  # where the studio keeps the signed-in user's token (studio/src/api/client.ts)
WORKSPACE = ("default", "default", "default")
BATCH = 100_000
BAR_MS = 1000.0
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Load:
    """One page load: the mark, and when the request that feeds it (search, history) started and ended."""

    mark: float
    request_start: float
    request_end: float


@dataclass(frozen=True)
class Sizes:
    runs: int
    points: int
    loads: int


FULL = Sizes(runs=10_000, points=1_000_000, loads=5)
QUICK = Sizes(runs=1_000, points=100_000, loads=2)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def studio_path(*parts: str) -> str:
    """A studio page of the default workspace (the studio's routes: /subscriptions/…/workspaces/…/…)."""
    sub, rg, ws = (quote(p, safe="") for p in WORKSPACE)
    return f"/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}/" + "/".join(quote(p, safe="") for p in parts)


# -- seeding ---------------------------------------------------------------------------------


def seed_runs(ws: Workspace, home: Path, count: int) -> str:
    """An experiment of ``count`` runs: one through the SDK, the rest copies of it (see _seed)."""
    rng = random.Random(7)
    exp = Experiment(ws, "bench-studio")
    tags, params, metrics = run_values(0, rng)
    template = exp.start_logging(display_name="run-0", tags=tags)
    template._client.post(template._path + "/params", {"params": params})  # the SDK has no params call
    for key, value in metrics.items():
        template.log(key, value)
    template.complete()
    engine = sqlite_engine(str(home / "mlyard.db"))
    try:
        created, number = mlyard_run_facts(engine, template.id)
        clone_runs(engine, MLYARD, template.id, count - 1, mlyard_vary(rng, created, number), first=1)
    finally:
        engine.dispose()
    return exp.name


def seed_points(ws: Workspace, points: int) -> str:
    """A run whose metric 'loss' has ``points`` points, sent through the batched metrics API."""
    run = Experiment(ws, "bench-chart").start_logging(display_name=f"{points:,} points")
    stamp = int(time.time() * 1000) - points
    for first in range(0, points, BATCH):
        size = min(BATCH, points - first)
        steps = list(range(first, first + size))
        run._client.post(
            run._path + "/metrics/batch",
            {
                "batchId": uuid.uuid4().hex,
                "series": [
                    {
                        "name": "loss",
                        "steps": steps,
                        "values": [1.0 / (1 + s * 1e-4) + 0.05 * random.random() for s in steps],
                        "timestamps": [stamp + s for s in steps],
                    }
                ],
            },
        )
    run.complete()
    return run.id


# -- the browser -----------------------------------------------------------------------------


def mark_ms(page: Any, mark: str, timeout_ms: float = 60_000) -> float:
    """Milliseconds from navigation start to ``performance.mark(mark)`` of the page."""
    page.wait_for_function(f"performance.getEntriesByName({json.dumps(mark)}).length > 0", timeout=timeout_ms)
    return float(page.evaluate(f"performance.getEntriesByName({json.dumps(mark)})[0].startTime"))


def request_span(page: Any, part: str) -> tuple[float, float]:
    """When the page's request whose URL holds ``part`` started and ended (ms from navigation start)."""
    found = page.evaluate(
        "part => performance.getEntriesByType('resource').filter(e => e.name.includes(part))"
        ".map(e => [e.startTime, e.responseEnd])",
        part,
    )
    return (float(found[-1][0]), float(found[-1][1])) if found else (math.nan, math.nan)


def time_page(context: Any, url: str, mark: str, loads: int, check: str, request: str) -> list[Load]:
    """Open ``url`` ``loads`` times in fresh tabs of one browser context; each load's times."""
    times = []
    for _ in range(loads):
        page = context.new_page()
        page.goto(url, wait_until="commit")
        at = mark_ms(page, mark)
        # The mark must stand for a real page: the table's rows or the chart's canvas are there.
        assert page.locator(check).count() > 0, f"{check} not on {url}"
        times.append(Load(at, *request_span(page, request)))
        page.close()
    return times


def measure(server: Server, experiment: str, run_id: str, sizes: Sizes, shots: Path | None) -> dict[str, list[Load]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=server.endpoint, viewport=VIEWPORT)  # type: ignore[arg-type]
            context.add_init_script(f"localStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(server.token)})")
            runs_url = studio_path("experiments", experiment)
            chart_url = studio_path("runs", run_id) + "?tab=metrics"
            figures = {
                "runs": time_page(context, runs_url, RUNS_MARK, sizes.loads, "table tbody tr", "/runs/search"),
                "chart": time_page(
                    context, chart_url, CHART_MARK, sizes.loads, "[data-testid=metric-chart] canvas", "format=binary"
                ),
            }
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                for name, url, mark in (("experiment", runs_url, RUNS_MARK), ("run-chart", chart_url, CHART_MARK)):
                    page = context.new_page()
                    page.goto(url)
                    mark_ms(page, mark)
                    page.screenshot(path=str(shots / f"bench-{name}.png"))
                    page.close()
            context.close()
        finally:
            browser.close()
    return figures


# -- the table -------------------------------------------------------------------------------


def rows(figures: dict[str, list[Load]], sizes: Sizes) -> list[tuple[str, str, str, str, str]]:
    out = []
    for key, label in (
        ("runs", f"experiment page, first page of {sizes.runs:,} runs"),
        ("chart", f"run page, {sizes.points:,}-point metric chart drawn"),
    ):
        times = [load.mark for load in figures[key]]
        warm = times[1:] or times
        median = statistics.median(warm)
        met = "met" if median < BAR_MS else "MISSED"
        out.append((label, f"{times[0]:.0f} ms", f"{median:.0f} ms", f"< {BAR_MS:.0f} ms", met))
    return out


def print_table(lines: Sequence[tuple[str, ...]], title: str) -> None:
    headers = ("figure (navigation start to mark)", "first load", "median of later", "issue 7's bar", "met")
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    print(title)
    for line in [headers, *lines]:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs, 100,000 points, 2 loads a page")
    parser.add_argument("--runs", type=int, help="runs in the experiment (default 10,000)")
    parser.add_argument("--points", type=int, help="points of the big metric (default 1,000,000)")
    parser.add_argument("--loads", type=int, help="loads of each page (default 5)")
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of each page into this folder")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(args.runs or base.runs, args.points or base.points, args.loads or base.loads)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    if not STUDIO_INDEX.is_file():
        raise SystemExit(f"the studio is not built ({STUDIO_INDEX} is missing): bash scripts/build-studio.sh")
    began = time.perf_counter()
    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="mlyard-studio-bench-"))
    server = start_mlyard(root / "mlyard", root / "pycache")
    try:
        ws = Workspace(*WORKSPACE, auth=TokenAuthentication(server.token), endpoint=server.endpoint)
        t = time.perf_counter()
        experiment = seed_runs(ws, root / "mlyard", sizes.runs)
        say(f"seeded {sizes.runs:,} runs in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        run_id = seed_points(ws, sizes.points)
        say(f"logged {sizes.points:,} points in {time.perf_counter() - t:.1f} s")
        figures = measure(server, experiment, run_id, sizes, args.screenshots)
    finally:
        server.stop()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()
    title = (
        f"mlyard studio in Chromium on {platform.node()} ({os.cpu_count()} cores), "
        f"{'quick' if args.quick else 'full'} run, {time.perf_counter() - began:.0f} s; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print_table(rows(figures, sizes), title)
    for key, request in (("runs", "POST …/runs/search"), ("chart", "GET …/metrics/loss?format=binary&maxPoints=…")):
        loads = figures[key]
        print(
            f"- {key}: every load {', '.join(f'{x.mark:.0f}' for x in loads)} ms; {request} sent at "
            f"{', '.join(f'{x.request_start:.0f}' for x in loads)} ms, answered in "
            f"{', '.join(f'{x.request_end - x.request_start:.0f}' for x in loads)} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
