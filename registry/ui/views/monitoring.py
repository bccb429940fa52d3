"""Monitoring of one entry: how current and complete it is, its indicators charted against
their targets with progress badges, its goals, its review log, and forms to record them
(for those who may edit the entry); CSV download and upload of its indicator values."""

from __future__ import annotations

import tempfile
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from registry.api import Monitoring
from registry.errors import Conflict, RegistryError, ValidationFailed
from registry.i18n import date_text, number, timestamp_text, tr
from registry.quality import stale_months
from registry.schema.codes import code_codes, label
from registry.schema.model import to_period
from registry.schema.monitoring import MONITORING_FIELDS, indicator_name
from registry.ui import components, resources, state
from registry.ui.monitoring import (
    BADGE_COLORS,
    CHART_HEIGHT,
    FRESHNESS_COLORS,
    badge_html,
    chart_page,
    indicator_chart,
)

_FLASH = "_mon_flash"
_ERRORS = "_mon_errors"
_LABELS = {kind: {s.name: (s.es, s.en) for s in specs} for kind, specs in MONITORING_FIELDS.items()}
_HELP = {
    kind: {s.name: (s.description_es, s.description_en) for s in specs}
    for kind, specs in MONITORING_FIELDS.items()
}


_SHOWN_PROBLEMS = 30  # problems of a refused file listed on the page (the count says the rest)


def _help(kind: str, name: str, lang: str) -> str | None:
    es, en = _HELP[kind][name]
    return (es if lang == "es" else en) or None


def _field(kind: str, name: str, lang: str, required: bool = False) -> str:
    es, en = _LABELS[kind][name]
    return (es if lang == "es" else en) + (" *" if required else "")


def _report(kind: str, exc: RegistryError, lang: str, where: str | None = None) -> None:
    """Keep a failed write's messages for the next run, to be shown next to the form that
    failed (``where``: its key; default ``kind``)."""
    lines = [exc.user_msg]
    if isinstance(exc, ValidationFailed):
        lines = []
        for p in exc.problems:
            name = _LABELS[kind].get(p.field)
            field = (name[0] if lang == "es" else name[1]) if name else p.field
            row = f"{tr('row_word', lang=lang)} {p.row}, " if p.row is not None else ""
            lines.append(f"{row}{field}: {p.message}")
    st.session_state[_ERRORS] = (where or kind, lines)


def _errors_for(where: str) -> None:
    """Show the messages kept for the form ``where``: the first as an error, the rest (a
    report's problems) as one block of plain text."""
    found = st.session_state.get(_ERRORS)
    if found and found[0] == where:
        lines = found[1]
        st.error(components.plain(lines[0]))
        if len(lines) > 1:
            st.text("\n".join(lines[1:]))
        st.session_state.pop(_ERRORS)


def _done(message: str, clear: str | None = None) -> None:
    """After a write: show ``message`` on the next run, with the form whose widget keys
    start with ``clear`` emptied."""
    st.session_state[_FLASH] = message
    st.session_state.pop(_ERRORS, None)
    if clear:
        for key in [k for k in st.session_state if str(k).startswith(clear)]:
            del st.session_state[key]
    st.rerun()


def _quality(record: dict[str, Any], lang: str) -> None:
    reg = resources.registry()
    quality = reg.entry_quality(record)
    c = st.columns(4)
    verified = record.get("last_verified")
    c[0].metric(
        tr("ui_mon_last_verified", lang=lang),
        date_text(verified, lang) if verified else tr("ui_mon_never", lang=lang),
    )
    c[1].metric(tr("ui_mon_last_activity", lang=lang), date_text(quality["last_activity"], lang))
    c[2].metric(tr("ui_mon_completeness", lang=lang), f"{int(quality['completeness'])} %")
    with c[3]:
        st.caption(tr("ui_mon_freshness", lang=lang))
        st.html(badge_html(quality["freshness"], "freshness", FRESHNESS_COLORS, lang))
    st.caption(tr("ui_mon_freshness_note", lang=lang, months=stale_months()))


