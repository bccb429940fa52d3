"""Storage backends behind one ``Store`` protocol, chosen by ``open_store(url)``."""

from __future__ import annotations

import os
from pathlib import Path

from registry.errors import UsageError
from registry.store.base import BatchResult, Filters, Store

__all__ = ["DEFAULT_DB", "BatchResult", "Filters", "Store", "open_store", "resolve_db"]

DEFAULT_DB = "data/registry.gpkg"


def resolve_db(db: str | None = None) -> str:
    """Return the registry location: ``db``, else ``IAP_REGISTRY_DB``, else ``./data/registry.gpkg``."""
    return db or os.environ.get("IAP_REGISTRY_DB") or DEFAULT_DB


def open_store(db: str | None = None) -> Store:
    """Open the store at ``db`` (a GeoPackage path or a ``postgresql://`` URL).

    The backend module is imported only when chosen.
    """
    location = resolve_db(db)
    if location.startswith(("postgresql://", "postgres://", "postgresql+")):
        raise UsageError(
            "PostGIS aún no está disponible en esta versión; use un archivo GeoPackage. "
            "/ PostGIS is not available yet in this version; use a GeoPackage file."
        )
    from registry.store.gpkg import GeoPackageStore

    return GeoPackageStore(Path(location))
