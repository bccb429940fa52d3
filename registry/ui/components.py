"""Widgets shared by the pages: the map adapter, the filter sidebar, legends, entry details.

``show_map`` is the only call of ``st_folium``: AppTest tests replace it to simulate
clicks (AppTest cannot click inside the map iframe); browser tests click the real map.
User text is shown with widgets that render it as text (``st.text``, dataframes, ``st.code``)
or escaped by ``plain`` before it reaches Markdown. The one piece of HTML built here, the
legend, escapes every text with ``html.escape`` and takes colours only as hex codes.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from registry.geo.boundaries import region_country
from registry.i18n import has, number, tr
from registry.i18n.units import unit_label
from registry.layers.context import measure_text
from registry.schema import display
from registry.schema.codes import code_codes, label
from registry.schema.fields import FIELDS
from registry.store import Filters
from registry.ui import state

__all__ = [
    "MAP_EVENTS",
    "detail_panel",
    "field_text",
    "permalink",
    "place_search",
    "filter_sidebar",
    "indicator_label",
    "legend",
    "plain",
    "show_map",
]

MAP_EVENTS = ["last_object_clicked", "last_object_clicked_tooltip", "last_clicked"]
_ROW_PX = 35  # height of a data grid row
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
    height: int = 640,
) -> dict[str, Any]:
    """Render a folium map and return the events in ``MAP_EVENTS`` (the adapter)."""
    return (
        st_folium(
            m,
            key=key,
            height=height,
            use_container_width=True,  # streamlit-folium's own option
            feature_group_to_add=feature_groups,
            layer_control=layer_control,
            returned_objects=MAP_EVENTS,
            # streamlit-folium renders the map itself for what it sends; rendering the whole
            # page first as well (``render=True``) only made the same text twice (a third
            # of its time per run, measured, for the same arguments to the browser)
            render=False,
        )
        or {}
    )


_FLT_TEXT, _FLT_FROM, _FLT_TO = "flt_q", "flt_from", "flt_to"


def _filter_state(current: Filters) -> None:
    """Fill the filter widgets' state from the URL once per session (and after clearing)."""
    if st.session_state.get("_flt_ready"):
        return
    for field in state.FILTER_PARAMS:
        st.session_state[f"flt_{field}"] = list(getattr(current, field))
    st.session_state[_FLT_TEXT] = current.q or ""
    st.session_state[_FLT_FROM] = current.start_year_min
    st.session_state[_FLT_TO] = current.start_year_max
    st.session_state["_flt_ready"] = True


def _clear_filters() -> None:
    """Button callback: empty every filter widget and the URL's filter parameters."""
    for field in state.FILTER_PARAMS:
        st.session_state[f"flt_{field}"] = []
    st.session_state[_FLT_TEXT] = ""
    st.session_state[_FLT_FROM] = None
    st.session_state[_FLT_TO] = None
    keep = {k: v for k, v in st.query_params.to_dict().items() if k in state.VIEW_PARAMS}
    st.query_params.from_dict(keep)


