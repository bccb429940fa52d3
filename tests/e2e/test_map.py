"""The map and statistics pages in a real headless Chromium, with no network."""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from registry.auth import VISITOR
from registry.i18n import tr
from registry.schema.codes import label
from registry.store import Filters
from tests.e2e.harness import (
    MAP_FRAME,
    App,
    Watch,
    choose,
    click_map,
    download_view,
    entry_markers,
    map_frame,
    offline_page,
    shot,
    start_app,
    wait_idle,
    wait_map,
    wait_markers,
)
from tests.e2e.pixels import look_at_map


def published(app: App, points: bool = False, **filters: Any) -> dict[str, str]:
    """id -> name of the entries a visitor may see under ``filters`` (only points if asked)."""
    frame = app.registry().list(Filters(**filters), viewer=VISITOR)
    if points:
        frame = frame[frame.geometry.geom_type == "Point"]
    return dict(zip(frame["id"], frame["name"], strict=True))


def test_map_draws_entries_layers_and_legend(page: Any, app: App, watch: Watch) -> None:
    page.goto(app.url)
    frame = wait_map(page)
    wait_idle(page)
    markers = entry_markers(page)
    points = published(app, points=True)
    # every published point entry is one circle marker; nothing else is drawn as one
    assert {m["id"] for m in markers} == set(points)
    assert {m["name"] for m in markers} == set(points.values())
    # the layer control lists the overlays; the offline base is the only base (no choice)
    frame.locator(".leaflet-control-layers").hover()
    names = frame.locator(".leaflet-control-layers-list label").all_inner_texts()
    names = [n.strip() for n in names]
    for key in ("ui_layer_place_names", "ui_layer_entries", "ui_layer_region_borders"):
        assert tr(key, lang="es") in names, names
    assert tr("ui_base_outlines", lang="es") not in names
    # the offline base is drawn and said so, with place names as text
    assert frame.locator(".leaflet-tile").count() == 0
    frame.locator(".iap-label", has_text="Santiago").first.wait_for()
    page.get_by_text(tr("ui_offline_note", lang="es")[:40]).wait_for()
    # the legend names the colouring field and its categories
    legend = page.locator('[data-testid="iap-legend"]').filter(has_text="Sector").first
    legend.wait_for()
    assert page.get_by_text(tr("ui_count_entries", lang="es")).count() >= 1
    assert not watch.errors, watch.errors
    page.mouse.move(10, 10)
    shot(page, "map")


LEGEND_JS = """() => [...document.querySelectorAll('[data-testid="iap-legend"]')].map(l => ({
    text: l.innerText,
    cut: [...l.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1).length,
    right: l.getBoundingClientRect().right,
    width: document.documentElement.clientWidth,
}))"""


def test_the_legends_read_whole_beside_the_map(page: Any, app: App) -> None:
    """At 1,440 px the legend's column is about 250 px wide: every label ("Minería y
    proveedores mineros") and the productivity layer's long title are shown whole, as text a
    person reads (wrapped, not cut off with an ellipsis, as a data grid's cells were)."""
    page.goto(app.url)
    wait_map(page)
    frame = app.registry().list(Filters(), viewer=VISITOR)
    labels = [label("sector", s, "es") for s in set(frame[frame.geometry.notna()]["sector"])]
    assert "Minería y proveedores mineros" in labels  # the label seen cut off
    page.get_by_text(tr("ui_prod_level", lang="es"), exact=True).click()
    wait_idle(page)
    title = tr("indicator_gdp_usd2018_per_employed", lang="es")
    layer_legend = page.locator('[data-testid="iap-legend"]', has_text=title).first
    layer_legend.wait_for()
    shot(page, "map-legends", full_page=False)
    layer_legend.scroll_into_view_if_needed()
    shot(page, "map-legends-layer", full_page=False)
    legends = page.evaluate(LEGEND_JS)
    assert len(legends) == 2, legends
    entries, layer = legends
    for text in ["Sector", *labels]:
        assert text in entries["text"], (text, entries["text"])
    assert title in layer["text"], layer["text"]
    for found in legends:
        assert found["cut"] == 0 and found["right"] <= found["width"], found


