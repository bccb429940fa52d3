"""PostGIS lists read as Arrow (``registry.store.pg_arrow``): the same frames as the
GeoPackage store gives for the same registry, values bound rather than written into the
statement, safe under threads, and a plain error when the server cannot be reached."""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest

from registry.api import Registry
from registry.errors import StorageError
from registry.store import Filters
from registry.store.copy import copy_registry
from registry.store.pg_arrow import ArrowReader
from registry.store.postgis import PostGISStore
from tests.conftest import ADMIN, iap_values

pytestmark = pytest.mark.postgis


def _assert_same(gpkg: gpd.GeoDataFrame, pg: gpd.GeoDataFrame) -> None:
    assert list(gpkg.columns) == list(pg.columns)
    assert gpkg.crs == pg.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(gpkg.drop(columns="geometry")), pd.DataFrame(pg.drop(columns="geometry"))
    )
    same = gpd.GeoSeries(gpkg.geometry).geom_equals_exact(pg.geometry, 0)
    missing = gpkg.geometry.isna() & pg.geometry.isna()
    assert (same | missing).all()


@pytest.fixture
def both(seeded: Registry, postgis_store: PostGISStore) -> tuple[Registry, Registry]:
    """The bundled registry, plus entries with hostile text and missing values, in both
    stores."""
    for name in ("Cl'úster ; DROP TABLE initiatives; --", "100% \\ _ «comillas»"):
        seeded.create(iap_values(name=name, n_firms=None, website=None), ADMIN)
    # what a CSV reading must keep: separators, quotes and line breaks inside a value,
    # a value that looks like a number or a boolean, NULL apart from text
    seeded.create(
        iap_values(
            name='Red "norte", sur',
            notes='línea 1\nlínea 2, con "comillas"\r\n\n,"",\\N',
            sector_detail="05",
            locality="t",
            participatory_governance=False,
            goals_strategy="f",
        ),
        ADMIN,
    )
    copy_registry(seeded.store, postgis_store)
    return seeded, Registry(store=postgis_store)


@pytest.mark.parametrize(
    "filters",
    [
        None,
        Filters(region=("13",)),
        Filters(sector=("tourism", "food_beverages"), status=("published",)),
        Filters(q="barrio"),
        Filters(q="100% \\"),
        Filters(q="Cl'úster ; DROP TABLE initiatives; --"),
        Filters(start_year_min=2015, start_year_max=2022),
        Filters(focus=("innovation", "quality"), funding=("public_national",)),
    ],
)
def test_a_postgis_list_is_the_frame_the_geopackage_store_gives(
    both: tuple[Registry, Registry], filters: Filters | None
) -> None:
    gpkg, pg = both
    expected = gpkg.store.list(filters)
    got = pg.store.list(filters)
    assert len(expected) > 0  # each filter selects something
    _assert_same(expected, got)
    assert len(pg.store.list(None)) == len(gpkg.store.list(None)) >= 60


def test_a_postgis_list_of_some_columns_and_of_deleted_entries(
    both: tuple[Registry, Registry],
) -> None:
    gpkg, pg = both
    columns = ["id", "name", "n_firms", "start_year", "deleted", "region_code"]
    _assert_same(gpkg.store.list(None, columns=columns), pg.store.list(None, columns=columns))
    rid = pg.store.list(None)["id"].iloc[0]
    version = int(pg.store.get(rid)["version"])
    pg.delete(rid, version, ADMIN)
    frame = pg.store.list(None, include_deleted=True)
    assert bool(frame.loc[frame["id"] == rid, "deleted"].iloc[0]) is True
    assert rid not in set(pg.store.list(None)["id"])


def test_a_list_without_geometry_is_the_same_table_on_both_stores(
    both: tuple[Registry, Registry],
) -> None:
    gpkg, pg = both
    columns = ["sector", "region_code", "n_firms", "kind"]
    expected = gpkg.store.list(Filters(region=("13",)), columns=columns, geometry=False)
    got = pg.store.list(Filters(region=("13",)), columns=columns, geometry=False)
    assert not isinstance(got, gpd.GeoDataFrame) and set(got.columns) == set(columns)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(pd.DataFrame(expected), got)


def test_an_empty_list_has_the_columns_and_no_rows(both: tuple[Registry, Registry]) -> None:
    gpkg, pg = both
    nothing = Filters(q="no-such-word-anywhere")
    expected, got = gpkg.store.list(nothing), pg.store.list(nothing)
    assert len(got) == 0 and list(got.columns) == list(expected.columns)
    assert got.crs == "EPSG:4326"


def test_reads_from_many_threads_at_once_agree(both: tuple[Registry, Registry]) -> None:
    _, pg = both
    reference = pg.store.list(Filters(region=("13",)))
    errors: list[BaseException] = []
    sizes: list[int] = []

    def reader() -> None:
        try:
            for _ in range(10):
                frame = pg.store.list(Filters(region=("13",)))
                assert frame["id"].tolist() == reference["id"].tolist()
                sizes.append(len(frame))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sizes == [len(reference)] * 80 and len(reference) > 0


def test_long_texts_with_line_breaks_read_whole(postgis_store: PostGISStore) -> None:
    """More text than the CSV reader takes in one block (1 MB), with line breaks inside
    quoted values wherever a block may end: every value comes back as written."""
    pg = Registry(store=postgis_store)
    texts = [
        "\n".join(f'{i}: párrafo {k}, con "comillas"' for k in range(260))[:9_000]
        for i in range(150)
    ]
    models = [pg.validate(iap_values(name=f"Texto {i}", notes=t)) for i, t in enumerate(texts)]
    postgis_store.apply_batch(models, [], "admin")
    frame = pg.list(columns=["name", "notes"], geometry=False)
    assert sum(map(len, frame["notes"])) > 1_200_000
    assert dict(zip(frame["name"], frame["notes"], strict=True)) == {
        f"Texto {i}": t for i, t in enumerate(texts)
    }


def test_a_list_longer_than_a_block_comes_in_one_piece(postgis_store: PostGISStore) -> None:
    """The CSV reader gives a table in pieces, one per 1 MB block; the frame must hold each
    column whole, as GDAL's reader gives it on GeoPackage. The OGC API keeps a list as an
    Arrow table and takes a page's rows from it on every request; from a table in pieces
    that took 5 times as long (0.91 ms against 0.18 ms a page at 20,000 entries), and the
    API served 251 bbox pages a second at 100,000 entries instead of 645 (``bench.api``)."""
    pg = Registry(store=postgis_store)
    models = [pg.validate(iap_values(name=f"Texto {i}", notes="x" * 9_000)) for i in range(150)]
    postgis_store.apply_batch(models, [], "admin")
    frame = pg.list(columns=["name", "notes"])
    assert sum(map(len, frame["notes"])) > 1_200_000  # more than one block
    table = pa.Table.from_pandas(frame.drop(columns="geometry"), preserve_index=False)
    assert {name: table.column(name).num_chunks for name in table.column_names} == {
        name: 1 for name in table.column_names
    }


def test_an_unreachable_server_is_a_plain_error_without_the_password() -> None:
    reader = ArrowReader(
        "postgresql://iap:secreto@127.0.0.1:1/registro", "postgresql://iap:***@127.0.0.1:1/registro"
    )
    from registry.store.sql import _list_query

    with pytest.raises(StorageError) as info:
        reader.frame(_list_query(None, False))
    message: Any = info.value.user_msg
    assert "postgresql://iap:***@127.0.0.1:1/registro" in message
    assert "secreto" not in message
