"""Tests for bereikbaar.inputs.boundaries on the CBS gebiedsindelingen 2023 GeoPackage."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bereikbaar.errors import CrsError, InputError, MissingInputError, UnknownAreaError
from bereikbaar.inputs.boundaries import (
    area_geometry,
    find_area,
    municipalities_in,
    read_municipalities,
    read_provinces,
)

DRENTHE = [
    "Aa en Hunze",
    "Assen",
    "Borger-Odoorn",
    "Coevorden",
    "De Wolden",
    "Emmen",
    "Hoogeveen",
    "Meppel",
    "Midden-Drenthe",
    "Noordenveld",
    "Tynaarlo",
    "Westerveld",
]


@pytest.fixture(scope="module")
def gpkg(data_dir: Path) -> Path:
    return data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg"


@pytest.fixture(scope="module")
def gemeenten(gpkg: Path) -> gpd.GeoDataFrame:
    return read_municipalities(gpkg)


@pytest.fixture(scope="module")
def provinces(gpkg: Path) -> gpd.GeoDataFrame:
    return read_provinces(gpkg)


def test_layers_read(gemeenten: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame) -> None:
    assert list(gemeenten.columns) == ["statcode", "statnaam", "geometry"]
    assert str(gemeenten.crs) == "EPSG:28992" and str(provinces.crs) == "EPSG:28992"
    assert len(gemeenten) == 342 and gemeenten["statcode"].str.match(r"^GM\d{4}$").all()
    assert len(provinces) == 12 and provinces["statcode"].str.match(r"^PV\d{2}$").all()


def test_drenthe_has_twelve_municipalities(gemeenten, provinces) -> None:
    drenthe = find_area(provinces, "Drenthe")
    inside = municipalities_in(gemeenten, drenthe)
    assert list(inside["statnaam"]) == DRENTHE
    assert list(inside.index) == list(range(12))
    # the same with the geometry itself and with the code
    assert list(municipalities_in(gemeenten, drenthe.geometry)["statnaam"]) == DRENTHE
    assert find_area(provinces, "pv22")["statnaam"] == "Drenthe"
    assert find_area(provinces, "PV22")["statcode"] == "PV22"


@pytest.mark.parametrize(
    ("query", "statnaam"),
    [
        ("gm1680", "Aa en Hunze"),
        ("GM1680", "Aa en Hunze"),
        ("1680", "Aa en Hunze"),
        ("  aa EN hunze ", "Aa en Hunze"),
        ("gm0106", "Assen"),
        ("GM106", "Assen"),
        ("midden-drenthe", "Midden-Drenthe"),
    ],
)
def test_find_area_by_name_or_code(gemeenten, query: str, statnaam: str) -> None:
    assert find_area(gemeenten, query).statnaam == statnaam


def test_find_area_did_you_mean(gemeenten, provinces) -> None:
    drenthe = municipalities_in(gemeenten, find_area(provinces, "PV22"))
    with pytest.raises(UnknownAreaError) as info:
        find_area(drenthe, "Asen")
    assert str(info.value) == "Unknown municipality 'Asen'; did you mean 'Assen'?"
    # nationally 'Asten' is as close a typo as 'Assen'; both are offered
    with pytest.raises(UnknownAreaError, match="did you mean .*'Assen'"):
        find_area(gemeenten, "Asen")
    with pytest.raises(UnknownAreaError, match="Unknown province 'Drente'; did you mean 'Drenthe'"):
        find_area(provinces, "Drente")
    with pytest.raises(UnknownAreaError, match="none of the 342"):
        find_area(gemeenten, "Xyzzyqq")
    with pytest.raises(KeyError):  # UnknownAreaError is also a KeyError
        find_area(gemeenten, "GM9999")


def test_missing_layer_lists_layers(gpkg: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="gemeente_gegeneraliseerd") as info:
        read_municipalities(gpkg, layer="gemeenten")
    assert "provincie_gegeneraliseerd" in str(info.value)
    with pytest.raises(MissingInputError):
        read_municipalities(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="lacks the column"):
        read_municipalities(gpkg, layer="gebiedsindelingen_register")


def test_area_geometry_checks(provinces) -> None:
    drenthe = find_area(provinces, "Drenthe")
    assert area_geometry(drenthe).equals(drenthe.geometry)
    one = provinces[provinces.statcode == "PV22"]
    assert area_geometry(one).area == pytest.approx(drenthe.geometry.area)
    with pytest.raises(CrsError):
        area_geometry(one.to_crs("EPSG:4326"))
    with pytest.raises(InputError, match="degrees"):
        area_geometry(shapely.box(6.1, 52.6, 7.1, 53.2))
    with pytest.raises(InputError, match="polygon"):
        area_geometry(shapely.Point(230000, 550000))


# ------------------------------------------------ repair and CRS plausibility (issue #14)
def _write_layer(tmp_path: Path, geoms, crs, *, layer="gemeente_gegeneraliseerd") -> Path:
    path = tmp_path / "bounds.gpkg"
    gdf = gpd.GeoDataFrame(
        {
            "statcode": [f"GM{i:04d}" for i in range(len(geoms))],
            "statnaam": ["A", "B"][: len(geoms)],
        },
        geometry=list(geoms),
        crs=crs,
    )
    gdf.to_file(path, layer=layer, engine="pyogrio")
    return path


def test_bow_tie_polygon_is_refused_naming_the_area(tmp_path: Path):
    x0, y0 = 230_000.0, 550_000.0
    bow_tie = shapely.Polygon([(x0, y0), (x0 + 4000, y0 + 4000), (x0 + 4000, y0), (x0, y0 + 4000)])
    assert not bow_tie.is_valid and bow_tie.area < 1.0  # the lobes cancel
    path = _write_layer(tmp_path, [bow_tie], "EPSG:28992")
    with pytest.raises(
        InputError, match=r"bounds\.gpkg, row 1: .*polygon of A is invalid.*more than 1%"
    ):
        read_municipalities(path)


def test_small_self_intersection_is_repaired_with_a_warning(tmp_path: Path, caplog):
    x0, y0 = 230_000.0, 550_000.0
    # a 10 km square whose last corner makes a 1 m loop across the first edge: area change ~0
    ring = [(x0, y0), (x0 + 10_000, y0), (x0 + 10_000, y0 + 10_000), (x0, y0 + 10_000),
            (x0 + 1, y0 - 1), (x0 + 1, y0 + 1), (x0, y0)]  # fmt: skip
    poly = shapely.Polygon(ring)
    assert not poly.is_valid
    path = _write_layer(tmp_path, [poly], "EPSG:28992")
    with caplog.at_level("WARNING", logger="bereikbaar.inputs.boundaries"):
        gdf = read_municipalities(path)
    geom = gdf.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    assert geom.area == pytest.approx(1e8, rel=1e-4)  # the square, computed by hand
    assert "repaired with make_valid" in caplog.text and "A" in caplog.text
    # the change is reported in m² as well (0.005% would round away in a plain percentage)
    xy = np.array(ring)
    shoelace_m2 = abs(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1])) / 2
    assert shoelace_m2 == pytest.approx(1e8 - 4999)  # by hand: the square less a 1 m sliver
    m2 = float(re.search(r"area changed by [\d.e+-]+% \((\d+) m²", caplog.text).group(1))
    assert m2 == pytest.approx(abs(geom.area - shoelace_m2), abs=0.5)


def test_rd_metres_labelled_wgs84_are_refused(tmp_path: Path):
    square = shapely.box(230_000, 550_000, 240_000, 560_000)
    path = _write_layer(tmp_path, [square], "EPSG:4326")
    with pytest.raises(
        InputError, match=r"labelled EPSG:4326 .*look like RD New metres.*-a_srs EPSG:28992"
    ):
        read_municipalities(path)


def test_degrees_labelled_rd_are_refused(tmp_path: Path):
    path = _write_layer(tmp_path, [shapely.box(6.5, 52.9, 6.6, 53.0)], "EPSG:28992")
    with pytest.raises(InputError, match="look like degrees"):
        read_municipalities(path)


def test_coordinates_outside_the_crs_area_of_use_are_refused(tmp_path: Path):
    # UTM zone 31N metres for a square near Lisbon, labelled RD New (area of use: the Netherlands)
    path = _write_layer(
        tmp_path, [shapely.box(-600_000, -5_000_000, -590_000, -4_990_000)], "EPSG:28992"
    )
    with pytest.raises(InputError, match="outside the area of use"):
        read_municipalities(path)


def test_real_boundaries_need_no_repair(gpkg: Path, caplog):
    with caplog.at_level("WARNING", logger="bereikbaar.inputs.boundaries"):
        gdf = read_municipalities(gpkg)
    assert gdf.geometry.is_valid.all()
