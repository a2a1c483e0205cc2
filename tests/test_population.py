"""Tests for bereikbaar.inputs.population: the CBS GeoPackage against the GeoTIFF with the
true counts, privacy-code imputation, and small hand-made grids and rasters."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine

from bereikbaar.config import PopulationSettings
from bereikbaar.errors import CrsError, InputError, MissingInputError
from bereikbaar.inputs.population import cell_polygons, read_population

SETTINGS = PopulationSettings(privacy_residents=3.0, privacy_residents_65_plus=1.25)


@pytest.fixture(scope="module")
def gpkg(synth_dir: Path) -> Path:
    return synth_dir / "population_100m.gpkg"


@pytest.fixture(scope="module")
def tif(synth_dir: Path) -> Path:
    return synth_dir / "population_100m.tif"


@pytest.fixture(scope="module")
def grid(gpkg: Path):
    return read_population(gpkg, settings=SETTINGS)


@pytest.fixture(scope="module")
def raster(tif: Path):
    return read_population(tif, settings=SETTINGS)


def test_grid_layout(grid, gpkg: Path) -> None:
    data = grid.data
    assert list(data.columns) == [
        "cell_id",
        "residents",
        "residents_65_plus",
        "imputed",
        "geometry",
    ]
    assert str(data.crs) == "EPSG:28992"
    assert data.attrs["cell_size_m"] == 100
    assert grid.rows_read == grid.rows_used + grid.rows_rejected
    assert grid.rows_read == pyogrio.read_info(gpkg)["features"]
    assert data["cell_id"].is_unique
    # the centroid is the lower-left corner from the id plus half a cell
    first = data.iloc[0]
    e, n = int(first.cell_id[1:5]), int(first.cell_id[6:10])
    assert (first.geometry.x, first.geometry.y) == (e * 100 + 50, n * 100 + 50)


def test_privacy_cells_imputed_as_configured(grid, gpkg: Path) -> None:
    raw = pyogrio.read_dataframe(gpkg, read_geometry=False)
    raw = raw.set_index("crs28992res100m")
    data = grid.data.set_index("cell_id")
    secret = raw["aantal_inwoners"] == -99997
    secret_65 = raw["aantal_inwoners_65_plus"] == -99997
    assert secret.sum() > 0 and secret_65.sum() > 0
    assert (data.loc[secret[secret].index, "residents"] == 3.0).all()
    assert (data.loc[secret_65[secret_65].index, "residents_65_plus"] == 1.25).all()
    open_cells = raw.index[~secret]
    assert (data.loc[open_cells, "residents"] == raw.loc[open_cells, "aantal_inwoners"]).all()
    assert data["imputed"].sum() == (secret | secret_65).sum()
    flagged = grid.issues[grid.issues.action == "flagged"]
    assert len(flagged) == secret.sum() + secret_65.sum()
    assert grid.rows_flagged == (secret | secret_65).sum()
    expected = raw.loc[~secret, "aantal_inwoners"].sum() + 3.0 * secret.sum()
    assert data["residents"].sum() == pytest.approx(expected)


def test_tif_holds_the_true_counts(grid, raster, synth_dir: Path) -> None:
    assert raster.data.attrs["cell_size_m"] == 100
    assert raster.rows_read == raster.rows_used + raster.rows_rejected
    assert raster.data["residents_65_plus"].isna().all()
    assert not raster.data["imputed"].any()
    merged = grid.data.merge(raster.data, on="cell_id", suffixes=("_gpkg", "_tif"), how="outer")
    assert merged["residents_gpkg"].notna().all() and merged["residents_tif"].notna().all()
    # cells without the privacy code on residents: the same count, cell by cell
    raw = pyogrio.read_dataframe(synth_dir / "population_100m.gpkg", read_geometry=False)
    secret = set(raw.loc[raw["aantal_inwoners"] == -99997, "crs28992res100m"])
    open_rows = ~merged["cell_id"].isin(secret)
    assert (merged.loc[open_rows, "residents_gpkg"] == merged.loc[open_rows, "residents_tif"]).all()
    assert (
        merged.loc[open_rows, "residents_gpkg"].sum()
        == merged.loc[open_rows, "residents_tif"].sum()
    )
    # the hidden cells really hold 1-4 residents
    assert merged.loc[~open_rows, "residents_tif"].between(1, 4).all()
    assert merged["geometry_gpkg"].geom_equals(merged["geometry_tif"]).all()


def test_area_keeps_cells_with_centroid_inside(grid, gpkg: Path) -> None:
    x0, y0 = grid.data.geometry.x.min(), grid.data.geometry.y.min()
    # edges between centroids (x0 is a centroid), so no cell lies on the border
    box = shapely.box(x0 + 20_010, y0 + 20_010, x0 + 30_010, y0 + 30_010)
    part = read_population(gpkg, settings=SETTINGS, area=box)
    inside = grid.data[grid.data.geometry.within(box)]
    assert sorted(part.data["cell_id"]) == sorted(inside["cell_id"])
    assert part.rows_read == len(inside) == part.rows_used + part.rows_rejected


def _write_grid(path: Path, frame: pd.DataFrame, polygons, crs="EPSG:28992") -> Path:
    gdf = gpd.GeoDataFrame(frame, geometry=polygons, crs=crs)
    gdf.to_file(path, layer="vierkant_500m", driver="GPKG", engine="pyogrio")
    return path


def test_500m_grid_with_bad_values(tmp_path: Path) -> None:
    corners = [(230000, 550000), (230500, 550000), (231000, 550000), (231500, 550000)]
    frame = pd.DataFrame(
        {
            "crs28992res500m": [f"E{x // 100:04d}N{y // 100:04d}" for x, y in corners],
            "aantal_inwoners": ["120", "-99997", "-5", "veel"],
            "aantal_inwoners_65_plus": ["30", "-99997", "1", "2"],
        }
    )
    polys = [shapely.box(x, y, x + 500, y + 500) for x, y in corners]
    path = _write_grid(tmp_path / "grid500.gpkg", frame, polys)
    result = read_population(path, settings=PopulationSettings())
    data = result.data
    assert data.attrs["cell_size_m"] == 500
    assert list(data["cell_id"]) == ["E2300N5500", "E2305N5500"]
    assert list(data["residents"]) == [120.0, 2.5]
    assert list(data["residents_65_plus"]) == [30.0, 0.5]
    assert list(data["imputed"]) == [False, True]
    assert (data.geometry.x.tolist(), data.geometry.y.tolist()) == (
        [230250.0, 230750.0],
        [550250.0, 550250.0],
    )
    assert result.rows_read == 4 == result.rows_used + result.rows_rejected
    rejected = result.issues[result.issues.action == "rejected"]
    assert sorted(rejected["value"]) == ["-5", "veel"]
    assert list(rejected["row"]) == [3, 4]  # GeoPackage fids


def test_grid_without_id_uses_geometry(tmp_path: Path) -> None:
    corners = [(230000, 550000), (230100, 550000), (230150, 550050)]
    frame = pd.DataFrame({"aantal_inwoners": [10, 20, 30]})
    polys = [shapely.box(x, y, x + 100, y + 100) for x, y in corners]
    result = read_population(
        _write_grid(tmp_path / "noid.gpkg", frame, polys), settings=PopulationSettings()
    )
    assert result.data.attrs["cell_size_m"] == 100
    assert sorted(result.data["cell_id"]) == ["E2300N5500", "E2301N5500", "x230150y550050"]
    assert result.data["residents_65_plus"].isna().all()
    assert result.data.geometry.x.tolist() == [230050.0, 230150.0, 230200.0]


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up transform (rasterio's own from_origin warns under affine 3)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _write_tif(path: Path, values: np.ndarray, *, crs, transform, nodata=-1) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


def test_raster_nodata_negative_and_area(tmp_path: Path) -> None:
    values = np.array([[5, -1, 0], [7, -3, 2]], dtype="int32")
    path = _write_tif(
        tmp_path / "pop.tif",
        values,
        crs="EPSG:28992",
        transform=from_origin(230000, 550200, 100, 100),
    )
    result = read_population(path, settings=PopulationSettings())
    data = result.data
    assert data.attrs["cell_size_m"] == 100
    assert dict(zip(data["cell_id"], data["residents"], strict=True)) == {
        "E2300N5501": 5.0,
        "E2300N5500": 7.0,
        "E2302N5500": 2.0,
    }
    assert result.rows_rejected == 1 and result.rows_read == 4
    assert result.issues["value"].iloc[0] == "row 1 col 1: -3"
    box = shapely.box(230000, 550000, 230100, 550100)  # only the lower-left cell
    part = read_population(path, settings=PopulationSettings(), area=box)
    assert list(part.data["cell_id"]) == ["E2300N5500"]
    assert part.rows_read == 1


def test_raster_in_lonlat_is_reprojected(tmp_path: Path) -> None:
    values = np.array([[10.0, 20.0]], dtype="float32")
    transform = from_origin(6.5, 53.0, 0.01, 0.01)
    path = _write_tif(
        tmp_path / "ll.tif", values, crs="EPSG:4326", transform=transform, nodata=None
    )
    result = read_population(path, settings=PopulationSettings())
    expected = gpd.GeoSeries(gpd.points_from_xy([6.505, 6.515], [52.995, 52.995]), crs=4326)
    expected = expected.to_crs(28992)
    got = result.data.sort_values("residents").geometry
    assert np.allclose(got.x, expected.x) and np.allclose(got.y, expected.y)
    # a 0.01 x 0.01 degree cell at 53 N is about 670 m x 1110 m
    assert 800 < result.data.attrs["cell_size_m"] < 900


def test_raster_without_crs_raises(tmp_path: Path) -> None:
    values = np.array([[1, 2]], dtype="int32")
    path = _write_tif(
        tmp_path / "nocrs.tif", values, crs=None, transform=from_origin(230000, 550100, 100, 100)
    )
    with pytest.raises(CrsError, match="no CRS"):
        read_population(path, settings=PopulationSettings())


def test_missing_and_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError):
        read_population(tmp_path / "nope.gpkg", settings=PopulationSettings())
    frame = pd.DataFrame({"bewoners": [1]})
    path = _write_grid(tmp_path / "odd.gpkg", frame, [shapely.box(0, 0, 100, 100)])
    with pytest.raises(InputError, match="no residents column"):
        read_population(path, settings=PopulationSettings())


def test_cell_polygons(grid) -> None:
    cells = grid.data.head(50)
    squares = cell_polygons(cells, grid.data.attrs["cell_size_m"])
    assert squares.index.equals(cells.index) and str(squares.crs) == "EPSG:28992"
    assert np.allclose(squares.area, 100 * 100)
    assert squares.centroid.geom_equals(cells.geometry).all()
    # the squares are the CBS cells: the lower-left corner is the id's corner
    first = squares.iloc[0].bounds
    cell_id = cells["cell_id"].iloc[0]
    assert (first[0], first[1]) == (int(cell_id[1:5]) * 100, int(cell_id[6:10]) * 100)


def test_raster_total_matches_stats_and_config_path(raster, synth_dir: Path, cfg) -> None:
    import json

    stats = json.loads((synth_dir / "stats.json").read_text())
    assert raster.data["residents"].sum() == stats["population_total"]
    assert len(raster.data) == stats["population_grid_cells"]
    result = read_population(cfg.inputs.population, settings=cfg.population)
    assert result.rows_read == result.rows_used + result.rows_rejected == len(raster.data)


# ------------------------------------------------- wrong CRS labels (issue #14)
def test_grid_in_rd_metres_labelled_wgs84_is_refused(tmp_path: Path) -> None:
    corners = [(230000, 550000), (230100, 550000)]
    frame = pd.DataFrame(
        {
            "crs28992res100m": [f"E{x // 100:04d}N{y // 100:04d}" for x, y in corners],
            "aantal_inwoners": [10, 20],
        }
    )
    polys = [shapely.box(x, y, x + 100, y + 100) for x, y in corners]
    path = _write_grid(tmp_path / "grid.gpkg", frame, polys, crs="EPSG:4326")
    with pytest.raises(
        InputError,
        match=r"grid\.gpkg: the population grid is labelled EPSG:4326 .*RD New metres"
        r".*ogr2ogr -a_srs EPSG:28992",
    ):
        read_population(path, settings=PopulationSettings())


def test_raster_in_rd_metres_labelled_wgs84_is_refused(tmp_path: Path) -> None:
    values = np.array([[5, 7]], dtype="int32")
    path = _write_tif(
        tmp_path / "pop.tif",
        values,
        crs="EPSG:4326",
        transform=from_origin(230000, 550100, 100, 100),
    )
    with pytest.raises(
        InputError, match=r"pop\.tif: the population raster is labelled EPSG:4326 .*gdal_edit\.py"
    ):
        read_population(path, settings=PopulationSettings())
