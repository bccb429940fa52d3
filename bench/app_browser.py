"""The app in headless Chromium at N entries: page open to map drawn, filter change to map
redrawn, map click to details shown. Each is the median of several runs (min-max).

"Map drawn" is Chile's land and every entry drawn; the layers the map fetches after them
(Chile's comuna lines, shown from zoom 7, and the other countries' land and borders) are
timed apart, as "page open to whole base".

Above the map's detail limit (10,000 entries in view) the national view is one circle per
place: "map drawn" is then every group circle drawn, and the filter picks a region of
2,001-10,000 drawable entries, whose entries must all be drawn (clustered), and the last
filtered view is checked pixel by pixel (``tests/e2e/pixels.py``): no entry hidden.

Run: ``.venv/bin/python -m bench.app_browser [N] [RUNS]`` (default 10,000 entries, 5 runs).
The registry is synthetic (``bench/generate.py``); the app runs offline on a free port.
Prints a table and writes ``bench/results/app_browser_N.json``.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import build_registry
from registry.api import Registry
from registry.auth import VISITOR
from registry.i18n import tr
from tests.e2e.harness import (
    CHROMIUM_ARGS,
    COUNT_JS,
    MAP_FRAME,
    OUTLINES_JS,
    ROOT,
    chromium_path,
    entry_markers,
    start_app,
    wait_idle,
    wait_map,
    zoom_map,
)

RESULTS = Path(__file__).parent / "results"


def _summary(times: list[float]) -> dict[str, float]:
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


# every entry drawn (clustered or not), or with ``groups`` that many group circles; with
# ``land``, Chile's land as well (the first layers fetched; see ``fetchInto`` in iapmap.js)
_DRAWN_JS = (
    "(args) => { const count = "
    + COUNT_JS
    + ", outlines = "
    + OUTLINES_JS
    + """;
    if (!window.map_div || !window.L) return false;
    if (args.land && !outlines(null, false)) return false;
    if (args.groups === null) return count() === args.expected;
    let n = 0;
    window.map_div.eachLayer(l => { if (l.iapGroup) n++; });
    return n === args.groups;
}"""
)


def _wait_in_map(page: Any, expected: int, groups: int | None, land: bool = False) -> None:
    """Wait, inside the map's frame and checked at every animation frame, until it draws
    ``expected`` entries (or ``groups`` group circles) and, with ``land``, the land. Checking
    in the page, not by polling from here, adds no polling interval to what is timed. A
    frame replaced by a rerun is looked up again."""
    from playwright.sync_api import Error as PlaywrightError

    args = {"expected": expected, "groups": groups, "land": land}
    deadline = time.monotonic() + 120
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the map never showed {groups or expected} entries/groups")
        try:
            frame = page.wait_for_selector(MAP_FRAME, timeout=left * 1000).content_frame()
            if frame is not None:
                frame.wait_for_function(_DRAWN_JS, arg=args, polling="raf", timeout=left * 1000)
                return
        except PlaywrightError:  # the frame was replaced while we waited
            page.wait_for_timeout(10)


def _wait_count(page: Any, expected: int) -> None:
    _wait_in_map(page, expected, None)


def rerun_after_filter_change(db: Path, runs: int) -> dict[str, float]:
    """Script time of one rerun of the map page after a filter change (a new region each
    time, so nothing is cached for it), with Streamlit's AppTest on the same registry."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["IAP_REGISTRY_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "registry" / "ui" / "main.py"), default_timeout=300)
    at.run()  # the first run fills the caches every later run shares
    codes = [c for c in Registry(str(db)).region_names() if c != "00"]
    times = []
    for code in codes[:runs]:
        at.multiselect(key="flt_region").set_value([code])
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return _summary(times)


def _wait_drawn(page: Any, expected: int, groups: int | None, land: bool = False) -> None:
    """Wait for ``expected`` entries, or (grouped view) ``groups`` group circles."""
    _wait_in_map(page, expected, groups, land)


def _left_out(page: Any) -> int | None:
    """How many entries the page's caption says the fit left out (None if it says nothing)."""
    head, tail = tr("ui_fit_left_out", lang="es", n="\0").split("\0")
    note = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=tail.strip()[:20])
    if note.count() == 0:
        return None
    found = re.search(re.escape(head) + r"([\d.\u202f\xa0]+)", note.first.inner_text())
    assert found, note.first.inner_text()
    return int(re.sub(r"\D", "", found.group(1)))


