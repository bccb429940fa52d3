"""Shared fixtures: real GeoPackage registries in tmp_path, never mocks."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from registry.api import Registry
from registry.auth import Actor
from registry.store.gpkg import GeoPackageStore

# Derived boundary files are rebuilt once per test session, never read from the user's cache.
os.environ["IAP_REGISTRY_CACHE"] = tempfile.mkdtemp(prefix="iap-registry-cache-")

settings.register_profile("ci", max_examples=500, deadline=None)  # issue 7: >= 500
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ADMIN = Actor("admin", "admin")


@pytest.fixture(autouse=True)
def _spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAP_REGISTRY_LANG", "es")


@pytest.fixture(autouse=True)
def _main_module_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put ``sys.modules["__main__"]`` back after each test. Streamlit's AppTest installs the
    script it runs as ``__main__`` and leaves it there; processes that ``multiprocessing``
    spawns later (tests/test_concurrency.py, tests/test_faults.py) re-run ``__main__`` and
    would run that script (``AppTest.from_function``'s fails there with a ``NameError``)."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])


@pytest.fixture
def gpkg_store(tmp_path: Path) -> GeoPackageStore:
    store = GeoPackageStore(tmp_path / "registry.gpkg")
    store.init()
    return store


@pytest.fixture
def registry(gpkg_store: GeoPackageStore) -> Registry:
    return Registry(store=gpkg_store)


# The PostgreSQL + PostGIS server of the tests: `make test` starts it
# (scripts/postgis-test-server); each test gets a schema of its own in this database.
PG_URL = os.environ.get(
    "IAP_REGISTRY_TEST_PG", "postgresql://iap_test:iap_test@127.0.0.1:54329/iap_test"
)


def _password_to_pgpass(url: str) -> str:
    """Move the password of ``url`` into a private PGPASSFILE, as deployments do (a password
    in a command's arguments is refused): the tests, and the commands they start, then
    pass the URL without it."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.password:
        return url
    folder = tempfile.mkdtemp(prefix="iap-registry-pgpass-")
    pgpass = Path(folder) / "pgpass"
    pgpass.write_text(
        f"{parsed.host or 'localhost'}:{parsed.port or 5432}:{parsed.database}:"
        f"{parsed.username}:{parsed.password}\n",
        encoding="utf-8",
    )
    pgpass.chmod(0o600)  # libpq ignores a password file others may read
    os.environ["PGPASSFILE"] = str(pgpass)
    return parsed._replace(password=None).render_as_string(hide_password=False)


PG_URL = _password_to_pgpass(PG_URL)


@pytest.fixture(scope="session")
def _pg_server() -> Any:
    from sqlalchemy import create_engine, text

    from registry.store.postgis import engine_url

    engine = create_engine(engine_url(PG_URL))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT postgis_version()"))
    except Exception as exc:  # a missing server fails the run, it never skips
        pytest.fail(
            f"PostgreSQL + PostGIS is required at {PG_URL} "
            f"(make test starts it with scripts/postgis-test-server): {exc}"
        )
    yield engine
    engine.dispose()


def postgis_url(schema: str) -> str:
    """The test server's URL with ``schema`` first on the search path."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema},public"


@pytest.fixture
def postgis_schema(_pg_server: Any) -> Any:
    """A fresh, empty schema on the test server (dropped afterwards); yields its URL."""
    import uuid

    from sqlalchemy import text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_server.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield postgis_url(schema)
    with _pg_server.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def postgis_store(postgis_schema: str) -> Any:
    from registry.store.postgis import PostGISStore

    store = PostGISStore(postgis_schema)
    store.init()
    yield store
    store._write.dispose()


def add_users(
    reg: Registry, users: list[tuple[str, str]], password: str = "contraseña segura"
) -> Registry:
    """Add ``users`` (name, role) to ``reg``: the first, an administrator, by the local
    operator of a registry without users; the others by that administrator, as people
    would."""
    first, role = users[0]
    assert role == "admin", "a registry's first user is an administrator"
    if reg.store.get_user(first) is None:
        reg.add_user(first, "admin", password, ADMIN)
    admin = reg.actor(first)
    for name, role in users[1:]:
        reg.add_user(name, role, password, admin)
    return reg


def iap_values(**overrides: Any) -> dict[str, Any]:
    """Valid values of an IAP in Santiago (comuna 13101)."""
    values: dict[str, Any] = {
        "name": "Clúster de prueba",
        "kind": "iap",
        "initiative_type": "cluster",
        "country": "CL",
        "location_precision": "exact",
        "sector": "tourism",
        "geometry": "POINT (-70.6506 -33.4372)",
        "status": "published",
    }
    values.update(overrides)
    return values


def barrio_values(**overrides: Any) -> dict[str, Any]:
    """Valid values of a barrio comercial drawn as a street segment in Valdivia."""
    values: dict[str, Any] = {
        "name": "Barrio de prueba",
        "kind": "barrio_comercial",
        "country": "CL",
        "location_precision": "street",
        "sector": "retail_commerce",
        "geometry": "LINESTRING (-73.2459 -39.8142, -73.2440 -39.8150)",
        "action_lines": "asociatividad|entorno_urbano",
        "status": "published",
    }
    values.update(overrides)
    return values


def require_tool(name: str) -> str:
    """Return the path of a command-line tool; fail (never skip) when it is missing."""
    path = shutil.which(name)
    assert path, f"{name} is required by the tests (make test installs it)"
    return path


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from registry.seed import seed

    folder = tmp_path_factory.mktemp("seeded")
    reg = Registry(str(folder / "live.gpkg"))
    reg.init()
    seed(reg, ADMIN)
    # The live file is in WAL mode: copying it alone would lose the last transactions.
    # ``backup`` writes one self-contained file that can then be copied per test.
    path = folder / "registry.gpkg"
    reg.store.backup(str(path))
    return path


@pytest.fixture
def seeded(_seeded_template: Path, tmp_path: Path) -> Registry:
    """A registry holding the bundled sample data (a fresh copy for each test)."""
    path = tmp_path / "seeded.gpkg"
    shutil.copy(_seeded_template, path)
    return Registry(str(path))
