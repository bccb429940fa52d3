"""Entry form: place the entry on the map, fill every field, save as draft or submit.

Editing remembers the version the form loaded; if someone else saved meanwhile the user sees
what changed and decides. Nothing is overwritten silently.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import folium
import pandas as pd
import shapely
import streamlit as st

from registry.auth import Actor
from registry.errors import AlreadyExists, Conflict, RegistryError, ValidationFailed
from registry.i18n import timestamp_text, tr
from registry.schema.codes import code_codes, label
from registry.schema.fields import FIELDS, FieldSpec
from registry.schema.model import text_limit
from registry.ui import components, mapview, resources, signin, state

_AUTO = ("id", "region_code", "comuna_code", "geometry", "kind")
_ERRORS = "_form_errors"
_CONFLICT = "_form_conflict"
_LAST_CLICK = "_place_last_click"
_LAST_SAVED = "_entry_last_saved"  # (fingerprint, id, monotonic time, version) of a save
_FORM_ID = "_entry_form_id"  # the id of the new entry the form creates (see ``_form_id``)


def _text(spec: FieldSpec, lang: str) -> tuple[str, str | None]:
    name = spec.es if lang == "es" else spec.en
    help_text = spec.description_es if lang == "es" else spec.description_en
    return name + (" *" if spec.required else ""), help_text or None


def _widget(spec: FieldSpec, value: Any, lang: str) -> Any:
    name, help_text = _text(spec, lang)
    key = f"fld_{spec.name}"
    if spec.type == "longtext":
        return st.text_area(name, value or "", help=help_text, key=key, max_chars=text_limit(spec))
    if spec.type in ("text", "url", "email"):
        return st.text_input(name, value or "", help=help_text, key=key, max_chars=text_limit(spec))
    if spec.type == "int":
        return st.number_input(name, spec.lo, spec.hi, value=value, step=1, help=help_text, key=key)
    if spec.type == "bool":
        options = [None, True, False]
        return st.selectbox(
            name,
            options,
            index=options.index(value),
            format_func=lambda v: "—" if v is None else tr("ui_yes" if v else "ui_no", lang=lang),
            help=help_text,
            key=key,
            placeholder=tr("ui_choose", lang=lang),
        )
    if spec.type == "date":
        return st.date_input(name, value=value, help=help_text, key=key, format="YYYY-MM-DD")
    if spec.type == "code":
        assert spec.code_list
        options = [None, *code_codes(spec.code_list)]
        return st.selectbox(
            name,
            options,
            index=options.index(value) if value in options else 0,
            format_func=lambda v: "—" if v is None else label(spec.code_list, v, lang),
            help=help_text,
            key=key,
            placeholder=tr("ui_choose", lang=lang),
        )
    if spec.type == "codes":
        assert spec.code_list
        options = code_codes(spec.code_list)
        return st.multiselect(
            name,
            options,
            default=[v for v in value or [] if v in options],
            format_func=lambda v: label(spec.code_list, v, lang),
            help=help_text,
            key=key,
            placeholder=tr("ui_choose", lang=lang),
        )
    if spec.type == "usernames":
        return st.text_input(name, ", ".join(value or []), help=help_text, key=key)
    raise AssertionError(spec.type)


def _geometry(vertices: list[list[float]], mode: str) -> Any:
    if not vertices:
        return None
    if mode == "point" or len(vertices) == 1:
        return shapely.Point(vertices[-1])
    if mode == "polygon" and len(vertices) >= 3:
        return shapely.Polygon(vertices)
    return shapely.LineString(vertices)


def _placement(lang: str, kind: str) -> Any:
    st.caption(tr("ui_place_hint", lang=lang))
    modes = ["point"] if kind == "iap" else ["point", "line", "polygon"]
    mode = st.radio(
        tr("ui_geom_mode", lang=lang),
        modes,
        format_func=lambda m: tr(f"ui_geom_{m}", lang=lang),
        horizontal=True,
        key="place_mode",
    )
    vertices: list[list[float]] = st.session_state.setdefault(state.PLACE, [])
    found = components.place_search("form_place", lang)  # moves the map; places nothing
    base = mapview.base_map(resources.outline_urls(), lang, mapview.tiles_setting())
    group = folium.FeatureGroup(name=tr("ui_layer_placed", lang=lang))
    if found is not None:
        mapview.place_focus(found).add_to(group)
    geom = _geometry(vertices, mode)
    if geom is not None:
        folium.GeoJson(
            shapely.geometry.mapping(geom),
            style_function=lambda _: {"color": "#d55e00", "weight": 4},
            marker=folium.CircleMarker(radius=7, color="#d55e00", fill=True, fill_opacity=0.9),
        ).add_to(group)
    event = components.show_map(base, key=f"place_map_{lang}", feature_groups=[group], height=420)
    click = (event or {}).get("last_clicked")
    if click and click != st.session_state.get(_LAST_CLICK):
        st.session_state[_LAST_CLICK] = click
        point = [round(float(click["lng"]), 6), round(float(click["lat"]), 6)]
        if mode == "point":
            vertices[:] = [point]
        else:
            vertices.append(point)
        # the country follows the place clicked (a cluster in Medellín is Colombian)
        found_in = resources.registry().locate(*vertices[0])["country"]
        if found_in:
            st.session_state["fld_country"] = found_in
        st.rerun()
    c1, c2 = st.columns(2)
    if c1.button(tr("ui_undo_point", lang=lang), disabled=not vertices):
        vertices.pop()
        st.rerun()
    if c2.button(tr("ui_clear_points", lang=lang), disabled=not vertices):
        vertices.clear()
        st.rerun()
    if geom is not None:
        anchor = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)
        where = resources.registry().locate(anchor.x, anchor.y)
        if where["comuna_code"]:
            st.success(
                components.plain(
                    tr(
                        "ui_location_found",
                        lang=lang,
                        comuna=f"{where['comuna_name']} ({where['comuna_code']})",
                        region=f"{where['region_name']} ({where['region_code']})",
                    )
                )
            )
        elif where["country"]:
            st.success(
                components.plain(
                    tr(
                        "ui_location_found_admin1",
                        lang=lang,
                        region=f"{where['region_name']} ({where['region_code']})",
                        country=label("country", where["country"], lang),
                    )
                )
            )
        else:
            st.warning(tr("ui_location_outside", lang=lang))
        st.code(geom.wkt, language=None)
    return geom


def _diff(mine: dict[str, Any], theirs: dict[str, Any], lang: str) -> pd.DataFrame:
    rows = []
    for spec in FIELDS:
        a, b = mine.get(spec.name), theirs.get(spec.name)
        if spec.name == "geometry":
            a = getattr(a, "wkt", a)
            b = getattr(b, "wkt", b)
        if (a or None) != (b or None) and spec.name not in ("id", "region_code", "comuna_code"):
            rows.append(
                {
                    tr("ui_field", lang=lang): spec.es if lang == "es" else spec.en,
                    tr("ui_mine", lang=lang): "" if a is None else str(a),
                    tr("ui_theirs", lang=lang): "" if b is None else str(b),
                }
            )
    return pd.DataFrame(rows)


def _load(record_id: str | None) -> dict[str, Any] | None:
    """The record the form edits (remembered with its version), or None for a new one."""
    loaded = st.session_state.get(state.EDIT)
    if record_id is None:
        if loaded is not None:
            st.session_state.pop(state.EDIT, None)
            st.session_state[state.PLACE] = []
        return None
    if loaded is None or loaded["id"] != record_id:
        record = resources.registry().get(record_id, viewer=state.actor())
        st.session_state[state.EDIT] = {
            "id": record_id,
            "version": record["version"],
            "record": record,
        }
        geom = record.get("geometry")
        st.session_state[state.PLACE] = (
            [] if geom is None else [list(c) for c in shapely.get_coordinates(geom).tolist()]
        )
        if geom is not None and geom.geom_type == "Polygon":
            st.session_state[state.PLACE] = st.session_state[state.PLACE][:-1]
        for key in [k for k in st.session_state if str(k).startswith("fld_")]:
            del st.session_state[key]
        loaded = st.session_state[state.EDIT]
    return loaded["record"]


def _form_id(record_id: str | None, loaded: dict[str, Any] | None) -> None:
    """Give the form of a new entry the id its entry will have, made when the form is first
    drawn and kept while it is on the page: every press of the form creates that one entry,
    so a second press, even in a run that started before the first one's outcome was known
    or after it was stopped between writing and remembering, writes nothing more (see
    ``Entries.create``). A form drawn afresh (its fields gone from the session: the user was
    on another page, or was editing another entry) gets a new id."""
    if record_id is not None:
        return
    if loaded is not None or not any(str(k).startswith("fld_") for k in st.session_state):
        st.session_state.pop(_FORM_ID, None)
    st.session_state.setdefault(_FORM_ID, str(uuid.uuid4()))


def _create(values: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Create the form's entry with the form's id (see ``_form_id``)."""
    reg = resources.registry()
    form_id = st.session_state.setdefault(_FORM_ID, str(uuid.uuid4()))
    try:
        return reg.create({**values, "id": form_id}, actor)
    except AlreadyExists as exc:
        # this form's entry, written by a press whose run stopped before the page knew, and
        # the form changed since: the change is an edit of it (checked against its version)
        current = exc.current
        if current.get("created_by") != actor.username or current.get("deleted"):
            raise
        st.session_state[state.EDIT] = {
            "id": current["id"],
            "version": current["version"],
            "record": current,
        }
        return reg.update(current["id"], values, current["version"], actor)


