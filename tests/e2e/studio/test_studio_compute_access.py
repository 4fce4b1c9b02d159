"""The studio's Compute, Data, Access and Notebooks pages in a real browser, on a real server.

A compute instance is created, started (a real Jupyter server), opened through the proxy in a
new tab, stopped and deleted from the UI; a role assignment is added for a second user and
removed; a custom role's bad JSON shows the server's error; a Reader sees create and start
disabled with the reason; a tabular dataset registered with the SDK shows its profile and
preview; a notebook is uploaded. Screenshots land in artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import NO_MOTION, TOKEN_KEY, VIEWPORT, Studio, unique

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

Shot = Callable[["Page", str], Path]
PASSWORD = "a-password-for-browser-tests"
STARTED = 120_000  # ms: a Jupyter server starts in a few seconds, more on a busy machine


def new_workspace(studio: Studio) -> tuple[str, str, str]:
    sub, rg, ws = unique("sub"), unique("rg"), unique("ws")
    studio.workspace(sub, rg, ws)
    return sub, rg, ws


def new_user(studio: Studio, name: str) -> dict[str, str]:
    with studio.api() as client:
        made = client.post("/api/v1/users", json={"username": name, "password": PASSWORD})
        assert made.status_code == 201, made.text
        return dict(made.json())


def row(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("row").filter(has_text=text)


@pytest.fixture
def reader_page(browser: Browser, studio: Studio) -> Iterator[tuple[Page, str, str, str]]:
    """A signed-in page of a user who holds Reader on a fresh workspace (and nothing else)."""
    sub, rg, ws = new_workspace(studio)
    name = unique("reader")
    new_user(studio, name)
    with studio.api() as client:
        scope = f"/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}"
        granted = client.post("/api/v1/roleAssignments", json={"assignee": name, "role": "Reader", "scope": scope})
        assert granted.status_code == 201, granted.text
        login = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 201, login.text
    context = browser.new_context(viewport=VIEWPORT, base_url=studio.base_url, reduced_motion="reduce")
    context.add_init_script(NO_MOTION)
    context.add_init_script(f"localStorage.setItem('{TOKEN_KEY}', '{login.json()['token']}');")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, sub, rg, ws
    context.close()
    assert not errors, f"the studio threw in the browser: {errors}"


def test_a_compute_instance_is_created_opened_stopped_and_deleted(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = new_workspace(studio)
    page.goto(studio.url(sub, rg, ws, "compute"))
    expect(row(page, "local")).to_be_visible()  # every workspace has the server's own host
    page.get_by_role("button", name="Create compute").click()
    dialog = page.get_by_role("dialog", name="Create compute")
    dialog.get_by_label("Compute name").fill("9bad")
    expect(dialog.get_by_text("is not a valid compute target name")).to_be_visible()
    expect(dialog.get_by_role("button", name="Create")).to_be_disabled()
    dialog.get_by_label("Compute name").fill("nb-1")
    expect(dialog.get_by_label("Size")).to_have_value("small")  # the server's first size
    dialog.get_by_label("Idle shutdown minutes").fill("45")
    shot(page, "compute-create")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()

    instance = row(page, "nb-1")
    expect(instance.locator("[data-status]")).to_have_attribute("data-status", "Running", timeout=STARTED)
    ws_path = f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}"
    with studio.api() as client:
        made = client.get(f"{ws_path}/computes/nb-1").json()
    assert made["vmSize"] == "small" and made["properties"]["idleTimeBeforeShutdownMinutes"] == 45
    shot(page, "compute-list")

    # JupyterLab in a new tab, through the ticket and the proxy: the page loads.
    with page.context.expect_page() as opened:
        instance.get_by_role("button", name="Open JupyterLab").click()
    lab = opened.value
    lab.wait_for_url(re.compile(r"/api/v1/instances/[^/]+/jupyter/lab"), timeout=60_000)
    lab.wait_for_load_state("load")
    expect(lab).to_have_title(re.compile("JupyterLab"), timeout=60_000)
    expect(lab.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)  # the app drew itself
    shot(lab, "compute-jupyterlab")
    lab.close()

    # A notebook of the workspace opens in that instance, straight at the notebook.
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with studio.api() as client:
        put = client.put(f"{ws_path}/notebooks/first.ipynb", content=json.dumps(notebook).encode())
        assert put.status_code == 200, put.text
    page.goto(studio.url(sub, rg, ws, "notebooks"))
    expect(page.get_by_text("Notebooks open in the running instance")).to_contain_text("nb-1")
    with page.context.expect_page() as opened:
        row(page, "first.ipynb").get_by_role("button", name="Open in JupyterLab").click()
    lab = opened.value
    lab.wait_for_url(re.compile(r"/jupyter/lab/tree/first\.ipynb"), timeout=60_000)
    expect(lab.get_by_role("tab", name=re.compile("first.ipynb")).first).to_be_visible(timeout=60_000)
    shot(lab, "notebooks-open-in-instance")
    lab.close()
    page.goto(studio.url(sub, rg, ws, "compute"))

    instance.get_by_role("button", name="Stop", exact=True).click()
    expect(instance.locator("[data-status]")).to_have_attribute("data-status", "Stopped", timeout=STARTED)
    expect(instance.get_by_role("button", name="Start", exact=True)).to_be_enabled()
    expect(instance.get_by_role("button", name="Open JupyterLab")).to_be_disabled()
    # It ran, so it has a cost so far (hours times the size's price), even if it rounds to 0.00.
    expect(instance.get_by_role("cell").filter(has_text=re.compile(r"^\d+\.\d\d$"))).to_have_count(1)

    instance.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete nb-1")
    confirm.get_by_label("Confirmation").fill("nb-")
    expect(confirm.get_by_role("button", name="Delete")).to_be_disabled()
    confirm.get_by_label("Confirmation").fill("nb-1")
    confirm.get_by_role("button", name="Delete").click()
    expect(instance).to_have_count(0, timeout=STARTED)


def test_a_reader_sees_create_and_start_disabled_with_the_reason(
    reader_page: tuple[Page, str, str, str], studio: Studio, shot: Shot
) -> None:
    from playwright.sync_api import expect

    page, sub, rg, ws = reader_page
    path = f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}/computes/ray-1"
    with studio.api() as client:  # a cluster whose head starts only with jobs: nothing runs
        made = client.put(path, json={"computeType": "ray", "properties": {"minNodes": 0, "maxNodes": 2}})
        assert made.status_code == 201, made.text
    page.goto(studio.url(sub, rg, ws, "compute"))
    create = page.get_by_role("button", name="Create compute")
    expect(create).to_be_disabled()
    expect(create).to_have_attribute("title", re.compile("missing 'workspaces/computes/write'"))
    expect(page.locator(".guard-reason").first).to_contain_text("no role you hold there or above includes it")
    expect(row(page, "ray-1").get_by_role("button", name="Delete")).to_have_attribute("data-denied", "true")
    shot(page, "compute-reader")

    page.goto(studio.url(sub, rg, ws, "access"))
    add = page.get_by_role("button", name="Add role assignment")
    expect(add).to_be_disabled()
    expect(add).to_have_attribute("title", re.compile("missing 'roleAssignments/write'"))
    page.goto(studio.url(sub, rg, ws, "notebooks"))
    expect(page.get_by_role("button", name="Upload notebook")).to_be_disabled()


def test_a_reader_cannot_start_an_instance(reader_page: tuple[Page, str, str, str], studio: Studio) -> None:
    from playwright.sync_api import expect

    page, sub, rg, ws = reader_page
    path = f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}/computes/nb-r"
    with studio.api() as client:
        made = client.put(path, json={"computeType": "computeinstance", "vmSize": "small"})
        assert made.status_code == 201, made.text
    try:
        page.goto(studio.url(sub, rg, ws, "compute"))
        instance = row(page, "nb-r")
        for name, action in (("Start", "start"), ("Stop", "stop"), ("Open JupyterLab", "")):
            button = instance.get_by_role("button", name=name, exact=True)
            expect(button).to_be_disabled()
            if action:
                expect(button).to_have_attribute("data-denied", "true")
                expect(button).to_have_attribute("title", re.compile(f"missing 'workspaces/computes/{action}/action'"))
    finally:
        with studio.api() as client:
            client.delete(path)


def test_a_role_assignment_is_added_and_removed(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = new_workspace(studio)
    bob = new_user(studio, unique("bob"))
    scope = f"/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}"
    page.goto(studio.url(sub, rg, ws, "access"))
    # The admin's Owner at '/' holds here too: listed, marked inherited, removable only there.
    owner = row(page, "Owner").filter(has_text="inherited")
    expect(owner.first).to_be_visible()
    expect(owner.first.get_by_role("button", name=re.compile("^Remove"))).to_be_disabled()

    page.get_by_role("button", name="Add role assignment").click()
    dialog = page.get_by_role("dialog", name="Add role assignment")
    dialog.get_by_label("Principal", exact=True).select_option(label=bob["username"])
    dialog.get_by_label("Role").select_option(label="Data Scientist")
    shot(page, "access-add-assignment")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden()
    added = row(page, bob["username"])
    expect(added).to_contain_text("Data Scientist")
    expect(added).to_contain_text("This workspace")
    shot(page, "access-assignments")
    with studio.api() as client:
        held = client.get("/api/v1/roleAssignments", params={"scope": scope, "assignee": bob["username"]}).json()
    assert [a["roleDefinitionName"] for a in held] == ["Data Scientist"]

    added.get_by_role("button", name=re.compile("^Remove")).click()
    confirm = page.get_by_role("dialog", name="Remove role assignment")
    confirm.get_by_label("Confirmation").fill(bob["username"])
    confirm.get_by_role("button", name="Remove").click()
    expect(added).to_have_count(0)
    with studio.api() as client:
        assert client.get("/api/v1/roleAssignments", params={"scope": scope, "assignee": bob["username"]}).json() == []


def test_a_custom_role_from_azure_json_and_a_group_member(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = new_workspace(studio)
    page.goto(studio.url(sub, rg, ws, "access") + "?tab=roles")
    expect(row(page, "Contributor")).to_contain_text("built-in")
    page.get_by_role("button", name="Create custom role").click()
    dialog = page.get_by_role("dialog", name="Create a custom role")
    editor = dialog.get_by_label("Role JSON")
    editor.fill('{"Name": "x", "Actions": [')
    expect(dialog.get_by_test_id("role-json-check")).to_contain_text("Not valid JSON")
    expect(dialog.get_by_role("button", name="Create role")).to_be_disabled()
    role = unique("Runner")
    azure = {
        "Name": role,
        "IsCustom": True,
        "Description": "Runs experiments.",
        "Actions": ["Microsoft.MachineLearningServices/workspaces/experiments/*"],
        "NotActions": [],
        "AssignableScopes": ["/nowhere/at-all"],
    }
    editor.fill(json.dumps(azure, indent=2))
    expect(dialog.get_by_test_id("role-json-check")).to_contain_text("Azure custom role")
    dialog.get_by_role("button", name="Create role").click()
    banner = dialog.get_by_role("alert")  # the server's validation, as it answers
    expect(banner).to_contain_text("InvalidRoleDefinition")
    expect(banner).to_contain_text("'/nowhere/at-all' is not of the form")
    shot(page, "access-role-json-error")
    azure["AssignableScopes"] = [f"/subscriptions/{sub}"]
    editor.fill(json.dumps(azure, indent=2))
    dialog.get_by_role("button", name="Create role").click()
    expect(dialog).to_be_hidden()
    expect(row(page, role)).to_contain_text("custom")
    shot(page, "access-roles")

    group, member = unique("team"), new_user(studio, unique("member"))
    with studio.api() as client:
        assert client.post("/api/v1/groups", json={"name": group}).status_code == 201
    page.get_by_role("tab", name="Groups").click()
    row(page, group).click()
    panel = page.locator(".panel").filter(has_text=f"Members of {group}")
    panel.get_by_label("Principal", exact=True).select_option(label=member["username"])
    panel.get_by_role("button", name="Add member").click()
    expect(row(panel, member["username"])).to_be_visible()
    shot(page, "access-groups")
    row(panel, member["username"]).get_by_role("button", name=re.compile("^Remove")).click()
    expect(row(panel, member["username"])).to_have_count(0)


def test_a_tabular_dataset_shows_its_profile_and_preview(
    page: Page, studio: Studio, shot: Shot, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from mlyard import Dataset

    sub, rg, ws = new_workspace(studio)
    folder = tmp_path / "people"
    folder.mkdir()
    (folder / "people.csv").write_text("name,age,city\nada,36,london\nalan,41,\ngrace,85,arlington\nada,36,paris\n")
    workspace = studio.sdk_workspace(sub, rg, ws)
    local = Dataset.Tabular.from_delimited_files(str(folder), workspace=workspace, show_progress=False)
    local.register(workspace, "people", description="four people")

    page.goto(studio.url(sub, rg, ws, "data"))
    expect(row(page, "people")).to_contain_text("tabular")
    store = row(page, "workspaceblobstore")
    expect(store).to_contain_text("default")
    shot(page, "data-list")

    page.get_by_role("link", name="people").click()
    profile = page.get_by_role("table", name="Profile")
    age = profile.get_by_role("row").filter(has_text="age")
    expect(age).to_contain_text("36")  # min
    expect(age).to_contain_text("85")  # max
    city = profile.get_by_role("row").filter(has_text="city")
    expect(city.get_by_role("cell").nth(3)).to_have_text("1")  # one missing
    preview = page.get_by_role("table", name="Preview")
    expect(preview.get_by_role("row")).to_have_count(5)  # the header and four rows
    expect(preview).to_contain_text("grace")
    shot(page, "data-dataset")


def test_a_notebook_is_uploaded_and_listed(page: Page, studio: Studio, shot: Shot, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = new_workspace(studio)
    page.goto(studio.url(sub, rg, ws, "notebooks"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("mlyard notebook upload")
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    page.get_by_label("Notebook file").set_input_files(str(notebook))
    expect(row(page, "analysis.ipynb")).to_be_visible()
    open_button = row(page, "analysis.ipynb").get_by_role("button", name="Open in JupyterLab")
    expect(open_button).to_be_disabled()  # no instance runs in this workspace
    expect(open_button).to_have_attribute("title", re.compile("start one on the Compute page"))
    with page.expect_download() as got:
        row(page, "analysis.ipynb").get_by_role("button", name="Download").click()
    assert json.loads(Path(got.value.path()).read_text())["nbformat"] == 4
    shot(page, "notebooks")
