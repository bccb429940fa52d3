"""Columnar reads from PostgreSQL: a query's rows straight into Arrow, then a GeoDataFrame.

The generic reader (``SqlStore._frame``) turns every row into Python objects and builds the
frame from them; at 100,000 entries that is most of a list's time. Here the statement that
SQLAlchemy builds runs inside ``COPY (...) TO STDOUT (FORMAT csv)`` on a psycopg connection,
and pyarrow's CSV reader (C++) parses the whole text at once into
columns typed from the statement's own column types (never guessed: a region code such as
``05`` stays text). The geometry comes as hex WKB (``ST_AsBinary``), turned back into bytes
by numpy and decoded by shapely, each as one array. CSV keeps NULL (an unquoted empty field) apart from the empty string (``""``).

Why not a driver that speaks PostgreSQL's binary COPY into Arrow: the ADBC PostgreSQL driver
(``adbc-driver-postgresql`` 1.13) did this before, but its row reader cost this process
0.48 s of CPU for an unfiltered list of 100,000 entries, against 0.25 s for the text and its
parse here (0.15 s reading the ``COPY``, 0.10 s parsing), with the same work on the server (``perf`` showed the driver's per-field calls
not inlined). GDAL's PostgreSQL driver is not in the GDAL that pyogrio's wheels bundle.

``COPY`` takes no bound parameters, so psycopg merges the values into the statement on the
client, quoting them with the connection's own rules (``Cursor.copy`` with ``params``);
they are never formatted into it as text by us. Connections are kept in a small pool per
process (a forked worker opens its own), in autocommit mode so that an idle one holds no
transaction.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely
from sqlalchemy import Boolean, Float, Integer, Numeric, Select, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from registry.errors import StorageError
from registry.i18n import tr
from registry.store.tables import GEOM_COLUMN

__all__ = ["ArrowReader"]

_DIALECT = postgresql.psycopg.dialect()  # psycopg's "%(name)s" parameters
_IDLE_MAX = 4  # connections kept open per process between reads


def _arrow_type(column: Any) -> pa.DataType:
    """The Arrow type a column of the statement is parsed as (text unless it is a number
    or a boolean)."""
    if column.name == GEOM_COLUMN:
        return pa.string()  # hex WKB
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, Integer):
        return pa.int64()
    if isinstance(kind, Float | Numeric):
        return pa.float64()
    return pa.string()


_HEX = np.zeros(256, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)


def _unhex(strings: pa.StringArray) -> pa.BinaryArray:
    """Lower-case hex text (as ``encode(..., 'hex')`` writes it) as the bytes it spells,
    the whole column at once: shapely reads hex WKB too, but 2.5x slower than bytes."""
    if strings.offset:  # a slice: start it at zero
        strings = pa.concat_arrays([strings])
    validity, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=len(strings) + 1)
    data = np.frombuffer(data_buffer or b"", dtype=np.uint8)  # no buffer: no geometries
    digits = _HEX[data[offsets[0] : offsets[-1]]]
    raw = (digits[0::2] << 4) | digits[1::2]
    halves = ((offsets - offsets[0]) // 2).astype(np.int32)
    return pa.Array.from_buffers(
        pa.binary(), len(strings), [validity, pa.py_buffer(halves), pa.py_buffer(raw)]
    )


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
        wkb = _unhex(table.column(GEOM_COLUMN).combine_chunks()).to_numpy(zero_copy_only=False)
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
            func.encode(func.ST_AsBinary(c), "hex").label(GEOM_COLUMN)
            if c.name == GEOM_COLUMN
            else c
            for c in query.selected_columns
        ]
        query = query.with_only_columns(*columns, maintain_column_froms=True)
        compiled = query.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        names = [c.name for c in query.selected_columns]
        types = {c.name: _arrow_type(c) for c in query.selected_columns}
        conn = self._take()
        try:
            with conn.cursor() as cursor:
                statement = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
                text = bytearray()
                with cursor.copy(statement, compiled.params or None) as copy:
                    while block := copy.read():  # (iterating it costs twice the CPU)
                        text += block
        except Exception as exc:
            conn.close()
            raise self._error(exc) from exc
        self._give_back(conn)
        if not text:
            return pa.table({n: pa.array([], type=types[n]) for n in names})
        # each column whole, as GDAL's reader gives it: the reader's one piece per 1 MB
        # block made taking a few rows (the OGC API's pages) 5 times as costly
        return pa_csv.read_csv(
            pa.py_buffer(text),
            # one thread: a third less CPU than several, for 10 % more time
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,  # NULL: an unquoted empty field
                quoted_strings_can_be_null=False,  # the empty string: ""
                true_values=["t"],
                false_values=["f"],
            ),
        ).combine_chunks()

    def _take(self) -> Any:
        import psycopg

        with self._lock:
            if self._pid != os.getpid():  # a forked process: the parent's are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        try:
            return psycopg.connect(self._uri, autocommit=True)
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
        import psycopg

        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            reason = str(exc).strip().splitlines()[0][:300]
            return StorageError(tr("db_unreachable", url=self._shown, reason=reason))
        return exc
