"""What the map shows, pixel by pixel, on every way a person arrives at it.

Each test takes a screenshot of the map (kept in ``artefacts/e2e/``) and samples it where
each entry is drawn (``tests/e2e/pixels.py``): an entry under any other layer fails. The
first test also turns the layer order upside down in the page and checks that the same
sampling then fails, so the check itself is known to see a hidden entry.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry.auth import VISITOR
from registry.i18n import tr
from registry.store import Filters
from registry.ui.mapview import ADMIN1_LINES_FROM, COMUNA_LINES_FROM
from tests.e2e.harness import (
    App,
    Watch,
    choose,
    map_frame,
    offline_page,
    wait_idle,
    wait_map,
    zoom_map,
)
from tests.e2e.pixels import entries_in_view, look_at_map


def drawable(app: App, **filters: Any) -> int:
    """How many entries a visitor sees with a location the map can draw."""
    frame = app.registry().list(Filters(**filters), viewer=VISITOR)
    return int(frame.geometry.notna().sum())


def open_map(page: Any, url: str) -> None:
    page.goto(url)
    wait_map(page)
    wait_idle(page)


def test_first_open_shows_every_entry_above_the_land(page: Any, app: App, watch: Watch) -> None:
    open_map(page, app.url)
    report = look_at_map(page, "pixels-first-open")
    # every entry inside the first view (Chile's; it may reach Brazil's entries too)
    visible = app.registry().list(None, viewer=VISITOR)
    report.assert_visible(expected=entries_in_view(page, visible.geometry.dropna().values))
    assert report.land_checked >= 3
    # the same check with the land lifted above the entries must fail: it sees hidden entries
    map_frame(page).locator("body").evaluate(
        "() => { window.map_div.getPane('iap-land').style.zIndex = 900; }"
    )
    upside_down = look_at_map(page, "pixels-land-on-top")
    assert upside_down.checked >= 3
    # (an entry on the coast or an island, where no land is drawn, stays visible)
    assert len(upside_down.hidden) >= 0.6 * upside_down.checked, upside_down
    with pytest.raises(AssertionError, match="hidden"):
        upside_down.assert_visible()
    assert not watch.errors, watch.errors


def test_a_shared_view_link_opens_at_its_zoom_with_entries_visible(
    page: Any, app: App, browser: Any, watch: Watch
) -> None:
    # Santiago's barrios at zoom 11, as someone sent the link
    open_map(page, f"{app.url}/?z=11&lat=-33.4500&lng=-70.6500")
    zoom = map_frame(page).locator("body").evaluate("() => window.map_div.getZoom()")
    assert zoom == 11
    report = look_at_map(page, "pixels-shared-view-santiago")
    report.assert_visible(min_checked=4)
    assert not watch.errors, watch.errors


def test_filter_change_fits_the_region_and_shows_its_entries(page: Any, app: App) -> None:
    open_map(page, app.url)
    choose(page, tr("ui_f_region", lang="es"), "Valparaíso")
    page.wait_for_url("**region=05**")
    wait_idle(page)
    frame = map_frame(page).locator("body")
    # the map fitted the region: every drawn entry is inside the view, zoomed in
    bounds = frame.evaluate(
        "() => { const b = window.map_div.getBounds(); return [b.getSouth(), b.getWest(),"
        " b.getNorth(), b.getEast(), window.map_div.getZoom()]; }"
    )
    in_region = app.registry().list(Filters(region=("05",)), viewer=VISITOR)
    points = in_region[in_region.geometry.notna()].geometry
    inside = points.apply(
        lambda g: bounds[0] <= g.centroid.y <= bounds[2] and bounds[1] <= g.centroid.x <= bounds[3]
    )
    assert bool(inside.all()), "entries of the region outside the fitted view"
    assert bounds[4] >= 6, bounds
    report = look_at_map(page, "pixels-filter-region")
    report.assert_visible(expected=drawable(app, region=("05",)))


def test_language_switch_and_coming_back_from_another_page(page: Any, app: App) -> None:
    open_map(page, f"{app.url}/?region=13")
    # switch to English: the map is drawn anew
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    page.get_by_role("option", name="English").click()
    page.get_by_text(tr("ui_title", lang="en")).first.wait_for()
    wait_map(page)
    wait_idle(page)
    report = look_at_map(page, "pixels-english")
    report.assert_visible(expected=drawable(app, region=("13",)))
    # to the statistics page and back through the menu
    page.get_by_role("link", name=tr("ui_page_stats", lang="en")).click()
    page.get_by_text(tr("ui_convergence", lang="en")).first.wait_for()
    page.get_by_role("link", name=tr("ui_page_map", lang="en")).click()
    wait_map(page)
    wait_idle(page)
    report = look_at_map(page, "pixels-back-from-stats")
    report.assert_visible(expected=drawable(app, region=("13",)))


def test_a_reload_and_a_second_tab_show_the_same(
    page: Any, app: App, browser: Any, watch: Watch
) -> None:
    open_map(page, f"{app.url}/?sector=retail_commerce")
    expected = drawable(app, sector=("retail_commerce",))
    look_at_map(page, "pixels-before-reload").assert_visible(expected=expected)
    page.reload()
    wait_map(page)
    wait_idle(page)
    look_at_map(page, "pixels-after-reload").assert_visible(expected=expected)
    context, second = offline_page(browser, watch)
    open_map(second, page.url)
    look_at_map(second, "pixels-second-tab").assert_visible(expected=expected)
    context.close()


def test_an_entry_link_opens_its_details_centred_and_ringed(page: Any, app: App) -> None:
    frame = app.registry().list(None, viewer=VISITOR)
    points = frame[frame.geometry.geom_type == "Point"]
    where = points.geometry.apply(lambda g: (round(g.x, 3), round(g.y, 3)))
    entry = points[~where.duplicated(keep=False)].iloc[0]  # alone at its place
    open_map(page, f"{app.url}/?id={entry['id']}")
    page.get_by_role("heading", name=entry["name"]).wait_for()
    body = map_frame(page).locator("body")
    for _ in range(50):
        view = body.evaluate(
            "() => { const c = window.map_div.getCenter();"
            " return [c.lat, c.lng, window.map_div.getZoom()]; }"
        )
        if view[2] >= 12:
            break
        page.wait_for_timeout(200)
    assert view[2] >= 12, view
    point = entry.geometry
    assert abs(view[0] - point.y) < 0.05 and abs(view[1] - point.x) < 0.05, view
    rings = body.evaluate(
        "() => { const out = []; window.map_div.eachLayer(l => {"
        " if (l instanceof L.CircleMarker && l.options.pane === 'iap-selection')"
        " out.push([l.getLatLng().lat, l.getLatLng().lng]); }); return out; }"
    )
    assert len(rings) == 1, rings
    report = look_at_map(page, "pixels-entry-link")
    report.assert_visible(min_checked=1)
    # the entry's own link is shown to copy
    assert f"/?id={entry['id']}" in page.locator('[data-testid="stCode"]').first.inner_text()


def test_entries_without_a_location_are_counted_and_listed(page: Any, app: App) -> None:
    visible = app.registry().list(None, viewer=VISITOR)
    missing = visible[visible.geometry.isna()]
    assert len(missing) > 0
    open_map(page, app.url)
    title = tr("ui_unmapped", lang="es", n=len(missing))
    page.get_by_text(title).click()
    for name in missing["name"]:
        page.get_by_text(name, exact=True).first.wait_for()
    first = missing.iloc[0]
    page.get_by_role("button", name=tr("ui_show_details", lang="es")).first.click()
    page.get_by_role("heading", name=first["name"]).wait_for()
    assert f"id={first['id']}" in page.url


# the line opacity of each outline feature with property ``key`` (lines: not filled)
_LINE_OPACITY_JS = """(_, key) => {
    const out = [];
    window.map_div.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties[key]
            && l.feature.properties.country && l.options.stroke) out.push(l.options.opacity);
        else if (key === 'comuna_code' && l.feature && l.feature.properties
            && l.feature.properties.comuna_code) out.push(l.options.opacity);
    });
    return out;
}"""


def test_comuna_lines_show_from_their_zoom_and_other_countries_lines_from_theirs(
    page: Any, app: App, watch: Watch
) -> None:
    """The national view is not greyed by 345 comuna lines; a region's view shows them."""
    open_map(page, app.url)
    frame = map_frame(page).locator("body")
    assert frame.evaluate("() => window.map_div.getZoom()") < COMUNA_LINES_FROM
    national = frame.evaluate(_LINE_OPACITY_JS, "comuna_code")
    assert len(national) >= 300 and set(national) == {0}
    zoom_map(page, -33.45, -70.65, ADMIN1_LINES_FROM - 1)  # the continent: no unit lines
    provinces = frame.evaluate(_LINE_OPACITY_JS, "region_code")  # Argentina's, Bolivia's...
    assert len(provinces) >= 400 and set(provinces) == {0}
    zoom_map(page, -33.45, -70.65, ADMIN1_LINES_FROM)
    provinces = frame.evaluate(_LINE_OPACITY_JS, "region_code")
    assert len(provinces) >= 400 and min(provinces) > 0
    zoom_map(page, -33.45, -70.65, COMUNA_LINES_FROM + 2)
    closer = frame.evaluate(_LINE_OPACITY_JS, "comuna_code")
    assert len(closer) == len(national) and min(closer) > 0
    assert not watch.errors, watch.errors
