"""GeoPackage geometry blobs (GPB): encode, decode, and the SQL functions GDAL's triggers need.

A GPB is ``"GP"``, version, flags, srs_id, an optional envelope, then standard WKB
(GeoPackage 1.2, clause 2.1.3). The R-tree triggers that GDAL creates call ``ST_IsEmpty``,
``ST_MinX``, ``ST_MaxX``, ``ST_MinY`` and ``ST_MaxY``; plain SQLite lacks them, so
``register_functions`` adds them to each connection.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["decode_many", "encode", "encode_many", "register_functions"]

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_EMPTY_FLAG = 0x10


def encode(geom: BaseGeometry | None, srs_id: int = 4326) -> bytes | None:
    """Return the GeoPackage blob of ``geom`` (little-endian, XY envelope)."""
    if geom is None:
        return None
    if geom.is_empty:
        return (
            b"GP\x00"
            + bytes([0x01 | _EMPTY_FLAG])
            + struct.pack("<i", srs_id)
            + shapely.to_wkb(geom, byte_order=1, output_dimension=2)
        )
    minx, miny, maxx, maxy = geom.bounds
    header = b"GP\x00\x03" + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, output_dimension=2)


_HEADER = struct.Struct("<i4d")


def encode_many(geoms: Sequence[BaseGeometry | None], srs_id: int = 4326) -> list[bytes | None]:
    """``encode`` of each geometry, their WKB and bounds computed as one array."""
    array = np.empty(len(geoms), dtype=object)
    array[:] = geoms
    wkbs = shapely.to_wkb(array, byte_order=1, output_dimension=2)
    bounds = shapely.bounds(array).tolist()
    empty = shapely.is_empty(array).tolist()
    out: list[bytes | None] = []
    for geom, wkb, (minx, miny, maxx, maxy), is_empty in zip(
        geoms, wkbs, bounds, empty, strict=True
    ):
        if geom is None or is_empty:
            out.append(encode(geom, srs_id))
        else:
            out.append(b"GP\x00\x03" + _HEADER.pack(srs_id, minx, maxx, miny, maxy) + wkb)
    return out


def _wkb_offset(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_BYTES[(flags >> 1) & 0x07]


def decode_many(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Decode GeoPackage blobs to an array of shapely geometries (None stays None)."""
    wkbs = [None if b is None else bytes(b[_wkb_offset(b) :]) for b in blobs]
    return shapely.from_wkb(np.array(wkbs, dtype=object))


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    if blob is None or len(blob) < 8 or blob[:2] != b"GP" or blob[3] & _EMPTY_FLAG:
        return None
    flags = blob[3]
    if (flags >> 1) & 0x07:
        order = "<" if flags & 0x01 else ">"
        minx, maxx, miny, maxy = struct.unpack_from(order + "4d", blob, 8)
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(bytes(blob[_wkb_offset(blob) :]))
    if geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _is_empty(blob: Any) -> int | None:
    if blob is None:
        return None
    return 1 if _envelope(blob) is None else 0


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the five spatial functions GDAL's R-tree triggers call."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for name, pos in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
        conn.create_function(
            name,
            1,
            lambda b, p=pos: None if (e := _envelope(b)) is None else e[p],
            deterministic=True,
        )
