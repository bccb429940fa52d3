"""Statistics page: charts of the filtered entries, firms, the entry table, and the
convergence of regional productivity; every chart's data can be downloaded."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import number, tr
from registry.schema.codes import label
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui import components, resources, state

CHARTS = (
    "country",
    "sector",
    "strategic_focus",
    "funding_source",
    "region_code",
    "program",
    "kind",
)
# figures of other sources that count initiatives, comparable with this registry's
_COMPARABLE = {
    "initiatives",
    "initiatives_total",
    "initiatives_georeferenced",
    "active_cluster_initiatives",
    "cluster_initiatives",
}
# Vega's number format of each language (axes and tooltips of the charts)
_NUMBERS = {
    "es": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["$", ""]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}


def _localized(chart: Any, lang: str) -> Any:
    return chart.configure(locale={"number": _NUMBERS.get(lang, _NUMBERS["es"])})


def _field_label(field: str, lang: str) -> str:
    if field == "region_code":
        return tr("ui_f_region", lang=lang)
    spec = FIELDS_BY_NAME[field]
    return spec.es if lang == "es" else spec.en


def _per_region_view(rows: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """The per-region table as shown: named columns, numbers written in ``lang``."""
    out = pd.DataFrame(
        {
            tr("ui_f_region", lang=lang): [f"{r['region_code']} {r['region_name']}" for r in rows],
            tr("ui_count_entries", lang=lang): [number(r["entries"], lang) for r in rows],
            tr("ui_count_iap", lang=lang): [number(r["initiatives"], lang) for r in rows],
            tr("ui_count_barrios", lang=lang): [number(r["barrios"], lang) for r in rows],
            tr("ui_count_firms", lang=lang): [number(r["firms"], lang) for r in rows],
            tr("ui_employed_thousands", lang=lang): [
                number(r["employed_thousands"], lang, 1) for r in rows
            ],
            tr("ui_per_100k", lang=lang): [
                number(r["entries_per_100k_employed"], lang, 2) for r in rows
            ],
        }
    )
    return out


def _entries_view(frame: Any, lang: str) -> pd.DataFrame:
    """The filtered entries as shown: labels instead of codes, names of places."""
    reg = resources.registry()
    regions, comunas = reg.region_names(), reg.comuna_names()

    def coded(field: str) -> list[str]:
        spec = FIELDS_BY_NAME[field]
        assert spec.code_list
        return ["" if v is None or v != v else label(spec.code_list, v, lang) for v in frame[field]]

    return pd.DataFrame(
        {
            _field_label("name", lang): list(frame["name"]),
            _field_label("kind", lang): coded("kind"),
            tr("ui_f_region", lang=lang): [
                regions.get(c, "") if c else "" for c in frame["region_code"]
            ],
            tr("ui_f_comuna", lang=lang): [
                comunas.get(c, "") if c else "" for c in frame["comuna_code"]
            ],
            _field_label("sector", lang): coded("sector"),
            _field_label("program", lang): coded("program"),
            _field_label("status", lang): coded("status"),
        }
    )


def _bar(rows: list[dict], field: str, lang: str) -> None:
    title = _field_label(field, lang)
    frame = pd.DataFrame(rows, columns=["value", "label", "count", "share"])
    st.markdown(f"**{components.plain(tr('ui_stats_by', lang=lang, field=title.lower()))}**")
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#0072b2")
        .encode(
            x=alt.X("count:Q", title=tr("ui_count_entries", lang=lang)),
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=230)),
            tooltip=["label", "count", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    st.altair_chart(_localized(chart, lang), width="stretch")
    st.download_button(
        tr("ui_stats_download", lang=lang),
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"stats_{field}.csv",
        key=f"dl_{field}",
    )


@st.cache_data(show_spinner=False)
def _aggregates(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _external_counts(frame: Any, lang: str) -> None:
    """Counts published by other sources (``geodata/country_aggregates.csv``, with dates
    and links) beside this registry's initiatives of the same country under the current
    filters."""
    from registry.paths import geodata_dir

    table = _aggregates(str(geodata_dir() / "country_aggregates.csv"))
    iap = frame[frame["kind"] == "iap"]
    per_country = iap["country"].value_counts()

    def here(row: Any) -> str:
        if row["metric"] not in _COMPARABLE or row["source"].startswith("CAF"):
            return ""
        n = len(iap) if row["country"] == "LAC" else int(per_country.get(row["country"], 0))
        return number(n, lang)

    def country(code: str) -> str:
        return (
            tr("ui_ext_all_countries", lang=lang) if code == "LAC" else label("country", code, lang)
        )

    view = pd.DataFrame(
        {
            tr("ui_ext_source", lang=lang): table["source_es" if lang == "es" else "source_en"],
            tr("ui_ext_country", lang=lang): [country(c) for c in table["country"]],
            tr("ui_ext_date", lang=lang): table["date_es" if lang == "es" else "date_en"],
            tr("ui_ext_what", lang=lang): table["what_es" if lang == "es" else "what_en"],
            tr("ui_ext_value", lang=lang): table["value"],
            tr("ui_ext_here", lang=lang): [here(r) for _, r in table.iterrows()],
            tr("ui_ext_link", lang=lang): table["source_url"],
        }
    )
    st.subheader(tr("ui_external_counts", lang=lang), anchor=False)
    st.caption(tr("ui_external_caption", lang=lang))
    link = tr("ui_ext_link", lang=lang)
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={link: st.column_config.LinkColumn(link)},
    )


def _convergence(lang: str) -> None:
    reg = resources.registry()
    st.subheader(tr("ui_convergence", lang=lang), anchor=False)
    c1, c2, c3 = st.columns(3)
    name = c1.selectbox(
        tr("ui_indicator", lang=lang),
        ["va_per_employed_real"],
        format_func=lambda n: components.indicator_label(n, lang),
        key="cv_ind",
        placeholder=tr("ui_choose", lang=lang),
    )
    table = resources.indicators(resources.version())
    years = sorted(int(y) for y in table[table["indicator"] == name]["year"].dropna().unique())
    y0 = c2.selectbox(
        tr("ui_year_from", lang=lang),
        years,
        index=0,
        key="cv_from",
        placeholder=tr("ui_choose", lang=lang),
    )
    y1 = c3.selectbox(
        tr("ui_year_to", lang=lang),
        years,
        index=len(years) - 1,
        key="cv_to",
        placeholder=tr("ui_choose", lang=lang),
    )
    try:
        view = reg.convergence(name, int(y0), int(y1))
    except RegistryError as exc:
        st.warning(components.plain(exc.user_msg))
        return
    frame = pd.DataFrame(view["regions"])
    quadrants = [
        tr(f"ui_quadrant_{q}", lang=lang)
        for q in ("high_growing", "high_declining", "low_declining", "low_growing")
    ]
    frame["quadrant_label"] = [tr(f"ui_quadrant_{q}", lang=lang) for q in frame["quadrant"]]
    national = view["national"]["initial"]
    points = alt.Chart(frame).encode(
        x=alt.X("initial:Q", title=f"{components.indicator_label(name, lang)}, {y0}"),
        y=alt.Y("change_pct:Q", title=f"% {y0}→{y1}"),
        color=alt.Color(
            "quadrant_label:N",
            title=tr("ui_quadrant", lang=lang),
            scale=alt.Scale(domain=quadrants, range=["#2166ac", "#67a9cf", "#b2182b", "#ef8a62"]),
        ),
        tooltip=[
            alt.Tooltip("region_name:N", title=tr("ui_f_region", lang=lang)),
            alt.Tooltip("initial:Q", title=str(y0), format=",.2f"),
            alt.Tooltip("final:Q", title=str(y1), format=",.2f"),
            alt.Tooltip("change_pct:Q", title="%", format="+.1f"),
            alt.Tooltip("quadrant_label:N", title=tr("ui_quadrant", lang=lang)),
        ],
    )
    chart = (
        points.mark_circle(size=90)
        + points.mark_text(dx=7, align="left", fontSize=11).encode(text="region_name:N")
        + alt.Chart(pd.DataFrame({"x": [national]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
        + alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#999").encode(y="y:Q")
    )
    st.altair_chart(_localized(chart.properties(height=420), lang), width="stretch")
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
    m[0].metric(tr("ui_count_entries", lang=lang), number(result["entries"], lang))
    m[1].metric(tr("ui_count_firms", lang=lang), number(result["firms"], lang))
    m[2].metric(tr("ui_count_businesses", lang=lang), number(result["businesses"], lang))
    cols = st.columns(2)
    for i, field in enumerate(CHARTS):
        with cols[i % 2]:
            _bar(result["by"][field], field, lang)
    st.subheader(tr("ui_per_region", lang=lang), anchor=False)
    per_region = pd.DataFrame(result["per_region"])
    view = _per_region_view(result["per_region"], lang)
    st.dataframe(view, hide_index=True, width="stretch", height=35 * (len(view) + 1) + 3)
    st.download_button(
        tr("ui_stats_download", lang=lang),
        per_region.to_csv(index=False).encode("utf-8"),
        file_name="per_region.csv",
        key="dl_per_region",
    )
    st.subheader(tr("ui_stats_table", lang=lang), anchor=False)
    frame = resources.entries(resources.version(), f"{filters!r}|{viewer!r}", filters, viewer)
    st.dataframe(_entries_view(frame, lang), hide_index=True, width="stretch")
    _external_counts(frame, lang)
    _convergence(lang)


page()
