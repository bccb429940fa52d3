"""The map: a constant base (tile-free outlines or OpenStreetMap) and data layers built here.

User text never reaches the page as HTML or JavaScript source: entries travel as JSON data
(``js_json`` escapes what could close a ``<script>``), and tooltips are DOM nodes filled with
``textContent``. Leaflet and its plugins are loaded from the app's own static folder.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from registry.i18n import number, tr
from registry.schema.codes import CODE_LISTS, label
from registry.schema.fields import FIELDS_BY_NAME, FieldSpec
from registry.ui.assets import CSS, JS

__all__ = [
    "APPROXIMATE",
    "CLUSTER_ABOVE",
    "COLOR_FIELDS",
    "color_spec",
    "DETAIL_MAX",
    "ChoroplethLayer",
    "EntriesLayer",
    "GroupsLayer",
    "MapPayload",
    "OutlineLayer",
    "base_map",
    "choropleth_classes",
    "detail_max",
    "entries_payload",
    "js_json",
    "map_columns",
    "pick_entries",
    "pick_group",
]

CENTER = (-37.5, -71.0)
CHILE = [[-56.0, -76.0], [-17.5, -66.4]]  # the first view: mainland Chile
CLUSTER_ABOVE = 2_000  # more points than this are clustered at low zoom
DETAIL_MAX = 10_000  # more entries than this are drawn as one circle per place
_MAP_FIELDS = ("id", "name", "kind", "location_precision", "country", "region_code", "comuna_code")
APPROXIMATE = ("comuna", "region", "country")  # location precisions drawn as approximate
COLOR_FIELDS = (
    "sector",
    "kind",
    "initiative_type",
    "strategic_focus",
    "funding_source",
    "program",
    "stage",
    "status",
    "location_precision",
    "freshness",  # derived (registry.quality), added to the frame by the map page
)
_DERIVED = {
    "freshness": FieldSpec("freshness", "code", "Vigencia", "Freshness", code_list="freshness")
}
# fields whose values have colours of their own (green: fine; ochre: to check; red: act)
FIXED_COLORS = {"freshness": {"current": "#1a7f37", "unverified": "#b8860b", "stale": "#c0392b"}}
# Categorical colours (colour-blind-friendly order first), then a neutral for "other".
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442",
    "#8c564b", "#7f7f7f", "#1f3a93", "#b8860b", "#2e8b57", "#a0522d", "#6a5acd",
    "#c71585", "#20b2aa", "#9acd32", "#ff7f50", "#4682b4", "#bc8f8f",
)  # fmt: skip
OTHER = "#bdbdbd"
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # level: ColorBrewer Blues 5
DIVERGING = ("#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac")  # change: loss .. gain


def js_json(value: Any) -> str:
    """Return ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    Examples
    --------
    >>> js_json({"n": "</script><img src=x onerror=alert(1)>"})
    '{"n": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _offline(element: Any, js: tuple[str, ...], css: tuple[str, ...]) -> Any:
    element.default_js = [(name, JS[name]) for name in js]
    element.default_css = [(name, CSS[name]) for name in css]
    return element


