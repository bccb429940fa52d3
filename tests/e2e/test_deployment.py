"""The deployment of ``deploy/`` run as a whole (issue 22): PostgreSQL + PostGIS (the private
test cluster), two app processes and the OGC API with two workers behind a real nginx that
runs ``deploy/nginx.conf`` (only its addresses, ports and TLS lines changed for this
machine). Through nginx, a coordinator submits an entry in Chromium on one app process, a
manager publishes it in a browser of her own on the other, and the coordinator sees it
published; GDAL reads it from the API; ``deploy/backup.sh`` writes its two backups, which are
restored into an empty database and opened as a registry; ``systemd-analyze verify`` accepts
the units."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry.api import Registry
from registry.i18n import tr
from registry.store import Filters
from registry.store.postgis import engine_url
from tests.conftest import ADMIN, PG_URL, require_tool
from tests.e2e.harness import (
    PASSWORD,
    Watch,
    click_map_centre,
    fill_entry,
    find_place,
    free_port,
    login,
    offline_page,
    open_entry_form,
    shot,
    start_app,
    wait_idle,
    wait_up,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgis]

ROOT = Path(__file__).resolve().parents[2]
_UNIT_ARGS = ("--client.showErrorDetails=none",)
DEPLOY = ROOT / "deploy"
NAME = "Red de turismo rural de Valdivia (despliegue)"


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert found, "nginx is required (make sysdeps installs it)"
    return found


def _database_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _passfile(folder: Path) -> Path:
    """A PGPASSFILE for every database of the test server (the session's names one)."""
    line = Path(os.environ["PGPASSFILE"]).read_text(encoding="utf-8").strip()
    host, port, _database, user, password = line.split(":", 4)
    path = folder / "pgpass"
    path.write_text(f"{host}:{port}:*:{user}:{password}\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@dataclass
class Site:
    """What the harness's log-in helpers need of an app: its address (here, nginx's)."""

    url: str


@dataclass
class Deployment:
    url: str  # nginx
    db: str
    restore_db: str
    env_file: Path
    env: dict[str, str]
    access_log: Path
    folder: Path


def _site(app_ports: tuple[int, int], api_port: int, port: int) -> str:
    """``deploy/nginx.conf`` for this machine: plain HTTP on a free local port, the app and
    API processes on their test ports. Everything else is the file as shipped."""
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    replaced = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8501;": f"server 127.0.0.1:{app_ports[0]};",
        "server 127.0.0.1:8502;": f"server 127.0.0.1:{app_ports[1]};",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{api_port};",
    }
    for old, new in replaced.items():
        assert site.count(old) == 1, old
        site = site.replace(old, new)
    return site


def _nginx_conf(folder: Path, site: Path, access_log: Path) -> Path:
    """The main configuration nginx's Debian package would give, in ``folder``; it logs
    which app process served each request (``$upstream_addr``) under its sticky key."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "daemon off;\nevents { worker_connections 512; }\nhttp {\n"
        "    log_format upstreams '$iap_node $upstream_addr $status $request_method "
        "$uri';\n"
        f"    access_log {access_log} upstreams;\n"
        f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/fastcgi;\n    uwsgi_temp_path {folder}/uwsgi;\n"
        f"    scgi_temp_path {folder}/scgi;\n"
        "    map_hash_bucket_size 128;\n"
        f"    include {site};\n}}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("deployment")
    suffix = uuid.uuid4().hex[:8]
    names = (f"iap_deploy_{suffix}", f"iap_restore_{suffix}")
    server = create_engine(engine_url(PG_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        for name in names:
            conn.execute(text(f"CREATE DATABASE {name}"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        db = _database_url(names[0])
        passfile = _passfile(folder)
        api_port, nginx_port = free_port(), free_port()
        url = f"http://127.0.0.1:{nginx_port}"
        settings = {
            "IAP_REGISTRY_DB": db,
            "PGPASSFILE": str(passfile),
            "IAP_REGISTRY_LANG": "es",
            "IAP_REGISTRY_API_URL": f"{url}/ogcapi",
        }
        env_file = folder / "iap-registry.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
        env = {**os.environ, **settings}
        cli = [str(Path(sys.executable).with_name("iap-registry"))]
        # as an operator sets it up: the schema and the bundled data, then the accounts
        subprocess.run([*cli, "seed"], env=env, check=True, capture_output=True, timeout=300)
        reg = _registry(db, passfile)
        reg.add_user("root", "admin", PASSWORD, ADMIN)
        for name, role in (("ana", "coordinator"), ("maria", "manager")):
            reg.add_user(name, role, PASSWORD, reg.actor("root"))

        apps = [  # as the units start them (deploy/iap-registry-app@.service)
            start_app(db, folder / f"app{i}.log", settings, args=_UNIT_ARGS)  # type: ignore[arg-type]
            for i in (1, 2)
        ]
        processes += [a.process for a in apps]
        api_log = (folder / "api.log").open("wb")
        api = subprocess.Popen(
            [*cli, "serve-api", "--host", "127.0.0.1", "--port", str(api_port)]
            + ["--proxy-headers", "--workers", "2"],
            env=env,
            stdout=api_log,
            stderr=subprocess.STDOUT,
        )
        processes.append(api)
        wait_up(api, f"http://127.0.0.1:{api_port}/conformance", folder / "api.log", 120)

        site = folder / "site.conf"
        site.write_text(_site((apps[0].port, apps[1].port), api_port, nginx_port))
        access_log = folder / "access.log"
        conf = _nginx_conf(folder, site, access_log)
        nginx = _nginx()
        checked = subprocess.run(
            [nginx, "-t", "-p", str(folder), "-c", str(conf)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        nginx_log = (folder / "nginx.out").open("wb")
        proxy = subprocess.Popen(
            [nginx, "-p", str(folder), "-c", str(conf)], stdout=nginx_log, stderr=subprocess.STDOUT
        )
        processes.append(proxy)
        wait_up(proxy, f"{url}/_stcore/health", folder / "error.log")
        yield Deployment(url, db, _database_url(names[1]), env_file, env, access_log, folder)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with server.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def _registry(db: str, passfile: Path) -> Registry:
    os.environ["PGPASSFILE"] = str(passfile)  # a superset of the session's own file
    return Registry(db)


def _upstream(deployment: Deployment, context: Any) -> str:
    """The app process (address) that nginx sends this browser context to, from its sticky
    cookie and nginx's log of the requests made under that key."""
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert "iap_node" in cookies, cookies  # the sticky cookie was set and kept
    key = cookies["iap_node"]
    served = {
        parts[1]
        for line in deployment.access_log.read_text().splitlines()
        if (parts := line.split()) and parts[0] == key and parts[1] != "-"
    }
    assert len(served) == 1, served  # every request of the session went to one process
    return served.pop()


def test_a_deployment_behind_nginx_serves_edits_across_processes_gdal_and_backups(
    browser: Any, deployment: Deployment, watch: Watch, tmp_path: Path
) -> None:
    site: Any = Site(deployment.url)

    # a coordinator submits an entry through nginx (WebSocket, uploads of the map's clicks)
    context, page = offline_page(browser, watch)
    open_entry_form(page, site, "ana")
    find_place(page, "valdvia")
    wait_idle(page)
    page.wait_for_timeout(1000)
    click_map_centre(page)
    page.get_by_text("Valdivia (14101)").first.wait_for()
    fill_entry(page, NAME, "business_network", "tourism")
    page.get_by_role("button", name=tr("ui_submit", lang="es")).click()
    page.get_by_text(tr("ui_saved_submitted", lang="es", version=1)).wait_for()
    shot(page, "deployment-submitted")
    first = _upstream(deployment, context)

    # a manager, in a browser that nginx sends to the other app process, publishes it
    for _ in range(16):
        other, manager = offline_page(browser, watch)
        manager.goto(f"{deployment.url}/")
        wait_idle(manager)
        if _upstream(deployment, other) != first:
            break
        other.close()
    else:
        pytest.fail("nginx sent 16 new browsers to the same app process")
    login(manager, site, "maria")
    manager.get_by_role("link", name=tr("ui_page_review", lang="es")).click()
    manager.get_by_role("heading", name=tr("ui_page_review", lang="es"), exact=True).wait_for()
    wait_idle(manager)
    manager.get_by_text(NAME).first.click()
    wait_idle(manager)
    manager.get_by_role("button", name=tr("ui_publish", lang="es")).click()
    manager.get_by_text(tr("ui_published_entry", lang="es", name=NAME)).wait_for()
    second = _upstream(deployment, other)
    assert second != first
    shot(manager, "deployment-published")

    # the coordinator's process shows it published, without a reload
    page.get_by_role("link", name=tr("ui_page_mine", lang="es")).click()
    page.get_by_role("heading", name=tr("ui_page_mine", lang="es")).wait_for()
    wait_idle(page)
    page.get_by_text(tr("ui_mine_next_published", lang="es")).first.wait_for()
    assert _upstream(deployment, context) == first
    # and a reload through nginx keeps her session (sessions live in the database)
    page.reload()
    page.get_by_text("Sesión: ana (").wait_for()
    assert _upstream(deployment, context) == first
    context.close()
    other.close()

    # GDAL reads it through nginx's /ogcapi/, with the links the API writes for that path
    ogr2ogr = require_tool("ogr2ogr")
    out = tmp_path / "initiatives.geojson"
    subprocess.run(
        [ogr2ogr, "-f", "GeoJSON", str(out), f"OAPIF:{deployment.url}/ogcapi/", "initiatives"]
        + ["-oo", "PAGE_SIZE=1000"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    reg = _registry(deployment.db, Path(deployment.env["PGPASSFILE"]))
    published = reg.list(Filters(kind=("iap",), status=("published",)), viewer=None)
    assert len(features) == len(published) > 10
    assert [f["properties"]["name"] for f in features].count(NAME) == 1
    assert "contact_email" not in features[0]["properties"]

    # the nightly backups, then both restored
    backups = tmp_path / "backups"
    env = {
        **deployment.env,
        "IAP_REGISTRY_ENV_FILE": str(deployment.env_file),
        "IAP_REGISTRY_BACKUP_DIR": str(backups),
        "IAP_REGISTRY_HOME": str(ROOT),
    }
    done = subprocess.run(
        ["bash", str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    dump = next(backups.glob("iap_registry-*.dump"))
    gpkg = next(backups.glob("iap_registry-*.gpkg"))
    for written in (dump, gpkg):
        assert written.stat().st_mode & 0o077 == 0, oct(written.stat().st_mode)  # owner only
    restored = subprocess.run(
        [require_tool("pg_restore"), "--no-owner", f"--dbname={deployment.restore_db}", str(dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restored.returncode == 0, restored.stderr
    everything = reg.list(None, include_deleted=True, viewer=None)
    for copy in (Registry(deployment.restore_db), Registry(str(gpkg))):
        again = copy.list(None, include_deleted=True, viewer=None)
        assert sorted(again["id"]) == sorted(everything["id"])
        entry = copy.list(Filters(q=NAME), viewer=None)
        assert entry["status"].tolist() == ["published"]
        assert len(copy.history(entry["id"].iloc[0])) == 2
        assert {u["username"] for u in copy.list_users()} == {"root", "ana", "maria"}


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on the units as shipped, with the installation's paths
    (``/opt/iap-registry``, ``/etc/iap-registry.env``) pointed at this checkout."""
    analyze = require_tool("systemd-analyze")
    env_file = tmp_path / "iap-registry.env"
    env_file.write_text((DEPLOY / "iap-registry.env").read_text(encoding="utf-8"))
    units = sorted(DEPLOY.glob("*.service"))
    assert {u.name for u in units} == {"iap-registry-api.service", "iap-registry-app@.service"}
    for unit in units:
        body = unit.read_text(encoding="utf-8")
        body = body.replace("/opt/iap-registry", str(ROOT))
        body = body.replace("/etc/iap-registry.env", str(env_file))
        (tmp_path / unit.name).write_text(body, encoding="utf-8")
    named = [str(tmp_path / "iap-registry-api.service")] + [
        str(tmp_path / f"iap-registry-app@{port}.service") for port in (8501, 8502)
    ]
    done = subprocess.run([analyze, "verify", *named], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no warnings either (unknown keys)
    # the two app units are the two processes nginx balances
    assert "--server.port %i" in (DEPLOY / "iap-registry-app@.service").read_text()
    for port in (8501, 8502):
        assert f"server 127.0.0.1:{port};" in (DEPLOY / "nginx.conf").read_text()
