"""Inputs for a real region outside the Netherlands, made from the Liechtenstein extract
(or, with ``region=ANDORRA``, the Andorra extract: folder ``andorra/``, Nord and Sud).

``make_inputs(root)`` writes what ``data/liechtenstein.toml`` reads under the data root
``root``: a symlink ``roads/liechtenstein_2021.osm.pbf`` to the shared extract, and

* ``liechtenstein/boundaries.gpkg`` (EPSG:4326): layer ``land`` (the country: the convex
  hull of the extract's street nodes, shrunk by 1 km) and layer ``gemeenten`` (that hull
  split at the median street-node northing into Unterland, north, and Oberland, south);
* ``liechtenstein/population.tif`` (EPSG:3035, the European 100 m grid): residents on the
  cells that hold street nodes and whose centre lies inside the country, 1..30 each
  (seeded), nodata elsewhere;
* ``liechtenstein/aeds.csv``: AEDs at street nodes (their own lat/lon), most ``24/7``.

Nothing here uses bereikbaar; the street nodes come straight from pyosmium.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
LI_PBF = SHARED_DATA / "roads" / "liechtenstein_2021.osm.pbf"
AD_PBF = SHARED_DATA / "roads" / "andorra_2021.osm.pbf"
UTM = "EPSG:32632"


@dataclass(frozen=True)
class Region:
    """A real extract and the names written for it."""

    folder: str
    country: str
    pbf: Path
    utm: str
    north: str
    south: str


LIECHTENSTEIN = Region("liechtenstein", "Liechtenstein", LI_PBF, UTM, "Unterland", "Oberland")
ANDORRA = Region("andorra", "Andorra", AD_PBF, "EPSG:32631", "Nord", "Sud")
CELL_M = 100.0
WALK_HIGHWAYS = frozenset(
    ("residential", "unclassified", "tertiary", "secondary", "primary", "living_street",
     "service", "footway", "path", "pedestrian", "track", "steps", "cycleway",
     "tertiary_link", "secondary_link", "primary_link")
)  # fmt: skip


@dataclass(frozen=True)
class Inputs:
    """What was written, for the test's own computations."""

    root: Path
    country_utm: object  # shapely polygon in EPSG:32632
    split_y: float  # northing of the municipal border (EPSG:32632)
    residents_total: float
    aeds: list[dict]


def street_nodes_lonlat(pbf: Path = LI_PBF) -> np.ndarray:
    """``(n, 2)`` lon/lat of every node of a walkable highway way in the extract."""
    import osmium

    coords = []
    fp = (
        osmium.FileProcessor(str(pbf))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if obj.is_way() and obj.tags.get("highway") in WALK_HIGHWAYS:
            for n in obj.nodes:
                if n.location.valid():
                    coords.append((n.lon, n.lat))
    return np.unique(np.array(coords, dtype=float), axis=0)


def make_inputs(root: Path, *, n_aeds: int = 14, region: Region = LIECHTENSTEIN) -> Inputs:
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    (root / "roads").mkdir(parents=True, exist_ok=True)
    link = root / "roads" / region.pbf.name
    if not link.exists():
        link.symlink_to(region.pbf.resolve())
    out = root / region.folder
    out.mkdir(parents=True, exist_ok=True)

    lonlat = street_nodes_lonlat(region.pbf)
    utm = region.utm
    to_utm = Transformer.from_crs("EPSG:4326", utm, always_xy=True)
    x, y = to_utm.transform(lonlat[:, 0], lonlat[:, 1])
    country = shapely.MultiPoint(np.column_stack([x, y])).convex_hull.buffer(-1000.0)
    inside = shapely.contains_xy(country, x, y)
    split_y = float(np.median(y[inside]))
    x0, y0, x1, y1 = country.bounds
    north = country.intersection(shapely.box(x0 - 1, split_y, x1 + 1, y1 + 1))
    south = country.intersection(shapely.box(x0 - 1, y0 - 1, x1 + 1, split_y))
    gm = gpd.GeoDataFrame(
        {"statcode": ["R01", "R02"], "statnaam": [region.north, region.south]},
        geometry=[north, south],
        crs=utm,
    ).to_crs("EPSG:4326")
    land = gpd.GeoDataFrame(
        {"statcode": ["R"], "statnaam": [region.country]}, geometry=[country], crs=utm
    ).to_crs("EPSG:4326")
    gpkg = out / "boundaries.gpkg"
    gpkg.unlink(missing_ok=True)
    gm.to_file(gpkg, layer="gemeenten", driver="GPKG")
    land.to_file(gpkg, layer="land", driver="GPKG")

    total = _population_raster(out / "population.tif", lonlat, country, utm)
    aeds = _aed_register(out / "aeds.csv", lonlat[inside], n_aeds)
    return Inputs(root, country, split_y, total, aeds)


def _population_raster(path: Path, lonlat: np.ndarray, country_utm, utm: str = UTM) -> float:
    """EPSG:3035 100 m cells holding street nodes, centre inside the country; the sum."""
    import rasterio
    import shapely
    from affine import Affine
    from pyproj import Transformer

    to_laea = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    laea_to_utm = Transformer.from_crs("EPSG:3035", utm, always_xy=True)
    ex, ny = to_laea.transform(lonlat[:, 0], lonlat[:, 1])
    west = np.floor(ex.min() / CELL_M) * CELL_M - CELL_M
    north = np.ceil(ny.max() / CELL_M) * CELL_M + CELL_M
    cols = ((ex - west) // CELL_M).astype(int)
    rows = ((north - ny) // CELL_M).astype(int)
    width, height = cols.max() + 2, rows.max() + 2
    cells = np.unique(np.column_stack([rows, cols]), axis=0)
    cx = west + (cells[:, 1] + 0.5) * CELL_M
    cy = north - (cells[:, 0] + 0.5) * CELL_M
    ux, uy = laea_to_utm.transform(cx, cy)
    keep = shapely.contains_xy(country_utm.buffer(-60.0), ux, uy)
    cells = cells[keep]
    values = np.full((height, width), -9999.0, dtype="float32")
    rng = np.random.default_rng(11)
    residents = rng.integers(1, 31, size=len(cells)).astype("float32")
    values[cells[:, 0], cells[:, 1]] = residents
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:3035",
        transform=Affine(CELL_M, 0.0, west, 0.0, -CELL_M, north),
        nodata=-9999.0,
    ) as dst:
        dst.write(values, 1)
    return float(residents.sum())


def _aed_register(path: Path, lonlat: np.ndarray, n: int) -> list[dict]:
    """AEDs at evenly spread street nodes: every third has office hours, the rest 24/7."""
    order = np.lexsort((lonlat[:, 0], lonlat[:, 1]))
    picks = order[np.linspace(0, len(order) - 1, n).astype(int)]
    rows = []
    for k, pos in enumerate(picks):
        lon, lat = (float(v) for v in lonlat[pos])
        hours = "Mo-Fr 08:00-18:00" if k % 3 == 2 else "24/7"
        rows.append({"id": f"LI-AED-{k + 1:02d}", "name": f"AED {k + 1}", "lat": lat,
                     "lon": lon, "availability": hours})  # fmt: skip
    lines = ["id,name,lat,lon,availability"]
    lines += [f"{r['id']},{r['name']},{r['lat']!r},{r['lon']!r},{r['availability']}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows
