"""The facade that the CLI, the app and the HTTP API call.

``Registry`` ties validation (``registry.schema``), location checks (``registry.geo``),
permissions (``registry.auth``) and storage (``registry.store``) together. Nothing above
this layer touches SQL, files or GDAL.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import functools
import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from registry.auth import (
    LOCKOUT_MINUTES,
    MAX_FAILED_LOGINS,
    Actor,
    can_view,
    hash_password,
    readable_by,
    require,
    verify_password,
)
from registry.errors import NotAllowed, NotFound, Problem, UsageError, ValidationFailed
from registry.geo.boundaries import comunas
from registry.geo.locate import resolve_locations
from registry.i18n import tr
from registry.io.export import export_frame, guess_format, write_dictionary
from registry.io.read import read_rows
from registry.layers.context import regional_context
from registry.layers.derived import DERIVED, convergence, with_derived
from registry.layers.indicators import COLUMNS as INDICATOR_COLUMNS
from registry.layers.indicators import bundled_indicators, coverage, read_indicator_file
from registry.paths import geodata_dir
from registry.schema.codes import code_codes
from registry.schema.fields import FIELDS_BY_NAME
from registry.schema.model import validate_records
from registry.stats import BY_FIELDS, DEFAULT_BY, per_region, summary
from registry.store import Filters, Store, open_store
from registry.store.tables import USER_FIELD_NAMES

__all__ = ["ImportReport", "Registry"]


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


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


def _for_viewer(filters: Filters | None, viewer: Actor | None) -> Filters | None:
    if viewer is None:
        return filters
    return dataclasses.replace(filters or Filters(), readable_by=readable_by(viewer))


def _utc(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


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
    ) -> gpd.GeoDataFrame:
        """Return the entries matching ``filters`` as a GeoDataFrame in EPSG:4326.

        ``viewer`` restricts the result to what that user may see (``VISITOR``: published
        entries only); None means no restriction (the local operator of the command line).
        """
        return self._ready().list(_for_viewer(filters, viewer), include_deleted=include_deleted)

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

    # -- validation ----------------------------------------------------------------------
    def _prepare(
        self, rows: builtins.list[dict[str, Any]], row_numbers: builtins.list[int] | None = None
    ) -> tuple[builtins.list[Any], builtins.list[Problem]]:
        """Validate rows and check their locations; problems carry the file's row numbers."""
        models, problems = validate_records(rows)
        fixes, loc_problems = resolve_locations(models)

        def renumber(p: Problem) -> Problem:
            row = None if row_numbers is None or p.row is None else row_numbers[p.row - 1]
            return Problem(row, p.field, p.message)

        problems = [renumber(p) for p in problems + loc_problems]
        ready: builtins.list[Any] = []
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
        if model.review_note:
            require(actor, "review")
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
        if model.editors != (current.get("editors") or []):
            require(actor, "set_editors", current)
        if model.review_note != current.get("review_note"):
            require(actor, "review", current)
        return store.update(record_id, model, expected_version, actor.username)

    # -- review --------------------------------------------------------------------------
    def submit(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Send a draft (or a mended rejected entry) for review."""
        return self.update(record_id, {"status": "submitted"}, expected_version, actor)

    def publish(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Publish an entry (managers): visitors see it from now on."""
        require(actor, "review", self._ready().get(record_id))
        changes = {"status": "published", "review_note": None}
        return self.update(record_id, changes, expected_version, actor)

    def reject(
        self, record_id: str, expected_version: int, reason: str, actor: Actor
    ) -> dict[str, Any]:
        """Reject an entry (managers) with a reason the coordinator reads in ``review_note``."""
        require(actor, "review", self._ready().get(record_id))
        if not (reason or "").strip():
            raise ValidationFailed([Problem(None, "review_note", tr("reason_required"))])
        changes = {"status": "rejected", "review_note": reason.strip()}
        return self.update(record_id, changes, expected_version, actor)

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
        viewer: Actor | None = None,
    ) -> builtins.list[Path]:
        """Export the entries matching ``filters``; restricted fields only for administrators.

        Returns the files written: the export and, for GeoJSON and CSV, the data dictionary
        beside it (``NAME.dictionary.csv``; GeoPackage holds it as a table).
        """
        if include_restricted:
            require(actor or Actor("?", "visitor"), "export_restricted")
        frame = self.list(filters, viewer=viewer)
        written = [export_frame(frame, path, fmt, include_restricted, lang)]
        if dictionary and guess_format(path, fmt) != "gpkg":
            target = Path(path)
            written.append(
                write_dictionary(target.with_name(target.stem + ".dictionary.csv"), lang)
            )
        return written

    # -- regional indicators --------------------------------------------------------------
    def indicators(self) -> pd.DataFrame:
        """Return every indicator row: bundled, imported and derived.

        Columns ``region_code, year, period, indicator, value, unit, source_url, notes``,
        ``origin`` (``bundled``, ``imported`` or ``derived``) and ``inputs`` (for derived
        rows, the rows they were computed from). An imported series replaces the bundled
        series of the same name.
        """
        bundled = bundled_indicators(geodata_dir())
        bundled["origin"] = "bundled"
        imported = self._ready().indicator_rows()
        imported = imported.reindex(columns=list(INDICATOR_COLUMNS))
        imported["origin"] = "imported"
        keep = bundled[~bundled["indicator"].isin(set(imported["indicator"]))]
        table = pd.concat([keep, imported], ignore_index=True) if len(imported) else keep
        table["year"] = table["year"].astype("Int64")
        table["notes"] = table["notes"].fillna("")
        return with_derived(table)

    def indicator_series(self) -> builtins.list[dict[str, Any]]:
        """Describe every series: origin, units, years, periods, regions, what is missing,
        sources; for derived series their formula and inputs; for imported ones whether
        they replace a bundled series."""
        table = self.indicators()
        bundled_names = set(bundled_indicators(geodata_dir())["indicator"])
        out = []
        for item in coverage(table):
            spec = DERIVED.get(item["indicator"])
            if item["origin"] == "derived" and spec is not None:
                item["formula"] = spec.formula
                item["derived_from"] = list(spec.inputs)
            if item["origin"] == "imported":
                item["replaces_bundled"] = item["indicator"] in bundled_names
            out.append(item)
        return out

    def import_indicators(self, path: str | Path, actor: Actor) -> str:
        """Add or replace indicator series from a CSV (all or nothing).

        Every series (``indicator``) named in the file is replaced whole by the file's rows.

        Raises
        ------
        ValidationFailed
            Row-numbered problems; nothing is written.
        """
        store = self._ready()
        require(actor, "manage_indicators")
        frame = read_indicator_file(path, reserved=frozenset(DERIVED))
        rows = [
            {
                **r,
                "year": None if pd.isna(r["year"]) else int(r["year"]),
                "value": float(r["value"]),
            }
            for r in frame.to_dict("records")
        ]
        replaced = set(store.replace_indicator_series(rows, actor.username))
        names = sorted(frame["indicator"].unique())
        replaced |= set(names) & set(bundled_indicators(geodata_dir())["indicator"])
        return tr(
            "ind_imported",
            rows=len(rows),
            n=len(names),
            names=", ".join(names),
            replaced=", ".join(sorted(replaced)) or "-",
        )

    def remove_indicators(self, name: str, actor: Actor) -> str:
        """Remove an imported series (a bundled series of that name, if any, returns)."""
        store = self._ready()
        require(actor, "manage_indicators")
        removed = store.remove_indicator_series(name, actor.username)
        if not removed:
            raise NotFound(tr("ind_not_imported", name=name))
        return tr("ind_removed", name=name, rows=removed)

    def region_names(self) -> dict[str, str]:
        """Region names by code (``00`` = Chile)."""
        table = comunas()
        return {"00": "Chile", **dict(zip(table.region_code, table.region_name, strict=False))}

    def comuna_names(self) -> dict[str, str]:
        """Comuna names by code."""
        table = comunas()
        return dict(zip(table.comuna_code, table.comuna_name, strict=True))

    def convergence(
        self, indicator: str, start: int, end: int, period: str | None = None
    ) -> dict[str, Any]:
        """The convergence view of ``indicator`` between two years (see
        ``registry.layers.derived.convergence``), with region names."""
        view = convergence(self.indicators(), indicator, start, end, period)
        names = self.region_names()
        for row in view["regions"]:
            row["region_name"] = names.get(row["region_code"], row["region_code"])
        return view

    def context(self, record_id: str, viewer: Actor | None = None) -> dict[str, Any]:
        """Regional context of an entry: region and comuna, the region's latest
        productivity figures and trend, and the entries, initiatives, barrios and firms in
        the same region and comuna."""
        record = self.get(record_id, viewer)
        return regional_context(
            record,
            self.list(viewer=viewer),
            self.indicators(),
            self.region_names(),
            self.comuna_names(),
        )

    # -- statistics ----------------------------------------------------------------------
    def stats(
        self,
        filters: Filters | None = None,
        by: tuple[str, ...] = DEFAULT_BY,
        lang: str | None = None,
        viewer: Actor | None = None,
    ) -> dict[str, Any]:
        """Counts and shares of the entries matching ``filters`` by each field in ``by``,
        firm totals, and entries per region normalised by employment (the latest annual
        average that covers every region)."""
        unknown = [f for f in by if f not in BY_FIELDS]
        if unknown:
            raise UsageError(tr("stats_bad_by", value=unknown[0], allowed=", ".join(BY_FIELDS)))
        frame = self.list(filters, viewer=viewer)
        regions = self.region_names()
        names = {"region_code": regions, "comuna_code": self.comuna_names()}
        out = summary(frame, by, names, lang)
        out["per_region"] = per_region(frame, self._employment(), regions)
        return out

    def _employment(self) -> pd.DataFrame:
        table = self.indicators()
        emp = table[table["indicator"] == "employed_thousands_annual_avg"]
        full = [
            y
            for y, g in emp.groupby("year")
            if set(g["region_code"]) >= {f"{i:02d}" for i in range(1, 17)}
        ]
        return emp[emp["year"] == max(full)] if full else emp.iloc[0:0]

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

    def list_users(self) -> builtins.list[dict[str, Any]]:
        """Return users (never their password hashes)."""
        return self._ready().list_users()

    def login(self, username: str, password: str) -> Actor:
        """Return the ``Actor`` of a user whose password matches, or raise ``NotAllowed``.

        After ``MAX_FAILED_LOGINS`` failures in a row the account is locked for
        ``LOCKOUT_MINUTES`` from the last failure (an administrator can unlock it sooner).
        The message does not tell a wrong password from an unknown or disabled user.
        """
        store = self._ready()
        user = store.get_user(username)
        now = dt.datetime.now(dt.UTC)
        if user is None or user["disabled"] or not user["password_hash"]:
            verify_password(_dummy_hash(), password)  # take as long as a real check
            raise NotAllowed(tr("login_failed"))
        last = _utc(user.get("last_failed_at"))
        recent = last is not None and now - last < dt.timedelta(minutes=LOCKOUT_MINUTES)
        failed = int(user["failed_logins"] or 0) if recent else 0
        if failed >= MAX_FAILED_LOGINS and last is not None:
            left = LOCKOUT_MINUTES - int((now - last).total_seconds() // 60)
            raise NotAllowed(tr("login_locked", minutes=left))
        if not verify_password(user["password_hash"], password):
            failed += 1
            store.update_user(username, failed_logins=failed, last_failed_at=now.isoformat())
            if failed >= MAX_FAILED_LOGINS:
                raise NotAllowed(tr("login_locked", minutes=LOCKOUT_MINUTES))
            raise NotAllowed(tr("login_failed"))
        if user["failed_logins"]:
            store.update_user(username, failed_logins=0, last_failed_at=None)
        return Actor(username, user["role"])

    def update_user(
        self,
        username: str,
        actor: Actor,
        role: str | None = None,
        disabled: bool | None = None,
        unlock: bool = False,
    ) -> None:
        """Change a user's role, disable or enable them, or lift a lock-out (admins)."""
        store = self._ready()
        require(actor, "manage_users")
        if store.get_user(username) is None:
            raise NotFound(tr("unknown_user", user=username))
        values: dict[str, Any] = {}
        if role is not None:
            if role not in code_codes("role"):
                allowed = ", ".join(code_codes("role"))
                raise UsageError(tr("unknown_code", value=role, allowed=allowed))
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if unlock:
            values.update(failed_logins=0, last_failed_at=None)
        if values:
            store.update_user(username, **values)
