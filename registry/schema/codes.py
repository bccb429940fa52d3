"""Code lists: stable codes with Spanish and English labels, in one place.

Codes never change once published (exports and other systems keep them); labels may be
improved. ``CODE_LISTS`` maps a list name to its ``Code`` entries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from registry.i18n import current_language

__all__ = ["CODE_LISTS", "Code", "code_codes", "fold", "label"]


def fold(text: str) -> str:
    """Lower-case, accent-free form used to match codes, labels and headers.

    Examples
    --------
    >>> fold("  Región de Ñuble ")
    'region de nuble'
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()


@dataclass(frozen=True)
class Code:
    code: str
    es: str
    en: str
    applies_to: str | None = None  # for stage: "iap" or "barrio_comercial"


def _codes(*rows: tuple[str, str, str] | tuple[str, str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(*row) for row in rows)


KIND = _codes(
    ("iap", "Iniciativa de articulación productiva", "Productive-articulation initiative"),
    ("barrio_comercial", "Barrio comercial", "Commercial district (barrio comercial)"),
)

INITIATIVE_TYPE = _codes(
    ("cluster", "Clúster", "Cluster"),
    ("business_network", "Red empresarial", "Business network"),
    ("value_chain", "Cadena de valor", "Value chain"),
    ("territorial_project", "Proyecto o programa territorial", "Territorial project or programme"),
    (
        "cooperative_network",
        "Cooperativa o red de cooperativas",
        "Cooperative or cooperative network",
    ),
    ("strategic_program", "Programa estratégico", "Strategic programme"),
    ("commercial_district", "Barrio comercial", "Commercial district"),
    ("cluster_agenda", "Agenda o programa de clústeres", "Cluster agenda or programme"),
    ("other", "Otro", "Other"),
)

LOCATION_PRECISION = _codes(
    (
        "exact",
        "Exacta (dirección o coordenadas medidas)",
        "Exact (address or measured coordinates)",
    ),
    ("street", "Calle o tramo de calles", "Street or street segment"),
    ("comuna", "Comuna (punto dentro de la comuna)", "Comuna (point inside the comuna)"),
    ("region", "Región (punto dentro de la región)", "Region (point inside the region)"),
    ("country", "País (sin ubicación más precisa)", "Country (no finer location)"),
    ("multi_country", "Varios países", "Several countries"),
)

SECTOR = _codes(
    ("agri_forestry_livestock", "Agropecuario y forestal", "Agriculture, forestry and livestock"),
    ("fruit", "Fruticultura", "Fruit growing"),
    ("fishing_aquaculture", "Pesca y acuicultura", "Fishing and aquaculture"),
    ("mining", "Minería y proveedores mineros", "Mining and mining suppliers"),
    ("food_beverages", "Alimentos y bebidas", "Food and beverages"),
    ("wine", "Vitivinícola", "Wine"),
    ("manufacturing", "Manufactura", "Manufacturing"),
    ("textiles_fashion", "Textil, confección y moda", "Textiles, apparel and fashion"),
    ("energy", "Energía", "Energy"),
    ("construction", "Construcción", "Construction"),
    ("retail_commerce", "Comercio minorista", "Retail commerce"),
    ("tourism", "Turismo", "Tourism"),
    ("creative_culture", "Industrias creativas y cultura", "Creative industries and culture"),
    ("ict", "Tecnologías digitales", "Digital technologies"),
    (
        "knowledge_services",
        "Servicios y economía del conocimiento",
        "Knowledge economy and services",
    ),
    ("health", "Salud", "Health"),
    ("logistics", "Logística y transporte", "Logistics and transport"),
    ("multi_sector", "Multisectorial", "Multi-sector"),
    ("other", "Otro", "Other"),
)

STRATEGIC_FOCUS = _codes(
    ("innovation", "Innovación y tecnología", "Innovation and technology"),
    (
        "commercialisation",
        "Comercialización y acceso a mercados",
        "Commercialisation and market access",
    ),
    (
        "internationalisation",
        "Internacionalización y exportación",
        "Internationalisation and exports",
    ),
    (
        "productive_chaining",
        "Encadenamiento productivo y proveedores",
        "Productive chaining and suppliers",
    ),
    ("human_capital", "Capital humano", "Human capital"),
    ("sustainability", "Sostenibilidad", "Sustainability"),
    ("associativity", "Asociatividad y gobernanza", "Associativity and governance"),
    ("quality", "Calidad y certificación", "Quality and certification"),
    (
        "territorial_identity",
        "Identidad territorial y promoción",
        "Territorial identity and promotion",
    ),
    (
        "product_development",
        "Desarrollo y diversificación de productos",
        "Product development and diversification",
    ),
    ("digitalisation", "Digitalización", "Digitalisation"),
    ("infrastructure", "Infraestructura y entorno", "Infrastructure and surroundings"),
    ("other", "Otro", "Other"),
)

FUNDING_SOURCE = _codes(
    ("public_national", "Público nacional", "National public"),
    (
        "public_regional",
        "Público regional (gobierno regional)",
        "Regional public (regional government)",
    ),
    ("public_local", "Público local (municipio)", "Local public (municipality)"),
    ("private", "Privado", "Private"),
    ("mixed", "Mixto público-privado", "Mixed public-private"),
    ("international", "Cooperación internacional", "International cooperation"),
    ("members", "Aportes de los socios", "Members' contributions"),
    ("other", "Otro", "Other"),
)

PROGRAM = _codes(
    (
        "sercotec_barrios",
        "SERCOTEC Fortalecimiento de Barrios Comerciales",
        "SERCOTEC Barrios Comerciales",
    ),
    ("sercotec_other", "SERCOTEC, otro programa", "SERCOTEC, other programme"),
    (
        "corfo_pti",
        "CORFO Programa Territorial Integrado (PTI)",
        "CORFO Integrated Territorial Programme (PTI)",
    ),
    (
        "corfo_per",
        "CORFO Programa Estratégico Regional (PER)",
        "CORFO Regional Strategic Programme (PER)",
    ),
    (
        "corfo_pem",
        "CORFO Programa Estratégico Mesorregional (PEM)",
        "CORFO Meso-regional Strategic Programme (PEM)",
    ),
    ("corfo_red_asociativa", "CORFO Red Asociativa", "CORFO Associative Network"),
    ("corfo_other", "CORFO, otro programa", "CORFO, other programme"),
    ("gore_fndr", "Gobierno regional (FNDR)", "Regional government (FNDR)"),
    ("ministry", "Ministerio u otro servicio nacional", "Ministry or other national agency"),
    (
        "chamber_of_commerce",
        "Cámara de comercio o gremio",
        "Chamber of commerce or trade association",
    ),
    ("international", "Programa internacional", "International programme"),
    ("other", "Otro", "Other"),
)

STAGE = (
    Code("idea", "Idea o diagnóstico", "Idea or diagnosis", "iap"),
    Code("launch", "Puesta en marcha", "Launch", "iap"),
    Code("implementation", "Implementación", "Implementation", "iap"),
    Code("consolidation", "Consolidación", "Consolidation", "iap"),
    Code("self_sustaining", "Autosostenida", "Self-sustaining", "iap"),
    Code("finished", "Finalizada", "Finished", "iap"),
    Code("barrio_year_1", "Año 1 del proyecto", "Project year 1", "barrio_comercial"),
    Code("barrio_year_2", "Año 2 del proyecto", "Project year 2", "barrio_comercial"),
    Code("barrio_year_3", "Año 3 del proyecto", "Project year 3", "barrio_comercial"),
    Code("barrio_finished", "Proyecto finalizado", "Project finished", "barrio_comercial"),
)

STATUS = _codes(
    ("draft", "Borrador", "Draft"),
    ("submitted", "Enviada a revisión", "Submitted for review"),
    ("published", "Publicada", "Published"),
    ("rejected", "Rechazada", "Rejected"),
    ("archived", "Archivada", "Archived"),
)

ACTION_LINE = _codes(
    ("asociatividad", "Asociatividad", "Associativity"),
    (
        "identidad_imagen_comunicacion",
        "Identidad, imagen y comunicación",
        "Identity, image and communication",
    ),
    ("oferta_comercial", "Oferta comercial", "Commercial offer"),
    ("entorno_urbano", "Entorno urbano", "Urban surroundings"),
    ("seguridad_sustentabilidad", "Seguridad y sustentabilidad", "Safety and sustainability"),
)

LEGAL_ORGANIZATION = _codes(
    ("asociacion_gremial", "Asociación gremial", "Trade association"),
    ("cooperativa", "Cooperativa", "Cooperative"),
    (
        "organizacion_comunitaria",
        "Organización comunitaria funcional",
        "Functional community organisation",
    ),
    ("corporacion_fundacion", "Corporación o fundación", "Corporation or foundation"),
    ("sociedad", "Sociedad comercial", "Company"),
    ("none", "Sin personalidad jurídica", "No legal personality"),
    ("other", "Otra", "Other"),
)

ROLE = _codes(
    ("coordinator", "Coordinador/a de iniciativa", "Initiative coordinator"),
    ("manager", "Gestor/a de programa (revisa)", "Programme manager (reviews)"),
    ("admin", "Administrador/a", "Administrator"),
)

# ISO 3166-1 alpha-2 codes of the Latin American and Caribbean countries.
COUNTRY = _codes(
    ("AR", "Argentina", "Argentina"),
    ("BO", "Bolivia", "Bolivia"),
    ("BR", "Brasil", "Brazil"),
    ("CL", "Chile", "Chile"),
    ("CO", "Colombia", "Colombia"),
    ("CR", "Costa Rica", "Costa Rica"),
    ("CU", "Cuba", "Cuba"),
    ("DO", "República Dominicana", "Dominican Republic"),
    ("EC", "Ecuador", "Ecuador"),
    ("SV", "El Salvador", "El Salvador"),
    ("GT", "Guatemala", "Guatemala"),
    ("HN", "Honduras", "Honduras"),
    ("MX", "México", "Mexico"),
    ("NI", "Nicaragua", "Nicaragua"),
    ("PA", "Panamá", "Panama"),
    ("PY", "Paraguay", "Paraguay"),
    ("PE", "Perú", "Peru"),
    ("UY", "Uruguay", "Uruguay"),
    ("VE", "Venezuela", "Venezuela"),
    ("AG", "Antigua y Barbuda", "Antigua and Barbuda"),
    ("BS", "Bahamas", "Bahamas"),
    ("BB", "Barbados", "Barbados"),
    ("BZ", "Belice", "Belize"),
    ("DM", "Dominica", "Dominica"),
    ("GD", "Granada", "Grenada"),
    ("GY", "Guyana", "Guyana"),
    ("HT", "Haití", "Haiti"),
    ("JM", "Jamaica", "Jamaica"),
    ("KN", "Saint Kitts y Nevis", "Saint Kitts and Nevis"),
    ("LC", "Santa Lucía", "Saint Lucia"),
    ("VC", "San Vicente y las Granadinas", "Saint Vincent and the Grenadines"),
    ("SR", "Surinam", "Suriname"),
    ("TT", "Trinidad y Tabago", "Trinidad and Tobago"),
)

# -- monitoring (registry.schema.monitoring) -------------------------------------------------
# The catalogue of common indicators (CEPAL's and SERCOTEC's usual measures); "custom" is an
# initiative's own indicator, named by its coordinator.
MONITORING_INDICATOR = _codes(
    ("participating_firms", "Empresas participantes", "Participating firms"),
    ("joint_sales", "Ventas conjuntas", "Joint sales"),
    ("exports", "Exportaciones", "Exports"),
    ("employment", "Empleo", "Employment"),
    ("new_products", "Nuevos productos o servicios", "New products or services"),
    ("certifications", "Certificaciones obtenidas", "Certifications obtained"),
    ("training_hours", "Horas de capacitación", "Training hours"),
    ("visitors", "Visitantes (barrios comerciales)", "Visitors (barrios comerciales)"),
    (
        "vacancy",
        "Locales comerciales desocupados",
        "Vacant commercial premises",
    ),
    ("public_funds", "Fondos públicos apalancados", "Public funds leveraged"),
    ("private_funds", "Fondos privados apalancados", "Private funds leveraged"),
    ("custom", "Indicador propio", "Own indicator"),
)

DIRECTION = _codes(
    ("increase", "Aumentar", "Increase"),
    ("decrease", "Disminuir", "Decrease"),
)

FREQUENCY = _codes(
    ("quarterly", "Trimestral", "Quarterly"),
    ("annual", "Anual", "Annual"),
)

GOAL_STATUS = _codes(
    ("open", "En curso", "Open"),
    ("achieved", "Lograda", "Achieved"),
    ("dropped", "Descartada", "Dropped"),
)

# How current an entry is (registry.quality.freshness)
FRESHNESS = _codes(
    ("current", "Al día", "Up to date"),
    ("stale", "Desactualizada", "Out of date"),
    ("unverified", "Nunca verificada", "Never verified"),
)

# An indicator's progress from its baseline to its target (registry.progress)
PROGRESS = _codes(
    ("achieved", "Meta alcanzada", "Target reached"),
    ("over_half", "Avance de 50 % o más", "Half way or more"),
    ("under_half", "Avance menor a 50 %", "Less than half way"),
    ("setback", "Retroceso", "Setback"),
    ("no_data", "Sin datos suficientes", "Not enough data"),
)

CODE_LISTS: dict[str, tuple[Code, ...]] = {
    "kind": KIND,
    "initiative_type": INITIATIVE_TYPE,
    "location_precision": LOCATION_PRECISION,
    "sector": SECTOR,
    "strategic_focus": STRATEGIC_FOCUS,
    "funding_source": FUNDING_SOURCE,
    "program": PROGRAM,
    "stage": STAGE,
    "status": STATUS,
    "action_line": ACTION_LINE,
    "legal_organization": LEGAL_ORGANIZATION,
    "role": ROLE,
    "country": COUNTRY,
    "monitoring_indicator": MONITORING_INDICATOR,
    "direction": DIRECTION,
    "frequency": FREQUENCY,
    "goal_status": GOAL_STATUS,
    "freshness": FRESHNESS,
    "progress": PROGRESS,
}


def code_codes(list_name: str) -> tuple[str, ...]:
    """Return the codes of one list, in display order.

    Examples
    --------
    >>> code_codes("kind")
    ('iap', 'barrio_comercial')
    """
    return tuple(c.code for c in CODE_LISTS[list_name])


def label(list_name: str, code: str, lang: str | None = None) -> str:
    """Return the label of ``code`` in ``lang`` (default: the active language); the code
    itself if unknown.

    Examples
    --------
    >>> label("status", "published", "en")
    'Published'
    """
    lang = lang or current_language()
    for c in CODE_LISTS[list_name]:
        if c.code == code:
            return c.es if lang == "es" else c.en
    return code
