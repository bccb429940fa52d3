"""A coordinator logs in, places entries by clicking the real map, saves them, and finds them
on the map and in the export: in headless Chromium, with no network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.i18n import tr
from registry.schema.codes import label
from registry.store import Filters
from tests.e2e.harness import (
    App,
    Watch,
    click_map,
    download_view,
    login,
    point_of,
    select,
    wait_idle,
    wait_map,
    wait_markers,
    zoom_map,
)

# Plaza de Armas, Santiago (comuna 13101) and two points of calle Esmeralda, Valparaíso (05101)
SANTIAGO = (-33.43780, -70.65050)
STREET = [(-33.03980, -71.62790), (-33.04080, -71.62540)]


def place(page: Any, lat: float, lng: float) -> None:
    """Click the placement map at ``lat, lng`` and wait for the app to take the click."""
    x, y = point_of(page, lat, lng)
    click_map(page, x, y)
    wait_idle(page)


def save_and_find(app: App, page: Any, button: str, name: str, said: str) -> dict[str, Any]:
    """Press ``button``, wait for the message ``said`` (a key: what happened, version 1),
    and return the one entry called ``name``."""
    page.get_by_role("button", name=button).click()
    page.get_by_text(tr(said, lang="es", version=1)).wait_for()
    rows = app.registry().list(Filters(q=name), include_deleted=False)
    assert len(rows) == 1, rows
    return app.registry().get(rows["id"].iloc[0])


def test_coordinator_places_saves_and_finds_an_initiative(
    page: Any, app: App, watch: Watch, tmp_path: Path
) -> None:
    login(page, app, "ana")
    page.get_by_role("link", name=tr("ui_page_entry", lang="es")).click()
    page.get_by_text(tr("ui_place_hint", lang="es")[:30]).wait_for()
    zoom_map(page, *SANTIAGO, 15)
    place(page, *SANTIAGO)
    # the comuna and region found by reverse geocoding are shown before saving
    page.get_by_text(
        tr("ui_location_found", lang="es", comuna="Santiago (13101)", region="Metropolitana")
    ).first.wait_for()
    name = "Clúster de diseño del centro de Santiago"
    page.get_by_label("Nombre *").fill(name)
    select(page, "Tipo de iniciativa *", label("initiative_type", "cluster", "es"))
    select(page, "Precisión de la ubicación *", label("location_precision", "exact", "es"))
    select(page, "Sector *", label("sector", "creative_culture", "es"))
    page.get_by_label("Número de empresas").fill("42")
    record = save_and_find(app, page, tr("ui_submit", lang="es"), name, "ui_saved_submitted")
    assert record["owner"] == "ana" and record["status"] == "submitted"
    assert (record["region_code"], record["comuna_code"]) == ("13", "13101")
    assert record["n_firms"] == 42
    x, y = record["geometry"].x, record["geometry"].y
    assert abs(y - SANTIAGO[0]) < 0.001 and abs(x - SANTIAGO[1]) < 0.001  # about 100 m

    # on the map: the coordinator sees her own submitted entry (visitors do not, yet)
    page.get_by_role("link", name=tr("ui_page_map", lang="es")).click()
    wait_map(page)
    visible = app.registry().list(None, viewer=app.registry().actor("ana"))
    points = visible[visible.geometry.geom_type == "Point"]
    assert record["id"] in set(points["id"])
    wait_markers(page, set(points["id"]))

    # and in the GeoJSON export of her view
    _, data = download_view(page, tmp_path)
    mine = [f for f in data["features"] if f["id"] == record["id"]]
    assert len(mine) == 1 and mine[0]["properties"]["name"] == name
    assert mine[0]["geometry"]["type"] == "Point"
    assert not watch.errors, watch.errors


def test_coordinator_draws_a_barrio_street(page: Any, app: App) -> None:
    login(page, app, "ana")
    page.get_by_role("link", name=tr("ui_page_entry", lang="es")).click()
    page.get_by_text(label("kind", "barrio_comercial", "es"), exact=True).click()
    wait_idle(page)
    page.get_by_text(tr("ui_geom_line", lang="es"), exact=True).click()
    wait_idle(page)
    zoom_map(page, *STREET[0], 16)
    for lat, lng in STREET:
        place(page, lat, lng)
    page.get_by_text("LINESTRING").wait_for()
    page.get_by_text("Valparaíso (05101)").first.wait_for()
    name = "Barrio Esmeralda de prueba"
    page.get_by_label("Nombre *").fill(name)
    select(page, "Precisión de la ubicación *", label("location_precision", "street", "es"))
    select(page, "Sector *", label("sector", "retail_commerce", "es"))
    record = save_and_find(app, page, tr("ui_save_draft", lang="es"), name, "ui_saved_draft")
    assert record["kind"] == "barrio_comercial" and record["status"] == "draft"
    assert record["geometry"].geom_type == "LineString"
    assert len(record["geometry"].coords) == 2
    assert record["comuna_code"] == "05101"
