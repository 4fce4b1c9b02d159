"""Jobs (issue 5's benchmark): how fast a submitted script starts, how many queued jobs pass
through two slots, how long an environment takes to build and to find in its cache.

    PYTHONPATH=src python benchmarks/jobs.py            # 200 queued jobs, 10 samples a case
    PYTHONPATH=src python benchmarks/jobs.py --quick    # 20 queued jobs, 5 samples a case
    PYTHONPATH=src python benchmarks/jobs.py --skip-ray

Starts ``mlyard up`` with a throw-away home. "First line" is the time from ``exp.submit()`` to
the script's first line reaching the client (``run.read_log`` polled every 20 ms), for a
script in a cached environment on ``local`` and on a Ray head that mlyard owns; the same
script submitted straight to that head's Jobs API (``submit_job``, then ``get_job_logs`` polled
every 20 ms) is the reference for mlyard's overhead. The queued jobs' reference is the same
number of one-second scripts run as plain processes two at a time (interpreter start included),
and where each job's slot time went comes from the jobs' recorded transitions. Prints one table
with issue 5's bars.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from _servers import Server, start_mlyard

from mlyard import (
    ComputeTarget,
    CondaDependencies,
    Environment,
    Experiment,
    RayCompute,
    Run,
    ScriptRunConfig,
    TokenAuthentication,
    Workspace,
)
from mlyard.sdk.compute import LocalCompute

MARK = "FIRST-LINE"
FIRST = f'print("{MARK}", flush=True)\n'
SLEEP = "import time\ntime.sleep(1)\n"
POLL = 0.02

Figures = dict[str, float]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def until_line(read: Callable[[], str]) -> float:
    """Seconds until ``read()`` holds the first line (called from the moment of submission)."""
    began = time.perf_counter()
    while MARK not in read():
        time.sleep(POLL)
    return time.perf_counter() - began


def mlyard_first_line(ws: Workspace, folder: Path, target: str, environment: str | None, samples: int) -> list[float]:
    exp = Experiment(ws, f"first-line-{target}")
    config = ScriptRunConfig(str(folder), "first.py", compute_target=target, environment=environment)
    times = []
    for i in range(samples + 1):  # the first one warms the target (and starts a Ray head)
        began = time.perf_counter()
        run = exp.submit(config)
        seen = ""

        def read(run: Run = run) -> str:
            nonlocal seen
            seen += run.read_log(len(seen.encode()))["content"]
            return seen

        while MARK not in read():
            time.sleep(POLL)
        took = time.perf_counter() - began
        run.wait_for_completion()
        if i:
            times.append(took)
    return times


def ray_first_line(dashboard_url: str, folder: Path, samples: int) -> list[float]:
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(dashboard_url)
    times = []
    for i in range(samples + 1):
        began = time.perf_counter()
        sid = client.submit_job(entrypoint="python first.py", runtime_env={"working_dir": str(folder)})
        until_line(lambda sid=sid: client.get_job_logs(sid))
        took = time.perf_counter() - began
        while not client.get_job_status(sid).is_terminal():
            time.sleep(POLL)
        if i:
            times.append(took)
    return times


def environment_times(ws: Workspace) -> tuple[float, float]:
    env = Environment("bench-six")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    env.register(ws)
    began = time.perf_counter()
    built = env.build(ws, show_output=False)
    build = time.perf_counter() - began
    assert not built.cache_hit, "a fresh home has nothing cached"
    began = time.perf_counter()
    again = env.build(ws, show_output=False)
    hit = time.perf_counter() - began
    assert again.cache_hit
    return build, hit


def throughput(ws: Workspace, folder: Path, jobs: int) -> tuple[float, float, Figures]:
    """Seconds from the first submit to the last job's end, the ideal (jobs / 2 slots x 1 s), and
    where a slot's time went (medians from the jobs' recorded transitions)."""
    ComputeTarget.create(ws, "two-slots", LocalCompute.provisioning_configuration(max_concurrent_runs=2))
    exp = Experiment(ws, "throughput")
    config = ScriptRunConfig(str(folder), "sleep.py", compute_target="two-slots")
    began = time.time()
    runs = [exp.submit(config) for _ in range(jobs)]
    ended = []
    for run in runs:
        details = run.wait_for_completion()
        assert details["status"] == "Completed", details
        ended.append(_ended(details))
    return max(ended) - began, jobs / 2, phases(ws, runs)


def bare_throughput(folder: Path, jobs: int) -> float:
    """The same jobs as plain processes of the server's Python, two at a time, with nothing else:
    the reference that load and the interpreter's own start cost alike, measured in the same run
    (half just before mlyard's run, half just after)."""
    remaining = list(range(jobs))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not remaining:
                    return
                remaining.pop()
            subprocess.run([sys.executable, "sleep.py"], cwd=folder, check=True)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def phases(ws: Workspace, runs: list[Run]) -> Figures:
    """Median seconds a job spends preparing, running (1 s of sleep, the interpreter's start and
    end included), finalizing, and a slot waits between one job's end and the next one's claim."""
    rows = [ws._client.get(f"{ws._path}/runs/{run.id}/job") for run in runs]
    stamps = [[_stamp(r[k]) for k in ("preparingUtc", "runningUtc", "finalizingUtc", "endTimeUtc")] for r in rows]
    claims, ends = sorted(s[0] for s in stamps), sorted(s[3] for s in stamps)
    return {
        "preparing": statistics.median(s[1] - s[0] for s in stamps),
        "running": statistics.median(s[2] - s[1] for s in stamps),
        "finalizing": statistics.median(s[3] - s[2] for s in stamps),
        "slot idle": statistics.median(claims[i + 2] - ends[i] for i in range(len(ends) - 2)),
    }


def _stamp(text: object) -> float:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


def _ended(details: dict[str, object]) -> float:
    return _stamp(details["endTimeUtc"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 queued jobs and 5 samples a case")
    parser.add_argument("--jobs", type=int, help="queued one-second jobs (default 200; --quick 20)")
    parser.add_argument("--samples", type=int, help="submissions a first-line case (default 10; --quick 5)")
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    jobs = args.jobs or (20 if args.quick else 200)
    samples = args.samples or (5 if args.quick else 10)
    root = Path(tempfile.mkdtemp(prefix="mlyard-jobs-bench-"))
    folder = root / "src"
    folder.mkdir()
    (folder / "first.py").write_text(FIRST)
    (folder / "sleep.py").write_text(SLEEP)
    server: Server = start_mlyard(root / "mlyard", None)
    rows: list[tuple[str, str, str]] = []
    try:
        ws = Workspace(
            "default", "default", "default", auth=TokenAuthentication(server.token), endpoint=server.endpoint
        )
        build, hit = environment_times(ws)
        rows += [("environment build (pip: six)", f"{build:.2f} s", ""), ("environment cache hit", f"{hit:.3f} s", "")]
        say(f"environment: build {build:.2f} s, cache hit {hit:.3f} s")
        local = mlyard_first_line(ws, folder, "local", "bench-six", samples)
        rows.append(("first line, local, cached env (median)", f"{statistics.median(local):.3f} s", "< 1 s"))
        say(f"first line on local: {[round(t, 3) for t in local]}")
        if not args.skip_ray:
            rows += ray_rows(ws, folder, samples)
        before = bare_throughput(folder, jobs // 2)  # half the reference before, half after: the
        total, ideal, parts = throughput(ws, folder, jobs)  # load of the machine changes meanwhile
        after = bare_throughput(folder, jobs - jobs // 2)
        bare = before + after
        rows.append(
            (f"{jobs} one-second jobs, 2 slots", f"{total:.1f} s", f"ideal {ideal:.0f} s ({jobs / total:.2f} jobs/s)")
        )
        rows += [(f"  a job's {name} (median)", f"{value:.3f} s", "") for name, value in parts.items()]
        say(f"{jobs} jobs: through mlyard {total:.1f} s, as plain processes {bare:.1f} s")
        rows.append(
            (
                f"{jobs} one-second processes, 2 at a time, no mlyard",
                f"{bare:.1f} s",
                f"mlyard's overhead {(total - bare) / bare * 100:+.0f} %",
            )
        )
    finally:
        server.stop()
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'figure':>10}  bar / note")
    for case, figure, note in rows:
        print(f"{case:<{width}}  {figure:>10}  {note}")


def ray_rows(ws: Workspace, folder: Path, samples: int) -> list[tuple[str, str, str]]:
    config = RayCompute.provisioning_configuration(min_nodes=1, max_nodes=2)
    began = time.perf_counter()
    target = ComputeTarget.create(ws, "bench-ray", config)
    target.wait_for_completion()
    assert isinstance(target, RayCompute) and target.dashboard_url
    started = time.perf_counter() - began
    say(f"ray head started in {started:.1f} s at {target.dashboard_url}")
    try:
        ours = mlyard_first_line(ws, folder, "bench-ray", "bench-six", samples)
        say(f"first line on ray through mlyard: {[round(t, 3) for t in ours]}")
        straight = ray_first_line(target.dashboard_url, folder, samples)
        say(f"first line on ray straight: {[round(t, 3) for t in straight]}")
    finally:
        target.delete()
    mine, theirs = statistics.median(ours), statistics.median(straight)
    overhead = (mine - theirs) / theirs * 100
    return [
        ("Ray head start (create, min_nodes=1)", f"{started:.1f} s", ""),
        ("first line, Ray via mlyard (median)", f"{mine:.3f} s", f"overhead {overhead:+.0f} % (bar: at most +20 %)"),
        ("first line, Ray Jobs API straight (median)", f"{theirs:.3f} s", ""),
    ]


if __name__ == "__main__":
    main()
