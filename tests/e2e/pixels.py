"""Look at the map as a person does: screenshots of the map, sampled where each entry is drawn.

A DOM or marker count says what the page holds, not what it shows: the land once covered
every marker while the counts were right. Here each drawn entry's pixel position comes from
Leaflet (``latLngToContainerPoint``), and the screenshot must show the entry's own colour
there, blended as its fill opacity says over what lies beneath; "beneath" is a second
screenshot taken with the entries' pane hidden. An entry painted over by any other layer
fails, whatever the reason.
"""

from __future__ import annotations

import collections
import functools
import io
import time
from dataclasses import dataclass, field
from typing import Any

import shapely
from PIL import Image

from tests.e2e.harness import MAP_FRAME, map_frame, shot

LAND = (0xF3, 0xEF, 0xE6)  # the offline base's land fill
SEA = (0xDC, 0xE8, 0xF2)  # the map background

# Everything the entries layer draws, with its position in the map container: circle
# markers in the entries pane that are on the map now (not hidden inside a cluster), and
# cluster icons with how many entries each stands for. ``entries`` counts what lies inside
# the view (markers, lines and polygons; the cluster layer draws only clusters in view).
_DRAWN_JS = """() => {
    const m = window.map_div;
    if (!m) return null;
    const box = m.getContainer().getBoundingClientRect();
    const view = m.getBounds();
    const items = [];
    let entries = 0;
    m.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.options.pane === 'iap-entries') {
            const p = m.latLngToContainerPoint(l.getLatLng());
            const o = l.options;
            items.push({kind: l.iapGroup ? 'group' : 'entry',
                        id: (l.feature && l.feature.properties.id) || l.iapGroup,
                        x: p.x, y: p.y, r: o.radius, fill: o.fillColor, alpha: o.fillOpacity});
            if (!l.iapGroup && view.contains(l.getLatLng())) entries += 1;
        } else if (l.options && l.options.pane === 'iap-shapes' && l.feature && !l.getLayers) {
            // a line or polygon inside the view: counted (its pixels are not sampled)
            if (view.intersects(l.getBounds())) entries += 1;
        } else if (L.MarkerCluster && l instanceof L.MarkerCluster) {
            const el = l._icon;
            if (!el) return;
            const r = el.getBoundingClientRect();
            const frame = document.documentElement.getBoundingClientRect();
            items.push({kind: 'cluster', id: null, x: r.left + r.width / 2 - box.left,
                        y: r.top + r.height / 2 - box.top, r: r.width / 2,
                        n: l.getChildCount()});
            entries += l.getChildCount();
        }
    });
    return {items: items, entries: entries, width: box.width, height: box.height,
            left: box.left, top: box.top, zoom: m.getZoom()};
}"""

_HIDE_JS = """(_, hide) => {
    const m = window.map_div;
    for (const name of ['iap-entries', 'markerPane']) {
        const p = m.getPane(name);
        if (p) p.style.visibility = hide ? 'hidden' : '';
    }
}"""

_POINTS_JS = """(_, points) => {
    const m = window.map_div;
    return points.map(([lat, lng]) => { const p = m.latLngToContainerPoint([lat, lng]);
                                        return [p.x, p.y]; });
}"""


