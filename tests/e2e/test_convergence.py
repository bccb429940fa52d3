"""The article's convergence chart on the statistics page, as a person sees it: labels read
and measured in the browser, points sampled in the screenshot, the downloaded CSV against the
CLI's JSON, a reload, the English page, another measure and pair of years, hostile text."""

from __future__ import annotations

import csv
import io
import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from registry.cli import main
from registry.i18n import tr
from registry.layers.indicators import COLUMNS
from tests.conftest import ADMIN
from tests.e2e.harness import App, Watch, select, shot, wait_idle

BOXES_JS = """() => {
    const svg = document.querySelector('[data-testid=convergence-svg]');
    const origin = svg.getBoundingClientRect();
    const box = e => { const r = e.getBoundingClientRect();
        return {x0: r.left - origin.left, y0: r.top - origin.top,
                x1: r.right - origin.left, y1: r.bottom - origin.top}; };
    return {
        labels: [...svg.querySelectorAll('[data-testid=region-label]')].map(
            t => ({region: t.dataset.region, text: t.textContent, ...box(t)})),
        points: [...svg.querySelectorAll('circle')].map(
            c => ({region: c.dataset.region, fill: c.getAttribute('fill'), ...box(c)})),
        quadrants: [...svg.querySelectorAll('[data-testid^=quadrant-]')].map(
            t => ({text: t.textContent, ...box(t)})),
        title: svg.querySelector('title').textContent,
        xTitle: [...svg.querySelectorAll('[data-testid=x-title]')].map(t => t.textContent).join(' '),
    };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    h = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
    return max(w, 0) * max(h, 0)


def _chart(page: Any) -> dict[str, Any]:
    svg = page.locator('[data-testid="convergence-svg"]')
    svg.wait_for()
    wait_idle(page)
    svg.scroll_into_view_if_needed()
    return dict(page.evaluate(BOXES_JS))


def _check_layout(chart: dict[str, Any]) -> None:
    """No label overlaps another label, a point or a quadrant name (element boxes)."""
    labels = chart["labels"]
    for a, b in combinations(labels, 2):
        assert _overlap(a, b) == 0, (a["text"], b["text"])
    for label in labels:
        for point in chart["points"]:
            assert _overlap(label, point) == 0, (label["text"], point["region"])
        for name in chart["quadrants"]:
            assert _overlap(label, name) == 0, (label["text"], name["text"])
        assert label["x1"] - label["x0"] > 10 and label["y1"] - label["y0"] > 8  # drawn


def _sample(page: Any, chart: dict[str, Any]) -> None:
    """Each point is painted, at its centre in the screenshot, in its quadrant's colour."""
    picture = Image.open(
        io.BytesIO(page.locator('[data-testid="convergence-svg"]').screenshot())
    ).convert("RGB")
    scale = picture.width / page.evaluate(
        "() => document.querySelector('[data-testid=convergence-svg]')"
        ".getBoundingClientRect().width"
    )
    for point in chart["points"]:
        x = (point["x0"] + point["x1"]) / 2 * scale
        y = (point["y0"] + point["y1"]) / 2 * scale
        want = tuple(int(point["fill"][i : i + 2], 16) for i in (1, 3, 5))
        got = picture.getpixel((round(x), round(y)))
        assert all(abs(g - w) <= 24 for g, w in zip(got, want, strict=True)), (
            point["region"], got, want,
        )  # fmt: skip


