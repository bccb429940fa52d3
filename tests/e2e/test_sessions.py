"""Issue 16 in the browser: an administrator demotes a manager (on the Users page, in a
session of their own) while the manager's page is open; the manager's next action finds
the review pages and the publish action gone, and nothing published. Headless Chromium,
no network."""

from __future__ import annotations

from typing import Any

from registry.i18n import tr
from registry.schema.codes import label
from tests.conftest import iap_values
from tests.e2e.harness import App, Watch, login, offline_page, shot, wait_idle


def _nav_links(page: Any) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"] a')
    return [t.strip() for t in nav.all_inner_texts()]


def test_a_demoted_manager_loses_review_on_the_next_action(
    page: Any, app: App, watch: Watch, browser: Any
) -> None:
    reg = app.registry()
    entry = reg.create(
        iap_values(name="Entrada para revisar en la sesión", status="submitted"),
        reg.actor("ana"),
    )
    login(page, app, "maria")
    review = tr("ui_page_review", lang="es")
    assert review in _nav_links(page)
    page.get_by_role("link", name=review).click()
    wait_idle(page)
    page.get_by_text("Entrada para revisar en la sesión").first.click()
    publish = page.get_by_role("button", name=tr("ui_publish", lang="es"))
    publish.wait_for()
    shot(page, "session-manager-before")

    # the administrator, in a browser of their own, makes maria a coordinator
    context, admin = offline_page(browser, watch)
    try:
        login(admin, app, "root")
        admin.get_by_role("link", name=tr("ui_page_users", lang="es")).click()
        wait_idle(admin)
        picker = admin.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
            has=admin.get_by_text(tr("ui_username", lang="es"), exact=True)
        )
        picker.locator("input").click()
        picker.locator("input").fill("maria")
        admin.get_by_role("option", name="maria", exact=True).click()
        wait_idle(admin)
        role = (  # the picked user's role (the other "Rol" is the add-user form's)
            admin.locator('[data-testid="stMain"] [data-testid="stSelectbox"]')
            .filter(has=admin.get_by_text(tr("ui_role", lang="es"), exact=True))
            .last
        )
        role.locator("input").click()
        coordinator = label("role", "coordinator", "es")
        admin.get_by_role("option", name=coordinator, exact=True).click()
        wait_idle(admin)
        admin.get_by_role("button", name=tr("ui_apply", lang="es")).click()
        wait_idle(admin)
        assert reg.store.get_user("maria")["role"] == "coordinator"
    finally:
        context.close()

    # maria's next action, in the page still open
    publish.click()
    page.get_by_text(f"Sesión: maria ({label('role', 'coordinator', 'es')})").wait_for()
    # the run that follows the click shows the map instead of the review page (the sidebar
    # is drawn first; on a loaded machine the page's own elements follow a moment later)
    page.get_by_role("button", name=tr("ui_publish", lang="es")).wait_for(state="detached")
    wait_idle(page)
    assert review not in _nav_links(page)
    assert page.get_by_role("heading", name=tr("ui_page_review", lang="es")).count() == 0
    assert page.get_by_role("button", name=tr("ui_publish", lang="es")).count() == 0
    assert reg.get(entry["id"])["status"] == "submitted"
    assert reg.get(entry["id"])["version"] == entry["version"]
    shot(page, "session-manager-after")
