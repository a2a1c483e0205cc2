"""Tests for bereikbaar.inputs.boundaries on the CBS gebiedsindelingen 2023 GeoPackage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
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
