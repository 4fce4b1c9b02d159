"""Run search (MLflow's filter grammar, ordering, keyset paging) through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import RunStatus
from mlyard.core.errors import ExperimentNotFound, InvalidFilter, ValidationError
from mlyard.services import experiments, metrics, run_changes, run_search, runs, subscriptions, workspaces
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")
N = 200
MODELS = ["cnn", "rnn", "mlp", "Cnn"]


@dataclass(frozen=True)
class Seeded:
    """What run i was given, to compute each search's expected answer in Python."""

    i: int
    id: str
    experiment: str
    lr: str
    model: str
    team: str | None
    accuracy: float | None  # None: never logged; NaN: logged as NaN
    loss: float
    completed: bool


def _accuracy(i: int) -> float | None:
    if i % 7 == 0:
        return None
    return math.nan if i % 50 == 1 else i / N


@pytest.fixture
def seeded(platform: Platform, admin: Principal) -> list[Seeded]:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws2")
    made = runs.create_runs(platform, None, *WS, "exp-a", count=N // 2, display_names=[f"a-{i}" for i in range(N // 2)])
    made += runs.create_runs(platform, None, *WS, "exp-b", count=N // 2)
    out = []
    for i, run in enumerate(made):
        s = Seeded(
            i, run.id, run.experiment_name, str((i % 5) / 10), MODELS[i % 4],
            None if i % 10 == 9 else ("vision" if i % 3 == 0 else "nlp"), _accuracy(i), 1 - i / N, i % 4 == 0,
        )  # fmt: skip
        run_changes.log_params(platform, *WS, run.id, {"lr": s.lr, "model": s.model})
        if s.team is not None:
            run_changes.update_run(platform, *WS, run.id, tags={"team": s.team, "f1 score": str(i)})
        series = [MetricSeries("loss", [0, 1], [2.0, s.loss], [1, 2])]
        if s.accuracy is not None:
            series.append(MetricSeries("accuracy", [0], [s.accuracy], [1]))
        metrics.ingest(platform, run, f"b{i}", series)
        if s.completed:
            run_changes.update_run(platform, *WS, run.id, status=RunStatus.COMPLETED)
        out.append(s)
    # Another workspace's run never shows up.
    other = runs.create_run(platform, None, "sub1", "rg1", "ws2", "exp-a", tags={"team": "vision"})
    run_changes.log_params(platform, "sub1", "rg1", "ws2", other.id, {"lr": "0.0"})
    return out


def _all(platform: Platform, page_size: int = 1000, **kwargs: object) -> list[str]:
    """Every run id of a search, page after page."""
    seen: list[str] = []
    cursor = None
    while True:
        page = run_search.search_runs(platform, *WS, max_results=page_size, cursor=cursor, **kwargs)  # type: ignore[arg-type]
        seen += [f.run.id for f in page.runs]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def _expect(seeded: list[Seeded], keep: Callable[[Seeded], bool]) -> set[str]:
    return {s.id for s in seeded if keep(s)}


def test_each_operator(platform: Platform, seeded: list[Seeded]) -> None:
    def check(text: str, keep: Callable[[Seeded], bool]) -> None:
        assert set(_all(platform, filter=text)) == _expect(seeded, keep), text

    def acc(s: Seeded) -> float:
        # Missing and NaN never match a comparison.
        return math.nan if s.accuracy is None else s.accuracy

    check("metrics.accuracy > 0.5", lambda s: acc(s) > 0.5)
    check("metrics.accuracy >= 0.5", lambda s: acc(s) >= 0.5)
    check("metric.accuracy < 0.1", lambda s: acc(s) < 0.1)
    check("metrics.accuracy <= 0.1", lambda s: acc(s) <= 0.1)
    check("metrics.accuracy = 0.5", lambda s: acc(s) == 0.5)
    check("metrics.accuracy != 0.5", lambda s: not math.isnan(acc(s)) and acc(s) != 0.5)
    check("params.lr = '0.2'", lambda s: s.lr == "0.2")
    check("param.lr != '0.2'", lambda s: s.lr != "0.2")
    check("parameters.model LIKE 'c%'", lambda s: s.model == "cnn")
    check("params.model ILIKE 'C_N'", lambda s: s.model.lower() == "cnn")
    check("params.model IN ('rnn', 'mlp')", lambda s: s.model in ("rnn", "mlp"))
    check("params.model NOT IN ('rnn', 'mlp')", lambda s: s.model not in ("rnn", "mlp"))
    check("tags.team = 'vision'", lambda s: s.team == "vision")
    check('tag.team != "vision"', lambda s: s.team is not None and s.team != "vision")
    check("tags.`f1 score` = '12'", lambda s: s.i == 12 and s.team is not None)
    check("attributes.status = 'FINISHED'", lambda s: s.completed)
    check("attr.status = 'Running'", lambda s: not s.completed)
    check("run.status IN ('KILLED', 'Completed')", lambda s: s.completed)
    check("attributes.run_name LIKE 'a-1%'", lambda s: s.experiment == "exp-a" and str(s.i).startswith("1"))
    check(f"attributes.run_id = '{seeded[5].id}'", lambda s: s.i == 5)
    check("attributes.created > 0 and attributes.start_time >= 0", lambda s: True)
    check("attributes.end_time > 0", lambda s: s.completed)
    check(
        "metrics.accuracy > 0.9 and tags.team = 'vision' AND params.lr IN ('0.0', '0.1')",
        lambda s: acc(s) > 0.9 and s.team == "vision" and s.lr in ("0.0", "0.1"),
    )
    assert set(_all(platform, filter="", experiment_names=["exp-b"])) == _expect(seeded, lambda s: s.i >= N // 2)
    assert len(_all(platform)) == N
    with pytest.raises(ExperimentNotFound):
        run_search.search_runs(platform, *WS, experiment_names=["nope"])


def test_nan_never_matches_and_deleted_runs_are_left_out(platform: Platform, seeded: list[Seeded]) -> None:
    nan_runs = {s.id for s in seeded if s.accuracy is not None and math.isnan(s.accuracy)}
    assert nan_runs
    for text in ("metrics.accuracy > -1e308", "metrics.accuracy < 1e308", "metrics.accuracy != 0.5"):
        assert not nan_runs & set(_all(platform, filter=text))
    found = run_search.search_runs(platform, *WS, filter=f"attributes.run_id = '{next(iter(nan_runs))}'").runs[0]
    assert math.isnan(found.metrics["accuracy"].value) and found.run.params["lr"]
    run_changes.delete_run(platform, *WS, seeded[3].id)
    assert seeded[3].id not in _all(platform)
    assert seeded[3].id in _all(platform, include_deleted=True)


def test_runs_of_a_deleted_experiment_are_left_out(platform: Platform, seeded: list[Seeded]) -> None:
    in_b = _expect(seeded, lambda s: s.experiment == "exp-b")
    experiments.delete_experiment(platform, *WS, "exp-b")
    assert not in_b & set(_all(platform))
    assert not in_b & set(_all(platform, filter="metrics.loss < 2"))
    deleted = [f.run for f in run_search.search_runs(platform, *WS, include_deleted=True, max_results=1000).runs]
    assert in_b <= {r.id for r in deleted}
    assert all(r.deleted_at is not None for r in deleted if r.id in in_b)
    experiments.restore_experiment(platform, *WS, "exp-b")
    assert in_b <= set(_all(platform))


def test_order_with_missing_keys_last_and_paging(platform: Platform, seeded: list[Seeded]) -> None:
    for descending in (True, False):
        order = ["metrics.accuracy DESC" if descending else "metrics.accuracy"]
        got = _all(platform, page_size=17, order_by=order)
        assert len(got) == len(set(got)) == N  # every run exactly once
        by_id = {s.id: s for s in seeded}
        values = [by_id[i].accuracy for i in got]
        known = [v for v in values if v is not None and not math.isnan(v)]
        assert known == sorted(known, reverse=descending)
        # missing (never logged) and NaN come after every value
        assert all(v is None or math.isnan(v) for v in values[len(known) :])
    two_keys = _all(platform, page_size=9, order_by=["tags.team", "params.lr DESC"])
    assert len(two_keys) == len(set(two_keys)) == N
    by_id = {s.id: s for s in seeded}
    teams = [by_id[i].team for i in two_keys]
    present = [t for t in teams if t is not None]
    assert present == sorted(present) and teams[len(present) :] == [None] * (N - len(present))
    vision = [by_id[i].lr for i in two_keys if by_id[i].team == "vision"]
    assert vision == sorted(vision, reverse=True)
    newest = _all(platform, page_size=33, order_by=["attributes.created DESC"], filter="metrics.loss < 0.5")
    assert set(newest) == _expect(seeded, lambda s: s.loss < 0.5) and len(newest) == len(set(newest))
    named = _all(platform, page_size=11, order_by=["attributes.run_name"])
    assert len(named) == N and [by_id[i].experiment for i in named[N // 2 :]] == ["exp-b"] * (N // 2)


def test_cursor_refused_with_another_search_and_limits(platform: Platform, seeded: list[Seeded]) -> None:
    page = run_search.search_runs(platform, *WS, filter="params.lr = '0.1'", max_results=5)
    assert len(page.runs) == 5 and page.next_cursor
    with pytest.raises(InvalidFilter, match="another filter"):
        run_search.search_runs(platform, *WS, filter="params.lr = '0.2'", max_results=5, cursor=page.next_cursor)
    with pytest.raises(InvalidFilter, match="another filter"):
        run_search.search_runs(
            platform, *WS, filter="params.lr = '0.1'", order_by=["params.lr"], cursor=page.next_cursor
        )
    again = run_search.search_runs(platform, *WS, filter="params.lr  =  '0.1'", max_results=5, cursor=page.next_cursor)
    assert not {f.run.id for f in again.runs} & {f.run.id for f in page.runs}
    with pytest.raises(ValidationError, match="page token"):
        run_search.search_runs(platform, *WS, cursor="garbage")
    with pytest.raises(ValidationError, match="1 to 1000"):
        run_search.search_runs(platform, *WS, max_results=1001)
    with pytest.raises(InvalidFilter, match="position 17"):
        run_search.search_runs(platform, *WS, filter="metrics.loss > 1 or tags.a = 'b'")
    assert len(run_search.search_runs(platform, *WS).runs) == 100


def test_filter_on_the_order_key_answers_as_an_exists_would(platform: Platform, seeded: list[Seeded]) -> None:
    """A filter on the key the order walks is tested on the joined row (not through EXISTS): same
    runs, same order, every run once across pages with ties (five lr values), NaN never matching."""
    by_id = {s.id: s for s in seeded}

    def acc(s: Seeded) -> float:
        return math.nan if s.accuracy is None else s.accuracy

    cases: list[tuple[str, str, Callable[[Seeded], bool], Callable[[Seeded], object]]] = [
        ("metrics.accuracy > 0.3 and metrics.accuracy <= 0.7", "metrics.accuracy DESC",
         lambda s: 0.3 < acc(s) <= 0.7, acc),
        ("metrics.accuracy != 0.5", "metrics.accuracy", lambda s: not math.isnan(acc(s)) and acc(s) != 0.5, acc),
        ("params.lr IN ('0.1', '0.3') and tags.team = 'vision'", "params.lr DESC",
         lambda s: s.lr in ("0.1", "0.3") and s.team == "vision", lambda s: s.lr),
        ("params.lr != '0.2'", "params.lr", lambda s: s.lr != "0.2", lambda s: s.lr),
        ("params.model LIKE 'c%'", "params.model", lambda s: s.model == "cnn", lambda s: s.model),
        ("tags.team NOT IN ('nlp')", "tags.team DESC", lambda s: s.team == "vision", lambda s: s.team),
    ]  # fmt: skip
    for text, order, keep, key in cases:
        descending = order.endswith("DESC")
        for page_size in (7, 1000):
            got = _all(platform, page_size=page_size, filter=text, order_by=[order])
            assert len(got) == len(set(got)), (text, order)
            assert set(got) == _expect(seeded, keep), (text, order)
            values = [key(by_id[i]) for i in got]
            assert values == sorted(values, reverse=descending), (text, order)  # type: ignore[type-var]
            # Ties go by run id, in the direction of the last key.
            ties = [i for i in got if key(by_id[i]) == values[0]]
            assert ties == sorted(ties, reverse=descending), (text, order)