class OutlineLayer(MacroElement):
    """A GeoJSON file the browser fetches from the app (not embedded in the map script)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            style: {{ this.style }}, interactive: false, smoothFactor: 0.5
        });
        fetch({{ this.url }}).then(function (r) { return r.json(); })
            .then(function (data) { {{ this.get_name() }}.addData(data); });
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, style: dict[str, Any]):
        super().__init__()
        self._name = "OutlineLayer"
        self.url = js_json(url)
        self.style = js_json(style)


def base_map(outlines: dict[str, str], osm: bool, lang: str) -> Any:
    """Return the constant part of the map: the two base layers and the outlines.

    ``outlines`` maps ``region`` and ``comuna`` to the URLs of their simplified GeoJSON.
    ``osm`` picks OpenStreetMap as the first base layer (when its tiles are reachable);
    otherwise the tile-free outlines come first, drawn as land on a sea-blue background.
    """
    m = folium.Map(
        location=CENTER,
        zoom_start=4,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.5,
    )
    # with tiles=None folium leaves the zoom limits to the tile layers; marker clustering
    # needs them on the map itself ("Map has no maxZoom specified")
    m.options.update(minZoom=3, maxZoom=18)
    m.fit_bounds(CHILE)
    _offline(m, ("leaflet",), ("leaflet",))
    m.get_root().header.add_child(
        Element(
            "<style>.leaflet-container{background:#dce8f2;font:13px/1.4 sans-serif}"
            ".iap-tip b{display:block}.iap-tip span{color:#555}</style>"
        )
    )
    offline = folium.FeatureGroup(
        name=tr("ui_base_outlines", lang=lang), overlay=False, show=not osm
    )
    land = {"fillColor": "#f3efe6", "fillOpacity": 1, "stroke": False}
    OutlineLayer(outlines["region"], land).add_to(offline)
    lines = {"color": "#c4bcaa", "weight": 0.6, "fill": False}
    OutlineLayer(outlines["comuna"], lines).add_to(offline)
    tiles = folium.TileLayer(
        "OpenStreetMap", name=tr("ui_base_osm", lang=lang), overlay=False, show=osm
    )
    if osm:
        tiles.add_to(m)
        offline.add_to(m)
    else:
        offline.add_to(m)
        tiles.add_to(m)
    borders = folium.FeatureGroup(name=tr("ui_layer_region_borders", lang=lang))
    border = {"color": "#7b7468", "weight": 1.2, "fill": False}
    OutlineLayer(outlines["region"], border).add_to(borders)
    borders.add_to(m)
    return m


# -- entries --------------------------------------------------------------------------------
def color_spec(field: str) -> FieldSpec:
    """The field a map may be coloured by (an entry field, or a derived one)."""
    return _DERIVED.get(field) or FIELDS_BY_NAME[field]


def _colors(values: pd.Series, field: str, lang: str) -> tuple[list[str], list[dict[str, str]]]:
    spec = color_spec(field)
    order = [c.code for c in CODE_LISTS[spec.code_list]] if spec.code_list else []
    seen = set(values.dropna().unique())
    present = [v for v in order if v in seen]
    table = {v: PALETTE[i] if i < len(PALETTE) else OTHER for i, v in enumerate(present)}
    table.update({v: c for v, c in FIXED_COLORS.get(field, {}).items() if v in table})
    legend = [
        {"code": v, "label": label(spec.code_list, v, lang) if spec.code_list else v, "color": c}
        for v, c in table.items()
    ]
    if values.isna().any():
        legend.append({"code": "", "label": tr("no_value", lang=lang), "color": OTHER})
    return values.map(table).fillna(OTHER).astype(object).tolist(), legend


def detail_max() -> int:
    """How many entries a view may hold before the map groups them (``DETAIL_MAX``, or the
    ``IAP_REGISTRY_MAP_DETAIL_MAX`` setting)."""
    text = os.environ.get("IAP_REGISTRY_MAP_DETAIL_MAX", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DETAIL_MAX


def map_columns(color_by: str) -> list[str]:
    """The fields ``entries_payload`` reads (with the geometry), for a narrow ``list``."""
    return list(dict.fromkeys([*_MAP_FIELDS, color_by]))


@dataclass(frozen=True)
class MapPayload:
    """What the map draws for one view: every entry (``points`` and ``shapes``, GeoJSON)
    or, above ``detail_max()`` entries, one circle per place (``groups``); and the legend."""

    legend: list[dict[str, str]]
    total: int
    points: dict[str, Any] | None = None
    shapes: dict[str, Any] | None = None
    groups: list[dict[str, Any]] | None = None

    @property
    def grouped(self) -> bool:
        return self.groups is not None

    def layer(self, lang: str) -> MacroElement:
        """The Leaflet layer that draws this payload."""
        if self.groups is not None:
            return GroupsLayer(self.groups)
        assert self.points is not None and self.shapes is not None
        return EntriesLayer(self.points, self.shapes, lang)


def entries_payload(
    frame: Any,
    color_by: str,
    lang: str,
    places: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> MapPayload:
    """Return what the map draws for ``frame`` (columns ``map_columns(color_by)`` at least).

    Up to ``limit`` entries (default ``detail_max()``): two GeoJSON FeatureCollections
    (points; lines and polygons) with the few properties the map uses: ``id``, ``n``
    (name), ``k`` (kind label), ``c`` (colour), ``a`` (true where the location is
    approximate); coordinates rounded to 5 decimals (about 1 m). Above it: one group per
    comuna (else region, else country) at the mean position of its entries, named from
    ``places`` (keys ``comuna:13101``, ``region:13``, ``country:AR``), coloured by its most
    frequent value of ``color_by``.
    """
    frame = frame[frame.geometry.notna()]
    limit = detail_max() if limit is None else limit
    colors, legend = _colors(frame[color_by], color_by, lang)
    if len(frame) > limit:
        groups = _groups(frame, color_by, colors, lang, places or {})
        if len(groups) > 1:
            return MapPayload(legend, len(frame), groups=groups)
    geoms = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, 5))
    kinds = [label("kind", k, lang) for k in frame["kind"]]
    approx = frame["location_precision"].isin(APPROXIMATE).to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    xs, ys = shapely.get_x(geoms), shapely.get_y(geoms)
    points: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    for i, (rid, name) in enumerate(zip(frame["id"], frame["name"], strict=True)):
        props = {"id": rid, "n": name, "k": kinds[i], "c": colors[i], "a": bool(approx[i])}
        if is_point[i]:
            geom: dict[str, Any] = {"type": "Point", "coordinates": [xs[i], ys[i]]}
            points.append({"type": "Feature", "geometry": geom, "properties": props})
        else:
            geom = shapely.geometry.mapping(geoms[i])
            shapes.append({"type": "Feature", "geometry": geom, "properties": props})
    return MapPayload(
        legend,
        len(frame),
        points={"type": "FeatureCollection", "features": points},
        shapes={"type": "FeatureCollection", "features": shapes},
    )


def _groups(
    frame: Any, color_by: str, colors: list[str], lang: str, places: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One group per place: key ``k``, name ``n``, summary ``s``, position ``x``/``y``,
    radius ``r``, colour ``c`` of the most frequent value (ties: the first by code)."""
    comuna, region = frame["comuna_code"], frame["region_code"]
    key = ("country:" + frame["country"].fillna("")).where(region.isna(), "region:" + region)
    key = key.where(comuna.isna(), "comuna:" + comuna)
    anchors = np.array(frame.geometry.values, dtype=object)  # a copy: frames are shared
    lines_or_areas = shapely.get_type_id(anchors) != 0
    anchors[lines_or_areas] = shapely.point_on_surface(anchors[lines_or_areas])
    place_of, place_keys = pd.factorize(key.to_numpy(), sort=True)
    value_of, values = pd.factorize(frame[color_by].fillna("").to_numpy(), sort=True)
    n_places = len(place_keys)
    sizes = np.bincount(place_of, minlength=n_places)
    xs = np.bincount(place_of, shapely.get_x(anchors), n_places) / sizes
    ys = np.bincount(place_of, shapely.get_y(anchors), n_places) / sizes
    table = np.bincount(place_of * len(values) + value_of, minlength=n_places * len(values))
    table = table.reshape(n_places, len(values))
    _, first = np.unique(value_of, return_index=True)
    color_of_value = np.asarray(colors, dtype=object)[first]
    code_list = color_spec(color_by).code_list
    biggest = int(sizes.max())
    out = []
    for i, place in enumerate(place_keys):
        ranked = np.argsort(-table[i], kind="stable")[:3]
        ranked = [j for j in ranked if table[i, j] > 0]
        n = int(sizes[i])
        summary = tr("ui_group_summary" if n > 1 else "ui_group_one", lang=lang, n=number(n, lang))
        parts = [
            f"{_value_label(code_list, str(values[j]), lang)} {number(int(table[i, j]), lang)}"
            for j in ranked
        ]
        out.append(
            {
                "k": str(place),
                "n": places.get(str(place), str(place).split(":", 1)[1]),
                "s": " · ".join([summary, *parts]),
                "x": round(float(xs[i]), 5),
                "y": round(float(ys[i]), 5),
                "r": round(5 + 17 * math.sqrt(n / biggest), 1),
                "c": color_of_value[ranked[0]],
            }
        )
    return out


