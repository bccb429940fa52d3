"""Write the hostile-input corpus next to this file (CSV and GeoJSON; the GeoPackage cases
are built by ``gpkg_cases`` at test time). Every file here was written by this script:
``python tests/data/hostile/build.py``; ``tests/test_hostile_input.py`` checks that the
files on disk are exactly what it writes.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "external_id,name,kind,initiative_type,country,location_precision,sector,lon,lat"
OK = "iap,cluster,CL,exact,tourism"  # kind .. sector of a valid IAP
SANTIAGO = "-70.6506,-33.4372"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _barrio(wkt: str) -> bytes:
    header = "external_id,name,kind,country,location_precision,sector,wkt"
    return _csv(f'B1,Barrio,barrio_comercial,CL,street,retail_commerce,"{wkt}"', header=header)


def _feature(name: str, x: float, y: float) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {
            "name": name,
            "kind": "iap",
            "initiative_type": "cluster",
            "country": "CL",
            "location_precision": "exact",
            "sector": "tourism",
        },
    }


FILES: dict[str, bytes] = {
    "wrong_types.csv": _csv(
        f"T1,Tipos,{OK},{SANTIAGO},muchas,20x3,sí",
        header=HEADER + ",n_firms,start_year,participatory_governance",
    ),
    "missing_required.csv": _csv(
        f"M1,,{OK},{SANTIAGO}",
        f"M2,Sin sector,iap,cluster,CL,exact,,{SANTIAGO}",
    ),
    "missing_column.csv": _csv(
        f"C1,Sin columna sector,iap,cluster,CL,exact,{SANTIAGO}",
        header="external_id,name,kind,initiative_type,country,location_precision,lon,lat",
    ),
    "nan_inf_coordinates.csv": _csv(
        f"N1,NaN,{OK},NaN,-33.4",
        f"N2,Inf,{OK},-70.6,inf",
        f"N3,Medio,{OK},-70.6,",
    ),
    "out_of_range.csv": _csv(f"R1,Fuera,{OK},-200.5,-33.4", f"R2,Polo,{OK},-70.6,-95"),
    "swapped_lat_lon.csv": _csv(f"S1,Invertida,{OK},-33.4372,-70.6506"),
    "at_sea.csv": _csv(f"P1,En el mar,{OK},-80.0,-33.0"),
    "other_country.csv": _csv(f"A1,En Buenos Aires,{OK},-58.38,-34.60"),
    "self_intersecting.csv": _barrio(
        "POLYGON ((-70.65 -33.44, -70.64 -33.43, -70.65 -33.43, -70.64 -33.44, -70.65 -33.44))"
    ),
    "unclosed_polygon.csv": _barrio("POLYGON ((-70.65 -33.44, -70.64 -33.44, -70.64 -33.43))"),
    "empty_geometry.csv": _barrio("POINT EMPTY"),
    "huge_string.csv": _csv(f"H1,{'x' * 5000},{OK},{SANTIAGO}"),
    "control_characters.csv": _csv(f"K1,Nombre\x07con\x1bcontrol,{OK},{SANTIAGO}"),
    "rtl_and_emoji.csv": _csv(f"E1,مركز الأعمال 🌵 Clúster ✓,{OK},{SANTIAGO}"),
    "formula_injection.csv": _csv(
        f'F1,"=HYPERLINK(""http://x"",""y"")",{OK},{SANTIAGO}',
        f"F2,+56 9 1234,{OK},{SANTIAGO}",
        f"F3,-Cooperativa,{OK},{SANTIAGO}",
        f"F4,@SUM(A1),{OK},{SANTIAGO}",
    ),
    "html_js.csv": _csv(
        f'J1,"<script>alert(1)</script><img src=x onerror=alert(2)>",{OK},{SANTIAGO}',
        f'J2,"</script>${{alert(3)}}`${{4}}`",{OK},{SANTIAGO}',
    ),
    "sql_fragments.csv": _csv(
        f"Q1,'); DROP TABLE initiatives; --,{OK},{SANTIAGO}",
        f'Q2,"1 OR 1=1; SELECT * FROM users",{OK},{SANTIAGO}',
    ),
    "duplicate_ids.csv": _csv(f"D1,Uno,{OK},{SANTIAGO}", f"D1,Dos,{OK},{SANTIAGO}"),
    "unknown_codes.csv": _csv(f"U1,Astros,iap,cluster,CL,exact,astrología,{SANTIAGO}"),
    "utf8_bom.csv": b"\xef\xbb\xbf" + _csv(f"BOM1,Ñuñoa Creativa,{OK},-70.6000,-33.4560"),
    "windows1252.csv": _csv(f"W1,Peñalolén Café,{OK},-70.5000,-33.4800").decode().encode("cp1252"),
    "semicolon_decimal_comma.csv": (
        "Nombre;Clase de entrada;Tipo de iniciativa;País;Precisión de la ubicación;Sector;"
        "longitud;latitud\nValparaíso Puerto;iap;cluster;CL;exact;Turismo;-71,6197;-33,0458\n"
    ).encode(),
    "truncated.csv": _csv(f"X1,Completa,{OK},{SANTIAGO}", 'X2,"Cortada a medio camino,iap,clu'),
    "header_only.csv": (HEADER + "\n").encode("utf-8"),
    "binary.csv": bytes(range(256)) * 8,
    "truncated.geojson": json.dumps(
        {"type": "FeatureCollection", "features": [_feature("Cortada", -70.65, -33.44)]}
    ).encode()[:-25],
    "projected_utm19s.geojson": json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32719"}},
            "features": [_feature("En UTM 19S", 346_800.0, 6_298_900.0)],
        }
    ).encode(),
    "not_geojson.geojson": b'{"type": "Topology", "objects": {}}',
}


def write_all(folder: Path = HERE) -> list[Path]:
    """Write every corpus file into ``folder``; return their paths."""
    out = []
    for name, data in FILES.items():
        path = folder / name
        path.write_bytes(data)
        out.append(path)
    return out


def gpkg_cases(folder: Path) -> dict[str, Path]:
    """GeoPackage cases, written with GDAL into ``folder``: one valid entry in UTM 19S, and
    one file whose second feature has an unknown sector code."""
    import geopandas as gpd
    import shapely

    def frame(rows: list[tuple[str, str, float, float]], crs: int) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "name": [r[0] for r in rows],
                "kind": ["iap"] * len(rows),
                "initiative_type": ["cluster"] * len(rows),
                "country": ["CL"] * len(rows),
                "location_precision": ["exact"] * len(rows),
                "sector": [r[1] for r in rows],
            },
            geometry=[shapely.Point(r[2], r[3]) for r in rows],
            crs=crs,
        )

    projected = folder / "projected.gpkg"
    frame([("GPKG proyectado", "tourism", 346_800.0, 6_298_900.0)], 32719).to_file(projected)
    bad = folder / "unknown_code.gpkg"
    frame(
        [("Bien", "tourism", -70.65, -33.44), ("Mal", "astrología", -70.64, -33.44)], 4326
    ).to_file(bad)
    return {"projected.gpkg": projected, "unknown_code.gpkg": bad}


if __name__ == "__main__":
    for written in write_all():
        print(written.name)