@functools.cache
@functools.lru_cache(maxsize=1)
def land_points() -> list[tuple[float, float]]:
    """A point inside each of Chile's 40 largest comunas and inside each of the other
    countries' admin-1 units larger than 1 square degree (lat, lng): land on the offline
    base, with few outlines near."""
    from registry.geo.boundaries import admin1, comunas

    table = comunas(simplified=True)
    big = table.assign(area=shapely.area(table.geometry.values)).nlargest(40, "area")
    units = admin1()
    units = units[(units.country != "CL") & (shapely.area(units.geometry.values) > 1.0)]
    anchors = shapely.point_on_surface([*big.geometry.values, *units.geometry.values])
    return [(float(p.y), float(p.x)) for p in anchors]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _median(image: Image.Image, x: float, y: float, half: int = 1) -> tuple[int, int, int]:
    cx, cy = round(x), round(y)
    pixels = [
        image.getpixel((i, j))[:3]
        for i in range(cx - half, cx + half + 1)
        for j in range(cy - half, cy + half + 1)
        if 0 <= i < image.width and 0 <= j < image.height
    ]
    return tuple(sorted(p[k] for p in pixels)[len(pixels) // 2] for k in range(3))  # type: ignore[return-value]


def _mode(image: Image.Image, x: float, y: float, half: int = 3) -> tuple[int, int, int]:
    """The most common colour around ``x, y`` (outlines and labels are thin)."""
    cx, cy = round(x), round(y)
    counts = collections.Counter(
        image.getpixel((i, j))[:3]
        for i in range(cx - half, cx + half + 1)
        for j in range(cy - half, cy + half + 1)
        if 0 <= i < image.width and 0 <= j < image.height
    )
    return counts.most_common(1)[0][0]  # type: ignore[no-any-return]


def _blend(fill: tuple[int, ...], alpha: float, under: tuple[int, ...]) -> tuple[int, ...]:
    """``fill`` at opacity ``alpha`` over ``under``."""
    return tuple(round(alpha * f + (1 - alpha) * u) for f, u in zip(fill, under, strict=True))


def _distance(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return max(abs(int(p) - int(q)) for p, q in zip(a, b, strict=True))


@dataclass
class PixelReport:
    """What the screenshot showed at each drawn entry (and at some land points)."""

    drawn_entries: int  # entries drawn one by one or inside a cluster icon
    checked: int = 0  # entries and cluster icons whose pixels were compared
    hidden: list[dict[str, Any]] = field(default_factory=list)  # not showing their colour
    land_checked: int = 0
    land_wrong: list[dict[str, Any]] = field(default_factory=list)

    def assert_visible(self, expected: int | None = None, min_checked: int = 5) -> None:
        """Fail unless every checked entry showed its colour (and, if given, the map drew
        ``expected`` entries)."""
        if expected is not None:
            assert self.drawn_entries == expected, (
                f"the map drew {self.drawn_entries} entries, expected {expected}"
            )
        assert self.checked >= min(min_checked, max(self.drawn_entries, 1)), (
            f"only {self.checked} entries could be checked"
        )
        assert not self.hidden, (
            f"{len(self.hidden)} of {self.checked} entries hidden: {self.hidden[:3]}"
        )
        assert self.land_checked == 0 or len(self.land_wrong) <= self.land_checked // 3, (
            f"land not drawn at {len(self.land_wrong)} of {self.land_checked} points: "
            f"{self.land_wrong[:3]}"
        )


def _map_image(page: Any, index: int) -> Image.Image:
    data = page.locator(MAP_FRAME).nth(index).screenshot()
    return Image.open(io.BytesIO(data)).convert("RGB")


def look_at_map(page: Any, name: str, index: int = 0, settle_ms: int = 600) -> PixelReport:
    """Screenshot the map (kept as artefact ``name``), then sample the colour at each drawn
    entry: a lone circle marker must show its fill colour blended over what is beneath it
    (the same spot with the entries hidden); a cluster icon must change what is beneath.
    Points inside large comunas, away from entries, must show the land colour."""
    page.mouse.move(2, 2)  # no tooltip over the map
    frame = map_frame(page, index).locator("body")
    page.locator(MAP_FRAME).nth(index).scroll_into_view_if_needed()
    page.wait_for_timeout(settle_ms)
    drawn = _stable(frame, page)
    shot(page, name, full_page=False)
    offset = frame.evaluate(
        "() => { const b = window.map_div.getContainer().getBoundingClientRect();"
        " return [b.left, b.top]; }"
    )
    seen = _map_image(page, index)
    frame.evaluate(_HIDE_JS, True)
    page.wait_for_timeout(150)
    beneath = _map_image(page, index)
    frame.evaluate(_HIDE_JS, False)
    items = drawn["items"]
    report = PixelReport(drawn_entries=int(drawn["entries"]))
    for item in items:
        spots = [
            (sx + offset[0], sy + offset[1])
            for sx, sy in _own_spots(item, items)
            if 2 < sx + offset[0] < seen.width - 2 and 2 < sy + offset[1] < seen.height - 2
        ]
        if not spots:
            continue  # covered all over by other drawn items: its colour is not its own
        x, y = spots[0]
        now, under = _median(seen, x, y), _median(beneath, x, y)
        report.checked += 1
        if item["kind"] == "cluster":
            # six spots in the icon's disc, clear of its count in the middle: a border line
            # beneath one spot, in a colour close to the icon's, must not read as hidden
            r, cx, cy = float(item["r"]), item["x"] + offset[0], item["y"] + offset[1]
            spots = [(0, -0.55), (0, 0.55), (-0.55, -0.45), (0.55, -0.45), (-0.55, 0.45)]
            spots.append((0.55, 0.45))
            changed = []
            for dx, dy in spots:
                sx, sy = cx + dx * r, cy + dy * r
                changed.append(_distance(_median(seen, sx, sy), _median(beneath, sx, sy)) > 40)
            ok = sum(changed) >= len(spots) // 2
        else:
            fill, alpha = _rgb(item["fill"]), float(item["alpha"])
            want = _blend(fill, alpha, under)
            # its colour at most spots of its own (the antialiased stroke of a neighbour
            # can reach one spot's 3x3 sample; a layer painted over the entry covers most)
            matching = [
                _distance(_median(seen, sx, sy), _blend(fill, alpha, _median(beneath, sx, sy)))
                <= 30
                for sx, sy in spots
            ]
            ok = 2 * sum(matching) >= len(matching) + (len(matching) == 1)
            item["want"] = want
        if not ok:
            report.hidden.append({**item, "seen": now, "beneath": under})
    for lat_lng, (px, py) in zip(
        land_points(), frame.evaluate(_POINTS_JS, land_points()), strict=True
    ):
        x, y = px + offset[0], py + offset[1]
        if not (10 < x < seen.width - 10 and 10 < y < seen.height - 10):
            continue
        if any(abs(i["x"] - px) + abs(i["y"] - py) < 30 for i in items):
            continue
        report.land_checked += 1
        colour = _mode(seen, x, y)
        if _distance(colour, LAND) > 12:
            report.land_wrong.append({"at": lat_lng, "x": px, "y": py, "seen": colour})
    return report


def _own_spots(item: dict[str, Any], items: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """The points inside ``item``'s disc (its centre and 8 points halfway out) that no other
    drawn item covers, with 2 px to spare (a 3x3 sample stays inside)."""
    r = float(item["r"] or 5)
    if r < 3.5:
        return []
    inner = r - 2.5  # inside the fill, clear of the stroke
    candidates = [(0.0, 0.0)] + [
        (inner * dx, inner * dy)
        for dx, dy in (
            (1, 0),
            (-1, 0),
            (0, 1),
            (0, -1),
            (0.7, 0.7),
            (-0.7, 0.7),
            (0.7, -0.7),
            (-0.7, -0.7),
        )
    ]
    free: list[tuple[float, float]] = []
    for dx, dy in candidates:
        x, y = item["x"] + dx, item["y"] + dy
        if all(
            other is item
            or (x - other["x"]) ** 2 + (y - other["y"]) ** 2 > (float(other["r"] or 5) + 3) ** 2
            for other in items
        ):
            free.append((x, y))
    return free


def _stable(frame: Any, page: Any, timeout: float = 30) -> dict[str, Any]:
    """What the map draws, once the same twice in a row (clusters animate in chunks)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        now = frame.evaluate(_DRAWN_JS)
        if now is not None and last is not None and now == last and now["items"]:
            return now
        last = now
        page.wait_for_timeout(300)
    assert last is not None, "no Leaflet map in the frame"
    return last


def beneath_entries(page: Any, index: int = 0) -> list[dict[str, Any]]:
    """Each entry drawn one by one, with the most common colour beneath it (the same spot
    with the entries hidden): the land colour where the base draws land there."""
    frame = map_frame(page, index).locator("body")
    drawn = _stable(frame, page)
    offset = frame.evaluate(
        "() => { const b = window.map_div.getContainer().getBoundingClientRect();"
        " return [b.left, b.top]; }"
    )
    frame.evaluate(_HIDE_JS, True)
    page.wait_for_timeout(150)
    beneath = _map_image(page, index)
    frame.evaluate(_HIDE_JS, False)
    return [
        {**item, "beneath": _mode(beneath, item["x"] + offset[0], item["y"] + offset[1])}
        for item in drawn["items"]
        if item["kind"] == "entry"
    ]


def entries_in_view(page: Any, geoms: Any, index: int = 0) -> int:
    """How many of ``geoms`` (an entry's point, or a point on its line or polygon) lie
    inside the map's current view: what ``PixelReport.drawn_entries`` must count."""
    import numpy as np

    south, west, north, east = (
        map_frame(page, index)
        .locator("body")
        .evaluate(
            "() => { const b = window.map_div.getBounds();"
            " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
        )
    )
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    x, y = shapely.get_x(points), shapely.get_y(points)
    return int(((x >= west) & (x <= east) & (y >= south) & (y <= north)).sum())
