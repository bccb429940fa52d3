"""CQL2 filters (OGC API - Features Part 3) on a collection's snapshot, and its queryables.

Parsing is pygeofilter's (the parser pygeoapi uses), for CQL2 text and CQL2 JSON. The
evaluation is ours, vectorised on the snapshot's columns, because pygeofilter's GeoPandas
backend does not serve here: it compares with two-valued logic (``NOT (n_firms > 5)`` would
select the entries whose ``n_firms`` is unknown), reads any column the frame has, leaves type
errors to pandas (a 500), and builds LIKE patterns with ``.`` as the single-character
wildcard where CQL2 has ``_``. Here:

- every property is checked against the collection's queryables *before* anything is
  evaluated. The queryables are the snapshot's public columns, so a restricted field is
  never readable: it is refused as unknown;
- each literal is checked against its property's type (a 400 that says which);
- predicates follow SQL's three-valued logic (pandas' nullable booleans): a comparison with
  a missing value is unknown, ``NOT`` of unknown is unknown, and unknown is not selected;
- LIKE runs as an RE2 regular expression (pyarrow's, linear time whatever the pattern);
- CQL2 JSON is brought to the shape pygeofilter 0.4 reads (``between`` with two bounds in
  one list, ``bbox`` literals as polygons, which its parser would read in the wrong order),
  and CQL2 text's doubled quote (``'O''Higgins'``), which its grammar lacks, is read.

Supported: comparisons (``= <> < <= > >=``), ``IS [NOT] NULL``, ``AND OR NOT``,
``[NOT] LIKE``, ``[NOT] BETWEEN``, ``[NOT] IN``, ``CASEI`` and ``ACCENTI``, property-property
comparisons, and the spatial functions ``S_INTERSECTS S_DISJOINT S_CONTAINS S_WITHIN
S_TOUCHES S_CROSSES S_OVERLAPS S_EQUALS`` with any geometry literal or ``BBOX``, in CRS84.
Temporal and array operators, arithmetic and other functions are refused with a 400.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pygeofilter import ast, values

from registry.schema.codes import code_codes
from registry.schema.fields import FIELDS_BY_NAME

__all__ = ["CONFORMANCE", "MAX_FILTER", "CqlError", "Queryable", "evaluate", "parse", "queryables"]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
]
MAX_FILTER = 20_000  # characters of a filter expression
_MAX_DEPTH = 60  # nesting of a CQL2 JSON expression
_TIMESTAMPS = ("created_at", "updated_at")  # ISO 8601 UTC text, compared as instants
_QUOTE = "\ue000"  # stands for a doubled quote while pygeofilter parses (private use area)


class CqlError(ValueError):
    """A filter that cannot be parsed or evaluated here: the request's fault (400)."""


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its JSON Schema type and, for codes, the allowed ones."""

    name: str
    type: str  # string, integer, number, boolean, geometry
    title: str = ""
    description: str = ""
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    format: str | None = None

    def schema(self) -> dict[str, Any]:
        """This property's JSON Schema (OGC API - Features Part 3, queryables)."""
        if self.type == "geometry":
            return {"title": self.title, "format": "geometry-any", "x-ogc-role": "primary-geometry"}
        out: dict[str, Any] = {"title": self.title or self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        if self.enum:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.format:
            out["format"] = self.format
        return out


def queryables(frame: Any) -> dict[str, Queryable]:
    """The queryables of a collection: the columns of its public frame, typed by their dtype
    and described by the data dictionary where it knows the field.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The snapshot's frame (public fields only).

    Returns
    -------
    dict of str to Queryable
        By property name; the geometry column is named ``geometry``.
    """
    out: dict[str, Queryable] = {}
    for name in frame.columns:
        name = str(name)
        dtype = frame[name].dtype
        if name == frame.geometry.name:
            out["geometry"] = Queryable("geometry", "geometry", "Geometry (CRS84)")
            continue
        if pd.api.types.is_bool_dtype(dtype):
            kind = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = "integer"
        elif pd.api.types.is_float_dtype(dtype):
            kind = "number"
        else:
            kind = "string"
        spec = FIELDS_BY_NAME.get(name)
        stamp = "date-time" if name in _TIMESTAMPS else None
        if spec is None:
            out[name] = Queryable(name, kind, name.replace("_", " "), format=stamp)
            continue
        enum: tuple[str, ...] = ()
        description = spec.description_en
        if spec.code_list and spec.type == "code":
            enum = code_codes(spec.code_list)
        elif spec.code_list:  # a list of codes, stored joined by "|"
            codes = ", ".join(code_codes(spec.code_list))
            description = f"{description} Codes joined by '|' (use LIKE): {codes}".strip()
        out[name] = Queryable(
            name,
            kind,
            f"{spec.en} / {spec.es}",
            description,
            enum,
            spec.lo if kind in ("integer", "number") else None,
            spec.hi if kind in ("integer", "number") else None,
            stamp,
        )
    return out


# -- parsing ---------------------------------------------------------------------------------
def _undouble(text: str) -> str:
    """CQL2 text with each doubled quote inside a string literal replaced by ``_QUOTE``."""
    out, inside, k = [], False, 0
    while k < len(text):
        char = text[k]
        if char == "'" and inside and text[k + 1 : k + 2] == "'":
            out.append(_QUOTE)
            k += 2
            continue
        if char == "'":
            inside = not inside
        out.append(char)
        k += 1
    return "".join(out)


def _json_shape(node: Any, depth: int = 0) -> Any:
    """CQL2 JSON (1.0) in the shape pygeofilter 0.4 reads."""
    if depth > _MAX_DEPTH:
        raise CqlError(f"filter: nested more than {_MAX_DEPTH} levels")
    if isinstance(node, list):
        return [_json_shape(v, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        box = node["bbox"]
        if not (isinstance(box, list) and len(box) in (4, 6)):
            raise CqlError("filter: a bbox has four numbers")
        if len(box) == 6:
            box = [box[0], box[1], box[3], box[4]]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box):
            raise CqlError("filter: a bbox has four numbers")
        return dict(shapely.geometry.mapping(shapely.box(*box)))
    out = {k: _json_shape(v, depth + 1) for k, v in node.items()}
    args = out.get("args")
    if out.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    return out


def parse(text: str, lang: str = "cql2-text") -> ast.Node:
    """Parse a CQL2 expression.

    Parameters
    ----------
    text : str
        The expression, as the ``filter`` query parameter gives it.
    lang : {"cql2-text", "cql2-json"}
        Its encoding (``filter-lang``).

    Returns
    -------
    pygeofilter.ast.Node
        The expression tree (string literals with their quotes restored).

    Raises
    ------
    CqlError
        When the expression is too long, nested too deep or not CQL2.
    """
    if len(text) > MAX_FILTER:
        raise CqlError(f"filter: longer than {MAX_FILTER} characters")
    if _QUOTE in text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise CqlError("filter: control or private-use characters")
    try:
        if lang == "cql2-json":
            from pygeofilter.parsers.cql2_json import parse as parse_json

            try:
                document = json.loads(text)
            except (ValueError, RecursionError):
                raise CqlError("filter: not JSON") from None
            node = parse_json(_json_shape(document))
        elif lang == "cql2-text":
            from pygeofilter.parsers.cql2_text import parse as parse_text

            node = parse_text(_undouble(text))
        else:
            raise CqlError("filter-lang: cql2-text or cql2-json")
    except CqlError:
        raise
    except RecursionError:
        raise CqlError("filter: nested too deep") from None
    except Exception as exc:  # lark's and pygeofilter's own errors: the expression's fault
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CqlError(f"filter: not valid {lang} ({first[:200]})") from None
    if not isinstance(node, ast.Node):
        raise CqlError("filter: not a condition")
    return node


# -- evaluation ------------------------------------------------------------------------------
@dataclass
class _Column:
    """A property's values (or a function of them) with its queryable type."""

    values: pd.Series
    type: str
    name: str = field(default="")


_COMPARE = {
    ast.ComparisonOp.EQ: "__eq__",
    ast.ComparisonOp.NE: "__ne__",
    ast.ComparisonOp.LT: "__lt__",
    ast.ComparisonOp.LE: "__le__",
    ast.ComparisonOp.GT: "__gt__",
    ast.ComparisonOp.GE: "__ge__",
}
_SPATIAL = {
    "INTERSECTS": shapely.intersects,
    "DISJOINT": shapely.disjoint,
    "CONTAINS": shapely.contains,
    "WITHIN": shapely.within,
    "TOUCHES": shapely.touches,
    "CROSSES": shapely.crosses,
    "OVERLAPS": shapely.overlaps,
    "EQUALS": shapely.equals,
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime | dt.date):
        return "date-time"
    return type(value).__name__


def _compatible(a: str, b: str) -> bool:
    numbers = ("integer", "number")
    return a == b or (a in numbers and b in numbers)


class _Evaluator:
    def __init__(self, frame: Any, known: Mapping[str, Queryable]):
        self.frame = frame
        self.known = known
        self.n = len(frame)

    # three-valued results
    def _truth(self, valid: np.ndarray, result: np.ndarray) -> Any:
        out = pd.array(np.where(valid, result, False), dtype="boolean")
        out[~valid] = pd.NA
        return out

    def predicate(self, node: Any) -> Any:
        if isinstance(node, ast.Not):
            return ~self.predicate(node.sub_node)
        if isinstance(node, ast.And):
            return self.predicate(node.lhs) & self.predicate(node.rhs)
        if isinstance(node, ast.Or):
            return self.predicate(node.lhs) | self.predicate(node.rhs)
        if isinstance(node, ast.Include):
            return pd.array(np.full(self.n, not node.not_), dtype="boolean")
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.IsNull):
            value = self.expression(node.lhs)
            missing = (
                np.full(self.n, value is None)
                if not isinstance(value, _Column)
                else value.values.isna().to_numpy(dtype=bool)
            )
            return pd.array(missing != bool(node.not_), dtype="boolean")
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.Between):
            low = ast.GreaterEqual(node.lhs, node.low)
            high = ast.LessEqual(node.lhs, node.high)
            both = self.comparison(low) & self.comparison(high)
            return ~both if node.not_ else both
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node.lhs, node.rhs, node.op.name)
        if isinstance(node, ast.BBox):
            box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return self.spatial(node.lhs, box, "INTERSECTS")
        name = type(node).__name__
        raise CqlError(f"filter: {name} is not supported here (see /conformance)")

    def expression(self, node: Any) -> Any:
        if isinstance(node, ast.Attribute):
            queryable = self.known.get(node.name)
            if queryable is None:
                raise CqlError(f"filter: {node.name!r} is not a queryable of this collection")
            column = self.frame.geometry.name if node.name == "geometry" else node.name
            series = self.frame[column]
            if queryable.format == "date-time":
                series = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
                return _Column(series, "date-time", node.name)
            return _Column(series, queryable.type, node.name)
        if isinstance(node, ast.Function):
            return self.function(node)
        if isinstance(node, values.Geometry):
            try:
                shape = shapely.geometry.shape(node.geometry)
            except Exception:
                raise CqlError("filter: a geometry literal is not valid") from None
            if shape.is_empty or not np.isfinite(shapely.get_coordinates(shape)).all():
                raise CqlError("filter: a geometry literal is empty or not finite")
            return shape
        if isinstance(node, values.Envelope):
            raise CqlError("filter: ENVELOPE is not CQL2; use BBOX")
        if isinstance(node, str):
            return node.replace(_QUOTE, "'")
        if isinstance(node, bool | int | float | dt.date | dt.datetime):
            if isinstance(node, float) and not np.isfinite(node):
                raise CqlError("filter: numbers must be finite")
            return node
        if node is None:
            return None
        name = type(node).__name__
        raise CqlError(f"filter: {name} is not supported here (see /conformance)")

    def function(self, node: ast.Function) -> Any:
        name = node.name.lower()
        args = [self.expression(a) for a in node.arguments]
        if name == "bbox" and len(args) in (4, 6):
            if not all(_kind(a) in ("integer", "number") for a in args):
                raise CqlError("filter: BBOX takes four numbers")
            box = [args[0], args[1], args[3], args[4]] if len(args) == 6 else args
            return shapely.box(*box)
        if name in ("lower", "accenti") and len(args) == 1:
            arg = args[0]
            if isinstance(arg, _Column):
                if arg.type != "string":
                    raise CqlError(f"filter: {name.upper()} takes text; {arg.name} is not")
                text = arg.values.astype("str")
                fold = text.str.lower() if name == "lower" else _strip_accents(text)
                return _Column(fold, "string", arg.name)
            if not isinstance(arg, str):
                raise CqlError(f"filter: {name.upper()} takes text")
            return arg.lower() if name == "lower" else _strip_accents(pd.Series([arg])).iloc[0]
        shown = "CASEI" if name == "lower" else node.name.upper()
        raise CqlError(f"filter: the function {shown} is not supported here")

    def _pair(self, lhs: Any, rhs: Any) -> tuple[Any, Any]:
        """Two operands of a comparison, checked for type, dates made comparable."""
        a, b = self.expression(lhs), self.expression(rhs)
        ka = a.type if isinstance(a, _Column) else _kind(a)
        kb = b.type if isinstance(b, _Column) else _kind(b)
        if (
            "geometry" in (ka, kb)
            or isinstance(a, shapely.Geometry)
            or isinstance(b, shapely.Geometry)
        ):
            raise CqlError("filter: compare geometries with the S_ functions")
        if a is None or b is None:
            raise CqlError("filter: compare with NULL using IS NULL")
        if not _compatible(ka, kb):
            what = f"{getattr(a, 'name', a)!r} is {ka}, {getattr(b, 'name', b)!r} is {kb}"
            raise CqlError(f"filter: cannot compare: {what}")
        return _instant(a), _instant(b)

    def comparison(self, node: Any) -> Any:
        a, b = self._pair(node.lhs, node.rhs)
        method = _COMPARE[node.op]
        if not isinstance(a, _Column) and not isinstance(b, _Column):
            return pd.array(np.full(self.n, getattr(a, method)(b) is True), dtype="boolean")
        if not isinstance(a, _Column):  # literal op column: turned around
            flipped = {"__lt__": "__gt__", "__le__": "__ge__", "__gt__": "__lt__"}
            method = {**flipped, "__ge__": "__le__"}.get(method, method)
            a, b = b, a
        valid = a.values.notna().to_numpy(dtype=bool)
        other = b.values if isinstance(b, _Column) else b
        if isinstance(b, _Column):
            valid = valid & b.values.notna().to_numpy(dtype=bool)  # (a read-only view)
        result = np.zeros(self.n, dtype=bool)
        if valid.any():
            left = a.values[valid]
            right = other[valid] if isinstance(other, pd.Series) else other
            result[valid] = np.asarray(getattr(left, method)(right), dtype=bool)
        return self._truth(valid, result)

    def like(self, node: ast.Like) -> Any:
        column = self.expression(node.lhs)
        pattern = self.expression(node.pattern)
        if not isinstance(column, _Column) or column.type != "string":
            raise CqlError("filter: LIKE takes a text property on its left")
        if not isinstance(pattern, str):
            raise CqlError("filter: LIKE takes a text pattern on its right")
        valid = column.values.notna().to_numpy(dtype=bool)
        result = np.zeros(self.n, dtype=bool)
        if valid.any():
            text = column.values[valid].astype("str")
            result[valid] = text.str.match(_like_regex(pattern)).to_numpy(dtype=bool)
        out = self._truth(valid, result)
        return ~out if node.not_ else out

    def in_(self, node: ast.In) -> Any:
        column = self.expression(node.lhs)
        if not isinstance(column, _Column):
            raise CqlError("filter: IN takes a property on its left")
        options = [_instant(self.expression(v)) for v in node.sub_nodes]
        for option in options:
            if isinstance(option, _Column) or not _compatible(column.type, _kind(option)):
                raise CqlError(f"filter: IN: {option!r} is not a {column.type} literal")
        column = _instant(column)
        valid = column.values.notna().to_numpy(dtype=bool)
        result = np.zeros(self.n, dtype=bool)
        if valid.any():
            result[valid] = column.values[valid].isin(options).to_numpy(dtype=bool)
        out = self._truth(valid, result)
        return ~out if node.not_ else out

    def spatial(self, lhs: Any, rhs: Any, op: str) -> Any:
        a = self.expression(lhs) if not isinstance(lhs, shapely.Geometry) else lhs
        b = self.expression(rhs) if not isinstance(rhs, shapely.Geometry) else rhs
        if isinstance(a, shapely.Geometry) and isinstance(b, _Column):
            a, b = b, a
            op = {"CONTAINS": "WITHIN", "WITHIN": "CONTAINS"}.get(op, op)
        if not (isinstance(a, _Column) and a.type == "geometry"):
            raise CqlError(f"filter: S_{op} takes the geometry property and a geometry")
        if not isinstance(b, shapely.Geometry):
            raise CqlError(f"filter: S_{op} takes a geometry literal or BBOX")
        shapes = np.asarray(a.values.values)
        valid = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
        result = np.zeros(self.n, dtype=bool)
        try:
            result[valid] = _SPATIAL[op](shapes[valid], b)
        except shapely.errors.GEOSException:
            raise CqlError("filter: the geometry literal is not valid") from None
        return self._truth(valid, result)


