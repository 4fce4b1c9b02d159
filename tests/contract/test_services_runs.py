"""Experiments and runs through their services, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.tracking import RunStatus, RunType
from mlyard.core.errors import (
    ExperimentArchived,
    ExperimentDeleted,
    ExperimentNotFound,
    InvalidName,
    PropertyAlreadySet,
    RunNotFound,
    RunNotWritable,
    ValidationError,
    WorkspaceNotFound,
)
from mlyard.services import experiments, run_changes, runs, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.experiments import ExperimentRow
from mlyard.store.runs import RunRow, RunTagRow

WS = ("sub1", "rg1", "ws1")


@pytest.fixture
def ws(platform: Platform, admin: Principal) -> tuple[str, str, str]:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws2")
    return WS


def test_experiment_get_or_create_by_name(platform: Platform, ws: tuple[str, str, str]) -> None:
    made = experiments.get_or_create_experiment(platform, *ws, "train-mnist", {"team": "vision"})
    again = experiments.get_or_create_experiment(platform, *ws, "Train-MNIST")
    assert again.id == made.id and again.name == "train-mnist" and again.tags == {"team": "vision"}
    assert made.created_at.tzinfo is not None and not made.archived
    with pytest.raises(ExperimentNotFound, match=r"'nope'.*'ws1'"):
        experiments.get_experiment(platform, *ws, "nope")
    with pytest.raises(InvalidName):
        experiments.get_or_create_experiment(platform, *ws, "bad/name")
    with pytest.raises(WorkspaceNotFound):
        experiments.get_or_create_experiment(platform, "sub1", "rg1", "nowhere", "x")


def test_archive_reactivate_tags_delete_restore(platform: Platform, ws: tuple[str, str, str]) -> None:
    experiments.get_or_create_experiment(platform, *ws, "a")
    experiments.get_or_create_experiment(platform, *ws, "b")
    archived = experiments.update_experiment(platform, *ws, "a", archived=True, tags={"k": "v", "x": "1"})
    assert archived.archived and archived.tags == {"k": "v", "x": "1"}
    assert [e.name for e in experiments.list_experiments(platform, *ws)] == ["b"]
    assert [e.name for e in experiments.list_experiments(platform, *ws, archived=True)] == ["a"]
    assert [e.name for e in experiments.list_experiments(platform, *ws, archived=None)] == ["a", "b"]
    with pytest.raises(ExperimentArchived, match="reactivate"):
        runs.create_run(platform, None, *ws, "a")
    back = experiments.update_experiment(platform, *ws, "a", archived=False, remove_tags=["x"])
    assert not back.archived and back.tags == {"k": "v"}
    runs.create_run(platform, None, *ws, "a")
    experiments.delete_experiment(platform, *ws, "b")
    with pytest.raises(ExperimentNotFound):
        experiments.get_experiment(platform, *ws, "b")
    with pytest.raises(ExperimentDeleted, match="restore"):
        experiments.get_or_create_experiment(platform, *ws, "b")
    assert experiments.restore_experiment(platform, *ws, "b").deleted_at is None


def test_create_run_makes_the_experiment_and_numbers_runs(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    first = runs.create_run(platform, admin, *ws, "exp", display_name="first", tags={"t": "1"}, properties={"p": "x"})
    second = runs.create_run(platform, admin, *ws, "exp")
    assert len(first.id) == 32 and int(first.id, 16) >= 0 and first.id == first.id.lower()
    assert (first.number, second.number) == (1, 2)
    assert first.status is RunStatus.RUNNING and first.run_type is RunType.INTERACTIVE
    assert first.started_at is not None and first.ended_at is None and first.created_by == admin.id
    assert (first.experiment_name, first.display_name, first.tags, first.properties) == (
        "exp",
        "first",
        {"t": "1"},
        {"p": "x"},
    )
    got = runs.get_run(platform, *ws, first.id)
    assert got == first
    with pytest.raises(RunNotFound, match=rf"'{'0' * 32}'.*'ws1'"):
        runs.get_run(platform, *ws, "0" * 32)
    with pytest.raises(RunNotFound):  # another workspace does not see it
        runs.get_run(platform, "sub1", "rg1", "ws2", first.id)


def test_status_transitions_and_terminal_refusal(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = runs.create_run(platform, None, *ws, "exp")
    done = run_changes.update_run(platform, *ws, run.id, status=RunStatus.COMPLETED)
    assert done.status is RunStatus.COMPLETED and done.ended_at is not None
    again = run_changes.update_run(platform, *ws, run.id, status=RunStatus.COMPLETED)
    assert again.ended_at == done.ended_at  # repeating the final status is a no-op
    with pytest.raises(RunNotWritable, match="is Completed"):
        run_changes.update_run(platform, *ws, run.id, status=RunStatus.FAILED)
    with pytest.raises(RunNotWritable, match="logging to a finished run is refused"):
        runs.ensure_writable(runs.get_run(platform, *ws, run.id))
    with pytest.raises(RunNotWritable):
        run_changes.log_params(platform, *ws, run.id, {"lr": "0.1"})
    # tags still change on a finished run
    assert run_changes.update_run(platform, *ws, run.id, tags={"late": "yes"}).tags == {"late": "yes"}

    failing = runs.create_run(platform, None, *ws, "exp")
    failed = run_changes.update_run(
        platform, *ws, failing.id, status=RunStatus.FAILED, error={"code": "UserError", "message": "boom"}
    )
    assert failed.status is RunStatus.FAILED and failed.error == {"code": "UserError", "message": "boom"}
    with pytest.raises(ValidationError, match="only with the status Failed"):
        run_changes.update_run(platform, *ws, runs.create_run(platform, None, *ws, "exp").id, error={"m": 1})
    canceled = run_changes.update_run(
        platform, *ws, runs.create_run(platform, None, *ws, "exp").id, status=RunStatus.CANCELED
    )
    assert canceled.status is RunStatus.CANCELED and canceled.status.terminal


def test_properties_are_write_once_and_params_too(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = runs.create_run(platform, None, *ws, "exp")
    run_changes.add_properties(platform, *ws, run.id, {"a": "1"})
    assert run_changes.add_properties(platform, *ws, run.id, {"a": "1", "b": "2"}).properties == {"a": "1", "b": "2"}
    with pytest.raises(PropertyAlreadySet, match="'a'") as info:
        run_changes.add_properties(platform, *ws, run.id, {"c": "3", "a": "other"})
    assert info.value.target == "a"
    assert runs.get_run(platform, *ws, run.id).properties == {"a": "1", "b": "2"}  # nothing of the bad batch
    assert run_changes.log_params(platform, *ws, run.id, {"lr": 0.1, "epochs": 3}).params == {
        "epochs": "3",
        "lr": "0.1",
    }
    with pytest.raises(PropertyAlreadySet, match="'lr'"):
        run_changes.log_params(platform, *ws, run.id, {"lr": "0.2"})


def test_tags_set_and_remove(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = runs.create_run(platform, None, *ws, "exp", tags={"a": "1", "b": "2"})
    changed = run_changes.update_run(platform, *ws, run.id, tags={"a": "9", "c": ""}, remove_tags=["b"])
    assert changed.tags == {"a": "9", "c": ""}
    assert run_changes.update_run(platform, *ws, run.id, display_name="renamed").display_name == "renamed"
    with pytest.raises(ValidationError):
        run_changes.update_run(platform, *ws, run.id, tags={"": "x"})


def test_a_nul_character_is_refused_by_postgresql_as_bad_input_and_kept_by_sqlite(
    platform: Platform, ws: tuple[str, str, str]
) -> None:
    run = runs.create_run(platform, None, *ws, "exp", tags={"a": "1"})
    if platform.db.url.startswith("postgresql"):
        with pytest.raises(ValidationError, match="NUL"):
            run_changes.update_run(platform, *ws, run.id, tags={"a": "x\x00y", "b": "2"})
        assert runs.get_run(platform, *ws, run.id).tags == {"a": "1"}  # nothing of the request stored
    else:
        changed = run_changes.update_run(platform, *ws, run.id, tags={"a": "x\x00y"})
        assert changed.tags == {"a": "x\x00y"}


def test_list_filters_and_keyset_paging(platform: Platform, ws: tuple[str, str, str]) -> None:
    made = [runs.create_run(platform, None, *ws, "exp", tags={"i": str(i), "even": str(i % 2 == 0)}) for i in range(7)]
    run_changes.update_run(platform, *ws, made[0].id, status=RunStatus.COMPLETED)
    run_changes.add_properties(platform, *ws, made[3].id, {"best": "yes"})
    seen: list[int] = []
    cursor = None
    while True:
        page = runs.list_runs(platform, *ws, experiment_name="exp", top=3, cursor=cursor)
        seen += [r.number for r in page.runs]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    by_status = runs.list_runs(platform, *ws, experiment_name="exp", statuses=[RunStatus.COMPLETED])
    assert [r.id for r in by_status.runs] == [made[0].id]
    assert [r.number for r in runs.list_runs(platform, *ws, tags={"even": "True"}).runs] == [7, 5, 3, 1]
    assert len(runs.list_runs(platform, *ws, tags={"i": None}).runs) == 7
    assert [r.id for r in runs.list_runs(platform, *ws, properties={"best": "yes"}).runs] == [made[3].id]
    workspace_wide: list[str] = []
    cursor = None
    while True:
        page = runs.list_runs(platform, *ws, top=2, cursor=cursor)
        workspace_wide += [r.id for r in page.runs]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert workspace_wide == [r.id for r in reversed(made)]
    with pytest.raises(ValidationError, match="cursor"):
        runs.list_runs(platform, *ws, cursor="not-a-cursor")


def test_children(platform: Platform, ws: tuple[str, str, str]) -> None:
    parent = runs.create_run(platform, None, *ws, "exp")
    kids = runs.create_children(platform, None, *ws, parent.id, count=3, display_names=["k0"])
    assert [k.parent_run_id for k in kids] == [parent.id] * 3 and kids[0].display_name == "k0"
    assert [k.number for k in kids] == [2, 3, 4]
    assert {r.id for r in runs.get_children(platform, *ws, parent.id)} == {k.id for k in kids}
    assert [r.id for r in runs.list_runs(platform, *ws, experiment_name="exp").runs] == [parent.id]
    assert len(runs.list_runs(platform, *ws, experiment_name="exp", include_children=True).runs) == 4
    other = runs.create_run(platform, None, "sub1", "rg1", "ws2", "exp")
    with pytest.raises(RunNotFound, match="Parent run"):
        runs.create_run(platform, None, *ws, "exp", parent_run_id=other.id)
    run_changes.update_run(platform, *ws, parent.id, status=RunStatus.COMPLETED)
    with pytest.raises(RunNotWritable):
        runs.create_children(platform, None, *ws, parent.id, count=1)


def test_soft_delete_and_restore(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = runs.create_run(platform, None, *ws, "exp")
    deleted = run_changes.delete_run(platform, *ws, run.id)
    assert deleted.deleted_at is not None
    assert runs.list_runs(platform, *ws).runs == []
    assert [r.id for r in runs.list_runs(platform, *ws, include_deleted=True).runs] == [run.id]
    with pytest.raises(RunNotWritable, match="deleted"):
        runs.ensure_writable(runs.get_run(platform, *ws, run.id))
    assert run_changes.restore_run(platform, *ws, run.id).deleted_at is None
    runs.ensure_writable(runs.get_run(platform, *ws, run.id))


def test_a_deleted_experiment_hides_runs_of_its_own_workspace_only(
    platform: Platform, ws: tuple[str, str, str]
) -> None:
    # Listings test "the run's experiment is live" against the workspace's live experiments.
    mine = runs.create_run(platform, None, *ws, "shared")
    runs.create_run(platform, None, "sub1", "rg1", "ws2", "shared")
    experiments.delete_experiment(platform, "sub1", "rg1", "ws2", "shared")
    assert [r.id for r in runs.list_runs(platform, *ws).runs] == [mine.id]
    assert [r.id for r in runs.list_runs(platform, *ws, experiment_name="shared").runs] == [mine.id]
    assert runs.list_runs(platform, "sub1", "rg1", "ws2").runs == []
    assert len(runs.list_runs(platform, "sub1", "rg1", "ws2", include_deleted=True).runs) == 1


def test_a_deleted_experiment_hides_its_runs_until_restored(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = runs.create_run(platform, None, *ws, "gone")
    child = runs.create_children(platform, None, *ws, run.id)[0]
    own = runs.create_run(platform, None, *ws, "gone")
    run_changes.delete_run(platform, *ws, own.id)
    other = runs.create_run(platform, None, *ws, "stays")
    deleted = experiments.delete_experiment(platform, *ws, "gone")
    assert [r.id for r in runs.list_runs(platform, *ws, include_children=True).runs] == [other.id]
    listed = runs.list_runs(platform, *ws, include_children=True, include_deleted=True).runs
    assert {r.id for r in listed} == {run.id, child.id, own.id, other.id}
    assert runs.list_runs(platform, *ws, parent_run_id=run.id).runs == []
    # Read by id, it is deleted as of its experiment's deletion (a run deleted before keeps its own time).
    assert runs.get_run(platform, *ws, run.id).deleted_at == deleted.deleted_at
    assert runs.get_run(platform, *ws, own.id).deleted_at < deleted.deleted_at  # type: ignore[operator]
    with pytest.raises(RunNotWritable, match="experiment 'gone'"):
        runs.ensure_writable(runs.get_run(platform, *ws, child.id))
    with pytest.raises(ExperimentDeleted, match="restore the experiment"):
        run_changes.restore_run(platform, *ws, run.id)
    run_changes.delete_run(platform, *ws, child.id)  # its own mark, kept when the experiment returns
    experiments.restore_experiment(platform, *ws, "gone")
    assert {r.id for r in runs.list_runs(platform, *ws, include_children=True).runs} == {run.id, other.id}
    assert runs.get_run(platform, *ws, run.id).deleted_at is None
    assert runs.get_run(platform, *ws, own.id).deleted_at is not None


def test_concurrent_runs_get_distinct_consecutive_numbers(platform: Platform, ws: tuple[str, str, str]) -> None:
    experiments.get_or_create_experiment(platform, *ws, "busy")
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def make() -> None:
        try:
            for _ in range(5):
                run = runs.create_run(platform, None, *ws, "busy")
                with lock:
                    numbers.append(run.number)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 31))


def test_deleting_the_workspace_removes_its_runs(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    parent = runs.create_run(platform, None, *ws, "exp", tags={"a": "b"})
    runs.create_children(platform, None, *ws, parent.id, count=2)
    run_changes.log_params(platform, *ws, parent.id, {"x": "1"})
    workspaces.delete_workspace(platform, *ws)
    with platform.db.read() as session:
        for table in (ExperimentRow, RunRow, RunTagRow):
            assert session.scalar(select(func.count()).select_from(table)) == 0
    with pytest.raises(WorkspaceNotFound):
        runs.get_run(platform, *ws, parent.id)