def _cli(capsys: pytest.CaptureFixture[str], app: App, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--db", str(app.db), "indicators", "convergence", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_articles_chart(
    page: Any, app: App, watch: Watch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1200})
    page.goto(f"{app.url}/stats")
    chart = _chart(page)
    # the default: the article's measure, 2010 -> 2023, Biobío and Ñuble together
    assert chart["title"] == (tr("indicator_gdp_usd2018_per_employed", lang="es") + ", 2010→2023")
    names = {label["text"] for label in chart["labels"]}
    assert len(chart["labels"]) == 15 and len(chart["points"]) == 15
    assert {"Los Lagos", "Biobío + Ñuble", "Antofagasta", "Tarapacá", "Metropolitana"} <= names
    assert "Nivel en 2010*" in chart["xTitle"] and "dólares constantes de 2018" in chart["xTitle"]
    assert {q["text"] for q in chart["quadrants"]} == {
        tr(f"ui_quadrant_{q}", lang="es")
        for q in ("high_growing", "high_declining", "low_growing", "low_declining")
    }
    _check_layout(chart)
    _sample(page, chart)
    method = page.locator('[data-testid="convergence-method"]').inner_text()
    assert "OCDE" in method and "Biobío y Ñuble se comparan juntas" in method
    assert "bcentral.cl" in method and "relatos-estadisticos" in method
    shot(page, "convergence", full_page=False)

    # the chart's data, downloaded, is the CLI's JSON
    with page.expect_download() as info:
        page.locator(".st-key-dl_convergence button").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    cli = _cli(
        capsys, app, "--indicator", "gdp_usd2018_per_employed", "--from", "2010", "--to",
        "2023", "--group-biobio-nuble",
    )  # fmt: skip
    assert len(rows) == len(cli["regions"]) == 15
    for row, want in zip(rows, cli["regions"], strict=True):
        assert set(row) == set(want)
        for key, value in want.items():
            if isinstance(value, bool):
                assert row[key] == str(value), key
            elif isinstance(value, float):
                assert float(row[key]) == value, key  # full precision, not rounded
            else:
                assert row[key] == value, key
    with page.expect_download() as info:
        page.locator(".st-key-dl_convergence_xlsx button").click()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    assert book.sheetnames == ["datos", "método"]
    data = list(book["datos"].iter_rows(values_only=True))
    assert len(data) == 1 + 15 + 1 and data[-1][0] == "00"
    assert [r[0] for r in data[1:-1]] == [r["region_code"] for r in cli["regions"]]

    # a reload shows the same chart
    page.reload()
    again = _chart(page)
    assert [label["text"] for label in again["labels"]] == [
        label["text"] for label in chart["labels"]
    ]
    assert not watch.errors and not watch.dialogs, (watch.errors, watch.dialogs)


def test_english_other_measure_and_years(page: Any, app: App, watch: Watch) -> None:
    page.set_viewport_size({"width": 1440, "height": 1200})
    page.goto(f"{app.url}/stats?lang=en")
    chart = _chart(page)
    assert {q["text"] for q in chart["quadrants"]} >= {"High, declining", "Low, growing"}
    assert "Level in 2010*" in chart["xTitle"] and "constant 2018 US dollars" in chart["xTitle"]
    assert page.get_by_text("Chile: -8.7 %").count() == 1  # English number format
    # the same data in constant pesos, from 2013 (no estimate), each region apart
    select(page, "Indicator", tr("indicator_gdp_real_ref2018_per_employed", lang="en"))
    wait_idle(page)
    # the years' boxes are keyed by series, so each series starts at its own default
    box = page.locator(".st-key-cv_from_gdp_real_ref2018_per_employed input")
    box.click()
    box.fill("2013")
    page.get_by_role("option", name="2013", exact=True).click()
    wait_idle(page)
    chart = _chart(page)
    assert len(chart["labels"]) == 16
    assert {"Biobío", "Ñuble"} <= {label["text"] for label in chart["labels"]}
    assert "*" not in chart["xTitle"]
    _check_layout(chart)
    _sample(page, chart)
    shot(page, "convergence_en_2013", full_page=False)
    assert not watch.errors and not watch.dialogs