def _instant(value: Any) -> Any:
    """Dates and timestamps as UTC timestamps, so they compare with date-time columns."""
    if isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if isinstance(value, dt.date):
        return pd.Timestamp(value, tz="UTC")
    return value


def _strip_accents(text: pd.Series) -> pd.Series:
    return text.str.normalize("NFD").str.replace(r"\p{Mn}", "", regex=True)


def _like_regex(pattern: str) -> str:
    """An RE2 expression matching what a CQL2 LIKE pattern matches: ``%`` any run of
    characters, ``_`` one character, ``\\`` escaping the next one."""
    out, k = ["(?s)^"], 0
    while k < len(pattern):
        char = pattern[k]
        if char == "\\" and k + 1 < len(pattern):
            out.append(re.escape(pattern[k + 1]))
            k += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        k += 1
    out.append("$")
    return "".join(out)


def evaluate(node: ast.Node, frame: Any, known: Mapping[str, Queryable]) -> np.ndarray:
    """The rows of ``frame`` a parsed CQL2 expression selects.

    Parameters
    ----------
    node : pygeofilter.ast.Node
        From ``parse``.
    frame : geopandas.GeoDataFrame
        The rows to test (a snapshot, or some of its rows).
    known : mapping of str to Queryable
        The collection's queryables: any other property is refused before evaluation.

    Returns
    -------
    numpy.ndarray of bool
        True where the expression is true (unknown counts as not selected).

    Raises
    ------
    CqlError
        For an unknown property, a type mismatch or an unsupported operator or function.
    """
    try:
        result = _Evaluator(frame, known).predicate(node)
    except CqlError:
        raise
    except RecursionError:
        raise CqlError("filter: nested too deep") from None
    except (TypeError, ValueError) as exc:
        raise CqlError(f"filter: cannot evaluate ({str(exc)[:200]})") from None
    return np.asarray(result.fillna(False), dtype=bool)