def _indicator_form(entry_id: str, seen: Monitoring, lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    with st.expander(tr("ui_mon_add_indicator", lang=lang), expanded=not seen.indicators):
        _errors_for("indicator")
        with st.form("mon_add_indicator", clear_on_submit=False):
            codes = code_codes("monitoring_indicator")
            code = st.selectbox(
                _field("indicator", "code", lang, True),
                codes,
                help=_help("indicator", "code", lang),
                format_func=lambda c: label("monitoring_indicator", c, lang),
                key="mon_ind_code",
                placeholder=tr("ui_choose", lang=lang),
            )
            name = st.text_input(_field("indicator", "name", lang), key="mon_ind_name")
            unit = st.text_input(_field("indicator", "unit", lang), key="mon_ind_unit")
            frequency = st.selectbox(
                _field("indicator", "frequency", lang, True),
                code_codes("frequency"),
                format_func=lambda c: label("frequency", c, lang),
                key="mon_ind_frequency",
                placeholder=tr("ui_choose", lang=lang),
            )
            direction = st.selectbox(
                _field("indicator", "direction", lang),
                [None, *code_codes("direction")],
                format_func=lambda c: "—" if c is None else label("direction", c, lang),
                key="mon_ind_direction",
                placeholder=tr("ui_choose", lang=lang),
            )
            c1, c2 = st.columns(2)
            baseline = c1.text_input(_field("indicator", "baseline", lang), key="mon_ind_base")
            baseline_period = c2.text_input(
                _field("indicator", "baseline_period", lang),
                help=tr("ui_mon_period_help", lang=lang),
                key="mon_ind_base_period",
            )
            target = c1.text_input(_field("indicator", "target", lang, True), key="mon_ind_target")
            target_period = c2.text_input(
                _field("indicator", "target_period", lang),
                help=tr("ui_mon_period_help", lang=lang),
                key="mon_ind_target_period",
            )
            goals = {g["id"]: g["title"] for g in seen.goals}
            goal = st.selectbox(
                _field("indicator", "goal_id", lang),
                [None, *goals],
                format_func=lambda g: "—" if g is None else goals[g],
                key="mon_ind_goal",
                placeholder=tr("ui_choose", lang=lang),
            )
            notes = st.text_area(_field("indicator", "notes", lang), key="mon_ind_notes")
            pressed = st.form_submit_button(tr("ui_mon_save", lang=lang), type="primary")
        if pressed:
            values = {
                "code": code,
                "name": name,
                "unit": unit,
                "frequency": frequency,
                "direction": direction,
                "baseline": baseline,
                "baseline_period": baseline_period,
                "target": target,
                "target_period": target_period,
                "goal_id": goal,
                "notes": notes,
            }
            try:
                saved = reg.add_monitoring("indicator", entry_id, values, actor)
            except RegistryError as exc:
                _report("indicator", exc, lang)
                st.rerun()
            else:
                _done(tr("ui_mon_saved", lang=lang, version=saved["version"]), clear="mon_ind_")


def _value_form(indicator: dict[str, Any], values: list[dict[str, Any]], lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    key = f"value_{indicator['id']}"
    seen_versions = state.seen_before(key, {v["period"]: v["version"] for v in values})
    _errors_for(key)
    with st.form(key, clear_on_submit=False):
        st.markdown(f"**{components.plain(tr('ui_mon_add_value', lang=lang))}**")
        c1, c2 = st.columns(2)
        period = c1.text_input(
            _field("value", "period", lang, True),
            help=tr("ui_mon_period_help", lang=lang),
            key=f"{key}_period",
        )
        value = c2.text_input(
            _field("value", "value", lang, True),
            help=tr("ui_mon_value_help", lang=lang),
            key=f"{key}_value",
        )
        source = st.text_input(
            _field("value", "source_note", lang, True),
            help=_help("value", "source_note", lang),
            key=f"{key}_source",
        )
        pressed = st.form_submit_button(tr("ui_mon_save", lang=lang))
    if pressed:
        # a period that already has a value is corrected at the version the user saw
        try:
            expected = seen_versions.get(to_period(period))
        except ValueError:  # an invalid period: validation reports it
            expected = None
        try:
            saved = reg.record_value(indicator["id"], period, value, source, actor, expected)
        except RegistryError as exc:  # invalid, not allowed, or changed meanwhile
            _report("value", exc, lang, where=key)
            st.rerun()
        else:
            _done(tr("ui_mon_saved", lang=lang, version=saved["version"]), clear=f"{key}_")


_EDITABLE = ("name", "unit", "baseline", "baseline_period", "target", "target_period", "notes")


def _edit_indicator(indicator: dict[str, Any], lang: str) -> None:
    """Change an indicator's name, unit, baseline or target, at the version shown."""
    key = f"edit_{indicator['id']}"
    version = state.seen_before(key, indicator["version"])
    with st.expander(tr("ui_mon_edit_indicator", lang=lang)):
        _errors_for(key)
        with st.form(key):
            values = {}
            for name in _EDITABLE:
                current = indicator.get(name)
                text = "" if current is None else str(current)
                if isinstance(current, float):  # as typed: 20, 30.5 (no thousands marks)
                    text = repr(current).removesuffix(".0")
                widget = st.text_area if name == "notes" else st.text_input
                values[name] = widget(_field("indicator", name, lang), text, key=f"{key}_{name}")
            pressed = st.form_submit_button(tr("ui_mon_save", lang=lang))
        if pressed:
            try:
                saved = resources.registry().update_monitoring(
                    "indicator", indicator["id"], values, version, state.actor()
                )
            except RegistryError as exc:
                _report("indicator", exc, lang, where=key)
                if isinstance(exc, Conflict):  # the form starts again from the current values
                    for name in [k for k in st.session_state if str(k).startswith(f"{key}_")]:
                        del st.session_state[name]
                st.rerun()
            else:
                _done(tr("ui_mon_saved", lang=lang, version=saved["version"]), clear=f"{key}_")


def _indicators(entry_id: str, seen: Monitoring, lang: str) -> None:
    if not seen.indicators:
        st.info(tr("ui_mon_no_indicators", lang=lang))
    for indicator, chart in zip(seen.indicators, seen.charts(lang), strict=True):
        st.subheader(components.plain(indicator_name(indicator, lang)), anchor=False)
        share = chart["progress"]
        pct = "—" if share is None else f"{number(100 * share, lang, 0)} %"
        st.html(
            badge_html(chart["badge"], "progress", BADGE_COLORS, lang)
            + f" <span>{escape(tr('ui_mon_progress', lang=lang, pct=pct))}</span>"
        )
        # an iframe of its own: st.html keeps HTML only (its sanitiser drops SVG)
        st.iframe(chart_page(indicator_chart(chart, lang)), height=CHART_HEIGHT + 8)
        values = seen.values_of(indicator["id"])
        if values:
            with st.expander(tr("ui_mon_values_table", lang=lang)):
                st.dataframe(
                    pd.DataFrame(
                        {
                            _field("value", "period", lang): [v["period"] for v in values],
                            _field("value", "value", lang): [
                                number(v["value"], lang) for v in values
                            ],
                            _field("value", "source_note", lang): [
                                v["source_note"] for v in values
                            ],
                            tr("ui_mon_last_activity", lang=lang): [
                                timestamp_text(v["updated_at"], lang) for v in values
                            ],
                            "v": [v["version"] for v in values],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
        if seen.can_edit:
            _value_form(indicator, values, lang)
            _edit_indicator(indicator, lang)
            key = f"del_{indicator['id']}"
            version = state.seen_before(key, indicator["version"])
            with st.expander(tr("ui_mon_delete_indicator", lang=lang)):
                _errors_for(key)
                if st.button(tr("ui_mon_delete_indicator", lang=lang), key=key):
                    try:
                        resources.registry().delete_monitoring(
                            "indicator", indicator["id"], version, state.actor()
                        )
                    except RegistryError as exc:
                        _report("indicator", exc, lang, where=key)
                        st.rerun()
                    else:
                        _done(tr("ui_mon_deleted", lang=lang))
        st.divider()
    if seen.can_edit:
        _indicator_form(entry_id, seen, lang)


def _goals(entry_id: str, seen: Monitoring, lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    if not seen.goals:
        st.info(tr("ui_mon_no_goals", lang=lang))
    for goal in seen.goals:
        when = date_text(goal["target_date"], lang) if goal["target_date"] else "—"
        status = label("goal_status", goal["status"], lang)
        st.markdown(f"**{components.plain(goal['title'])}** · {components.plain(when)}")
        st.caption(components.plain(status))
        if goal.get("description"):
            st.text(goal["description"])
        if seen.can_edit:
            key = f"goal_{goal['id']}"
            version = state.seen_before(key, goal["version"])
            _errors_for(key)
            c1, c2 = st.columns([3, 1])
            statuses = code_codes("goal_status")
            chosen = c1.selectbox(
                _field("goal", "status", lang),
                statuses,
                index=statuses.index(goal["status"]),
                format_func=lambda c: label("goal_status", c, lang),
                key=f"goal_status_{goal['id']}",
                placeholder=tr("ui_choose", lang=lang),
            )
            if c2.button(tr("ui_mon_goal_status_set", lang=lang), key=f"goal_set_{goal['id']}"):
                try:
                    saved = reg.update_monitoring(
                        "goal", goal["id"], {"status": chosen}, version, actor
                    )
                except RegistryError as exc:
                    _report("goal", exc, lang, where=key)
                    st.rerun()
                else:
                    _done(tr("ui_mon_saved", lang=lang, version=saved["version"]))
    if seen.can_edit:
        with st.expander(tr("ui_mon_add_goal", lang=lang), expanded=not seen.goals):
            _errors_for("goal")
            with st.form("mon_add_goal"):
                title = st.text_input(_field("goal", "title", lang, True), key="mon_goal_title")
                description = st.text_area(
                    _field("goal", "description", lang), key="mon_goal_description"
                )
                target_date = st.date_input(
                    _field("goal", "target_date", lang),
                    value=None,
                    format="YYYY-MM-DD",
                    key="mon_goal_date",
                )
                pressed = st.form_submit_button(tr("ui_mon_save", lang=lang), type="primary")
            if pressed:
                values = {"title": title, "description": description, "target_date": target_date}
                try:
                    saved = reg.add_monitoring("goal", entry_id, values, actor)
                except RegistryError as exc:
                    _report("goal", exc, lang)
                    st.rerun()
                else:
                    _done(
                        tr("ui_mon_saved", lang=lang, version=saved["version"]), clear="mon_goal_"
                    )


_REVIEW_TEXTS = ("participants", "reviewed", "decisions", "strategy_changes", "next_steps")


def _reviews(entry_id: str, seen: Monitoring, lang: str) -> None:
    if seen.reviews is None:
        st.info(tr("ui_mon_reviews_private", lang=lang))
        return
    if not seen.reviews:
        st.info(tr("ui_mon_no_reviews", lang=lang))
    for review in sorted(seen.reviews, key=lambda r: r["review_date"], reverse=True):
        title = f"{date_text(review['review_date'], lang)} · {review['reviewed'][:80]}"
        with st.expander(components.plain(title)):
            for name in _REVIEW_TEXTS:
                if review.get(name):
                    st.markdown(f"**{components.plain(_field('review', name, lang))}**")
                    st.text(review[name])
            st.caption(components.plain(f"{review['updated_by']} · {review['updated_at']}"))
    if seen.can_edit:
        with st.expander(tr("ui_mon_add_review", lang=lang), expanded=not seen.reviews):
            _errors_for("review")
            with st.form("mon_add_review"):
                when = st.date_input(
                    _field("review", "review_date", lang, True),
                    value=None,
                    format="YYYY-MM-DD",
                    key="mon_review_date",
                )
                texts = {
                    name: st.text_area(
                        _field("review", name, lang, name == "reviewed"), key=f"mon_review_{name}"
                    )
                    for name in _REVIEW_TEXTS
                }
                pressed = st.form_submit_button(tr("ui_mon_save", lang=lang), type="primary")
            if pressed:
                try:
                    saved = resources.registry().add_monitoring(
                        "review", entry_id, {"review_date": when, **texts}, state.actor()
                    )
                except RegistryError as exc:
                    _report("review", exc, lang)
                    st.rerun()
                else:
                    _done(
                        tr("ui_mon_saved", lang=lang, version=saved["version"]), clear="mon_review_"
                    )


def _files(entry_id: str, seen: Monitoring, lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    data = resources.values_csv(resources.version(), entry_id, lang, repr(actor), actor)
    st.download_button(
        tr("ui_mon_export", lang=lang),
        data,
        file_name=f"indicator-values-{entry_id[:8]}.csv",
        mime="text/csv",
    )
    if not seen.can_edit:
        return
    st.markdown(f"**{components.plain(tr('ui_mon_import', lang=lang))}**")
    st.caption(components.plain(tr("ui_mon_import_help", lang=lang)))
    _errors_for("value_import")
    upload = st.file_uploader(tr("ui_mon_import", lang=lang), type=["csv"], key="mon_upload")
    # always drawn (disabled until a file is there): a press that lands in the upload's own
    # run is not lost with a button that did not exist yet
    pressed = st.button(
        tr("ui_mon_import_run", lang=lang), key="mon_import", disabled=upload is None
    )
    if pressed and upload is not None:
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "upload.csv"
            target.write_bytes(upload.getvalue())
            try:
                report = reg.import_monitoring_values(target, actor)
            except ValidationFailed as exc:
                lines = [exc.user_msg, *(str(p) for p in exc.problems[:_SHOWN_PROBLEMS])]
                if exc.total > _SHOWN_PROBLEMS:
                    more = number(exc.total - _SHOWN_PROBLEMS, lang)
                    lines.append(tr("ui_problems_more", lang=lang, n=more, shown=_SHOWN_PROBLEMS))
                st.session_state[_ERRORS] = ("value_import", lines)
                st.rerun()
            except RegistryError as exc:
                st.session_state[_ERRORS] = ("value_import", [exc.user_msg])
                st.rerun()
            else:
                _done(report.message())


def page() -> None:
    lang = state.language()
    actor = state.actor()
    reg = resources.registry()
    st.title(tr("ui_page_monitoring", lang=lang), anchor=False)
    if st.session_state.get(_FLASH):
        st.success(components.plain(st.session_state.pop(_FLASH)))
    frame = resources.entries(resources.version(), f"all|{actor!r}", None, actor)
    if not len(frame):
        st.info(tr("ui_no_entries", lang=lang))
        return
    entry_id = components.entry_picker(frame, "mon_pick", lang)
    if entry_id != st.query_params.get("id"):
        st.query_params["id"] = entry_id
    try:
        seen = reg.monitoring(entry_id, actor)
    except RegistryError as exc:
        st.error(components.plain(exc.user_msg))
        return
    _quality(seen.initiative, lang)
    if not seen.can_edit:
        st.caption(tr("ui_mon_read_only", lang=lang))
    tabs = st.tabs(
        [
            tr("ui_mon_tab_indicators", lang=lang),
            tr("ui_mon_tab_goals", lang=lang),
            tr("ui_mon_tab_reviews", lang=lang),
            tr("ui_mon_tab_files", lang=lang),
        ]
    )
    with tabs[0]:
        _indicators(entry_id, seen, lang)
    with tabs[1]:
        _goals(entry_id, seen, lang)
    with tabs[2]:
        _reviews(entry_id, seen, lang)
    with tabs[3]:
        _files(entry_id, seen, lang)


page()
