"""The ``Initiative`` pydantic model, derived from the field table.

Each field gets one before-validator built from its ``FieldSpec`` (coercion of form and file
values, code lists, ranges, text hygiene); cross-field rules live in one after-validator.
Every error is a ``PydanticCustomError`` whose message is already in the user's language;
``validate_record`` turns them into ``Problem`` rows.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Annotated, Any

import numpy as np
import shapely
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from shapely.geometry.base import BaseGeometry

from registry.errors import Problem, ValidationFailed
from registry.i18n import tr
from registry.schema.codes import CODE_LISTS, STAGE, label
from registry.schema.codes import fold as _fold
from registry.schema.fields import FIELDS, USERNAME, FieldSpec

__all__ = [
    "USERNAME",
    "Initiative",
    "coerce_geometry",
    "plain",
    "text_limit",
    "to_period",
    "validate_record",
    "validate_records",
]

_CTRL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CTRL_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "y", "si", "sí", "s", "verdadero", "x"}
_FALSE = {"false", "0", "no", "n", "falso"}
_IAP_GEOMS = {"Point"}
_BARRIO_GEOMS = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}


def _err(key: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError("iap", "{msg}", {"msg": tr(key, **values)})


def _code_lookup(list_name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for c in CODE_LISTS[list_name]:
        for key in (c.es, c.en, c.code):  # codes win over labels on a clash
            table[_fold(key)] = c.code
    return table


_LOOKUPS = {name: _code_lookup(name) for name in CODE_LISTS}


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _to_code(spec: FieldSpec, value: Any) -> str:
    assert spec.code_list
    table = _LOOKUPS[spec.code_list]
    # keys are folded already: a value equal to one needs no folding (the usual case)
    code = table.get(value) if isinstance(value, str) else None
    if code is None:
        code = table.get(_fold(str(value)))
    if code is None:
        # labels in the reader's language (a file may use them as well as the codes)
        allowed = " · ".join(label(spec.code_list, c.code) for c in CODE_LISTS[spec.code_list])
        raise _err("unknown_code", value=str(value)[:80], allowed=allowed)
    return code


def _to_int(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise _err("bad_type", detail=str(value))
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise _err("bad_type", detail=str(value))
        value = int(value)
    elif not isinstance(value, int):
        text = str(value).strip().replace(" ", "")
        if re.fullmatch(r"[+-]?\d+", text):
            value = int(text)
        elif re.fullmatch(r"[+-]?\d+[.,]0*", text):
            value = int(re.split(r"[.,]", text)[0])
        else:
            raise _err("bad_type", detail=text[:80])
    if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
        raise _err("out_of_range", value=value, lo=spec.lo, hi=spec.hi)
    return int(value)


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_PERIOD = re.compile(r"(\d{4})(?:\s*-?\s*[QqTt]([1-4]))?")


def _to_number(value: Any) -> float:
    """A finite number from a number or text (decimal comma or point, no thousands marks)."""
    if isinstance(value, bool):
        raise _err("bad_type", detail=str(value))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(" ", "").replace("\u00a0", "")
        if not _NUMBER.fullmatch(text):
            raise _err("bad_number", value=text[:80])
        number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise _err("bad_number", value=str(value)[:80])
    return number


def to_period(value: Any) -> str:
    """Return a reporting period as ``YYYY`` (a year) or ``YYYY-Qn`` (a quarter).

    Spanish ``T`` (trimestre) is read as ``Q``; the year lies in 1950–2100.

    Examples
    --------
    >>> to_period("2025-T2"), to_period(2024), to_period("2025q4")
    ('2025-Q2', '2024', '2025-Q4')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    match = _PERIOD.fullmatch(text)
    if not match or not 1950 <= int(match[1]) <= 2100:
        raise _err("bad_period", value=text[:40])
    return match[1] if match[2] is None else f"{match[1]}-Q{match[2]}"


def _text_cap() -> int | None:
    setting = os.environ.get("IAP_REGISTRY_MAX_TEXT_CHARS", "").strip()
    return int(setting) if setting.isdigit() and int(setting) > 0 else None


# the setting as read once for a whole batch (validate_records), else read per call
_BATCH_CAP: ContextVar[tuple[int | None] | None] = ContextVar("iap_text_cap", default=None)


def text_limit(spec: FieldSpec) -> int | None:
    """The longest text ``spec`` takes: its own limit, lowered (never raised) by the
    ``IAP_REGISTRY_MAX_TEXT_CHARS`` setting."""
    batch = _BATCH_CAP.get()
    cap = batch[0] if batch is not None else _text_cap()
    if cap is None:
        return spec.max_len
    return cap if spec.max_len is None else min(spec.max_len, cap)


