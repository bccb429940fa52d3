"""Map page: filtered entries over a tile-free or OpenStreetMap base, regional productivity,
details of a clicked entry, and downloads of the view."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from html import escape
from pathlib import Path
from typing import Any

import folium
import streamlit as st
from streamlit.errors import StreamlitAPIException

from registry.auth import can
from registry.errors import RegistryError
from registry.i18n import date_text, number, tr
from registry.i18n.units import unit_label
from registry.layers.derived import MEASURES, needs_group
from registry.layers.indicators import REGION_GROUPS
from registry.schema.codes import label
from registry.store import Filters
from registry.ui import components, mapview, resources, runlog, state
from registry.ui.monitoring import FRESHNESS_COLORS, badge_html

__all__ = ["page"]


def _by_region(
    values: dict[str, float], estimated: dict[str, bool]
) -> tuple[dict[str, float], dict[str, bool], set[str]]:
    """Values keyed by the map's regions: a group's value (``08+16``) is drawn on each of
    its regions where they have none of their own. Returns the values, whether each is
    estimated, and the regions drawn with their group's value."""
    out = {k: v for k, v in values.items() if k not in REGION_GROUPS}
    flags = {k: estimated.get(k, False) for k in out}
    shared: set[str] = set()
    for group, members in REGION_GROUPS.items():
        if group in values:
            for member in members:
                if member not in out:
                    out[member] = values[group]
                    flags[member] = estimated.get(group, False)
                    shared.add(member)
    return out, flags, shared


def _productivity_layer(
    version: int, lang: str, c1: Any, c2: Any, c3: Any
) -> tuple[Any, tuple[str, list[dict[str, str]], str] | None]:
    """The choropleth chosen in the controls (columns ``c1``..``c3``) and its legend
    (title, rows, note), or Nones; from the registry at data ``version``."""
    reg = resources.registry()
    series = resources.regional_series(version)
    mode = c1.radio(
        tr("ui_productivity", lang=lang),
        ["none", "level", "change"],
        format_func=lambda m: tr(f"ui_prod_{m}", lang=lang),
        key="prod_mode",
        horizontal=True,
    )
    if mode == "none" or not series:
        return None, None
    table = resources.indicators(version)
    names = list(series)
    name = c2.selectbox(
        tr("ui_indicator", lang=lang),
        names,
        index=0,
        format_func=lambda n: components.indicator_label(n, lang),
        key="prod_ind",
        placeholder=tr("ui_choose", lang=lang),
    )
    years = series[name]
    rows = table[(table["indicator"] == name) & table["period"].fillna("").isin(resources.ANNUAL)]
    unit = " | ".join(sorted({unit_label(u, lang) for u in rows["unit"].astype(str)}))
    sources = sorted({u for s in rows["source_url"].astype(str) for u in s.split()})
    group_name = tr("region_group_08_16", lang=lang)
    if mode == "level":
        year = c3.selectbox(
            tr("ui_year", lang=lang),
            years[::-1],
            key="prod_year",
            placeholder=tr("ui_choose", lang=lang),
        )
        now = rows[rows["year"] == year]
        flags = now["estimated"] if "estimated" in now else [False] * len(now)
        values, estimated, from_group = _by_region(
            dict(zip(now["region_code"].astype(str), now["value"].astype(float), strict=True)),
            dict(zip(now["region_code"].astype(str), map(bool, flags), strict=True)),
        )
        texts = {k: f"{number(v, lang, 2)} {unit}" for k, v in values.items()}
        diverging = False
        title = f"{components.indicator_label(name, lang)}, {year}"
        note = unit
    else:
        y0, y1 = c3.select_slider(
            tr("ui_year", lang=lang), years, value=(years[0], years[-1]), key="prod_years"
        )
        if y0 == y1:
            return None, None
        try:
            group = needs_group(table, name, int(y0))
            view = reg.convergence(name, int(y0), int(y1), group=group)
        except RegistryError as exc:
            st.warning(components.plain(exc.user_msg))
            return None, None
        values, estimated, from_group = _by_region(
            {r["region_code"]: r["change_pct"] for r in view["regions"]},
            {
                r["region_code"]: r["initial_estimated"] or r["final_estimated"]
                for r in view["regions"]
            },
        )
        texts = {k: ("+" if v > 0 else "") + f"{number(v, lang, 1)} %" for k, v in values.items()}
        diverging = True
        title = f"{components.indicator_label(name, lang)}, {y0}→{y1} (%)"
        note = tr("ui_prod_change_of", lang=lang, unit=unit)
    for member in from_group:
        texts[member] = f"{group_name}: {texts[member]}"
    texts = {k: v + (" *" if estimated.get(k) else "") for k, v in texts.items()}
    names = {k: v for k, v in reg.region_names().items() if k != "00"}
    url = resources.outline_urls()["region"]
    layer = mapview.ChoroplethLayer(url, names, values, texts, diverging)
    group = folium.FeatureGroup(name=tr("ui_layer_productivity", lang=lang))
    layer.add_to(group)
    edges = [
        number(b, lang, 1 if diverging else 2) + (" %" if diverging else "") for b in layer.breaks
    ]
    rows_legend = [
        {"label": (f"< {edges[0]}" if i == 0 else f"≥ {edges[i - 1]}"), "color": c}
        for i, c in enumerate(layer.palette[: len(edges) + 1])
    ]
    if any(estimated.values()):
        note += ". " + tr("ui_prod_estimated", lang=lang)
    note = f"{note}. {tr('ui_source', lang=lang)}: {' '.join(sources[:3])}"
    return group, (title, rows_legend, note)


