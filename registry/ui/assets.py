"""Leaflet and its plugins served by the app itself, from installed packages (no CDN).

The files come from the ``xstatic-leaflet`` and ``xstatic-leaflet-markercluster`` packages
and are copied into the app's ``static/vendor`` folder (Streamlit serves it at
``/app/static`` with ``server.enableStaticServing``) when the app starts. Nothing from them
is committed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_cluster

__all__ = ["CSS", "JS", "STATIC_URL", "ensure_assets"]

STATIC_URL = "/app/static/vendor"
_SOURCES = {
    "leaflet": (Path(xs_leaflet.BASE_DIR), ("leaflet.js", "leaflet.css", "images")),
    "markercluster": (
        Path(xs_cluster.BASE_DIR),
        ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
    ),
}
_STAMP = f"leaflet {xs_leaflet.VERSION}; markercluster {xs_cluster.VERSION}"

# versioned, so that browsers keep them (``registry.ui.files``)
_L, _C = f"?v={xs_leaflet.VERSION}", f"?v={xs_cluster.VERSION}"
JS = {
    "leaflet": f"{STATIC_URL}/leaflet/leaflet.js{_L}",
    "markercluster": f"{STATIC_URL}/markercluster/leaflet.markercluster.js{_C}",
}
CSS = {
    "leaflet": f"{STATIC_URL}/leaflet/leaflet.css{_L}",
    "markercluster": f"{STATIC_URL}/markercluster/MarkerCluster.css{_C}",
    "markercluster_default": f"{STATIC_URL}/markercluster/MarkerCluster.Default.css{_C}",
}


def ensure_assets(static_dir: Path) -> Path:
    """Copy the Leaflet files into ``static_dir/vendor`` unless the same versions are there.

    Returns the vendor folder.
    """
    vendor = static_dir / "vendor"
    stamp = vendor / "VERSIONS"
    if stamp.exists() and stamp.read_text() == _STAMP:
        return vendor
    tmp = static_dir / "vendor.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    for name, (base, items) in _SOURCES.items():
        (tmp / name).mkdir(parents=True)
        for item in items:
            src = base / item
            if src.is_dir():
                shutil.copytree(src, tmp / name / item)
            else:
                shutil.copy2(src, tmp / name / item)
    (tmp / "VERSIONS").write_text(_STAMP)
    shutil.rmtree(vendor, ignore_errors=True)
    tmp.rename(vendor)
    return vendor
