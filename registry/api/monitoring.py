"""Monitoring: goals, indicators, values per period and the review log of each initiative;
progress, freshness and completeness; the programme view; CSV import and export of values.

Who may write: whoever may edit the entry (its owner and named editors among coordinators,
managers, administrators), through the ``monitor`` permission. Who may read: goals,
indicators and values follow the entry (published entries are public); the review log,
which names people and internal decisions, only those who may write.
"""

from __future__ import annotations

import builtins
import csv
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from registry.api.base import RegistryBase
from registry.api.entries import ImportReport, _version
from registry.auth import Actor, can, require
from registry.errors import NotAllowed, NotFound, Problem, UsageError, ValidationFailed
from registry.i18n import number as number_text
from registry.i18n import tr
from registry.io.formats import neutralise_formulas
from registry.io.read import read_rows
from registry.progress import badge, chart_data, progress
from registry.quality import (
    completeness,
    freshness,
    last_activity,
    record_quality,
    stale_months,
)
from registry.schema.monitoring import (
    KINDS,
    MONITORING_FIELDS,
    indicator_name,
    period_key,
)
from registry.store import Filters

__all__ = ["VALUE_COLUMNS", "Monitoring", "MonitoringPart"]


def _validate(kind: str, values: dict[str, Any], row: int | None = None) -> dict[str, Any]:
    """``registry.schema.monitoring_model.validate_monitoring``, loaded (with pydantic) on
    the first write rather than on every start."""
    from registry.schema.monitoring_model import validate_monitoring as validate

    return validate(kind, values, row)


# the columns of the indicator-values CSV (export, and the import's template)
VALUE_COLUMNS = (
    "initiative_id",
    "initiative_name",
    "indicator_id",
    "indicator",
    "unit",
    "period",
    "value",
    "source_note",
    "target",
    "target_period",
    "id",
    "version",
)
_READ_ONLY_VALUE_COLUMNS = {"initiative_name", "indicator", "unit", "target", "target_period"}
_NUMERIC_COLUMNS = {"value", "target", "version"}


@dataclass(frozen=True)
class Monitoring:
    """An initiative's monitoring as one viewer may see it."""

    initiative: dict[str, Any]
    goals: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    values: list[dict[str, Any]]
    reviews: list[dict[str, Any]] | None  # None: the viewer may not read the review log
    can_edit: bool

    def values_of(self, indicator_id: str) -> list[dict[str, Any]]:
        """The values of one indicator, oldest period first."""
        found = [v for v in self.values if v["indicator_id"] == indicator_id]
        return sorted(found, key=lambda v: period_key(v["period"]))

    def charts(self, lang: str | None = None) -> list[dict[str, Any]]:
        """``registry.progress.chart_data`` of each indicator, in the order they were added."""
        return [chart_data(i, self.values_of(i["id"]), lang) for i in self.indicators]


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(tr("monitoring_unknown_kind", kind=kind, allowed=", ".join(KINDS)))
    return kind


