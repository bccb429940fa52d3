"""How entries are written: rows, history texts and geometry blobs, built a batch at a time,
equal to what the one-at-a-time encoders give."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
from sqlalchemy.sql.elements import quoted_name

from registry.store.gpkg_binary import encode, encode_many
from registry.store.tables import record_to_json, records_json

GEOMETRIES = [
    shapely.Point(-70.123456789012345, -33.98765432109876),
    shapely.LineString([(-73.2459, -39.8142), (-73.244, -39.815)]),
    shapely.Polygon(
        [(0, 0), (1, 0), (1, 1), (0, 0)], holes=[[(0.6, 0.2), (0.8, 0.2), (0.8, 0.3), (0.6, 0.2)]]
    ),
    shapely.MultiPoint([(1e-9, 2.5), (179.999999999, -89.5)]),
    shapely.from_wkt("POINT EMPTY"),
    None,
]


def test_history_texts_read_back_as_the_records() -> None:
    records = [
        {
            "id": f"r{i}",
            "name": 'Ñuñoa «centro» "x" \\ \u2028',
            "last_verified": dt.date(2025, 3, 1),
            "other_countries": ["AR", "PE"],
            "n_firms": 10**12,
            "share": 0.1 + 0.2,
            "geometry": geometry,
        }
        for i, geometry in enumerate(GEOMETRIES)
    ]
    records += [None, {quoted_name("goal_id", None): "g1", "value": 1.5, "period": "2025-Q2"}]
    texts = records_json(records)
    assert texts[-2] is None
    for record, text in zip(records, texts, strict=True):
        if record is not None:
            assert json.loads(text) == json.loads(json.dumps(record_to_json(record)))


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "None" if g is None else g.geom_type)
def test_geopackage_blobs_of_a_batch_equal_one_by_one(geometry: object) -> None:
    batch = [GEOMETRIES[0], geometry, GEOMETRIES[1]]
    assert encode_many(batch) == [encode(g) for g in batch]
