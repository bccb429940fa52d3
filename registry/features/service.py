"""OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0), read-only, framework-free.

``FeatureService`` answers each request with a plain dict; ``registry.features.http`` only
adapts it to HTTP. It reads through ``registry.api`` as a visitor, so it serves published
entries and public fields only, from either store. Collections: ``initiatives`` (IAPs),
``barrios`` (barrios comerciales) and ``regions`` (Chile's regions with their latest annual
indicator values). Output is RFC 7946 GeoJSON: WGS84 lon/lat, 6 decimals,
counter-clockwise exterior rings.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import shapely

from registry.api import Registry
from registry.auth import VISITOR
from registry.io.export import public_frame
from registry.schema.codes import code_codes
from registry.store import FILTER_PARAMS, Filters

__all__ = [
    "COLLECTIONS",
    "CONFORMANCE",
    "ENTRY_FILTERS",
    "MONITORING_FILTERS",
    "MAX_LIMIT",
    "ApiError",
    "FeatureService",
]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
GEOJSON = "application/geo+json"
JSON = "application/json"

# query parameter -> (Filters field, code list or None for region/comuna codes): the app's URL
# parameters, but the kind (each kind is a collection of its own)
ENTRY_FILTERS: dict[str, tuple[str, str | None]] = {
    param: (field, code_list)
    for field, (param, code_list) in FILTER_PARAMS.items()
    if field != "kind"
}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    kind: str | None  # the entries' kind; None for the others
    source: str = "entries"  # "entries", "regions", "admin1" or "monitoring"


COLLECTIONS = {
    c.id: c
    for c in (
        Collection(
            "initiatives",
            "Iniciativas de articulación productiva / Productive-articulation initiatives",
            "Published clusters, business networks, value chains and territorial projects.",
            "iap",
        ),
        Collection(
            "barrios",
            "Barrios comerciales",
            "Published commercial streets of SERCOTEC's Fortalecimiento de Barrios "
            "Comerciales programme (points, street lines or areas).",
            "barrio_comercial",
        ),
        Collection(
            "regions",
            "Regiones de Chile / Chile's regions",
            "Region outlines with the latest annual value (and its year) of each regional "
            "indicator series: GDP, employment, labour productivity.",
            None,
            "regions",
        ),
        Collection(
            "admin1",
            "Regiones, departamentos y estados / First-level administrative units",
            "The first-level units of 27 Latin American countries, as the registry codes "
            "entries' region_code: Chile's regions by CUT code (DPA 2023), the others by "
            "ISO 3166-2 code (Natural Earth 5.1, simplified), with their country, type and "
            "source.",
            None,
            "admin1",
        ),
        Collection(
            "indicator-values",
            "Valores de indicadores de seguimiento / Monitoring indicator values",
            "One feature per value that a published initiative or barrio reported for one of "
            "its monitoring indicators and one period (YYYY or YYYY-Qn), at the entry's "
            "location, with the indicator's unit, baseline and target and the value's "
            "source. Filter with initiative=<entry id> or indicator=<catalogue code>.",
            None,
            "monitoring",
        ),
    )
}
# query parameters of the indicator-values collection
MONITORING_FILTERS = ("initiative", "indicator")


class ApiError(Exception):
    """An HTTP error with an OGC exception body."""

    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "description": self.description}


@dataclass(frozen=True)
class Response:
    status: int
    media_type: str
    body: dict[str, Any]


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media}
    if title:
        out["title"] = title
    return out


def _plain(value: Any) -> Any:
    """A JSON value from a frame cell (NaN and NA become null, numpy scalars Python ones)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _geometry(geom: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    oriented = shapely.orient_polygons(geom, exterior_cw=False)  # RFC 7946: CCW exteriors
    rounded = shapely.set_precision(oriented, 1e-6, mode="pointwise")
    return dict(shapely.geometry.mapping(rounded))


class FeatureService:
    """The OGC API of one registry. ``base`` in each call is the service's root URL."""

    def __init__(self, registry: Registry, title: str = "iap-registry"):
        self.registry = registry
        self.title = title
        self._frames: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    # -- reads, cached per data version ------------------------------------------------
    def _entries(self, collection: Collection, filters: Filters) -> Any:
        key = (self.registry.data_version(), collection.id, filters)
        frame = self._frames.get(key)
        if frame is None:
            wanted = replace(filters, kind=(str(collection.kind),))
            # entries known only to a country without boundaries here have no geometry:
            # they are served too, with a null geometry (RFC 7946, 3.2)
            frame = public_frame(self.registry.list(wanted, viewer=VISITOR))
            self._frames[key] = frame
            while len(self._frames) > 16:
                self._frames.popitem(last=False)
        return frame

    def _regions(self) -> Any:
        key = (self.registry.data_version(), "regions")
        frame = self._frames.get(key)
        if frame is None:
            frame = self.registry.boundaries("region").copy()
            frame = frame[frame["region_code"] != "00"].reset_index(drop=True)
            table = self.registry.indicators()
            annual = table[table["period"].fillna("").isin(("", "annual_average"))]
            annual = annual[annual["year"].notna()].sort_values("year")
            latest = annual.groupby(["region_code", "indicator"]).last().reset_index()
            for name, rows in latest.groupby("indicator"):
                by_region = rows.set_index("region_code")
                frame[str(name)] = frame["region_code"].map(by_region["value"])
                frame[f"{name}_year"] = frame["region_code"].map(by_region["year"]).astype("Int64")
            frame["id"] = frame["region_code"]
            self._frames[key] = frame
        return frame

    def _admin1(self) -> Any:
        key = (self.registry.data_version(), "admin1")
        frame = self._frames.get(key)
        if frame is None:
            frame = self.registry.boundaries("admin1").copy()
            frame["id"] = frame["region_code"]
            self._frames[key] = frame
        return frame

    def _monitoring(self) -> Any:
        key = (self.registry.data_version(), "monitoring")
        frame = self._frames.get(key)
        if frame is None:
            frame = self.registry.monitoring_features(viewer=VISITOR)
            self._frames[key] = frame
        return frame

    def _frame(self, collection: Collection, filters: Filters) -> Any:
        if collection.source == "regions":
            return self._regions()
        if collection.source == "admin1":
            return self._admin1()
        if collection.source == "monitoring":
            return self._monitoring()
        return self._entries(collection, filters)

    # -- resources ------------------------------------------------------------------------
    def landing(self, base: str) -> Response:
        return Response(
            200,
            JSON,
            {
                "title": self.title,
                "description": "Registro de iniciativas de articulación productiva (IAP) y "
                "barrios comerciales: OGC API - Features, solo lectura, entradas publicadas.",
                "links": [
                    _link(f"{base}/", "self", JSON, "this document"),
                    _link(
                        f"{base}/api",
                        "service-desc",
                        "application/vnd.oai.openapi+json;version=3.0",
                        "the API definition",
                    ),
                    _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
                    _link(f"{base}/collections", "data", JSON, "the collections"),
                ],
            },
        )

    def conformance(self) -> Response:
        return Response(200, JSON, {"conformsTo": CONFORMANCE})

    def _collection_body(self, collection: Collection, base: str) -> dict[str, Any]:
        frame = self._frame(collection, Filters())
        located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        if len(located):  # features without a geometry have no extent
            x0, y0, x1, y1 = (float(v) for v in located.total_bounds)
            bbox = [round(x0, 6), round(y0, 6), round(x1, 6), round(y1, 6)]
        else:
            bbox = [-180.0, -90.0, 180.0, 90.0]
        url = f"{base}/collections/{collection.id}"
        return {
            "id": collection.id,
            "title": collection.title,
            "description": collection.description,
            "itemType": "feature",
            "crs": [CRS84],
            "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
            "links": [
                _link(url, "self", JSON),
                _link(f"{url}/items", "items", GEOJSON, "the features"),
            ],
        }

    def collections(self, base: str) -> Response:
        return Response(
            200,
            JSON,
            {
                "links": [_link(f"{base}/collections", "self", JSON)],
                "collections": [self._collection_body(c, base) for c in COLLECTIONS.values()],
            },
        )

    def collection(self, collection_id: str, base: str) -> Response:
        return Response(200, JSON, self._collection_body(_collection(collection_id), base))

    def items(self, collection_id: str, params: Mapping[str, str], base: str) -> Response:
        """One page of a collection's features (``bbox``, ``limit``, ``offset`` and the
        property filters of ``ENTRY_FILTERS``)."""
        collection = _collection(collection_id)
        allowed = {"bbox", "limit", "offset", "f"}
        if collection.source == "entries":
            allowed |= set(ENTRY_FILTERS)
        if collection.source == "monitoring":
            allowed |= set(MONITORING_FILTERS)
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ApiError(400, "InvalidParameterValue", f"unknown parameter(s): {unknown}")
        _format(params)
        limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _int(params, "offset", 0, 0, None)
        filters = _filters(params) if collection.source == "entries" else Filters()
        frame = self._frame(collection, filters)
        if collection.source == "monitoring":
            frame = _monitoring_filter(frame, params)
        if "bbox" in params:
            x0, y0, x1, y1 = _bbox(params["bbox"])
            box = shapely.box(x0, y0, x1, y1)
            frame = frame[shapely.intersects(frame.geometry.values, box)]
        matched = len(frame)
        page = frame.iloc[offset : offset + limit]
        url = f"{base}/collections/{collection.id}/items"
        query = {k: v for k, v in params.items() if k not in ("offset", "f")}
        links = [
            _link(_with(url, {**query, "offset": offset}), "self", GEOJSON),
            _link(f"{base}/collections/{collection.id}", "collection", JSON),
        ]
        if offset + limit < matched:
            links.append(_link(_with(url, {**query, "offset": offset + limit}), "next", GEOJSON))
        if offset > 0:
            previous = max(offset - limit, 0)
            links.append(_link(_with(url, {**query, "offset": previous}), "prev", GEOJSON))
        return Response(
            200,
            GEOJSON,
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(row, page.geometry.name, self._links(collection, row, base))
                    for _, row in page.iterrows()
                ],
                "numberMatched": matched,
                "numberReturned": len(page),
                "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "links": links,
            },
        )

    def item(
        self, collection_id: str, feature_id: str, params: Mapping[str, str], base: str
    ) -> Response:
        """One feature by its id (an entry's UUID, a region's or admin-1 unit's code)."""
        collection = _collection(collection_id)
        unknown = sorted(set(params) - {"f"})
        if unknown:
            raise ApiError(400, "InvalidParameterValue", f"unknown parameter(s): {unknown}")
        _format(params)
        if collection.source not in ("regions", "admin1"):
            try:
                feature_id = str(uuid.UUID(feature_id))
            except ValueError:
                raise ApiError(404, "NotFound", f"no feature {feature_id!r}") from None
        frame = self._frame(collection, Filters())
        found = frame[frame["id"] == feature_id]
        if not len(found):
            raise ApiError(404, "NotFound", f"no feature {feature_id!r} in {collection.id}")
        body = _feature(found.iloc[0], found.geometry.name)
        url = f"{base}/collections/{collection.id}/items/{feature_id}"
        body["links"] = [
            _link(url, "self", GEOJSON),
            _link(f"{base}/collections/{collection.id}", "collection", JSON),
            *self._links(collection, found.iloc[0], base),
        ]
        return Response(200, GEOJSON, body)

    def _links(self, collection: Collection, row: Any, base: str) -> list[dict[str, str]]:
        """An entry's link to its monitoring values; a value's link to its entry."""
        values = f"{base}/collections/indicator-values/items"
        if collection.source == "entries":
            return [
                _link(
                    _with(values, {"initiative": row["id"]}),
                    "related",
                    GEOJSON,
                    "monitoring indicator values of this entry",
                )
            ]
        if collection.source == "monitoring":
            owner = "initiatives" if row["initiative_kind"] == "iap" else "barrios"
            return [
                _link(
                    f"{base}/collections/{owner}/items/{row['initiative_id']}",
                    "related",
                    GEOJSON,
                    "the entry that reported this value",
                )
            ]
        return []


