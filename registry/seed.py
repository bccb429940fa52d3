"""Load the bundled, sourced sample data from ``geodata/`` (idempotent).

Entries already present (same ``external_id``) are left as they are, so running ``seed``
again, or on every start, never overwrites what coordinators have edited since.
"""

from __future__ import annotations

import os
from pathlib import Path

from registry.api import ImportReport, Registry
from registry.auth import Actor

__all__ = ["SEED_FILES", "geodata_dir", "seed"]

SEED_FILES = ("barrios_comerciales.csv", "iap_examples.csv")


def geodata_dir() -> Path:
    """Return the bundled data folder (``IAP_REGISTRY_GEODATA`` overrides it)."""
    override = os.environ.get("IAP_REGISTRY_GEODATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "geodata"


def seed(registry: Registry, actor: Actor) -> ImportReport:
    """Import every seed file, adding only the entries that are not there yet."""
    total = ImportReport()
    for name in SEED_FILES:
        report = registry.import_file(geodata_dir() / name, actor, only_new=True)
        total.created += report.created
        total.unchanged += report.unchanged
    return total
