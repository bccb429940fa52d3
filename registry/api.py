"""The facade that the CLI, the app and the HTTP API call.

``Registry`` ties validation (``registry.schema``), location checks (``registry.geo``),
permissions (``registry.auth``) and storage (``registry.store``) together. Nothing above
this layer touches SQL, files or GDAL.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from registry.auth import Actor, hash_password, require
from registry.errors import NotAllowed, NotFound, Problem, UsageError, ValidationFailed
from registry.geo.locate import resolve_locations
from registry.i18n import tr
from registry.io.export import export_frame, guess_format, write_dictionary
from registry.io.read import read_rows
from registry.schema.codes import code_codes
from registry.schema.fields import FIELDS_BY_NAME
from registry.schema.model import validate_records
from registry.store import Filters, Store, open_store
from registry.store.tables import USER_FIELD_NAMES

__all__ = ["ImportReport", "Registry"]


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        key = "import_dry_ok" if self.dry_run else "import_ok"
        return " ".join(
            [
                *self.notes,
                tr(key, created=self.created, updated=self.updated, unchanged=self.unchanged),
            ]
        )


def _editable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in (*USER_FIELD_NAMES, "geometry") if k in record}


class Registry:
    """One registry (a GeoPackage file or, later, a PostGIS database).

    Parameters
    ----------
    db : str, optional
        A GeoPackage path or ``postgresql://`` URL; default ``IAP_REGISTRY_DB`` or
        ``./data/registry.gpkg``.
    """

    def __init__(self, db: str | None = None, store: Store | None = None):
        self.store = store or open_store(db)

    # -- set-up --------------------------------------------------------------------------
    def init(self) -> None:
        """Create the registry if it does not exist."""
        self.store.init()

    def _ready(self) -> Store:
        if not self.store.is_initialized():
            raise UsageError(tr("not_a_registry", path=self.store.url))
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
        self, filters: Filters | None = None, include_deleted: bool = False
    ) -> gpd.GeoDataFrame:
        """Return the entries matching ``filters`` as a GeoDataFrame in EPSG:4326."""
        return self._ready().list(filters, include_deleted=include_deleted)

    def get(self, record_id: str) -> dict[str, Any]:
        """Return one entry (deleted entries too, flagged ``deleted``)."""
        return self._ready().get(record_id)

    def history(self, record_id: str) -> list[dict[str, Any]]:
        """Return every version of an entry, oldest first, with who, when and what."""
        return self._ready().history(record_id)

    def data_version(self) -> int:
        """Return a counter that changes with every write (for caches)."""
        return self._ready().data_version()

    # -- validation ----------------------------------------------------------------------
    def _prepare(
        self, rows: list[dict[str, Any]], row_numbers: list[int] | None = None
    ) -> tuple[list[Any], list[Problem]]:
        """Validate rows and check their locations; problems carry the file's row numbers."""
        models, problems = validate_records(rows)
        fixes, loc_problems = resolve_locations(models)

        def renumber(p: Problem) -> Problem:
            row = None if row_numbers is None or p.row is None else row_numbers[p.row - 1]
            return Problem(row, p.field, p.message)

        problems = [renumber(p) for p in problems + loc_problems]
        ready = []
        for model, fix in zip(models, fixes, strict=True):
            if model is None or fix is None:
                ready.append(None)
                continue
            ready.append(
                model.model_copy(
                    update={
                        "region_code": fix.region_code,
                        "comuna_code": fix.comuna_code,
                        "geometry": fix.geometry,
                    }
                )
            )
        return ready, problems

    def validate(self, values: dict[str, Any]) -> Any:
        """Validate one entry's values (form or file); return the model or raise."""
        models, problems = self._prepare([values])
        if problems:
            raise ValidationFailed(problems)
        return models[0]

    # -- writes --------------------------------------------------------------------------
    def create(self, values: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """Validate and store a new entry owned by ``actor``."""
        model = self.validate(values)
        require(actor, "create", new_status=model.status)
        return self._ready().create(model, actor.username)

    def update(
        self, record_id: str, changes: dict[str, Any], expected_version: int, actor: Actor
    ) -> dict[str, Any]:
        """Apply ``changes`` to the entry at ``expected_version``; raise ``Conflict`` if stale."""
        store = self._ready()
        current = store.get(record_id, include_deleted=False)
        for name in changes:
            if name not in FIELDS_BY_NAME or name == "id":
                raise UsageError(tr("field_readonly", field=name))
        values = _editable(current)
        if any(k in changes for k in ("geometry", "comuna_code", "region_code", "country")):
            for k in ("region_code", "comuna_code"):  # refilled from the new location
                values[k] = None
        values.update(changes)
        model = self.validate(values)
        require(actor, "update", current, new_status=model.status)
        return store.update(record_id, model, expected_version, actor.username)

    def delete(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Soft-delete the entry at ``expected_version``."""
        store = self._ready()
        require(actor, "delete", store.get(record_id, include_deleted=False))
        return store.delete(record_id, expected_version, actor.username)

    def revert(
        self, record_id: str, to_version: int, actor: Actor, expected_version: int | None = None
    ) -> dict[str, Any]:
        """Make the entry's content that of ``to_version`` again, as a new version."""
        store = self._ready()
        current = store.get(record_id)
        require(actor, "revert", current)
        return store.revert(record_id, to_version, actor.username, expected_version)

    def import_file(
        self, path: str | Path, actor: Actor, dry_run: bool = False, only_new: bool = False
    ) -> ImportReport:
        """Import a CSV, GeoJSON or GeoPackage file: everything or nothing.

        Rows with an ``id`` or ``external_id`` already in the registry update that entry;
        others create entries. Any problem in any row raises ``ValidationFailed`` with every
        problem, row-numbered, and nothing is written. With ``only_new``, rows that match an
        existing entry are left alone (counted as unchanged): used by ``seed``.
        """
        store = self._ready()
        raw = read_rows(path)
        numbers = [n for n, _ in raw]
        rows = [v for _, v in raw]
        problems = list(raw.problems)
        seen: dict[tuple[str, str], int] = {}
        for number, values in raw:
            for key in ("id", "external_id"):
                value = str(values.get(key) or "").strip()
                if value:
                    if (key, value) in seen:
                        problems.append(
                            Problem(
                                number,
                                key,
                                tr(
                                    "import_duplicate",
                                    field=key,
                                    value=value,
                                    first=seen[key, value],
                                ),
                            )
                        )
                    seen.setdefault((key, value), number)
        models, found = self._prepare(rows, row_numbers=numbers)
        problems += found
        ext_ids = [m.external_id for m in models if m is not None and m.external_id]
        by_external = store.find_ids(ext_ids) if ext_ids else {}
        given_ids = [m.id for m in models if m is not None and m.id]
        existing = store.get_many(list(set(given_ids) | set(by_external.values())))
        creates, updates, skipped = [], [], 0
        for number, model in zip(numbers, models, strict=True):
            if model is None:
                continue
            target = model.id or by_external.get(model.external_id or "")
            current = existing.get(target) if target else None
            if current is not None and only_new:
                skipped += 1
                continue
            try:
                if current is None:
                    require(actor, "create", new_status=model.status)
                    creates.append(model)
                else:
                    require(actor, "update", current, new_status=model.status)
                    updates.append(
                        (current["id"], model.model_copy(update={"id": None}), current["version"])
                    )
            except NotAllowed as exc:
                problems.append(Problem(number, "-", exc.user_msg))
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ValidationFailed(problems, tr("import_failed", n=len(problems)))
        report = ImportReport(dry_run=dry_run, notes=list(raw.notes), unchanged=skipped)
        if dry_run:
            report.created, report.updated = len(creates), len(updates)
            return report
        result = store.apply_batch(creates, updates, actor.username)
        report.created, report.updated = len(result.created), len(result.updated)
        report.unchanged += len(result.unchanged)
        return report

    def export(
        self,
        path: str | Path,
        fmt: str | None = None,
        filters: Filters | None = None,
        actor: Actor | None = None,
        include_restricted: bool = False,
        lang: str = "es",
        dictionary: bool = True,
    ) -> list[Path]:
        """Export the entries matching ``filters``; restricted fields only for administrators.

        Returns the files written: the export and, for GeoJSON and CSV, the data dictionary
        beside it (``NAME.dictionary.csv``; GeoPackage holds it as a table).
        """
        if include_restricted:
            require(actor or Actor("?", "visitor"), "export_restricted")
        frame = self.list(filters)
        written = [export_frame(frame, path, fmt, include_restricted, lang)]
        if dictionary and guess_format(path, fmt) != "gpkg":
            target = Path(path)
            written.append(
                write_dictionary(target.with_name(target.stem + ".dictionary.csv"), lang)
            )
        return written

    # -- users ---------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str | None, actor: Actor) -> None:
        """Create a user (argon2id hash of ``password``)."""
        store = self._ready()
        require(actor, "manage_users")
        if role not in code_codes("role"):
            raise UsageError(tr("unknown_code", value=role, allowed=", ".join(code_codes("role"))))
        if store.get_user(username) is not None:
            raise UsageError(tr("user_exists", user=username))
        hashed = None
        if password is not None:
            try:
                hashed = hash_password(password)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        store.add_user(username, role, hashed)

    def set_password(self, username: str, password: str, actor: Actor) -> None:
        """Change a user's password (admins, or the user themself)."""
        store = self._ready()
        if actor.username != username:
            require(actor, "manage_users")
        if store.get_user(username) is None:
            raise NotFound(tr("unknown_user", user=username))
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        store.update_user(username, password_hash=hashed, failed_logins=0)

    def list_users(self) -> list[dict[str, Any]]:
        """Return users (never their password hashes)."""
        return self._ready().list_users()