def filter_sidebar(region_names: dict[str, str], comuna_names: dict[str, str]) -> Filters:
    """Draw the filters in the sidebar from (and back into) the URL; return them.

    The widgets hold their values in session state only (filled from the URL when the
    session starts), so that clearing them changes what the browser shows as well.
    """
    lang = state.language()
    _filter_state(state.filters_from_query(st.query_params.to_dict()))
    drill = st.session_state.pop(state.DRILL, None)
    if drill:  # a place clicked on a grouped map narrows the view to it
        level, code = drill.split(":", 1)
        st.session_state[f"flt_{level}"] = [code]
    sb = st.sidebar
    sb.subheader(tr("ui_filters", lang=lang))

    def multi(field: str, options: list[str], fmt: Any) -> tuple[str, ...]:
        key = f"flt_{field}"
        allowed = set(options)
        st.session_state[key] = [v for v in st.session_state.get(key) or [] if v in allowed]
        chosen = sb.multiselect(
            tr(f"ui_f_{field}", lang=lang),
            options,
            format_func=fmt,
            key=key,
            placeholder=tr("ui_choose", lang=lang),
        )
        return tuple(chosen)

    def coded(code_list: str) -> Any:
        return lambda v: label(code_list, v, lang)

    q = sb.text_input(tr("ui_f_q", lang=lang), key=_FLT_TEXT)
    values: dict[str, Any] = {}
    for field, (_, code_list) in state.FILTER_PARAMS.items():
        if field == "region":
            # the admin-1 units of the countries chosen (all of them if none is)
            countries = values.get("country") or ()
            codes = [
                c
                for c in sorted(region_names)
                if c != "00" and (not countries or region_country(c) in countries)
            ]  # 00: the whole of Chile, in the indicator tables
            values[field] = multi(field, codes, lambda v: f"{v} {region_names.get(v, '')}")
        elif field == "comuna":
            chosen_regions = values.get("region") or ()
            countries = values.get("country") or ()
            codes = sorted(
                c
                for c in comuna_names
                if (not chosen_regions or c[:2] in chosen_regions)
                and (not countries or "CL" in countries)
            )
            values[field] = multi(field, codes, lambda v: comuna_names.get(v, v))
        else:
            assert code_list is not None
            values[field] = multi(field, code_codes(code_list), coded(code_list))
    c1, c2 = sb.columns(2)
    y0 = c1.number_input(tr("ui_f_from", lang=lang), 1950, 2100, value=None, key=_FLT_FROM)
    y1 = c2.number_input(tr("ui_f_to", lang=lang), 1950, 2100, value=None, key=_FLT_TO)
    filters = Filters(
        **values,
        q=(q or "").strip() or None,
        start_year_min=int(y0) if y0 is not None else None,
        start_year_max=int(y1) if y1 is not None else None,
    )
    query = state.query_from_filters(filters)
    keep = {k: v for k, v in st.query_params.to_dict().items() if k in state.VIEW_PARAMS}
    if {**query, **keep} != st.query_params.to_dict():
        st.query_params.from_dict({**query, **keep})
    if not filters.is_empty():
        sb.button(tr("ui_clear_filters", lang=lang), on_click=_clear_filters)
    return filters


def legend(
    title: str, rows: list[dict[str, str]], note: str | None = None, *, areas: bool = False
) -> None:
    """Show a legend: its title, then each class's colour and label, then ``note``.

    Parameters
    ----------
    title
        What the colours stand for (a field's or a series' name).
    rows
        One dict per class, with ``label`` (text) and ``color`` (a hex code; anything else is
        drawn grey).
    note
        A caption beneath (method, source), shown as plain text.
    areas
        Square swatches, for regions filled with the colour; else round ones, as the map's
        markers.

    Notes
    -----
    Plain HTML, not a data grid: the column beside the map is about 250 px wide at 1,440 px,
    where a grid cut long labels off ("Minería y proveedores minero…") and text wraps.
    """
    if not rows:
        return
    radius = "2px" if areas else "50%"
    items = "".join(
        '<li style="display:flex;align-items:baseline;gap:0.5em;margin:0 0 0.25em">'
        '<span aria-hidden="true" style="flex:none;width:0.8em;height:0.8em;'
        f"border-radius:{radius};border:1px solid rgba(0,0,0,0.3);box-sizing:border-box;"
        f'background:{_hex(r["color"])}"></span>'
        f"<span>{html.escape(r['label'])}</span></li>"
        for r in rows
    )
    st.html(
        '<div data-testid="iap-legend" style="font-size:0.875rem;line-height:1.35;'
        'overflow-wrap:anywhere">'
        f'<p style="font-weight:600;margin:0 0 0.4em">{html.escape(title)}</p>'
        f'<ul style="list-style:none;padding:0;margin:0">{items}</ul></div>'
    )
    if note:
        st.caption(plain(note))


_HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


def _hex(color: str) -> str:
    return color if _HEX.fullmatch(color) else "#999999"


def indicator_label(name: str, lang: str) -> str:
    """The name of a regional series in ``lang`` (its code when the catalogue has none)."""
    key = f"indicator_{name}"
    return tr(key, lang=lang) if has(key) else name


def field_text(spec_name: str, value: Any, lang: str) -> str:
    """A stored value as a reader sees it in ``lang``: codes as labels, region and comuna
    by name, dates and numbers in the language's format, lists joined."""
    places = None
    if spec_name in ("region_code", "comuna_code"):
        from registry.ui import resources

        reg = resources.registry()
        places = {"region_code": reg.region_names(), "comuna_code": reg.comuna_names()}
    return display.field_text(spec_name, value, lang, places)