def _collection(collection_id: str) -> Collection:
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise ApiError(404, "NotFound", f"no collection {collection_id!r}")
    return found


def _format(params: Mapping[str, str]) -> None:
    if params.get("f", "json") not in ("json", "geojson"):
        raise ApiError(400, "InvalidParameterValue", "f: only json (GeoJSON) is served")


def _int(params: Mapping[str, str], name: str, default: int, lo: int, hi: int | None) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", f"{name}: not a whole number") from None
    if value < lo:
        raise ApiError(400, "InvalidParameterValue", f"{name}: at least {lo}")
    return min(value, hi) if hi is not None else value  # a larger limit is capped


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", "bbox: four numbers") from None
    if len(values) == 6:  # minx, miny, minz, maxx, maxy, maxz
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, "InvalidParameterValue", "bbox: four numbers")
    x0, y0, x1, y1 = values
    if y0 > y1 or not (-90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise ApiError(400, "InvalidParameterValue", "bbox: latitudes out of order or range")
    if x0 > x1:  # crosses the antimeridian: not needed for these collections
        raise ApiError(400, "InvalidParameterValue", "bbox: minx greater than maxx")
    return x0, y0, x1, y1


def _filters(params: Mapping[str, str]) -> Filters:
    values: dict[str, Any] = {}
    for param, (field, code_list) in ENTRY_FILTERS.items():
        text = params.get(param)
        if text is None:
            continue
        chosen = tuple(v.strip() for v in text.split(",") if v.strip())
        allowed = set(code_codes(code_list)) if code_list else None
        bad = [v for v in chosen if (v not in allowed if allowed else not v.isdigit())]
        if bad or not chosen:
            raise ApiError(400, "InvalidParameterValue", f"{param}: unknown code(s) {bad}")
        values[field] = chosen
    return Filters(**values)


def _monitoring_filter(frame: Any, params: Mapping[str, str]) -> Any:
    if "initiative" in params:
        try:
            wanted = str(uuid.UUID(params["initiative"]))
        except ValueError:
            raise ApiError(400, "InvalidParameterValue", "initiative: not an entry id") from None
        frame = frame[frame["initiative_id"] == wanted]
    if "indicator" in params:
        codes = tuple(v.strip() for v in params["indicator"].split(",") if v.strip())
        bad = [c for c in codes if c not in code_codes("monitoring_indicator")]
        if bad or not codes:
            raise ApiError(400, "InvalidParameterValue", f"indicator: unknown code(s) {bad}")
        frame = frame[frame["indicator_code"].isin(codes)]
    return frame


def _with(url: str, query: Mapping[str, Any]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _feature(
    row: Any, geometry_column: str, links: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    properties = {str(k): _plain(v) for k, v in row.items() if k not in (geometry_column, "id")}
    out: dict[str, Any] = {
        "type": "Feature",
        "id": str(row["id"]),
        "geometry": _geometry(row[geometry_column]),
        "properties": properties,
    }
    if links:
        out["links"] = links
    return out
