"""Cut the shared Natural Earth outlines down to the web map's base layer.

Reads ``benelux_neighbours_10m.geojson`` (Belgium, the Netherlands, Luxembourg, France, Germany,
the United Kingdom; WGS84 lon/lat degrees) and writes ``web/data/basemap-benelux.geojson``: each
country clipped to the box lon 1.0..9.0 deg, lat 48.5..54.5 deg (which drops the Caribbean
Netherlands and most of the neighbours), made valid (``shapely.make_valid``: the quantised 10 m
Belgium and Luxembourg rings self-intersect) and rounded to 4 decimals (about 10 m, below the 10 m
scale's own precision). Each feature keeps ``id`` (ISO 3166-1 numeric) and ``name`` and gains
``benelux`` (true for 056, 528, 442).

Run: ``.venv/bin/python web/tools/make_basemap.py [SOURCE_DIR]`` (default
``/work/shared/data/basemap-benelux-natural-earth``, or ``src/dronewall/world/data`` which holds an
unchanged copy).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import box, mapping, shape

BOX = box(1.0, 48.5, 9.0, 54.5)
BENELUX = {"056", "528", "442"}


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), 4), round(float(coords[1]), 4)]
    return [_round(c) for c in coords]


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    default = Path("/work/shared/data/basemap-benelux-natural-earth")
    if not default.exists():
        default = here.parent / "src/dronewall/world/data"
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    data = json.loads((src / "benelux_neighbours_10m.geojson").read_text(encoding="utf-8"))
    out = []
    for feat in data["features"]:
        geom = shapely.make_valid(shape(feat["geometry"])).intersection(BOX)
        if geom.is_empty:
            continue
        polys = [
            g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")
        ]
        geom = shapely.union_all(polys)
        gj = mapping(geom)
        props = feat.get("properties") or {}
        fid = str(feat.get("id", props.get("id", "")))
        out.append(
            {
                "type": "Feature",
                "id": fid,
                "properties": {
                    "id": fid,
                    "name": props.get("name", fid),
                    "benelux": fid in BENELUX,
                },
                "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])},
            }
        )
    dest = here / "data" / "basemap-benelux.geojson"
    dest.write_text(
        json.dumps({"type": "FeatureCollection", "features": out}, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {dest} ({dest.stat().st_size} bytes, {len(out)} features)")


if __name__ == "__main__":
    main()