def _value_label(code_list: str | None, value: str, lang: str) -> str:
    if not value:
        return tr("no_value", lang=lang)
    return label(code_list, value, lang) if code_list else value


def pick_group(
    groups: list[dict[str, Any]], lat: float, lng: float, tooltip: str | None
) -> dict[str, Any] | None:
    """Return the group a map click at ``lat, lng`` points to: among the groups named by
    the hovered ``tooltip`` (first line), else all, the nearest one."""
    if not groups:
        return None
    first = (tooltip or "").strip().splitlines()[0].strip() if (tooltip or "").strip() else ""
    named = [g for g in groups if g["n"] == first] or groups
    return min(named, key=lambda g: (g["x"] - lng) ** 2 + (g["y"] - lat) ** 2)


_TIP_JS = """function (title, text) {
    var box = document.createElement('div');
    box.className = 'iap-tip';
    var name = document.createElement('b');
    name.textContent = title;
    var detail = document.createElement('span');
    detail.textContent = text;
    box.appendChild(name);
    box.appendChild(detail);
    return box;
}"""  # a tooltip as DOM nodes filled with textContent: user text is never parsed as HTML


class EntriesLayer(JSCSSMixin, MacroElement):
    """Entries as one GeoJSON layer of canvas circle markers (clustered when many) and one
    of lines and polygons; tooltips are DOM nodes filled with ``textContent``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var tip = """
        + _TIP_JS
        + """;
            var approx = {{ this.approx_text }};
            var onEach = function (f, l) {
                var p = f.properties;
                l.bindTooltip(function () {
                    return tip(p.n, p.k + (p.a ? ' · ' + approx : ''));
                }, {sticky: true});
            };
            var points = L.geoJSON({{ this.points }}, {
                pointToLayer: function (f, ll) {
                    return L.circleMarker(ll, {
                        radius: f.properties.a ? 7 : 5, color: f.properties.a ? '#555' : '#222',
                        weight: 1, dashArray: f.properties.a ? '3 2' : null,
                        fillColor: f.properties.c, fillOpacity: f.properties.a ? 0.45 : 0.9
                    });
                },
                onEachFeature: onEach
            });
            var shapes = L.geoJSON({{ this.shapes }}, {
                style: function (f) {
                    return {color: f.properties.c, weight: 4, opacity: 0.9, fillOpacity: 0.35};
                },
                onEachFeature: onEach
            });
            var group = L.featureGroup([shapes]);
            {% if this.cluster %}
            var clusters = L.markerClusterGroup({
                chunkedLoading: true, disableClusteringAtZoom: 11,
                showCoverageOnHover: false, maxClusterRadius: 45
            });
            clusters.addLayer(points);
            group.addLayer(clusters);
            {% else %}
            group.addLayer(points);
            {% endif %}
            return group;
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, points: dict[str, Any], shapes: dict[str, Any], lang: str):
        super().__init__()
        self._name = "EntriesLayer"
        self.points = js_json(points)
        self.shapes = js_json(shapes)
        self.approx_text = js_json(tr("ui_approximate", lang=lang))
        self.cluster = len(points["features"]) > CLUSTER_ABOVE
        if self.cluster:
            _offline(self, ("markercluster",), ("markercluster", "markercluster_default"))
        else:
            self.default_js, self.default_css = [], []


class GroupsLayer(MacroElement):
    """One circle per group (place) of entries, sized by its count and coloured by its most
    frequent value; the tooltip (a DOM node filled with ``textContent``) names the place and
    sums it up."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var tip = """
        + _TIP_JS
        + """;
            var group = L.featureGroup();
            {{ this.groups }}.forEach(function (g) {
                var circle = L.circleMarker([g.y, g.x], {
                    radius: g.r, color: '#333', weight: 1, fillColor: g.c, fillOpacity: 0.75
                });
                circle.bindTooltip(function () { return tip(g.n, g.s); }, {sticky: true});
                circle.iapGroup = g.k;
                group.addLayer(circle);
            });
            return group;
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: list[dict[str, Any]]):
        super().__init__()
        self._name = "GroupsLayer"
        self.groups = js_json(groups)


# -- regional productivity ------------------------------------------------------------------
def choropleth_classes(values: list[float], diverging: bool) -> list[float]:
    """Return the 4 inner class breaks for 5 classes (quantiles; symmetric around 0 for
    changes)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return []
    if diverging:
        top = max(abs(v) for v in finite) or 1.0
        return [-top * 0.5, -top * 0.1, top * 0.1, top * 0.5]
    return [float(q) for q in np.quantile(finite, [0.2, 0.4, 0.6, 0.8])]


