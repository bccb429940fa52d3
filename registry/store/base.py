"""The ``Store`` protocol every backend implements, and the shared ``Filters``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # only in annotations: ``Filters`` is read without loading them
    import geopandas as gpd
    import pandas as pd

    from registry.stats import Tally

__all__ = ["FILTER_PARAMS", "BatchResult", "Filters", "Store"]


@dataclass(frozen=True)
class Filters:
    """Filters shared by ``list`` and ``export``; each list field matches any of its values.

    ``focus`` and ``funding`` match the primary value or any of the others; ``q`` searches
    names, organisations, places and texts, ignoring case and accents.
    """

    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    comuna: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    initiative_type: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    focus: tuple[str, ...] = ()
    funding: tuple[str, ...] = ()
    program: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    q: str | None = None
    start_year_min: int | None = None
    start_year_max: int | None = None
    # Who reads: None = no restriction; "" = published entries only; a username = published
    # entries plus those the user owns or is named editor of. Set by ``registry.api``.
    readable_by: str | None = None

    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))


# Filters field -> (its query parameter in URLs, code list or None for region/comuna codes);
# shared by the app's URLs and the OGC API.
FILTER_PARAMS: dict[str, tuple[str, str | None]] = {
    "country": ("country", "country"),
    "region": ("region", None),
    "comuna": ("comuna", None),
    "kind": ("kind", "kind"),
    "initiative_type": ("type", "initiative_type"),
    "sector": ("sector", "sector"),
    "focus": ("focus", "strategic_focus"),
    "funding": ("funding", "funding_source"),
    "program": ("program", "program"),
    "stage": ("stage", "stage"),
    "status": ("status", "status"),
}


@dataclass(frozen=True)
class BatchResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


class Store(Protocol):
    """Storage of registry entries, their monitoring records, their history and the users.

    Every write is one transaction and writes its history rows in that transaction. Updates
    and deletes quote the version they read; a stale version raises ``Conflict``. A create
    may name its entry's id; an id in use raises ``AlreadyExists`` and writes nothing.
    Records are dicts (see ``registry.store.tables``); writes take validated
    ``Initiative`` models.
    """

    url: str

    def init(self) -> None: ...
    def migrate(self) -> None: ...
    def is_initialized(self) -> bool: ...
    def check(self) -> None: ...
    def data_version(self) -> int: ...
    def get(self, record_id: str, include_deleted: bool = True) -> dict[str, Any]: ...
    def find_ids(self, external_ids: list[str]) -> dict[str, str]: ...
    def get_many(self, record_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def list(
        self,
        filters: Filters | None = None,
        include_deleted: bool = False,
        columns: Sequence[str] | None = None,
        geometry: bool = True,
        ordered: bool = True,
    ) -> gpd.GeoDataFrame: ...
    def tally(self, filters: Filters | None, by: Sequence[str]) -> Tally: ...
    def create(self, model: Any, actor: str, owner: str | None = None) -> dict[str, Any]: ...
    def update(
        self, record_id: str, model: Any, expected_version: int, actor: str
    ) -> dict[str, Any]: ...
    def delete(self, record_id: str, expected_version: int, actor: str) -> dict[str, Any]: ...
    def history(self, record_id: str) -> builtins.list[dict[str, Any]]: ...
    def revert(
        self, record_id: str, to_version: int, actor: str, expected_version: int | None = None
    ) -> dict[str, Any]: ...
    def apply_batch(
        self, creates: builtins.list[Any], updates: builtins.list[tuple[str, Any, int]], actor: str
    ) -> BatchResult: ...
    def backup(self, dest: str) -> None: ...
    def dump(self) -> dict[str, builtins.list[dict[str, Any]]]: ...
    def load(
        self, tables: dict[str, builtins.list[dict[str, Any]]], replace: bool = False
    ) -> None: ...
    def indicator_rows(self) -> pd.DataFrame: ...
    def replace_indicator_series(
        self, rows: builtins.list[dict[str, Any]], actor: str
    ) -> builtins.list[str]: ...
    def remove_indicator_series(self, name: str, actor: str) -> int: ...
    def official_units(self) -> pd.DataFrame: ...
    def official_units_stamp(self) -> str: ...
    def replace_official_units(
        self, country: str, level: int, rows: builtins.list[dict[str, Any]], actor: str, assign: Any
    ) -> tuple[builtins.list[dict[str, Any]], int]: ...
    def monitoring_rows(
        self,
        kind: str,
        initiative_ids: Sequence[str] | None = None,
        include_deleted: bool = False,
        record_ids: Sequence[str] | None = None,
    ) -> builtins.list[dict[str, Any]]: ...
    def monitoring_get(self, kind: str, record_id: str) -> dict[str, Any]: ...
    def monitoring_activity(
        self, initiative_ids: Sequence[str] | None = None
    ) -> dict[str, str]: ...
    def monitoring_write(
        self,
        kind: str,
        creates: Iterable[dict[str, Any]] = (),
        updates: Iterable[tuple[str, dict[str, Any], int]] = (),
        deletes: Iterable[tuple[str, int]] = (),
        actor: str = "",
        first: Iterable[
            tuple[str, Iterable[tuple[str, dict[str, Any], int]], Iterable[tuple[str, int]]]
        ] = (),
    ) -> builtins.list[dict[str, Any]]: ...
    def add_user(
        self, username: str, role: str, password_hash: str | None, **extra: Any
    ) -> None: ...
    def get_user(self, username: str) -> dict[str, Any] | None: ...
    def update_user(
        self,
        username: str,
        new_epoch: bool = False,
        keep_session: str | None = None,
        **values: Any,
    ) -> None: ...
    def list_users(self) -> builtins.list[dict[str, Any]]: ...
    def count_users(self) -> int: ...
    def count_login_attempt(
        self, username: str, source: str, lock_until: Any
    ) -> tuple[bool, str | None, int]: ...
    def clear_login_failures(self, username: str, source: str | None = None) -> None: ...
    def add_session(
        self, token_hash: str, username: str, kind: str, epoch: int, expires_at: str
    ) -> None: ...
    def get_session(self, token_hash: str) -> dict[str, Any] | None: ...
    def touch_session(self, token_hash: str) -> None: ...
    def end_sessions(self, token_hash: str | None = None, username: str | None = None) -> int: ...
    def user_by_identity(self, identity: str) -> dict[str, Any] | None: ...
    def queue_mail(self, messages: builtins.list[dict[str, str]]) -> None: ...
    def due_mail(
        self, limit: int = 50, hold: str | None = None
    ) -> builtins.list[dict[str, Any]]: ...
    def mark_mail(
        self, fid: int, sent: bool, error: str | None = None, next_try_at: str | None = None
    ) -> None: ...
    def mail_rows(self, unsent_only: bool = False) -> builtins.list[dict[str, Any]]: ...
    def mail_pending(self) -> int: ...
