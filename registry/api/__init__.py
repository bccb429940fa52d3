"""The facade that the CLI, the app and the HTTP API call.

``Registry`` ties validation (``registry.schema``), location checks (``registry.geo``),
permissions (``registry.auth``) and storage (``registry.store``) together. Nothing above
this layer touches SQL, files or GDAL.

It holds its parts as attributes, each in a module of its own that reaches the others only
through the registry it is given:

- ``registry.entries`` (``entries``): writes, review, import, export;
- ``registry.monitoring`` (``monitoring``): goals, indicators and values over time, the
  review log, freshness; calling it, ``registry.monitoring(entry_id)``, gives an entry's
  monitoring;
- ``registry.territory`` (``territory``): regional indicators, boundaries, context,
  statistics;
- ``registry.accounts`` (``accounts``, ``sessions``): users, log-in, sessions that outlive
  a page, single sign-on.

The registry itself (``base``) opens the store and owns the acting user and the reads
every part builds on (``list``, ``get``, ``history``). The parts' public calls are also
the registry's own (``registry.create(...)`` is ``registry.entries.create(...)``), as the
command line, the app and the API have always called them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from registry.api.base import RegistryBase
from registry.api.entries import Entries, ImportReport
from registry.api.monitoring import Monitoring, MonitoringPart
from registry.api.sessions import AccountSessions
from registry.api.territory import Territory
from registry.store import Store

__all__ = ["ImportReport", "Monitoring", "Registry"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _forward(
    part: str, method: Callable[Concatenate[Any, _P], _R]
) -> Callable[Concatenate[Registry, _P], _R]:
    """A registry method that calls ``method`` on the registry's ``part`` (same signature
    and docstring)."""
    name = method.__name__

    @functools.wraps(method)  # name, docstring and signature (``inspect.signature``)
    def call(self: Registry, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        bound: Callable[_P, _R] = getattr(getattr(self, part), name)
        return bound(*args, **kwargs)

    call.__qualname__ = f"Registry.{name}"
    return call


class Registry(RegistryBase):
    """One registry (a GeoPackage file or a PostGIS database).

    Parameters
    ----------
    db : str, optional
        A GeoPackage path or ``postgresql://`` URL; default ``IAP_REGISTRY_DB`` or
        ``./data/registry.gpkg``.
    store : Store, optional
        An opened store (tests); overrides ``db``.
    """

    def __init__(self, db: str | None = None, store: Store | None = None):
        super().__init__(db, store)
        self.entries = Entries(self)
        self.monitoring = MonitoringPart(self)
        self.territory = Territory(self)
        self.accounts = AccountSessions(self)

    # -- entries -------------------------------------------------------------------------
    validate = _forward("entries", Entries.validate)
    create = _forward("entries", Entries.create)
    update = _forward("entries", Entries.update)
    submit = _forward("entries", Entries.submit)
    publish = _forward("entries", Entries.publish)
    reject = _forward("entries", Entries.reject)
    delete = _forward("entries", Entries.delete)
    revert = _forward("entries", Entries.revert)
    import_file = _forward("entries", Entries.import_file)
    export = _forward("entries", Entries.export)

    # -- monitoring (the part itself is called for an entry's monitoring) ----------------
    monitoring_history = _forward("monitoring", MonitoringPart.monitoring_history)
    add_monitoring = _forward("monitoring", MonitoringPart.add_monitoring)
    update_monitoring = _forward("monitoring", MonitoringPart.update_monitoring)
    delete_monitoring = _forward("monitoring", MonitoringPart.delete_monitoring)
    record_value = _forward("monitoring", MonitoringPart.record_value)
    quality = _forward("monitoring", MonitoringPart.quality)
    entry_quality = _forward("monitoring", MonitoringPart.entry_quality)
    programme_view = _forward("monitoring", MonitoringPart.programme_view)
    stale_entries = _forward("monitoring", MonitoringPart.stale_entries)
    monitoring_features = _forward("monitoring", MonitoringPart.monitoring_features)
    export_monitoring_values = _forward("monitoring", MonitoringPart.export_monitoring_values)
    import_monitoring_values = _forward("monitoring", MonitoringPart.import_monitoring_values)

    # -- territory -----------------------------------------------------------------------
    indicators = _forward("territory", Territory.indicators)
    indicator_series = _forward("territory", Territory.indicator_series)
    import_indicators = _forward("territory", Territory.import_indicators)
    remove_indicators = _forward("territory", Territory.remove_indicators)
    boundaries = _forward("territory", Territory.boundaries)
    locate = _forward("territory", Territory.locate)
    region_names = _forward("territory", Territory.region_names)
    comuna_names = _forward("territory", Territory.comuna_names)
    import_boundaries = _forward("territory", Territory.import_boundaries)
    convergence = _forward("territory", Territory.convergence)
    indicator_region_names = _forward("territory", Territory.indicator_region_names)
    context = _forward("territory", Territory.context)
    stats = _forward("territory", Territory.stats)

    # -- accounts and sessions -----------------------------------------------------------
    add_user = _forward("accounts", AccountSessions.add_user)
    set_password = _forward("accounts", AccountSessions.set_password)
    set_contact = _forward("accounts", AccountSessions.set_contact)
    list_users = _forward("accounts", AccountSessions.list_users)
    login = _forward("accounts", AccountSessions.login)
    resume = _forward("accounts", AccountSessions.resume)
    update_user = _forward("accounts", AccountSessions.update_user)
    start_session = _forward("accounts", AccountSessions.start_session)
    resume_session = _forward("accounts", AccountSessions.resume_session)
    end_session = _forward("accounts", AccountSessions.end_session)
    change_password = _forward("accounts", AccountSessions.change_password)
    sso_session = _forward("accounts", AccountSessions.sso_session)
    end_sso_session = _forward("accounts", AccountSessions.end_sso_session)
