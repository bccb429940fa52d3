"""HTML views of monitoring, drawn without JavaScript and without a chart library: an
indicator's chart (inline SVG) and the programme view's table.

Every text that comes from users (names, units, periods, sources) is escaped for HTML, in
element text and in attribute values; numbers are formatted for the language. Marks carry
``data-`` attributes (period, value, target) so that tests and scripts can read what is drawn.
Streamlit shows the table through ``st.html``, which sanitises once more (DOMPurify, HTML
only), and the chart in an iframe of its own (``chart_page``), since that sanitiser drops SVG.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd

from registry.i18n import date_text, number, tr
from registry.schema.codes import label
from registry.ui.mapview import FIXED_COLORS

__all__ = [
    "BADGE_COLORS",
    "CHART_HEIGHT",
    "FRESHNESS_COLORS",
    "badge_html",
    "chart_page",
    "indicator_chart",
    "programme_table",
]

BADGE_COLORS = {
    "achieved": "#1a7f37",
    "over_half": "#0072b2",
    "under_half": "#b8860b",
    "setback": "#c0392b",
    "no_data": "#7f7f7f",
}
FRESHNESS_COLORS = FIXED_COLORS["freshness"]  # as on the map
_W, _H = 720, 260
CHART_HEIGHT = _H
_LEFT, _RIGHT, _TOP, _BOTTOM = 96, 230, 16, 40


def _a(value: Any) -> str:
    """An attribute value, escaped (quotes included)."""
    return escape(str(value), quote=True)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering ``lo``..``hi``.

    Examples
    --------
    >>> _ticks(0, 43)
    [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    raw = (hi - lo) / n
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    count = int((hi - first) / step + 1e-9) + 1
    return [float(round(first + i * step, 10)) for i in range(count)]


def indicator_chart(data: Mapping[str, Any], lang: str) -> str:
    """The SVG chart of one indicator (``registry.progress.chart_data``): its values by
    period as a line with points, the target as a dashed line and the baseline as a dotted
    one, each labelled with its value.

    Examples
    --------
    >>> svg = indicator_chart({"id": "i1", "name": "<b>Ventas</b>", "unit": "CLP",
    ...     "periods": ["2025"], "values": [5.0], "sources": ["x"], "baseline": None,
    ...     "baseline_period": None, "target": 10.0, "target_period": "2026",
    ...     "badge": "under_half", "progress": 0.5}, "es")
    >>> "&lt;b&gt;Ventas&lt;/b&gt;" in svg and "<b>" not in svg
    True
    """
    values = [float(v) for v in data["values"]]
    target, baseline = data.get("target"), data.get("baseline")
    unit = str(data.get("unit") or "")
    levels = [*values, *(v for v in (target, baseline) if v is not None)] or [0.0]
    lo, hi = min(0.0, *levels), max(levels)
    if hi == lo:
        hi = lo + 1
    pad = (hi - lo) * 0.08
    lo, hi = (lo if lo == 0 else lo - pad), hi + pad
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def y(v: float) -> float:
        return round(_TOP + plot_h * (1 - (v - lo) / (hi - lo)), 1)

    n = len(values)

    def x(i: int) -> float:
        return round(_LEFT + (plot_w * (i + 0.5) / n if n else plot_w / 2), 1)

    title = escape(str(data["name"]))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="iap-chart" role="img" '
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'data-indicator="{_a(data.get("id") or "")}" '
        f'data-target="{_a("" if target is None else repr(float(target)))}" '
        f'data-baseline="{_a("" if baseline is None else repr(float(baseline)))}" '
        f'aria-label="{_a(data["name"])}">',
        f"<title>{title}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        f'stroke="#ddd"/>',
    ]
    ticks = _ticks(lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    places = 0 if step >= 1 else 1 if step >= 0.1 else 2
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{_LEFT - 4}" x2="{_LEFT + plot_w}" y1="{ty}" y2="{ty}" stroke="#eee"/>'
            f'<text x="{_LEFT - 6}" y="{ty + 4}" font-size="11" text-anchor="end" '
            f'fill="#555">{escape(number(tick, lang, places))}</text>'
        )
    for value, css, dash, key, period in (
        (baseline, "baseline", "2,3", "ui_mon_baseline", data.get("baseline_period")),
        (target, "target", "7,4", "ui_mon_target", data.get("target_period")),
    ):
        if value is None:
            continue
        ly = y(float(value))
        text = f"{tr(key, lang=lang)}: {number(value, lang)} {unit}".strip()
        if period:
            text += f" ({period})"
        color = "#c0392b" if css == "target" else "#777"
        parts.append(
            f'<line class="{css}" data-value="{_a(repr(float(value)))}" x1="{_LEFT}" '
            f'x2="{_LEFT + plot_w}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/>'
            f'<text x="{_LEFT + plot_w + 6}" y="{ly + 4}" font-size="11" fill="{color}">'
            f"{escape(text)}</text>"
        )
    if n:
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#0072b2" stroke-width="2.5"/>'
        )
        for i, (period, value) in enumerate(zip(data["periods"], values, strict=True)):
            source = data["sources"][i] if i < len(data.get("sources") or []) else ""
            tip = f"{period}: {number(value, lang)} {unit}".strip()
            if source:
                tip += f" — {source}"
            parts.append(
                f'<circle class="value" data-period="{_a(period)}" '
                f'data-value="{_a(repr(value))}" cx="{x(i)}" cy="{y(value)}" r="5" '
                f'fill="#0072b2"><title>{escape(tip)}</title></circle>'
                f'<text x="{x(i)}" y="{_H - _BOTTOM + 16}" font-size="11" text-anchor="middle" '
                f'fill="#333">{escape(str(period))}</text>'
            )
    else:
        parts.append(
            f'<text x="{_LEFT + plot_w / 2}" y="{_TOP + plot_h / 2}" font-size="13" '
            f'text-anchor="middle" fill="#777">{escape(tr("ui_mon_no_values", lang=lang))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart_page(svg: str) -> str:
    """A whole HTML document showing ``svg`` (for an iframe of its own)."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0;'
        "font-family:sans-serif}</style></head><body>" + svg + "</body></html>"
    )


