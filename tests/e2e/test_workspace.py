"""A coordinator's day in headless Chromium: find the town, place the entry, submit it, follow
it in *Mis iniciativas* until a manager (in a browser of their own) publishes it."""

from __future__ import annotations

from typing import Any

from registry.i18n import tr
from registry.schema.codes import label
from registry.store import Filters
from tests.e2e.harness import (
    App,
    Watch,
    click_map_centre,
    fill_entry,
    find_place,
    login,
    map_frame,
    offline_page,
    open_entry_form,
    shot,
    wait_idle,
    wait_map,
)

NAME = "Red de turismo rural de Valdivia"


def map_view(page: Any) -> list[float]:
    return (
        map_frame(page)
        .locator("body")
        .evaluate(
            "() => { const c = window.map_div.getCenter(); return [c.lat, c.lng, window.map_div.getZoom()]; }"
        )
    )


def test_coordinator_finds_valdivia_submits_and_follows_it_to_published(
    browser: Any, app: App, watch: Watch
) -> None:
    reg = app.registry()
    context, page = offline_page(browser, watch)
    open_entry_form(page, app, "ana")  # log-in opens her own initiatives first
    # the place search forgives a typo; the map flies there and places nothing
    assert find_place(page, "valdvia") == "Valdivia · comuna · Los Ríos, Chile"
    wait_idle(page)
    for _ in range(50):
        lat, lng, zoom = map_view(page)
        if zoom == 11 and abs(lat + 39.8) < 0.4 and abs(lng + 73.2) < 0.4:
            break
        page.wait_for_timeout(200)
    assert zoom == 11 and abs(lat + 39.8) < 0.4 and abs(lng + 73.2) < 0.4, (lat, lng, zoom)
    assert page.get_by_text("POINT (").count() == 0  # nothing placed by the search
    # a click places the entry; its comuna is found
    click_map_centre(page)
    page.get_by_text("Valdivia (14101)").first.wait_for()
    fill_entry(page, NAME, "business_network", "tourism")
    # submitted with a double click: one version, and the message says it went to review
    page.get_by_role("button", name=tr("ui_submit", lang="es")).dblclick()
    page.get_by_text(tr("ui_saved_submitted", lang="es", version=1)).wait_for()
    wait_idle(page)
    page.wait_for_timeout(1500)
    wait_idle(page)
    rows = reg.list(Filters(q=NAME), viewer=reg.actor("ana"))
    assert len(rows) == 1
    entry_id = rows["id"].iloc[0]
    record = reg.get(entry_id)
    assert (record["status"], record["version"], record["comuna_code"]) == ("submitted", 1, "14101")
    assert len(reg.history(entry_id)) == 1
    # editing it now keeps it in review unless she withdraws it
    page.get_by_role("button", name=tr("ui_keep_in_review", lang="es")).wait_for()
    assert page.get_by_role("button", name=tr("ui_save_draft", lang="es")).count() == 0
    # Mis iniciativas: submitted, with what comes next
    page.get_by_role("link", name=tr("ui_page_mine", lang="es")).click()
    card = page.locator(f'[class*="st-key-mine_{entry_id}"]')
    card.get_by_text(tr("ui_mine_next_submitted", lang="es")).wait_for()
    assert label("status", "submitted", "es") in card.inner_text()

    # a manager publishes it from the review page, in a browser of her own
    other, manager = offline_page(browser, watch)
    login(manager, app, "maria")
    manager.get_by_role("link", name=tr("ui_page_review", lang="es")).click()
    manager.get_by_role("heading", name=tr("ui_page_review", lang="es"), exact=True).wait_for()
    wait_idle(manager)  # as a person does: the page is there before she acts on it
    manager.get_by_text(NAME).first.click()
    wait_idle(manager)
    manager.get_by_role("button", name=tr("ui_publish", lang="es")).click()
    manager.get_by_text(tr("ui_published_entry", lang="es", name=NAME)).wait_for()
    other.close()
    assert reg.get(entry_id)["status"] == "published"

    # the coordinator's workspace shows it published when she comes back to it (a reload
    # would end her session: sessions that survive a reload are issue 19)
    page.get_by_role("link", name=tr("ui_page_map", lang="es"), exact=True).click()
    try:
        wait_map(page)
    finally:
        shot(page, "workspace-to-map", full_page=False)
    page.get_by_role("link", name=tr("ui_page_mine", lang="es")).click()
    page.get_by_role("heading", name=tr("ui_page_mine", lang="es")).wait_for()
    wait_idle(page)
    card = page.locator(f'[class*="st-key-mine_{entry_id}"]')
    card.get_by_text(tr("ui_mine_next_published", lang="es")).wait_for()
    assert label("status", "published", "es") in card.inner_text()
    shot(page, "workspace")
    assert reg.get(entry_id)["version"] == 2  # submitted, then published: nothing else
    assert not watch.errors, watch.errors
    context.close()
