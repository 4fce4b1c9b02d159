"""Experiments, runs and jobs in the studio, in a real browser, over runs that the SDK logged
against the real server: the experiment list, the runs table (columns, filter, its errors),
a run's chart, files and tags, comparing runs, the jobs list. Screenshots in artifacts/screenshots/.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Studio, unique

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from mlyard import Run

Shot = Callable[["Page", str], Path]


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A small red PNG, written by hand (no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class Logged:
    sub: str
    rg: str
    ws: str
    experiment: str
    good: Run  # accuracy 0.95, team vision, lr 0.01
    weak: Run  # accuracy 0.5, team nlp, lr 0.1

    def url(self, studio: Studio, section: str) -> str:
        return str(studio.url(self.sub, self.rg, self.ws, section))


@pytest.fixture(scope="module")
def logged(studio: Studio, tmp_path_factory: pytest.TempPathFactory) -> Logged:
    """Two finished runs of one experiment, logged through the SDK as a user's script would."""
    from mlyard import Experiment

    sub, rg, ws = unique("sub"), unique("rg"), unique("ws")
    studio.workspace(sub, rg, ws)
    workspace = studio.sdk_workspace(sub, rg, ws)
    exp = Experiment(workspace, "mnist-sweep")
    folder = tmp_path_factory.mktemp("run-files")
    (folder / "notes.txt").write_text("trained for 3 epochs\nbest accuracy 0.95\n")
    (folder / "picture.png").write_bytes(tiny_png())
    runs = []
    for name, accuracy, team, lr in (("good", 0.95, "vision", "0.01"), ("weak", 0.5, "nlp", "0.1")):
        run = exp.start_logging(display_name=f"{name}-run", tags={"team": team})
        run._client.post(run._path + "/params", {"params": {"lr": lr, "epochs": 3}})  # the v1 SDK has no params call
        for step in range(60):
            run.log("loss", 1.0 / (step + 1) + (0.0 if name == "good" else 0.2))
        run.log("accuracy", accuracy)
        run.log_table("per_class", {"class": ["cat", "dog"], "recall": [0.9, 0.8]})
        run.log_confusion_matrix(
            "confusion",
            {"schema_type": "confusion_matrix", "data": {"class_labels": ["cat", "dog"], "matrix": [[9, 1], [2, 8]]}},
        )
        run.upload_file("outputs/notes.txt", str(folder / "notes.txt"))
        run.log_image("sample", path=str(folder / "picture.png"))
        run.complete()
        runs.append(run)
    return Logged(sub, rg, ws, "mnist-sweep", runs[0], runs[1])


def test_the_experiment_list_shows_run_counts_and_opens_the_runs_table(
    page: Page, studio: Studio, logged: Logged, shot: Shot
) -> None:
    from playwright.sync_api import expect

    page.goto(logged.url(studio, "experiments"))
    row = page.get_by_role("row").filter(has_text=logged.experiment)
    expect(row).to_be_visible()
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")
    shot(page, "experiments")

    row.get_by_role("link", name=logged.experiment).click()
    table = page.get_by_role("table", name="Runs")
    expect(table.get_by_role("link", name="good-run")).to_be_visible()
    expect(table.get_by_role("link", name="weak-run")).to_be_visible()
    # The default columns are the experiment's metrics and params, from its run keys.
    for header in ("accuracy", "loss", "epochs", "lr"):
        expect(table.get_by_role("columnheader", name=header)).to_be_visible()
    expect(table.locator("[data-status=Completed]")).to_have_count(2)
    # Server-side sort on a metric column: ascending accuracy puts the weak run first.
    table.get_by_role("columnheader", name="accuracy").click()
    expect(table.locator("tbody tr").first).to_contain_text("weak-run")
    assert page.evaluate("performance.getEntriesByName('mlyard:runs-first-page').length") == 1
    shot(page, "experiment-runs")


