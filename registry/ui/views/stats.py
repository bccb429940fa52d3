"""Statistics page: charts of the filtered entries, firms, the entry table, and the
convergence of regional productivity; every chart's data can be downloaded."""

from __future__ import annotations

import io
from html import escape
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import has, number, tr
from registry.i18n.units import unit_label
from registry.io.formats import neutralise_formulas
from registry.layers.derived import MEASURES, QUADRANTS, needs_group
from registry.schema.codes import label
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui import components, resources, state
from registry.ui.scatter import ScatterText, convergence_svg

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


def _convergence_series(table: pd.DataFrame) -> list[str]:
    """Series the scatter can show: the productivity measures first, then every other yearly
    series with a national value in at least two years."""
    yearly = table[table["period"].isin(("", "annual_average")) & (table["region_code"] == "00")]
    years = yearly.groupby("indicator")["year"].nunique()
    regional = set(table.loc[~table["region_code"].isin(("00",)), "indicator"])
    others = sorted(n for n, k in years.items() if k >= 2 and n in regional and n not in MEASURES)
    return [m for m in MEASURES if m in years.index] + others


def _convergence_files(view: dict[str, Any], lang: str) -> tuple[bytes, bytes]:
    """The chart's data as CSV (one row per region, the fields of ``indicators convergence
    --json``) and as an Excel workbook with the data, Chile's row and the method."""
    from openpyxl import Workbook

    frame = pd.DataFrame(view["regions"])
    frame["region_name"] = frame["region_name"].map(neutralise_formulas)
    csv_bytes = frame.to_csv(index=False).encode("utf-8")
    book = Workbook(write_only=True)
    data = book.create_sheet("datos" if lang == "es" else "data")
    data.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        data.append([v.item() if hasattr(v, "item") else v for v in row])
    nat = view["national"]
    data.append(
        ["00", nat["initial"], nat["final"], nat["change_pct"], None,
         nat["initial_estimated"], nat["final_estimated"], "Chile"]
    )  # fmt: skip
    method = book.create_sheet("método" if lang == "es" else "method")
    rows = [
        ("indicator", view["indicator"]),
        ("from", view["from"]),
        ("to", view["to"]),
        ("units", " | ".join(view["units"])),
        ("grouped_biobio_nuble", view["grouped"]),
        ("formula", view["formula"] or ""),
        *(("estimated", m) for m in view["estimated"]),
        ("rule", view["rule"]),
        ("missing", ", ".join(view["missing"])),
        *(("source", u) for u in view["sources"]),
    ]
    for key, value in rows:
        method.append([key, neutralise_formulas(value) if isinstance(value, str) else value])
    out = io.BytesIO()
    book.save(out)
    return csv_bytes, out.getvalue()