def _save(values: dict[str, Any], lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    loaded = st.session_state.get(state.EDIT)
    fingerprint = _fingerprint(values)
    last = st.session_state.get(_LAST_SAVED)
    # the same edit sent twice (a double click): written once
    repeated = (
        loaded is not None
        and bool(last)
        and last[0] == fingerprint
        and time.monotonic() - last[2] < 30
        and (loaded["id"], int(loaded["version"])) == (last[1], int(last[3]))
    )
    try:
        if loaded is None:
            saved = _create(values, actor)
        elif repeated:  # sent again: written already
            saved = reg.get(last[1], viewer=actor)
        else:
            saved = reg.update(loaded["id"], values, loaded["version"], actor)
    except ValidationFailed as exc:
        st.session_state[_ERRORS] = {p.field: p.message for p in exc.problems}
        return
    except Conflict as exc:
        st.session_state[_CONFLICT] = {"mine": values, "theirs": exc.current, "msg": exc.user_msg}
        return
    except RegistryError as exc:
        st.session_state[_ERRORS] = {"-": exc.user_msg}
        return
    st.session_state.pop(_ERRORS, None)
    st.session_state.pop(_CONFLICT, None)
    if not repeated:
        st.session_state[_LAST_SAVED] = (
            fingerprint,
            saved["id"],
            time.monotonic(),
            saved["version"],
        )
    st.session_state[state.EDIT] = {"id": saved["id"], "version": saved["version"], "record": saved}
    st.query_params["id"] = saved["id"]
    if repeated and int(saved["version"]) == int(last[3]):  # the first press's news stands
        loaded = None
    st.session_state["_flash"] = _saved_message(loaded, saved, lang)
    st.rerun()


def _fingerprint(values: dict[str, Any]) -> str:
    """The form's values as one string (geometry as WKT), to tell a repeated press."""
    plain_values = {
        k: getattr(v, "wkt", v) if k == "geometry" else v for k, v in sorted(values.items())
    }
    return json.dumps(plain_values, sort_keys=True, default=str, ensure_ascii=False)


def _saved_message(loaded: dict[str, Any] | None, saved: dict[str, Any], lang: str) -> str:
    """What happened, in words: a draft kept, sent for review, still in review, published."""
    before = (loaded or {}).get("record") or {}
    if loaded is not None and int(saved["version"]) == int(loaded["version"]):
        return tr("ui_saved_nothing", lang=lang)
    status = saved["status"]
    if status == "submitted" and before.get("status") == "submitted":
        key = "ui_saved_in_review"
    elif status in ("draft", "submitted", "published"):
        key = f"ui_saved_{status}"
    else:
        key = "ui_saved"
    return tr(key, lang=lang, version=saved["version"])


def page() -> None:
    lang = state.language()
    actor = state.actor()
    st.title(tr("ui_page_entry", lang=lang), anchor=False)
    if actor.role == "visitor":
        signin.ask_login(lang)
        return
    if st.session_state.get("_flash"):
        st.success(st.session_state.pop("_flash"))
    record_id = st.query_params.get("id")
    try:
        if record_id and not resources.registry().can_edit(record_id, actor):
            resources.registry().get(record_id, viewer=actor)  # NotFound if not visible
            st.info(tr("ui_cannot_edit", lang=lang))  # and nothing of it is loaded
            return
        _form_id(record_id, st.session_state.get(state.EDIT))
        record = _load(record_id)
    except RegistryError as exc:
        st.error(components.plain(exc.user_msg))
        return
    record = record or {}
    conflict = st.session_state.get(_CONFLICT)
    if conflict:
        theirs = conflict["theirs"]
        st.warning(
            components.plain(
                tr(
                    "ui_conflict",
                    lang=lang,
                    who=theirs.get("updated_by"),
                    when=timestamp_text(theirs.get("updated_at"), lang),
                    version=theirs.get("version"),
                )
            )
        )
        st.dataframe(_diff(conflict["mine"], theirs, lang), hide_index=True)
        c1, c2 = st.columns(2)
        if c1.button(tr("ui_conflict_keep_mine", lang=lang), key="conflict_keep"):
            st.session_state[state.EDIT] = {
                "id": theirs["id"],
                "version": theirs["version"],
                "record": theirs,
            }
            st.session_state.pop(_CONFLICT)
            _save(conflict["mine"], lang)
            st.rerun()
        if c2.button(tr("ui_conflict_reload", lang=lang), key="conflict_reload"):
            st.session_state.pop(_CONFLICT)
            st.session_state.pop(state.EDIT, None)
            st.rerun()
    if record.get("review_note") and record.get("status") == "rejected":
        st.error(components.plain(tr("ui_review_note", lang=lang, note=record["review_note"])))
    kinds = code_codes("kind")
    kind = st.radio(
        tr("ui_f_kind", lang=lang),
        kinds,
        index=kinds.index(record.get("kind", "iap")),
        format_func=lambda k: label("kind", k, lang),
        horizontal=True,
        key="fld_kind",
        disabled=bool(record),
    )
    geom = _placement(lang, kind)
    errors: dict[str, str] = st.session_state.get(_ERRORS, {})
    if errors:
        st.error(tr("ui_fix_errors", lang=lang))
        if "-" in errors:
            st.error(components.plain(errors["-"]))
    values: dict[str, Any] = {"kind": kind, "geometry": geom}
    with st.form("entry_form"):
        for spec in FIELDS:
            if spec.name in _AUTO or (spec.barrio_only and kind != "barrio_comercial"):
                continue
            if spec.name == "status" and actor.role not in ("manager", "admin"):
                continue
            if spec.name == "review_note" and actor.role not in ("manager", "admin"):
                continue
            default = record.get(spec.name)
            if spec.name == "country" and not record:
                default = "CL"
            values[spec.name] = _widget(spec, default, lang)
            if spec.name in errors:
                st.error(components.plain(errors[spec.name]))
        if "geometry" in errors:
            st.error(components.plain(errors["geometry"]))
        if actor.role in ("manager", "admin"):
            buttons = {"save": st.form_submit_button(tr("ui_save", lang=lang), type="primary")}
        elif record.get("status") == "submitted":  # in review: stays there unless withdrawn
            buttons = {
                "submitted": st.form_submit_button(
                    tr("ui_keep_in_review", lang=lang), type="primary"
                ),
                "draft": st.form_submit_button(tr("ui_withdraw", lang=lang)),
            }
        else:
            buttons = {
                "draft": st.form_submit_button(tr("ui_save_draft", lang=lang)),
                "submitted": st.form_submit_button(tr("ui_submit", lang=lang), type="primary"),
            }
    pressed = [k for k, v in buttons.items() if v]
    if pressed:
        if pressed[0] != "save":
            values["status"] = pressed[0]
        if isinstance(values.get("editors"), str):
            values["editors"] = [
                v for v in values["editors"].replace(";", ",").split(",") if v.strip()
            ]
        st.session_state.pop(_ERRORS, None)
        _save(values, lang)
        st.rerun()


page()