def badge_html(code: str, list_name: str, colors: Mapping[str, str], lang: str) -> str:
    """A coloured badge with the label of ``code`` (a ``progress`` or ``freshness`` code)."""
    color = colors.get(code, "#7f7f7f")
    return (
        f'<span class="iap-badge" data-code="{_a(code)}" style="background:{color};color:#fff;'
        f'border-radius:0.6em;padding:0.1em 0.6em;font-size:0.85em;white-space:nowrap">'
        f"{escape(label(list_name, code, lang))}</span>"
    )


def _date(value: Any, lang: str) -> str:
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return date_text(value, lang)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return escape(str(value))


def programme_table(view: pd.DataFrame, region_names: Mapping[str, str], lang: str) -> str:
    """The programme view (``Registry.programme_view``) as an HTML table: one row per
    entry, stale rows highlighted, progress and freshness as badges."""
    heads = [
        "ui_mon_col_name",
        "ui_f_region",
        "ui_f_stage",
        "ui_mon_col_indicators",
        "ui_mon_col_progress",
        "ui_mon_col_latest",
        "ui_mon_col_verified",
        "ui_mon_col_activity",
        "ui_mon_col_freshness",
        "ui_mon_col_completeness",
    ]
    rows = []
    for r in view.itertuples(index=False):
        share = r.mean_progress
        progress = "" if share is None or pd.isna(share) else f"{number(100 * share, lang, 0)} %"
        badge = badge_html(r.badge, "progress", BADGE_COLORS, lang) if r.indicators else ""
        reached = (
            tr("ui_mon_reached", lang=lang, n=int(r.targets_reached), of=int(r.indicators))
            if r.indicators
            else ""
        )
        stale = r.freshness == "stale"
        style = ' style="background:#fdecea"' if stale else ""
        cells = [
            _cell(r.name),
            _cell(region_names.get(str(r.region_code), r.region_code or "")),
            _cell(label("stage", r.stage, lang) if r.stage else ""),
            _cell(r.indicators),
            (badge + f" {escape(progress)}")
            + (f"<br><small>{escape(reached)}</small>" if reached else ""),
            _cell(r.latest_period),
            _cell(_date(r.last_verified, lang)),
            _cell(_date(r.last_activity, lang)),
            badge_html(r.freshness, "freshness", FRESHNESS_COLORS, lang),
            f"{int(r.completeness)} %",
        ]
        rows.append(
            f'<tr class="iap-row{" stale" if stale else ""}" data-id="{_a(r.id)}" '
            f'data-freshness="{_a(r.freshness)}"{style}>'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(f"<th>{escape(tr(k, lang=lang))}</th>" for k in heads)
    return (
        '<table class="iap-programme" style="width:100%;border-collapse:collapse;'
        'font-size:0.9em"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
