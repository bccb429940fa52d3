"""Boundary figures for issue 3: reverse geocoding speed and display-layer fidelity.

Run: ``.venv/bin/python bench/boundaries.py``. Reverse geocoding is compared with
``geopandas.sjoin(predicate="within")`` on the same points in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

from registry.geo.boundaries import comunas, regions
from registry.geo.locate import reverse_geocode

RUNS = 5
N = 100_000


def _median(fn: Callable[[], object]) -> tuple[float, float, float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), min(times), max(times)


def main() -> None:
    com, reg = comunas(), regions()
    pts = com.sample_points(300, rng=np.random.default_rng(7)).explode()
    lon, lat = pts.x.to_numpy()[:N], pts.y.to_numpy()[:N]
    reverse_geocode(lon[:10], lat[:10])  # index built outside the timing
    ours = _median(lambda: reverse_geocode(lon, lat))
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    # a fresh copy per run: geopandas caches its index over the points on the frame
    ref = _median(lambda: gpd.sjoin(frame.copy(), com[["geometry"]], predicate="within"))
    print(f"reverse geocoding of {N:,} points, median of {RUNS} (min-max):")
    print(f"  registry.geo.locate  {ours[0]:.3f} s ({ours[1]:.3f}-{ours[2]:.3f})")
    print(f"  geopandas.sjoin      {ref[0]:.3f} s ({ref[1]:.3f}-{ref[2]:.3f})")
    print(f"  ratio                {ours[0] / ref[0]:.2f}")
    print("display layers (simplified vs full):")
    for level, full, simple in (
        ("region", reg, regions(simplified=True)),
        ("comuna", com, comunas(simplified=True)),
    ):
        g, f = simple.geometry.values, full.geometry.values
        share = shapely.area(shapely.symmetric_difference(g, f)).sum() / shapely.area(f).sum()
        print(
            f"  {level:6}  {len(simple)} polygons, area differing {share * 100:.3f} %, "
            f"valid coverage {shapely.coverage_is_valid(g)}, vertices "
            f"{shapely.get_num_coordinates(f).sum():,} -> {shapely.get_num_coordinates(g).sum():,}"
        )


if __name__ == "__main__":
    main()
