"""The map: a constant base (tile-free outlines or OpenStreetMap) and data layers built here.

User text never reaches the page as HTML or JavaScript source: entries travel as JSON data
(``js_json`` escapes what could close a ``<script>``), and tooltips are DOM nodes filled with
``textContent``. Leaflet and its plugins are loaded from the app's own static folder.
"""

from __future__ import annotations

import json
import math
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from registry.i18n import tr
from registry.schema.codes import CODE_LISTS, label
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui.assets import CSS, JS

__all__ = [
    "APPROXIMATE",
    "CLUSTER_ABOVE",
    "COLOR_FIELDS",
    "ChoroplethLayer",
    "EntriesLayer",
    "OutlineLayer",
    "base_map",
    "choropleth_classes",
    "entries_payload",
    "js_json",
    "pick_entries",
]

CENTER = (-37.5, -71.0)
CHILE = [[-56.0, -76.0], [-17.5, -66.4]]  # the first view: mainland Chile
CLUSTER_ABOVE = 2_000  # more points than this are clustered at low zoom
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
)
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
def _colors(values: pd.Series, field: str, lang: str) -> tuple[list[str], list[dict[str, str]]]:
    spec = FIELDS_BY_NAME[field]
    order = [c.code for c in CODE_LISTS[spec.code_list]] if spec.code_list else []
    present = [v for v in order if v in set(values.dropna())]
    table = {v: PALETTE[i] if i < len(PALETTE) else OTHER for i, v in enumerate(present)}
    legend = [
        {"code": v, "label": label(spec.code_list, v, lang) if spec.code_list else v, "color": c}
        for v, c in table.items()
    ]
    if values.isna().any():
        legend.append({"code": "", "label": tr("no_value", lang=lang), "color": OTHER})
    return [table.get(v, OTHER) for v in values], legend


def entries_payload(
    frame: Any, color_by: str, lang: str
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    """Return the entries as two GeoJSON FeatureCollections (points; lines and polygons)
    with the few properties the map uses, and the legend of ``color_by``.

    Coordinates are rounded to 5 decimals (about 1 m). Properties: ``id``, ``n`` (name),
    ``k`` (kind label), ``c`` (colour), ``a`` (true where the location is approximate).
    """
    frame = frame[frame.geometry.notna()]
    colors, legend = _colors(frame[color_by], color_by, lang)
    geoms = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, 5))
    kinds = [label("kind", k, lang) for k in frame["kind"]]
    approx = frame["location_precision"].isin(APPROXIMATE).to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    points: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    for i, (rid, name) in enumerate(zip(frame["id"], frame["name"], strict=True)):
        props = {"id": rid, "n": name, "k": kinds[i], "c": colors[i], "a": bool(approx[i])}
        if is_point[i]:
            geom: dict[str, Any] = {
                "type": "Point",
                "coordinates": [geoms[i].x, geoms[i].y],
            }
            points.append({"type": "Feature", "geometry": geom, "properties": props})
        else:
            geom = shapely.geometry.mapping(geoms[i])
            shapes.append({"type": "Feature", "geometry": geom, "properties": props})
    return (
        {"type": "FeatureCollection", "features": points},
        {"type": "FeatureCollection", "features": shapes},
        legend,
    )


_TOOLTIP_JS = """function(feature, approxText) {
    return function () {
        var box = document.createElement('div');
        box.className = 'iap-tip';
        var name = document.createElement('b');
        name.textContent = feature.properties.n;
        var kind = document.createElement('span');
        kind.textContent = feature.properties.k + (feature.properties.a ? ' · ' + approxText : '');
        box.appendChild(name);
        box.appendChild(kind);
        return box;
    };
}"""


class EntriesLayer(JSCSSMixin, MacroElement):
    """Entries as one GeoJSON layer of canvas circle markers (clustered when many) and one
    of lines and polygons; tooltips are DOM nodes filled with ``textContent``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var tip = """
        + _TOOLTIP_JS
        + """;
            var approx = {{ this.approx_text }};
            var onEach = function (f, l) { l.bindTooltip(tip(f, approx), {sticky: true}); };
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
            var layer = L.geoJSON(null, {
                filter: function (f) { return byCode[f.properties.region_code] !== undefined; },
                style: function (f) {
                    return {fillColor: byCode[f.properties.region_code].c, fillOpacity: 0.75,
                            color: '#555', weight: 0.8};
                },
                onEachFeature: function (f, l) {
                    var p = byCode[f.properties.region_code];
                    l.bindTooltip(function () {
                        var box = document.createElement('div');
                        box.className = 'iap-tip';
                        var name = document.createElement('b');
                        name.textContent = p.n;
                        var value = document.createElement('span');
                        value.textContent = p.v;
                        box.appendChild(name); box.appendChild(value);
                        return box;
                    }, {sticky: true});
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
