"""Moving a whole registry between stores (GeoPackage <-> PostGIS), history included."""

from __future__ import annotations

from registry.store.base import Store

__all__ = ["copy_registry"]


def copy_registry(source: Store, target: Store, replace: bool = False) -> dict[str, int]:
    """Copy every entry as it is (ids, versions, owners, deleted ones too), the whole
    history, the users and the imported indicator series from ``source`` to ``target``.

    ``target`` is created when needed and written in one transaction; it must be empty
    unless ``replace``. Returns the number of rows copied per table.
    """
    if not target.is_initialized():
        target.init()
    else:
        target.migrate()
    source.migrate()
    tables = source.dump()
    target.load(tables, replace=replace)
    return {name: len(rows) for name, rows in tables.items()}