def test_productivity_choropleth_with_legend_and_source(page: Any, app: App) -> None:
    page.goto(app.url)
    wait_map(page)
    page.get_by_text(tr("ui_prod_level", lang="es"), exact=True).click()
    wait_idle(page)
    frame = wait_map(page)
    regions = frame.locator("body").evaluate(
        """() => new Promise(resolve => {
            const count = () => { let n = 0; window.map_div.eachLayer(l => {
                if (l.feature && l.feature.properties.region_code && l.options.fillOpacity === 0.75) n++;
            }); return n; };
            const tick = () => count() >= 16 ? resolve(count()) : setTimeout(tick, 100);
            tick();
        })"""
    )
    assert regions == 16
    # legend: the series' name and year as its title, the unit and the source beneath
    title = tr("indicator_gdp_usd2018_per_employed", lang="es")  # the article's measure
    page.locator('[data-testid="iap-legend"] p', has_text=title).first.wait_for()
    note = page.get_by_text(tr("ui_source", lang="es") + ": http").first
    note.wait_for()
    assert "dólares constantes de 2018 por ocupado" in note.inner_text()  # the unit, in Spanish
    shot(page, "map-productivity")


def test_click_on_an_entry_opens_its_details(page: Any, app: App) -> None:
    page.goto(app.url)
    wait_map(page)
    wait_idle(page)
    markers = entry_markers(page)
    box = page.locator(MAP_FRAME).bounding_box()
    inside = [
        m for m in markers if 20 < m["x"] < box["width"] - 20 and 20 < m["y"] < box["height"] - 20
    ]
    # a marker with no other marker within 12 px, so the click is unambiguous
    lone = next(
        m
        for m in inside
        if all(abs(m["x"] - o["x"]) + abs(m["y"] - o["y"]) > 12 for o in markers if o is not m)
    )
    runs = app.log.parent / "runs.jsonl"
    since = len(runs.read_text().splitlines())
    click_map(page, lone["x"], lone["y"])
    page.get_by_text(tr("ctx_title", lang="es")).wait_for()
    record = app.registry().get(lone["id"])
    page.get_by_role("heading", name=record["name"]).wait_for()
    precision = tr("ui_precision", lang="es")
    page.get_by_text(precision + ":").first.wait_for()
    wait_idle(page)
    # the entry is ringed where it is drawn
    rings = (
        map_frame(page)
        .locator("body")
        .evaluate(
            "() => { const out = []; window.map_div.eachLayer(l => {"
            " if (l instanceof L.CircleMarker && l.options.pane === 'iap-selection')"
            " out.push([l.getLatLng().lat, l.getLatLng().lng]); }); return out; }"
        )
    )
    point = record["geometry"]
    assert len(rings) == 1, rings
    assert abs(rings[0][0] - point.y) < 1e-4 and abs(rings[0][1] - point.x) < 1e-4, rings
    # and the click was answered by one run of the map, ring and details drawn together
    # (the server's run log), not by a run that drew the map to learn of the click and
    # another that drew it again with them
    answered = [json.loads(line) for line in runs.read_text().splitlines()[since:]]
    assert [(r["page"], r["end"]) for r in answered] == [("map fragment", "done")], answered
    shot(page, "map-details")


def test_shared_url_reopens_the_same_filtered_view(
    page: Any, app: App, browser: Any, watch: Watch
) -> None:
    page.goto(app.url)
    wait_map(page)
    wait_idle(page)
    choose(page, tr("ui_f_region", lang="es"), "Metropolitana")
    wait_idle(page)
    page.wait_for_url("**region=13**")
    shared = page.url
    expected = published(app, region=("13",))
    assert 0 < len(expected) < len(published(app))
    wait_markers(page, set(published(app, points=True, region=("13",))))
    # a second person opens the link in a fresh browser: same filter, same entries drawn
    other, second = offline_page(browser, watch)
    second.goto(shared)
    wait_map(second)
    wait_idle(second)
    wait_markers(second, set(published(app, points=True, region=("13",))))
    region = second.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=second.get_by_text(tr("ui_f_region", lang="es"), exact=True)
    )
    assert "13 Metropolitana" in region.inner_text()
    metric = second.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert int(metric.replace(".", "")) == len(expected)
    other.close()


