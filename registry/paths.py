"""Where the bundled data lives, and where derived files are kept between runs."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "geodata_dir"]


def geodata_dir() -> Path:
    """Return the bundled data folder (``IAP_REGISTRY_GEODATA`` overrides it)."""
    override = os.environ.get("IAP_REGISTRY_GEODATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "geodata"


def cache_dir() -> Path:
    """Return the directory for derived, rebuildable files (``IAP_REGISTRY_CACHE``).

    Defaults to ``$XDG_CACHE_HOME/iap-registry`` (``~/.cache/iap-registry``).
    """
    env = os.environ.get("IAP_REGISTRY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "iap-registry"
