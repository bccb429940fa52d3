"""Store contract: the behaviour every backend must show, on a real GeoPackage file and on a
real PostgreSQL + PostGIS server (``scripts/postgis-test-server``; missing, the tests fail)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.generate import write_csv
from registry import stats
from registry.api import Registry
from registry.auth import VISITOR, Actor
from registry.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from registry.schema import validate_record
from registry.stats import BY_FIELDS
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


def test_a_create_sent_again_with_its_id_writes_nothing_more(registry: Registry) -> None:
    """A form sends its new entry with the id it was drawn with: the same create again (a
    second press, a retried request) returns the entry the first made and writes nothing."""
    values = iap_values(id=str(uuid.uuid4()), n_firms="12")
    first = registry.create(values, ADMIN)
    again = registry.create(dict(values), ADMIN)
    assert (again["id"], again["version"], again["n_firms"]) == (first["id"], 1, 12)
    assert registry.list()["id"].tolist() == [first["id"]]
    assert len(registry.history(first["id"])) == 1
    # the same id with other values, or from someone else, is refused and changes nothing
    with pytest.raises(AlreadyExists) as info:
        registry.create(dict(values, name="Otra entrada"), ADMIN)
    assert first["id"] in info.value.user_msg and info.value.exit_code == 3
    with pytest.raises(AlreadyExists):
        registry.create(dict(values), Actor("bea", "admin"))
    assert registry.get(first["id"])["name"] == values["name"]
    assert registry.list()["id"].tolist() == [first["id"]]


def test_an_update_sent_again_writes_nothing_more(registry: Registry) -> None:
    """The same change sent twice at the version it was made from (a double click whose first
    run stopped before the page learnt the new version): one new version, no conflict; a
    different change at that version is still a conflict."""
    rec = registry.create(iap_values(), ADMIN)
    v2 = registry.update(rec["id"], {"n_firms": "12"}, 1, ADMIN)
    again = registry.update(rec["id"], {"n_firms": "12"}, 1, ADMIN)
    assert (again["version"], again["n_firms"], again["updated_at"]) == (2, 12, v2["updated_at"])
    assert len(registry.history(rec["id"])) == 2
    with pytest.raises(Conflict):
        registry.update(rec["id"], {"n_firms": "13"}, 1, ADMIN)
    registry.update(rec["id"], {"n_firms": "14"}, 2, Actor("bea", "admin"))
    with pytest.raises(Conflict):  # someone else's write since, even back to the same value
        registry.update(rec["id"], {"n_firms": "14"}, 2, ADMIN)
    assert registry.get(rec["id"])["version"] == 3


def test_two_creates_with_one_id_at_once_make_one_entry(registry: Registry) -> None:
    """Two presses of one form on two server threads: the store's unique id decides."""
    values = iap_values(id=str(uuid.uuid4()))
    start = threading.Barrier(4)

    def press(_: int) -> str:
        start.wait()
        return str(registry.create(dict(values), ADMIN)["id"])

    with ThreadPoolExecutor(4) as pool:  # an error in any press is raised here
        made = list(pool.map(press, range(4)))
    assert made == [values["id"]] * 4
    assert registry.list()["id"].tolist() == [values["id"]]
    assert len(registry.history(values["id"])) == 1


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


def test_a_list_is_ordered_by_name_unless_asked_not_to_be(registry: Registry) -> None:
    names = ["Zorzal", "Álamo", "alerce", "Boldo", "Boldo"]
    for name in names:
        registry.create(iap_values(name=name), ADMIN)
    ordered = registry.list()
    assert ordered["name"].tolist() == ["Boldo", "Boldo", "Zorzal", "alerce", "Álamo"]
    assert ordered["id"].tolist()[:2] == sorted(ordered["id"].tolist()[:2])  # ties by id
    loose = registry.list(ordered=False, columns=["name"], geometry=False)
    assert sorted(loose["name"]) == sorted(names) and list(loose.columns) == ["name"]
    # counts do not depend on the order they were read in
    assert registry.stats(by=("sector", "region_code"))["entries"] == len(names)


def test_the_store_counts_as_the_frame_functions_do(registry: Registry, tmp_path: Path) -> None:
    """``Registry.stats`` takes its counts from the store (PostGIS counts them itself, with
    grouping sets); they equal ``registry.stats`` run on the listed entries, for each viewer
    and filter."""
    registry.import_file(write_csv(300, tmp_path / "entries.csv", seed=3), ADMIN)
    registry.create(iap_values(name="Sin empresas", n_firms=None, program=None), ADMIN)
    registry.create(
        iap_values(name="En Lima", country="PE", geometry="POINT (-77.03 -12.05)"), ADMIN
    )
    registry.create(barrio_values(n_businesses="40", status="draft"), ADMIN)
    employment = registry.territory._employment()
    sector = registry.list(columns=["sector"], geometry=False)["sector"].iloc[0]
    for viewer in (None, VISITOR):
        for filters in (None, Filters(sector=(sector,)), Filters(q="ninguna entrada así")):
            got = registry.stats(filters, by=tuple(BY_FIELDS), viewer=viewer)
            frame = registry.list(filters, viewer=viewer, geometry=False)
            expected = stats.summary(frame, tuple(BY_FIELDS), _names(registry))
            expected["per_region"] = stats.per_region(frame, employment, registry.region_names())
            assert got == expected, (viewer, filters)
            assert got["entries"] == len(frame)
    assert got["entries"] == 0 and got["per_region"]  # nothing matched: regions still listed


def _names(registry: Registry) -> dict[str, dict[str, str]]:
    return {"region_code": registry.region_names(), "comuna_code": registry.comuna_names()}


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
