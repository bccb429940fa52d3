"""Widgets shared by the pages: the map adapter, the filter sidebar, legends, entry details.

``show_map`` is the only call of ``st_folium``: AppTest tests replace it to simulate
clicks (AppTest cannot click inside the map iframe); browser tests click the real map.
User text is shown with widgets that render it as text (``st.text``, dataframes, ``st.code``)
or escaped by ``plain`` before it reaches Markdown; no HTML is ever built from it.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from registry.i18n import tr
from registry.schema.codes import code_codes, label
from registry.schema.fields import FIELDS, FIELDS_BY_NAME
from registry.store import Filters
from registry.ui import state

__all__ = [
    "MAP_EVENTS",
    "detail_panel",
    "filter_sidebar",
    "legend",
    "plain",
    "show_map",
]

MAP_EVENTS = ["last_object_clicked", "last_object_clicked_tooltip", "last_clicked"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: Any) -> str:
    """Return ``text`` escaped so that Markdown shows it literally (no links, HTML, LaTeX).

    Examples
    --------
    >>> plain("[x](javascript:alert(1)) $x$ <b>")
    '\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\) \\\\$x\\\\$ \\\\<b\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_map(
    m: Any,
    key: str,
    feature_groups: list[Any] | None = None,
    layer_control: Any = None,
    height: int = 560,
) -> dict[str, Any]:
    """Render a folium map and return the events in ``MAP_EVENTS`` (the adapter)."""
    return (
        st_folium(
            m,
            key=key,
            height=height,
            use_container_width=True,
            feature_group_to_add=feature_groups,
            layer_control=layer_control,
            returned_objects=MAP_EVENTS,
        )
        or {}
    )


def filter_sidebar(region_names: dict[str, str], comuna_names: dict[str, str]) -> Filters:
    """Draw the filters in the sidebar from (and back into) the URL; return them."""
    lang = state.language()
    current = state.filters_from_query(st.query_params.to_dict())
    sb = st.sidebar
    sb.subheader(tr("ui_filters", lang=lang))

    def multi(field: str, options: list[str], fmt: Any) -> tuple[str, ...]:
        name = tr(f"ui_f_{field}", lang=lang)
        chosen = sb.multiselect(
            name,
            options,
            default=[v for v in getattr(current, field) if v in options],
            format_func=fmt,
            key=f"flt_{field}",
            placeholder=tr("ui_choose", lang=lang),
        )
        return tuple(chosen)

    def coded(code_list: str) -> Any:
        return lambda v: label(code_list, v, lang)

    q = sb.text_input(tr("ui_f_q", lang=lang), value=current.q or "", key="flt_q")
    values: dict[str, Any] = {}
    for field, (_, code_list) in state.FILTER_PARAMS.items():
        if field == "region":
            values[field] = multi(
                field, sorted(region_names), lambda v: f"{v} {region_names.get(v, '')}"
            )
        elif field == "comuna":
            chosen_regions = values.get("region") or ()
            codes = sorted(c for c in comuna_names if not chosen_regions or c[:2] in chosen_regions)
            values[field] = multi(field, codes, lambda v: comuna_names.get(v, v))
        else:
            assert code_list is not None
            values[field] = multi(field, code_codes(code_list), coded(code_list))
    c1, c2 = sb.columns(2)
    y0 = c1.number_input(
        tr("ui_f_from", lang=lang), 1950, 2100, value=current.start_year_min, key="flt_from"
    )
    y1 = c2.number_input(
        tr("ui_f_to", lang=lang), 1950, 2100, value=current.start_year_max, key="flt_to"
    )
    filters = Filters(
        **values,
        q=q.strip() or None,
        start_year_min=int(y0) if y0 is not None else None,
        start_year_max=int(y1) if y1 is not None else None,
    )
    query = state.query_from_filters(filters)
    keep = {k: v for k, v in st.query_params.to_dict().items() if k in ("lang", "id")}
    if {**query, **keep} != st.query_params.to_dict():
        st.query_params.from_dict({**query, **keep})
    if not filters.is_empty() and sb.button(tr("ui_clear_filters", lang=lang)):
        for key in list(st.session_state):
            if str(key).startswith("flt_"):
                del st.session_state[key]
        st.query_params.from_dict(keep)
        st.rerun()
    return filters


