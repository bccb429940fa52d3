"""The map: a constant base (tile-free outlines, or an operator's tile server) and the data
layers, chosen here and drawn by ``registry/ui/js/iapmap.js``.

Python passes data only: every layer is one call such as ``IAP.entries(points, shapes, ...)``
with JSON arguments (``js_json`` escapes what could close a ``<script>``). The script puts
each layer in a pane of fixed z-index, so the order on screen never depends on which layer
loads first, and fills tooltips and labels with ``textContent``. Leaflet, its clustering
plugin and our script are loaded by the base map itself, from the app's static folder, in
every render path (a view switching from groups to clustered entries needs the plugin).
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import Element, MacroElement
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
    "FitLayer",
    "FocusLayer",
    "GroupsLayer",
    "MapPayload",
    "BaseTiles",
    "LabelsLayer",
    "OutlineLayer",
    "SelectionLayer",
    "base_map",
    "choropleth_classes",
    "detail_max",
    "entries_payload",
    "fit_bounds",
    "region_view",
    "js_json",
    "map_columns",
    "pick_entries",
    "pick_group",
    "place_focus",
    "tiles_setting",
]

CENTER = (-37.5, -71.0)
CHILE = [[-56.0, -76.0], [-17.5, -66.4]]  # the first view: mainland Chile
COMUNA_LINES_FROM = 7  # zoom from which Chile's comuna lines are drawn
ADMIN1_LINES_FROM = 4  # zoom from which the other countries' admin-1 lines are drawn
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


def fit_bounds(geoms: Any) -> tuple[list[list[float]] | None, int]:
    """The view that fits ``geoms`` (``[[south, west], [north, east]]``) and how many of them
    it leaves out.

    All of them, unless a few lie far from the rest: Valparaíso's entries on Rapa Nui and
    Juan Fernández would zoom the region out to the Pacific, where the mainland is a speck.
    An entry is far when it is more than ``max(8 × 1.4826 × MAD, 2°)`` from the median in
    longitude or latitude; they are left out of the fit only if they are at most 10 % of the
    entries and leaving them out makes the view at least 4 times smaller in area.

    Examples
    --------
    >>> pts = [shapely.Point(-71.6 + i / 100, -33.0 - i / 100) for i in range(40)]
    >>> fit_bounds(pts + [shapely.Point(-109.4, -27.1)])[1]
    1
    >>> fit_bounds(pts[:2])[1]
    0
    """
    values = np.asarray(geoms, dtype=object)
    if len(values) == 0:
        return None, 0
    points = shapely.point_on_surface(values)
    x, y = shapely.get_x(points), shapely.get_y(points)
    keep = np.ones(len(values), dtype=bool)
    for axis in (x, y):
        median = np.median(axis)
        spread = max(8 * 1.4826 * float(np.median(np.abs(axis - median))), 2.0)
        keep &= np.abs(axis - median) <= spread

    def box(mask: Any) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in shapely.total_bounds(values[mask]))  # type: ignore[return-value]

    w, s, e, n = box(np.ones(len(values), dtype=bool))
    left_out = int((~keep).sum())
    if 0 < left_out <= 0.1 * len(values):
        kw, ks, ke, kn = box(keep)
        if (max(ke - kw, 0.05) * max(kn - ks, 0.05)) * 4 <= (e - w) * (n - s):
            w, s, e, n = kw, ks, ke, kn
        else:
            left_out = 0
    else:
        left_out = 0
    return [[round(s, 4), round(w, 4)], [round(n, 4), round(e, 4)]], left_out


def country_bounds(countries: tuple[str, ...], units: Any = None) -> list[list[float]] | None:
    """The view of ``countries`` (``[[south, west], [north, east]]``): the land of their
    admin-1 units without far islands. A part counts if it is at least 5 % of the
    country's largest part or lies within 2° of it, so Tierra del Fuego stays with
    Argentina while Galápagos, San Andrés and Rapa Nui do not zoom the view out to sea.
    Chile is its first view (mainland Chile). None where no boundaries are installed.
    ``units``: a registry's admin-1 units (``Registry.boundaries("admin1")``; default: the
    bundled ones).

    Examples
    --------
    >>> country_bounds(("CL",)) == CHILE
    True
    >>> (south, west), (north, east) = country_bounds(("CO",))
    >>> -80 < west < -78 and -67.5 < east < -66 and -4.5 < south < -4 and 12 < north < 13
    True
    """
    from registry.geo.boundaries import admin1

    if not countries:
        return None
    if tuple(countries) == ("CL",):
        return CHILE
    units = admin1() if units is None else units
    return _view_of([units.geometry.values[(units["country"] == c).to_numpy()] for c in countries])


def region_view(
    codes: tuple[str, ...], geoms: Any, units: Any = None
) -> tuple[list[list[float]] | None, int]:
    """The view of the admin-1 units ``codes`` (their land without far islands, as in
    ``country_bounds``) and how many of ``geoms`` (the entries drawn) lie outside it;
    ``units`` as in ``country_bounds``.

    Examples
    --------
    >>> (south, west), (north, east) = region_view(("05",), [])[0]  # Valparaíso's mainland
    >>> -72.5 < west < -71 and -70.5 < east < -69.5 and -34 < south < -33 and -32.5 < north < -31
    True
    >>> region_view(("05",), [shapely.Point(-71.6, -33.0), shapely.Point(-109.35, -27.12)])[1]
    1
    >>> region_view(("XX-NONE",), [shapely.Point(-71.6, -33.0)])[0] is None
    True
    """
    from registry.geo.boundaries import admin1

    units = admin1() if units is None else units
    bounds = _view_of(
        [units.geometry.values[(units["region_code"] == c).to_numpy()] for c in codes]
    )
    values = np.asarray(geoms, dtype=object)
    if bounds is None or len(values) == 0:
        return bounds, 0
    (south, west), (north, east) = bounds
    box = shapely.box(west, south, east, north)
    return bounds, int((~shapely.intersects(values, box)).sum())


def _view_of(groups: list[Any]) -> list[list[float]] | None:
    """The box around each group of polygons' land: a part counts if it is at least 5 % of
    the group's largest part or lies within 2° of it."""
    boxes = []
    for geoms in groups:
        if len(geoms) == 0:
            continue
        parts = shapely.get_parts(geoms)
        area = shapely.area(parts)
        main = parts[int(np.argmax(area))]
        near = shapely.distance(parts, main) <= 2.0
        keep = parts[(area >= 0.05 * area.max()) | near]
        boxes.append(shapely.total_bounds(keep))
    if not boxes:
        return None
    w, s, e, n = np.min(boxes, axis=0)[0], np.min(boxes, axis=0)[1], *np.max(boxes, axis=0)[2:]
    return [[round(float(s), 4), round(float(w), 4)], [round(float(n), 4), round(float(e), 4)]]