class ChoroplethLayer(MacroElement):
    """Regions (fetched from ``url``) filled by a value; only the per-region colour, name and
    value text are embedded. Tooltips are filled with ``textContent``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var byCode = {{ this.data }};
            var tip = """
        + _TIP_JS
        + """;
            var layer = L.geoJSON(null, {
                filter: function (f) { return byCode[f.properties.region_code] !== undefined; },
                style: function (f) {
                    return {fillColor: byCode[f.properties.region_code].c, fillOpacity: 0.75,
                            color: '#555', weight: 0.8};
                },
                onEachFeature: function (f, l) {
                    var p = byCode[f.properties.region_code];
                    l.bindTooltip(function () { return tip(p.n, p.v); }, {sticky: true});
                }
            });
            fetch({{ this.url }}).then(function (r) { return r.json(); })
                .then(function (data) { layer.addData(data); });
            return layer;
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        names: dict[str, str],
        values: dict[str, float],
        texts: dict[str, str],
        diverging: bool,
    ):
        super().__init__()
        self._name = "ChoroplethLayer"
        breaks = choropleth_classes(list(values.values()), diverging)
        palette = DIVERGING if diverging else SEQUENTIAL
        by_code = {}
        for code, name in names.items():
            value = values.get(code)
            if value is None:
                color = "#e0e0e0"
            else:
                color = palette[int(np.searchsorted(breaks, value, side="right"))]
            by_code[code] = {"n": name, "v": texts.get(code, "–"), "c": color}
        self.url = js_json(url)
        self.data = js_json(by_code)
        self.breaks = breaks
        self.palette = palette


# -- clicks ---------------------------------------------------------------------------------
def pick_entries(
    frame: Any, lat: float, lng: float, tooltip: str | None, tolerance: float = 0.05
) -> list[str]:
    """Return the ids of the entries a map click at ``lat, lng`` points to.

    The nearest entries within ``tolerance`` degrees; where ``tooltip`` (the hovered
    entry's name, first line) matches names among them, those; entries at the very same
    place (e.g. several located only to one comuna) are all returned.
    """
    if frame is None or len(frame) == 0:
        return []
    geoms = frame.geometry.values
    dist = shapely.distance(geoms, shapely.Point(lng, lat))
    near = np.flatnonzero(np.nan_to_num(dist, nan=np.inf) <= tolerance)
    if len(near) == 0:
        return []
    if tooltip:
        first = tooltip.strip().splitlines()[0].strip() if tooltip.strip() else ""
        named = [i for i in near if str(frame["name"].iloc[i]).strip() == first]
        if named:
            near = np.array(named)
    best = dist[near].min()
    return [str(frame["id"].iloc[i]) for i in near if dist[i] <= best + 1e-9]