def _method_html(view: dict[str, Any], lang: str) -> str:
    """Method and sources under the chart, every text escaped."""
    e = escape
    items = []
    prose = f"method_{view['indicator']}"
    if has(prose):
        items.append(f"<li>{e(tr(prose, lang=lang))}</li>")
    if view["formula"]:
        items.append(
            f"<li>{e(tr('ui_cv_formula', lang=lang))}: "
            f'<code style="font-size:0.75rem">{e(view["formula"])}</code></li>'
        )
    if view["estimated"]:
        items.append(
            f"<li>{e(tr('ui_cv_estimated', lang=lang))}: {e(tr('method_backcast', lang=lang))}</li>"
        )
    if view["grouped"]:
        items.append(f"<li>{e(tr('ui_cv_grouped', lang=lang))}</li>")
    if view["missing"]:
        items.append(f"<li>{e(tr('ind_missing', lang=lang))}: {e(', '.join(view['missing']))}</li>")
    items.append(f"<li>{e(tr('ui_convergence_caption', lang=lang))}</li>")
    links = " ".join(
        f'<a href="{e(u)}" rel="noopener noreferrer" target="_blank">{e(u)}</a>'
        for u in view["sources"]
    )
    items.append(f"<li>{e(tr('ui_source', lang=lang))}: {links}</li>")
    return (
        '<div data-testid="convergence-method" style="font-size:0.85rem;overflow-wrap:anywhere">'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _convergence(lang: str) -> None:
    reg = resources.registry()
    table = resources.indicators(resources.version())
    st.subheader(tr("ui_convergence", lang=lang), anchor=False)
    options = _convergence_series(table)
    if not options:
        return
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1.4], vertical_alignment="bottom")
    name = c1.selectbox(
        tr("ui_indicator", lang=lang),
        options,
        format_func=lambda n: components.indicator_label(n, lang),
        key="cv_ind",
        placeholder=tr("ui_choose", lang=lang),
    )
    national = table[(table["indicator"] == name) & (table["region_code"] == "00")]
    years = sorted(int(y) for y in national["year"].dropna().unique())
    first = years.index(2010) if 2010 in years else 0
    last = years.index(2023) if 2023 in years else len(years) - 1
    y0 = c2.selectbox(
        tr("ui_year_from", lang=lang), years, index=first, key=f"cv_from_{name}",
        placeholder=tr("ui_choose", lang=lang),
    )  # fmt: skip
    y1 = c3.selectbox(
        tr("ui_year_to", lang=lang), years, index=last, key=f"cv_to_{name}",
        placeholder=tr("ui_choose", lang=lang),
    )  # fmt: skip
    group = c4.checkbox(
        tr("ui_cv_group", lang=lang),
        value=needs_group(table, name, int(y0)),
        key=f"cv_group_{name}_{y0}",
    )
    try:
        view = reg.convergence(name, int(y0), int(y1), group=group)
    except RegistryError as exc:
        st.warning(components.plain(exc.user_msg))
        return
    label = components.indicator_label(name, lang)
    unit = " | ".join(unit_label(u, lang) for u in view["units"])
    star = "*" if any(r["initial_estimated"] for r in view["regions"]) else ""
    nat = view["national"]
    change = ("+" if nat["change_pct"] > 0 else "") + number(nat["change_pct"], lang, 1)
    text = ScatterText(
        title=f"{label}, {y0}→{y1}",
        x_title=f"{tr('ui_cv_level', lang=lang, year=y0)}{star}: {unit}",
        y_title=tr("ui_cv_change", lang=lang, start=y0, end=y1),
        quadrants={q: tr(f"ui_quadrant_{q}", lang=lang) for q in QUADRANTS},
        national_x=f"Chile {y0}: {number(nat['initial'], lang, 2 if nat['initial'] < 100 else 0)}",
        national_y=f"Chile: {change} %",
        number=lambda v, d: number(v, lang, d),
    )
    svg, _ = convergence_svg(view, text)
    # st.html's sanitiser keeps HTML only (no SVG); the SVG is built from escaped text and
    # numbers (registry.ui.scatter), so it goes in as raw HTML: opened on a line of its own,
    # so Markdown takes it as one HTML block and reads nothing inside it (no emphasis, no math)
    st.markdown(
        '<figure style="margin:0" data-testid="convergence-figure">\n'
        + svg.replace("$", "&#36;")
        + "\n</figure>",
        unsafe_allow_html=True,
    )
    st.html(_method_html(view, lang))
    csv_bytes, xlsx_bytes = _convergence_files(view, lang)
    stem = f"convergence_{name}_{y0}_{y1}{'_08+16' if group else ''}"
    d1, d2, d3 = st.columns(3)
    d1.download_button(
        tr("ui_cv_download_csv", lang=lang), csv_bytes, file_name=f"{stem}.csv",
        mime="text/csv", key="dl_convergence",
    )  # fmt: skip
    d2.download_button(
        tr("ui_cv_download_xlsx", lang=lang), xlsx_bytes, file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_convergence_xlsx",
    )  # fmt: skip
    d3.download_button(
        tr("ui_cv_download_svg", lang=lang), svg.encode("utf-8"), file_name=f"{stem}.svg",
        mime="image/svg+xml", key="dl_convergence_svg",
    )  # fmt: skip


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
