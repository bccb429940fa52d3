"""What only the GeoPackage store does: a valid GeoPackage in WAL, its extent, backups,
columnar reads through GDAL and bulk loading."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from registry.api import Registry
from registry.errors import Conflict
from registry.schema import validate_record
from registry.store import Filters
from tests.conftest import ADMIN, barrio_values, iap_values


def test_file_is_valid_geopackage_in_wal(registry: Registry, gpkg_store) -> None:
    registry.create(barrio_values(), ADMIN)
    with closing(sqlite3.connect(gpkg_store.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        rtree = conn.execute("SELECT count(*) FROM rtree_initiatives_geom").fetchone()[0]
        extent = conn.execute(
            "SELECT min_x, max_y FROM gpkg_contents WHERE table_name='initiatives'"
        ).fetchone()
    assert rtree == 1
    assert extent[0] == pytest.approx(-73.2459, abs=1e-4)
    assert extent[1] == pytest.approx(-39.8142, abs=1e-4)


def test_backup_is_a_consistent_registry(registry: Registry, gpkg_store, tmp_path) -> None:
    rec = registry.create(iap_values(), ADMIN)
    gpkg_store.backup(str(tmp_path / "copy.gpkg"))
    copy = Registry(str(tmp_path / "copy.gpkg"))
    assert copy.get(rec["id"])["name"] == rec["name"]
    assert len(copy.history(rec["id"])) == 1


def test_extent_covers_every_write(registry: Registry, gpkg_store) -> None:
    a = registry.create(iap_values(), ADMIN)  # Santiago
    b = registry.create(barrio_values(), ADMIN)  # Valdivia, further south and west
    moved = registry.update(a["id"], {"geometry": "POINT (-70.40 -23.65)"}, 1, ADMIN)  # north
    registry.delete(b["id"], 1, ADMIN)
    with closing(sqlite3.connect(gpkg_store.path)) as conn:
        x0, y0, x1, y1 = conn.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='initiatives'"
        ).fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the extent covers everything stored (it may stay larger than the data: informative)
    for geom in (moved["geometry"], a["geometry"], b["geometry"]):
        gx0, gy0, gx1, gy1 = geom.bounds
        assert x0 <= gx0 and y0 <= gy0 and x1 >= gx1 and y1 >= gy1


def test_columnar_list_equals_the_row_path_for_hostile_filter_values(
    registry: Registry, gpkg_store
) -> None:
    """The GeoPackage store reads lists through GDAL with the values inlined in the SQL;
    quotes, LIKE wildcards, backslashes and NUL must mean what they mean on the row path."""
    from registry.store.sql import SqlStore, _list_query

    registry.create(iap_values(name="O'Higgins 100% \\ _x_", n_firms=7), ADMIN)
    registry.create(barrio_values(name="Barrio Esmeralda", status="draft"), ADMIN)
    cases = [
        Filters(),
        Filters(q="o'higgins"),
        Filters(q="100%"),
        Filters(q="\\ _x_"),
        Filters(q="%"),
        Filters(q="_"),
        Filters(q="x\x00y"),
        Filters(sector=("tourism'); DROP TABLE initiatives; --",)),
        Filters(region=("13", "14"), readable_by="o'neil"),
        Filters(readable_by=""),
    ]
    seen = []
    for filters in cases:
        fast = gpkg_store.list(filters)
        rows = SqlStore._frame(gpkg_store, _list_query(filters, False))  # the row reader
        assert fast["id"].tolist() == rows["id"].tolist(), filters
        for column in rows.columns:
            if rows[column].notna().any():
                same = fast[column].reset_index(drop=True).equals(rows[column])
                assert same, (filters, column)
        seen.append(len(fast))
    assert seen == [2, 1, 1, 1, 1, 1, 0, 0, 1, 1]  # "%" and "_" match themselves only
    assert len(registry.list()) == 2  # the DROP TABLE attempt was only a value


def test_search_folding_drops_exactly_the_combining_marks() -> None:
    import random
    import unicodedata

    from registry.store.tables import fold

    def by_definition(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()

    rng = random.Random(5)
    samples = ["Ñuñoa", "Peñalolén", "ＦＵＬＬ", "ﬁesta", "हिन्दी", "Ελληνικά", "x\u0301\u0327"]
    samples += ["".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(40)) for _ in range(2000)]
    assert [fold(s) for s in samples] == [by_definition(s) for s in samples]
    assert fold("Ñuñoa") == "nunoa"


def _gpkg_state(path) -> tuple:
    with closing(sqlite3.connect(path)) as conn:
        rtree = sorted(
            conn.execute(
                "SELECT coalesce(i.external_id, i.name), r.minx, r.maxx, r.miny, r.maxy "
                "FROM rtree_initiatives_geom r JOIN initiatives i ON i.fid = r.id"
            )
        )
        counts = conn.execute(
            "SELECT table_name, feature_count FROM gpkg_ogr_contents ORDER BY 1"
        ).fetchall()
        triggers = sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT rtreecheck('rtree_initiatives_geom')").fetchone() == ("ok",)
    return rtree, counts, triggers


def test_bulk_loading_leaves_the_same_geopackage_as_row_by_row(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyogrio

    from bench.generate import ADMIN as BENCH_ADMIN
    from bench.generate import write_csv
    from registry.store import gpkg

    rows = write_csv(60, tmp_path / "rows.csv", seed=2)
    states = {}
    for mode, limit in (("row", 10**9), ("bulk", 10)):
        monkeypatch.setattr(gpkg, "BULK_ROWS", limit)
        reg = Registry(str(tmp_path / f"{mode}.gpkg"))
        reg.init()
        reg.create(iap_values(), ADMIN)  # the batch's fids continue after it
        assert reg.import_file(rows, BENCH_ADMIN).created == 60
        states[mode] = _gpkg_state(tmp_path / f"{mode}.gpkg")
    assert len(states["bulk"][0]) == 61
    assert states["bulk"] == states["row"]
    # the triggers are back: a later move updates the spatial index, and GDAL finds it there
    first = reg.list(Filters(q="sintetica")).iloc[0]
    reg.update(first["id"], {"geometry": "POINT (-70.6506 -33.4372)"}, first["version"], ADMIN)
    _gpkg_state(tmp_path / "bulk.gpkg")
    near = pyogrio.read_dataframe(
        tmp_path / "bulk.gpkg", layer="initiatives", bbox=(-70.66, -33.45, -70.64, -33.43)
    )
    assert first["id"] in set(near["id"])


def test_a_failed_bulk_batch_restores_the_triggers_and_changes_nothing(
    registry: Registry, gpkg_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.store import gpkg

    monkeypatch.setattr(gpkg, "BULK_ROWS", 2)
    existing = registry.create(iap_values(), ADMIN)
    before = _gpkg_state(gpkg_store.path)
    new = [validate_record(iap_values(name=f"Nueva {i}")) for i in range(5)]
    stale = (existing["id"], validate_record(iap_values(name="Otra")), existing["version"] + 7)
    with pytest.raises(Conflict):
        gpkg_store.apply_batch(new, [stale], "admin")  # fails after the bulk insert
    assert _gpkg_state(gpkg_store.path) == before
    assert len(registry.list()) == 1