def place_search(key: str, lang: str) -> Any:
    """A place search box (comunas, cities and towns; accents, case and typos forgiven) and,
    once something is typed, a choice among the best matches. Returns the chosen
    ``registry.geo.places.Place`` or None. Nothing is placed: the caller only moves the map.
    """
    from registry.geo.places import search_places

    left, right = st.columns([2, 3], vertical_alignment="top")
    query = left.text_input(
        tr("ui_place_search", lang=lang),
        key=f"{key}_q",
        placeholder=tr("ui_place_search_hint", lang=lang),
        max_chars=80,
    )
    if not query.strip():
        return None
    hits = search_places(query)
    if not hits:
        right.caption(tr("ui_place_none", lang=lang, q=plain(query.strip())))
        return None

    def describe(i: int) -> str:
        p = hits[i]
        return f"{p.name} · {p.kind_label(lang)} · {p.context}"

    choice = right.selectbox(
        tr("ui_place_pick", lang=lang),
        range(len(hits)),
        format_func=describe,
        key=f"{key}_pick",
        placeholder=tr("ui_choose", lang=lang),
    )
    place = hits[int(choice or 0)]
    right.caption(tr(f"ui_place_source_{place.source}", lang=lang))
    return place


def permalink(entry_id: str, lang: str) -> None:
    """The entry's link (this app's address with ``?id=``), in a box with a copy button."""
    host = st.context.headers.get("Host") or "localhost"
    scheme = st.context.headers.get("X-Forwarded-Proto") or "http"
    safe = re.sub(r"[^A-Za-z0-9.:\-\[\]]", "", str(host))[:255]
    st.caption(tr("ui_permalink", lang=lang))
    st.code(f"{'https' if scheme == 'https' else 'http'}://{safe}/?id={entry_id}", language=None)


_URL = re.compile(r"^https?://[^\s<>\"'()\[\]]+$")


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
    rows, long_texts = [], []
    for spec in FIELDS:
        if spec.name in ("name", "geometry", "id") or spec.restricted:
            continue
        text = field_text(spec.name, record.get(spec.name), lang)
        if text:
            item = (spec.es if lang == "es" else spec.en, text)
            (long_texts if spec.type == "longtext" else rows).append(item)
    st.dataframe(  # tall enough for every row: no scrolling inside the panel
        pd.DataFrame(rows, columns=[tr("ui_field", lang=lang), tr("ui_value", lang=lang)]),
        hide_index=True,
        width="stretch",
        height=_ROW_PX * (len(rows) + 1) + 3,
    )
    links = [
        (spec.es if lang == "es" else spec.en, str(record.get(spec.name)))
        for spec in FIELDS
        if spec.type == "url" and isinstance(record.get(spec.name), str)
    ]
    for name, url in links:  # clickable only when it is a plain http(s) address
        if _URL.match(url):
            st.markdown(f"**{plain(name)}:** [{plain(url)}]({url})")
    for name, text in long_texts:  # whole paragraphs, as plain text
        st.markdown(f"**{plain(name)}**")
        st.text(text)
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
                        tr("ui_indicator", lang=lang): indicator_label(f["indicator"], lang),
                        tr("ui_year", lang=lang): f["year"],
                        tr("ui_value", lang=lang): number(f["value"], lang, 2),
                        "Chile": number(f.get("national_value"), lang, 2),
                        tr("ui_change_pct", lang=lang): number(f.get("change_pct"), lang, 1),
                        tr("ui_unit", lang=lang): unit_label(f.get("unit"), lang),
                    }
                    for f in figures
                ]
            )
            st.dataframe(table, hide_index=True, width="stretch")
        chosen = context.get("measure")
        if chosen:
            st.markdown(f"**{plain(indicator_label(chosen['indicator'], lang))}**")
            st.text(measure_text(chosen, context.get("region_name"), lang))
            st.caption(plain(unit_label(chosen["unit"], lang)))


def entry_picker(frame: Any, key: str, lang: str) -> str:
    """A select box of the entries of ``frame`` (by name), starting at the ``id`` of the
    URL when it is among them; returns the chosen entry's id."""
    ids = list(frame["id"])
    names = dict(zip(frame["id"], frame["name"], strict=True))
    wanted = st.query_params.get("id")
    return str(
        st.selectbox(
            tr("ui_pick_entry", lang=lang),
            ids,
            index=ids.index(wanted) if wanted in ids else 0,
            format_func=lambda i: names.get(i, i),
            key=key,
            placeholder=tr("ui_choose", lang=lang),
        )
    )
