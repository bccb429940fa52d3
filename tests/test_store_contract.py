"""Store contract: the behaviour every backend must show, on a real GeoPackage file and on a
real PostgreSQL + PostGIS server (``scripts/postgis-test-server``; missing, the tests fail)."""

from __future__ import annotations

import pytest

from registry.api import Registry
from registry.errors import Conflict, NotFound, ValidationFailed
from registry.schema import validate_record
from registry.store import Filters
from tests.conftest import ADMIN, barrio_values, iap_values


@pytest.fixture(params=["gpkg", "postgis"])
def registry(request: pytest.FixtureRequest) -> Registry:
    """The same tests on each backend."""
    return Registry(store=request.getfixturevalue(f"{request.param}_store"))


def test_create_get_and_list(registry: Registry) -> None:
    created = registry.create(iap_values(), ADMIN)
    assert created["version"] == 1 and created["created_by"] == "admin"
    assert (created["region_code"], created["comuna_code"]) == ("13", "13101")
    got = registry.get(created["id"])
    assert got["geometry"].equals(created["geometry"])
    frame = registry.list()
    assert frame.crs.to_epsg() == 4326 and frame["id"].tolist() == [created["id"]]


def test_update_with_version_and_conflict_on_stale(registry: Registry) -> None:
    rec = registry.create(iap_values(), ADMIN)
    v2 = registry.update(rec["id"], {"n_firms": "12"}, 1, ADMIN)
    assert (v2["version"], v2["n_firms"]) == (2, 12)
    with pytest.raises(Conflict) as info:
        registry.update(rec["id"], {"n_firms": "99"}, 1, ADMIN)
    assert "versión 2" in info.value.user_msg and info.value.exit_code == 3
    assert registry.get(rec["id"])["n_firms"] == 12  # the stale write changed nothing


def test_history_and_revert(registry: Registry) -> None:
    rec = registry.create(iap_values(name="Original"), ADMIN)
    registry.update(rec["id"], {"name": "Cambiado"}, 1, ADMIN)
    reverted = registry.revert(rec["id"], 1, ADMIN, expected_version=2)
    assert (reverted["name"], reverted["version"]) == ("Original", 3)
    steps = registry.history(rec["id"])
    assert [(h["version"], h["operation"]) for h in steps] == [
        (1, "create"),
        (2, "update"),
        (3, "revert"),
    ]
    assert steps[1]["before"]["name"] == "Original" and steps[1]["after"]["name"] == "Cambiado"
    assert all(h["actor"] == "admin" and h["at"].endswith("Z") for h in steps)


def test_soft_delete_hides_keeps_history_and_can_be_reverted(registry: Registry) -> None:
    rec = registry.create(iap_values(), ADMIN)
    with pytest.raises(Conflict):
        registry.delete(rec["id"], 5, ADMIN)
    registry.delete(rec["id"], 1, ADMIN)
    assert len(registry.list()) == 0
    assert len(registry.list(include_deleted=True)) == 1
    assert registry.get(rec["id"])["deleted"] is True
    with pytest.raises(NotFound):
        registry.update(rec["id"], {"name": "x"}, 2, ADMIN)
    with pytest.raises(Conflict):  # a restore quotes the version it saw, as every write
        registry.revert(rec["id"], 1, ADMIN, expected_version=1)
    restored = registry.revert(rec["id"], 1, ADMIN, expected_version=2)
    assert restored["deleted"] is False and len(registry.list()) == 1


def test_not_found(registry: Registry) -> None:
    with pytest.raises(NotFound) as info:
        registry.get("00000000-0000-0000-0000-000000000000")
    assert info.value.exit_code == 4


def test_batch_is_all_or_nothing_on_conflict(registry: Registry) -> None:
    rec = registry.create(iap_values(), ADMIN)
    good = validate_record(iap_values(name="Nueva"))
    with pytest.raises(Conflict):
        registry.store.apply_batch([good], [(rec["id"], validate_record(iap_values()), 7)], "admin")
    assert len(registry.list()) == 1
    assert len(registry.history(rec["id"])) == 1


def test_filters(registry: Registry) -> None:
    registry.create(
        iap_values(
            name="Ñandú Turismo",
            strategic_focus="innovation",
            funding_source="private",
            funding_source_other="public_regional",
        ),
        ADMIN,
    )
    registry.create(barrio_values(name="Barrio Esmeralda"), ADMIN)
    count = lambda **kw: len(registry.list(Filters(**kw)))  # noqa: E731
    assert count(kind=("barrio_comercial",)) == 1
    assert count(region=("14",)) == 1 and count(comuna=("14101",)) == 1
    assert count(q="nandu") == 1 and count(q="ESMERALDA") == 1 and count(q="100%") == 0
    assert count(focus=("innovation",)) == 1 and count(focus=("innov",)) == 0
    assert count(funding=("public_regional",)) == 1 and count(funding=("private",)) == 1
    assert count(sector=("tourism", "retail_commerce")) == 2
    assert count(status=("draft",)) == 0


def test_invalid_model_never_reaches_the_store(registry: Registry) -> None:
    with pytest.raises(ValidationFailed):
        registry.create(iap_values(sector="nope"), ADMIN)
    assert len(registry.list(include_deleted=True)) == 0


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    from registry.errors import StorageError

    reg = Registry("postgresql://iap:secreto@127.0.0.1:1/registro")
    with pytest.raises(StorageError) as info:
        reg.list()
    assert "no se puede usar la base de datos postgresql://iap:***@127.0.0.1:1/registro" in (
        info.value.user_msg
    )
    assert "secreto" not in info.value.user_msg