def test_the_filter_takes_the_sdk_grammar_and_shows_its_errors_inline(
    page: Page, studio: Studio, logged: Logged, shot: Shot
) -> None:
    from playwright.sync_api import expect

    page.goto(logged.url(studio, f"experiments/{logged.experiment}"))
    table = page.get_by_role("table", name="Runs")
    expect(table.locator("tbody tr")).to_have_count(2)
    box = page.get_by_label("Run filter")
    box.fill("metrics.accuracy > 0.9 and tags.team = 'vision'")
    box.press("Enter")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("good-run")
    shot(page, "experiment-runs-filtered")

    box.fill("metrics.accuracy >> 0.9")
    box.press("Enter")
    error = page.get_by_test_id("filter-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("position")
    expect(box).to_have_attribute("aria-invalid", "true")
    shot(page, "experiment-runs-filter-error")

    # Columns: add the 'team' tag through the picker; the choice stays after a reload.
    box.fill("")
    box.press("Enter")
    page.get_by_role("button", name="Columns").click()
    page.get_by_role("dialog", name="Choose columns").get_by_label("team").check()
    page.get_by_role("button", name="Done").click()
    expect(table.get_by_role("columnheader", name="team")).to_be_visible()
    page.reload()
    expect(page.get_by_role("table", name="Runs").get_by_role("columnheader", name="team")).to_be_visible()


def test_a_runs_chart_is_drawn_with_its_series_and_tables(
    page: Page, studio: Studio, logged: Logged, shot: Shot
) -> None:
    from playwright.sync_api import expect

    page.goto(logged.url(studio, f"runs/{logged.good.id}"))
    expect(page.get_by_role("heading", name="good-run")).to_be_visible()
    timeline = page.get_by_role("list", name="Status timeline")
    expect(timeline.locator("[data-step=Completed]")).to_have_class("runs-done")
    expect(page.get_by_role("region", name="Tags")).to_contain_text("team: vision")
    expect(page.get_by_text("(you)")).to_be_visible()  # the SDK logged it with the signed-in user's token
    # A finished run cannot be cancelled: the button says why.
    cancel = page.get_by_role("button", name="Cancel run")
    expect(cancel).to_be_disabled()
    expect(cancel).to_have_attribute("title", "The run is Completed: there is nothing to cancel.")
    shot(page, "run-overview")

    page.get_by_role("tab", name="Metrics").click()
    chart = page.locator("[data-testid=metric-chart][data-metric=loss]")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart.locator(".u-legend")).to_contain_text("loss")
    assert page.evaluate("performance.getEntriesByName('mlyard:chart-drawn').length") == 1
    expect(page.get_by_test_id("metric-single")).to_contain_text("0.95")
    expect(page.get_by_role("table", name="per_class")).to_contain_text("cat")
    expect(page.get_by_role("table", name="confusion")).to_contain_text("dog")
    expect(page.get_by_role("img", name="sample (1)")).to_be_visible()
    page.get_by_label("Log scale").check()
    page.get_by_label("Smoothing").fill("0.6")
    expect(chart.locator("canvas")).to_have_count(1)
    shot(page, "run-metrics")

    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_text("No job log for this run")).to_be_visible()
    page.get_by_role("tab", name="Child runs").click()
    expect(page.get_by_text("No child runs")).to_be_visible()


def test_files_preview_and_tags_edit(page: Page, studio: Studio, logged: Logged, shot: Shot) -> None:
    from playwright.sync_api import expect

    run = logged.weak
    page.goto(logged.url(studio, f"runs/{run.id}") + "?tab=files")
    files = page.get_by_role("table", name="Files")
    files.get_by_text("outputs", exact=True).click()
    files.get_by_text("notes.txt").click()
    preview = page.get_by_test_id("file-preview")
    expect(preview).to_contain_text("best accuracy 0.95")
    files.get_by_text("images", exact=True).click()
    files.get_by_text("sample-0.png").click()
    expect(preview.get_by_role("img")).to_be_visible()
    shot(page, "run-files")

    page.get_by_role("tab", name="Overview").click()
    tags = page.get_by_role("region", name="Tags")
    tags.get_by_role("button", name="Edit tags").click()
    tags.get_by_role("button", name="Add tag").click()
    tags.get_by_label("Tag name").last.fill("reviewed")
    tags.get_by_label("Tag value").last.fill("yes")
    tags.get_by_role("button", name="Remove tag team").click()
    tags.get_by_role("button", name="Save tags").click()
    expect(tags).to_contain_text("reviewed: yes")
    expect(tags).not_to_contain_text("team")
    shot(page, "run-tags-edited")
    with studio.api() as client:
        stored = client.get(
            f"/api/v1/subscriptions/{logged.sub}/resourceGroups/{logged.rg}/workspaces/{logged.ws}/runs/{run.id}"
        )
    assert stored.json()["tags"] == {"reviewed": "yes"}


