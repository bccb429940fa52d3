"""Reverse geocoding of many locations at once, and the location checks of an import.

``reverse_geocode`` answers region and comuna codes for arrays of lon/lat with one spatial
index query. ``resolve_locations`` checks entries against the boundaries of their declared
country and fills (or refuses) their region and comuna codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely

from registry.errors import Problem
from registry.geo.boundaries import comunas, has_boundaries, place_point
from registry.i18n import tr
from registry.schema.codes import label

__all__ = ["COAST_TOLERANCE_DEG", "LocationFix", "resolve_locations", "reverse_geocode"]

# Simplified coastlines cut off piers and beaches: a point this close to a comuna (in degrees,
# about 300 m) belongs to it; farther out at sea it is an error.
COAST_TOLERANCE_DEG = 0.003

# Below this many points a tree query beats one pass per comuna over the whole array.
_FEW_POINTS = 10_000  # measured crossover on shuffled random points: about 10k


@dataclass(frozen=True)
class _ComunaIndex:
    polygons: np.ndarray  # prepared shapely polygons
    bounds: np.ndarray  # (n, 4) minx, miny, maxx, maxy
    tree: shapely.STRtree
    columns: dict[str, np.ndarray]


@lru_cache(maxsize=1)
def _comuna_index() -> _ComunaIndex:
    table = comunas()
    polygons = table.geometry.values.copy()
    shapely.prepare(polygons)
    cols = ("region_code", "comuna_code", "region_name", "comuna_name")
    return _ComunaIndex(
        polygons,
        shapely.bounds(polygons),
        shapely.STRtree(polygons),
        {c: table[c].to_numpy() for c in cols},
    )


def reverse_geocode(lon: Any, lat: Any) -> pd.DataFrame:
    """Return region and comuna (codes and names) for each lon/lat pair; None outside Chile.

    Parameters
    ----------
    lon, lat : array-like of float
        WGS84 coordinates.

    Returns
    -------
    pandas.DataFrame
        Columns ``region_code, comuna_code, region_name, comuna_name``, one row per input.

    Examples
    --------
    >>> reverse_geocode([-70.65], [-33.44]).comuna_name.tolist()
    ['Santiago']
    """
    lon = np.asarray(lon, dtype="float64").ravel()
    lat = np.asarray(lat, dtype="float64").ravel()
    index = _comuna_index()
    idx = np.full(len(lon), -1, dtype="int64")
    # A point on a shared border belongs to the comuna that comes first in the table.
    if len(lon) < _FEW_POINTS:
        # Few points: bounding-box candidates from the tree, then the exact test.
        pts_i, poly_i = index.tree.query(shapely.points(lon, lat))
        hit = shapely.intersects_xy(index.polygons[poly_i], lon[pts_i], lat[pts_i])
        pts_i, poly_i = pts_i[hit], poly_i[hit]
        order = np.lexsort((poly_i, pts_i))
        pts_i, poly_i = pts_i[order], poly_i[order]
        first = np.r_[True, pts_i[1:] != pts_i[:-1]] if len(pts_i) else pts_i.astype(bool)
        idx[pts_i[first]] = poly_i[first]
    else:
        # Many points: one pass per comuna over the plain coordinate arrays (bounding-box
        # mask, then the test on the prepared polygon). Creating 100k point objects and
        # querying the tree with them is several times slower (see bench/boundaries.py).
        for k, (x0, y0, x1, y1) in enumerate(index.bounds):
            box = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1) & (idx < 0)
            cand = np.flatnonzero(box)
            if len(cand):
                inside = shapely.intersects_xy(index.polygons[k], lon[cand], lat[cand])
                idx[cand[inside]] = k
    missing = np.flatnonzero((idx < 0) & np.isfinite(lon) & np.isfinite(lat))
    if len(missing):
        near_pt, near_poly = index.tree.query_nearest(
            shapely.points(lon[missing], lat[missing]),
            max_distance=COAST_TOLERANCE_DEG,
            all_matches=False,
        )
        idx[missing[near_pt]] = near_poly
    found = idx >= 0
    out = {}
    for name, values in index.columns.items():
        col = np.full(len(lon), None, dtype=object)
        col[found] = values[idx[found]]
        out[name] = pd.Series(col, dtype=object)  # keep None: no string-dtype inference
    return pd.DataFrame(out)


@dataclass(frozen=True)
class LocationFix:
    """What the location checks decided for one entry."""

    region_code: str | None
    comuna_code: str | None
    geometry: Any  # shapely geometry or None


def _anchor(geom: Any) -> shapely.Point:
    return geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)


def resolve_locations(
    records: list[Any], first_row: int = 1
) -> tuple[list[LocationFix | None], list[Problem]]:
    """Check every entry's location against its country and fill its region/comuna codes.

    Parameters
    ----------
    records : list of Initiative
        Validated entries (``None`` items, from rows that failed validation, are skipped).
    first_row : int
        Row number of ``records[0]`` in the user's file, for the report.

    Returns
    -------
    fixes, problems
        One ``LocationFix`` per record (``None`` where a problem was found or skipped), and
        the row-numbered problems.
    """
    fixes: list[LocationFix | None] = [None] * len(records)
    problems: list[Problem] = []
    cl_table = comunas()
    comuna_region = dict(zip(cl_table.comuna_code, cl_table.region_code, strict=True))
    region_names = dict(zip(cl_table.region_code, cl_table.region_name, strict=True))

    with_geom = [i for i, r in enumerate(records) if r is not None and r.geometry is not None]
    anchors = [_anchor(records[i].geometry) for i in with_geom]
    xs = np.array([p.x for p in anchors])
    ys = np.array([p.y for p in anchors])
    # plain tuples: a pandas row per entry costs more than the geocoding itself
    direct = list(reverse_geocode(xs, ys).itertuples(index=False)) if with_geom else None
    swapped = list(reverse_geocode(ys, xs).itertuples(index=False)) if with_geom else None
    geo_row = {i: k for k, i in enumerate(with_geom)}

    for i, rec in enumerate(records):
        if rec is None:
            continue
        row = first_row + i
        bad = len(problems)
        country = rec.country
        region, comuna = rec.region_code, rec.comuna_code
        if country is not None and not has_boundaries(country) and (region or comuna):
            field = "comuna_code" if comuna else "region_code"
            problems.append(Problem(row, field, tr("codes_only_chile", country=country)))
            continue
        if country == "CL":
            if comuna and comuna not in comuna_region:
                problems.append(
                    Problem(
                        row, "comuna_code", tr("code_not_in_country", value=comuna, country="Chile")
                    )
                )
            if region and region not in region_names:
                problems.append(
                    Problem(
                        row, "region_code", tr("code_not_in_country", value=region, country="Chile")
                    )
                )
            if (
                comuna in comuna_region
                and region in region_names
                and comuna_region[comuna] != region
            ):
                problems.append(
                    Problem(
                        row, "comuna_code", tr("comuna_not_in_region", comuna=comuna, region=region)
                    )
                )
        geom = rec.geometry
        if geom is not None:
            k = geo_row[i]
            lon, lat = round(float(xs[k]), 6), round(float(ys[k]), 6)
            hit = direct[k] if direct is not None else None
            in_chile = hit is not None and hit.comuna_code is not None
            if country == "CL" and not in_chile:
                swap = swapped[k] if swapped is not None else None
                if swap is not None and swap.comuna_code is not None:
                    msg = tr("coord_swapped", lon=lon, lat=lat, country="Chile")
                else:
                    msg = tr("coord_outside_country", lon=lon, lat=lat, country="Chile")
                problems.append(Problem(row, "geometry", msg))
            elif country not in ("CL", None) and in_chile:
                name = label("country", country)
                problems.append(
                    Problem(
                        row, "geometry", tr("coord_outside_country", lon=lon, lat=lat, country=name)
                    )
                )
            elif country == "CL" and hit is not None:
                if comuna and comuna != hit.comuna_code and comuna in comuna_region:
                    found = f"{hit.comuna_name} ({hit.comuna_code})"
                    problems.append(
                        Problem(
                            row,
                            "comuna_code",
                            tr(
                                "code_contradicts_location",
                                field="comuna_code",
                                given=comuna,
                                found=found,
                            ),
                        )
                    )
                if region and region != hit.region_code and region in region_names:
                    found = f"{hit.region_name} ({hit.region_code})"
                    problems.append(
                        Problem(
                            row,
                            "region_code",
                            tr(
                                "code_contradicts_location",
                                field="region_code",
                                given=region,
                                found=found,
                            ),
                        )
                    )
                precision = rec.location_precision
                keep_comuna = precision not in ("region", "country", "multi_country")
                region = hit.region_code if precision != "country" else region
                comuna = hit.comuna_code if keep_comuna else comuna
        elif country == "CL" and rec.location_precision in ("comuna", "region"):
            if comuna in comuna_region:
                region = comuna_region[comuna]
            use_comuna = comuna if rec.location_precision == "comuna" else None
            geom = place_point(region, use_comuna)
        if len(problems) == bad:
            fixes[i] = LocationFix(region, comuna, geom)
    return fixes, problems
