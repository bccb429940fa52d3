"""Review (managers): entries submitted for review, published or rejected with a reason."""

from __future__ import annotations

import streamlit as st

from registry.errors import RegistryError
from registry.i18n import tr
from registry.schema.codes import label
from registry.store import Filters
from registry.ui import components, resources, state


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    actor = state.actor()
    st.title(tr("ui_page_review", lang=lang), anchor=False)
    if st.session_state.get("_flash"):
        st.success(st.session_state.pop("_flash"))
    queue = reg.list(Filters(status=("submitted",)), viewer=actor)
    st.subheader(f"{tr('ui_review_queue', lang=lang)}: {len(queue)}", anchor=False)
    if not len(queue):
        st.info(tr("ui_no_entries", lang=lang))
    for row in queue.itertuples():
        # the version on screen when the manager pressed a button: someone's later change
        # is refused (shown again), never published or rejected unseen
        seen = state.seen_before(f"review_{row.id}", int(row.version))
        title = f"{row.name} · {label('kind', row.kind, lang)} · {row.updated_by}"
        with st.expander(components.plain(title)):  # labels render Markdown
            record = reg.get(row.id, viewer=actor)
            components.detail_panel(record, None, lang)
            reason = st.text_area(tr("ui_reject_reason", lang=lang), key=f"reason_{row.id}")
            c1, c2 = st.columns(2)
            try:
                if c1.button(tr("ui_publish", lang=lang), key=f"pub_{row.id}", type="primary"):
                    reg.publish(row.id, seen, actor)
                    st.session_state["_flash"] = tr("ui_published_entry", lang=lang, name=row.name)
                    st.rerun()
                if c2.button(tr("ui_reject", lang=lang), key=f"rej_{row.id}"):
                    reg.reject(row.id, seen, reason, actor)
                    st.session_state["_flash"] = tr("ui_rejected_entry", lang=lang, name=row.name)
                    st.rerun()
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))


page()
