"""Validation of monitoring records (goals, indicators, values, reviews): one pydantic model
per kind, built from the field tables of ``registry.schema.monitoring``.

Each field reuses the entry fields' coercion (``registry.schema.model``), so a monitoring
form or CSV gets the same messages, in the user's language. Kept apart from the field
tables so that reading monitoring data does not load pydantic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from registry.errors import ValidationFailed
from registry.schema.model import _LOOKUPS, _fail, _fold, _problems, _validator
from registry.schema.monitoring import CATALOGUE, MONITORING_FIELDS

__all__ = ["validate_monitoring"]


def _frequency_of(period: str) -> str:
    return "quarterly" if "-Q" in period else "annual"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _IndicatorBase(_Base):
    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            text = str(data.get("code") or "")
            code = _LOOKUPS["monitoring_indicator"].get(_fold(text), text)
            unit, direction = CATALOGUE.get(code, ("", "increase"))
            if not str(data.get("unit") or "").strip():
                data["unit"] = unit or None
            if not str(data.get("direction") or "").strip():
                data["direction"] = direction
        return data

    @model_validator(mode="after")
    def _cross_field(self) -> _IndicatorBase:
        v = self.__dict__
        errors: list[tuple[str, str, Any]] = []
        if v["code"] == "custom" and not v["name"]:
            errors.append(("name", "required", {}))
        if not v["unit"]:
            errors.append(("unit", "required", {}))
        for name in ("baseline_period", "target_period"):
            if v[name] and _frequency_of(v[name]) != v["frequency"]:
                errors.append((name, "period_frequency", {"period": v[name]}))
        if v["baseline"] is not None and v["target"] is not None:
            if v["baseline"] == v["target"]:
                errors.append(("target", "target_equals_baseline", {}))
            elif (v["target"] > v["baseline"]) != (v["direction"] == "increase"):
                errors.append(("target", "target_direction", {}))
        if errors:
            _fail(errors)
        return self


class _GoalBase(_Base):
    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not str(data.get("status") or "").strip():
            data = {**data, "status": "open"}
        return data


def _build(kind: str, base: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in MONITORING_FIELDS[kind]:
        annotated = Annotated[Any, BeforeValidator(_validator(spec))]
        if spec.required:  # a missing required field is validated (and fails)
            default = Field(default=None, title=spec.en, validate_default=True)
        else:
            default = Field(default=None, title=spec.en)
        fields[spec.name] = (annotated, default)
    return create_model(f"Monitoring{kind.title()}", __base__=base, **fields)


_MODELS: dict[str, type[BaseModel]] = {
    "goal": _build("goal", _GoalBase),
    "indicator": _build("indicator", _IndicatorBase),
    "value": _build("value", _Base),
    "review": _build("review", _Base),
}
_JSON: Callable[[Any], Any] = lambda v: v.isoformat() if isinstance(v, dt.date) else v  # noqa: E731


def validate_monitoring(
    kind: str, values: Mapping[str, Any], row: int | None = None
) -> dict[str, Any]:
    """Validate one monitoring record of ``kind``; return its clean values (dates as ISO
    text) or raise ``ValidationFailed`` (problems numbered ``row``).

    Examples
    --------
    >>> v = validate_monitoring("value", {"indicator_id": "0b7c4d3e-8f3a-4c1e-9a51-1f0e7a2b9c3d",
    ...     "period": "2025-T1", "value": "12,5", "source_note": "Registro de ventas"})
    >>> v["period"], v["value"]
    ('2025-Q1', 12.5)
    """
    try:
        model = _MODELS[kind].model_validate(dict(values))
    except ValidationError as exc:
        raise ValidationFailed(_problems(exc, row)) from None
    return {k: _JSON(v) for k, v in model.model_dump().items()}
