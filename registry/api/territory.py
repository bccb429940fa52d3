"""Territory: regional indicators, convergence, regional context and statistics."""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from registry.api.base import RegistryBase, _for_viewer
from registry.auth import (
    Actor,
    require,
)
from registry.errors import NotFound, UsageError
from registry.geo.boundaries import default_boundaries
from registry.geo.locate import reverse_geocode
from registry.i18n import number, tr
from registry.layers.context import region_figures, regional_context
from registry.layers.derived import BACKCAST, DERIVED, GROUP, convergence, with_derived
from registry.layers.indicators import COLUMNS as INDICATOR_COLUMNS
from registry.layers.indicators import (
    REGION_CODES,
    bundled_indicators,
    coverage,
    read_indicator_file,
)
from registry.paths import geodata_dir
from registry.stats import BY_FIELDS, DEFAULT_BY, per_region, summary
from registry.store import Filters

__all__ = ["BoundaryReport", "Territory"]


@dataclass(frozen=True)
class BoundaryReport:
    """What ``import_boundaries`` did: the units stored, what the cleaning corrected, and
    the entries whose codes changed (``after`` None: no new unit holds them, codes kept)."""

    country: str
    level: int
    file: str
    units: int
    replaced: int
    slivers: int
    sliver_km2: float
    gaps: int
    gap_km2: float
    entries: int
    changes: builtins.list[dict[str, Any]]

    def message(self, lang: str | None = None) -> str:
        """The report as a person reads it, one changed entry per line."""
        moved = [c for c in self.changes if c["after"] is not None]
        outside = [c for c in self.changes if c["after"] is None]
        lines = [
            tr(
                "bnd_imported",
                lang=lang,
                n=number(self.units, lang),
                country=self.country,
                level=self.level,
                file=self.file,
                slivers=number(self.slivers, lang),
                km2=number(self.sliver_km2, lang, 1),
                gaps=number(self.gaps, lang),
                gap_km2=number(self.gap_km2, lang, 1),
            ),
            tr(
                "bnd_reassigned",
                lang=lang,
                n=number(len(moved), lang),
                country=self.country,
                same=number(self.entries - len(self.changes), lang),
            ),
        ]

        def codes(pair: Any) -> str:
            return "/".join(c for c in pair if c) or "-"

        lines += [
            f"  {c['name']} ({c['id']}): {codes(c['before'])} -> {codes(c['after'])}" for c in moved
        ]
        if outside:
            lines.append(tr("bnd_outside", lang=lang, n=number(len(outside), lang)))
            lines += [f"  {c['name']} ({c['id']}): {codes(c['before'])}" for c in outside]
        return "\n".join(lines)


# what an entry's regional context counts of the entries around it
_COUNTED = ("region_code", "comuna_code", "kind", "n_firms", "n_businesses")
NEARBY_KEPT = 64  # regions' counted entries kept per data version (by viewer)


