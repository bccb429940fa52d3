"""Progress of a monitoring indicator from its baseline to its target, and the data its
chart draws.

Progress is ``(latest - start) / (target - start)``, where ``start`` is the baseline, or, if
the indicator has none, its first recorded value (so one value alone, without a baseline,
shows no progress). It is the same formula whether the desired direction is to increase or
to decrease: validation keeps the target on the desired side of the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.schema.monitoring import indicator_name, period_key

__all__ = ["badge", "chart_data", "progress"]


def _series(values: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(
        (v for v in values if not v.get("deleted")), key=lambda v: period_key(str(v["period"]))
    )


def progress(indicator: Mapping[str, Any], values: Sequence[Mapping[str, Any]]) -> float | None:
    """Return the share of the way from start to target (1.0 = target reached), or None.

    Examples
    --------
    >>> ind = {"baseline": 20.0, "target": 40.0}
    >>> progress(ind, [{"period": "2025-Q1", "value": 25.0}, {"period": "2025-Q2", "value": 30.0}])
    0.5
    >>> progress({"baseline": 10.0, "target": 5.0}, [{"period": "2025", "value": 12.0}])
    -0.4
    >>> progress({"baseline": None, "target": 5.0}, [{"period": "2025", "value": 1.0}]) is None
    True
    """
    series = _series(values)
    target = indicator.get("target")
    if not series or target is None:
        return None
    start = indicator.get("baseline")
    if start is None:
        if len(series) < 2:
            return None
        start = series[0]["value"]
    if target == start:
        return None
    return (float(series[-1]["value"]) - float(start)) / (float(target) - float(start))


def badge(share: float | None) -> str:
    """The ``progress`` code of a share: achieved, over_half, under_half, setback, no_data.

    Examples
    --------
    >>> [badge(s) for s in (1.2, 0.5, 0.1, -0.2, None)]
    ['achieved', 'over_half', 'under_half', 'setback', 'no_data']
    """
    if share is None:
        return "no_data"
    if share >= 1:
        return "achieved"
    if share >= 0.5:
        return "over_half"
    if share >= 0:
        return "under_half"
    return "setback"


def chart_data(
    indicator: Mapping[str, Any], values: Sequence[Mapping[str, Any]], lang: str | None = None
) -> dict[str, Any]:
    """What an indicator's chart draws: its values by period (oldest first, with their
    sources), the baseline and the target, and its progress.

    Examples
    --------
    >>> data = chart_data({"code": "employment", "unit": "personas", "baseline": 10.0,
    ...     "target": 20.0, "baseline_period": "2024", "target_period": "2027"},
    ...     [{"period": "2026", "value": 15.0, "source_note": "b"},
    ...      {"period": "2025", "value": 12.0, "source_note": "a"}], lang="es")
    >>> data["name"], data["periods"], data["values"], data["target"], data["badge"]
    ('Empleo', ['2025', '2026'], [12.0, 15.0], 20.0, 'over_half')
    """
    series = _series(values)
    share = progress(indicator, series)
    return {
        "id": indicator.get("id"),
        "name": indicator_name(indicator, lang),
        "unit": indicator.get("unit") or "",
        "direction": indicator.get("direction") or "increase",
        "periods": [str(v["period"]) for v in series],
        "values": [float(v["value"]) for v in series],
        "sources": [str(v.get("source_note") or "") for v in series],
        "baseline": indicator.get("baseline"),
        "baseline_period": indicator.get("baseline_period"),
        "target": indicator.get("target"),
        "target_period": indicator.get("target_period"),
        "progress": share,
        "badge": badge(share),
    }