def main(n: int = 10_000, runs: int = 5) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from registry.ui import mapview
    from tests.e2e.pixels import entries_in_view, look_at_map

    folder = Path(tempfile.mkdtemp(prefix="iap-bench-app-"))
    reg = build_registry(n, folder / "app.gpkg")
    frame = reg.list(None, viewer=VISITOR)  # what a visitor sees: published entries
    visible = int(frame.geometry.notna().sum())
    counts = frame.dropna(subset=["geometry"])["region_code"].value_counts()
    groups = None
    if len(frame) > mapview.detail_max():  # drawn as one circle per place
        payload = mapview.entries_payload(frame, "sector", "es")
        groups = len(payload.groups or [])
        fits = [c for c, k in counts.items() if mapview.CLUSTER_ABOVE < k <= mapview.detail_max()]
        region = fits[0] if fits else counts.index[1]
    else:
        region = counts.index[1]  # the second-largest region
    in_region = int(counts[region])
    # the region's view is its mainland: entries on Rapa Nui or Juan Fernández are outside
    region_geoms = frame[frame["region_code"] == region].geometry.dropna().values
    far = mapview.region_view((region,), region_geoms)[1]
    app = start_app(folder / "app.gpkg", folder / "streamlit.log")
    results: dict[str, Any] = {
        "n": n,
        "published_drawn": visible,
        "runs": runs,
        "grouped_national_view": groups,
        "region": region,
        "region_entries": in_region,
        "region_left_out_of_view": far,
    }
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.set_default_timeout(120_000)
            page.goto(app.url)  # warm the app's caches once, as any running server has them
            wait_map(page)
            _wait_drawn(page, visible, groups)
            opened, whole = [], []
            for _ in range(runs):
                start = time.perf_counter()
                page.goto(app.url)
                _wait_drawn(page, visible, groups, land=True)  # entries, and the land under them
                opened.append(time.perf_counter() - start)
                wait_map(page)  # then the comuna lines and the other countries
                whole.append(time.perf_counter() - start)
            wait_idle(page)
            filtered: list[float] = []
            to_region: list[float] = []
            back: list[float] = []
            box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
                has=page.get_by_text(tr("ui_f_region", lang="es"), exact=True)
            )
            for _ in range(runs):
                wait_idle(page)
                box.locator("input").click()
                box.locator("input").fill(reg.region_names()[region])
                option = page.get_by_role("option", name=reg.region_names()[region]).first
                option.wait_for()
                start = time.perf_counter()
                option.click()
                _wait_count(page, in_region)
                filtered.append(time.perf_counter() - start)
                to_region.append(filtered[-1])
                page.keyboard.press("Escape")
                wait_idle(page)
                if len(filtered) == 2 * runs - 1:  # the last filtered view, looked at
                    pixels = look_at_map(page, f"bench-region-{n}")
                    # entries far from the rest (Rapa Nui, Juan Fernández) are left out of
                    # the fit, as the page says; whatever falls inside the view must be drawn
                    left_out = _left_out(page)
                    assert left_out == (far or None), f"caption says {left_out}, expected {far}"
                    in_view = entries_in_view(page, region_geoms)
                    assert in_view >= in_region - far, f"{in_view} in view of {in_region - far}"
                    pixels.assert_visible(expected=in_view, min_checked=1)
                    results["pixels_region"] = {
                        "checked": pixels.checked,
                        "hidden": 0,
                        "in_view": in_view,
                        "drawn": pixels.drawn_entries,
                        "left_out_of_view": left_out,
                    }
                clear = page.get_by_role("button", name=tr("ui_clear_filters", lang="es"))
                start = time.perf_counter()
                clear.click()
                _wait_drawn(page, visible, groups)
                filtered.append(time.perf_counter() - start)
                back.append(filtered[-1])
                wait_idle(page)
            if groups is not None:  # clicks on entries: in the region's view
                box.locator("input").click()
                box.locator("input").fill(reg.region_names()[region])
                page.get_by_role("option", name=reg.region_names()[region]).first.click()
                _wait_count(page, in_region)
                page.keyboard.press("Escape")
                wait_idle(page)
            clicks = []
            if groups is None:
                zoom_map(page, -33.45, -70.65, 13)
            else:  # where the region's entries are densest
                where = frame[frame["region_code"] == region].dropna(subset=["geometry"])
                centre = where.geometry.representative_point()
                zoom_map(page, float(centre.y.median()), float(centre.x.median()), 13)
            markers = entry_markers(page)
            size = page.locator(MAP_FRAME).bounding_box()
            lone = [
                m
                for m in markers
                if 30 < m["x"] < size["width"] - 30
                and 30 < m["y"] < size["height"] - 30
                and all(
                    abs(m["x"] - o["x"]) + abs(m["y"] - o["y"]) > 14 for o in markers if o is not m
                )
            ]
            page.locator(MAP_FRAME).scroll_into_view_if_needed()
            size = page.locator(MAP_FRAME).bounding_box()
            for m in lone[:runs]:
                page.mouse.move(size["x"] + m["x"], size["y"] + m["y"])  # hover, as users do
                page.wait_for_timeout(200)
                start = time.perf_counter()
                page.mouse.click(size["x"] + m["x"], size["y"] + m["y"])
                page.get_by_role("heading", name=m["name"], exact=True).wait_for()
                clicks.append(time.perf_counter() - start)
                wait_idle(page)
            browser.close()
    finally:
        app.process.terminate()
        app.process.wait(10)
    results["rerun_after_filter_change_s"] = rerun_after_filter_change(folder / "app.gpkg", runs)
    results["page_open_to_map_drawn_s"] = _summary(opened)
    results["page_open_to_whole_base_s"] = _summary(whole)
    results["filter_change_to_map_redrawn_s"] = _summary(filtered)
    results["filter_to_region_s"] = _summary(to_region)
    results["clear_to_national_s"] = _summary(back)
    results["map_click_to_details_s"] = _summary(clicks)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"app_browser_{n}.json").write_text(json.dumps(results, indent=2))
    print(f"app in Chromium, N = {n:,} ({visible:,} published entries drawn), {runs} runs")
    for key in (
        "rerun_after_filter_change_s",
        "page_open_to_map_drawn_s",
        "page_open_to_whole_base_s",
        "filter_change_to_map_redrawn_s",
        "filter_to_region_s",
        "clear_to_national_s",
        "map_click_to_details_s",
    ):
        s = results[key]
        print(f"  {key:34s} {s['median']:.2f} s  ({s['min']:.2f}-{s['max']:.2f})")
    return results


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
