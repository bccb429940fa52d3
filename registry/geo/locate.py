"""Reverse geocoding of many locations at once, and the location checks of an import.

``reverse_geocode`` answers country, admin-1 and (in Chile) comuna codes for arrays of
lon/lat with one spatial index over Chile's comunas and the other countries' admin-1 units.
``resolve_locations`` checks entries against the boundaries of their declared country and
fills (or refuses) their region and comuna codes.

The index is written here, not taken from ``geopandas.sjoin``: for many points one pass per
polygon over the plain coordinate arrays is faster than building point objects (measured in
``bench/boundaries.py`` against ``sjoin`` on the same points).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from registry.errors import Problem
from registry.geo.boundaries import ADMIN1_SOURCE, BoundarySet, default_boundaries
from registry.i18n import tr
from registry.schema.codes import label

__all__ = [
    "COAST_TOLERANCE_DEG",
    "LocationFix",
    "admin1_codes",
    "resolve_locations",
    "reverse_geocode",
    "unit_codes",
]

# Simplified coastlines cut off piers and beaches: a point this close to a comuna (in degrees,
# about 300 m) belongs to it; farther out at sea it is an error.
COAST_TOLERANCE_DEG = 0.003
# Natural Earth's units are coarser (1:10 million, then simplified by 0.01°): a point within
# about 2 km of one of them belongs to it.
NE_COAST_TOLERANCE_DEG = 0.02

# Below this many points a tree query beats one pass per comuna over the whole array.
_FEW_POINTS = 10_000  # measured crossover on shuffled random points: about 10k


@dataclass(frozen=True)
class _Index:
    polygons: np.ndarray  # prepared shapely polygons
    bounds: np.ndarray  # (n, 4) minx, miny, maxx, maxy
    tree: shapely.STRtree
    tolerance: np.ndarray  # how far off its coast a point still belongs to each polygon
    columns: dict[str, np.ndarray]


_COLUMNS = ("country", "region_code", "comuna_code", "region_name", "comuna_name")


_INDEXES: dict[str, _Index] = {}  # by BoundarySet.key; a few sets per process at most


def _index(boundaries: BoundarySet | None = None) -> _Index:
    """Chile's comunas, then the other countries' admin-1 units: a point on a shared border
    (or in a sliver where two sources overlap) goes to the first, so Chile's official
    boundaries win over Natural Earth's drawing of its neighbours."""
    bset = boundaries or default_boundaries()
    found = _INDEXES.get(bset.key)
    if found is not None:
        return found
    cl = bset.comunas
    other = bset.admin1[bset.admin1["country"] != "CL"]
    polygons = np.concatenate([cl.geometry.values, other.geometry.values])
    shapely.prepare(polygons)
    none = np.full(len(other), None, dtype=object)
    columns = {
        "country": np.concatenate([np.full(len(cl), "CL", dtype=object), other["country"]]),
        "region_code": np.concatenate([cl["region_code"], other["region_code"]]).astype(object),
        "comuna_code": np.concatenate([cl["comuna_code"].to_numpy(dtype=object), none]),
        "region_name": np.concatenate([cl["region_name"], other["region_name"]]).astype(object),
        "comuna_name": np.concatenate([cl["comuna_name"].to_numpy(dtype=object), none]),
    }
    official = other["source"].to_numpy() != ADMIN1_SOURCE  # full-detail official units
    tolerance = np.r_[
        np.full(len(cl), COAST_TOLERANCE_DEG),
        np.where(official, COAST_TOLERANCE_DEG, NE_COAST_TOLERANCE_DEG),
    ]
    index = _Index(
        polygons, shapely.bounds(polygons), shapely.STRtree(polygons), tolerance, columns
    )
    if len(_INDEXES) >= 4:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[bset.key] = index
    return index


