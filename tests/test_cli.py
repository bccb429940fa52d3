"""The iap-registry command: subcommands, exit statuses, seed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from registry.seed import geodata_dir


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "registry.gpkg")


def _one_csv(tmp_path: Path) -> str:
    path = tmp_path / "one.csv"
    path.write_text(
        "external_id,name,kind,initiative_type,country,location_precision,sector,lon,lat\n"
        "X1,Clúster,iap,cluster,CL,exact,mining,-70.4,-23.65\n"
    )
    return str(path)


def test_seed_loads_every_sourced_entry_with_source_url(capsys, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "seed")
    assert code == 0
    expected = sum(
        1
        for name in ("barrios_comerciales.csv", "iap_examples.csv")
        for _ in csv.DictReader((geodata_dir() / name).open(encoding="utf-8"))
    )
    assert expected == 139  # 65 barrios, 74 initiatives (geodata/README.md)
    code, out, _ = run(capsys, "--db", db, "list", "--format", "json")
    records = json.loads(out)
    assert len(records) == expected
    assert all(
        r["source_url"].startswith("http") for r in records if r["kind"] == "barrio_comercial"
    )
    assert sum(1 for r in records if r["source_url"]) == expected
    assert {r["location_precision"] for r in records} <= {
        "comuna",
        "region",
        "country",
        "multi_country",
    }
    code, out, _ = run(capsys, "--db", db, "seed")
    assert "0 entrada(s) creada(s)" in out and "139 sin cambios" in out


def test_update_conflict_history_revert_exit_codes(capsys, db: str, tmp_path: Path) -> None:
    assert run(capsys, "--db", db, "init")[0] == 0
    assert run(capsys, "--db", db, "import", _one_csv(tmp_path))[0] == 0
    rid = json.loads(run(capsys, "--db", db, "list", "--format", "json")[1])[0]["id"]
    code, out, _ = run(
        capsys, "--db", db, "update", rid, "--set", "n_firms=7", "--expected-version", "1"
    )
    assert code == 0 and "version 2" in out
    code, _, err = run(
        capsys, "--db", db, "update", rid, "--set", "n_firms=8", "--expected-version", "1"
    )
    assert code == 3 and "Conflicto de versión" in err
    assert (
        run(capsys, "--db", db, "update", rid, "--set", "n_firms=-1", "--expected-version", "2")[0]
        == 1
    )
    assert (
        run(capsys, "--db", db, "update", rid, "--set", "nofield=1", "--expected-version", "2")[0]
        == 2
    )
    assert run(capsys, "--db", db, "show", "00000000-0000-0000-0000-000000000000")[0] == 4
    code, out, _ = run(capsys, "--db", db, "history", rid, "--json")
    assert [h["operation"] for h in json.loads(out)] == ["create", "update"]
    assert run(capsys, "--db", db, "revert", rid, "--to-version", "1")[0] == 2  # no version
    revert = ["revert", rid, "--to-version", "1", "--expected-version"]
    assert run(capsys, "--db", db, *revert, "1")[0] == 3  # stale: v2 is current
    assert run(capsys, "--db", db, *revert, "2")[0] == 0
    shown = json.loads(run(capsys, "--db", db, "show", rid, "--json")[1])
    assert (shown["version"], shown["n_firms"]) == (3, None)
    assert run(capsys, "--db", db, "delete", rid, "--expected-version", "3")[0] == 0
    assert json.loads(run(capsys, "--db", db, "list", "--format", "json")[1]) == []


def test_import_reports_rows_and_writes_nothing(capsys, db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,kind,initiative_type,country,location_precision,sector,lon,lat\n"
        "Ok,iap,cluster,CL,exact,mining,-70.4,-23.65\n"
        "Mal,iap,cluster,CL,exact,mining,abc,-23.65\n"
    )
    run(capsys, "--db", db, "init")
    code, _, err = run(capsys, "--db", db, "import", str(bad))
    assert code == 1 and "fila 3, lon: no es un número" in err
    assert json.loads(run(capsys, "--db", db, "list", "--format", "json")[1]) == []
    code, out, _ = run(capsys, "--db", db, "import", _one_csv(tmp_path), "--dry-run")
    assert code == 0 and "--dry-run" in out
    assert json.loads(run(capsys, "--db", db, "list", "--format", "json")[1]) == []


def test_users_roles_and_not_allowed(capsys, db: str, tmp_path: Path, monkeypatch) -> None:
    run(capsys, "--db", db, "init")
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("una-clave-larga\n"))
    assert (
        run(capsys, "--db", db, "user", "add", "root", "--role", "admin", "--password-stdin")[0]
        == 0
    )
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("corta\n"))
    assert (
        run(
            capsys,
            "--db",
            db,
            "user",
            "add",
            "ana",
            "--role",
            "coordinator",
            "--password-stdin",
            "--as",
            "root",
        )[0]
        == 2
    )
    assert (
        run(capsys, "--db", db, "user", "add", "ana", "--role", "coordinator", "--as", "root")[0]
        == 0
    )
    assert (
        run(capsys, "--db", db, "user", "add", "bob", "--role", "coordinator", "--as", "root")[0]
        == 0
    )
    code, _, err = run(capsys, "--db", db, "import", _one_csv(tmp_path))
    assert code == 5 and "--as" in err
    assert run(capsys, "--db", db, "import", _one_csv(tmp_path), "--as", "ana")[0] == 0
    rid = json.loads(run(capsys, "--db", db, "list", "--format", "json")[1])[0]["id"]
    code, _, err = run(
        capsys,
        "--db",
        db,
        "update",
        rid,
        "--set",
        "name=Otro",
        "--expected-version",
        "1",
        "--as",
        "bob",
    )
    assert code == 5 and "no tiene permiso" in err
    code, _, _ = run(
        capsys,
        "--db",
        db,
        "update",
        rid,
        "--set",
        "status=published",
        "--expected-version",
        "1",
        "--as",
        "ana",
    )
    assert code == 5
    assert (
        run(
            capsys,
            "--db",
            db,
            "update",
            rid,
            "--set",
            "name=Otro",
            "--expected-version",
            "1",
            "--as",
            "ana",
        )[0]
        == 0
    )
    code, out, _ = run(capsys, "--db", db, "user", "list")
    assert "ana" in out and "argon2" not in out
    assert (
        run(
            capsys,
            "--db",
            db,
            "export",
            str(tmp_path / "x.geojson"),
            "--include-restricted",
            "--as",
            "ana",
        )[0]
        == 5
    )


def test_codes_json_and_console_script(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "codes", "--json")
    lists = json.loads(out)
    assert code == 0 and {"kind", "sector", "status", "action_line", "program"} <= set(lists)
    exe = Path(sys.executable).with_name("iap-registry")
    result = subprocess.run(
        [str(exe), "--db", str(tmp_path / "r.gpkg"), "init"], capture_output=True, text=True
    )
    assert result.returncode == 0 and (tmp_path / "r.gpkg").exists()
    assert subprocess.run([str(exe), "frobnicate"], capture_output=True).returncode == 2


def test_backup_while_registry_exists(capsys, db: str, tmp_path: Path) -> None:
    run(capsys, "--db", db, "seed")
    dest = tmp_path / "snap" / "copy.gpkg"
    assert run(capsys, "--db", db, "backup", str(dest))[0] == 0
    code, out, _ = run(capsys, "--db", str(dest), "list", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 139


def test_monitoring_commands(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    from registry.api import Registry
    from registry.auth import Actor

    assert run(capsys, "--db", db, "seed")[0] == 0
    reg = Registry(db)
    entry = reg.list().iloc[0]
    admin = Actor("admin", "admin")
    ind = reg.add_monitoring(
        "indicator", entry["id"], {"code": "visitors", "frequency": "annual", "target": 1500}, admin
    )
    reg.record_value(ind["id"], "2024", 1100, "Conteo municipal", admin)
    code, out, _ = run(capsys, "--db", db, "monitoring", "show", entry["id"])
    assert code == 0 and "Visitantes" in out and "Conteo municipal" in out
    reg.update_monitoring("indicator", ind["id"], {"target": 1600}, 1, admin)
    code, out, _ = run(capsys, "--db", db, "monitoring", "history", "indicator", ind["id"])
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "create" in lines[0] and "update" in lines[1] and "target" in lines[1]
    target = tmp_path / "values.csv"
    assert run(capsys, "--db", db, "monitoring", "export", str(target))[0] == 0
    rows = list(csv.DictReader(open(target, encoding="utf-8-sig")))
    assert [(r["period"], r["value"]) for r in rows] == [("2024", "1100")]
    rows.append({**rows[0], "period": "2025", "value": "1300", "id": "", "version": ""})
    rows.append({**rows[0], "period": "2025-T1", "value": "1", "id": "", "version": ""})
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, _, err = run(capsys, "--db", db, "monitoring", "import", str(target))
    assert code == 1 and "fila 4, period: el periodo 2025-Q1 no corresponde" in err
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:2])
    code, out, _ = run(capsys, "--db", db, "monitoring", "import", str(target))
    assert code == 0 and "1 valor(es) nuevo(s), 0 corregido(s), 1 sin cambios" in out
    code, out, _ = run(
        capsys, "--db", db, "monitoring", "programme", "--format", "json", "--months", "12"
    )
    view = {r["id"]: r for r in json.loads(out)}
    assert view[entry["id"]]["indicators"] == 1 and view[entry["id"]]["latest_period"] == "2025"
    assert view[entry["id"]]["freshness"] == "current"


_PROBE = """
import contextlib, io, json, sys
from registry.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({
    "code": code,
    "out": out.getvalue(),
    "loaded": sorted(m for m in ("pandas", "geopandas", "sqlalchemy", "pydantic", "pyogrio",
                                 "registry.api", "registry.commands",
                                 "sqlalchemy.dialects.postgresql") if m in sys.modules),
    "polygons_read": sum(
        getattr(sys.modules.get("registry.geo.boundaries"), f).cache_info().currsize
        for f in ("admin1", "comunas")
    ) if "registry.geo.boundaries" in sys.modules else None,
}))
"""


def _probe(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_help_starts_without_the_data_stack_and_a_list_reads_no_polygons(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """``--help`` and usage errors answer from the parser alone (no pandas, SQLAlchemy,
    pydantic or store: a start in a fraction of the time); a list names its regions and
    comunas without reading the boundary polygons or loading the validators (pydantic)
    (issue 22: CLI start <= 1 s)."""
    helped = _probe("--help")
    assert helped["code"] == 0 and "list entries" in helped["out"], helped
    assert helped["loaded"] == [], helped["loaded"]
    wrong = _probe("list", "--format", "yaml")
    assert wrong["code"] == 2 and wrong["loaded"] == [], wrong
    run(capsys, "--db", db, "seed")
    listed = _probe("--db", db, "list", "--region", "05")
    assert listed["code"] == 0 and "Valparaíso (05)" in listed["out"], listed["out"][:500]
    assert "Quilpué (05801)" in listed["out"]
    assert listed["polygons_read"] == 0
    assert "registry.commands" in listed["loaded"]
    assert "pydantic" not in listed["loaded"]
    # nor the PostgreSQL dialect, for a GeoPackage (its modules took 40 ms of a start)
    assert "sqlalchemy.dialects.postgresql" not in listed["loaded"]
