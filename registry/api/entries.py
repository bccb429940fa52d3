"""Entries: validation, writes, review, import and export."""

from __future__ import annotations

import builtins
import gc
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from registry.api.base import RegistryBase
from registry.auth import (
    Actor,
    require,
)
from registry.errors import (
    AlreadyExists,
    Conflict,
    NotAllowed,
    Problem,
    UsageError,
    ValidationFailed,
)
from registry.geo.locate import resolve_locations
from registry.i18n import number as number_text
from registry.i18n import tr
from registry.io.formats import guess_format
from registry.io.read import read_rows
from registry.notify import messages_for, smtp_settings, wake
from registry.schema.fields import FIELDS_BY_NAME
from registry.schema.monitoring import (
    MONITORING_FIELDS,
    MONITORING_SYSTEM_FIELDS,
    monitoring_table,
)
from registry.store import Filters
from registry.store.tables import USER_FIELD_NAMES, same_value

if TYPE_CHECKING:  # the writers (GDAL, openpyxl) load when an export runs
    from registry.io.export import RelatedTable

_LOG = logging.getLogger("registry.entries")


__all__ = ["Entries", "ImportReport"]


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    what: str = "entries"  # or "values" (monitoring indicator values)

    def message(self) -> str:
        prefix = "mon_" if self.what == "values" else ""
        key = prefix + ("import_dry_ok" if self.dry_run else "import_ok")
        return " ".join(
            [
                *self.notes,
                tr(key, created=self.created, updated=self.updated, unchanged=self.unchanged),
            ]
        )


IMPORT_BLOCK = 2_000  # rows validated between two progress reports


def _silent(share: float, text: str) -> None:
    """The progress callback of an import nobody watches."""


def _editable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in (*USER_FIELD_NAMES, "geometry") if k in record}


_LOCATION = ("geometry", "comuna_code", "region_code", "country")


def _written_by(current: dict[str, Any], model: Any, actor: Actor) -> bool:
    """Whether ``current`` was last written by ``actor`` and holds ``model``'s values: what a
    write of ``model`` by ``actor`` leaves, so that write sent again need not be made."""
    from registry.schema.model import plain  # loaded by the validation that made ``model``

    values = plain(model)
    return (
        current.get("updated_by") == actor.username
        and not current.get("deleted")
        and all(
            same_value(current.get(k), values.get(k))
            for k in (*USER_FIELD_NAMES, "geometry")
            if k != "id"
        )
    )


def _made_by(current: dict[str, Any], model: Any, actor: Actor) -> bool:
    """Whether ``current`` is what creating ``model`` as ``actor`` writes, untouched since."""
    return int(current.get("version") or 0) == 1 and _written_by(current, model, actor)


