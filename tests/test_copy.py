"""`iap-registry copy` moves a whole registry between a GeoPackage file and PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from registry.api import Registry
from registry.cli import main
from registry.store.tables import GEOM_COLUMN
from tests.conftest import ADMIN, add_users, barrio_values, iap_values


def _filled(path: Path) -> Registry:
    """A registry with every kind of row: entries (one deleted, one reverted), their history,
    users, an imported indicator series and monitoring records (one deleted)."""
    reg = Registry(str(path))
    reg.init()
    a = reg.create(iap_values(name="Clúster «con» comillas 'y' acentos"), ADMIN)
    b = reg.create(barrio_values(), ADMIN)
    reg.update(a["id"], {"n_firms": 12, "notes": "línea\nnueva"}, 1, ADMIN)
    reg.revert(a["id"], 1, ADMIN, expected_version=2)
    reg.delete(b["id"], 1, ADMIN)
    goal = reg.add_monitoring(
        "goal", a["id"], {"title": "Meta «uno»", "target_date": "2027-06-30"}, ADMIN
    )
    indicator = reg.add_monitoring(
        "indicator",
        a["id"],
        {
            "code": "exports",
            "frequency": "annual",
            "baseline": "0,5",
            "target": 2.25,
            "goal_id": goal["id"],
        },
        ADMIN,
    )
    value = reg.record_value(indicator["id"], "2025", "1,125", "Aduanas", ADMIN)
    reg.delete_monitoring("value", value["id"], 1, ADMIN)
    reg.record_value(indicator["id"], "2025", "1,25", "Aduanas, corregido", ADMIN)
    reg.add_monitoring(
        "review", a["id"], {"review_date": "2025-07-01", "reviewed": "línea\nnueva"}, ADMIN
    )
    add_users(reg, [("admin", "admin"), ("ana", "coordinator")])  # ADMIN is now a user
    reg.store.replace_indicator_series(
        [
            {
                "region_code": "13",
                "year": 2022,
                "period": "annual",
                "indicator": "test_series",
                "value": 1.5,
                "unit": "x",
                "source_url": "https://example.org/s",
                "notes": None,
            }
        ],
        "admin",
    )
    return reg


def _comparable(reg: Registry) -> dict[str, list[dict]]:
    tables = reg.store.dump()
    for row in tables["initiatives"]:
        geom = row[GEOM_COLUMN]
        row[GEOM_COLUMN] = None if geom is None else shapely.to_wkt(geom, rounding_precision=-1)
    tables["registry_meta"] = sorted(
        (r for r in tables["registry_meta"] if r["meta_key"] != "data_version"),
        key=lambda r: r["meta_key"],
    )
    return tables


def test_gpkg_to_postgis_to_gpkg_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, postgis_schema: str
) -> None:
    source = _filled(tmp_path / "source.gpkg")
    assert main(["copy", "--from", str(tmp_path / "source.gpkg"), "--to", postgis_schema]) == 0
    out = capsys.readouterr().out
    assert "2 entradas, 11 versiones en el historial, 2 usuarios" in out
    assert "5 registros de seguimiento" in out
    back = tmp_path / "back.gpkg"
    assert main(["copy", "--from", postgis_schema, "--to", str(back)]) == 0
    original, server, returned = (
        _comparable(source),
        _comparable(Registry(postgis_schema)),
        _comparable(Registry(str(back))),
    )
    assert server == original
    assert returned == original
    copy = Registry(str(back))
    # the copy works as a registry: history, log-in with the copied hash, a new version
    listed = copy.list(include_deleted=True)
    record = listed[listed["kind"] == "iap"].iloc[0]
    assert [h["operation"] for h in copy.history(record["id"])] == ["create", "update", "revert"]
    assert copy.login("ana", "contraseña segura").role == "coordinator"
    saved = copy.update(record["id"], {"n_firms": 3}, int(record["version"]), ADMIN)
    assert saved["version"] == 4
    assert copy.data_version() > source.data_version()
    seen = copy.monitoring(record["id"])
    assert [v["value"] for v in seen.values] == [1.25] and seen.reviews
    assert [h["operation"] for h in copy.monitoring_history("value", seen.values[0]["id"])] == [
        "create"
    ]


def test_copy_refuses_a_target_with_entries_and_replaces_it_when_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _filled(tmp_path / "a.gpkg")
    target = Registry(str(tmp_path / "b.gpkg"))
    target.init()
    kept = target.create(iap_values(name="Ya estaba"), ADMIN)
    code = main(["copy", "--from", str(tmp_path / "a.gpkg"), "--to", str(tmp_path / "b.gpkg")])
    assert code != 0
    assert "ya tiene entradas" in capsys.readouterr().err
    assert target.get(kept["id"])["name"] == "Ya estaba"  # nothing written
    code = main(
        ["copy", "--from", str(tmp_path / "a.gpkg"), "--to", str(tmp_path / "b.gpkg"), "--replace"]
    )
    assert code == 0
    assert len(target.list(include_deleted=True)) == 2


def test_backup_of_a_postgis_registry_is_a_geopackage_registry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, postgis_schema: str
) -> None:
    _filled(tmp_path / "source.gpkg")
    assert main(["copy", "--from", str(tmp_path / "source.gpkg"), "--to", postgis_schema]) == 0
    dest = tmp_path / "backup.gpkg"
    assert main(["--db", postgis_schema, "backup", str(dest)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.gpkg"
    ]  # one self-contained file, no -wal beside it
    assert _comparable(Registry(str(dest))) == _comparable(Registry(postgis_schema))
