"""The studio's shell in a real browser: sign-in, layout and navigation, workspaces, tokens, theme.

Each test makes its own subscription / resource group / workspace names, so they share one server.
Screenshots land in artifacts/screenshots/ (README, docs/studio.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from conftest import Studio, unique

if TYPE_CHECKING:
    from playwright.sync_api import Page

Shot = Callable[["Page", str], Path]
SECTIONS = [
    "Home",
    "Notebooks",
    "Experiments",
    "Jobs",
    "Compute",
    "Data",
    "Models",
    "Endpoints",
    "Pipelines",
    "Access",
    "Settings",
]


def test_sign_in_refuses_a_wrong_password_then_signs_in_and_out(anon_page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    page = anon_page
    page.goto("/")
    expect(page).to_have_url(f"{studio.base_url}/signin?next=%2F")
    shot(page, "signin")

    page.get_by_label("User name").fill(studio.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("The user name or password is wrong.")
    expect(banner).to_contain_text("AuthenticationFailed")
    assert page.evaluate("localStorage.getItem('mlyard.token')") is None
    shot(page, "signin-wrong-password")

    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()
    with studio.api() as client:
        shown = client.get("/api/v1/me").json()["displayName"]
    expect(page.get_by_test_id("user-name")).to_have_text(shown)
    token = page.evaluate("localStorage.getItem('mlyard.token')")
    assert token and token != studio.token

    # A token that stops working (revoked, expired) sends the user back to sign in.
    with httpx.Client(base_url=studio.base_url, headers={"Authorization": f"Bearer {token}"}, trust_env=False) as me:
        assert me.delete(f"/api/v1/me/tokens/{me.get('/api/v1/me').json()['tokenId']}").status_code == 200
    page.goto("/tokens")
    expect(page).to_have_url(f"{studio.base_url}/signin?next=%2Ftokens")
    assert page.evaluate("localStorage.getItem('mlyard.token')") is None
    page.get_by_label("User name").fill(studio.username)
    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Access tokens")).to_be_visible()
    token = page.evaluate("localStorage.getItem('mlyard.token')")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{studio.base_url}/signin")
    assert page.evaluate("localStorage.getItem('mlyard.token')") is None
    # Signing out revoked the studio's token on the server, not only in the browser.
    answer = httpx.get(f"{studio.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, trust_env=False)
    assert answer.status_code == 401
    # and a signed-out visitor is sent back to sign in, keeping where they wanted to go
    page.goto("/tokens")
    expect(page).to_have_url(f"{studio.base_url}/signin?next=%2Ftokens")


def test_the_workspace_layout_navigation_breadcrumbs_and_switcher(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg = unique("sub"), unique("rg")
    first, second = unique("ws"), unique("ws")
    studio.workspace(sub, rg, first, description="Where the layout is tested")
    studio.workspace(sub, rg, second)

    page.goto(studio.url(sub, rg, first))
    nav = page.get_by_role("navigation", name="Workspace")
    assert [t.split(maxsplit=1)[-1] for t in nav.get_by_role("link").all_inner_texts()] == SECTIONS
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs).to_have_text(f"{sub}/{rg}/{first}")
    expect(page.get_by_role("heading", name=first, exact=True)).to_be_visible()
    expect(page.get_by_text("Where the layout is tested")).to_be_visible()
    shot(page, "workspace-home")

    for label, path in (("Experiments", "experiments"), ("Models", "models"), ("Settings", "settings")):
        nav.get_by_role("link", name=label).click()
        expect(page).to_have_url(f"{studio.base_url}{studio.url(sub, rg, first, path)}")
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
        expect(nav.get_by_role("link", name=label)).to_have_class("nav-item active")
    page.goto(studio.url(sub, rg, first, "models"))
    expect(page.get_by_text("Models arrive with a later release")).to_be_visible()
    shot(page, "workspace-models-later")

    # The switcher keeps the section while changing workspace.
    page.goto(studio.url(sub, rg, first, "settings"))
    page.get_by_role("button", name=first).click()
    page.get_by_placeholder("Find a workspace").fill(second)
    shot(page, "workspace-switcher")
    page.get_by_role("option", name=second).click()
    expect(page).to_have_url(f"{studio.base_url}{studio.url(sub, rg, second, 'settings')}")
    expect(crumbs).to_have_text(f"{sub}/{rg}/{second}")

    # The breadcrumb's resource group lists that group's workspaces.
    crumbs.get_by_role("link", name=rg).click()
    expect(page).to_have_url(f"{studio.base_url}/?subscription={sub}&resourceGroup={rg}")
    table = page.get_by_role("table", name="Workspaces")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and the two workspaces


def test_create_a_workspace_with_live_name_validation(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    sub, rg = unique("sub"), unique("rg")
    taken = unique("ws")
    studio.workspace(sub, rg, taken)
    page.goto(f"/?subscription={sub}")
    expect(page.get_by_role("table", name="Workspaces").get_by_role("link", name=taken)).to_be_visible()
    shot(page, "workspaces")

    page.get_by_role("button", name="Create workspace").first.click()
    dialog = page.get_by_role("dialog", name="Create a workspace")
    dialog.get_by_label("Subscription").select_option(sub)
    expect(dialog.get_by_label("Resource group", exact=True)).to_have_value(rg)
    name = dialog.get_by_label("Workspace name")
    create = dialog.get_by_role("button", name="Create", exact=True)

    name.fill("x!")
    expect(dialog.get_by_test_id("name-error")).to_have_text(
        "'x!' is not a valid workspace name: use 3 to 33 letters, digits, hyphens or underscores,"
        " starting with a letter or digit."
    )
    expect(create).to_be_disabled()
    shot(page, "workspace-create-invalid-name")
    name.press("Enter")  # submitting anyway creates nothing
    name.fill(taken)
    expect(dialog.get_by_test_id("name-error")).to_contain_text("already exists")
    expect(create).to_be_disabled()
    with studio.api() as client:
        listed = client.get("/api/v1/workspaces", params={"subscriptionId": sub}).json()
    assert [w["name"] for w in listed] == [taken]

    made = unique("ws")
    name.fill(made)
    expect(dialog.get_by_text(f"'{made}' is available.")).to_be_visible()
    dialog.get_by_label("Description").fill("Made in the browser")
    dialog.get_by_role("button", name="Add tag").click()
    dialog.get_by_label("Tag name").fill("team")
    dialog.get_by_label("Tag value").fill("vision")
    shot(page, "workspace-create")
    create.click()
    expect(page).to_have_url(f"{studio.base_url}{studio.url(sub, rg, made)}")
    expect(page.get_by_role("heading", name=made, exact=True)).to_be_visible()
    with studio.api() as client:
        found = client.get(f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{made}").json()
    assert found["description"] == "Made in the browser" and found["tags"] == {"team": "vision"}


def test_create_a_workspace_in_a_new_resource_group(page: Page, studio: Studio) -> None:
    from playwright.sync_api import expect

    sub = unique("sub")
    studio.workspace(sub, unique("rg"), unique("ws"))
    page.goto(f"/?subscription={sub}")
    page.get_by_role("button", name="Create workspace").first.click()
    dialog = page.get_by_role("dialog", name="Create a workspace")
    dialog.get_by_label("Subscription").select_option(sub)
    dialog.get_by_label("New").check()
    group = dialog.get_by_label("New resource group name")
    group.fill("bad.")
    expect(dialog.get_by_text("not a valid resource group name")).to_be_visible()
    rg, made = unique("rg"), unique("ws")
    group.fill(rg)
    dialog.get_by_label("Workspace name").fill(made)
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(f"{studio.base_url}{studio.url(sub, rg, made)}")


def test_workspace_settings_show_resources_and_delete_needs_the_typed_name(
    page: Page, studio: Studio, shot: Shot
) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = unique("sub"), unique("rg"), unique("ws")
    studio.workspace(sub, rg, ws, tags={"stage": "dev"})
    page.goto(studio.url(sub, rg, ws, "settings"))
    resources = page.get_by_role("table", name="Supporting resources")
    expect(resources.get_by_role("row")).to_have_count(5)  # header + storage, vault, monitoring, registry
    expect(page.get_by_label("Tag value")).to_have_value("dev")
    page.get_by_label("Description", exact=True).fill("Edited in the studio")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    shot(page, "workspace-settings")

    page.get_by_role("button", name="Delete workspace").click()
    dialog = page.get_by_role("dialog")
    delete = dialog.get_by_role("button", name="Delete", exact=True)
    expect(delete).to_be_disabled()
    dialog.get_by_label("Confirmation").fill(ws[:-1])
    expect(delete).to_be_disabled()
    shot(page, "workspace-delete-confirm")
    dialog.get_by_label("Confirmation").fill(ws)
    delete.click()
    expect(page).to_have_url(f"{studio.base_url}/")
    with studio.api() as client:
        gone = client.get(f"/api/v1/subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}")
    assert gone.status_code == 404


def test_a_reader_sees_what_they_cannot_do_disabled_with_the_reason(
    anon_page: Page, studio: Studio, shot: Shot
) -> None:
    from playwright.sync_api import expect

    sub, rg, ws = unique("sub"), unique("rg"), unique("ws")
    made = studio.workspace(sub, rg, ws)
    reader = unique("reader")
    with studio.api() as client:
        assert client.post("/api/v1/users", json={"username": reader, "password": "reader-password"}).status_code == 201
        assigned = client.post(
            "/api/v1/roleAssignments", json={"assignee": reader, "role": "Reader", "scope": made["id"]}
        )
        assert assigned.status_code == 201, assigned.text
    page = anon_page
    page.goto("/signin")
    page.get_by_label("User name").fill(reader)
    page.get_by_label("Password").fill("reader-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("table", name="Workspaces").get_by_role("link", name=ws)).to_be_visible()
    page.goto(studio.url(sub, rg, ws, "settings"))
    delete = page.get_by_role("button", name="Delete workspace")
    expect(delete).to_have_attribute("data-denied", "true")
    expect(delete).to_be_disabled()
    reason = delete.get_attribute("title")
    expect(page.get_by_text(reason or "no reason").first).to_be_visible()  # written next to it too
    assert reason and "workspaces/delete" in reason, reason
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    shot(page, "workspace-settings-reader")


def test_tokens_are_shown_once_and_can_be_revoked(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    page.goto("/tokens")
    name = unique("laptop")
    page.get_by_label("Token name").fill(name)
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token").locator("code").inner_text()
    assert secret.startswith("mly_")
    me = httpx.get(f"{studio.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, trust_env=False)
    assert me.status_code == 200 and me.json()["name"] == studio.username
    row = page.get_by_role("row").filter(has_text=name)
    expect(row.get_by_text("Active")).to_be_visible()
    shot(page, "tokens-created")
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)  # shown once

    row.get_by_role("button", name=f"Revoke {name}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Confirmation").fill(name)
    dialog.get_by_role("button", name="Revoke").click()
    expect(row.get_by_text("Revoked")).to_be_visible()
    me = httpx.get(f"{studio.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, trust_env=False)
    assert me.status_code == 401


def test_the_theme_toggle_is_remembered(page: Page, studio: Studio, shot: Shot) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    html = page.locator("html")
    start = html.get_attribute("data-theme")
    other = "dark" if start == "light" else "light"
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", other)
    page.reload()
    expect(html).to_have_attribute("data-theme", other)
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()
    shot(page, f"workspaces-{other}")
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", start or "light")


@pytest.mark.parametrize("path", ["/no/such/page", "/subscriptions/s/resourceGroups/r/extra"])
def test_an_unknown_path_is_the_app_and_an_unknown_api_path_is_json(page: Page, studio: Studio, path: str) -> None:
    from playwright.sync_api import expect

    answer = page.goto(path)
    assert answer is not None and answer.status == 200
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    api = page.request.get("/api/v1/nope")
    assert api.status == 404
    assert api.json()["error"]["code"] == "NotFound"