def reverse_geocode(lon: Any, lat: Any, boundaries: BoundarySet | None = None) -> pd.DataFrame:
    """Return country, admin-1 unit and (in Chile) comuna for each lon/lat pair.

    Parameters
    ----------
    lon, lat : array-like of float
        WGS84 coordinates.
    boundaries : BoundarySet, optional
        A registry's boundaries (default: the bundled ones).

    Returns
    -------
    pandas.DataFrame
        Columns ``country, region_code, comuna_code, region_name, comuna_name``, one row per
        input; all None at sea or outside the countries with boundaries.

    Examples
    --------
    >>> reverse_geocode([-70.65], [-33.44]).comuna_name.tolist()
    ['Santiago']
    >>> reverse_geocode([-75.57], [6.25])[["country", "region_code"]].values.tolist()
    [['CO', 'CO-ANT']]
    """
    lon = np.asarray(lon, dtype="float64").ravel()
    lat = np.asarray(lat, dtype="float64").ravel()
    index = _index(boundaries)
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
        # Many points: one pass per polygon over the plain coordinate arrays, sorted by
        # longitude once so that each polygon looks only at the slice inside its bounding
        # box's longitudes (a mask over every point for each of the ~840 polygons cost 4x
        # more), then the test on the prepared polygon. Creating 100k point objects and
        # querying a tree with them is several times slower (see bench/run.py).
        order = np.argsort(lon, kind="stable")
        s_lon, s_lat = lon[order], lat[order]
        starts = np.searchsorted(s_lon, index.bounds[:, 0], side="left")
        ends = np.searchsorted(s_lon, index.bounds[:, 2], side="right")
        for k in range(len(index.bounds)):
            a, b = starts[k], ends[k]
            if a >= b:
                continue
            y0, y1 = index.bounds[k, 1], index.bounds[k, 3]
            window = s_lat[a:b]
            cand = order[a:b][(window >= y0) & (window <= y1)]
            cand = cand[idx[cand] < 0]
            if len(cand):
                inside = shapely.intersects_xy(index.polygons[k], lon[cand], lat[cand])
                idx[cand[inside]] = k
    missing = np.flatnonzero((idx < 0) & np.isfinite(lon) & np.isfinite(lat))
    if len(missing):
        near_pt, near_poly = index.tree.query_nearest(
            shapely.points(lon[missing], lat[missing]),
            max_distance=float(index.tolerance.max()),
            all_matches=False,
        )
        dist = shapely.distance(
            index.polygons[near_poly], shapely.points(lon[missing[near_pt]], lat[missing[near_pt]])
        )
        close = dist <= index.tolerance[near_poly]
        idx[missing[near_pt[close]]] = near_poly[close]
    found = idx >= 0
    out = {}
    for name, values in index.columns.items():
        col = np.full(len(lon), None, dtype=object)
        col[found] = values[idx[found]]
        out[name] = pd.Series(col, dtype=object)  # keep None: no string-dtype inference
    return pd.DataFrame(out)


@dataclass(frozen=True)
class _Hit:
    country: str | None
    region_code: str | None
    comuna_code: str | None
    region_name: str | None
    comuna_name: str | None


def _in_country(
    lon: float, lat: float, country: str, boundaries: BoundarySet | None = None
) -> _Hit | None:
    """The unit of ``country`` that holds (or, within its coast tolerance, touches) the
    point, though another source's unit came first. Where two sources' drawings of a
    border overlap (Chile's DPA and Natural Earth's Argentina along the Andes), the point
    belongs to the country its entry declares."""
    index = _index(boundaries)
    point = shapely.Point(lon, lat)
    candidates = index.tree.query(point, predicate="dwithin", distance=float(index.tolerance.max()))
    for k in sorted(int(c) for c in candidates):
        if index.columns["country"][k] != country:
            continue
        if shapely.distance(index.polygons[k], point) <= index.tolerance[k]:
            return _Hit(*(index.columns[c][k] for c in _COLUMNS))
    return None


@dataclass(frozen=True)
class LocationFix:
    """What the location checks decided for one entry."""

    region_code: str | None
    comuna_code: str | None
    geometry: Any  # shapely geometry or None


def _anchor(geom: Any) -> shapely.Point:
    return geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)


