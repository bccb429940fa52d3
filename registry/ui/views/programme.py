"""Programme view (managers): every entry of a programme with its latest reported progress,
how current and complete it is, the out-of-date ones first and highlighted; and the list of
out-of-date entries of every programme."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from registry.i18n import number, tr
from registry.io.formats import neutralise_formulas
from registry.quality import stale_months
from registry.schema.codes import code_codes, label
from registry.ui import components, resources, state
from registry.ui.monitoring import programme_table


def page() -> None:
    lang = state.language()
    actor = state.actor()
    reg = resources.registry()
    st.title(tr("ui_page_programme", lang=lang), anchor=False)
    if actor.role not in ("manager", "admin"):
        st.info(tr("ui_managers_only", lang=lang))
        return
    c1, c2 = st.columns([3, 2])
    programs = [None, *code_codes("program")]
    wanted = st.query_params.get("program")
    program = c1.selectbox(
        tr("ui_prog_pick", lang=lang),
        programs,
        index=programs.index(wanted) if wanted in programs else 0,
        format_func=lambda p: (
            tr("ui_prog_all", lang=lang) if p is None else label("program", p, lang)
        ),
        key="prog_pick",
        placeholder=tr("ui_choose", lang=lang),
    )
    if program != wanted:
        if program is None:
            st.query_params.pop("program", None)
        else:
            st.query_params["program"] = program
    months = int(
        c2.number_input(
            tr("ui_prog_months", lang=lang), 1, 120, value=stale_months(), step=1, key="prog_m"
        )
    )
    today = dt.date.today().isoformat()
    version = resources.version()
    view = resources.programme(version, program, months, today, repr(actor), actor)
    counts = view["freshness"].value_counts()
    m = st.columns(4)
    m[0].metric(tr("ui_prog_count", lang=lang), number(len(view), lang))
    m[1].metric(tr("ui_prog_stale", lang=lang), number(int(counts.get("stale", 0)), lang))
    m[2].metric(tr("ui_prog_unverified", lang=lang), number(int(counts.get("unverified", 0)), lang))
    m[3].metric(
        tr("ui_prog_reporting", lang=lang), number(int((view["indicators"] > 0).sum()), lang)
    )
    st.caption(tr("ui_mon_freshness_note", lang=lang, months=months))
    regions = reg.region_names()
    if len(view):
        st.html(programme_table(view, regions, lang))
        names = dict(zip(view["id"], view["name"], strict=True))
        c1, c2 = st.columns([3, 1])
        chosen = c1.selectbox(
            tr("ui_prog_open", lang=lang),
            list(names),
            format_func=lambda i: names[i],
            key="prog_open",
            placeholder=tr("ui_choose", lang=lang),
        )
        c2.page_link(
            "views/monitoring.py",
            label=tr("ui_open_monitoring", lang=lang),
            query_params={"id": chosen},
        )
        st.download_button(
            tr("ui_prog_download", lang=lang),
            view.map(neutralise_formulas).to_csv(index=False).encode("utf-8-sig"),
            file_name=f"programme-{program or 'all'}.csv",
            mime="text/csv",
        )
    else:
        st.info(tr("ui_no_entries", lang=lang))
    st.subheader(tr("ui_prog_stale_list", lang=lang), anchor=False)
    stale = view
    if program is not None:
        stale = resources.programme(version, None, months, today, repr(actor), actor)
    stale = stale[stale["freshness"] == "stale"]
    if len(stale):
        st.html(programme_table(stale, regions, lang))
    else:
        st.success(components.plain(tr("ui_prog_none_stale", lang=lang)))


page()
