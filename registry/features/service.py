"""OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0), read-only, framework-free.

``FeatureService`` answers each request with a plain dict; ``registry.features.http`` only
adapts it to HTTP. It reads through ``registry.api`` as a visitor, so it serves published
entries and public fields only, from either store. Collections: ``initiatives`` (IAPs),
``barrios`` (barrios comerciales) and ``regions`` (Chile's regions with their latest annual
indicator values). Output is RFC 7946 GeoJSON: WGS84 lon/lat, 6 decimals,
counter-clockwise exterior rings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pyarrow as pa
import shapely

from registry.api import Registry
from registry.auth import VISITOR
from registry.features import cql2
from registry.features.priority import LARGE, Priority, sliced
from registry.io.export import public_frame
from registry.schema.codes import code_codes
from registry.store import FILTER_PARAMS, Filters
from registry.store.tables import LIST_SEP

__all__ = [
    "COLLECTIONS",
    "CONFORMANCE",
    "ENTRY_FILTERS",
    "MONITORING_FILTERS",
    "MAX_LIMIT",
    "PROPERTY_NAMES",
    "ApiError",
    "FeatureService",
]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    *cql2.CONFORMANCE,
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SORTABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/sortables"
# parameters of /items beside the property filters
ITEMS_PARAMS = frozenset(
    {
        "bbox",
        "limit",
        "offset",
        "f",
        "resulttype",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "properties",
        "skipGeometry",
    }
)

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
# filter parameters named as the property they filter; the shorter names of the app's URLs
# (the keys) stay accepted as aliases
PROPERTY_NAMES = {
    "type": "initiative_type",
    "focus": "strategic_focus",
    "funding": "funding_source",
    "region": "region_code",
    "comuna": "comuna_code",
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


def cache_budget() -> int:
    """Bytes the filtered selections may keep (``IAP_REGISTRY_API_CACHE_MB``, default 64)."""
    return int(float(os.environ.get("IAP_REGISTRY_API_CACHE_MB", "64")) * 1024 * 1024)


class _Cache:
    """A least-recently-used cache bounded in bytes, safe to share between threads.

    Values are never mutated once stored. A missing value is built once: threads asking for
    the same key while it is being built wait for it (not for other keys), and the cache's
    own lock is never held while building.
    """

    def __init__(self, budget: int):
        self.budget = budget
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self.bytes = 0

    def get(self, key: Hashable, build: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            gate = self._building.setdefault(key, threading.Lock())
        try:
            with gate:
                with self._lock:
                    if key in self._items:
                        return self._items[key][0]
                value = build()
                nbytes = size(value)
                with self._lock:
                    self._items[key] = (value, nbytes)
                    self.bytes += nbytes
                    while self.bytes > self.budget and len(self._items) > 1:
                        _, (_, dropped) = self._items.popitem(last=False)
                        self.bytes -= dropped
        finally:  # also when building fails: a later request builds it again
            with self._lock:
                self._building.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class _Snapshot:
    """One collection at one data version, never mutated: its public frame, each id's row
    position, its queryables and extent, an R-tree of its geometries, and its properties as
    an Arrow table that pages are taken from."""

    version: int
    frame: Any
    position: dict[str, int]
    queryables: dict[str, cql2.Queryable]
    extent: list[float]  # of the features that have a geometry (the world when none has)
    tree: shapely.STRtree  # bbox queries: candidates found in the R-tree, then tested
    table: pa.Table  # the properties (and id), pages taken out of it without pandas
    geometries: np.ndarray  # the shapely geometries (None where missing)
    points: np.ndarray  # which are points

    @classmethod
    def of(cls, version: int, frame: Any) -> _Snapshot:
        frame = frame.reset_index(drop=True)
        bounds = shapely.bounds(frame.geometry.values)  # NaN for a missing geometry
        position = {str(i): k for k, i in enumerate(frame["id"])}
        located = bounds[~np.isnan(bounds).any(axis=1)]
        extent = [-180.0, -90.0, 180.0, 90.0]
        if len(located):
            lows, highs = located.min(axis=0), located.max(axis=0)
            extent = [round(float(v), 6) for v in (lows[0], lows[1], highs[2], highs[3])]
        geometries = np.asarray(frame.geometry.values)
        tree = shapely.STRtree(geometries)
        # NaN becomes null, as in JSON; Arrow-backed text columns are shared, not copied
        table = pa.Table.from_pandas(
            frame.drop(columns=[frame.geometry.name]), preserve_index=False
        )
        return cls(
            version,
            frame,
            position,
            cql2.queryables(frame),
            extent,
            tree,
            table,
            geometries,
            shapely.get_type_id(geometries) == shapely.GeometryType.POINT,
        )


class FeatureService:
    """The OGC API of one registry. ``base`` in each call is the service's root URL.

    Safe to call from many threads at once: each collection is read once per data version
    into an immutable snapshot, swapped whole when the data changes; a filtered request
    keeps only the row positions it selects (in a cache bounded in bytes, keyed by the
    sorted, de-duplicated codes); bbox and paging are vectorised on the snapshot.
    """

    def __init__(self, registry: Registry, title: str = "iap-registry"):
        self.registry = registry
        self.title = title
        self._snapshots: dict[str, _Snapshot] = {}
        self._snapshot_lock = threading.Lock()
        self._snapshot_gates: dict[str, threading.Lock] = {}
        self._local = threading.local()
        self.priority = Priority()  # small requests before slices of large pages
        self.selections = _Cache(cache_budget())

    # -- reads, one snapshot per collection and data version -------------------------
    @contextlib.contextmanager
    def pinned(self, version: int) -> Iterator[None]:
        """Answer this thread's calls from data ``version`` (the one a request's ETag names),
        without asking the store for it again: every read of one request sees one version."""
        self._local.version = version
        try:
            yield
        finally:
            self._local.version = None

    def _snapshot(self, collection: Collection) -> _Snapshot:
        version = getattr(self._local, "version", None)
        if version is None:
            version = self.registry.data_version()
        current = self._snapshots.get(collection.id)
        if current is not None and current.version == version:
            return current
        with self._snapshot_lock:
            gate = self._snapshot_gates.setdefault(collection.id, threading.Lock())
        with gate:  # one reader builds it; the others wait for this collection only
            current = self._snapshots.get(collection.id)
            if current is not None and current.version == version:
                return current
            fresh = _Snapshot.of(version, self._read(collection))
            self._snapshots[collection.id] = fresh  # swapped whole
            return fresh

    def _read(self, collection: Collection) -> Any:
        if collection.source == "regions":
            return self._regions()
        if collection.source == "admin1":
            frame = self.registry.boundaries("admin1").copy()
            frame["id"] = frame["region_code"]
            return frame
        if collection.source == "monitoring":
            return self.registry.monitoring_features(viewer=VISITOR)
        # entries known only to a country without boundaries here have no geometry: they
        # are served too, with a null geometry (RFC 7946, 3.2)
        wanted = Filters(kind=(str(collection.kind),))
        return public_frame(self.registry.list(wanted, viewer=VISITOR))

    def _regions(self) -> Any:
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
        return frame

    def _selected(
        self, collection: Collection, filters: Filters
    ) -> tuple[_Snapshot, np.ndarray | None]:
        """The collection's snapshot and the positions of the rows ``filters`` selects (None:
        all of them)."""
        snap = self._snapshot(collection)
        if collection.source != "entries" or filters == Filters():
            return snap, None

        def build() -> np.ndarray:
            return np.flatnonzero(_selection(snap.frame, filters))

        key = (snap.version, collection.id, filters)
        return snap, self.selections.get(key, build, lambda rows: int(rows.nbytes) + 200)

    def _matching(
        self, collection: Collection, snap: _Snapshot, expression: tuple[str, str, Any]
    ) -> np.ndarray:
        """Which rows of the snapshot a CQL2 expression selects (a mask), kept in the
        selection cache: a client paging through a filter evaluates it once."""
        text, lang, node = expression

        def build() -> np.ndarray:
            return cql2.evaluate(node, snap.frame, snap.queryables)

        key = (snap.version, collection.id, "filter", lang, text)
        return self.selections.get(key, build, lambda mask: int(mask.nbytes) + len(text) + 200)

    def _ranks(
        self, collection: Collection, snap: _Snapshot, order: tuple[tuple[str, bool], ...]
    ) -> np.ndarray:
        """Each snapshot row's rank in the ``sortby`` order (missing values last), kept in
        the selection cache."""

        def build() -> np.ndarray:
            names = [name for name, _ in order]
            ascending = [up for _, up in order]
            ordered = snap.frame[names].sort_values(
                names, ascending=ascending, na_position="last", kind="stable"
            )
            ranks = np.empty(len(snap.frame), dtype=np.int64)
            ranks[ordered.index.to_numpy()] = np.arange(len(snap.frame))
            return ranks

        key = (snap.version, collection.id, "sortby", order)
        return self.selections.get(key, build, lambda ranks: int(ranks.nbytes) + 200)

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

    def warm(self) -> None:
        """Read every collection's snapshot now (a server does it before it takes requests,
        so the first clients, GDAL and QGIS asking ``/collections``, do not wait for it)."""
        for collection in COLLECTIONS.values():
            self._snapshot(collection)

    def _collection_body(self, collection: Collection, base: str) -> dict[str, Any]:
        bbox = self._snapshot(collection).extent  # features without a geometry have none
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
                _link(f"{url}/queryables", QUERYABLES_REL, SCHEMA, "what a filter may name"),
                _link(f"{url}/sortables", SORTABLES_REL, SCHEMA, "what sortby may name"),
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

    def queryables(self, collection_id: str, base: str, sortables: bool = False) -> Response:
        """The JSON Schema of what a ``filter`` (or, with ``sortables``, ``sortby``) may
        name in a collection: its public properties and, for filters, its geometry."""
        collection = _collection(collection_id)
        known = self._snapshot(collection).queryables
        what = "sortables" if sortables else "queryables"
        shown = {k: q for k, q in known.items() if not (sortables and q.type == "geometry")}
        return Response(
            200,
            SCHEMA,
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"{base}/collections/{collection.id}/{what}",
                "type": "object",
                "title": collection.title,
                "properties": {name: q.schema() for name, q in shown.items()},
                "additionalProperties": False,
            },
        )

    def items(self, collection_id: str, params: Mapping[str, str], base: str) -> Response:
        """One page of a collection's features (``bbox``, ``limit``, ``offset``, the
        property filters of ``ENTRY_FILTERS``, a CQL2 ``filter``, ``sortby``,
        ``properties`` and ``skipGeometry``)."""
        collection = _collection(collection_id)
        allowed = set(ITEMS_PARAMS)
        if collection.source == "entries":
            allowed |= set(ENTRY_FILTERS) | set(PROPERTY_NAMES.values())
        if collection.source == "monitoring":
            allowed |= set(MONITORING_FILTERS)
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ApiError(400, "InvalidParameterValue", f"unknown parameter(s): {unknown}")
        _format(params)
        limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _int(params, "offset", 0, 0, None)
        hits = _resulttype(params)
        expression = _expression(params)  # parsed before anything is read
        known = self._snapshot(collection).queryables
        order = _sortby(params.get("sortby"), known)
        shown = _properties(params.get("properties"), known)
        skip_geometry = _boolean(params, "skipGeometry")
        filters = Filters()
        if collection.source == "entries":
            wants_region = any(p in params for p in ("region", "region_code"))
            regions = self._snapshot(COLLECTIONS["admin1"]).position if wants_region else {}
            filters = _filters(params, regions)
        box = shapely.box(*_bbox(params["bbox"])) if "bbox" in params else None
        snap, rows = self._selected(collection, filters)
        if box is not None:  # the R-tree's candidates, each shape tested against the box
            near = snap.tree.query(box)  # envelopes overlap: exact for points
            shapes = near[~snap.points[near]]
            inside = np.concatenate(
                [near[snap.points[near]], shapes[shapely.intersects(snap.geometries[shapes], box)]]
            )
            if rows is None:
                rows = np.sort(inside)
            else:
                keep = np.zeros(len(snap.frame), dtype=bool)
                keep[inside] = True
                rows = rows[keep[rows]]
        if rows is None:
            rows = np.arange(len(snap.frame))
        if collection.source == "monitoring":  # a snapshot's index is its row positions
            rows = _monitoring_filter(snap.frame.iloc[rows], params).index.to_numpy()
        if expression is not None:
            try:
                mask = self._matching(collection, snap, expression)
            except cql2.CqlError as exc:  # an unknown property, a type mismatch...
                raise ApiError(400, "InvalidParameterValue", str(exc)) from None
            rows = rows[mask[rows]]
        if order and not hits:
            rows = rows[np.argsort(self._ranks(collection, snap, order)[rows], kind="stable")]
        matched = len(rows)
        # only the page is taken out of the snapshot
        page = rows[:0] if hits else rows[offset : offset + limit]
        pause = self.priority.pause if len(page) > LARGE else None
        related: Callable[[Mapping[str, Any]], list[dict[str, str]]] | None = None
        if collection.source in ("entries", "monitoring"):  # the others have no links
            related = lambda row: self._links(collection, row, base)  # noqa: E731

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
                "features": _features(snap, page, related, skip_geometry, shown, pause),
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
        snap = self._snapshot(collection)
        found = snap.position.get(feature_id)
        if found is None:
            raise ApiError(404, "NotFound", f"no feature {feature_id!r} in {collection.id}")
        [body] = _features(snap, np.array([found]), None)
        url = f"{base}/collections/{collection.id}/items/{feature_id}"
        body["links"] = [
            _link(url, "self", GEOJSON),
            _link(f"{base}/collections/{collection.id}", "collection", JSON),
            *self._links(collection, {"id": body["id"], **body["properties"]}, base),
        ]
        return Response(200, GEOJSON, body)

    def _links(self, collection: Collection, row: Any, base: str) -> list[dict[str, str]]:
        """An entry's link to its monitoring values; a value's link to its entry."""
        values = f"{base}/collections/indicator-values/items"
        if collection.source == "entries":
            return [
                _link(  # ids are the store's UUIDs: nothing in them to escape
                    f"{values}?initiative={row['id']}",
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
    if params.get("f", "json") not in ("json", "geojson", "html"):
        raise ApiError(400, "InvalidParameterValue", "f: json, geojson or html")


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


def _resulttype(params: Mapping[str, str]) -> bool:
    """Whether only the count is asked for (``resulttype=hits``, as GDAL sends it)."""
    value = params.get("resulttype", "results").lower()
    if value not in ("results", "hits"):
        raise ApiError(400, "InvalidParameterValue", "resulttype: results or hits")
    return value == "hits"


def _filters(params: Mapping[str, str], regions: Mapping[str, int]) -> Filters:
    """The property filters of ``params``. ``regions``: the known first-level codes (Chile's
    CUT codes and other countries' ISO 3166-2 codes, as ``region_code`` holds them)."""
    values: dict[str, Any] = {}
    for param, (field, code_list) in ENTRY_FILTERS.items():
        name = PROPERTY_NAMES.get(param, param)
        if name != param and name in params and param in params:
            raise ApiError(400, "InvalidParameterValue", f"{name} and its alias {param} both given")
        text = params.get(name, params.get(param))
        if text is None:
            continue
        param = name  # errors name the property
        # sorted and de-duplicated: the same selection however it is written
        chosen = tuple(sorted({v.strip() for v in text.split(",") if v.strip()}))
        if code_list:
            known = set(code_codes(code_list))
            bad = [v for v in chosen if v not in known]
        elif field == "region":
            bad = [v for v in chosen if v not in regions]
        else:  # comuna codes: Chile's five-digit CUT codes
            bad = [v for v in chosen if not (v.isdigit() and len(v) == 5)]
        if bad or not chosen:
            raise ApiError(400, "InvalidParameterValue", f"{param}: unknown code(s) {bad}")
        values[field] = chosen
    return Filters(**values)


# Filters field -> the column it compares (the store's own meaning: registry.store.sql)
_SIMPLE = {
    "country": "country",
    "region": "region_code",
    "comuna": "comuna_code",
    "initiative_type": "initiative_type",
    "sector": "sector",
    "program": "program",
    "stage": "stage",
    "status": "status",
}
# Filters field -> (its primary column, the column listing the others, joined by "|")
_PRIMARY_OR_OTHERS = {
    "focus": ("strategic_focus", "strategic_focus_other"),
    "funding": ("funding_source", "funding_source_other"),
}


def _selection(frame: Any, filters: Filters) -> np.ndarray:
    """Which rows of a snapshot ``filters`` select, as the store selects them (each field
    matches any of its codes; focus and funding match the primary code or any of the
    others), computed on the snapshot instead of asking the store again."""
    keep = np.ones(len(frame), dtype=bool)
    for name, column in _SIMPLE.items():
        values = getattr(filters, name)
        if values:
            keep = keep & np.asarray(frame[column].isin(values), dtype=bool)
    for name, (primary, others) in _PRIMARY_OR_OTHERS.items():
        values = getattr(filters, name)
        if values:
            listed = LIST_SEP + frame[others].fillna("").astype("str") + LIST_SEP
            hit = np.array(frame[primary].isin(values), dtype=bool)
            for value in values:
                code = f"{LIST_SEP}{value}{LIST_SEP}"
                hit = hit | np.asarray(listed.str.contains(code, regex=False), dtype=bool)
            keep = keep & hit
    return keep


def _expression(params: Mapping[str, str]) -> tuple[str, str, Any] | None:
    """The CQL2 ``filter`` of ``params``, parsed: (text, language, tree), or None."""
    lang = params.get("filter-lang", "cql2-text")
    if lang not in ("cql2-text", "cql2-json"):
        raise ApiError(400, "InvalidParameterValue", "filter-lang: cql2-text or cql2-json")
    if params.get("filter-crs", CRS84) != CRS84:
        raise ApiError(400, "InvalidParameterValue", f"filter-crs: only {CRS84}")
    text = params.get("filter")
    if text is None:
        if "filter-lang" in params or "filter-crs" in params:
            raise ApiError(400, "InvalidParameterValue", "filter-lang/filter-crs without filter")
        return None
    try:
        return text, lang, cql2.parse(text, lang)
    except cql2.CqlError as exc:
        raise ApiError(400, "InvalidParameterValue", str(exc)) from None


def _sortby(text: str | None, known: Mapping[str, cql2.Queryable]) -> tuple[tuple[str, bool], ...]:
    """``sortby=name,-n_firms``: (property, ascending) pairs, each a sortable property."""
    if text is None:
        return ()
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        part = part.strip()
        up = not part.startswith("-")
        name = part.lstrip("+-").strip()
        queryable = known.get(name)
        if queryable is None or queryable.type == "geometry":
            raise ApiError(400, "InvalidParameterValue", f"sortby: {name!r} is not sortable")
        if name in (n for n, _ in out):
            raise ApiError(400, "InvalidParameterValue", f"sortby: {name!r} twice")
        out.append((name, up))
    return tuple(out)


def _properties(text: str | None, known: Mapping[str, cql2.Queryable]) -> set[str] | None:
    """``properties=name,sector``: the properties to return (None: all)."""
    if text is None:
        return None
    names = {v.strip() for v in text.split(",") if v.strip()}
    unknown = sorted(n for n in names if n not in known or known[n].type == "geometry")
    if unknown:
        raise ApiError(400, "InvalidParameterValue", f"properties: unknown {unknown}")
    return names


def _boolean(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ApiError(400, "InvalidParameterValue", f"{name}: true or false")
    return value == "true"


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


def _geometries(values: Any) -> list[dict[str, Any] | None]:
    """RFC 7946 geometries of a geometry array (counter-clockwise exteriors, 6 decimals;
    None where missing or empty), converted as an array."""
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    out: list[dict[str, Any] | None] = [None] * len(values)
    if present.any():
        shapes = shapely.orient_polygons(values[present], exterior_cw=False)
        shapes = shapely.set_precision(shapes, 1e-6, mode="pointwise")
        for k, shape in zip(np.flatnonzero(present), shapes, strict=True):
            out[k] = dict(shapely.geometry.mapping(shape))
    return out


def _features(
    snap: _Snapshot,
    positions: np.ndarray,
    links: Callable[[Mapping[str, Any]], list[dict[str, str]]] | None,
    skip_geometry: bool = False,
    shown: set[str] | None = None,
    pause: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """The features at ``positions`` of a snapshot, built as a whole, never row by row: the
    properties taken from the snapshot's Arrow table (nulls as None), the geometries
    converted as an array. ``links`` gives a feature's related links from all its
    properties; ``skip_geometry`` makes every geometry null; ``shown`` keeps only those
    properties. With ``pause``, a large page is built in slices, calling it between two."""
    out: list[dict[str, Any]] = []
    for part in sliced(len(positions), pause):
        out += _feature_slice(snap, positions[part], links, skip_geometry, shown)
    return out


def _feature_slice(
    snap: _Snapshot,
    positions: np.ndarray,
    links: Callable[[Mapping[str, Any]], list[dict[str, str]]] | None,
    skip_geometry: bool,
    shown: set[str] | None,
) -> list[dict[str, Any]]:
    records = snap.table.take(pa.array(positions, type=pa.int64())).to_pylist()
    if skip_geometry:
        shapes: list[dict[str, Any] | None] = [None] * len(records)
    else:
        shapes = _geometries(snap.geometries[positions])
    out = []
    for record, shape in zip(records, shapes, strict=True):
        fid = str(record.pop("id"))
        feature: dict[str, Any] = {
            "type": "Feature",
            "id": fid,
            "geometry": shape,
            "properties": record
            if shown is None
            else {k: v for k, v in record.items() if k in shown},
        }
        related = links({"id": fid, **record}) if links is not None else None
        if related:
            feature["links"] = related
        out.append(feature)
    return out