def legend(title: str, rows: list[dict[str, str]], note: str | None = None) -> None:
    """A legend as a small table: a coloured swatch column and the label (text only)."""
    if not rows:
        return
    frame = pd.DataFrame({"": ["●"] * len(rows), title: [r["label"] for r in rows]})
    colors = [r["color"] for r in rows]
    styled = frame.style.apply(
        lambda _: [f"color: {c}; font-size: 18px" for c in colors], subset=[""]
    )
    st.dataframe(styled, hide_index=True, use_container_width=True)
    if note:
        st.caption(note)


def _value(spec_name: str, value: Any, lang: str) -> str:
    spec = FIELDS_BY_NAME.get(spec_name)
    if value is None or value == [] or (isinstance(value, float) and pd.isna(value)):
        return ""
    if spec is not None and spec.code_list:
        if isinstance(value, list):
            return ", ".join(label(spec.code_list, v, lang) for v in value)
        return label(spec.code_list, value, lang)
    if isinstance(value, bool):
        return tr("ui_yes" if value else "ui_no", lang=lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def detail_panel(record: dict[str, Any], context: dict[str, Any] | None, lang: str) -> None:
    """An entry's fields (as text), location precision and source, and its regional context."""
    st.subheader(plain(record["name"]), anchor=False)  # headers render Markdown
    precision = label("location_precision", record["location_precision"], lang)
    st.caption(
        f"{plain(label('kind', record['kind'], lang))} · {plain(label('status', record['status'], lang))}"
        f" · {plain(tr('ui_precision', lang=lang))}: {plain(precision)}"
    )
    if record["location_precision"] in ("comuna", "region", "country"):
        st.info(tr("ui_approximate_note", lang=lang))
    rows = []
    for spec in FIELDS:
        if spec.name in ("name", "geometry", "id") or spec.restricted:
            continue
        text = _value(spec.name, record.get(spec.name), lang)
        if text:
            rows.append((spec.es if lang == "es" else spec.en, text))
    st.dataframe(
        pd.DataFrame(rows, columns=[tr("ui_field", lang=lang), tr("ui_value", lang=lang)]),
        hide_index=True,
        use_container_width=True,
    )
    if context is not None:
        st.markdown(f"**{plain(tr('ctx_title', lang=lang))}**")
        if context.get("note"):
            st.caption(plain(context["note"]))
        names = [n for n in (context.get("region_name"), context.get("comuna_name")) if n]
        if names:
            st.text(" · ".join(names))
        for where in ("in_region", "in_comuna"):
            counts = context.get(where)
            if counts:
                st.text(
                    tr(
                        "ctx_counts",
                        lang=lang,
                        where=tr(f"ctx_{where}", lang=lang),
                        entries=counts["entries"],
                        initiatives=counts["initiatives"],
                        barrios=counts["barrios"],
                        firms=counts["firms"],
                        reported=counts["firms_reported_by"],
                    )
                )
        figures = context.get("productivity") or []
        if figures:
            table = pd.DataFrame(
                [
                    {
                        tr("ui_indicator", lang=lang): f["indicator"],
                        tr("ui_year", lang=lang): f["year"],
                        tr("ui_value", lang=lang): f["value"],
                        tr("ui_change_pct", lang=lang): f.get("change_pct"),
                        tr("ui_unit", lang=lang): f.get("unit"),
                    }
                    for f in figures
                ]
            )
            st.dataframe(table, hide_index=True, use_container_width=True)
