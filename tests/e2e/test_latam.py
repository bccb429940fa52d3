"""Issue 18 in headless Chromium: a Colombian cluster placed in Medellín through the form gets
Antioquia, is drawn over land when the map is filtered to Colombia, and is counted by
admin-1 unit on the statistics page."""

from __future__ import annotations

from typing import Any

import pandas as pd
from playwright.sync_api import expect

from registry.auth import VISITOR
from registry.i18n import tr
from registry.schema.codes import label
from registry.store import Filters
from tests.e2e.harness import (
    App,
    Watch,
    click_map_centre,
    fill_entry,
    find_place,
    offline_page,
    open_entry_form,
    wait_idle,
    wait_map,
)
from tests.e2e.pixels import LAND, beneath_entries, look_at_map

NAME = "Clúster lácteo de Medellín"


def test_a_cluster_in_medellin_gets_antioquia_and_is_drawn_over_land(
    browser: Any, app: App, watch: Watch
) -> None:
    reg = app.registry()
    context, page = offline_page(browser, watch)
    open_entry_form(page, app, "ana")
    picked = find_place(page, "Medellin")
    assert picked.startswith("Medellín"), picked
    wait_idle(page)
    page.wait_for_timeout(800)  # the map flies there
    click_map_centre(page)
    page.get_by_text("Antioquia (CO-ANT), Colombia").first.wait_for()
    # the country followed the place clicked (the form below the message is redrawn last)
    wait_idle(page)
    expect(page.get_by_label("País", exact=True)).to_have_value(label("country", "CO", "es"))
    fill_entry(page, NAME, "cluster", "food_beverages")
    page.get_by_role("button", name=tr("ui_submit", lang="es")).click()
    page.get_by_text(tr("ui_saved_submitted", lang="es", version=1)).wait_for()
    wait_idle(page)
    rows = reg.list(Filters(country=("CO",)), viewer=reg.actor("ana"))
    rows = rows[rows["name"] == NAME]
    assert len(rows) == 1, rows
    entry = rows.iloc[0]
    assert (entry.country, entry.region_code) == ("CO", "CO-ANT") and pd.isna(entry.comuna_code)
    reg.publish(entry.id, int(entry.version), reg.actor("maria"))  # a manager
    context.close()

    # a visitor filters the map to Colombia: the map fits it and draws it over land
    context, page = offline_page(browser, watch)
    page.goto(f"{app.url}/?country=CO")
    wait_map(page)
    wait_idle(page)
    in_co = reg.list(Filters(country=("CO",)), viewer=VISITOR)
    drawable = int(in_co.geometry.notna().sum())
    assert drawable >= 1
    report = look_at_map(page, "pixels-colombia")
    report.assert_visible(expected=drawable, min_checked=1)
    assert report.land_checked >= 1, "no land point of Colombia in view"
    medellin = next(i for i in beneath_entries(page) if i["id"] == entry.id)
    assert _close(medellin["beneath"], LAND), medellin  # land, not the sea's colour

    # the statistics page counts it under Antioquia: the chart's data, as a reader downloads it
    page.goto(f"{app.url}/stats?country=CO")
    wait_idle(page)
    with page.expect_download() as download:
        page.locator(".st-key-dl_region_code button").click()
    table = pd.read_csv(download.value.path(), dtype={"value": str})
    antioquia = table[table["value"] == "CO-ANT"]
    assert antioquia["label"].tolist() == ["Antioquia"], table
    assert int(antioquia["count"].iloc[0]) == int((in_co.region_code == "CO-ANT").sum()) >= 1
    assert not watch.errors, watch.errors
    context.close()


def _close(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return max(abs(int(p) - int(q)) for p, q in zip(a, b, strict=True)) <= 12
