"""Synthetic registries for benchmarks: N entries with every field filled with valid codes.

Entries are spread over Chile's regions in proportion to their employed persons (INE, mean of
the 2022 quarters, from ``geodata/regional_indicators.csv``) as a stand-in for population, then
uniformly over the comunas of each region and uniformly inside each comuna's polygon.
A quarter are barrios comerciales; of those, half are drawn as a street (a line of 2-4
vertices about 100-300 m long inside the comuna), the rest as points. Names say "sintética":
these rows are never shipped as data.

Run: ``.venv/bin/python bench/generate.py N OUT.csv`` (CSV as ``iap-registry import`` reads
it), or call ``build_registry(n, path)`` for a ready GeoPackage registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from registry.api import Registry
from registry.auth import Actor
from registry.geo.boundaries import comunas
from registry.paths import geodata_dir
from registry.schema.codes import code_codes

__all__ = ["add_monitoring", "build_registry", "generate", "write_csv"]

ADMIN = Actor("bench", "admin")
BARRIO_SHARE = 0.25
STREET_SHARE = 0.5  # of barrios
_STATUSES = ("published",) * 8 + ("submitted", "draft")


def _region_weights() -> pd.Series:
    """Share of each region in Chile's employed persons (mean of INE's 2022 quarters)."""
    table = pd.read_csv(geodata_dir() / "regional_indicators.csv", dtype={"region_code": str})
    rows = table[
        (table["indicator"] == "employed_thousands")
        & (table["year"] == 2022)
        & (table["region_code"] != "00")
    ]
    weights = rows.groupby("region_code")["value"].mean()
    return weights / weights.sum()


def _points_in(polygons: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform random points inside each polygon (rejection sampling on its bounds)."""
    out = []
    for poly, k in zip(polygons, counts, strict=True):
        if k == 0:
            continue
        shapely.prepare(poly)
        x0, y0, x1, y1 = poly.bounds
        got: list[np.ndarray] = []
        need = int(k)
        while need > 0:
            xs = rng.uniform(x0, x1, need * 3 + 8)
            ys = rng.uniform(y0, y1, need * 3 + 8)
            inside = shapely.contains_xy(poly, xs, ys)
            pts = np.column_stack([xs[inside], ys[inside]])[:need]
            got.append(pts)
            need -= len(pts)
        out.append(np.concatenate(got))
    return np.concatenate(out) if out else np.empty((0, 2))


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """Return ``n`` synthetic entries as import rows (``wkt`` holds the geometry).

    Examples
    --------
    >>> frame = generate(50, seed=1)
    >>> len(frame), frame["kind"].isin(["iap", "barrio_comercial"]).all()
    (50, True)
    """
    rng = np.random.default_rng(seed)
    com = comunas()
    weights = _region_weights()
    region = rng.choice(weights.index.to_numpy(), size=n, p=weights.to_numpy())
    by_region = {r: np.flatnonzero(com["region_code"].to_numpy() == r) for r in weights.index}
    comuna_idx = np.array([rng.choice(by_region[r]) for r in region]) if n else np.array([])
    order = np.argsort(comuna_idx, kind="stable")
    counts = np.bincount(comuna_idx.astype(int), minlength=len(com)) if n else np.zeros(0)
    pts = np.empty((n, 2))
    pts[order] = _points_in(com.geometry.to_numpy(), counts, rng)
    barrio = rng.random(n) < BARRIO_SHARE
    street = barrio & (rng.random(n) < STREET_SHARE)
    wkt = []
    for i in range(n):
        x, y = pts[i]
        if street[i]:
            k = int(rng.integers(2, 5))
            angle = rng.uniform(0, np.pi)
            step = rng.uniform(0.0005, 0.001)  # about 50-100 m per segment
            xs = x + np.cos(angle) * step * np.arange(k)
            ys = y + np.sin(angle) * step * np.arange(k) + rng.normal(0, 0.00005, k)
            wkt.append(shapely.LineString(np.column_stack([xs, ys]).round(6)).wkt)
        else:
            wkt.append(f"POINT ({x:.6f} {y:.6f})")

    def pick(list_name: str, size: int = n) -> np.ndarray:
        return rng.choice(np.array(code_codes(list_name)), size=size)

    initiative = pick("initiative_type")
    initiative[barrio] = "commercial_district"
    sector = pick("sector")
    sector[barrio] = "retail_commerce"
    program = pick("program")
    stages = np.array(code_codes("stage"))
    barrio_stages = np.array([c for c in stages if c.startswith("barrio_")])
    iap_stages = np.array([c for c in stages if not c.startswith("barrio_")])
    stage = np.where(barrio, rng.choice(barrio_stages, n), rng.choice(iap_stages, n))
    frame = pd.DataFrame(
        {
            "external_id": [f"synthetic:{seed}:{i}" for i in range(n)],
            "name": [
                ("Barrio comercial" if b else "Iniciativa") + f" sintética {i}"
                for i, b in enumerate(barrio)
            ],
            "kind": np.where(barrio, "barrio_comercial", "iap"),
            "initiative_type": initiative,
            "country": "CL",
            "location_precision": np.where(street, "street", "exact"),
            "sector": sector,
            "strategic_focus": pick("strategic_focus"),
            "funding_source": pick("funding_source"),
            "program": program,
            "stage": stage,
            "status": rng.choice(np.array(_STATUSES), size=n),
            "start_year": rng.integers(2005, 2025, size=n),
            "n_firms": rng.integers(3, 400, size=n),
            "lead_organization": [f"Organización sintética {i % 997}" for i in range(n)],
            "goals_strategy": "Texto sintético para pruebas de rendimiento.",
            "wkt": wkt,
        }
    )
    return frame


