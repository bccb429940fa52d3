"""The registry's base: opening the store, the acting user and the reads every part uses."""

from __future__ import annotations

import builtins
import dataclasses
import getpass
from collections.abc import Sequence
from typing import Any

import geopandas as gpd

from registry.auth import (
    Actor,
    can_view,
    readable_by,
)
from registry.errors import NotAllowed, NotFound, UsageError
from registry.i18n import tr
from registry.store import Filters, Store, open_store

__all__ = ["RegistryBase"]


def _for_viewer(filters: Filters | None, viewer: Actor | None) -> Filters | None:
    if viewer is None:
        return filters
    return dataclasses.replace(filters or Filters(), readable_by=readable_by(viewer))


class RegistryBase:
    """Opening the store, the acting user, and the reads the other parts build on."""

    def __init__(self, db: str | None = None, store: Store | None = None):
        self.store = store or open_store(db)
        self._checked = False

    # -- set-up --------------------------------------------------------------------------
    def init(self) -> None:
        """Create the registry if it does not exist."""
        self.store.init()

    def _ready(self) -> Store:
        if not self._checked:
            if not self.store.is_initialized():
                raise UsageError(tr("not_a_registry", path=self.store.url))
            self.store.migrate()  # a registry from an earlier version is brought up to date
            self._checked = True
        return self.store

    # -- actors --------------------------------------------------------------------------
    def actor(self, username: str | None) -> Actor:
        """Return the acting user.

        While a registry has no users, the local operator (``username`` or the OS user) acts
        as administrator, so a new registry can be set up; once users exist, ``username``
        must name an enabled user.
        """
        store = self._ready()
        if store.count_users() == 0:
            return Actor(username or getpass.getuser(), "admin")
        if not username:
            raise NotAllowed(tr("needs_actor"))
        user = store.get_user(username)
        if user is None:
            raise NotAllowed(tr("unknown_user", user=username))
        if user["disabled"]:
            raise NotAllowed(tr("user_disabled", user=username))
        return Actor(username, user["role"])

    # -- reads ---------------------------------------------------------------------------
    def list(
        self,
        filters: Filters | None = None,
        include_deleted: bool = False,
        viewer: Actor | None = None,
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the entries matching ``filters`` as a GeoDataFrame in EPSG:4326.

        ``viewer`` restricts the result to what that user may see (``VISITOR``: published
        entries only); None means no restriction (the local operator of the command line).
        ``columns`` reads only those fields (and the geometry), which is faster.
        """
        return self._ready().list(
            _for_viewer(filters, viewer), include_deleted=include_deleted, columns=columns
        )

    def get(self, record_id: str, viewer: Actor | None = None) -> dict[str, Any]:
        """Return one entry (deleted entries too, flagged ``deleted``).

        Raises ``NotFound`` when the entry does not exist or ``viewer`` may not see it.
        """
        record = self._ready().get(record_id)
        if viewer is not None and (record.get("deleted") or not can_view(viewer, record)):
            raise NotFound(tr("not_found", id=record_id))
        return record

    def history(self, record_id: str, viewer: Actor | None = None) -> builtins.list[dict[str, Any]]:
        """Return every version of an entry, oldest first, with who, when and what."""
        self.get(record_id, viewer)
        return self._ready().history(record_id)

    def data_version(self) -> int:
        """Return a counter that changes with every write (for caches)."""
        return self._ready().data_version()
