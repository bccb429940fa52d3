"""Import bombs (issue 16, F7): files built to exhaust memory or time end in a clear message
(size, row or column) within 30 s and 500 MB, and write nothing.

Each case runs ``iap-registry import`` in a process of its own, which reports its peak
memory (``VmHWM``); the files are written by ``build_bombs`` into the test's folder
(tens of MB each, never committed). The same files through the app, with another session
answering meanwhile: ``tests/e2e/test_import_bombs.py``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from registry.api import Registry
from tests.conftest import ADMIN

TIME_LIMIT_S = 30
MEMORY_LIMIT_MB = 500
# Peak memory from VmHWM (this process's own peak): ``ru_maxrss`` would also count the
# pytest process it was forked from, as Linux keeps it across ``execve``.
_RUNNER = """
import re, sys
from pathlib import Path
from registry.cli import main
code = main(sys.argv[1:])
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())
print(f"PEAK_MB={int(hwm.group(1)) // 1024}", file=sys.stderr)
sys.exit(code)
"""


def _csv_rows(path: Path) -> Path:
    """10 million one-character rows (20 MB)."""
    with path.open("w") as out:
        out.write("name\n")
        out.write("a\n" * 10_000_000)
    return path


def _csv_columns(path: Path) -> Path:
    """50,000 columns (a 20 MB header and one row)."""
    names = [f"c{i:05d}" + "x" * 394 for i in range(50_000)]
    with path.open("w") as out:
        out.write(",".join(names) + "\n")
        out.write(",".join("1" for _ in names) + "\n")
    return path


def _csv_cell(path: Path) -> Path:
    """One quoted cell of 20 MB."""
    with path.open("w") as out:
        out.write("name,notes\n")
        out.write('x,"' + "y" * 20_000_000 + '"\n')
    return path


def _csv_problems(path: Path) -> Path:
    """A 220 KB file with 90,001 problems: an unknown column, then 5,000 rows of 18 bad
    values each."""
    header = ["name", "kind", "initiative_type", "country", "location_precision", "sector"]
    header += ["stage", "status", "start_year", "end_year", "n_firms", "n_workers"]
    header += ["last_verified", "website", "contact_email", "program", "strategic_focus"]
    header += ["funding_source", "lon", "lat"]
    with path.open("w") as out:
        out.write(",".join(header) + "\n")
        for _ in range(5_000):
            out.write(",".join(["q"] * 18 + ["x", "y"]) + "\n")
    return path


def _geojson_features(path: Path) -> Path:
    """400,000 empty features (21 MB)."""
    feature = '{"type":"Feature","geometry":null,"properties":{}}'
    with path.open("w") as out:
        out.write('{"type":"FeatureCollection","features":[')
        out.write(",".join([feature] * 400_000))
        out.write("]}")
    return path


def _json_nesting(path: Path) -> Path:
    """A JSON document nested a million levels deep (2 MB)."""
    path.write_text("[" * 1_000_000 + "]" * 1_000_000)
    return path


def _gpkg_view(path: Path) -> Path:
    """A 96 KB GeoPackage whose only layer is a view yielding 3 million rows."""
    import geopandas as gpd
    import shapely

    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(-70.6, -33.4)], crs=4326).to_file(
        path, driver="GPKG", layer="seed"
    )
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            """CREATE VIEW bomb AS WITH RECURSIVE n(i) AS
               (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
               SELECT i AS fid, 'x' AS name, (SELECT geom FROM seed) AS geom FROM n"""
        )
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'seed'")
        conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'seed'")
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('bomb', 'features', 'bomb', 4326)"
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('bomb', 'geom', 'POINT', 4326, 0, 0)"
        )
    return path


def _gpkg_rows(path: Path) -> Path:
    """A GeoPackage table of 300,000 tiny rows."""
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"name": ["a"] * 300_000}, geometry=[shapely.Point(-70.6, -33.4)] * 300_000, crs=4326
    )
    frame.to_file(path, driver="GPKG", layer="many")
    return path


# (file name, builder, a fragment the message must hold)
BOMBS = {
    "rows.csv": (_csv_rows, "200.000"),
    "columns.csv": (_csv_columns, "columnas"),
    "cell.csv": (_csv_cell, "fila 2"),
    "problems.csv": (_csv_problems, "90.001 problema(s)"),
    "features.geojson": (_geojson_features, "200.000"),
    "nesting.json": (_json_nesting, "anidado a demasiada profundidad"),
    "view.gpkg": (_gpkg_view, "vista"),
    "rows.gpkg": (_gpkg_rows, "200.000"),
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from registry.geo.boundaries import comunas

    comunas()  # the derived boundary files exist (a first start builds them, once)
    folder = tmp_path_factory.mktemp("bombs")
    for name, (build, _) in BOMBS.items():
        build(folder / name)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_an_import_bomb_ends_in_a_clear_message_in_bounded_time_and_memory(
    bombs: Path, tmp_path: Path, name: str
) -> None:
    db = tmp_path / "registry.gpkg"
    reg = Registry(str(db))
    reg.init()
    reg.create(
        {"name": "Ya estaba", "kind": "iap", "initiative_type": "cluster", "country": "CL",
         "location_precision": "country", "sector": "tourism"},
        ADMIN,
    )  # fmt: skip
    before = reg.store.dump()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, "--db", str(db), "import", str(bombs / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    peak = int(done.stderr.rsplit("PEAK_MB=", 1)[1])
    message = done.stderr.rsplit("PEAK_MB=", 1)[0]
    assert done.returncode == 1, message[-2000:]
    assert "Traceback" not in message and "MemoryError" not in message
    assert BOMBS[name][1] in message, message[:2000]
    assert message.count("\n") <= 1_002  # a capped report, not 90,000 lines
    assert elapsed < TIME_LIMIT_S, f"{name}: {elapsed:.1f} s"
    assert peak < MEMORY_LIMIT_MB, f"{name}: {peak} MB"
    assert reg.store.dump() == before
    lines = message.count("\n")
    print(f"import bomb {name}: {elapsed:.1f} s, {peak} MB, {lines} lines of message")