def _chosen_measure() -> tuple[str, int, int] | None:
    """The productivity measure and years the map's layer compares, for an entry's regional
    context; None (the article's measure from 2010) when the layer shows something else."""
    name = st.session_state.get("prod_ind")
    years = st.session_state.get("prod_years")
    if st.session_state.get("prod_mode") == "change" and name in MEASURES and years:
        y0, y1 = (int(y) for y in years)
        return (name, y0, y1) if y0 != y1 else None
    return None


def _freshness(record: dict[str, Any], lang: str) -> None:
    """When the entry was last verified and updated, how complete it is, and whether it is
    current (``registry.quality``)."""
    quality = resources.registry().entry_quality(record)
    verified = record.get("last_verified")
    parts = [
        f"{tr('ui_mon_last_verified', lang=lang)}: "
        + (date_text(verified, lang) if verified else tr("ui_mon_never", lang=lang)),
        f"{tr('ui_mon_last_activity', lang=lang)}: {date_text(quality['last_activity'], lang)}",
        f"{tr('ui_mon_completeness', lang=lang)}: {int(quality['completeness'])} %",
    ]
    st.html(
        badge_html(quality["freshness"], "freshness", FRESHNESS_COLORS, lang)
        + f' <small data-testid="entry-quality">{escape(" · ".join(parts))}</small>'
    )


def _selection(frame: Any, ids: list[str]) -> Any:
    """A feature group ringing the entries ``ids`` (drawn above every other layer)."""
    if not ids:
        return None
    rows = frame[frame["id"].isin(ids)]
    rows = rows[rows.geometry.notna()]  # of a few rows, not of the whole view
    if rows.empty:
        return None
    anchors = [g if g.geom_type == "Point" else g.point_on_surface() for g in rows.geometry]
    group = folium.FeatureGroup(name=tr("ui_layer_selection", lang=state.language()))
    mapview.SelectionLayer([[round(p.x, 5), round(p.y, 5)] for p in anchors]).add_to(group)
    return group


