"""Run creation through its services, on SQLite and PostgreSQL: both paths (whole runs with a
client-made id, and numbered batches of runs) write rows through one builder, and answer with the
values they wrote; what they answer is what a later read finds."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import RunStatus, RunType
from mlyard.core.errors import RunAlreadyExists, RunNotFound, ValidationError
from mlyard.services import metrics, runs
from mlyard.services.platform import Platform
from mlyard.services.run_creation import NewRun, create_whole_run
from mlyard.store.metrics import MetricBatchRow
from mlyard.store.runs import RunParamRow, RunRow, RunTagRow

WS = ("sub1", "rg1", "ws1")


def whole(run_id: str | None = None, **changes: object) -> NewRun:
    values: dict[str, object] = {
        "run_id": run_id or uuid.uuid4().hex,
        "display_name": "whole",
        "tags": {"team": "vision", "b": "2", "a": "1"},
        "properties": {"origin": "test"},
        "params": {"lr": 0.01, "layers": 3, "model": "cnn"},
        "status": RunStatus.COMPLETED,
        "batch_id": uuid.uuid4().hex,
        "series": [MetricSeries("loss", [0, 1], [0.5, 0.25], [1_700_000_000_000, 1_700_000_000_500])],
    }
    values.update(changes)
    return NewRun(**values)  # type: ignore[arg-type]


def count(platform: Platform, table: type[RunRow] | type[RunTagRow] | type[RunParamRow] | type[MetricBatchRow]) -> int:
    with platform.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_whole_run_answers_what_a_read_finds(platform: Platform, admin: Principal, ws: tuple[str, str, str]) -> None:
    made, created = create_whole_run(platform, admin, *ws, "exp", whole())
    assert created
    assert made == runs.get_run(platform, *ws, made.id)  # every field, the ordered key/values too
    assert list(made.tags) == ["a", "b", "team"] and made.params == {"layers": "3", "lr": "0.01", "model": "cnn"}
    assert (made.number, made.status, made.created_by, made.ended_at is not None) == (
        1,
        RunStatus.COMPLETED,
        admin.id,
        True,
    )
    assert list(metrics.history(platform, made, "loss").values) == [0.5, 0.25]


def test_numbered_runs_answer_what_a_read_finds(platform: Platform, admin: Principal, ws: tuple[str, str, str]) -> None:
    first, _ = create_whole_run(platform, admin, *ws, "exp", whole())
    made = runs.create_runs(
        platform, admin, *ws, "exp", count=3, display_names=["x"], tags={"k": "v"}, properties={"p": "1"}
    )
    assert [r.number for r in made] == [2, 3, 4]
    assert made == [runs.get_run(platform, *ws, r.id) for r in made]
    queued = runs.create_runs(platform, None, *ws, "exp", run_type=RunType.SCRIPT, status=RunStatus.QUEUED)[0]
    assert queued == runs.get_run(platform, *ws, queued.id)
    assert queued.started_at is None and queued.created_by is None and queued.number == 5
    kids = runs.create_children(platform, admin, *ws, made[0].id, count=2)
    assert kids == [runs.get_run(platform, *ws, k.id) for k in kids]
    assert [k.number for k in kids] == [6, 7] and {k.parent_run_id for k in kids} == {made[0].id}
    assert first.number == 1


def test_a_retried_creation_stores_nothing_twice_and_another_body_is_refused(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    run_id = uuid.uuid4().hex
    new = whole(run_id)
    made, _ = create_whole_run(platform, admin, *ws, "exp", new)
    stored = (count(platform, RunRow), count(platform, RunTagRow), count(platform, MetricBatchRow))
    again, created = create_whole_run(platform, admin, *ws, "exp", new)
    assert not created and again == made
    with pytest.raises(RunAlreadyExists):
        create_whole_run(platform, admin, *ws, "exp", whole(run_id, params={"lr": 0.02}))
    with pytest.raises(RunAlreadyExists):  # the same id in another experiment is another run
        create_whole_run(platform, admin, *ws, "other", new)
    assert (count(platform, RunRow), count(platform, RunTagRow), count(platform, MetricBatchRow)) == stored
    assert runs.get_run(platform, *ws, run_id) == made


@pytest.mark.parametrize(
    ("changes", "target"),
    [
        ({"run_id": "NOT-HEX"}, "runId"),
        ({"status": RunStatus.RUNNING}, "status"),
        ({"params": {"lr": "x" * 10_000}}, "params"),
        ({"batch_id": None}, "batchId"),
        ({"display_name": "a\nb"}, "displayName"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    platform: Platform, admin: Principal, ws: tuple[str, str, str], changes: dict[str, object], target: str
) -> None:
    kept, _ = create_whole_run(platform, admin, *ws, "exp", whole())
    with pytest.raises(ValidationError) as refused:
        create_whole_run(platform, admin, *ws, "exp", whole(**changes))
    assert refused.value.target == target
    assert count(platform, RunRow) == 1 and count(platform, MetricBatchRow) == 1
    assert runs.get_run(platform, *ws, kept.id) == kept


def test_a_child_is_numbered_in_its_parents_experiment(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    parent, _ = create_whole_run(platform, admin, *ws, "parents", whole(status=None, series=[], batch_id=None))
    create_whole_run(platform, admin, *ws, "elsewhere", whole())
    child, _ = create_whole_run(platform, admin, *ws, "elsewhere", whole(parent_run_id=parent.id))
    assert (child.experiment_name, child.number) == ("parents", 2)
    assert child == runs.get_run(platform, *ws, child.id)
    with pytest.raises(RunNotFound, match="Parent run"):
        create_whole_run(platform, admin, *ws, "elsewhere", whole(parent_run_id=uuid.uuid4().hex))


def test_the_one_row_builder_is_used_by_both_paths() -> None:
    """services/runs.py and services/run_creation.py build no RunRow of their own."""
    import inspect

    from mlyard.services import run_creation

    for module in (runs, run_creation):
        assert "RunRow(" not in inspect.getsource(module)
