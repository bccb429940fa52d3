"""Place names: a small gazetteer for map labels and place search.

Two sources, both named in every row (``source``):

- Chile's 346 comunas (DPA 2023, from the installed boundary package), placed at a point
  inside each comuna polygon, labelled from zoom 9;
- Natural Earth populated places for Latin America (``geodata/places_lac.csv``, public
  domain, built by ``scripts/build_geodata.py``), labelled from Natural Earth's own
  ``min_zoom``.

The search folds accents and case and tolerates typos with ``rapidfuzz`` (a kept library of
string metrics); no user data ever enters the gazetteer.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import pandas as pd
import shapely
from rapidfuzz import fuzz, process, utils

from registry.geo.boundaries import comunas, has_boundaries
from registry.paths import geodata_dir

__all__ = ["Place", "gazetteer", "search_places"]

COMUNA_LABEL_ZOOM = 9.0
NE_SOURCE = "natural_earth"  # Natural Earth populated places (public domain)
DPA_SOURCE = "dpa_2023"  # DPA 2023, Chile's comunas (IDE Chile)


# Natural Earth's feature classes, in Spanish and English
_KINDS = {
    "comuna": ("comuna", "comuna"),
    "Admin-0 capital": ("capital nacional", "national capital"),
    "Admin-0 capital alt": ("sede de gobierno", "seat of government"),
    "Admin-0 region capital": ("capital de territorio", "territory capital"),
    "Admin-1 capital": ("capital regional", "regional capital"),
    "Admin-1 region capital": ("capital regional", "regional capital"),
    "Populated place": ("ciudad o pueblo", "city or town"),
}


@dataclass(frozen=True)
class Place:
    """One gazetteer row: a name, what it is, where, and where the row comes from."""

    name: str
    kind: str  # "comuna" or Natural Earth's feature class ("Populated place", ...)
    context: str  # the region or admin-1 unit and country, for telling namesakes apart
    lon: float
    lat: float
    zoom: float  # a zoom level that shows the place well
    source: str  # NE_SOURCE or DPA_SOURCE

    def kind_label(self, lang: str) -> str:
        """What the place is, in ``lang`` ("comuna", "capital", "ciudad o pueblo"...)."""
        return _KINDS.get(self.kind, _KINDS["Populated place"])[lang == "en"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return utils.default_process("".join(c for c in text if not unicodedata.combining(c)))


@functools.cache
def gazetteer() -> pd.DataFrame:
    """Every place, one row each: ``name``, ``kind``, ``context``, ``lon``, ``lat``,
    ``min_zoom`` (labels), ``zoom`` (fly-to), ``source`` and ``key`` (the folded name)."""
    rows: list[dict[str, object]] = []
    if has_boundaries("CL"):
        table = comunas(simplified=True)
        anchors = shapely.point_on_surface(table.geometry.values)
        for name, region, point in zip(
            table["comuna_name"], table["region_name"], anchors, strict=True
        ):
            rows.append(
                {
                    "name": name,
                    "kind": "comuna",
                    "context": f"{region}, Chile",
                    "lon": round(point.x, 5),
                    "lat": round(point.y, 5),
                    "min_zoom": COMUNA_LABEL_ZOOM,
                    "zoom": 11.0,
                    "source": DPA_SOURCE,
                }
            )
    ne = pd.read_csv(geodata_dir() / "places_lac.csv", dtype={"admin1": str}, keep_default_na=False)
    for r in ne.itertuples(index=False):
        context = ", ".join(p for p in (r.admin1, r.iso_a2) if p)
        rows.append(
            {
                "name": r.name,
                "kind": r.kind,
                "context": context,
                "lon": float(r.lon),
                "lat": float(r.lat),
                "min_zoom": float(r.min_zoom),
                "zoom": 12.0,
                "source": NE_SOURCE,
            }
        )
    frame = pd.DataFrame(rows)
    frame["key"] = [_fold(n) for n in frame["name"]]
    return frame


def search_places(query: str, limit: int = 8) -> list[Place]:
    """Return the places whose name best matches ``query`` (accents and case ignored, typos
    tolerated), best first; comunas before towns of the same score.

    Examples
    --------
    >>> [p.name for p in search_places("valdivia")][:1]
    ['Valdivia']
    >>> search_places("VALPARAISO")[0].name
    'Valparaíso'
    >>> search_places("  ") == []
    True
    """
    key = _fold(query)
    if not key:
        return []
    table = gazetteer()
    hits = process.extract(key, table["key"].tolist(), scorer=fuzz.WRatio, limit=limit * 4)
    ranked = []
    for _, score, i in hits:
        if score < 75:
            continue
        row = table.iloc[i]
        exact = row["key"] == key
        prefix = row["key"].startswith(key)
        ranked.append((-int(exact), -int(prefix), -score, row["kind"] != "comuna", i))
    ranked.sort()
    out = []
    seen = set()
    for *_, i in ranked:
        row = table.iloc[i]
        ident = (row["key"], round(row["lon"], 1), round(row["lat"], 1))
        if ident in seen:  # a comuna and its town of the same name, at the same place
            continue
        seen.add(ident)
        out.append(
            Place(
                str(row["name"]),
                str(row["kind"]),
                str(row["context"]),
                float(row["lon"]),
                float(row["lat"]),
                float(row["zoom"]),
                str(row["source"]),
            )
        )
        if len(out) == limit:
            break
    return out