def _rerun_map() -> None:
    """Run the map fragment again (the whole page when the fragment ran within it)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # not a fragment rerun: scope="fragment" is refused
        st.rerun()


def _entry_from_url(frame: Any) -> None:
    """Select the entry the URL names (``?id=``) once, and centre the map on it."""
    wanted = st.query_params.get("id")
    if not wanted or st.session_state.get(state.URL_ID) == wanted:
        return
    st.session_state[state.URL_ID] = wanted
    st.session_state[state.SELECTED] = [wanted]
    st.session_state[state.FOCUS] = wanted


def _view_layers(frame: Any, filters: Filters, lang: str, place: Any) -> tuple[Any, int]:
    """The map's view: fit to what the filters show when they change (Chile when there is
    no filter, the countries or admin-1 units chosen when the filter is by them, without
    their far islands; else the entries, a few far from the rest left out of the fit; what
    lies outside the view is counted), centre once on
    an entry opened by its link, fly to a place found."""
    group = folium.FeatureGroup(name=tr("ui_layer_view", lang=lang), control=False)
    drawn = frame[frame.geometry.notna()]
    left_out = 0
    if filters.is_empty():
        bounds = mapview.CHILE
    elif filters.country and not filters.region and not filters.comuna:
        units = resources.registry().boundaries("admin1", simplified=False)
        bounds = mapview.country_bounds(filters.country, units)  # it shows the country
    elif filters.region and not filters.comuna:  # a region filter shows the regions
        units = resources.registry().boundaries("admin1", simplified=False)
        bounds, left_out = mapview.region_view(filters.region, drawn.geometry.values, units)
        if bounds is None and not drawn.empty:
            bounds, left_out = mapview.fit_bounds(drawn.geometry.values)
    elif drawn.empty:
        bounds = None
    else:
        bounds, left_out = mapview.fit_bounds(drawn.geometry.values)
    mapview.FitLayer(repr(filters), bounds).add_to(group)
    focus = st.session_state.get(state.FOCUS)
    rows = drawn[drawn["id"] == focus] if focus else drawn.iloc[:0]
    if not rows.empty:
        p = rows.geometry.iloc[0]
        p = p if p.geom_type == "Point" else p.point_on_surface()
        mapview.FocusLayer(str(focus), [round(p.y, 5), round(p.x, 5)]).add_to(group)
    if place is not None:
        mapview.place_focus(place).add_to(group)
    return group, left_out


def _unmapped(missing: Any, lang: str) -> None:
    """Entries with no drawable location (``missing``): counted and listed under the map,
    with why and a link to their details."""
    if missing.empty:
        return
    with st.expander(tr("ui_unmapped", lang=lang, n=number(len(missing), lang)), expanded=False):
        for row in missing.itertuples(index=False):
            why = label("location_precision", row.location_precision, lang)
            where = row.locality if isinstance(getattr(row, "locality", None), str) else ""
            cols = st.columns([4, 3, 1.2])
            cols[0].text(row.name)
            cols[1].caption(" · ".join(p for p in (why, where) if p))
            if cols[2].button(
                tr("ui_show_details", lang=lang), key=f"unmapped_{row.id}", type="tertiary"
            ):
                st.session_state[state.SELECTED] = [row.id]
                st.session_state[state.URL_ID] = row.id
                st.query_params["id"] = row.id
                _rerun_map()


def _details(frame: Any, viewer: Any, lang: str) -> None:
    """The selected entry's details, full width under the map, with its permalink."""
    selected = list(st.session_state.get(state.SELECTED, []))
    if not selected:
        return
    chosen = selected[0]
    if len(selected) > 1:
        names = dict(zip(frame["id"], frame["name"], strict=True))
        chosen = st.selectbox(
            tr("ui_several_here", lang=lang, n=len(selected)),
            selected,
            format_func=lambda i: names.get(i, i),
            key="pick_here",
            placeholder=tr("ui_choose", lang=lang),
        )
    reg = resources.registry()
    try:
        record = reg.get(chosen, viewer=viewer)
        context = reg.context(chosen, viewer=viewer, measure=_chosen_measure())
    except RegistryError as exc:
        st.warning(components.plain(exc.user_msg))
        return
    with st.container(border=True, key="entry_details"):
        components.detail_panel(record, context, lang)
        _freshness(record, lang)
        components.permalink(chosen, lang)
        links = st.columns(3)
        if can(viewer, "update", record):
            links[0].page_link(
                "views/entry.py",
                label=tr("ui_edit", lang=lang),
                query_params={"id": chosen},
            )
        links[1].page_link(
            "views/history.py",
            label=tr("ui_open_history", lang=lang),
            query_params={"id": chosen},
        )
        links[2].page_link(
            "views/monitoring.py",
            label=tr("ui_open_monitoring", lang=lang),
            query_params={"id": chosen},
        )