def test_two_runs_compared_side_by_side(page: Page, studio: Studio, logged: Logged, shot: Shot) -> None:
    from playwright.sync_api import expect

    page.goto(logged.url(studio, f"experiments/{logged.experiment}"))
    table = page.get_by_role("table", name="Runs")
    compare = page.get_by_role("button", name="Compare")
    expect(compare).to_be_disabled()
    table.get_by_label(f"Select {logged.good.id}").check()
    table.get_by_label(f"Select {logged.weak.id}").check()
    page.get_by_role("button", name="Compare (2)").click()

    params = page.get_by_role("table", name="Parameters compared")
    lr = params.get_by_role("row").filter(has_text="lr")
    expect(lr).to_have_attribute("data-differs", "true")
    expect(lr).to_contain_text("0.01")
    expect(lr).to_contain_text("0.1")
    expect(params.get_by_role("row").filter(has_text="epochs")).not_to_have_attribute("data-differs", "true")
    chart = page.locator("[data-testid=metric-chart][data-metric=loss]")
    legend = chart.locator(".u-legend")
    expect(legend).to_contain_text("good-run")
    expect(legend).to_contain_text("weak-run")
    expect(chart.locator("canvas")).to_have_count(1)
    # accuracy was logged once a run: a value in the table, not a chart
    expect(params.get_by_role("row").filter(has_text="accuracy (latest)")).to_contain_text("0.95")
    expect(page.locator("[data-testid=metric-chart][data-metric=accuracy]")).to_have_count(0)
    shot(page, "experiment-compare")


def test_a_running_job_shows_its_log_live_in_the_jobs_list_and_cancels(
    page: Page, studio: Studio, logged: Logged, tmp_path: Path, shot: Shot
) -> None:
    from playwright.sync_api import expect

    from mlyard import Experiment, ScriptRunConfig

    folder = tmp_path / "src"
    folder.mkdir()
    script = "import time\nfor i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.5)\n"
    (folder / "ticks.py").write_text(script)
    workspace = studio.sdk_workspace(logged.sub, logged.rg, logged.ws)
    run = Experiment(workspace, "ticking").submit(ScriptRunConfig(str(folder), "ticks.py"))

    page.goto(logged.url(studio, "jobs"))
    row = page.get_by_role("table", name="Jobs").get_by_role("row").filter(has_text="ticking")
    expect(row).to_contain_text("local")
    expect(row.get_by_role("link", name=run.id[:12])).to_be_visible()
    shot(page, "jobs")

    row.get_by_role("link", name=run.id[:12]).click()
    page.get_by_role("tab", name="Logs").click()
    log = page.get_by_test_id("run-log")
    # Lines keep coming while the page is open: the log is read again, from its last offset.
    expect(log).to_contain_text("tick 1", timeout=30_000)
    expect(log).to_contain_text("tick 4", timeout=15_000)
    shot(page, "run-logs-live")

    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_text("The log is complete.")).to_be_visible(timeout=30_000)
    # The log's end reloads the run: its chip says Canceled, and there is nothing left to cancel.
    expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "Canceled")
    expect(page.get_by_role("button", name="Cancel run")).to_be_disabled()
    assert run.get_status() == "Canceled"


def test_the_jobs_page_says_how_to_submit_a_first_job(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = unique("sub"), unique("rg"), unique("ws")
    studio.workspace(sub, rg, ws)
    page.goto(studio.url(sub, rg, ws, "jobs"))
    empty = page.get_by_test_id("empty-state")
    expect(empty).to_contain_text("No jobs yet")
    expect(empty).to_contain_text("ScriptRunConfig")
    shot(page, "jobs-empty")
    page.goto(studio.url(sub, rg, ws, "experiments"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("start_logging()")
    shot(page, "experiments-empty")