def test_statistics_page(page: Any, app: App, watch: Watch) -> None:
    page.set_viewport_size({"width": 1440, "height": 3400})  # the whole page in one picture
    page.goto(f"{app.url}/stats")
    page.get_by_text(tr("ui_convergence", lang="es")).first.wait_for()
    wait_idle(page)
    # six bar charts of the filtered set and the convergence scatter
    page.wait_for_function(
        '() => document.querySelectorAll(\'[data-testid="stVegaLiteChart"] canvas,'
        ' [data-testid="stVegaLiteChart"] svg\').length >= 6'
        " && document.querySelector('[data-testid=\"convergence-svg\"]')"
    )
    # every chart and table has its data: 6 charts, the per-region table; the scatter's own
    label = tr("ui_stats_download", lang="es")
    page.wait_for_function(
        "(label) => [...document.querySelectorAll('button')]"
        ".filter(b => b.innerText.trim() === label).length >= 7",
        arg=label,
    )
    page.locator(".st-key-dl_convergence button").wait_for()
    page.wait_for_timeout(1000)  # let the charts finish their transitions
    shot(page, "stats", full_page=False)
    assert not watch.errors, watch.errors


def test_geojson_download_is_the_filtered_view(page: Any, app: App, tmp_path: Path) -> None:
    page.goto(f"{app.url}/?sector=tourism")
    wait_map(page)
    wait_idle(page)
    names, data = download_view(page, tmp_path)
    assert any("dictionary" in n or "diccionario" in n for n in names), names
    expected = published(app, sector=("tourism",))
    assert {f["id"] for f in data["features"]} == set(expected)  # RFC 7946 feature id