def _take_click(event: dict[str, Any] | None, frame: Any, payload: Any) -> bool:
    """Act on the map's last click (``event``, as ``components.show_map`` returns it) once:
    on a grouped map, narrow the view to the place clicked (a new run); else select the
    entries clicked. Returns whether the selection changed.

    The map keeps reporting its last click on every run, over any view: acted on again it
    would narrow a view the user has since widened (cleared filters), or select entries
    near a place clicked on a grouped map. A click is new when the object or the point
    clicked differs from the last one acted on."""
    clicked = (event or {}).get("last_object_clicked")
    seen = (clicked, (event or {}).get("last_clicked"))
    if not clicked or seen == st.session_state.get("_map_click"):
        return False
    st.session_state["_map_click"] = seen
    tooltip = (event or {}).get("last_object_clicked_tooltip")
    if payload.grouped:
        place = mapview.pick_group(payload.groups, clicked["lat"], clicked["lng"], tooltip)
        if place is not None:
            st.session_state[state.DRILL] = place["k"]
            st.rerun()
        return False
    ids = mapview.pick_entries(frame, clicked["lat"], clicked["lng"], tooltip)
    if ids and ids != st.session_state.get(state.SELECTED):
        st.session_state[state.SELECTED] = ids
        st.session_state[state.URL_ID] = ids[0]
        st.query_params["id"] = ids[0]
        return True
    return False


@st.fragment
@runlog.timed("map fragment")
def _map_and_details(
    filters: Filters, color_by: str, lang: str, prod: Any, prod_legend: Any, place: Any
) -> None:
    viewer = state.actor()
    version = resources.version()
    frame = resources.entries(version, f"{filters!r}|{viewer!r}", filters, viewer)
    view = f"{filters!r}|{viewer!r}"
    if color_by == "freshness":  # changes with the date too
        view += f"|{dt.date.today()}"
        frame = resources.with_freshness(version, view, frame)
    _entry_from_url(frame)
    tiles = mapview.tiles_setting()
    base = mapview.base_map(resources.outline_urls(), lang, tiles)
    payload = resources.map_payload(version, f"{view}|{color_by}|{lang}", frame, color_by, lang)
    key = f"main_map_{lang}_{tiles is not None}"
    # a click on the map: acted on before the map is drawn again, so that this very run
    # draws its ring and details (the map's value is in the session once it has one)
    _take_click(st.session_state.get(key), frame, payload)
    group = folium.FeatureGroup(name=tr("ui_layer_entries", lang=lang))
    payload.layer(lang).add_to(group)
    selected = [i for i in st.session_state.get(state.SELECTED, []) if i in set(frame["id"])]
    ring = _selection(frame, selected[:1])
    fit, left_out = _view_layers(frame, filters, lang, place)
    groups = [g for g in (prod, group, ring, fit) if g is not None]
    left, right = st.columns([4, 1.3])
    with left:
        event = components.show_map(
            base,
            key=key,
            feature_groups=groups,
            layer_control=folium.LayerControl(collapsed=True),
        )
        if payload.grouped:
            st.caption(
                tr(
                    "ui_grouped_note",
                    lang=lang,
                    n=number(payload.total, lang),
                    groups=number(len(payload.groups), lang),
                    limit=number(mapview.detail_max(), lang),
                )
            )
        if left_out:
            st.caption(tr("ui_fit_left_out", lang=lang, n=number(left_out, lang)))
        if tiles is None:
            st.caption(tr("ui_offline_note", lang=lang))
        _unmapped(resources.unmapped(version, view, frame), lang)
    if _take_click(event, frame, payload):  # not read before the map was drawn
        _rerun_map()  # draw the ring and the details
    with right:
        if not st.session_state.get(state.SELECTED):
            st.info(tr("ui_click_hint", lang=lang))
        spec = mapview.color_spec(color_by)
        components.legend(
            spec.es if lang == "es" else spec.en,
            payload.legend,
            tr("ui_legend_grouped" if payload.grouped else "ui_legend_approx", lang=lang),
        )
        if prod_legend:
            components.legend(*prod_legend, areas=True)
    _details(frame, viewer, lang)