def write_csv(n: int, path: str | Path, seed: int = 0) -> Path:
    """Write ``n`` synthetic entries as a CSV that ``iap-registry import`` accepts."""
    path = Path(path)
    generate(n, seed).to_csv(path, index=False)
    return path


def build_registry(n: int, path: str | Path, seed: int = 0) -> Registry:
    """Create a GeoPackage registry at ``path`` holding ``n`` synthetic entries (imported
    through ``Registry.import_file``, the path users take)."""
    path = Path(path)
    reg = Registry(str(path))
    reg.init()
    csv_path = path.with_suffix(".csv")
    write_csv(n, csv_path, seed)
    reg.import_file(csv_path, ADMIN)
    csv_path.unlink()
    return reg


QUARTERS = [f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]


def add_monitoring(reg: Registry, every: int = 10, seed: int = 0) -> int:
    """Give one entry in ``every`` a synthetic indicator (participating firms, target 40)
    with a value for each of the 8 quarters of 2024-2025 (``QUARTERS``); return how many
    values. Benchmark data only: the source notes say "sintético"."""
    rng = np.random.default_rng(seed)
    ids = list(reg.list(columns=["id"])["id"])[::every]
    indicators = [
        {"initiative_id": i, "code": "participating_firms", "unit": "empresas",
         "frequency": "quarterly", "direction": "increase", "baseline": 20.0, "target": 40.0,
         "target_period": "2026-Q4"}
        for i in ids
    ]  # fmt: skip
    made = reg.store.monitoring_write("indicator", creates=indicators, actor=ADMIN.username)
    values = [
        {"initiative_id": ind["initiative_id"], "indicator_id": ind["id"], "period": period,
         "value": float(20 + rng.integers(0, 25)), "source_note": "sintético (benchmark)"}
        for ind in made
        for period in QUARTERS
    ]  # fmt: skip
    reg.store.monitoring_write("value", creates=values, actor=ADMIN.username)
    return len(values)


if __name__ == "__main__":
    count, target = int(sys.argv[1]), sys.argv[2]
    print(write_csv(count, target))
