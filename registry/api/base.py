"""The registry's base: opening the store, the acting user and the reads every part uses."""

from __future__ import annotations

import builtins
import dataclasses
import getpass
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from registry.auth import (
    RESTRICTED_FIELDS,
    Actor,
    can,
    can_view,
    readable_by,
    reads_restricted,
    redacted,
)
from registry.errors import NotAllowed, NotFound, UsageError
from registry.geo.boundaries import BoundarySet, default_boundaries, default_names
from registry.i18n import tr
from registry.store import Filters, Store, is_server_url, open_store

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
        self._boundaries: tuple[str, BoundarySet] | None = None

    def boundary_set(self) -> BoundarySet:
        """The boundaries this registry uses: the bundled ones, with the official units an
        administrator imported (``import_boundaries``) in place of theirs; rebuilt only
        when those change. The bundled ones where there is no registry yet."""
        try:
            store = self._ready()
        except NotFound:
            return default_boundaries()
        stamp = store.official_units_stamp()
        if stamp.startswith("0|"):
            return default_boundaries()
        if self._boundaries is None or self._boundaries[0] != stamp:
            import shapely

            from registry.geo.official import boundary_set

            units = store.official_units()
            frame = gpd.GeoDataFrame(
                units.drop(columns="geom_wkb"),
                geometry=shapely.from_wkb(units["geom_wkb"].map(bytes).to_numpy()),
                crs="EPSG:4326",
            )
            self._boundaries = (stamp, boundary_set(frame))
        return self._boundaries[1]

    def unit_names(self) -> tuple[Mapping[str, str], Mapping[str, str]]:
        """Admin-1 unit names and Chile's comuna names by code, of ``boundary_set()``; read
        without the polygons while the bundled boundaries serve (what lists and tables need)."""
        try:
            bundled = self._ready().official_units_stamp().startswith("0|")
        except NotFound:
            bundled = True
        if bundled:
            return default_names()
        bset = self.boundary_set()
        return (
            dict(zip(bset.admin1.region_code, bset.admin1.region_name, strict=True)),
            dict(zip(bset.comunas.comuna_code, bset.comunas.comuna_name, strict=True)),
        )

    # -- set-up --------------------------------------------------------------------------
    def init(self) -> None:
        """Create the registry if it does not exist."""
        self.store.init()

    def _ready(self) -> Store:
        if not self._checked:
            self.check()
            self.store.migrate()  # a registry from an earlier version is brought up to date
            self._checked = True
        return self.store

    def check(self) -> None:
        """Raise unless the store is a registry in sound condition: ``NotFound`` when there
        is nothing there (a new file is never created by reading), ``UsageError`` when it
        is something else, ``StorageError`` when it is damaged."""
        if not self.store.is_initialized():
            if not is_server_url(self.store.url) and not Path(self.store.url).exists():
                raise NotFound(tr("registry_missing", path=self.store.url))
            raise UsageError(tr("not_a_registry", path=self.store.url))
        self.store.check()

    def backup(self, dest: str) -> None:
        """Write a consistent, checked copy of the registry to ``dest`` (see the stores'
        ``backup``), after checking the registry itself."""
        self._ready().backup(dest)

    # -- actors --------------------------------------------------------------------------
    def actor(self, username: str | None) -> Actor:
        """Return the acting user, with their current role and sign-in epoch.

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
        return Actor(user["username"], user["role"], int(user.get("auth_epoch") or 0))

    def _acting(self, actor: Actor) -> Actor:
        """``actor`` as the store has it now: every write calls this first, so a role
        changed, a user disabled or a session ended since the caller got ``actor`` applies
        to this very write. A role claimed by the caller is never believed."""
        if self._ready().count_users() == 0:
            return actor  # the local operator of a registry without users (see ``actor``)
        if actor.epoch is not None:  # a session (``login``): it may have ended
            return self.resume(actor)  # type: ignore[attr-defined]
        return self.actor(actor.username)

    # -- reads ---------------------------------------------------------------------------
    def _viewer(self, viewer: Actor | None) -> Actor | None:
        """The viewer as the store has it now (visitors as they are)."""
        if viewer is None or viewer.role == "visitor" or not viewer.username:
            return viewer
        try:
            return self._acting(viewer)
        except NotAllowed:
            return Actor("", "visitor")

    def list(
        self,
        filters: Filters | None = None,
        include_deleted: bool = False,
        viewer: Actor | None = None,
        columns: Sequence[str] | None = None,
        geometry: bool = True,
        ordered: bool = True,
    ) -> gpd.GeoDataFrame:
        """Return the entries matching ``filters`` as a GeoDataFrame in EPSG:4326, ordered
        by name (in no set order if not ``ordered``, which costs the database less).

        ``viewer`` restricts the result to what that user may see (``VISITOR``: published
        entries only); None means no restriction (the local operator of the command line).
        ``columns`` reads only those fields (and the geometry), which is faster; without
        ``geometry`` the result is a plain DataFrame of those fields. Restricted
        fields are empty (None) in the rows whose restricted fields ``viewer`` may not read.
        """
        viewer = self._viewer(viewer)
        frame = self._ready().list(
            _for_viewer(filters, viewer),
            include_deleted=include_deleted,
            columns=columns,
            geometry=geometry,
            ordered=ordered,
        )
        if viewer is None or viewer.role in ("manager", "admin") or frame.empty:
            return frame
        hidden = [c for c in RESTRICTED_FIELDS if c in frame.columns]
        if not hidden:
            return frame
        if viewer.role == "coordinator" and "owner" in frame.columns:
            editors = frame["editors"] if "editors" in frame.columns else None
            owned = frame["owner"] == viewer.username
            if editors is not None:
                names = "|" + editors.fillna("").astype(str) + "|"
                owned = owned | names.str.contains(f"|{viewer.username}|", regex=False)
            mine = owned.fillna(False).to_numpy(dtype=bool)
        else:
            mine = None
        frame = frame.copy()
        for column in hidden:
            if mine is None:
                frame[column] = None
            else:
                frame[column] = frame[column].astype(object).where(mine, None)
        return frame

    def get(self, record_id: str, viewer: Actor | None = None) -> dict[str, Any]:
        """Return one entry (deleted entries too, flagged ``deleted``).

        Raises ``NotFound`` when the entry does not exist or ``viewer`` may not see it; the
        restricted fields are empty unless ``viewer`` may read them (``auth.reads_restricted``).
        """
        record = self._ready().get(record_id)
        viewer = self._viewer(viewer)
        if viewer is not None and (record.get("deleted") or not can_view(viewer, record)):
            raise NotFound(tr("not_found", id=record_id))
        return record if reads_restricted(viewer, record) else redacted(record)

    def can_edit(self, record_id: str, actor: Actor) -> bool:
        """Whether ``actor`` (as the store has them now) may change the entry's fields."""
        try:
            actor = self._acting(actor)
        except NotAllowed:
            return False
        record = self._ready().get(record_id, include_deleted=False)
        return can(actor, "update", record)

    def history(self, record_id: str, viewer: Actor | None = None) -> builtins.list[dict[str, Any]]:
        """Return every version of an entry, oldest first, with who, when and what.

        For a ``viewer`` who may not read the entry's restricted fields (``VISITOR``,
        another coordinator), those fields and the actors' usernames are left out of every
        version, and only the versions where the entry was published are returned (the
        drafts, submissions and rejections before were never public): each one's ``before``
        is then the previous published version.
        """
        record = self.get(record_id, viewer)  # NotFound when the viewer may not see it
        versions = self._ready().history(record_id)
        viewer = self._viewer(viewer)
        if reads_restricted(viewer, record):
            return versions
        out: builtins.list[dict[str, Any]] = []
        shown: dict[str, Any] | None = None
        for version in versions:
            after = version["after"]
            if not after or after.get("status") != "published" or after.get("deleted"):
                continue
            out.append(
                {
                    **version,
                    "actor": None,
                    "before": None if shown is None else redacted(shown),
                    "after": redacted(after),
                }
            )
            shown = after
        return out

    def data_version(self) -> int:
        """Return a counter that changes with every write (for caches)."""
        return self._ready().data_version()