def _export(version: int, filters: Filters, lang: str) -> None:
    with st.expander(tr("ui_export", lang=lang)):
        st.caption(tr("ui_export_note", lang=lang))
        fmt = st.radio(
            tr("ui_export_format", lang=lang),
            ["geojson", "gpkg", "csv", "xlsx"],
            format_func=lambda f: {"xlsx": "Excel (xlsx)"}.get(f, f),
            horizontal=True,
        )
        view = f"{version}|{filters!r}|{state.actor()!r}|{fmt}|{lang}"
        if st.button(tr("ui_export_prepare", lang=lang), key="export_prepare"):
            reg = resources.registry()
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / f"iap-registry.{fmt}"
                files = reg.export(target, fmt, filters, lang=lang, viewer=state.actor())
                if len(files) == 1:
                    data, name = files[0].read_bytes(), files[0].name
                else:
                    buffer = io.BytesIO()
                    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                        for f in files:
                            zf.write(f, f.name)
                    data, name = buffer.getvalue(), f"iap-registry-{fmt}.zip"
            st.session_state["_export"] = (view, name, data)
        ready = st.session_state.get("_export")
        if ready and ready[0] == view:  # a file prepared for another view is not offered
            _, name, data = ready
            st.download_button(tr("ui_export_download", lang=lang, name=name), data, file_name=name)


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    filters = components.filter_sidebar(reg.region_names(), reg.comuna_names())
    viewer = state.actor()
    version = resources.version()  # read once per run (the map fragment reads its own)
    frame = resources.entries(version, f"{filters!r}|{viewer!r}", filters, viewer)
    st.title(tr("ui_title", lang=lang), anchor=False)
    kinds = frame["kind"].value_counts()
    m = st.columns(4)
    m[0].metric(tr("ui_count_entries", lang=lang), number(len(frame), lang))
    m[1].metric(tr("ui_count_iap", lang=lang), number(int(kinds.get("iap", 0)), lang))
    m[2].metric(
        tr("ui_count_barrios", lang=lang), number(int(kinds.get("barrio_comercial", 0)), lang)
    )
    m[3].metric(
        tr("ui_count_firms", lang=lang), number(int(frame["n_firms"].fillna(0).sum()), lang)
    )
    controls = st.columns([1.4, 1.9, 2.2, 1.5])
    color_by = controls[0].selectbox(
        tr("ui_color_by", lang=lang),
        list(mapview.COLOR_FIELDS),
        format_func=lambda f: (
            mapview.color_spec(f).es if lang == "es" else mapview.color_spec(f).en
        ),
        key="color_by",
        placeholder=tr("ui_choose", lang=lang),
    )
    prod, prod_legend = _productivity_layer(version, lang, *controls[1:])
    place = components.place_search("map_place", lang)
    _map_and_details(filters, color_by, lang, prod, prod_legend, place)
    _export(version, filters, lang)


page()
