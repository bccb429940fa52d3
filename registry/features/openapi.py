"""The OpenAPI 3.0 definition of the OGC API - Features endpoint (served at ``/api``)."""

from __future__ import annotations

from typing import Any

from registry.features.service import (
    COLLECTIONS,
    CRS84,
    ENTRY_FILTERS,
    MAX_LIMIT,
    PROPERTY_NAMES,
)
from registry.schema.codes import code_codes

__all__ = ["document"]

_JSON = "application/json"
_GEOJSON = "application/geo+json"
_SCHEMA = "application/schema+json"
_IN_BODY = ("filter", "filter-lang")  # what a POST to /items carries in its body


def _content(media: str, schema: str) -> dict[str, Any]:
    return {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _ok(media: str, schema: str, what: str) -> dict[str, Any]:
    return {"description": what, "content": _content(media, schema)}


_ERRORS = {
    "400": {"description": "a parameter is not valid", "content": _content(_JSON, "exception")},
    "404": {"description": "no such resource", "content": _content(_JSON, "exception")},
}
_F = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "the format: JSON (GeoJSON for features) or HTML; without f, browsers "
    "that accept text/html get HTML",
    "schema": {"type": "string", "enum": ["json", "geojson", "html"]},
}
_COLLECTION_ID = {
    "name": "collectionId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(COLLECTIONS)},
}


def _filter_parameters() -> list[dict[str, Any]]:
    out = []
    for param, (_, code_list) in ENTRY_FILTERS.items():
        name = PROPERTY_NAMES.get(param, param)
        if code_list:
            codes = ", ".join(code_codes(code_list))
            description = f"entries with any of these codes (comma-separated): {codes}"
        else:
            description = f"entries in any of these {name} codes (comma-separated)"
        names = [(name, "")] + ([(param, f"; an alias of {name}")] if name != param else [])
        for shown, alias in names:
            out.append(
                {
                    "name": shown,
                    "in": "query",
                    "required": False,
                    "description": description + " (initiatives and barrios only)" + alias,
                    "schema": {"type": "string"},
                }
            )
    return out


