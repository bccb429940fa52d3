"""Storage backends behind one ``Store`` protocol, chosen by ``open_store(url)``."""

from __future__ import annotations

import os
from pathlib import Path

from registry.store.base import FILTER_PARAMS, BatchResult, Filters, Store

__all__ = [
    "DEFAULT_DB",
    "FILTER_PARAMS",
    "BatchResult",
    "Filters",
    "Store",
    "is_server_url",
    "open_store",
    "resolve_db",
]

DEFAULT_DB = "data/registry.gpkg"


def resolve_db(db: str | None = None) -> str:
    """Return the registry location: ``db``, else ``IAP_REGISTRY_DB``, else ``./data/registry.gpkg``."""
    return db or os.environ.get("IAP_REGISTRY_DB") or DEFAULT_DB


def is_server_url(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a GeoPackage file.

    Examples
    --------
    >>> is_server_url("postgresql://iap@localhost/registry"), is_server_url("data/r.gpkg")
    (True, False)
    """
    return location.startswith(("postgresql://", "postgres://", "postgresql+"))


def open_store(db: str | None = None) -> Store:
    """Open the store at ``db`` (a GeoPackage path or a ``postgresql://`` URL).

    The backend module is imported only when chosen.
    """
    location = resolve_db(db)
    if is_server_url(location):
        from registry.store.postgis import PostGISStore

        return PostGISStore(location)
    from registry.store.gpkg import GeoPackageStore

    return GeoPackageStore(Path(location))
