"""A real region outside the Netherlands, end to end in its own working CRS (issue #11).

The Liechtenstein extract (../shared/data/roads/) with boundaries (EPSG:4326), a population
grid (EPSG:3035) and an AED register (lat/lon) that :mod:`tests.region_li` writes runs
through ``bereikbaar export`` twice: with ``study_area.crs`` unset (chosen: EPSG:32632) and
set explicitly. The walk minutes of every cell are recomputed here with networkx on the
walk network, with our own snapping and our own geodesic edge lengths (pyproj ``Geod``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from bereikbaar._crs import RD_NEW, common_crs
from bereikbaar.config import RegisterInput, load_config
from bereikbaar.errors import CrsError, InputError
from bereikbaar.study_area import open_study_area

from . import region_li

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "liechtenstein.toml"
UTM = "EPSG:32632"
FETCH_LIMIT_S = (6.0 - 1.0) * 60.0 / 2.0  # budget 6 min, alert 1 min: one way
RESPONDER_MPS = 2.3

pytestmark = pytest.mark.skipif(not region_li.LI_PBF.is_file(), reason="shared data missing")


@pytest.fixture(scope="module")
def li(tmp_path_factory) -> region_li.Inputs:
    return region_li.make_inputs(tmp_path_factory.mktemp("li") / "data")


def _config_with(tmp: Path, crs: str | None) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    if crs is not None:
        text = text.replace('# crs = "EPSG:32632"', f'crs = "{crs}"', 1)
        assert f'crs = "{crs}"' in text
    path = tmp / f"li_{(crs or 'auto').replace(':', '_')}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _export(config: Path, data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    cmd = [sys.executable, "-m", "bereikbaar.cli", "export", "--config", str(config),
           "--data-dir", str(data), "--all", "--out", str(out), *extra]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)


@pytest.fixture(scope="module")
def exports(li, tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("li_out")
    outs = {}
    for label, crs, extra in (("auto", None, ("--report", "none")), ("explicit", UTM, ())):
        out = tmp / label
        done = _export(_config_with(tmp, crs), li.root, out, *extra)
        assert done.returncode == 0, done.stdout + done.stderr
        outs[label] = out
    return outs


# ------------------------------------------------------------------ the export itself
@pytest.mark.parametrize("label", ["auto", "explicit"])
def test_export_writes_every_municipality_in_the_local_utm_zone(exports, label):
    out = exports[label]
    for slug in ("oberland", "unterland"):
        for name in ("hartveilig.gpkg", "dorpshub.gpkg", "hartveilig.html", "dorpshub.html",
                     "hartveilig_summary.json", "dorpshub_summary.json"):  # fmt: skip
            assert (out / slug / name).is_file(), f"{slug}/{name} missing"
        for gpkg in ("hartveilig.gpkg", "dorpshub.gpkg"):
            layers = pyogrio.list_layers(out / slug / gpkg)
            assert len(layers) >= 3
            for layer, _ in layers:
                info = pyogrio.read_info(out / slug / gpkg, layer=layer)
                assert info["crs"] == UTM, (slug, gpkg, layer, info["crs"])
    if label == "explicit":
        assert (out / "oberland" / "rapport.pdf").is_file()
        assert (out / "oberland" / "tabellen.xlsx").is_file()


@pytest.mark.parametrize("label", ["auto", "explicit"])
def test_no_output_mentions_rd_new(exports, label):
    texts = [p for p in exports[label].rglob("*") if p.suffix in (".html", ".json", ".csv")]
    assert len(texts) >= 10
    for path in texts:
        text = path.read_text(encoding="utf-8", errors="replace")
        for word in ("28992", "RD New", "RD-New", "Amersfoort"):
            assert word not in text, f"{path.name} mentions {word}"


def test_pdf_report_does_not_mention_rd_new(exports):
    from pypdf import PdfReader

    text = "".join(
        p.extract_text() for p in PdfReader(exports["explicit"] / "oberland" / "rapport.pdf").pages
    )  # noqa: E501
    assert "Oberland" in text
    assert "28992" not in text and "RD New" not in text


def test_workbook_names_the_working_crs_for_x_and_y(exports):
    import openpyxl

    wb = openpyxl.load_workbook(exports["explicit"] / "oberland" / "tabellen.xlsx", read_only=True)
    headers = [c for ws in wb for c in next(ws.iter_rows(max_row=1, values_only=True))]
    assert "X (EPSG:32632, m)" in headers and "Y (EPSG:32632, m)" in headers
    assert not [h for h in headers if isinstance(h, str) and "RD" in h]


def test_residents_total_equals_the_grids_sum(exports, li):
    for out in exports.values():
        cells = sum(
            gpd.read_file(out / s / "hartveilig.gpkg", layer="cells")["residents"].sum()
            for s in ("oberland", "unterland")
        )
        summaries = sum(
            json.loads((out / s / "hartveilig_summary.json").read_text())["residents"]
            for s in ("oberland", "unterland")
        )
        assert cells == pytest.approx(li.residents_total, abs=1e-6)
        assert summaries == pytest.approx(li.residents_total, abs=1e-6)


def test_auto_and_explicit_crs_give_the_same_numbers(exports):
    for slug in ("oberland", "unterland"):
        a = gpd.read_file(exports["auto"] / slug / "hartveilig.gpkg", layer="cells")
        b = gpd.read_file(exports["explicit"] / slug / "hartveilig.gpkg", layer="cells")
        assert a["cell_id"].tolist() == b["cell_id"].tolist()
        np.testing.assert_array_equal(a["minutes_night"].to_numpy(), b["minutes_night"].to_numpy())


def test_municipalities_split_at_the_border_line(exports, li):
    north = gpd.read_file(exports["auto"] / "unterland" / "hartveilig.gpkg", layer="cells")
    south = gpd.read_file(exports["auto"] / "oberland" / "hartveilig.gpkg", layer="cells")
    assert (north.geometry.y > li.split_y).all()
    assert (south.geometry.y < li.split_y).all()
    assert len(north) > 100 and len(south) > 100


# ------------------------------------------------ walk minutes, computed independently
def _edge_lengths_geodesic(geoms: np.ndarray) -> np.ndarray:
    import shapely
    from pyproj import Geod, Transformer

    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(
        coords[:, 0], coords[:, 1]
    )
    same = owner[1:] == owner[:-1]
    _, _, seg = Geod(ellps="WGS84").inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.bincount(owner[1:][same], weights=np.asarray(seg)[same], minlength=len(geoms))


class _Walk:
    """The walk network as a networkx graph with our own lengths and our own snapping."""

    def __init__(self, net):
        import shapely

        G = net.to_networkx()
        self.edges = [(u, v, d["geometry"]) for u, v, d in G.edges(data=True)]
        geoms = np.array([g for _, _, g in self.edges], dtype=object)
        self.length_m = _edge_lengths_geodesic(geoms)
        self.graph = G.__class__()
        import networkx as nx

        self.graph = nx.DiGraph()
        for (u, v, _), length in zip(self.edges, self.length_m, strict=True):
            if not self.graph.has_edge(u, v) or self.graph[u][v]["w"] > length:
                self.graph.add_edge(u, v, w=float(length))
        self.tree = shapely.STRtree(geoms)
        self.geoms = geoms

    def snap(self, point):
        """(edge position, fraction along it, access distance m)."""
        k = int(self.tree.nearest(point))
        geom = self.geoms[k]
        t = geom.project(point) / geom.length if geom.length > 0 else 0.0
        return k, t, float(geom.distance(point))

    def seconds_from(self, sources, targets, max_snap_m: float = 500.0) -> np.ndarray:
        """Shortest walking time (s) from the nearest source point to each target point."""
        import networkx as nx

        g = self.graph.copy()
        src = [self.snap(p) for p in sources]
        src = [s for s in src if s[2] <= max_snap_m]
        for k, t, d in src:
            u, v, _ = self.edges[k]
            L = self.length_m[k]
            for node, cost in ((u, t * L + d), (v, (1 - t) * L + d)):
                if not g.has_edge("S", node) or g["S"][node]["w"] > cost:
                    g.add_edge("S", node, w=cost)
        dist = nx.single_source_dijkstra_path_length(g, "S", weight="w")
        out = np.full(len(targets), np.inf)
        for i, p in enumerate(targets):
            k, t, d = self.snap(p)
            if d > max_snap_m:
                out[i] = np.nan
                continue
            u, v, _ = self.edges[k]
            L = self.length_m[k]
            best = min(dist.get(u, np.inf) + t * L, dist.get(v, np.inf) + (1 - t) * L)
            for ks, ts, ds in src:  # a source on the same street reaches it directly
                us, vs, _ = self.edges[ks]
                if {us, vs} == {u, v}:
                    tt = ts if (us, vs) == (u, v) else 1 - ts
                    best = min(best, abs(tt - t) * L + ds)
            out[i] = (best + d) / RESPONDER_MPS
        return out


@pytest.fixture(scope="module")
def walk(li):
    cfg = load_config(CONFIG, data_dir=li.root)
    return _Walk(open_study_area(cfg).network("walk"))


@pytest.mark.parametrize("slug", ["oberland", "unterland"])
def test_night_walk_minutes_equal_an_independent_networkx_computation(exports, walk, slug):
    gpkg = exports["auto"] / slug / "hartveilig.gpkg"
    cells = gpd.read_file(gpkg, layer="cells")
    aeds = gpd.read_file(gpkg, layer="aeds")
    open_ = aeds[aeds["counts"].astype(bool) & aeds["open_night"].astype(bool)]
    assert len(open_) >= 3
    rng = np.random.default_rng(5)
    pick = np.sort(rng.choice(len(cells), size=min(400, len(cells)), replace=False))
    sample = cells.iloc[pick]
    secs = walk.seconds_from(list(open_.geometry), list(sample.geometry))
    got = sample["minutes_night"].to_numpy(dtype=float)
    finite = np.isfinite(got)
    assert finite.sum() >= 100
    np.testing.assert_allclose(got[finite], secs[finite] / 60.0, rtol=1e-6, atol=1e-4)
    covered = sample["covered_night"].astype(bool).to_numpy()
    clear = np.abs(secs - FETCH_LIMIT_S) > 0.01
    assert covered.sum() >= 10
    np.testing.assert_array_equal(covered[clear], (secs <= FETCH_LIMIT_S)[clear])


def test_a_cell_beside_a_24_7_register_aed_is_covered_at_night(exports, li, walk):
    """Hand-checkable: the cell nearest to a 24/7 register AED reaches it in the time the
    independent snap gives, well within the 150 s one-way limit when it is close."""
    cells = gpd.read_file(exports["auto"] / "oberland" / "hartveilig.gpkg", layer="cells")
    aeds = gpd.read_file(exports["auto"] / "oberland" / "hartveilig.gpkg", layer="aeds")
    reg = aeds[(aeds["provenance"] == "register") & (aeds["availability_status"] == "24/7")]
    assert len(reg) >= 2
    aed = reg.geometry.iloc[0]
    near = cells.iloc[[int(cells.geometry.distance(aed).argmin())]]
    secs = walk.seconds_from([aed], list(near.geometry))[0]
    assert near["minutes_night"].iloc[0] <= secs / 60.0 + 1e-6  # other AEDs may be nearer
    if secs <= FETCH_LIMIT_S:
        assert bool(near["covered_night"].iloc[0])


# -------------------------------------------------------- the working CRS of a study area
def test_working_crs_is_chosen_from_the_province_and_inputs_are_converted(li):
    cfg = load_config(CONFIG, data_dir=li.root)
    assert cfg.study_area.crs is None
    sa = open_study_area(cfg)
    assert sa.crs == UTM
    gm = sa.municipalities  # the file is in EPSG:4326
    assert gm.crs == UTM
    assert (
        gpd.read_file(li.root / "liechtenstein" / "boundaries.gpkg", layer="land").crs
        == "EPSG:4326"
    )
    assert sa.province.area == pytest.approx(li.country_utm.area, rel=1e-6)
    pop = sa.population().data
    assert pop.crs == UTM and pop.attrs["cell_size_m"] == pytest.approx(100.0, abs=0.5)
    assert pop["residents"].sum() == pytest.approx(li.residents_total)
    reg = sa.aed_register().data
    assert reg.crs == UTM and len(reg) == len(li.aeds)
    lat, lon = sa.availability_context.lat, sa.availability_context.lon
    assert 47.0 < lat < 47.3 and 9.45 < lon < 9.65  # sun times for Liechtenstein
    assert sa.network("walk").crs == UTM
    assert sa.pois().data.crs == UTM and sa.places().data.crs == UTM


@pytest.mark.parametrize("crs", [RD_NEW, "EPSG:32631"])
def test_a_crs_whose_area_of_use_misses_the_region_fails_naming_the_setting(li, tmp_path, crs):
    cfg = load_config(_config_with(tmp_path, crs), data_dir=li.root)
    with pytest.raises(InputError) as err:
        open_study_area(cfg).municipalities  # noqa: B018
    text = str(err.value)
    assert "study_area.crs" in text and UTM in text and crs in text


def test_inputs_in_different_crss_are_refused_by_an_analysis():
    import shapely

    a = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=RD_NEW)
    b = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=UTM)
    with pytest.raises(CrsError, match=r"EPSG:32632.*EPSG:28992.*to_crs"):
        common_crs((a, "the cells"), (b, "the AEDs"))
    with pytest.raises(CrsError, match="degrees"):
        common_crs((a.to_crs(4326), "the cells"))
    assert common_crs((a, "x"), (None, "y")) == RD_NEW


def test_andorra_runs_in_utm_zone_31_through_the_notebook_api(tmp_path):
    from bereikbaar.pipeline import run_hartveilig

    ad = region_li.make_inputs(tmp_path / "data", region=region_li.ANDORRA, n_aeds=8)
    text = CONFIG.read_text(encoding="utf-8")
    for old, new in (
        ("liechtenstein/", "andorra/"),
        ("roads/liechtenstein_2021", "roads/andorra_2021"),
        ('province = "Liechtenstein"', 'province = "Andorra"'),
    ):
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "andorra.toml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "andorra.toml", data_dir=ad.root)
    sa = open_study_area(cfg)
    assert sa.crs == "EPSG:32631"
    res = {g: run_hartveilig(g, cfg, area=sa) for g in ("Nord", "Sud")}
    for r in res.values():
        assert r.cells.crs == "EPSG:32631" and r.aeds.crs == "EPSG:32631"
        assert r.outline.crs == "EPSG:32631"
    total = sum(r.summary["residents"] for r in res.values())
    assert total == pytest.approx(ad.residents_total)
    assert sum(len(r.cells) for r in res.values()) == len(sa.population().data)


def test_drenthe_keeps_rd_new_chosen_automatically():
    cfg = load_config(ROOT / "data" / "drenthe.toml")
    assert cfg.study_area.crs is None
    assert open_study_area(cfg).crs == RD_NEW


# ------------------------------------------------------------- a register without rows
def test_a_register_with_a_header_but_no_rows_is_reported(tmp_path, caplog):
    import shapely

    from bereikbaar.inputs.registers import read_aed_register
    from bereikbaar.inputs.report import issues_report

    path = tmp_path / "aeds_leeg.csv"
    path.write_text("id,lat,lon\n\n", encoding="utf-8")
    reg = RegisterInput(path=path, columns={"id": "id", "lat": "lat", "lon": "lon"})
    area = shapely.box(200_000, 500_000, 260_000, 580_000)
    with caplog.at_level(logging.WARNING, logger="bereikbaar.inputs.registers"):
        res = read_aed_register(reg, study_area=area)
    assert res.rows_read == 0 and len(res.data) == 0
    assert res.data.crs == RD_NEW
    assert res.issues["reason"].tolist() == ["no_data_rows"]
    assert "check the export/mapping" in res.issues["hint"].iloc[0]
    assert any(
        "aeds_leeg.csv" in r.getMessage() and "0 rows" in r.getMessage() for r in caplog.records
    )
    report = issues_report([res])
    assert (report["reason"] == "no_data_rows").sum() == 1


# ------------------------------------------------------------ registers with x/y columns
def test_a_register_with_projected_x_y_reads_like_its_lat_lon(li, tmp_path):
    """The AED register written with Swiss LV95 x/y (EPSG:2056, the national grid that
    covers Liechtenstein) lands on the same points as the lat/lon version."""
    from pyproj import Transformer

    from bereikbaar.inputs.registers import read_aed_register

    cfg = load_config(CONFIG, data_dir=li.root)
    sa = open_study_area(cfg)
    by_lat_lon = sa.aed_register().data
    to_lv95 = Transformer.from_crs("EPSG:4326", "EPSG:2056", always_xy=True)
    lines = ["nr;naam;E;N;open"]
    for r in li.aeds:
        e, n = to_lv95.transform(r["lon"], r["lat"])
        lines.append(f"{r['id']};{r['name']};{e:.3f};{n:.3f};{r['availability']}")
    lines.append("LI-X;bad;abc;1234;24/7")
    path = tmp_path / "aeds_lv95.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cols = {"id": "nr", "name": "naam", "x": "E", "y": "N", "availability": "open"}
    reg = RegisterInput(path=path, columns=cols, delimiter=";", xy_crs="EPSG:2056")
    res = read_aed_register(reg, study_area=sa.register_area, crs=sa.crs)
    assert res.data.crs == UTM
    assert res.data["aed_id"].tolist() == by_lat_lon["aed_id"].tolist()
    d = res.data.geometry.distance(by_lat_lon.geometry.reset_index(drop=True))
    assert float(d.max()) < 0.01  # metres: the x/y were written to the millimetre
    bad = res.issues[res.issues["action"] == "rejected"]
    assert bad["reason"].tolist() == ["not_a_number"] and bad["column"].iloc[0] in ("E", "N")


def test_a_dutch_register_with_rd_x_y_needs_no_xy_crs(tmp_path):
    import shapely

    from bereikbaar.inputs.coordinates import lat_lon_to_rd
    from bereikbaar.inputs.registers import read_aed_register

    x, y = lat_lon_to_rd(52.99, 6.56)
    path = tmp_path / "aed_rd.csv"
    path.write_text(f"id,x,y\nA1,{x:.2f},{y:.2f}\nA2,,\n", encoding="utf-8")
    reg = RegisterInput(path=path, columns={"id": "id", "x": "x", "y": "y"})
    res = read_aed_register(reg, study_area=shapely.Point(x, y).buffer(5000))
    assert res.data["aed_id"].tolist() == ["A1"]
    assert res.data.geometry.iloc[0].distance(shapely.Point(x, y)) < 0.01
    missing = res.issues[res.issues["reason"] == "missing_coordinates"]
    assert len(missing) == 1 and missing["row"].iloc[0] == 3


def test_xy_crs_must_be_a_projected_crs(tmp_path):
    from bereikbaar.config import config_from_dict
    from bereikbaar.errors import ConfigError

    raw = {
        "study_area": {"name": "x", "province": "Drenthe"},
        "inputs": {
            "boundaries": "b.gpkg", "osm": "o.pbf", "population": "p.tif",
            "aed_register": {"path": "a.csv", "xy_crs": "EPSG:4326"},
        },
        "profiles": {"walk": {"network": "walk", "speed_kmh": 5.0}},
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"inputs\.aed_register\.xy_crs"):
        config_from_dict(raw, data_root=tmp_path)


# ------------------------------------------------ population grids in other CRSs
def test_a_vector_grid_in_the_european_crs_reads_like_the_raster(li, tmp_path):
    """The same cells as squares in a GeoPackage (EPSG:3035, no CBS ids): measured in their
    own CRS, centres converted to the working CRS, equal to the GeoTIFF's."""
    import rasterio
    import shapely

    from bereikbaar.config import PopulationSettings
    from bereikbaar.inputs.population import read_population

    tif = li.root / "liechtenstein" / "population.tif"
    with rasterio.open(tif) as src:
        band, t = src.read(1), src.transform
    rows, cols = np.nonzero(band > 0)
    x0, y0 = t.c + cols * t.a, t.f + (rows + 1) * t.e
    squares = shapely.box(x0, y0, x0 + t.a, y0 - t.e)
    grid = gpd.GeoDataFrame({"inwoners": band[rows, cols]}, geometry=squares, crs="EPSG:3035")
    grid.to_file(tmp_path / "grid3035.gpkg", driver="GPKG")
    settings = PopulationSettings()
    area = gpd.GeoSeries([li.country_utm], crs=UTM)
    vec = read_population(tmp_path / "grid3035.gpkg", settings=settings, area=area, crs=UTM).data
    ras = read_population(tif, settings=settings, area=area, crs=UTM).data
    assert vec.crs == UTM and len(vec) == len(ras) > 1000
    assert vec["residents"].sum() == pytest.approx(li.residents_total)
    key = lambda d: np.lexsort((d.geometry.y.round(3), d.geometry.x.round(3)))  # noqa: E731
    a, b = vec.iloc[key(vec)], ras.iloc[key(ras)]
    np.testing.assert_allclose(a.geometry.x.to_numpy(), b.geometry.x.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(a.geometry.y.to_numpy(), b.geometry.y.to_numpy(), atol=1e-6)
    np.testing.assert_array_equal(a["residents"].to_numpy(), b["residents"].to_numpy())
    assert vec.attrs["cell_size_m"] == pytest.approx(ras.attrs["cell_size_m"], abs=0.05)
    assert vec.attrs["cell_size_m"] == pytest.approx(100.0, abs=0.5)


def test_a_cbs_grid_keeps_its_ids_and_converts_its_centres(synth_dir):
    from pyproj import Transformer

    from bereikbaar.config import PopulationSettings
    from bereikbaar.inputs.population import read_population

    path = synth_dir / "population_100m.gpkg"
    rd = read_population(path, settings=PopulationSettings()).data
    utm = read_population(path, settings=PopulationSettings(), crs="EPSG:32631").data
    assert utm.crs == "EPSG:32631" and rd.crs == RD_NEW
    assert utm["cell_id"].tolist() == rd["cell_id"].tolist()
    assert utm["cell_id"].str.fullmatch(r"E\d{4}N\d{4}").all()
    x, y = Transformer.from_crs(RD_NEW, "EPSG:32631", always_xy=True).transform(
        rd.geometry.x.to_numpy(), rd.geometry.y.to_numpy()
    )
    np.testing.assert_allclose(utm.geometry.x.to_numpy(), x, atol=1e-6)
    np.testing.assert_allclose(utm.geometry.y.to_numpy(), y, atol=1e-6)
    assert utm.attrs["cell_size_m"] == pytest.approx(100.0, rel=2e-3)