class MonitoringPart:
    """Monitoring records of initiatives, their progress and how current entries are."""

    def __init__(self, registry: RegistryBase):
        self._reg = registry  # the store, the acting user and the reads

    # -- reads ---------------------------------------------------------------------------
    def __call__(self, initiative_id: str, viewer: Actor | None = None) -> Monitoring:
        """Return the goals, indicators, values and (if ``viewer`` may) review log of one
        initiative; raise ``NotFound`` if ``viewer`` may not see the initiative."""
        record = self._reg.get(initiative_id, viewer)
        if record.get("deleted"):
            raise NotFound(tr("not_found", id=initiative_id))
        store = self._reg._ready()
        may_write = viewer is None or can(viewer, "monitor", record)
        ids = [initiative_id]
        return Monitoring(
            initiative=record,
            goals=store.monitoring_rows("goal", ids),
            indicators=store.monitoring_rows("indicator", ids),
            values=store.monitoring_rows("value", ids),
            reviews=store.monitoring_rows("review", ids) if may_write else None,
            can_edit=may_write,
        )

    def monitoring_history(
        self, kind: str, record_id: str, viewer: Actor | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Every version of one monitoring record, oldest first."""
        current = self._reg._ready().monitoring_get(_kind(kind), record_id)
        entry = self._reg.get(current["initiative_id"], viewer)  # NotFound if not visible
        viewer = self._reg._viewer(viewer)
        writer = viewer is None or can(viewer, "monitor", entry)
        if entry.get("deleted") or (kind == "review" and not writer):
            raise NotFound(tr("not_found", id=record_id))
        versions = self._reg._ready().history(record_id)
        if writer:
            return versions
        # as the monitoring exports: who wrote each version is for those who may write

        def public(state: dict[str, Any] | None) -> dict[str, Any] | None:
            return None if state is None else {**state, "created_by": None, "updated_by": None}

        return [
            {**v, "actor": None, "before": public(v["before"]), "after": public(v["after"])}
            for v in versions
        ]

    # -- writes --------------------------------------------------------------------------
    def _initiative_for_write(self, initiative_id: str, actor: Actor) -> dict[str, Any]:
        record = self._reg._ready().get(initiative_id, include_deleted=False)
        require(self._reg._acting(actor), "monitor", record)
        return record

    def _check(
        self,
        kind: str,
        initiative_id: str,
        clean: dict[str, Any],
        row: int | None = None,
        record_id: str | None = None,
    ) -> builtins.list[Problem]:
        """Rules that look at other records: a value's indicator and period, an
        indicator's goal and frequency."""
        store = self._reg._ready()
        problems: builtins.list[Problem] = []
        if kind == "value":
            try:
                indicator = store.monitoring_get("indicator", clean["indicator_id"])
            except NotFound:
                indicator = None
            if (
                indicator is None
                or indicator["deleted"]
                or indicator["initiative_id"] != initiative_id
            ):
                problems.append(
                    Problem(
                        row,
                        "indicator_id",
                        tr("monitoring_no_indicator", id=clean["indicator_id"]),
                    )
                )
                return problems
            quarterly = "-Q" in clean["period"]
            if quarterly != (indicator["frequency"] == "quarterly"):
                problems.append(
                    Problem(row, "period", tr("period_frequency", period=clean["period"]))
                )
            same = [
                v
                for v in store.monitoring_rows("value", [initiative_id])
                if v["indicator_id"] == clean["indicator_id"]
                and v["period"] == clean["period"]
                and v["id"] != record_id
            ]
            if same:
                problems.append(
                    Problem(row, "period", tr("monitoring_period_taken", period=clean["period"]))
                )
        if kind == "indicator":
            goal_id = clean.get("goal_id")
            if goal_id:
                goals = {g["id"] for g in store.monitoring_rows("goal", [initiative_id])}
                if goal_id not in goals:
                    problems.append(Problem(row, "goal_id", tr("monitoring_no_goal", id=goal_id)))
            if record_id is not None:
                quarterly = clean["frequency"] == "quarterly"
                clash = [
                    v["period"]
                    for v in store.monitoring_rows("value", [initiative_id])
                    if v["indicator_id"] == record_id and ("-Q" in v["period"]) != quarterly
                ]
                if clash:
                    problems.append(
                        Problem(row, "frequency", tr("period_frequency", period=clash[0]))
                    )
        return problems

    def add_monitoring(
        self, kind: str, initiative_id: str, values: dict[str, Any], actor: Actor
    ) -> dict[str, Any]:
        """Validate and store a new ``kind`` record (goal, indicator, value or review) of
        the initiative; only those who may edit the initiative may."""
        self._initiative_for_write(initiative_id, actor)
        clean = _validate(_kind(kind), values)
        problems = self._check(kind, initiative_id, clean)
        if problems:
            raise ValidationFailed(problems)
        created = {**clean, "initiative_id": initiative_id}
        return self._reg._ready().monitoring_write(kind, creates=[created], actor=actor.username)[0]

    def update_monitoring(
        self,
        kind: str,
        record_id: str,
        changes: dict[str, Any],
        expected_version: int,
        actor: Actor,
    ) -> dict[str, Any]:
        """Apply ``changes`` to a ``kind`` record read at ``expected_version``; a stale
        version raises ``Conflict``."""
        store = self._reg._ready()
        current = store.monitoring_get(_kind(kind), record_id)
        if current["deleted"]:
            raise NotFound(tr("deleted", id=record_id))
        self._initiative_for_write(current["initiative_id"], actor)
        names = {s.name for s in MONITORING_FIELDS[kind]}
        for name in changes:
            if name not in names:
                raise UsageError(tr("field_readonly", field=name))
        clean = _validate(kind, {**{k: current[k] for k in names}, **changes})
        problems = self._check(kind, current["initiative_id"], clean, record_id=record_id)
        if problems:
            raise ValidationFailed(problems)
        return store.monitoring_write(
            kind, updates=[(record_id, clean, expected_version)], actor=actor.username
        )[0]

    def delete_monitoring(
        self, kind: str, record_id: str, expected_version: int, actor: Actor
    ) -> dict[str, Any]:
        """Delete a ``kind`` record (kept in its history), in one transaction with what goes
        with it: an indicator's values are deleted too; a goal's indicators stay, unlinked."""
        store = self._reg._ready()
        current = store.monitoring_get(_kind(kind), record_id)
        if current["deleted"]:
            raise NotFound(tr("deleted", id=record_id))
        self._initiative_for_write(current["initiative_id"], actor)
        first: builtins.list[Any] = []
        if kind == "indicator":
            values = [
                (v["id"], v["version"])
                for v in store.monitoring_rows("value", [current["initiative_id"]])
                if v["indicator_id"] == record_id
            ]
            first.append(("value", [], values))
        if kind == "goal":
            linked = [
                (i["id"], {"goal_id": None}, i["version"])
                for i in store.monitoring_rows("indicator", [current["initiative_id"]])
                if i["goal_id"] == record_id
            ]
            first.append(("indicator", linked, []))
        return store.monitoring_write(
            kind, deletes=[(record_id, expected_version)], actor=actor.username, first=first
        )[0]

    def record_value(
        self,
        indicator_id: str,
        period: str,
        value: Any,
        source_note: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Record an indicator's value for a period: a new value, or, when the period has
        one and ``expected_version`` is its version, a new version of it."""
        store = self._reg._ready()
        indicator = store.monitoring_get("indicator", indicator_id)
        values = {
            "indicator_id": indicator_id,
            "period": period,
            "value": value,
            "source_note": source_note,
        }
        if expected_version is not None:
            clean = _validate("value", values)
            same = [
                v
                for v in store.monitoring_rows("value", [indicator["initiative_id"]])
                if v["indicator_id"] == indicator_id and v["period"] == clean["period"]
            ]
            if same:
                return self.update_monitoring(
                    "value", same[0]["id"], values, expected_version, actor
                )
        return self.add_monitoring("value", indicator["initiative_id"], values, actor)

    # -- freshness, completeness, programmes --------------------------------------------
    def quality(
        self,
        frame: pd.DataFrame,
        months: int | None = None,
        today: dt.date | None = None,
    ) -> pd.DataFrame:
        """Return, for the entries of ``frame`` (as ``list`` returns them), their last
        activity, ``freshness`` code and completeness score, indexed like ``frame``."""
        activity = self._reg._ready().monitoring_activity(list(frame["id"]))
        return pd.DataFrame(
            {
                "last_activity": last_activity(frame, activity).dt.date,
                "freshness": freshness(frame, activity, months, today),
                "completeness": completeness(frame),
            },
            index=frame.index,
        )

    def entry_quality(
        self,
        record: dict[str, Any],
        months: int | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Return one entry's (``record``, as ``get`` returns it) last activity,
        ``freshness`` code and completeness score: what ``quality`` gives for a frame's
        row, for the details of one entry."""
        activity = self._reg._ready().monitoring_activity([record["id"]])
        return record_quality(record, activity.get(record["id"]), months, today)

    def programme_view(
        self,
        program: str | None = None,
        months: int | None = None,
        viewer: Actor | None = None,
        today: dt.date | None = None,
        lang: str | None = None,
    ) -> pd.DataFrame:
        """One row per entry of ``program`` (every programme when None): its latest
        reported period, how many indicators it has, their mean progress (share, 1.0 =
        targets reached) and how many reached their target, its last activity, freshness
        and completeness. Ordered with the stale entries first."""
        months = stale_months() if months is None else months
        filters = Filters(program=(program,)) if program else None
        frame = self._reg.list(filters, viewer=viewer)
        ids = list(frame["id"])
        store = self._reg._ready()
        indicators = store.monitoring_rows("indicator", ids)
        values = store.monitoring_rows("value", ids)
        by_indicator: dict[str, builtins.list[dict[str, Any]]] = {}
        for v in values:
            by_indicator.setdefault(v["indicator_id"], []).append(v)
        per_entry: dict[str, builtins.list[float | None]] = {}
        latest: dict[str, str] = {}
        for ind in indicators:
            mine = by_indicator.get(ind["id"], [])
            per_entry.setdefault(ind["initiative_id"], []).append(progress(ind, mine))
            for v in mine:
                best = latest.get(ind["initiative_id"])
                if best is None or period_key(v["period"]) > period_key(best):
                    latest[ind["initiative_id"]] = v["period"]
        quality = self.quality(frame, months, today)
        shares = [[s for s in per_entry.get(i, []) if s is not None] for i in ids]
        out = pd.DataFrame(
            {
                "id": ids,
                "name": frame["name"].to_numpy(),
                "program": frame["program"].to_numpy(),
                "region_code": frame["region_code"].to_numpy(),
                "stage": frame["stage"].to_numpy(),
                "status": frame["status"].to_numpy(),
                "indicators": [len(per_entry.get(i, [])) for i in ids],
                "targets_reached": [sum(s >= 1 for s in x) for x in shares],
                "mean_progress": [sum(x) / len(x) if x else None for x in shares],
                "latest_period": [latest.get(i) for i in ids],
                "last_verified": frame["last_verified"].to_numpy(),
                "last_activity": quality["last_activity"].to_numpy(),
                "freshness": quality["freshness"].to_numpy(),
                "completeness": quality["completeness"].to_numpy(),
            }
        )
        out["badge"] = [badge(sum(x) / len(x) if x else None) for x in shares]
        order = out["freshness"].map({"stale": 0, "unverified": 1, "current": 2})
        return (
            out.assign(_o=order)
            .sort_values(["_o", "name"])
            .drop(columns="_o")
            .reset_index(drop=True)
        )

    def stale_entries(
        self,
        months: int | None = None,
        viewer: Actor | None = None,
        today: dt.date | None = None,
    ) -> pd.DataFrame:
        """The entries with no activity for more than ``months`` months (the programme
        view's rows of every programme whose freshness is ``stale``)."""
        view = self.programme_view(None, months, viewer, today)
        return view[view["freshness"] == "stale"].reset_index(drop=True)

    def monitoring_features(
        self, filters: Filters | None = None, viewer: Actor | None = None, lang: str = "es"
    ) -> gpd.GeoDataFrame:
        """One feature per indicator value of the entries matching ``filters`` that
        ``viewer`` may see, at the entry's location, with its indicator's name, unit,
        baseline and target (the API's ``indicator-values`` collection)."""
        frame = self._reg.list(filters, viewer=viewer, columns=["id", "name", "kind"])
        entries = frame.set_index("id")
        store = self._reg._ready()
        ids = list(entries.index)
        indicators = {i["id"]: i for i in store.monitoring_rows("indicator", ids)}
        rows = []
        for v in store.monitoring_rows("value", ids):
            ind = indicators.get(v["indicator_id"])
            if ind is None:
                continue
            rows.append(
                {
                    "id": v["id"],
                    "initiative_id": v["initiative_id"],
                    "initiative_name": entries.at[v["initiative_id"], "name"],
                    "initiative_kind": entries.at[v["initiative_id"], "kind"],
                    "indicator_id": ind["id"],
                    "indicator_code": ind["code"],
                    "indicator": indicator_name(ind, lang),
                    "unit": ind["unit"],
                    "direction": ind["direction"],
                    "period": v["period"],
                    "value": float(v["value"]),
                    "source_note": v["source_note"],
                    "baseline": ind["baseline"],
                    "baseline_period": ind["baseline_period"],
                    "target": ind["target"],
                    "target_period": ind["target_period"],
                    "version": v["version"],
                    "updated_at": v["updated_at"],
                    "geometry": entries.at[v["initiative_id"], entries.geometry.name],
                }
            )
        rows.sort(key=lambda r: (r["initiative_name"], r["indicator"], period_key(r["period"])))
        columns = [
            "id", "initiative_id", "initiative_name", "initiative_kind", "indicator_id",
            "indicator_code", "indicator", "unit", "direction", "period", "value",
            "source_note", "baseline", "baseline_period", "target", "target_period",
            "version", "updated_at", "geometry",
        ]  # fmt: skip
        out = pd.DataFrame(rows, columns=columns)
        for name in ("value", "baseline", "target"):
            out[name] = out[name].astype("float64")
        out["version"] = out["version"].astype("Int64")
        return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")

    # -- CSV of indicator values ----------------------------------------------------------
    def export_monitoring_values(
        self,
        path: str | Path,
        filters: Filters | None = None,
        viewer: Actor | None = None,
        lang: str | None = None,
        initiative_ids: builtins.list[str] | None = None,
    ) -> Path:
        """Write the indicator values of the entries matching ``filters`` (that ``viewer``
        may see; only ``initiative_ids`` when given) as CSV (``VALUE_COLUMNS``), one row
        per value, ordered by entry, indicator and period. The same file, edited, imports
        back."""
        frame = self._reg.list(filters, viewer=viewer, columns=["id", "name"])
        names = dict(zip(frame["id"], frame["name"], strict=True))
        if initiative_ids is not None:
            names = {k: v for k, v in names.items() if k in set(initiative_ids)}
        store = self._reg._ready()
        indicators = {i["id"]: i for i in store.monitoring_rows("indicator", list(names))}
        rows = []
        for v in store.monitoring_rows("value", list(names)):
            ind = indicators.get(v["indicator_id"])
            if ind is None:
                continue
            rows.append(
                {
                    "initiative_id": v["initiative_id"],
                    "initiative_name": names[v["initiative_id"]],
                    "indicator_id": ind["id"],
                    "indicator": indicator_name(ind, lang),
                    "unit": ind["unit"],
                    "period": v["period"],
                    "value": repr(float(v["value"])).removesuffix(".0"),  # 25, 30.5
                    "source_note": v["source_note"],
                    "target": ind["target"],
                    "target_period": ind["target_period"],
                    "id": v["id"],
                    "version": v["version"],
                }
            )
        rows.sort(
            key=lambda r: (r["initiative_name"], r["indicator"], period_key(str(r["period"])))
        )
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.partial")
        with open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.DictWriter(handle, fieldnames=VALUE_COLUMNS)
            writer.writeheader()
            for row in rows:  # numbers as they are: only text can be read as a formula
                writer.writerow(
                    {
                        k: v if k in _NUMERIC_COLUMNS else neutralise_formulas(v)
                        for k, v in row.items()
                    }
                )
        os.replace(tmp, target)
        return target

    def import_monitoring_values(
        self, path: str | Path, actor: Actor, dry_run: bool = False
    ) -> ImportReport:
        """Import indicator values from CSV: everything or nothing.

        Each row names its ``indicator_id``, ``period``, ``value`` and ``source_note``.
        A row with an ``id`` (as exported) changes that value at its ``version``; a row
        without one adds a value, or, if the indicator already has one for that period,
        changes it. Informative columns of the export (names, unit, target) are ignored.
        Any problem in any row raises ``ValidationFailed`` listing every problem by row
        number, and nothing is written.
        """
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        raw = read_rows(path, keep_system=True, columns=VALUE_COLUMNS)
        problems = list(raw.problems)
        ignored = _READ_ONLY_VALUE_COLUMNS | {"id", "version", "initiative_id"}
        rows: builtins.list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for number, row in raw:
            try:
                values = {k: v for k, v in row.items() if k not in ignored}
                rows.append((number, row, _validate("value", values, row=number)))
            except ValidationFailed as exc:
                problems += exc.problems
        # what the rows refer to, read in a few queries (not one per row)
        wanted = sorted({clean["indicator_id"] for _, _, clean in rows})
        indicators = {
            i["id"]: i for i in store.monitoring_rows("indicator", record_ids=wanted)
        } if wanted else {}  # fmt: skip
        owners = sorted({i["initiative_id"] for i in indicators.values()})
        initiatives = {
            k: v for k, v in store.get_many(owners).items() if not v.get("deleted")
        }  # fmt: skip
        existing: dict[tuple[str, str], dict[str, Any]] = {
            (v["indicator_id"], v["period"]): v
            for v in (store.monitoring_rows("value", owners) if owners else [])
        }
        creates: builtins.list[dict[str, Any]] = []
        updates: builtins.list[tuple[str, dict[str, Any], int]] = []
        unchanged = 0
        seen: dict[tuple[str, str], int] = {}
        for number, row, clean in rows:
            ind_id = clean["indicator_id"]
            indicator = indicators.get(ind_id)
            if indicator is None:
                problems.append(
                    Problem(number, "indicator_id", tr("monitoring_no_indicator", id=ind_id))
                )
                continue
            initiative_id = indicator["initiative_id"]
            given = str(row.get("initiative_id") or "").strip()
            if given and given != initiative_id:
                problems.append(
                    Problem(number, "initiative_id", tr("monitoring_other_initiative", id=given))
                )
                continue
            initiative = initiatives.get(initiative_id)
            if initiative is None:
                problems.append(Problem(number, "indicator_id", tr("not_found", id=initiative_id)))
                continue
            try:
                require(actor, "monitor", initiative)
            except NotAllowed as exc:
                problems.append(Problem(number, "-", exc.user_msg))
                continue
            if ("-Q" in clean["period"]) != (indicator["frequency"] == "quarterly"):
                problems.append(
                    Problem(number, "period", tr("period_frequency", period=clean["period"]))
                )
                continue
            key = (ind_id, clean["period"])
            if key in seen:
                problems.append(
                    Problem(
                        number,
                        "period",
                        tr("monitoring_row_repeats", period=clean["period"], first=seen[key]),
                    )
                )
                continue
            seen[key] = number
            current = existing.get(key)
            if current is None:
                creates.append({**clean, "initiative_id": initiative_id})
                continue
            version_text = str(row.get("version") or "").strip()
            value_id = str(row.get("id") or "").strip()
            if value_id and value_id != current["id"]:
                problems.append(
                    Problem(number, "id", tr("monitoring_period_taken", period=clean["period"]))
                )
                continue
            if value_id:  # a correction of a value read before: it must say which version
                expected = _version(version_text)
                if expected is None:
                    message = "bad_version" if version_text else "version_required"
                    problems.append(
                        Problem(number, "version", tr(message, value=version_text[:40]))
                    )
                    continue
            else:  # a new row for a period that has a value: the value as it is now
                expected = current["version"]
            if expected != current["version"]:
                problems.append(
                    Problem(
                        number,
                        "version",
                        tr(
                            "conflict",
                            id=current["id"],
                            current=current["version"],
                            expected=expected,
                            by=current["updated_by"],
                            at=current["updated_at"],
                        ),
                    )
                )
                continue
            same_source = current["source_note"] == clean["source_note"]
            if current["value"] == clean["value"] and same_source:
                unchanged += 1
                continue
            updates.append((current["id"], clean, expected))
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ValidationFailed(problems, tr("import_failed", n=number_text(len(problems))))
        report = ImportReport(
            created=len(creates),
            updated=len(updates),
            unchanged=unchanged,
            dry_run=dry_run,
            what="values",
        )
        if not dry_run and (creates or updates):
            store.monitoring_write("value", creates=creates, updates=updates, actor=actor.username)
        return report
