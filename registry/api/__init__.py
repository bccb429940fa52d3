"""The facade that the CLI, the app and the HTTP API call.

``Registry`` ties validation (``registry.schema``), location checks (``registry.geo``),
permissions (``registry.auth``) and storage (``registry.store``) together. Nothing above
this layer touches SQL, files or GDAL. Its parts live in one module each: ``base`` (store,
acting user, reads), ``entries`` (writes, review, import, export), ``territory``
(indicators, context, statistics), ``monitoring`` (goals, indicators and values over time,
review log, freshness) ``accounts`` (users, log-in) and ``sessions`` (sessions
that outlive a page, single sign-on).
"""

from __future__ import annotations

from registry.api.entries import EntriesMixin, ImportReport
from registry.api.monitoring import Monitoring, MonitoringMixin
from registry.api.sessions import SessionsMixin
from registry.api.territory import TerritoryMixin

__all__ = ["ImportReport", "Monitoring", "Registry"]


class Registry(EntriesMixin, MonitoringMixin, TerritoryMixin, SessionsMixin):
    """One registry (a GeoPackage file or, later, a PostGIS database).

    Parameters
    ----------
    db : str, optional
        A GeoPackage path or ``postgresql://`` URL; default ``IAP_REGISTRY_DB`` or
        ``./data/registry.gpkg``.
    store : Store, optional
        An opened store (tests); overrides ``db``.
    """
