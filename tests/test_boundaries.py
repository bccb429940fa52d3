"""Boundaries and reverse geocoding against the installed DPA 2023 data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import shapely

from registry.geo import boundary_status, comunas, regions, reverse_geocode
from registry.geo.boundaries import DISPLAY, GAP_WIDTH_DEG


def test_all_comunas_and_regions_present() -> None:
    com, reg = comunas(), regions()
    assert len(com) == 345 and com.comuna_code.is_unique
    assert sorted(reg.region_code) == [f"{i:02d}" for i in range(1, 17)]
    assert set(com.region_code) == set(reg.region_code)
    assert com.geometry.is_valid.all() and not com.geometry.is_empty.any()
    assert reg.geometry.is_valid.all() and not reg.geometry.is_empty.any()
    # region polygons are exactly the union of their comunas: areas add up
    per_region = (
        pd.Series(shapely.area(com.geometry.values)).groupby(com.region_code.to_numpy()).sum()
    )
    np.testing.assert_allclose(shapely.area(reg.geometry.values), per_region.to_numpy(), rtol=1e-9)


def test_full_layers_are_clean_coverages() -> None:
    assert shapely.coverage_is_valid(comunas().geometry.values)
    assert shapely.coverage_is_valid(regions().geometry.values)


def test_representative_point_of_every_comuna_geocodes_to_it() -> None:
    com = comunas()
    pts = com.geometry.representative_point()
    found = reverse_geocode(pts.x.to_numpy(), pts.y.to_numpy())
    assert found.comuna_code.tolist() == com.comuna_code.tolist()
    assert found.region_code.tolist() == com.region_code.tolist()
    assert found.comuna_name.tolist() == com.comuna_name.tolist()


def test_sea_gets_nothing_and_abroad_gets_its_admin1_but_no_comuna() -> None:
    sea = {"Pacific, 100 km off Valparaíso": (-72.8, -33.0), "off Antofagasta": (-71.5, -23.6)}
    abroad = {
        "Mendoza, Argentina": ((-68.84, -32.89), "AR-M"),
        "Lima, Peru": ((-77.04, -12.05), "PE-LMA"),
        "La Paz, Bolivia": ((-68.15, -16.5), "BO-L"),
        "Salta, Argentina": ((-65.41, -24.79), "AR-A"),
        "Bogotá, Colombia": ((-74.07, 4.71), "CO-DC"),
    }
    lon, lat = zip(*sea.values(), strict=True)
    found = reverse_geocode(lon, lat)
    assert found.isna().all().all(), found
    lon, lat = zip(*(p for p, _ in abroad.values()), strict=True)
    found = reverse_geocode(lon, lat)
    assert found.comuna_code.isna().all()
    assert found.region_code.tolist() == [code for _, code in abroad.values()]
    assert found.region_name.iloc[-1] == "Bogotá"


def test_reverse_geocoding_100k_points_is_fast() -> None:
    com = comunas()
    pts = com.sample_points(300, rng=np.random.default_rng(7)).explode()
    lon, lat = pts.x.to_numpy()[:100_000], pts.y.to_numpy()[:100_000]
    assert len(lon) == 100_000
    reverse_geocode(lon[:10], lat[:10])  # build the index outside the timing
    start = time.perf_counter()
    found = reverse_geocode(lon, lat)
    elapsed = time.perf_counter() - start
    assert found.comuna_code.notna().all()
    # not a benchmark: a generous bound that catches a fall back to one query per point
    assert elapsed < 1.0, elapsed


def test_display_layers_keep_shared_borders_shared() -> None:
    for level, full, simple in (
        ("region", regions(), regions(simplified=True)),
        ("comuna", comunas(), comunas(simplified=True)),
    ):
        geoms = simple.geometry.values
        assert len(simple) == len(full)
        assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
        # no overlaps, and every shared border is one identical line on both sides
        assert shapely.coverage_is_valid(geoms), level
        # no slivers: the simplified union has no hole that the full union does not have
        full_holes = shapely.union_all(
            [
                shapely.Polygon(r)
                for p in shapely.get_parts(shapely.coverage_union_all(full.geometry.values))
                for r in p.interiors
            ]
        )
        new_holes = [
            shapely.Polygon(r)
            for p in shapely.get_parts(shapely.coverage_union_all(geoms))
            for r in p.interiors
            if not shapely.Polygon(r).intersects(full_holes)
        ]
        assert new_holes == [], (level, len(new_holes))
        # same territory within the stated tolerance: under 1 % of the area differs
        diff = shapely.area(shapely.symmetric_difference(geoms, full.geometry.values)).sum()
        assert diff / shapely.area(full.geometry.values).sum() < 0.01, (level, diff)
        # neighbours stay neighbours
        sindex = full.sindex
        a, b = sindex.query(full.geometry.values, predicate="touches")
        pairs = {(i, j) for i, j in zip(a, b, strict=True) if i < j}
        for i, j in pairs:
            if (
                shapely.length(
                    shapely.intersection(full.geometry.values[i], full.geometry.values[j])
                )
                > DISPLAY[level].tolerance * 5
            ):
                assert shapely.touches(geoms[i], geoms[j]) or shapely.intersects(
                    geoms[i], geoms[j]
                ), (level, i, j)
    assert GAP_WIDTH_DEG < DISPLAY["comuna"].tolerance


def test_boundary_status_says_what_is_installed() -> None:
    cl = boundary_status("CL")
    assert cl["installed"] is True and cl["regions"] == 16 and cl["comunas"] == 345
    co = boundary_status("CO")
    assert co["installed"] is True and co["regions"] == 33 and "comunas" not in co
    assert "Natural Earth" in str(co["source"])
    assert boundary_status("LC") == {"country": "LC", "installed": False}


def test_few_and_many_point_paths_agree_even_on_borders(monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.geo import locate

    com = comunas()
    inner = com.sample_points(5, rng=np.random.default_rng(3)).explode()
    # vertices of the cleaned coverage lie on borders shared by two comunas
    border = shapely.get_coordinates(com.geometry.values.boundary)[::97]
    lon = np.r_[inner.x.to_numpy(), border[:, 0], -80.0, np.nan, -70.65]
    lat = np.r_[inner.y.to_numpy(), border[:, 1], -33.0, -33.0, np.inf]
    monkeypatch.setattr(locate, "_FEW_POINTS", 0)
    many = reverse_geocode(lon, lat)
    monkeypatch.setattr(locate, "_FEW_POINTS", 10**9)
    few = reverse_geocode(lon, lat)
    assert len(border) > 1000
    assert few.equals(many)
    assert many.comuna_code.notna().sum() == len(lon) - 3  # all but sea, NaN and inf


def test_names_read_without_polygons_are_the_boundaries_names(tmp_path, monkeypatch) -> None:
    """``default_names`` (what lists and tables use) gives every admin-1 unit and comuna the
    name and order ``admin1()`` and ``comunas()`` give it, from its cache file too."""
    from registry.geo.boundaries import admin1, default_names

    monkeypatch.setenv("IAP_REGISTRY_CACHE", str(tmp_path))
    expected = (
        dict(zip(admin1().region_code, admin1().region_name, strict=True)),
        dict(zip(comunas().comuna_code, comunas().comuna_name, strict=True)),
    )
    for attempt in ("built", "from the cache file"):
        default_names.cache_clear()
        units, comunas_ = default_names()
        assert list(units.items()) == list(expected[0].items()), attempt
        assert list(comunas_.items()) == list(expected[1].items()), attempt
        assert len(units) == 497 and len(comunas_) == 345
        assert len(list(tmp_path.glob("names-*.json"))) == 1
    with pytest.raises(TypeError):  # shared by every caller: read-only
        units["05"] = "x"  # type: ignore[index]
    default_names.cache_clear()