def test_hostile_series_text_is_shown_as_text(
    page: Any, app: App, watch: Watch, tmp_path: Path
) -> None:
    """A manager imports a series whose unit and source are hostile: the chart and its
    method print them literally and run nothing."""
    hostile = "<img src=x onerror=alert(1)> $x^2$ *em* {{7*7}}"
    rows = [
        {
            "region_code": f"{i:02d}",
            "year": year,
            "period": "",
            "indicator": "hostile_series",
            "value": 100 + i + (year - 2020) * i,
            "unit": hostile,
            "source_url": "https://example.org/a?b=<script>",
            "notes": hostile,
        }
        for i in range(17)
        for year in (2020, 2021)
    ]
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    app.registry().import_indicators(path, ADMIN)
    page.goto(f"{app.url}/stats")
    _chart(page)
    select(page, tr("ui_indicator", lang="es"), "hostile_series")
    wait_idle(page)
    chart = _chart(page)
    assert chart["title"] == "hostile_series, 2020→2021"
    assert hostile in chart["xTitle"].replace("\u2026", "") or "<img src=x" in chart["xTitle"]
    assert page.locator('[data-testid="convergence-figure"] img').count() == 0
    assert page.locator('[data-testid="convergence-method"] script').count() == 0
    assert (
        "https://example.org/a?b=<script>"
        in page.locator('[data-testid="convergence-method"]').inner_text()
    )
    _check_layout(chart)
    assert not watch.dialogs and not watch.errors


REGIONS_JS = """() => {
    const m = window.map_div;
    if (!m) return null;
    const box = m.getContainer().getBoundingClientRect();
    const out = {};
    m.eachLayer(l => {
        if (l.feature && l.feature.properties.region_code && l.options.fillOpacity === 0.75) {
            l.iapRegion = true;
            const t = l.getTooltip();
            const c = t ? t._content : null;
            const el = typeof c === 'function' ? c(l) : c;
            out[l.feature.properties.region_code] = {
                fill: l.options.fillColor,
                tip: el ? (el.textContent || String(el)) : '',
            };
        }
    });
    return {regions: out, offset: [box.left, box.top]};
}"""


FILL_JS = """(_, opacity) => { window.map_div.eachLayer(l => {
    if (l.iapRegion) l.setStyle({fillOpacity: opacity});
}); }"""

# points on a 12 x 12 grid over a region's bounds that fall inside its polygon, in pixels
INSIDE_JS = """(_, code) => {
    const m = window.map_div;
    let layer = null;
    m.eachLayer(l => { if (l.iapRegion && l.feature.properties.region_code === code) layer = l; });
    const b = layer.getBounds();
    const out = [];
    const inside = (pt, ring) => { let c = false;
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
            const a = ring[i], d = ring[j];
            if ((a.y > pt.y) !== (d.y > pt.y) && pt.x < (d.x - a.x) * (pt.y - a.y) / (d.y - a.y) + a.x) c = !c;
        } return c; };
    const rings = [];
    const walk = ll => { if (ll.length && ll[0].lat !== undefined) rings.push(ll.map(p => m.latLngToContainerPoint(p)));
                         else ll.forEach(walk); };
    walk(layer.getLatLngs());
    for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
        const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 12,
                            b.getWest() + (b.getEast() - b.getWest()) * j / 12);
        const p = m.latLngToContainerPoint(ll);
        const n = rings.filter(r => inside(p, r)).length;
        if (n % 2 === 1 && p.x > 5 && p.y > 5 && p.x < m.getSize().x - 5 && p.y < m.getSize().y - 5) out.push([p.x, p.y]);
    }
    return out;
}"""