def resolve_locations(
    records: list[Any], first_row: int = 1, boundaries: BoundarySet | None = None
) -> tuple[list[LocationFix | None], list[Problem]]:
    """Check every entry's location against its country and fill its region/comuna codes.

    For every country with boundaries: a point must fall in the declared country (at sea or
    outside the countries with boundaries it is refused; swapped coordinates are named as
    such), and a declared admin-1 unit (or, in Chile, comuna) must be the one the point is
    in. The codes are then filled from the point. Without a point, an entry located to its
    comuna, admin-1 unit or country gets a point inside it.

    Parameters
    ----------
    records : list of Initiative
        Validated entries (``None`` items, from rows that failed validation, are skipped).
    first_row : int
        Row number of ``records[0]`` in the user's file, for the report.
    boundaries : BoundarySet, optional
        The registry's boundaries (default: the bundled ones).

    Returns
    -------
    fixes, problems
        One ``LocationFix`` per record (``None`` where a problem was found or skipped), and
        the row-numbered problems.
    """
    fixes: list[LocationFix | None] = [None] * len(records)
    problems: list[Problem] = []
    bset = boundaries or default_boundaries()
    cl_table = bset.comunas
    comuna_region = dict(zip(cl_table.comuna_code, cl_table.region_code, strict=True))
    units = bset.admin1
    unit_country = dict(zip(units.region_code, units.country, strict=True))

    with_geom = [i for i, r in enumerate(records) if r is not None and r.geometry is not None]
    anchors = [_anchor(records[i].geometry) for i in with_geom]
    xs = np.array([p.x for p in anchors])
    ys = np.array([p.y for p in anchors])
    # plain tuples: a pandas row per entry costs more than the geocoding itself
    direct = list(reverse_geocode(xs, ys, bset).itertuples(index=False)) if with_geom else []
    swapped = list(reverse_geocode(ys, xs, bset).itertuples(index=False)) if with_geom else []
    geo_row = {i: k for k, i in enumerate(with_geom)}

    for i, rec in enumerate(records):
        if rec is None:
            continue
        row = first_row + i
        bad = len(problems)
        country = rec.country
        region, comuna = rec.region_code, rec.comuna_code
        name = label("country", country) if country else ""
        if country is not None and not bset.has(country) and (region or comuna):
            field = "comuna_code" if comuna else "region_code"
            problems.append(Problem(row, field, tr("codes_only_chile", country=name)))
            continue
        if comuna and country not in ("CL", None):
            problems.append(Problem(row, "comuna_code", tr("comuna_only_chile", country=name)))
            continue
        if comuna and comuna not in comuna_region:
            problems.append(
                Problem(
                    row, "comuna_code", tr("code_not_in_country", value=comuna, country="Chile")
                )
            )
        if region and (
            unit_country.get(region) != country if country else region not in unit_country
        ):
            problems.append(
                Problem(row, "region_code", tr("code_not_in_country", value=region, country=name))
            )
        if comuna in comuna_region and region in unit_country and comuna_region[comuna] != region:
            problems.append(
                Problem(
                    row, "comuna_code", tr("comuna_not_in_region", comuna=comuna, region=region)
                )
            )
        geom = rec.geometry
        if geom is not None:
            k = geo_row[i]
            lon, lat = round(float(xs[k]), 6), round(float(ys[k]), 6)
            hit = direct[k]
            if country is not None and hit.country != country and bset.has(country):
                hit = _in_country(float(xs[k]), float(ys[k]), country, bset) or hit
            if hit.country is None or (country is not None and hit.country != country):
                swap = swapped[k]
                if country is not None and swap.country == country:
                    msg = tr("coord_swapped", lon=lon, lat=lat, country=name)
                elif country is not None and bset.has(country):
                    msg = tr("coord_outside_country", lon=lon, lat=lat, country=name)
                else:  # no country, or one without boundaries: at sea or outside the 27
                    msg = tr("coord_outside_known", lon=lon, lat=lat)
                problems.append(Problem(row, "geometry", msg))
            else:
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
                if region and region != hit.region_code and region in unit_country:
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
        elif country is not None and rec.location_precision in ("comuna", "region", "country"):
            if comuna in comuna_region:
                region = comuna_region[comuna]
            use_comuna = comuna if rec.location_precision == "comuna" else None
            geom = bset.place_point(region, use_comuna, country)
        if len(problems) == bad:
            fixes[i] = LocationFix(region, comuna, geom)
    return fixes, problems


def admin1_codes(
    countries: list[Any], geoms: Any, boundaries: BoundarySet | None = None
) -> list[str | None]:
    """The admin-1 code of each geometry where it lies in its declared country, else None.

    Used to fill the codes of entries saved before a country's boundaries were installed
    (a numbered migration of both stores): an entry whose point is elsewhere keeps its
    codes empty, to be corrected by its editors, never silently moved. Where two sources'
    borders overlap, the declared country's unit is taken, as ``resolve_locations`` does.

    Examples
    --------
    >>> admin1_codes(["CO", "PE"], [shapely.Point(-75.57, 6.25), shapely.Point(-75.57, 6.25)])
    ['CO-ANT', None]
    >>> admin1_codes(["AR"], [shapely.Point(-68.396, -26.155)])  # in Chile's DPA too
    ['AR-K']
    """
    return [None if hit is None else hit[0] for hit in unit_codes(countries, geoms, boundaries)]


def unit_codes(
    countries: list[Any], geoms: Any, boundaries: BoundarySet | None = None
) -> list[tuple[str, str | None] | None]:
    """The (admin-1, comuna) codes of each geometry where it lies in its declared country
    (comuna only in Chile), else None; the rule of ``admin1_codes``.

    Examples
    --------
    >>> unit_codes(["CL", "CL"], [shapely.Point(-70.65, -33.44), shapely.Point(-80, -33)])
    [('13', '13101'), None]
    """
    values = np.asarray(geoms, dtype=object)
    if len(values) == 0:
        return []
    anchors = shapely.point_on_surface(values)
    xs, ys = shapely.get_x(anchors), shapely.get_y(anchors)
    bset = boundaries or default_boundaries()
    hits = reverse_geocode(xs, ys, bset)
    codes: list[tuple[str, str | None] | None] = []
    for i, (country, found, code, comuna) in enumerate(
        zip(countries, hits["country"], hits["region_code"], hits["comuna_code"], strict=True)
    ):
        if found is not None and found == country:
            codes.append((str(code), comuna))
        elif country is not None and bset.has(country):
            other = _in_country(float(xs[i]), float(ys[i]), country, bset)
            codes.append((str(other.region_code), other.comuna_code) if other else None)
        else:
            codes.append(None)
    return codes