def _merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The entry's values with ``changes`` applied: a field ``changes`` does not name keeps
    its value; a new location refills the region and comuna codes it does not give."""
    values = _editable(current)
    if any(k in changes for k in _LOCATION):
        for k in ("region_code", "comuna_code"):
            values[k] = None
    values.update(changes)
    return values


def _require_write(actor: Actor, current: dict[str, Any] | None, model: Any) -> None:
    """The permission rules of every write of an entry's fields (the form, ``update``,
    ``import``): creating or changing it at its new status, naming its editors, writing
    its review note."""
    if current is None:
        require(actor, "create", new_status=model.status)
        if model.review_note:
            require(actor, "review")
        return
    require(actor, "update", current, new_status=model.status)
    if list(model.editors) != list(current.get("editors") or []):
        require(actor, "set_editors", current)
    if model.review_note != current.get("review_note"):
        require(actor, "review", current)


def _version(text: Any) -> int | None:
    """A version as a file holds it (``3``, or ``3.0`` as spreadsheets and pandas write
    whole numbers in a column with gaps); None when it is not a whole number."""
    cleaned = str(text).strip()
    if re.fullmatch(r"\d+", cleaned):
        return int(cleaned)
    if re.fullmatch(r"\d+\.0+", cleaned):
        return int(cleaned.split(".")[0])
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk import.

    An import holds hundreds of thousands of new dicts and strings at once; the collector,
    started by allocation counts, scans them again and again (about a fifth of the CPU of a
    100,000-row import, measured with ``bench.run``). The import builds rows, not cycles;
    what little cyclic garbage it leaves waits for the next collection. The collector is process-wide: if it was already paused
    (another import in another session), it is left as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Entries:
    """Writes go through here: validated once, permission-checked, one transaction each."""

    def __init__(self, registry: RegistryBase):
        self._reg = registry  # the store, the acting user and the reads

    # -- validation ----------------------------------------------------------------------
    def _prepare(
        self, rows: builtins.list[dict[str, Any]], row_numbers: builtins.list[int] | None = None
    ) -> tuple[builtins.list[Any], builtins.list[Problem]]:
        """Validate rows and check their locations; problems carry the file's row numbers."""
        from registry.schema.model import validate_records  # pydantic loads on a first write

        models, problems = validate_records(rows)
        fixes, loc_problems = resolve_locations(models, boundaries=self._reg.boundary_set())

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
        """Validate and store a new entry owned by ``actor``.

        ``values`` may name the new entry's ``id`` (a form makes it when it is drawn). The
        same create sent again, by the same user with the same values, returns the entry the
        first one made and writes nothing (a double click, a retried request); any other
        create with an id in use raises ``AlreadyExists``."""
        actor = self._reg._acting(actor)
        model = self.validate(values)
        _require_write(actor, None, model)
        try:
            record = self._reg._ready().create(model, actor.username)
        except AlreadyExists as exc:
            if not _made_by(exc.current, model, actor):
                raise
            return exc.current
        self._tell(None, record, actor)
        return record

    def update(
        self, record_id: str, changes: dict[str, Any], expected_version: int, actor: Actor
    ) -> dict[str, Any]:
        """Apply ``changes`` to the entry at ``expected_version``; raise ``Conflict`` if stale.

        Fields ``changes`` does not name keep their values. A stale version is no conflict
        when the entry's last write was ``actor``'s and left it as this one would (the same
        change sent again): the entry is returned as it is and nothing is written."""
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        current = store.get(record_id, include_deleted=False)
        for name in changes:
            if name not in FIELDS_BY_NAME or name == "id":
                raise UsageError(tr("field_readonly", field=name))
        model = self.validate(_merged(current, changes))
        _require_write(actor, current, model)
        try:
            record = store.update(record_id, model, expected_version, actor.username)
        except Conflict as exc:
            if not _written_by(exc.current, model, actor):
                raise
            return exc.current  # this very change, sent again: written already
        self._tell(current.get("status"), record, actor)
        return record

    def _tell(self, before: str | None, record: dict[str, Any], actor: Actor) -> None:
        """Queue the e-mail that a change of ``record``'s status to submitted (its
        managers), published or rejected (its owner and editors) calls for, once the change
        has committed; a failure here is logged and never undoes the change (see
        ``registry.notify``). Nobody is told of their own action."""
        after = record.get("status")
        if after == before or after not in ("submitted", "published", "rejected"):
            return
        settings = smtp_settings()
        if settings is None:
            return
        try:
            store = self._reg._ready()
            users = [
                u
                for u in store.list_users()
                if not u["disabled"]
                and u.get("email")
                and u.get("notify") is not False
                and u["username"] != actor.username
            ]
            if after == "submitted":
                to = [u for u in users if u["role"] == "manager"]
                to = to or [u for u in users if u["role"] == "admin"]
            else:
                names = {record.get("owner"), *(record.get("editors") or [])}
                to = [u for u in users if u["username"] in names]
            store.queue_mail(messages_for(after, record, to, actor.username, settings.public_url))
            wake()
        except Exception:  # noqa: BLE001 -- the change stands whatever happens to its mail
            _LOG.exception("the notifications of entry %s could not be queued", record.get("id"))

    # -- review --------------------------------------------------------------------------
    def submit(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Send a draft (or a mended rejected entry) for review."""
        return self.update(record_id, {"status": "submitted"}, expected_version, actor)

    def publish(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Publish an entry (managers): visitors see it from now on."""
        actor = self._reg._acting(actor)
        require(actor, "review", self._reg._ready().get(record_id))
        changes = {"status": "published", "review_note": None}
        return self.update(record_id, changes, expected_version, actor)

    def reject(
        self, record_id: str, expected_version: int, reason: str, actor: Actor
    ) -> dict[str, Any]:
        """Reject an entry (managers) with a reason the coordinator reads in ``review_note``."""
        actor = self._reg._acting(actor)
        require(actor, "review", self._reg._ready().get(record_id))
        if not (reason or "").strip():
            raise ValidationFailed([Problem(None, "review_note", tr("reason_required"))])
        changes = {"status": "rejected", "review_note": reason.strip()}
        return self.update(record_id, changes, expected_version, actor)

    def delete(self, record_id: str, expected_version: int, actor: Actor) -> dict[str, Any]:
        """Soft-delete the entry at ``expected_version``."""
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        require(actor, "delete", store.get(record_id, include_deleted=False))
        return store.delete(record_id, expected_version, actor.username)

    def revert(
        self, record_id: str, to_version: int, actor: Actor, expected_version: int
    ) -> dict[str, Any]:
        """Make the entry's content that of ``to_version`` again, as a new version; the
        entry must still be at ``expected_version``, the version the user saw (else
        ``Conflict``)."""
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        current = store.get(record_id)
        require(actor, "revert", current)
        return store.revert(record_id, to_version, actor.username, expected_version)

    def import_file(
        self,
        path: str | Path,
        actor: Actor,
        dry_run: bool = False,
        only_new: bool = False,
        progress: Callable[[float, str], None] | None = None,
    ) -> ImportReport:
        """Import a CSV, GeoJSON or GeoPackage file: everything or nothing.

        Rows with an ``id`` or ``external_id`` already in the registry update that entry:
        the file's columns replace those fields (an empty cell clears one), fields the file
        has no column for keep their values; a ``version`` given must be the entry's
        current one. Others create entries. Every row passes the same permission rules as
        ``update`` and ``create``. Any problem in any row raises ``ValidationFailed`` with
        every problem, row-numbered, and nothing is written. With ``only_new``, rows that
        match an existing entry are left alone (counted as unchanged): used by ``seed``.
        ``progress(share, text)``, if given, is told how far the import is (0 to 1) and what
        it is doing, in the active language: reading, checking rows (in blocks of
        ``IMPORT_BLOCK``), writing (one transaction), done.
        """
        with _collector_paused():
            return self._import(path, actor, dry_run, only_new, progress)

    def _import(
        self,
        path: str | Path,
        actor: Actor,
        dry_run: bool,
        only_new: bool,
        progress: Callable[[float, str], None] | None,
    ) -> ImportReport:
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        tell = progress or _silent
        tell(0.0, tr("import_step_read"))
        raw = read_rows(path)
        problems = list(raw.problems)
        seen: dict[tuple[str, str], int] = {}
        keys: builtins.list[tuple[str, str]] = []
        for number, values in raw:
            row_keys = ("", "")
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
                    row_keys = (value, row_keys[1]) if key == "id" else (row_keys[0], value)
            keys.append(row_keys)
        ext_ids = sorted({ext for _, ext in keys if ext})
        by_external = store.find_ids(ext_ids) if ext_ids else {}
        wanted = {rid for rid, _ in keys if rid} | set(by_external.values())
        existing = store.get_many(sorted(wanted)) if wanted else {}
        numbers, rows, currents = [], [], []
        skipped = 0
        for (number, values), (rid, ext) in zip(raw, keys, strict=True):
            current = existing.get(rid) if rid else None
            if current is None and ext:
                current = existing.get(by_external.get(ext, ""))
            version = values.pop("version", None)
            if current is not None and only_new:
                skipped += 1
                continue
            if current is not None and str(version or "").strip():
                given = _version(version)
                if given is None:
                    problems.append(
                        Problem(number, "version", tr("bad_version", value=str(version)[:40]))
                    )
                elif given != current["version"]:
                    problems.append(
                        Problem(number, "version", Conflict(current["id"], given, current).user_msg)
                    )
            numbers.append(number)
            rows.append(_merged(current, values) if current is not None else values)
            currents.append(current)
        models: builtins.list[Any] = []
        total = len(rows)
        for start in range(0, total, IMPORT_BLOCK):
            block = slice(start, start + IMPORT_BLOCK)
            tell(
                0.05 + 0.8 * start / total,
                tr("import_step_check", done=number_text(start), total=number_text(total)),
            )
            block_models, found = self._prepare(rows[block], row_numbers=numbers[block])
            models += block_models
            problems += found
        creates, updates = [], []
        for number, model, current in zip(numbers, models, currents, strict=True):
            if model is None:
                continue
            try:
                _require_write(actor, current, model)
            except NotAllowed as exc:
                problems.append(Problem(number, "-", exc.user_msg))
                continue
            if current is None:
                creates.append(model)
            else:
                updates.append(
                    (current["id"], model.model_copy(update={"id": None}), current["version"])
                )
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ValidationFailed(problems, tr("import_failed", n=number_text(len(problems))))
        report = ImportReport(dry_run=dry_run, notes=list(raw.notes), unchanged=skipped)
        if dry_run:
            report.created, report.updated = len(creates), len(updates)
            tell(1.0, report.message())
            return report
        tell(0.9, tr("import_step_write", n=number_text(len(creates) + len(updates))))
        result = store.apply_batch(creates, updates, actor.username)
        report.created, report.updated = len(result.created), len(result.updated)
        report.unchanged += len(result.unchanged)
        tell(1.0, report.message())
        return report

    def _monitoring_tables(
        self, ids: builtins.list[str], include_restricted: bool
    ) -> builtins.list[RelatedTable]:
        """The monitoring records of the entries ``ids`` as related tables of an export."""
        from registry.io.export import RelatedTable

        store = self._reg._ready()
        kinds = ["goal", "indicator", "value"] + (["review"] if include_restricted else [])
        hidden = {"deleted"} | (set() if include_restricted else {"created_by", "updated_by"})
        dtypes = {"number": "float64", "int": "Int64"}
        out = []
        for kind in kinds:
            specs = [
                s for s in (*MONITORING_SYSTEM_FIELDS, *MONITORING_FIELDS[kind])
                if s.name not in hidden
            ]  # fmt: skip
            frame = pd.DataFrame(store.monitoring_rows(kind, ids), columns=[s.name for s in specs])
            for spec in specs:
                if spec.type in dtypes:
                    frame[spec.name] = frame[spec.name].astype(dtypes[spec.type])
            references = {"initiative_id": ("initiatives", "id")}
            if kind == "indicator":
                references["goal_id"] = (monitoring_table("goal"), "id")
            if kind == "value":
                references["indicator_id"] = (monitoring_table("indicator"), "id")
            out.append(RelatedTable(monitoring_table(kind), frame, references))
        return out

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
        beside it (``NAME.dictionary.csv``; GeoPackage holds it as a table). A GeoPackage
        also holds the entries' monitoring as related tables (goals, indicators, values;
        the review log only with the restricted fields).
        """
        if include_restricted:
            require(
                self._reg._acting(actor) if actor else Actor("?", "visitor"), "export_restricted"
            )
        from registry.io.export import export_frame, write_dictionary

        frame = self._reg.list(filters, viewer=viewer)
        related = (
            self._monitoring_tables(list(frame["id"]), include_restricted)
            if guess_format(path, fmt) == "gpkg"
            else []
        )
        written = [export_frame(frame, path, fmt, include_restricted, lang, related)]
        if dictionary and guess_format(path, fmt) not in ("gpkg", "xlsx"):  # those hold it
            target = Path(path)
            written.append(
                write_dictionary(target.with_name(target.stem + ".dictionary.csv"), lang)
            )
        return written