def _to_text(spec: FieldSpec, value: Any) -> str:
    text = unicodedata.normalize("NFC", str(value)).strip()
    pattern = _CTRL_LONG if spec.type == "longtext" else _CTRL_LINE
    if pattern.search(text):
        raise _err("control_chars")
    limit = text_limit(spec)
    if limit is not None and len(text) > limit:
        raise _err("too_long", n=len(text), max=limit)
    return text


def coerce_geometry(value: Any) -> BaseGeometry:
    """Return a valid, non-empty shapely geometry in lon/lat from a geometry, WKT or GeoJSON.

    Raises ``PydanticCustomError`` with a message in the user's language otherwise.
    """
    if isinstance(value, BaseGeometry):
        geom = value
    elif isinstance(value, str):
        try:
            geom = shapely.from_wkt(value.strip())
        except shapely.errors.ShapelyError as exc:
            raise _err("import_wkt", reason=str(exc)[:120]) from None
    elif isinstance(value, Mapping) or hasattr(value, "__geo_interface__"):
        try:
            geom = shapely.geometry.shape(value)
        except Exception as exc:  # shapely raises several types for bad GeoJSON
            raise _err("geom_invalid", reason=str(exc)[:120]) from None
    else:
        raise _err("bad_type", detail=type(value).__name__)
    if geom.is_empty:
        raise _err("geom_empty")
    if geom.geom_type not in _BARRIO_GEOMS:
        raise _err("geom_type", gtype=geom.geom_type)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise _err("coord_not_finite")
    outside = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if outside.any():
        x, y = coords[outside][0]
        raise _err("coord_range", lon=float(x), lat=float(y))
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if not geom.is_valid:
        raise _err("geom_invalid", reason=shapely.is_valid_reason(geom))
    return geom


def _coerce(spec: FieldSpec, value: Any) -> Any:
    if _blank(value) or (spec.is_list and value in ([], ())):
        if spec.required:
            raise _err("required")
        return [] if spec.is_list else None
    t = spec.type
    if t in ("text", "longtext"):
        return _to_text(spec, value)
    if t == "int":
        return _to_int(spec, value)
    if t == "code":
        return _to_code(spec, value)
    if t == "codes":
        items = value if isinstance(value, list | tuple) else re.split(r"[|;,]", str(value))
        codes = [_to_code(spec, v) for v in items if not _blank(v)]
        return list(dict.fromkeys(codes))
    if t == "usernames":
        items = value if isinstance(value, list | tuple) else re.split(r"[|;,\s]+", str(value))
        names = [str(v).strip() for v in items if not _blank(v)]
        for name in names:
            if not USERNAME.fullmatch(name):
                raise _err("bad_username", value=name[:80])
        return list(dict.fromkeys(names))
    if t == "bool":
        if isinstance(value, bool):
            return value
        folded = _fold(str(value))
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise _err("bad_bool")
    if t == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise _err("bad_date") from None
    if t == "url":
        text = _to_text(spec, value)
        if not _URL.match(text):
            raise _err("bad_url")
        return text
    if t == "email":
        text = _to_text(spec, value)
        if not _EMAIL.match(text):
            raise _err("bad_email")
        return text
    if t == "uuid":
        try:
            return str(uuid.UUID(str(value).strip()))
        except ValueError:
            raise _err("bad_uuid") from None
    if t == "geometry":
        return coerce_geometry(value)
    if t == "number":
        return _to_number(value)
    if t == "period":
        return to_period(value)
    raise AssertionError(f"unknown field type {t}")


def _validator(spec: FieldSpec) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        return _coerce(spec, value)

    return validate


_STAGE_KIND = {c.code: c.applies_to for c in STAGE}
_BARRIO_ONLY = tuple(spec for spec in FIELDS if spec.barrio_only)


def _fail(errors: list[tuple[str, str, Any]]) -> None:
    details = [
        InitErrorDetails(type=_err(key, **ctx), loc=(field,), input=None)
        for field, key, ctx in errors
    ]
    raise ValidationError.from_exception_data("Initiative", details)


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """The values as validated: a barrio's type and a blank status filled in (in place)."""
    if _blank(data.get("initiative_type")) and data.get("kind") == "barrio_comercial":
        data["initiative_type"] = "commercial_district"
    if _blank(data.get("status")):
        data["status"] = "draft"
    return data


