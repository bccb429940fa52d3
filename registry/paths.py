"""Where the bundled data lives."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["geodata_dir"]


def geodata_dir() -> Path:
    """Return the bundled data folder (``IAP_REGISTRY_GEODATA`` overrides it)."""
    override = os.environ.get("IAP_REGISTRY_GEODATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "geodata"