@pytest.fixture(scope="module")
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """A tile server on this machine: every tile is one flat colour (``TILE_RGB``); the
    paths asked for are recorded."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(buffer, "PNG")
    png, asked = buffer.getvalue(), []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 -- the http.server API
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


TILE_RGB = (170, 200, 150)


def test_an_operators_tile_server_is_a_second_base_under_the_entries(
    app: App, browser: Any, watch: Watch, tile_server: tuple[str, list[str]]
) -> None:
    root, asked = tile_server
    tiled = start_app(
        app.db,
        app.log.with_name("tiles.log"),
        {
            "IAP_REGISTRY_TILES": root + "/{z}/{x}/{y}.png",
            "IAP_REGISTRY_TILES_ATTRIBUTION": "Teselas de prueba",
        },
    )
    try:
        context, page = offline_page(browser, watch)
        page.goto(tiled.url)
        frame = map_frame(page)
        frame.locator(".leaflet-tile-loaded").first.wait_for()
        wait_idle(page)
        assert asked and all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in asked), asked[:3]
        frame.get_by_text("Teselas de prueba").wait_for()
        frame.locator(".leaflet-control-layers").hover()
        names = [
            n.strip() for n in frame.locator(".leaflet-control-layers-list label").all_inner_texts()
        ]
        assert (
            tr("ui_base_tiles", lang="es") in names and tr("ui_base_outlines", lang="es") in names
        )
        report = look_at_map(page, "map-operator-tiles")
        assert report.checked >= 5 and not report.hidden, report
        assert report.land_wrong  # the land is the tiles' colour now, not the offline base's
        tiles_seen = [w for w in report.land_wrong if w["seen"] == TILE_RGB]  # else a border line
        assert len(tiles_seen) >= 0.6 * report.land_checked, report.land_wrong[:3]
        context.close()
    finally:
        tiled.process.terminate()
        tiled.process.wait(10)


def _server_cpu_s(app: App) -> float:
    fields = Path(f"/proc/{app.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_streamlits_own_front_end_comes_compressed_from_memory(page: Any, app: App) -> None:
    """Streamlit's own scripts and styles, 3-4 MB that every new browser loads, come gzip
    compressed, from bytes read and compressed once, and are kept by browsers (their names
    change with their content). Streamlit sends them uncompressed, read from disk in 64 KB
    pieces: about 0.3 s of server CPU per new browser, measured as below."""
    import streamlit

    seen: list[Any] = []
    page.on(
        "response", lambda r: seen.append(r) if r.url.startswith(app.url + "/static/") else None
    )
    page.goto(app.url)
    wait_map(page)
    wait_idle(page)
    urls = {r.url: r for r in seen}
    scripts = [u for u in urls if u.endswith((".js", ".css"))]
    assert len(scripts) >= 10, sorted(urls)
    root = Path(streamlit.__file__).parent / "static"
    for url in scripts:
        headers = urls[url].all_headers()
        small = (root / url[len(app.url) + 1 :]).stat().st_size < 500  # not worth it
        assert urls[url].status == 200, url
        assert headers.get("content-encoding") == (None if small else "gzip"), url
        assert "immutable" in headers["cache-control"], (url, headers)
    # the bytes are the package's own, whether compressed or not
    largest = max(scripts, key=lambda u: (root / u[len(app.url) + 1 :]).stat().st_size)
    path = root / largest[len(app.url) + 1 :]
    assert urllib.request.urlopen(largest, timeout=30).read() == path.read_bytes()
    packed = urllib.request.urlopen(
        urllib.request.Request(largest, headers={"Accept-Encoding": "gzip"}), timeout=30
    )
    assert gzip.decompress(packed.read()) == path.read_bytes()
    # five new browsers' worth of them
    before = _server_cpu_s(app)
    for _ in range(5):
        for url in scripts:
            request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
    assert (_server_cpu_s(app) - before) / 5 < 0.1
    for outside in ("/static/../index.html", "/static/%2e%2e/index.html"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(app.url + outside, timeout=30)
        assert refused.value.code in (400, 404), outside


def test_outlines_and_scripts_are_compressed_once_and_kept_by_browsers(page: Any, app: App) -> None:
    """What the map loads from the app (Leaflet, the map script, 3.4 MB of outlines) comes
    gzip-compressed from bytes compressed once per file version, not again on every
    request (issue 22: a quarter of the server's CPU per new session); a versioned URL is
    kept for a year, any other is revalidated (304); nothing outside the folder is served."""
    seen: list[Any] = []
    page.on("response", lambda r: seen.append(r) if "/app/static/" in r.url else None)
    page.goto(app.url)
    wait_map(page)
    wait_idle(page)
    urls = {r.url: r for r in seen}
    outlines = [u for u in urls if "/geo/comuna.geojson" in u]
    scripts = [u for u in urls if u.split("?")[0].endswith(("iapmap.js", "leaflet.js"))]
    assert outlines and len(scripts) == 2, sorted(urls)
    for url in outlines + scripts:
        headers = urls[url].all_headers()
        assert urls[url].status == 200 and headers.get("content-encoding") == "gzip", url
        assert "?v=" in url and "immutable" in headers["cache-control"], (url, headers)
    # the bytes are the file's, whether compressed or not
    url = outlines[0]
    path = Path(__file__).resolve().parents[2] / "registry/ui/static/geo/comuna.geojson"
    plain = urllib.request.urlopen(url, timeout=30)
    assert plain.headers.get("Content-Encoding") is None and plain.read() == path.read_bytes()
    packed = urllib.request.urlopen(
        urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=30
    )
    etag = packed.headers["ETag"]
    assert gzip.decompress(packed.read()) == path.read_bytes()
    # twenty new sessions' worth of the largest outline: compressed once, not twenty times
    # (measured: 0.01 s of server CPU; 0.58 s when each is compressed at gzip level 5)
    before = _server_cpu_s(app)
    for _ in range(20):
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
    assert _server_cpu_s(app) - before < 0.2
    # an unversioned URL is revalidated, and answered 304 while the file is the same
    bare = urllib.request.urlopen(url.split("?")[0], timeout=30)
    assert bare.headers["Cache-Control"] == "no-cache"
    with pytest.raises(urllib.error.HTTPError) as unchanged:
        urllib.request.urlopen(
            urllib.request.Request(url.split("?")[0], headers={"If-None-Match": etag}),
            timeout=30,
        )
    assert unchanged.value.code == 304
    for outside in ("/app/static/../main.py", "/app/static/%2e%2e/main.py", "/app/static/geo"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(app.url + outside, timeout=30)
        assert refused.value.code in (400, 404), outside