def _cross_errors(v: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The rules across fields, on values that passed their own: (field, message key,
    message values) for each one broken."""
    errors: list[tuple[str, str, dict[str, Any]]] = []
    kind, geom = v["kind"], v["geometry"]
    if kind == "iap":
        for spec in _BARRIO_ONLY:
            if v[spec.name] not in (None, []):
                errors.append((spec.name, "barrio_field_on_iap", {}))
        if geom is not None and geom.geom_type not in _IAP_GEOMS:
            errors.append(("geometry", "geom_type_kind", {"gtype": geom.geom_type}))
    stage = v["stage"]
    if stage and _STAGE_KIND[stage] != kind:
        errors.append(("stage", "stage_kind", {"stage": stage, "kind": kind}))
    if v["start_year"] and v["end_year"] and v["end_year"] < v["start_year"]:
        errors.append(
            ("end_year", "end_before_start", {"start": v["start_year"], "end": v["end_year"]})
        )
    precision = v["location_precision"]
    if v["country"] is None and len(v["other_countries"]) < 2:
        errors.append(("country", "country_required", {}))
    if geom is None:
        needs = (
            precision in ("exact", "street")
            or (precision == "comuna" and not v["comuna_code"])
            or (precision == "region" and not v["region_code"])
        )
        if needs:
            errors.append(("geometry", "geom_required", {"precision": precision}))
    return errors


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = _with_defaults(dict(data))
        return data

    @model_validator(mode="after")
    def _cross_field(self) -> _Base:
        errors = _cross_errors(self.__dict__)
        if errors:
            _fail(errors)
        return self


def _build_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in FIELDS:
        annotated = Annotated[Any, BeforeValidator(_validator(spec))]
        # A missing optional field takes the value a blank one validates to (None or []),
        # without running its validator; a missing required one is validated (and fails).
        if spec.required:
            field = Field(default=None, title=spec.en, validate_default=True)
        elif spec.is_list:
            field = Field(default_factory=list, title=spec.en)
        else:
            field = Field(default=None, title=spec.en)
        fields[spec.name] = (annotated, field)
    return create_model("Initiative", __base__=_Base, **fields)


Initiative = _build_model()
Initiative.__doc__ = """One registry entry (an IAP or a barrio comercial), validated.

Build it with ``Initiative.model_validate(values)``; ``values`` may hold strings as typed in a
form or read from a CSV (codes or their labels, ``"sí"``/``"no"``, WKT or GeoJSON geometry).
"""


def _problems(exc: ValidationError, row: int | None) -> list[Problem]:
    out = []
    for e in exc.errors(include_url=False):
        field = str(e["loc"][0]) if e["loc"] else "-"
        if e["type"] == "extra_forbidden":
            msg = tr("unknown_field", field=field)
        elif e["type"] == "iap":
            msg = e["msg"]
        else:  # pragma: no cover - every field has its own validator
            msg = tr("bad_type", detail=e["msg"])
        out.append(Problem(row, field, msg))
    return out


def validate_record(values: Mapping[str, Any], row: int | None = None) -> Any:
    """Validate one entry; return the ``Initiative`` or raise ``ValidationFailed``.

    Examples
    --------
    >>> rec = validate_record({"name": "Clúster", "kind": "iap", "initiative_type": "cluster",
    ...     "country": "CL", "location_precision": "country", "sector": "Turismo"})
    >>> rec.sector, rec.status
    ('tourism', 'draft')
    """
    try:
        return Initiative.model_validate(dict(values))
    except ValidationError as exc:
        raise ValidationFailed(_problems(exc, row)) from None


_MISSING = object()
_FIELD_NAMES = frozenset(spec.name for spec in FIELDS)
_LIST_FIELDS = tuple(spec.name for spec in FIELDS if spec.is_list)
_GEOM_TYPE_IDS = np.array([0, 1, 3, 4, 5, 6])  # Point ... MultiPolygon (_BARRIO_GEOMS)


def _column(spec: FieldSpec, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """One field's values for a whole batch, coerced as ``_coerce`` does value by value;
    return the results and, by position, the messages of the values it refuses.

    A value repeated in the batch (codes, years, a programme) is coerced once; a list
    result is copied for each row, so no two entries share one.
    """
    is_list, required = spec.is_list, spec.required
    errors: dict[int, str] = {}
    if not required and all(value is _MISSING for value in values):  # a column not in the file
        return ([[] for _ in values] if is_list else [None] * len(values)), errors
    out: list[Any] = [None] * len(values)
    memo: dict[tuple[type, Any], tuple[bool, Any]] = {}
    for i, value in enumerate(values):
        if value is _MISSING:  # no such column for this row: the default, unvalidated
            if not required:
                out[i] = [] if is_list else None
                continue
            value = None
        try:
            key: tuple[type, Any] | None = (type(value), value)
            hit = memo.get(key, None)  # type: ignore[arg-type]
        except TypeError:  # unhashable (a list, a GeoJSON mapping)
            key, hit = None, None
        if hit is None:
            try:
                hit = (True, _coerce(spec, value))
            except PydanticCustomError as exc:
                hit = (False, exc.message())
            if key is not None:
                memo[key] = hit
        ok, result = hit
        if ok:
            out[i] = list(result) if isinstance(result, list) else result
        else:
            errors[i] = result
    return out, errors


def _geometry_column(spec: FieldSpec, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """The geometry column as ``_column`` would give it, with the checks of
    ``coerce_geometry`` run on all WKT texts and geometries at once; any value they do not
    pass outright goes through ``coerce_geometry`` itself, for its message."""
    n = len(values)
    geoms = np.full(n, None, dtype=object)
    wkt = [i for i, v in enumerate(values) if isinstance(v, str) and v.strip()]
    if wkt:
        texts = np.array([values[i].strip() for i in wkt], dtype=object)
        geoms[wkt] = shapely.from_wkt(texts, on_invalid="ignore")
    for i, v in enumerate(values):
        if isinstance(v, BaseGeometry):
            geoms[i] = v
    ok = ~shapely.is_missing(geoms)
    ok[ok] &= ~shapely.is_empty(geoms[ok])
    ok[ok] &= np.isin(shapely.get_type_id(geoms[ok]), _GEOM_TYPE_IDS)
    if ok.any():
        where = np.flatnonzero(ok)
        coords, index = shapely.get_coordinates(geoms[where], return_index=True)
        bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180)
        bad |= np.abs(coords[:, 1]) > 90
        ok[where[np.unique(index[bad])]] = False
        where = np.flatnonzero(ok & shapely.has_z(geoms))
        geoms[where] = shapely.force_2d(geoms[where])
        ok[ok] &= shapely.is_valid(geoms[ok])
    others = [v if not ok[i] else _MISSING for i, v in enumerate(values)]
    out, errors = _column(spec, others)
    for i in np.flatnonzero(ok).tolist():
        out[i] = geoms[i]
    return out, errors


def _trusted(values: dict[str, Any], fields_set: set[str]) -> Any:
    """An ``Initiative`` of values already validated: what ``Initiative.model_construct``
    builds for this model (no aliases, defaults or post-init to apply; every field given),
    without its per-field loop, a third of a batch's validation time."""
    model = Initiative.__new__(Initiative)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def plain(model: Any) -> dict[str, Any]:
    """An ``Initiative``'s values as ``model.model_dump()`` gives them (lists copied; dates
    and geometries as they are), without going through pydantic's serialiser."""
    values = dict(model.__dict__)
    for name in _LIST_FIELDS:
        values[name] = list(values[name])
    return values


def validate_records(
    rows: Sequence[Mapping[str, Any]], first_row: int = 1
) -> tuple[list[BaseModel | None], list[Problem]]:
    """Validate many entries; return the valid models (None where invalid) and every problem.

    The result is the same as ``validate_record`` on each row (a test holds them equal), but
    the batch is checked a field at a time: each distinct value of a field is coerced once,
    geometries are checked as arrays, and only the rules across fields run row by row.
    """
    token = _BATCH_CAP.set((_text_cap(),))
    try:
        data = [_with_defaults(dict(values)) for values in rows]
        present = set().union(*data)
        # fields no row has and none requires take their defaults, unvalidated
        given = [spec for spec in FIELDS if spec.name in present or spec.required]
        columns: list[list[Any]] = []
        failed: dict[str, dict[int, str]] = {}
        for spec in given:
            build = _geometry_column if spec.type == "geometry" else _column
            column, errors = build(spec, [d.get(spec.name, _MISSING) for d in data])
            columns.append(column)
            if errors:
                failed[spec.name] = errors
    finally:
        _BATCH_CAP.reset(token)
    names = [spec.name for spec in given]
    empty_lists = [s.name for s in FIELDS if s.is_list and s.name not in names]
    template = dict.fromkeys(spec.name for spec in FIELDS)  # the fields' order
    unknown = present - _FIELD_NAMES
    models: list[BaseModel | None] = []
    problems: list[Problem] = []
    for r, (entry, row_values) in enumerate(zip(data, zip(*columns, strict=True), strict=True)):
        row = first_row + r
        found = [Problem(row, name, errors[r]) for name, errors in failed.items() if r in errors]
        if unknown:
            found += [
                Problem(row, str(k), tr("unknown_field", field=k))
                for k in entry
                if k not in _FIELD_NAMES
            ]
        if not found:
            record = template.copy()
            record.update(zip(names, row_values, strict=True))
            for name in empty_lists:
                record[name] = []
            crossed = _cross_errors(record)
            if not crossed:
                models.append(_trusted(record, entry.keys() & _FIELD_NAMES))
                continue
            found = [Problem(row, field, tr(key, **ctx)) for field, key, ctx in crossed]
        problems += found
        models.append(None)
    return models, problems
