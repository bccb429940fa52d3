"""Statistics page: charts of the filtered entries, firms, the entry table, and the
convergence of regional productivity; every chart's data can be downloaded."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import tr
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui import components, resources, state

CHARTS = ("sector", "strategic_focus", "funding_source", "region_code", "program", "kind")


def _field_label(field: str, lang: str) -> str:
    spec = FIELDS_BY_NAME[field]
    return spec.es if lang == "es" else spec.en


def _bar(rows: list[dict], field: str, lang: str) -> None:
    title = _field_label(field, lang)
    frame = pd.DataFrame(rows, columns=["value", "label", "count", "share"])
    st.markdown(f"**{components.plain(tr('ui_stats_by', lang=lang, field=title.lower()))}**")
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#0072b2")
        .encode(
            x=alt.X("count:Q", title=tr("ui_count_entries", lang=lang)),
            y=alt.Y("label:N", sort="-x", title=None),
            tooltip=["label", "count", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    st.altair_chart(chart, use_container_width=True)
    st.download_button(
        tr("ui_stats_download", lang=lang),
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"stats_{field}.csv",
        key=f"dl_{field}",
    )


def _convergence(lang: str) -> None:
    reg = resources.registry()
    st.subheader(tr("ui_convergence", lang=lang), anchor=False)
    c1, c2, c3 = st.columns(3)
    name = c1.selectbox(tr("ui_indicator", lang=lang), ["va_per_employed_real"], key="cv_ind")
    table = resources.indicators(resources.version())
    years = sorted(int(y) for y in table[table["indicator"] == name]["year"].dropna().unique())
    y0 = c2.selectbox(tr("ui_year_from", lang=lang), years, index=0, key="cv_from")
    y1 = c3.selectbox(tr("ui_year_to", lang=lang), years, index=len(years) - 1, key="cv_to")
    try:
        view = reg.convergence(name, int(y0), int(y1))
    except RegistryError as exc:
        st.warning(exc.user_msg)
        return
    frame = pd.DataFrame(view["regions"])
    national = view["national"]["initial"]
    points = alt.Chart(frame).encode(
        x=alt.X("initial:Q", title=f"{name} {y0}"),
        y=alt.Y("change_pct:Q", title=f"% {y0}→{y1}"),
        color=alt.Color("quadrant:N"),
        tooltip=["region_code", "region_name", "initial", "final", "change_pct", "quadrant"],
    )
    chart = (
        points.mark_circle(size=90)
        + points.mark_text(dx=7, align="left", fontSize=11).encode(text="region_name:N")
        + alt.Chart(pd.DataFrame({"x": [national]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
        + alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#999").encode(y="y:Q")
    )
    st.altair_chart(chart.properties(height=420), use_container_width=True)
    st.caption(tr("ui_convergence_caption", lang=lang))
    st.download_button(
        tr("ui_stats_download", lang=lang),
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"convergence_{name}_{y0}_{y1}.csv",
        key="dl_convergence",
    )


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    filters = components.filter_sidebar(reg.region_names(), reg.comuna_names())
    viewer = state.actor()
    st.title(tr("ui_page_stats", lang=lang), anchor=False)
    result = reg.stats(filters, lang=lang, viewer=viewer)
    m = st.columns(3)
    m[0].metric(tr("ui_count_entries", lang=lang), result["entries"])
    m[1].metric(tr("ui_count_firms", lang=lang), result["firms"])
    m[2].metric(tr("ui_count_businesses", lang=lang), result["businesses"])
    cols = st.columns(2)
    for i, field in enumerate(CHARTS):
        with cols[i % 2]:
            _bar(result["by"][field], field, lang)
    st.subheader(tr("ui_per_region", lang=lang), anchor=False)
    per_region = pd.DataFrame(result["per_region"])
    st.dataframe(per_region, hide_index=True, use_container_width=True)
    st.download_button(
        tr("ui_stats_download", lang=lang),
        per_region.to_csv(index=False).encode("utf-8"),
        file_name="per_region.csv",
        key="dl_per_region",
    )
    st.subheader(tr("ui_stats_table", lang=lang), anchor=False)
    frame = resources.entries(resources.version(), f"{filters!r}|{viewer!r}", filters, viewer)
    cols_shown = ["name", "kind", "region_code", "comuna_code", "sector", "program", "status"]
    st.dataframe(pd.DataFrame(frame[cols_shown]), hide_index=True, use_container_width=True)
    _convergence(lang)


page()
