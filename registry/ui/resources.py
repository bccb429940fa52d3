"""Caches: the registry handle (resource) and reads keyed by the data version.

Every read cached here takes the registry's ``data_version`` as its first argument, so a
write anywhere (this app, the command line, another office) invalidates it at the next
rerun; cached objects are never mutated.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import numpy as np
import shapely
import streamlit as st

from registry.api import Registry
from registry.seed import seed
from registry.store import Filters

__all__ = ["entries", "indicators", "osm_reachable", "outlines", "registry", "version"]


@st.cache_resource
def registry() -> Registry:
    """Open the registry of ``IAP_REGISTRY_DB``; create it and load the bundled data on the
    first start."""
    reg = Registry(os.environ.get("IAP_REGISTRY_DB") or None)
    if not reg.store.is_initialized():
        reg.init()
        seed(reg, reg.actor("iap-registry"))  # no users yet: the operator acts as admin
    return reg


def version() -> int:
    """The registry's data version (changes with every write)."""
    return registry().data_version()


@st.cache_data(max_entries=32, show_spinner=False)
def entries(_version: int, key: str, _filters: Filters, _viewer: Any) -> Any:
    """The entries matching the filters that the viewer may see (``key`` names both)."""
    return registry().list(_filters, viewer=_viewer)


@st.cache_data(max_entries=4, show_spinner=False)
def indicators(_version: int) -> Any:
    """The regional indicator table (bundled, imported and derived)."""
    return registry().indicators()


@st.cache_resource
def outlines() -> tuple[dict[str, Any], dict[str, Any]]:
    """Simplified regions and comunas as GeoJSON, coordinates rounded to 4 decimals."""
    reg = registry()
    out = []
    for frame in (reg.boundaries("region"), reg.boundaries("comuna")):
        frame = frame.copy()
        frame["geometry"] = shapely.transform(frame.geometry.values, lambda c: np.round(c, 4))
        out.append(json.loads(frame.to_json(drop_id=True)))
    return out[0], out[1]


@st.cache_resource(ttl=600)
def osm_reachable() -> bool:
    """Whether OpenStreetMap's tile server answers (checked at most every 10 minutes)."""
    if os.environ.get("IAP_REGISTRY_OFFLINE"):
        return False
    try:
        socket.create_connection(("tile.openstreetmap.org", 443), timeout=1.5).close()
        return True
    except OSError:
        return False
