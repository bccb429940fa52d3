"""The map above the clustering threshold and above the detail limit (synthetic registry),
in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.generate import build_registry
from registry.auth import VISITOR
from registry.i18n import tr
from registry.store import Filters
from registry.ui import mapview
from registry.ui.mapview import CLUSTER_ABOVE
from tests.e2e.harness import (
    COUNT_JS,
    App,
    Watch,
    choose,
    click_map,
    map_frame,
    offline_page,
    point_of,
    start_app,
    wait_idle,
    wait_map,
    wait_markers,
)
from tests.e2e.pixels import look_at_map

N = 3_000
BIG = 14_000  # above the default detail limit (10,000): the national view is grouped


def synthetic_app(factory: pytest.TempPathFactory, n: int, seed: int) -> Iterator[App]:
    """The app on a synthetic registry of ``n`` entries, stopped afterwards."""
    folder = factory.mktemp(f"e2e-scale-{n}")
    build_registry(n, folder / "app.gpkg", seed=seed)
    running = start_app(folder / "app.gpkg", folder / "streamlit.log")
    yield running
    running.process.terminate()
    running.process.wait(10)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on a synthetic registry of ``N`` entries (replaces the seeded one here)."""
    yield from synthetic_app(tmp_path_factory, N, seed=3)


DETAIL_LIMIT = 1_000
GROUPS_JS = """() => {
    const out = [];
    if (window.map_div) window.map_div.eachLayer(l => {
        if (l.iapGroup) out.push({k: l.iapGroup, lat: l.getLatLng().lat, lng: l.getLatLng().lng});
    });
    return out;
}"""


@pytest.fixture(scope="module")
def grouped_app(app: App) -> Iterator[App]:
    """A second app on the same registry, with a detail limit below its entries."""
    running = start_app(
        app.db,
        app.log.with_name("grouped.log"),
        {"IAP_REGISTRY_MAP_DETAIL_MAX": str(DETAIL_LIMIT)},
    )
    yield running
    running.process.terminate()
    running.process.wait(10)


def drawn(page: Any) -> int | None:
    return map_frame(page).locator("body").evaluate(COUNT_JS)


def wait_drawn(page: Any, expected: int) -> None:
    for _ in range(300):
        if drawn(page) == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"map shows {drawn(page)} entries, expected {expected}")


def test_many_entries_are_clustered_and_filter(page: Any, app: App, watch: Watch) -> None:
    frame = app.registry().list(None, viewer=VISITOR).dropna(subset=["geometry"])
    assert (frame.geometry.geom_type == "Point").sum() > CLUSTER_ABOVE
    page.goto(app.url)
    wait_map(page)
    wait_drawn(page, len(frame))
    clusters = map_frame(page).locator(".marker-cluster")
    assert clusters.count() > 0  # drawn as clusters at the national view, not 3,000 markers
    wait_idle(page)
    choose(page, tr("ui_f_region", lang="es"), "Valparaíso")
    in_region = app.registry().list(Filters(region=("05",)), viewer=VISITOR)
    wait_drawn(page, int(in_region.geometry.notna().sum()))
    assert not watch.errors, watch.errors  # e.g. "Map has no maxZoom specified"


def test_above_the_detail_limit_places_are_circles_and_a_click_narrows(
    page: Any, grouped_app: App, watch: Watch
) -> None:
    visible = grouped_app.registry().list(None, viewer=VISITOR)
    assert len(visible) > DETAIL_LIMIT
    expected = mapview.entries_payload(visible, "sector", "es", limit=DETAIL_LIMIT).groups
    page.goto(grouped_app.url)
    wait_map(page)
    circles: list[dict[str, Any]] = []
    for _ in range(300):
        circles = map_frame(page).locator("body").evaluate(GROUPS_JS)
        if len(circles) == len(expected):
            break
        page.wait_for_timeout(100)
    assert {c["k"] for c in circles} == {g["k"] for g in expected}
    assert drawn(page) == 0  # no entry drawn one by one
    assert page.get_by_text("Vista agrupada").count() == 1
    valparaiso = next(c for c in circles if c["k"] == "comuna:05101")
    wait_idle(page)
    click_map(page, *point_of(page, valparaiso["lat"], valparaiso["lng"]))
    in_comuna = grouped_app.registry().list(Filters(comuna=("05101",)), viewer=VISITOR)
    wait_markers(page, set(in_comuna["id"]))
    assert "comuna=05101" in page.url
    assert page.get_by_text("Vista agrupada").count() == 0
    # clearing the filters goes back to the whole grouped view: the click that narrowed it,
    # which the map still reports, is not acted on a second time
    page.get_by_role("button", name=tr("ui_clear_filters", lang="es")).click()
    page.get_by_text("Vista agrupada").wait_for()
    wait_idle(page)
    page.wait_for_timeout(1500)  # a second narrowing would have come by now
    assert "comuna=" not in page.url, page.url
    assert page.get_by_text("Vista agrupada").count() == 1
    assert not watch.errors, watch.errors


@pytest.fixture(scope="module")
def big_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app with its default limits on a synthetic registry of ``BIG`` entries."""
    yield from synthetic_app(tmp_path_factory, BIG, seed=5)


def test_grouped_national_view_to_a_clustered_region_draws_every_entry(
    browser: Any, big_app: App, watch: Watch
) -> None:
    """Above 10,000 entries the national view is grouped; a region of 2,001-10,000 entries
    is then drawn entry by entry, clustered, in the same page (the clustering script must
    be there although the first view did not need it)."""
    visible = big_app.registry().list(None, viewer=VISITOR)
    assert len(visible) > mapview.DETAIL_MAX
    counts = visible.dropna(subset=["geometry"])["region_code"].value_counts()
    region = next(code for code, n in counts.items() if CLUSTER_ABOVE < n <= mapview.DETAIL_MAX)
    name = big_app.registry().region_names()[region]
    context, page = offline_page(browser, watch)
    page.goto(big_app.url)
    wait_map(page)
    for _ in range(300):
        if map_frame(page).locator("body").evaluate(GROUPS_JS):
            break
        page.wait_for_timeout(100)
    grouped = look_at_map(page, "pixels-big-grouped")
    grouped.assert_visible(expected=0)  # circles per place, every one showing its colour
    wait_idle(page)
    choose(page, tr("ui_f_region", lang="es"), name)
    wait_drawn(page, int(counts[region]))
    report = look_at_map(page, "pixels-big-region-clustered")
    report.assert_visible(expected=int(counts[region]))
    assert map_frame(page).locator(".marker-cluster").count() > 0
    assert not watch.errors, watch.errors  # was: L.markerClusterGroup is not a function
    context.close()