def test_map_layer_shows_the_change_with_unit_and_percent(
    page: Any, app: App, watch: Watch
) -> None:
    """The map's productivity layer in change mode: the article's measure 2010 -> 2023,
    Biobío and Ñuble painted with their group's value, estimated values starred, a legend
    in percent that names the unit; the colours seen on the map are the classes'."""
    from tests.e2e.harness import MAP_FRAME, entry_markers, wait_map, zoom_map
    from tests.e2e.pixels import _blend, _distance, _median, _rgb

    page.goto(app.url)
    wait_map(page)
    page.get_by_text(tr("ui_prod_change", lang="es"), exact=True).click()
    wait_idle(page)
    frame = wait_map(page)
    body = frame.locator("body")
    # the layer is fetched after the map is drawn: poll until all 16 regions are filled
    for _ in range(100):
        drawn = body.evaluate(REGIONS_JS)
        if drawn and len(drawn["regions"]) >= 16:
            break
        page.wait_for_timeout(100)
    regions = drawn["regions"]
    assert len(regions) == 16
    assert regions["08"]["fill"] == regions["16"]["fill"]
    for code in ("08", "16"):
        assert regions[code]["tip"].count("Biobío + Ñuble") >= 1 and "*" in regions[code]["tip"]
    assert "+44,2 %" in regions["10"]["tip"] and "-18,1 %" in regions["02"]["tip"]
    assert regions["10"]["fill"] != regions["02"]["fill"]
    # the legend: the measure, the years and "%" in its title and classes; the unit beneath
    title = tr("indicator_gdp_usd2018_per_employed", lang="es") + ", 2010→2023 (%)"
    legend = page.locator('[data-testid="iap-legend"]').filter(has_text=title).first
    legend.wait_for()
    note = page.get_by_text(tr("ui_source", lang="es") + ": http").first
    text = note.inner_text()
    assert "Variación en % de: dólares constantes de 2018 por ocupado" in text
    assert tr("ui_prod_estimated", lang="es")[:20] in text
    # what a person sees: inside Los Lagos and Antofagasta, away from entries, each region's
    # class colour blended over the land
    zoom_map(page, -33.0, -71.0, 5)
    page.set_viewport_size({"width": 1440, "height": 1600})  # the whole map in view
    page.mouse.move(2, 2)
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    markers = entry_markers(page)

    def picture() -> Image.Image:
        data = page.locator(MAP_FRAME).first.screenshot()
        return Image.open(io.BytesIO(data)).convert("RGB")

    seen = picture()
    body.evaluate(FILL_JS, 0)  # the same map without the regions' fill: what lies beneath
    page.wait_for_timeout(200)
    beneath = picture()
    body.evaluate(FILL_JS, 0.75)
    offset = drawn["offset"]
    land = (0xF3, 0xEF, 0xE6)
    checked = 0
    for code in ("10", "02", "08", "16", "01"):
        want = _blend(_rgb(regions[code]["fill"]), 0.75, land)
        spots = body.evaluate(INSIDE_JS, code)
        for x, y in spots:
            if any(abs(m["x"] - x) < 15 and abs(m["y"] - y) < 15 for m in markers):
                continue
            px, py = x + offset[0], y + offset[1]
            if _distance(_median(beneath, px, py), land) > 6:
                continue  # a border, a label or a lake lies there
            assert _distance(_median(seen, px, py), want) <= 24, (code, x, y)
            checked += 1
            break
        else:
            raise AssertionError(f"no clear land inside region {code} to look at")
    assert checked == 5
    shot(page, "map-productivity-change", full_page=False)
    assert not watch.errors


def test_entry_context_shows_the_measure_for_its_region_and_chile(
    page: Any, app: App, watch: Watch
) -> None:
    """An entry in Ñuble, opened from its link: its regional context gives the article's
    measure 2010 -> 2023 for Biobío + Ñuble (as the region was in 2010) and for Chile,
    estimated values starred, in Spanish and, after switching, in English."""
    entries = app.registry().list()
    entry = entries[entries["region_code"] == "16"].iloc[0]
    page.goto(f"{app.url}/?id={entry['id']}")
    panel = page.locator(".st-key-entry_details")
    panel.wait_for()
    wait_idle(page)
    text = panel.inner_text()
    assert tr("indicator_gdp_usd2018_per_employed", lang="es") in text
    assert "2010→2023: Biobío + Ñuble 20.844,60* → 22.888,02 (+9,8 %)" in text
    assert "Chile 30.500,13* → 27.838,13 (-8,7 %)" in text and "(* estimado)" in text
    page.goto(f"{app.url}/?id={entry['id']}&lang=en")
    panel = page.locator(".st-key-entry_details")
    panel.wait_for()
    wait_idle(page)
    text = panel.inner_text()
    assert "2010→2023: Biobío + Ñuble 20,844.60* → 22,888.02 (+9.8 %)" in text
    assert "(* estimated)" in text
    assert not watch.errors
