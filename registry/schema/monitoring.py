"""Monitoring of an initiative over time: goals, indicators, their values per period, and
the review log, each described by one field table like entries (``registry.schema.fields``).

Four kinds of monitoring records, each attached to one initiative (``initiative_id``):

``goal``      a goal of the shared strategy (text, target date, status)
``indicator`` what is measured: a catalogue indicator or the initiative's own, with its
              unit, frequency, baseline, target and direction
``value``     one indicator's value for one period (``YYYY`` or ``YYYY-Qn``) with its source
``review``    a dated entry of the review log: who took part, what was reviewed and decided,
              what changed in the strategy, the next steps

This module holds the field tables only (read by the store and the views without loading
pydantic); the validation, which reuses the entry fields' coercion so a monitoring form or
CSV gets the same messages in the user's language, is ``registry.schema.monitoring_model``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.schema.codes import label
from registry.schema.fields import LONG, TEXT, FieldSpec

__all__ = [
    "CATALOGUE",
    "KINDS",
    "MONITORING_FIELDS",
    "MONITORING_SYSTEM_FIELDS",
    "indicator_name",
    "monitoring_table",
    "period_key",
]


def _f(name: str, type_: str, es: str, en: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, type_, es, en, **kw)


# catalogue code -> (default unit, direction)
CATALOGUE: dict[str, tuple[str, str]] = {
    "participating_firms": ("empresas", "increase"),
    "joint_sales": ("CLP", "increase"),
    "exports": ("USD", "increase"),
    "employment": ("personas", "increase"),
    "new_products": ("número", "increase"),
    "certifications": ("número", "increase"),
    "training_hours": ("horas", "increase"),
    "visitors": ("personas", "increase"),
    "vacancy": ("%", "decrease"),
    "public_funds": ("CLP", "increase"),
    "private_funds": ("CLP", "increase"),
}

KINDS = ("goal", "indicator", "value", "review")

MONITORING_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "goal": (
        _f("title", "text", "Meta", "Goal", required=True, max_len=TEXT),
        _f("description", "longtext", "Descripción", "Description", max_len=LONG),
        _f("target_date", "date", "Fecha meta", "Target date"),
        _f("status", "code", "Estado de la meta", "Goal status", code_list="goal_status"),
    ),
    "indicator": (
        _f(
            "code",
            "code",
            "Indicador",
            "Indicator",
            required=True,
            code_list="monitoring_indicator",
            description_es="Uno del catálogo, o «Indicador propio» con su nombre",
            description_en="One of the catalogue, or 'Own indicator' with its name",
        ),
        _f("name", "text", "Nombre del indicador", "Indicator name", max_len=TEXT),
        _f("unit", "text", "Unidad", "Unit", max_len=60),
        _f("frequency", "code", "Frecuencia", "Frequency", required=True, code_list="frequency"),
        _f("direction", "code", "Sentido deseado", "Desired direction", code_list="direction"),
        _f("baseline", "number", "Línea base", "Baseline"),
        _f("baseline_period", "period", "Periodo de la línea base", "Baseline period"),
        _f("target", "number", "Meta (valor)", "Target value", required=True),
        _f("target_period", "period", "Periodo de la meta", "Target period"),
        _f("goal_id", "uuid", "Meta asociada", "Related goal"),
        _f("notes", "longtext", "Notas", "Notes", max_len=LONG),
    ),
    "value": (
        _f("indicator_id", "uuid", "Indicador", "Indicator", required=True),
        _f("period", "period", "Periodo", "Period", required=True),
        _f("value", "number", "Valor", "Value", required=True),
        _f(
            "source_note",
            "text",
            "Fuente del dato",
            "Source of the value",
            required=True,
            max_len=TEXT,
            description_es="De dónde viene el valor: registro, encuesta, informe…",
            description_en="Where the value comes from: records, survey, report…",
        ),
    ),
    "review": (
        _f("review_date", "date", "Fecha de la revisión", "Review date", required=True),
        _f("participants", "longtext", "Participantes", "Participants", max_len=LONG),
        _f(
            "reviewed",
            "longtext",
            "Qué se revisó",
            "What was reviewed",
            required=True,
            max_len=LONG,
        ),
        _f("decisions", "longtext", "Decisiones", "Decisions", max_len=LONG),
        _f(
            "strategy_changes",
            "longtext",
            "Cambios en la estrategia",
            "Strategy changes",
            max_len=LONG,
        ),
        _f("next_steps", "longtext", "Próximos pasos", "Next steps", max_len=LONG),
    ),
}

MONITORING_SYSTEM_FIELDS = (
    _f("id", "uuid", "Identificador", "Identifier"),
    _f("initiative_id", "uuid", "Iniciativa", "Initiative"),
    _f("version", "int", "Versión", "Version"),
    _f("created_at", "text", "Creado", "Created at"),
    _f("created_by", "text", "Creado por", "Created by"),
    _f("updated_at", "text", "Actualizado", "Updated at"),
    _f("updated_by", "text", "Actualizado por", "Updated by"),
    _f("deleted", "bool", "Eliminado", "Deleted"),
)


def monitoring_table(kind: str) -> str:
    """The name of the table (and export layer) holding ``kind`` records.

    Examples
    --------
    >>> monitoring_table("value")
    'monitoring_values'
    """
    return f"monitoring_{kind}s"


def period_key(period: str) -> tuple[int, int]:
    """Sort key of a period: ``2025`` after every quarter of 2025.

    Examples
    --------
    >>> sorted(["2025", "2024-Q4", "2025-Q1"], key=period_key)
    ['2024-Q4', '2025-Q1', '2025']
    """
    year, _, quarter = period.partition("-Q")
    return int(year), int(quarter) if quarter else 5


def indicator_name(indicator: Mapping[str, Any], lang: str | None = None) -> str:
    """The name an indicator is shown by: its own name, else its catalogue label."""
    own = str(indicator.get("name") or "").strip()
    return own or label("monitoring_indicator", str(indicator.get("code")), lang)