_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")  # "{{", "{%", "{#": only ever inside strings


def js_json(value: Any) -> str:
    """Return ``value`` as JSON that is safe inside an HTML ``<script>`` element and inert
    to Jinja (folium and streamlit-folium pass map scripts through Jinja and regular
    expressions looking for ``{{ ... }}``).

    Encoded by orjson: numpy numbers and arrays are written as numbers and lists, and a
    number that is not finite as ``null``.

    Examples
    --------
    >>> js_json({"n": "</script><img src=x onerror=alert(1)>"})
    '{"n":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    >>> js_json(["{{ 7*7 }}", {"a": "{%"}, np.float64(0.5), float("nan")])
    '["\\\\u007b{ 7*7 }}",{"a":"\\\\u007b%"},0.5,null]'
    """
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # a structural "{" is followed by '"' or "}", so this touches string contents only
    return _TEMPLATE_OPEN.sub(r"\\u007b", text)


class _Encoded(str):
    """Text ``js_json`` made already: passed to a layer as it is."""


class _Script(Element):
    """Finished script text, added to the page as it is (never compiled as a template)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _Call(MacroElement):
    """A layer made by one ``IAP.<function>(arguments...)`` call of ``iapmap.js`` and added
    to its parent (a feature group)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = IAP.{{ this.function }}({{ this.arguments }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, *arguments: Any):
        super().__init__()
        self._name = function.capitalize() + "Layer"
        self.function = function
        self.arguments = ", ".join(a if isinstance(a, _Encoded) else js_json(a) for a in arguments)

    def render(self, **kwargs: Any) -> None:
        """Add the script to the page as text. ``MacroElement.render`` would wrap it in
        ``Element(script)``, that is compile it, data and all, as a Jinja template and render
        it again with the page: user text such as ``{{ 7*7 }}`` would be evaluated on the
        server and ``{%`` would break the map; compiling hundreds of kilobytes of entries
        also cost a tenth of a second per map."""
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_Script(script(self, kwargs)), name=self.get_name())


class OutlineLayer(_Call):
    """A GeoJSON file the browser fetches from the app (not embedded in the map script),
    drawn in one of the base panes (``land``, ``outlines``, ``borders``), from zoom
    ``min_zoom`` on if given; fetched only once the other layers are drawn if ``deferred``
    (what a first view does not need, so that it never delays the land under the entries)."""

    def __init__(
        self,
        url: str,
        style: dict[str, Any],
        pane: str,
        min_zoom: int | None = None,
        deferred: bool = False,
    ):
        super().__init__("outline", url, style, pane, min_zoom, deferred)


class LabelsLayer(_Call):
    """Place names (``[name, lon, lat, min_zoom]`` rows, from the gazetteer, never user
    data) shown by zoom level as text."""

    def __init__(self, places: list[list[Any]]):
        super().__init__("labels", places)


class SelectionLayer(_Call):
    """A ring around each selected entry (``[lon, lat]`` pairs), above every other layer."""

    def __init__(self, points: list[list[float]]):
        super().__init__("selection", points)


class FitLayer(_Call):
    """Sets the view once per ``key`` (the filters): the URL's view on a fresh page, else
    ``bounds`` (``[[south, west], [north, east]]``, or None to leave the view alone)."""

    def __init__(self, key: str, bounds: list[list[float]] | None):
        super().__init__("fit", key, bounds)


class FocusLayer(_Call):
    """Centres the map on ``point`` (``[lat, lng]``) once per ``key`` (an entry's id, a
    place found), at ``zoom`` (default: at least 12)."""

    def __init__(self, key: str, point: list[float], zoom: float | None = None):
        super().__init__("focus", key, point, zoom)


class _Panes(MacroElement):
    """Create the map's panes (``IAP.panes``) before any layer is added."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        IAP.panes({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


@dataclass(frozen=True)
class BaseTiles:
    """An operator's tile server: ``url`` template and ``attribution`` (settings
    ``IAP_REGISTRY_TILES`` and ``IAP_REGISTRY_TILES_ATTRIBUTION``)."""

    url: str
    attribution: str


def tiles_setting() -> BaseTiles | None:
    """The tile server the operator configured, or None (the offline base only). No host is
    ever probed: the browser either reaches the configured server or shows the offline base
    beneath."""
    url = os.environ.get("IAP_REGISTRY_TILES", "").strip()
    if not url:
        return None
    attribution = os.environ.get("IAP_REGISTRY_TILES_ATTRIBUTION", "").strip() or url.split("/")[2]
    return BaseTiles(url, attribution)


def place_focus(place: Any) -> FocusLayer:
    """The layer that flies the map to a ``registry.geo.places.Place`` (once per place)."""
    key = f"place:{place.name}:{place.lon:.4f}:{place.lat:.4f}"
    return FocusLayer(key, [place.lat, place.lon], place.zoom)


def base_map(urls: Mapping[str, str], lang: str, tiles: BaseTiles | None = None) -> Any:
    """Return the constant part of the map: panes, the offline base (land, comuna lines,
    place names), region borders and, if configured, the operator's tiles (then the first
    of two base layers; the offline base stays one click away in the layer control).

    ``urls`` holds the app's URLs of ``region`` and ``comuna`` outlines and, optionally, the
    other countries' ``admin1`` units and ``countries`` (GeoJSON), ``places`` (label rows,
    JSON) and ``script`` (``iapmap.js``).
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
    m.default_js = [
        ("leaflet", JS["leaflet"]),
        ("markercluster", JS["markercluster"]),
        ("iapmap", urls["script"]),
    ]
    m.default_css = [
        (name, CSS[name]) for name in ("leaflet", "markercluster", "markercluster_default")
    ]
    m.get_root().header.add_child(
        Element(
            "<style>.leaflet-container{background:#dce8f2;font:13px/1.4 sans-serif}"
            ".iap-tip b{display:block}.iap-tip span{color:#555}"
            ".iap-label{white-space:nowrap;font:11px/1.2 sans-serif;color:#4a4438;"
            "text-shadow:0 0 2px #fff,0 0 2px #fff;transform:translate(-50%,-50%)}</style>"
        )
    )
    _Panes().add_to(m)
    # the only base unless tiles are configured; then one of two base layers to choose from
    offline = folium.FeatureGroup(
        name=tr("ui_base_outlines", lang=lang), overlay=False, control=tiles is not None
    )
    land = {"fillColor": "#f3efe6", "fillOpacity": 1, "stroke": False}
    OutlineLayer(urls["region"], land, "land").add_to(offline)
    # fetched after Chile's land: the rest of Latin America (land, with its departments',
    # states' and provinces' lines as thin as comunas, from zoom 4: one layer, one parse)
    # and Chile's comuna lines, drawn from zoom 7 (a region in view)
    if "admin1" in urls:
        style = {**land, "stroke": True, "color": "#c4bcaa", "weight": 0.8}
        OutlineLayer(urls["admin1"], style, "land", ADMIN1_LINES_FROM, True).add_to(offline)
    lines = {"color": "#c4bcaa", "weight": 0.6, "fill": False}
    OutlineLayer(urls["comuna"], lines, "outlines", COMUNA_LINES_FROM, True).add_to(offline)
    offline.add_to(m)
    if tiles is not None:
        offline.show = False
        folium.TileLayer(
            tiles.url, attr=tiles.attribution, name=tr("ui_base_tiles", lang=lang), overlay=False
        ).add_to(m)
    names = folium.FeatureGroup(name=tr("ui_layer_place_names", lang=lang))
    _Call("labelsFrom", urls["places"]).add_to(names)
    names.add_to(m)
    borders = folium.FeatureGroup(name=tr("ui_layer_region_borders", lang=lang))
    border = {"color": "#7b7468", "weight": 1.2, "fill": False}
    OutlineLayer(urls["region"], border, "borders").add_to(borders)
    if "countries" in urls:  # the other countries' borders, as Chile's region borders
        OutlineLayer(urls["countries"], border, "borders", deferred=True).add_to(borders)
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
    """What the map draws for one view: every entry (``points`` as columns, ``shapes`` as
    GeoJSON; see ``entries_payload``) or, above ``detail_max()`` entries, one circle per place (``groups``); and the legend."""

    legend: list[dict[str, str]]
    total: int
    points: dict[str, Any] | None = None
    shapes: dict[str, Any] | None = None
    groups: list[dict[str, Any]] | None = None

    @property
    def grouped(self) -> bool:
        return self.groups is not None

    @functools.cached_property
    def _encoded(self) -> tuple[_Encoded, ...]:
        """The payload as script text, made once per payload (payloads are cached and
        shared across sessions; a region's entries take tens of milliseconds to encode)."""
        parts = (self.groups,) if self.groups is not None else (self.points, self.shapes)
        return tuple(_Encoded(js_json(p)) for p in parts)

    def layer(self, lang: str) -> MacroElement:
        """The Leaflet layer that draws this payload."""
        if self.groups is not None:
            return GroupsLayer(*self._encoded)
        assert self.points is not None
        return EntriesLayer(*self._encoded, lang, cluster=len(self.points["id"]) > CLUSTER_ABOVE)


def entries_payload(
    frame: Any,
    color_by: str,
    lang: str,
    places: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> MapPayload:
    """Return what the map draws for ``frame`` (columns ``map_columns(color_by)`` at least).

    Up to ``limit`` entries (default ``detail_max()``): the points as columns (``id``,
    ``n`` name, ``x``, ``y``, ``ki`` index into the kind labels ``k``, ``ci`` index into the
    colours ``c``, ``a`` 1 where the location is approximate: about a third of the size of
    GeoJSON, which the browser receives, parses and keeps for every entry) and the lines
    and polygons as a GeoJSON FeatureCollection with properties ``id``, ``n``, ``k``, ``c``,
    ``a``; coordinates rounded to 5 decimals (about 1 m). Above it: one group per
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
    kinds = np.array([label("kind", k, lang) for k in frame["kind"]], dtype=object)
    approx = frame["location_precision"].isin(APPROXIMATE).to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    ids, names = frame["id"].to_numpy(), frame["name"].to_numpy()
    color_array = np.asarray(colors, dtype=object)
    kind_of, kind_labels = pd.factorize(kinds[is_point])
    color_of, color_values = pd.factorize(color_array[is_point])
    points = {
        "id": ids[is_point].tolist(),
        "n": names[is_point].tolist(),
        "x": shapely.get_x(geoms[is_point]).tolist(),
        "y": shapely.get_y(geoms[is_point]).tolist(),
        "k": kind_labels.tolist(),
        "ki": kind_of.tolist(),
        "c": color_values.tolist(),
        "ci": color_of.tolist(),
        "a": approx[is_point].astype(int).tolist(),
    }
    shapes = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geoms[i]),
            "properties": {
                "id": ids[i],
                "n": names[i],
                "k": kinds[i],
                "c": colors[i],
                "a": bool(approx[i]),
            },
        }
        for i in np.flatnonzero(~is_point)
    ]
    return MapPayload(
        legend,
        len(frame),
        points=points,
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


class EntriesLayer(_Call):
    """Entries as one GeoJSON layer of canvas circle markers (clustered when many) and one
    of lines and polygons (``IAP.entries``). ``points`` and ``shapes`` are as
    ``entries_payload`` makes them, or already script text with ``cluster`` given."""

    def __init__(self, points: Any, shapes: Any, lang: str, cluster: bool | None = None):
        self.cluster = len(points["id"]) > CLUSTER_ABOVE if cluster is None else cluster
        super().__init__("entries", points, shapes, tr("ui_approximate", lang=lang), self.cluster)


class GroupsLayer(_Call):
    """One circle per group (place) of entries, sized by its count and coloured by its most
    frequent value; the tooltip names the place and sums it up (``IAP.groups``)."""

    def __init__(self, groups: list[dict[str, Any]]):
        super().__init__("groups", groups)


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


class ChoroplethLayer(_Call):
    """Regions (fetched from ``url``) filled by a value; only the per-region colour, name and
    value text are embedded (``IAP.choropleth``)."""

    def __init__(
        self,
        url: str,
        names: dict[str, str],
        values: dict[str, float],
        texts: dict[str, str],
        diverging: bool,
    ):
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
        super().__init__("choropleth", url, by_code)
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
