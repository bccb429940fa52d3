"""Mis iniciativas: the entries a signed-in user owns or edits, where each stands in review,
what a manager said, how current and complete it is, and what to do next."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from registry.i18n import date_text, timestamp_text, tr
from registry.quality import missing_fields
from registry.schema.codes import label
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui import resources, signin, state
from registry.ui.components import plain
from registry.ui.importer import import_panel

__all__ = ["page"]

# what the coordinator does next, by status
_NEXT = {
    "draft": "ui_mine_next_draft",
    "submitted": "ui_mine_next_submitted",
    "rejected": "ui_mine_next_rejected",
    "published": "ui_mine_next_published",
    "archived": "ui_mine_next_archived",
}


def _field_label(name: str, lang: str) -> str:
    if name == "location":
        return tr("ui_mine_location", lang=lang)
    spec = FIELDS_BY_NAME[name]
    return spec.es if lang == "es" else spec.en


def _mine(frame: Any, username: str) -> Any:
    owner = (frame["owner"].fillna("") == username).to_numpy(dtype=bool)
    editors = [isinstance(e, list | tuple) and username in e for e in frame["editors"]]
    return frame[owner | np.asarray(editors, dtype=bool)]


def page() -> None:
    lang = state.language()
    actor = state.actor()
    st.title(tr("ui_page_mine", lang=lang), anchor=False)
    if actor.role == "visitor":
        signin.ask_login(lang)
        return
    if st.session_state.get("_flash"):
        st.success(st.session_state.pop("_flash"))
    reg = resources.registry()
    frame = _mine(reg.list(None, viewer=actor), actor.username)
    st.page_link("views/entry.py", label=tr("ui_mine_new", lang=lang), icon=None)
    with st.expander(tr("ui_import_title", lang=lang), expanded=False):
        import_panel(lang)
    if frame.empty:
        st.info(tr("ui_mine_none", lang=lang))
        return
    quality = reg.quality(frame)
    missing = missing_fields(frame)
    counts = frame["status"].value_counts()
    cols = st.columns(len(_NEXT))
    for col, status in zip(cols, _NEXT, strict=True):
        col.metric(label("status", status, lang), int(counts.get(status, 0)))
    order = {
        s: i for i, s in enumerate(("rejected", "draft", "submitted", "published", "archived"))
    }
    frame = frame.assign(_order=frame["status"].map(order)).sort_values(
        ["_order", "updated_at"], ascending=[True, False]
    )
    for row in frame.itertuples(index=True):
        q = quality.loc[row.Index]
        with st.container(border=True, key=f"mine_{row.id}"):
            top = st.columns([5, 2])
            top[0].markdown(f"**{plain(row.name)}**")
            top[1].markdown(
                f"**{plain(label('status', row.status, lang))}** · "
                f"{plain(label('freshness', q['freshness'], lang))}"
            )
            st.caption(plain(tr(_NEXT[row.status], lang=lang)))
            if row.status == "rejected" and isinstance(row.review_note, str):
                st.error(plain(tr("ui_review_note", lang=lang, note=row.review_note)))
            facts = [
                f"{tr('ui_mine_changed', lang=lang)}: {timestamp_text(row.updated_at, lang)}",
                f"{tr('ui_mine_activity', lang=lang)}: {date_text(q['last_activity'], lang)}",
                f"{tr('ui_mine_complete', lang=lang)}: {int(q['completeness'])} %",
            ]
            st.text(" · ".join(facts))
            gaps = missing.loc[row.Index]
            if gaps:
                names = ", ".join(_field_label(n, lang) for n in gaps)
                st.text(f"{tr('ui_mine_missing', lang=lang)}: {names}")
            links = st.columns([1.2, 1.2, 1.4, 4])
            links[0].page_link(
                "views/entry.py",
                label=tr("ui_edit", lang=lang),
                query_params={"id": row.id},
            )
            links[1].page_link(
                "views/map.py",
                label=tr("ui_mine_on_map", lang=lang),
                query_params={"id": row.id},
            )
            links[2].page_link(
                "views/monitoring.py",
                label=tr("ui_mine_follow", lang=lang),  # not a menu name: links stay distinct
                query_params={"id": row.id},
            )


page()
