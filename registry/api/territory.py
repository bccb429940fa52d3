"""Territory: regional indicators, convergence, regional context and statistics."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from registry.api.base import RegistryBase
from registry.auth import (
    Actor,
    require,
)
from registry.errors import NotFound, UsageError
from registry.geo.boundaries import admin1, comunas, regions
from registry.geo.locate import reverse_geocode
from registry.i18n import tr
from registry.layers.context import regional_context
from registry.layers.derived import DERIVED, convergence, with_derived
from registry.layers.indicators import COLUMNS as INDICATOR_COLUMNS
from registry.layers.indicators import bundled_indicators, coverage, read_indicator_file
from registry.paths import geodata_dir
from registry.stats import BY_FIELDS, DEFAULT_BY, per_region, summary
from registry.store import Filters

__all__ = ["TerritoryMixin"]


class TerritoryMixin(RegistryBase):
    """Regional indicators (bundled, imported, derived) and what is read against them."""

    # -- regional indicators --------------------------------------------------------------
    def indicators(self) -> pd.DataFrame:
        """Return every indicator row: bundled, imported and derived.

        Columns ``region_code, year, period, indicator, value, unit, source_url, notes``,
        ``origin`` (``bundled``, ``imported`` or ``derived``) and ``inputs`` (for derived
        rows, the rows they were computed from). An imported series replaces the bundled
        series of the same name. Built once per data version (any write changes it).
        """
        version = self._ready().data_version()
        cached = getattr(self, "_indicators_cache", None)
        if cached is not None and cached[0] == version:
            return cached[1].copy()
        table = self._build_indicators()
        self._indicators_cache = (version, table)
        return table.copy()

    def _build_indicators(self) -> pd.DataFrame:
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

    def boundaries(self, level: str, simplified: bool = True) -> gpd.GeoDataFrame:
        """Chile's regions or comunas, or every country's admin-1 units (``level``:
        ``region``, ``comuna``, ``admin1``), simplified for display by default."""
        if level == "region":
            return regions(simplified=simplified)
        if level == "comuna":
            return comunas(simplified=simplified)
        if level == "admin1":
            return admin1(simplified=simplified)
        raise UsageError(tr("unknown_code", value=level, allowed="region, comuna, admin1"))

    def locate(self, lon: float, lat: float) -> dict[str, str | None]:
        """Country, admin-1 unit and (in Chile) comuna of a point, codes and names; None
        values at sea or outside the countries with boundaries."""
        row = reverse_geocode([lon], [lat]).iloc[0]
        return {k: (None if row[k] is None else str(row[k])) for k in row.index}

    def region_names(self) -> dict[str, str]:
        """Admin-1 unit names by code, every country with boundaries (Chile's regions by CUT
        code, the others by ISO 3166-2 code; ``00`` = Chile, in the indicator tables)."""
        table = admin1()
        return {"00": "Chile", **dict(zip(table.region_code, table.region_name, strict=True))}

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
        region = record.get("region_code")
        # only the entry's region and comuna are counted: read just that region
        nearby = self.list(Filters(region=(region,)), viewer=viewer) if region else pd.DataFrame()
        return regional_context(
            record,
            nearby,
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
