"""The one table of fields.

Every user-editable field of an entry is described once here; the pydantic model
(``registry.schema.model``), the storage columns (``registry.store``), the CSV headers
(``registry.io``) and the data dictionary are all derived from ``FIELDS``.

Field types
-----------
``text``    single-line text (``max_len``)         ``longtext`` multi-line text
``int``     integer in ``[lo, hi]``                ``bool``     yes/no
``date``    ISO date ``YYYY-MM-DD``                ``url``      http(s) address
``email``   e-mail address                          ``uuid``     UUID
``code``    one code of ``code_list``              ``codes``    a list of codes of ``code_list``
``usernames`` a list of registry usernames
``geometry`` a shapely geometry in EPSG:4326 (lon, lat)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "FIELDS",
    "FIELDS_BY_NAME",
    "SYSTEM_FIELDS",
    "USERNAME",
    "FieldSpec",
    "data_dictionary",
    "public_fields",
]

#: A registry username: what accounts, owners and named editors may be called.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    es: str
    en: str
    description_es: str = ""
    description_en: str = ""
    required: bool = False
    code_list: str | None = None
    max_len: int | None = None
    lo: int | None = None
    hi: int | None = None
    restricted: bool = False  # never in public exports
    barrio_only: bool = False  # only for kind = barrio_comercial

    @property
    def is_list(self) -> bool:
        """Whether the value is a list (stored joined by ``|``)."""
        return self.type in ("codes", "usernames")


def _f(name: str, type_: str, es: str, en: str, **kw: object) -> FieldSpec:
    return FieldSpec(name, type_, es, en, **kw)  # type: ignore[arg-type]


TEXT = 300
LONG = 10_000
YEAR = {"lo": 1950, "hi": 2100}

FIELDS: tuple[FieldSpec, ...] = (
    _f(
        "id",
        "uuid",
        "Identificador",
        "Identifier",
        description_es="UUID estable asignado por el registro; úselo para actualizar.",
        description_en="Stable UUID given by the registry; quote it to update.",
    ),
    _f(
        "external_id",
        "text",
        "Identificador externo",
        "External identifier",
        max_len=200,
        description_es="Código de la entrada en otro sistema; una importación actualiza la entrada que lo tenga.",
        description_en="The entry's code in another system; an import updates the entry that has it.",
    ),
    _f("name", "text", "Nombre", "Name", required=True, max_len=TEXT),
    _f("kind", "code", "Clase de entrada", "Kind of entry", required=True, code_list="kind"),
    _f(
        "initiative_type",
        "code",
        "Tipo de iniciativa",
        "Initiative type",
        required=True,
        code_list="initiative_type",
    ),
    _f(
        "country",
        "code",
        "País",
        "Country",
        code_list="country",
        description_es="ISO 3166-1 alfa-2.",
        description_en="ISO 3166-1 alpha-2.",
    ),
    _f("other_countries", "codes", "Otros países", "Other countries", code_list="country"),
    _f(
        "region_code",
        "text",
        "Código de región / departamento / estado",
        "Region / department / state code",
        max_len=10,
        description_es=(
            "Unidad de primer nivel del país. Chile: código CUT de región (dos dígitos, p. ej. "
            "05); otros países: código ISO 3166-2 (p. ej. CO-ANT, Antioquia). Se completa "
            "desde la ubicación."
        ),
        description_en=(
            "The country's first-level unit. Chile: CUT region code (two digits, e.g. 05); "
            "other countries: ISO 3166-2 code (e.g. CO-ANT, Antioquia). Filled from the "
            "location."
        ),
    ),
    _f(
        "comuna_code",
        "text",
        "Código de comuna",
        "Comuna code",
        max_len=10,
        description_es=(
            "Solo Chile: código CUT de comuna (cinco dígitos); se completa desde la ubicación."
        ),
        description_en="Chile only: CUT comuna code (five digits); filled from the location.",
    ),
    _f(
        "locality",
        "text",
        "Localidad",
        "Locality",
        max_len=TEXT,
        description_es="Nombre del lugar tal como lo da la fuente (ciudad, municipio, territorio).",
        description_en="Place name as given by the source (city, municipality, territory).",
    ),
    _f(
        "geometry",
        "geometry",
        "Ubicación",
        "Location",
        description_es="WGS84 lon/lat. Punto para IAP; punto, línea o polígono (o multi) para barrios.",
        description_en="WGS84 lon/lat. Point for IAPs; point, line or polygon (or multi) for barrios.",
    ),
    _f(
        "location_precision",
        "code",
        "Precisión de la ubicación",
        "Location precision",
        required=True,
        code_list="location_precision",
    ),
    _f("sector", "code", "Sector", "Sector", required=True, code_list="sector"),
    _f("sector_detail", "text", "Detalle del sector", "Sector detail", max_len=TEXT),
    _f(
        "strategic_focus",
        "code",
        "Foco estratégico principal",
        "Primary strategic focus",
        code_list="strategic_focus",
    ),
    _f(
        "strategic_focus_other",
        "codes",
        "Otros focos estratégicos",
        "Other strategic focuses",
        code_list="strategic_focus",
    ),
    _f(
        "strategic_focus_detail",
        "longtext",
        "Detalle del foco estratégico",
        "Strategic focus detail",
        max_len=LONG,
    ),
    _f(
        "funding_source",
        "code",
        "Fuente de financiamiento principal",
        "Principal funding source",
        code_list="funding_source",
    ),
    _f(
        "funding_source_other",
        "codes",
        "Otras fuentes de financiamiento",
        "Other funding sources",
        code_list="funding_source",
    ),
    _f("program", "code", "Programa", "Programme", code_list="program"),
    _f("program_detail", "text", "Detalle del programa", "Programme detail", max_len=TEXT),
    _f("lead_organization", "text", "Organización líder", "Lead organisation", max_len=TEXT),
    _f("n_firms", "int", "Número de empresas", "Number of firms", lo=0, hi=10_000_000),
    _f("start_year", "int", "Año de inicio", "Start year", **YEAR),
    _f("end_year", "int", "Año de término", "End year", **YEAR),
    _f("stage", "code", "Etapa", "Stage", code_list="stage"),
    _f(
        "status",
        "code",
        "Estado",
        "Status",
        code_list="status",
        description_es="Borrador → enviada → publicada (o rechazada); archivada al cerrar.",
        description_en="Draft → submitted → published (or rejected); archived when closed.",
    ),
    _f("participatory_governance", "bool", "Gobernanza participativa", "Participatory governance"),
    _f(
        "governance_description",
        "longtext",
        "Descripción de la gobernanza",
        "Governance description",
        max_len=LONG,
    ),
    _f("goals_strategy", "longtext", "Objetivos y estrategia", "Goals and strategy", max_len=LONG),
    _f("website", "url", "Sitio web", "Website", max_len=2000),
    _f("contact_name", "text", "Nombre de contacto", "Contact name", max_len=TEXT, restricted=True),
    _f(
        "contact_email",
        "email",
        "Correo de contacto",
        "Contact e-mail",
        max_len=320,
        restricted=True,
    ),
    _f(
        "editors",
        "usernames",
        "Editores",
        "Editors",
        restricted=True,
        description_es="Usuarios que, además del responsable, pueden editar la entrada.",
        description_en="Users who, besides the owner, may edit the entry.",
    ),
    _f(
        "review_note",
        "longtext",
        "Observación de revisión",
        "Review note",
        max_len=LONG,
        restricted=True,
        description_es="Motivo de un rechazo u observaciones de quien revisa (solo gestores).",
        description_en="Reason for a rejection or the reviewer's remarks (managers only).",
    ),
    _f("source_url", "url", "Fuente (URL)", "Source URL", max_len=2000),
    _f("last_verified", "date", "Última verificación", "Last verified"),
    _f("notes", "longtext", "Notas", "Notes", max_len=LONG),
    # barrio comercial
    _f("convocatoria_year", "int", "Año de convocatoria", "Call year", barrio_only=True, **YEAR),
    _f("cohort", "text", "Cohorte", "Cohort", max_len=TEXT, barrio_only=True),
    _f(
        "n_businesses",
        "int",
        "Número de locales",
        "Number of businesses",
        lo=0,
        hi=100_000,
        barrio_only=True,
    ),
    _f(
        "action_lines",
        "codes",
        "Líneas de acción",
        "Action lines",
        code_list="action_line",
        barrio_only=True,
    ),
    _f(
        "limits_description",
        "text",
        "Límites del barrio",
        "Barrio limits",
        max_len=2000,
        barrio_only=True,
        description_es="Calles que delimitan el barrio, según la fuente.",
        description_en="Streets that bound the barrio, as the source gives them.",
    ),
    _f(
        "subsidy_clp_year1",
        "int",
        "Subsidio año 1 (CLP)",
        "Subsidy year 1 (CLP)",
        lo=0,
        hi=10**12,
        barrio_only=True,
    ),
    _f(
        "subsidy_clp_year2",
        "int",
        "Subsidio año 2 (CLP)",
        "Subsidy year 2 (CLP)",
        lo=0,
        hi=10**12,
        barrio_only=True,
    ),
    _f(
        "subsidy_clp_year3",
        "int",
        "Subsidio año 3 (CLP)",
        "Subsidy year 3 (CLP)",
        lo=0,
        hi=10**12,
        barrio_only=True,
    ),
    _f(
        "legal_organization",
        "code",
        "Organización legal",
        "Legal organisation",
        code_list="legal_organization",
        barrio_only=True,
    ),
)

FIELDS_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

# Columns the store maintains itself; never taken from a form or a file.
SYSTEM_FIELDS: tuple[FieldSpec, ...] = (
    _f("version", "int", "Versión", "Version"),
    _f("owner", "text", "Responsable", "Owner", restricted=True),
    _f("created_at", "text", "Creada", "Created at"),
    _f("created_by", "text", "Creada por", "Created by", restricted=True),
    _f("updated_at", "text", "Actualizada", "Updated at"),
    _f("updated_by", "text", "Actualizada por", "Updated by", restricted=True),
    _f("deleted", "bool", "Eliminada", "Deleted"),
)


def public_fields(include_restricted: bool = False) -> list[str]:
    """Return the exportable field names (user fields, then system fields), in order.

    Examples
    --------
    >>> "contact_email" in public_fields()
    False
    >>> "contact_email" in public_fields(include_restricted=True)
    True
    """
    return [
        f.name
        for f in (*FIELDS, *SYSTEM_FIELDS)
        if f.name not in ("geometry", "deleted") and (include_restricted or not f.restricted)
    ]


def data_dictionary(lang: str = "es") -> list[dict[str, object]]:
    """Return one row per field: name, label, type, required, code list, restricted, description."""
    rows = []
    for f in (*FIELDS, *SYSTEM_FIELDS):
        rows.append(
            {
                "field": f.name,
                "label": f.es if lang == "es" else f.en,
                "type": f.type,
                "required": f.required,
                "code_list": f.code_list or "",
                "restricted": f.restricted,
                "barrio_only": f.barrio_only,
                "description": f.description_es if lang == "es" else f.description_en,
            }
        )
    return rows
