"""Caches: the registry handle (resource) and reads keyed by the data version.

Every read cached here takes the registry's ``data_version`` as its first argument, so a
write anywhere (this app, the command line, another office) invalidates it at the next
rerun; cached objects are never mutated.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from registry.api import Registry
from registry.errors import RegistryError, StorageError
from registry.geo.boundaries import boundary_countries
from registry.geo.places import gazetteer
from registry.i18n import tr
from registry.layers.derived import MEASURES
from registry.schema.codes import code_codes, label
from registry.seed import seed
from registry.store import Filters
from registry.ui.assets import ensure_assets
from registry.ui.files import STATIC_ROOT
from registry.ui.mapview import entries_payload

__all__ = [
    "STATIC_DIR",
    "entries",
    "indicators",
    "map_payload",
    "outline_urls",
    "place_names",
    "programme",
    "registry",
    "settle_heap",
    "static_files",
    "unavailable",
    "values_csv",
    "version",
    "with_freshness",
]

# the ``static`` folder next to the main script (``registry/ui/main.py``), served at
# ``/app/static`` (``registry.ui.files``)
STATIC_DIR = STATIC_ROOT


@st.cache_resource
def registry() -> Registry:
    """Open the registry of ``IAP_REGISTRY_DB``; create it and load the bundled data on the
    first start."""
    reg = Registry(os.environ.get("IAP_REGISTRY_DB") or None)
    if not reg.store.is_initialized():
        reg.init()
        seed(reg, reg.actor("iap-registry"))  # no users yet: the operator acts as admin
    return reg


_LOG = logging.getLogger("registry.ui")


@st.cache_resource
def mail_sender() -> Any:
    """The process's mail sender (``registry.notify``), started once; None when no SMTP
    host is set."""
    from registry.notify import MailSender, smtp_settings

    settings = smtp_settings()
    if settings is None:
        return None
    sender = MailSender(registry().store, settings)
    sender.start()
    return sender


@contextmanager
def unavailable(lang: str) -> Iterator[None]:
    """Run a page so that a registry that cannot be used (the database down, the file
    damaged) shows the user a plain message in their language, never a traceback with
    hosts, ports or paths; the details go to the server's log."""
    try:
        yield
    except (StorageError, SQLAlchemyError, sqlite3.Error, UnicodeDecodeError) as exc:
        _LOG.error("the registry cannot be used: %s", exc, exc_info=exc)
        st.error(tr("ui_unavailable", lang=lang))
        st.stop()
    except RegistryError as exc:  # e.g. the configured registry does not exist
        _LOG.error("the registry cannot be used: %s", exc.user_msg)
        st.error(tr("ui_unavailable", lang=lang))
        st.stop()


_SETTLED = threading.Event()


def settle_heap() -> None:
    """Once per process, after its first complete script run: collect the garbage, then
    move every object still alive (modules, the registry, the boundaries, the first view's
    frames) out of the collector's reach (``gc.freeze``).

    Streamlit runs a full collection after every script run (``runner.postScriptGC``),
    which otherwise walks the whole heap each time: about a third of the server's CPU per
    user flow at 10,000 entries (``bench.app_sessions``). It then walks only what was made
    since. Objects kept this way are still freed when nothing refers to them; only a
    reference cycle among them would outlive its use, and they are the process's
    long-lived objects.
    """
    if _SETTLED.is_set():
        return
    _SETTLED.set()
    gc.collect()
    gc.freeze()


def version() -> int:
    """The registry's data version (changes with every write)."""
    return registry().data_version()


# Frames and payloads are cached as shared objects (cache_resource), not copies: cache_data
# would unpickle a 10,000-row frame and its 2 MB payload on every rerun. Callers only read.
@st.cache_resource(max_entries=32, show_spinner=False)
def entries(data_version: int, key: str, _filters: Filters, _viewer: Any) -> Any:
    """The entries matching the filters that the viewer may see (``key`` names both);
    shared between sessions, so read-only."""
    return registry().list(_filters, viewer=_viewer)


@st.cache_resource(max_entries=8, show_spinner=False)
def with_freshness(data_version: int, key: str, _frame: Any) -> Any:
    """``_frame`` (the entries of view ``key``) with their ``freshness`` code, for colouring
    the map; shared between sessions, so read-only."""
    return _frame.assign(freshness=registry().quality(_frame)["freshness"])


@st.cache_data(max_entries=16, show_spinner=False)
def programme(
    data_version: int, program: str | None, months: int, today: str, key: str, _viewer: Any
) -> Any:
    """``Registry.programme_view`` of ``program`` on date ``today`` for the viewer named
    by ``key`` (2.4 s for 100,000 entries in `make bench`: once per data version and day)."""
    return registry().programme_view(
        program, months, viewer=_viewer, today=dt.date.fromisoformat(today)
    )


@st.cache_data(max_entries=16, show_spinner=False)
def values_csv(data_version: int, entry_id: str, lang: str, key: str, _viewer: Any) -> bytes:
    """The CSV of one entry's indicator values (``Registry.export_monitoring_values``) as
    the viewer named by ``key`` may download it; made once per data version."""
    with tempfile.TemporaryDirectory() as tmp:
        path = registry().export_monitoring_values(
            Path(tmp) / "values.csv", viewer=_viewer, lang=lang, initiative_ids=[entry_id]
        )
        return path.read_bytes()


@st.cache_resource(max_entries=32, show_spinner=False)
def map_payload(data_version: int, key: str, _frame: Any, color_by: str, lang: str) -> Any:
    """The entries' map payload (``mapview.entries_payload``) for one view (``key``)."""
    return entries_payload(_frame, color_by, lang, place_names(lang))