class Territory:
    """Regional indicators (bundled, imported, derived) and what is read against them."""

    def __init__(self, registry: RegistryBase):
        self._reg = registry  # the store, the acting user and the reads
        self._indicators_cache: tuple[int, pd.DataFrame] | None = None
        self._figures_cache: tuple[int, dict[Any, dict[str, Any]]] | None = None
        self._nearby_cache: tuple[int, dict[Any, pd.DataFrame]] | None = None

    # -- regional indicators --------------------------------------------------------------
    def indicators(self) -> pd.DataFrame:
        """Return every indicator row: bundled, imported and derived.

        Columns ``region_code, year, period, indicator, value, unit, source_url, notes``,
        ``origin`` (``bundled``, ``imported`` or ``derived``) and ``inputs`` (for derived
        rows, the rows they were computed from). An imported series replaces the bundled
        series of the same name. Built once per data version (any write changes it).
        """
        return self._indicator_table(self._reg._ready().data_version()).copy()

    def _indicator_table(self, version: int) -> pd.DataFrame:
        """The indicator table of data version ``version``, built once (never mutated)."""
        cached = self._indicators_cache
        if cached is not None and cached[0] == version:
            return cached[1]
        table = self._build_indicators()
        self._indicators_cache = (version, table)
        return table

    def _region_figures(
        self, version: int, region: str, measure: tuple[str, int, int] | None
    ) -> dict[str, Any]:
        """``region_figures`` of ``region``, kept per data version: the same for every entry
        of the region, and most of the work of an entry's context."""
        cached = self._figures_cache
        if cached is None or cached[0] != version:
            cached = self._figures_cache = (version, {})
        key = (region, measure)
        if key not in cached[1]:
            cached[1][key] = region_figures(self._indicator_table(version), region, measure)
        return cached[1][key]

    def _nearby(self, version: int, region: str, viewer: Actor | None) -> pd.DataFrame:
        """The counted fields (``_COUNTED``, no geometry) of the entries of ``region`` that
        ``viewer`` may see, kept per data version (never mutated): the same for every entry
        of the region, and read again on each click otherwise (a region of thousands)."""
        cached = self._nearby_cache
        if cached is None or cached[0] != version or len(cached[1]) >= NEARBY_KEPT:
            cached = self._nearby_cache = (version, {})
        key = (region, viewer)
        if key not in cached[1]:
            cached[1][key] = self._reg.list(
                Filters(region=(region,)),
                viewer=viewer,
                columns=list(_COUNTED),
                geometry=False,
                ordered=False,  # counted
            )
        return cached[1][key]

    def _build_indicators(self) -> pd.DataFrame:
        bundled = bundled_indicators(geodata_dir())
        bundled["origin"] = "bundled"
        imported = self._reg._ready().indicator_rows()
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
            if spec is not None:
                item["formula"] = spec.formula
                item["derived_from"] = list(spec.inputs)
            if item["indicator"] in BACKCAST and item["estimated"]:
                item["estimation_method"] = BACKCAST[item["indicator"]]
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
        store = self._reg._ready()
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
        store = self._reg._ready()
        require(actor, "manage_indicators")
        removed = store.remove_indicator_series(name, actor.username)
        if not removed:
            raise NotFound(tr("ind_not_imported", name=name))
        return tr("ind_removed", name=name, rows=removed)

    def boundaries(self, level: str, simplified: bool = True) -> gpd.GeoDataFrame:
        """Chile's regions or comunas, or every country's admin-1 units (``level``:
        ``region``, ``comuna``, ``admin1``) of this registry's boundaries (official units
        where imported), simplified for display by default."""
        if level not in ("region", "comuna", "admin1"):
            raise UsageError(tr("unknown_code", value=level, allowed="region, comuna, admin1"))
        bset = self._reg.boundary_set()
        if simplified:
            return bset.display(level)
        if level == "region":
            return bset.regions()
        return bset.comunas if level == "comuna" else bset.admin1

    def locate(self, lon: float, lat: float) -> dict[str, str | None]:
        """Country, admin-1 unit and (in Chile) comuna of a point, codes and names; None
        values at sea or outside the countries with boundaries."""
        row = reverse_geocode([lon], [lat], self._reg.boundary_set()).iloc[0]
        return {k: (None if row[k] is None else str(row[k])) for k in row.index}

    def region_names(self) -> dict[str, str]:
        """Admin-1 unit names by code, every country with boundaries (Chile's regions by CUT
        code, the others by ISO 3166-2 code; ``00`` = Chile, in the indicator tables)."""
        return {"00": "Chile", **self._reg.unit_names()[0]}

    def comuna_names(self) -> dict[str, str]:
        """Comuna names by code."""
        return dict(self._reg.unit_names()[1])

    def import_boundaries(
        self,
        country: str,
        path: str | Path,
        level: int,
        code_field: str,
        name_field: str,
        actor: Actor,
    ) -> BoundaryReport:
        """Put a country's official units (from any file GDAL reads) in place of the
        bundled ones, and re-assign the country's entries to them, in one transaction.

        The file is checked and cleaned as ``registry.geo.official.check_units`` says; any
        problem refuses it whole (``ValidationFailed``, by feature number) and changes
        nothing. Entries that no new unit holds keep their codes and are listed.
        """
        from registry.geo.locate import unit_codes
        from registry.geo.official import boundary_set, check_units

        store = self._reg._ready()
        require(actor, "manage_boundaries")
        if not default_boundaries().has(country):
            raise UsageError(tr("bnd_unknown_country", country=country))
        checked = check_units(path, country, level, code_field, name_field)
        source = f"{Path(path).name} ({dt.date.today().isoformat()})"
        units = checked.units.assign(source=source)
        current = self._reg.boundary_set()
        kept = store.official_units()
        kept = kept[~((kept["country"] == country) & (kept["level"] == level))]
        frame = pd.concat(
            [
                gpd.GeoDataFrame(
                    kept.drop(columns="geom_wkb"),
                    geometry=shapely.from_wkb(kept["geom_wkb"].map(bytes).to_numpy()),
                    crs="EPSG:4326",
                ),
                units,
            ],
            ignore_index=True,
        )
        new = boundary_set(gpd.GeoDataFrame(frame, crs="EPSG:4326"))
        rows = [
            {
                "country": country,
                "level": level,
                "code": code,
                "name": name,
                "source": source,
                "geom_wkb": shapely.to_wkb(geom),
            }
            for code, name, geom in zip(
                units["code"], units["name"], units.geometry.values, strict=True
            )
        ]
        changes, checked_entries = store.replace_official_units(
            country, level, rows, actor.username, lambda c, g: unit_codes(c, g, new)
        )
        self._reg._boundaries = None
        before = current.admin1[current.admin1["country"] == country]
        return BoundaryReport(
            country=country,
            level=level,
            file=Path(path).name,
            units=len(units),
            replaced=len(before) if level == 1 else len(current.comunas),
            slivers=checked.slivers,
            sliver_km2=checked.sliver_km2,
            gaps=checked.gaps,
            gap_km2=checked.gap_km2,
            entries=checked_entries,
            changes=changes,
        )

    def convergence(
        self,
        indicator: str,
        start: int,
        end: int,
        period: str | None = None,
        group: bool = False,
    ) -> dict[str, Any]:
        """The convergence view of ``indicator`` between two years (see
        ``registry.layers.derived.convergence``; ``group``: Biobío and Ñuble as one), with
        region names."""
        view = convergence(self.indicators(), indicator, start, end, period, group)
        names = self.indicator_region_names()
        for row in view["regions"]:
            row["region_name"] = names.get(row["region_code"], row["region_code"])
        return view

    def indicator_region_names(self) -> dict[str, str]:
        """Names of the areas the indicator tables use: Chile (``00``), its regions, and the
        group ``08+16`` (Biobío + Ñuble, Biobío as it was before 2018)."""
        names = self.region_names()
        out = {c: names.get(c, c) for c in REGION_CODES}
        out[GROUP] = tr("region_group_08_16")
        return out

    def context(
        self,
        record_id: str,
        viewer: Actor | None = None,
        measure: tuple[str, int, int] | None = None,
    ) -> dict[str, Any]:
        """Regional context of an entry: region and comuna, the region's latest
        productivity figures and trend, the chosen productivity measure (``(indicator,
        start, end)``, by default the article's from 2010) for the region and Chile, and the
        entries, initiatives, barrios and firms in the same region and comuna."""
        # the version first: a write after it makes the next context read anew
        version = self._reg._ready().data_version()
        record = self._reg.get(record_id, viewer)
        region = record.get("region_code")
        # only the entry's region and comuna are counted: just that region's entries, and
        # only the fields counted
        nearby = self._nearby(version, region, viewer) if region else pd.DataFrame()
        table = self._indicator_table(version)
        return regional_context(
            record,
            nearby,
            table,
            self.region_names(),
            self.comuna_names(),
            measure,
            figures=self._region_figures(version, region, measure) if region else None,
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
        viewer = self._reg._viewer(viewer)
        counted = self._reg._ready().tally(_for_viewer(filters, viewer), by)
        regions = self.region_names()
        names = {"region_code": regions, "comuna_code": self.comuna_names()}
        out = summary(counted, by, names, lang)
        out["per_region"] = per_region(counted, self._employment(), regions)
        return out

    def _employment(self) -> pd.DataFrame:
        table = self.indicators()
        emp = table[
            (table["indicator"] == "employed_thousands_annual_avg")
            & table["region_code"].isin(REGION_CODES)
        ]
        full = [
            y
            for y, g in emp.groupby("year")
            if set(g["region_code"]) >= {f"{i:02d}" for i in range(1, 17)}
        ]
        return emp[emp["year"] == max(full)] if full else emp.iloc[0:0]
