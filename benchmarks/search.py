"""Run search at growing sizes (a benchmark script, not a test).

    PYTHONPATH=src python benchmarks/search.py [--sizes 1000 10000]

Seeds each size of runs (5 params, 5 metrics, 3 tags each) through the services into a
throw-away SQLite store, then times, in the service (no HTTP), a filtered, ordered top-100
search (``metrics.accuracy > 0.9 and tags.team = 'vision'`` by ``metrics.accuracy DESC``), the
same search without its filter, and paging through every run 1,000 at a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.scopes import Scope
from mlyard.core.settings import Settings
from mlyard.services import identity, metrics, rbac, run_changes, run_search, runs, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.store import migrate
from mlyard.store.database import Database

WS = ("bench", "bench-rg", "bench")
FILTER = "metrics.accuracy > 0.9 and tags.team = 'vision'"
ORDER = ["metrics.accuracy DESC"]
TEAMS = ("vision", "nlp", "speech")


def platform_at(home: Path) -> Platform:
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'mlyard.db'}")
    db = Database(settings.database_url)
    migrate.upgrade(db.write_engine)
    rbac.ensure_builtin_roles(db)
    p = Platform(settings, db, open_blob_store((home / "blobs").as_uri()))
    user = identity.create_user(db, "bench-admin", "a-long-password")
    rbac.assign_role(db, user.id, PrincipalType.USER, "Owner", Scope.root(), created_by=None)
    admin = Principal(user.id, PrincipalType.USER, user.username, "bench")
    subscriptions.create_subscription(p, admin, WS[0])
    subscriptions.create_resource_group(p, admin, WS[0], WS[1])
    workspaces.create_workspace(p, admin, *WS)
    return p


def seed(p: Platform, count: int, rng: random.Random) -> None:
    batch = 100
    for start in range(0, count, batch):
        tags = {"team": TEAMS[(start // batch) % 3], "owner": f"user{start % 7}", "stage": "dev"}
        made = runs.create_runs(p, None, *WS, f"exp-{start // 1000}", count=min(batch, count - start), tags=tags)
        for run in made:
            params = {"lr": str(rng.choice([0.1, 0.01, 0.001])), "batch": str(rng.choice([32, 64])), "model": "cnn"}
            params |= {"seed": str(rng.randrange(1000)), "epochs": "10"}
            run_changes.log_params(p, *WS, run.id, params)
            names = ("accuracy", "loss", "f1", "precision", "recall")
            series = [MetricSeries(n, [0], [rng.random()], [0]) for n in names]
            metrics.ingest(p, run, run.id, series)


def timed(call: object, repeat: int = 7) -> float:
    """The median wall time of ``call()``, in milliseconds."""
    assert callable(call)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def page_all(p: Platform) -> int:
    seen, cursor = 0, None
    while True:
        page = run_search.search_runs(p, *WS, max_results=1000, cursor=cursor)
        seen += len(page.runs)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    print(f"{'runs':>8} {'seed s':>8} {'filtered top-100 ms':>20} {'ordered top-100 ms':>19} {'page all ms':>12}")
    for size in args.sizes:
        home = Path(tempfile.mkdtemp(prefix="mlyard-search-"))
        p = platform_at(home)
        start = time.perf_counter()
        seed(p, size, random.Random(size))
        seeded = time.perf_counter() - start
        hits = len(run_search.search_runs(p, *WS, filter=FILTER, order_by=ORDER).runs)
        filtered = timed(lambda p=p: run_search.search_runs(p, *WS, filter=FILTER, order_by=ORDER))
        ordered = timed(lambda p=p: run_search.search_runs(p, *WS, order_by=ORDER))
        assert page_all(p) == size
        paged = timed(lambda p=p: page_all(p), repeat=3)
        print(f"{size:>8} {seeded:>8.1f} {filtered:>20.1f} {ordered:>19.1f} {paged:>12.1f}   ({hits} hits)")
        p.db.dispose()


if __name__ == "__main__":
    main()
