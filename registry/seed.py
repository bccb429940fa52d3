"""Load the bundled, sourced sample data from ``geodata/`` (idempotent).

Entries already present (same ``external_id``) are left as they are, so running ``seed``
again, or on every start, never overwrites what coordinators have edited since.
"""

from __future__ import annotations

from registry.api import ImportReport, Registry
from registry.auth import Actor
from registry.paths import geodata_dir

__all__ = ["SEED_FILES", "geodata_dir", "seed"]

SEED_FILES = ("barrios_comerciales.csv", "iap_examples.csv")


def seed(registry: Registry, actor: Actor) -> ImportReport:
    """Import every seed file, adding only the entries that are not there yet."""
    total = ImportReport()
    for name in SEED_FILES:
        report = registry.import_file(geodata_dir() / name, actor, only_new=True)
        total.created += report.created
        total.unchanged += report.unchanged
    return total