@st.cache_resource(max_entries=32, show_spinner=False)
def unmapped(data_version: int, key: str, _frame: Any) -> Any:
    """The entries of view ``key`` (``_frame``) with no location to draw; shared between
    sessions, so read-only."""
    return _frame[_frame.geometry.isna()]


@st.cache_resource(show_spinner=False)
def place_names(lang: str) -> dict[str, str]:
    """Names of the places the map groups entries by (``comuna:13101``, ``region:13``,
    ``country:AR``)."""
    reg = registry()
    names = {f"country:{code}": label("country", code, lang) for code in code_codes("country")}
    names.update({f"region:{code}": name for code, name in reg.region_names().items()})
    names.update({f"comuna:{code}": name for code, name in reg.comuna_names().items()})
    return names


@st.cache_data(max_entries=4, show_spinner=False)
def indicators(data_version: int) -> Any:
    """The regional indicator table (bundled, imported and derived)."""
    return registry().indicators()


ANNUAL = ("", "annual_average")  # the periods of an annual value


@st.cache_resource(max_entries=4, show_spinner=False)
def regional_series(data_version: int) -> dict[str, tuple[int, ...]]:
    """Indicator -> years with an annual value for most regions (8 or more): the
    productivity measures first (the article's measure leading), then the other series by
    name. What the map's productivity layer offers; shared between sessions, so read-only."""
    table = registry().indicators()
    annual = table[table["period"].fillna("").isin(ANNUAL) & (table["region_code"] != "00")]
    counts = annual.groupby(["indicator", "year"])["region_code"].nunique()
    found: dict[str, list[int]] = {}
    for (name, year), n in counts.items():
        if n >= 8:
            found.setdefault(str(name), []).append(int(year))
    first = [m for m in MEASURES if m in found]
    return {n: tuple(sorted(found[n])) for n in [*first, *sorted(set(found) - set(first))]}


def _without_holes(geometry: Any) -> Any:
    """``geometry`` with its interior rings filled. A region is the union of its comunas,
    whose source polygons leave gaps of up to ~4 km² between neighbours (902 holes in all);
    drawn as land they showed the sea through. No Chilean region has a true enclave."""
    parts = shapely.get_parts(geometry)
    return shapely.multipolygons(shapely.polygons(shapely.get_exterior_ring(parts)))


def _publish(folder: Path, name: str, text: str) -> str:
    """Write ``text`` to ``folder/name`` (atomically, only when it changed) and return its
    app URL, versioned by content so browsers never keep a stale copy."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        tmp = target.with_suffix(".partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    return f"/app/static/{folder.name}/{name}?v={digest}"


ADMIN1_DISPLAY_TOLERANCE = 0.02  # degrees; the other countries' units on the offline base


@st.cache_resource
def static_files(static_dir: str) -> dict[str, str]:
    """Put what the browser loads from the app into ``static_dir`` once per process: Leaflet
    (``ensure_assets``), the map script ``iapmap.js``, the simplified region and comuna
    outlines as GeoJSON (rounded to 4 decimals), the other countries' admin-1 units and
    their country outlines (3 decimals) and the place-name rows of the gazetteer. Returns
    their URLs (keys ``region``, ``comuna``, ``admin1``, ``countries``, ``places``,
    ``script``). The map script
    then stays small and constant across reruns."""
    folder = Path(static_dir)
    ensure_assets(folder)
    reg = registry()
    urls = {}
    for level in ("region", "comuna"):
        frame = reg.boundaries(level).copy()
        if level == "region":  # land, borders and the choropleth: no sliver holes
            frame["geometry"] = [_without_holes(g) for g in frame.geometry.values]
        frame["geometry"] = shapely.transform(frame.geometry.values, lambda c: np.round(c, 4))
        urls[level] = _publish(folder / "geo", f"{level}.geojson", frame.to_json(drop_id=True))
    # the other countries' admin-1 units (land, and their borders as thin lines) and the
    # countries they make up (borders), from Natural Earth
    other = reg.boundaries("admin1")
    other = other[other["country"] != "CL"][["country", "region_code", "geometry"]].copy()
    countries = other.dissolve("country", method="coverage", as_index=False)[
        ["country", "geometry"]
    ]
    for name, frame in (("admin1", other), ("countries", countries)):
        # drawn at a country's scale: simplified further (0.02°, about 2 km) as a coverage,
        # so neighbours keep one shared line, and rounded to 3 decimals
        simple = shapely.coverage_simplify(frame.geometry.values, ADMIN1_DISPLAY_TOLERANCE)
        frame["geometry"] = shapely.transform(simple, lambda c: np.round(c, 3))
        urls[name] = _publish(folder / "geo", f"{name}.geojson", frame.to_json(drop_id=True))
    places = gazetteer()
    # labels only where the offline base draws land (the countries with boundaries and
    # Chile's comunas); the place search covers every country of the gazetteer
    drawn = "|".join(sorted(boundary_countries()))
    town = places["context"].str.contains(f", (?:{drawn})$", regex=True)
    comuna = (places["kind"] == "comuna") & ~places["key"].isin(places.loc[town, "key"])
    places = places[comuna | town]  # a comuna named as its town is labelled once, as the town
    rows = [
        [n, x, y, z]
        for n, x, y, z in zip(
            places["name"], places["lon"], places["lat"], places["min_zoom"], strict=True
        )
    ]
    urls["places"] = _publish(folder / "geo", "places.json", json.dumps(rows, ensure_ascii=False))
    script = (Path(__file__).parent / "js" / "iapmap.js").read_text(encoding="utf-8")
    urls["script"] = _publish(folder / "iap", "iapmap.js", script)
    return urls


def outline_urls() -> dict[str, str]:
    """The URLs prepared by ``static_files`` (called first by ``app.py``)."""
    return static_files(str(STATIC_DIR))