def document(base: str, title: str) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of the service at ``base``."""
    items_parameters = [
        _COLLECTION_ID,
        {
            "name": "bbox",
            "in": "query",
            "required": False,
            "description": "minx,miny,maxx,maxy in WGS84 longitude/latitude (CRS84)",
            "style": "form",
            "explode": False,
            "schema": {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number"},
            },
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"features per page (larger values are capped at {MAX_LIMIT})",
            "schema": {"type": "integer", "minimum": 1, "default": 100},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "features to skip (the next link gives the following page)",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        {
            "name": "resulttype",
            "in": "query",
            "required": False,
            "description": "hits: only numberMatched, no features (as GDAL asks for a count)",
            "schema": {"type": "string", "enum": ["results", "hits"], "default": "results"},
        },
        *_filter_parameters(),
        {
            "name": "filter",
            "in": "query",
            "required": False,
            "description": "a CQL2 expression on the collection's queryables "
            "(/collections/{collectionId}/queryables), in the encoding filter-lang names: "
            "comparisons, IS NULL, AND/OR/NOT, LIKE, BETWEEN, IN, CASEI, ACCENTI and the "
            "S_ spatial functions with a geometry literal or BBOX in CRS84",
            "schema": {"type": "string"},
        },
        {
            "name": "filter-lang",
            "in": "query",
            "required": False,
            "description": "the encoding of filter",
            "schema": {
                "type": "string",
                "enum": ["cql2-text", "cql2-json"],
                "default": "cql2-text",
            },
        },
        {
            "name": "filter-crs",
            "in": "query",
            "required": False,
            "description": "the CRS of the filter's geometries (only CRS84)",
            "schema": {"type": "string", "enum": [CRS84], "default": CRS84},
        },
        {
            "name": "sortby",
            "in": "query",
            "required": False,
            "description": "comma-separated sortables (/collections/{collectionId}/sortables), "
            "each ascending or, prefixed with -, descending; missing values last",
            "schema": {"type": "string"},
        },
        {
            "name": "properties",
            "in": "query",
            "required": False,
            "description": "comma-separated properties to return (the others are left out)",
            "schema": {"type": "string"},
        },
        {
            "name": "skipGeometry",
            "in": "query",
            "required": False,
            "description": "true: every feature's geometry is null (smaller answers)",
            "schema": {"type": "boolean", "default": False},
        },
        {
            "name": "initiative",
            "in": "query",
            "required": False,
            "description": "the values of this entry (its id) (indicator-values only)",
            "schema": {"type": "string", "format": "uuid"},
        },
        {
            "name": "indicator",
            "in": "query",
            "required": False,
            "description": "values of indicators with any of these catalogue codes "
            f"(comma-separated): {', '.join(code_codes('monitoring_indicator'))} "
            "(indicator-values only)",
            "schema": {"type": "string"},
        },
        _F,
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "OGC API - Features (Core, GeoJSON, Part 3 CQL2 filters): published productive-"
            "articulation initiatives and barrios comerciales, their monitoring indicator "
            "values, and Chile's regions with their indicators. Read-only.",
        },
        "servers": [{"url": base or "/"}],
        "paths": {
            "/": {
                "get": {
                    "summary": "landing page",
                    "operationId": "getLandingPage",
                    "parameters": [_F],
                    "responses": {"200": _ok(_JSON, "landingPage", "the landing page")},
                }
            },
            "/conformance": {
                "get": {
                    "summary": "conformance classes",
                    "operationId": "getConformance",
                    "parameters": [_F],
                    "responses": {"200": _ok(_JSON, "confClasses", "the classes")},
                }
            },
            "/api": {
                "get": {
                    "summary": "this API definition",
                    "operationId": "getApi",
                    "responses": {
                        "200": {
                            "description": "the OpenAPI document",
                            "content": {
                                "application/vnd.oai.openapi+json;version=3.0": {
                                    "schema": {"type": "object"}
                                }
                            },
                        }
                    },
                }
            },
            "/collections": {
                "get": {
                    "summary": "the collections",
                    "operationId": "getCollections",
                    "parameters": [_F],
                    "responses": {"200": _ok(_JSON, "collections", "the collections")},
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "one collection",
                    "operationId": "describeCollection",
                    "parameters": [_COLLECTION_ID, _F],
                    "responses": {
                        "200": _ok(_JSON, "collection", "the collection"),
                        "404": _ERRORS["404"],
                    },
                }
            },
            "/collections/{collectionId}/queryables": {
                "get": {
                    "summary": "what a filter may name in a collection (JSON Schema)",
                    "operationId": "getQueryables",
                    "parameters": [_COLLECTION_ID, _F],
                    "responses": {
                        "200": _ok(_SCHEMA, "queryables", "the queryables"),
                        "404": _ERRORS["404"],
                    },
                }
            },
            "/collections/{collectionId}/sortables": {
                "get": {
                    "summary": "what sortby may name in a collection (JSON Schema)",
                    "operationId": "getSortables",
                    "parameters": [_COLLECTION_ID, _F],
                    "responses": {
                        "200": _ok(_SCHEMA, "queryables", "the sortables"),
                        "404": _ERRORS["404"],
                    },
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "the features of a collection, a page at a time",
                    "operationId": "getFeatures",
                    "parameters": items_parameters,
                    "responses": {
                        "200": _ok(_GEOJSON, "featureCollectionGeoJSON", "one page"),
                        **_ERRORS,
                    },
                },
                "post": {
                    "summary": "the features a CQL2 JSON filter in the body selects "
                    "(the same as GET with filter-lang=cql2-json; as OWSLib sends it)",
                    "operationId": "queryFeatures",
                    "parameters": [p for p in items_parameters if p["name"] not in _IN_BODY],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": _ok(_GEOJSON, "featureCollectionGeoJSON", "one page"),
                        **_ERRORS,
                    },
                },
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "one feature",
                    "operationId": "getFeature",
                    "parameters": [
                        _COLLECTION_ID,
                        {
                            "name": "featureId",
                            "in": "path",
                            "required": True,
                            "description": "an entry's UUID, or a region's code",
                            "schema": {"type": "string"},
                        },
                        _F,
                    ],
                    "responses": {
                        "200": _ok(_GEOJSON, "featureGeoJSON", "the feature"),
                        **_ERRORS,
                    },
                }
            },
        },
        "components": {"schemas": _SCHEMAS},
    }


_LINK = {
    "type": "object",
    "required": ["href"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
    },
}
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
_SCHEMAS: dict[str, Any] = {
    "link": _LINK,
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": _LINKS,
        },
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "extent": {"type": "object"},
            "links": _LINKS,
        },
    },
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": _LINKS,
            "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}},
        },
    },
    "queryables": {
        "type": "object",
        "required": ["type", "properties"],
        "properties": {
            "$schema": {"type": "string"},
            "$id": {"type": "string"},
            "type": {"type": "string", "enum": ["object"]},
            "title": {"type": "string"},
            "properties": {"type": "object"},
            "additionalProperties": {"type": "boolean"},
        },
    },
    "featureGeoJSON": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", "nullable": True},
            "properties": {"type": "object", "nullable": True},
            "links": _LINKS,
        },
    },
    "featureCollectionGeoJSON": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/featureGeoJSON"},
            },
            "links": _LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
}
