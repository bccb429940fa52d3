"""Columnar reads from PostgreSQL: a query's rows straight into Arrow, then a GeoDataFrame.

The generic reader (``SqlStore._frame``) turns every row into Python objects and builds the
frame from them; at 100,000 entries that is most of a list's time. Here the ADBC PostgreSQL
driver (``adbc-driver-postgresql``, on libpq) runs the statement that SQLAlchemy builds as a
binary ``COPY`` and hands back Arrow columns; the geometry comes as WKB
(``ST_AsBinary``) and shapely decodes it as one array. GDAL's PostgreSQL driver would do the
same, but the GDAL that pyogrio's wheels bundle is built without it.

Values are sent as bound parameters (``$1``, ``$2``, ... with SQLAlchemy's casts), never
written into the statement. Connections are kept in a small pool per process (ADBC
connections are not shared between threads, and a forked worker opens its own), in
autocommit mode so that an idle one holds no transaction.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import geopandas as gpd
import pyarrow as pa
import shapely
from sqlalchemy import Select, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from registry.errors import StorageError
from registry.i18n import tr
from registry.store.tables import GEOM_COLUMN

__all__ = ["ArrowReader"]

# psycopg's dialect renders each parameter with its cast (``$1::VARCHAR``), so the driver
# needs no type guesses; IN lists are expanded into one parameter per value
_DIALECT = postgresql.psycopg.dialect(paramstyle="numeric_dollar")
_IDLE_MAX = 4  # connections kept open per process between reads


class ArrowReader:
    """Run SQLAlchemy ``SELECT`` statements on the database at ``url`` into GeoDataFrames.

    Parameters
    ----------
    url : str
        The registry's ``postgresql://`` URL (a password may also come from ``PGPASSFILE``,
        as libpq reads it).
    shown_url : str
        The URL without its password, for messages.
    """

    def __init__(self, url: str, shown_url: str):
        self._uri = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._shown = shown_url
        self._idle: list[Any] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def frame(self, query: Select[Any]) -> gpd.GeoDataFrame:
        """Run ``query`` into a GeoDataFrame (a DataFrame when it selects no geometry).

        Columns keep the query's order with the geometry last, as ``geometry`` (EPSG:4326);
        integers are 64-bit (with missing values: float), text is pandas' string type, as
        the GeoPackage store's GDAL reader gives them.
        """
        table = self._fetch(query)
        has_geometry = GEOM_COLUMN in table.column_names
        attributes = table.drop_columns([GEOM_COLUMN]) if has_geometry else table
        attributes = attributes.cast(
            pa.schema(
                [
                    f.with_type(pa.int64()) if pa.types.is_integer(f.type) else f
                    for f in attributes.schema
                ]
            )
        )
        frame = attributes.to_pandas()
        if not has_geometry:  # the attributes only, as asked
            return frame  # type: ignore[return-value]
        wkb = table.column(GEOM_COLUMN).to_numpy(zero_copy_only=False)
        return gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(shapely.from_wkb(wkb), crs="EPSG:4326")
        )

    def close(self) -> None:
        """Close the idle connections (a read in progress keeps its own)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- statement and connections -------------------------------------------------------
    def _fetch(self, query: Select[Any]) -> pa.Table:
        columns = [
            func.ST_AsBinary(c).label(GEOM_COLUMN) if c.name == GEOM_COLUMN else c
            for c in query.selected_columns
        ]
        compiled = query.with_only_columns(*columns, maintain_column_froms=True).compile(
            dialect=_DIALECT, compile_kwargs={"render_postcompile": True}
        )
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        conn = self._take()
        try:
            with conn.cursor() as cursor:
                cursor.execute(str(compiled), params or None)
                table = cursor.fetch_arrow_table()
        except Exception as exc:
            conn.close()
            raise self._error(exc) from exc
        self._give_back(conn)
        return table

    def _take(self) -> Any:
        import adbc_driver_postgresql.dbapi as adbc

        with self._lock:
            if self._pid != os.getpid():  # a forked process: the parent's are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        try:
            return adbc.connect(self._uri, autocommit=True)
        except Exception as exc:
            raise self._error(exc) from exc

    def _give_back(self, conn: Any) -> None:
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < _IDLE_MAX:
                self._idle.append(conn)
                return
        conn.close()

    def _error(self, exc: Exception) -> Exception:
        """A lost or refused connection is the user's ``StorageError``; anything else (a
        programming error) stays what it is."""
        import adbc_driver_manager.dbapi as dbapi

        if isinstance(exc, dbapi.OperationalError | dbapi.InterfaceError):
            reason = str(exc).strip().splitlines()[0][:300]
            return StorageError(tr("db_unreachable", url=self._shown, reason=reason))
        return exc
