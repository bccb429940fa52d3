"""Geography: boundaries and reverse geocoding. All geometry here is EPSG:4326 (lon, lat)."""

from registry.geo.boundaries import (
    BOUNDARY_SOURCE,
    admin1,
    boundary_status,
    comunas,
    has_boundaries,
    place_point,
    region_country,
    regions,
)
from registry.geo.locate import LocationFix, resolve_locations, reverse_geocode

__all__ = [
    "BOUNDARY_SOURCE",
    "LocationFix",
    "admin1",
    "boundary_status",
    "comunas",
    "has_boundaries",
    "place_point",
    "region_country",
    "regions",
    "resolve_locations",
    "reverse_geocode",
]
