"""Coordinate repair: comma decimals, swapped lat/lon, RD metres, ranges, study area."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from bereikbaar.inputs.coordinates import (
    parse_decimal,
    repair_lat_lon,
    repair_lat_lon_many,
)

# An independent transformer (not the module's cached one).
TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


@pytest.fixture(scope="module")
def provinces(data_dir):
    return gpd.read_file(
        data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg", layer="provincie_gegeneraliseerd"
    )


@pytest.fixture(scope="module")
def netherlands(provinces):
    area = provinces.union_all()
    shapely.prepare(area)
    return area


@pytest.fixture(scope="module")
def drenthe(provinces, cfg):
    area = provinces.loc[provinces["statnaam"] == "Drenthe"].geometry.iloc[0]
    return area.buffer(cfg.study_area.buffer_m)


lats = st.floats(min_value=50.75, max_value=53.55, allow_nan=False)
lons = st.floats(min_value=3.36, max_value=7.23, allow_nan=False)


def _inside(area, lat, lon) -> bool:
    x, y = TO_RD.transform(lon, lat)
    return bool(shapely.contains_xy(area, x, y))


# --------------------------------------------------------------------- properties
@given(lat=lats, lon=lons)
@settings(max_examples=150, deadline=None)
def test_swapped_pair_is_repaired_to_the_original(netherlands, lat, lon):
    assume(_inside(netherlands, lat, lon))
    res = repair_lat_lon(repr(lon), repr(lat), study_area=netherlands)
    assert res.action == "repaired" and res.reason == "swapped_lat_lon"
    assert abs(res.lat - lat) <= 1e-9 and abs(res.lon - lon) <= 1e-9
    ok = repair_lat_lon(repr(lat), repr(lon), study_area=netherlands)
    assert ok.action == "ok" and ok.lat == lat and ok.lon == lon


@given(lat=lats, lon=lons, x_in_lat=st.booleans())
@settings(max_examples=150, deadline=None)
def test_rd_metres_are_converted_back(netherlands, lat, lon, x_in_lat):
    assume(_inside(netherlands, lat, lon))
    x, y = TO_RD.transform(lon, lat)
    given_lat, given_lon = (x, y) if x_in_lat else (y, x)
    res = repair_lat_lon(f"{given_lat:.4f}", f"{given_lon:.4f}", study_area=netherlands)
    assert res.action == "repaired" and res.reason == "rd_coordinates"
    assert abs(res.x_rd - x) <= 0.01 and abs(res.y_rd - y) <= 0.01
    assert abs(res.lat - lat) <= 1e-7 and abs(res.lon - lon) <= 1e-7
    back_x, back_y = TO_RD.transform(res.lon, res.lat)
    assert math.hypot(back_x - x, back_y - y) <= 0.01


@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), digits=st.integers(0, 8))
def test_comma_decimal_equals_dot(value, digits):
    text = f"{value:.{digits}f}"
    dot, dot_comma = parse_decimal(text)
    comma, used = parse_decimal(text.replace(".", ","))
    assert dot == comma == float(text)
    assert not dot_comma and used == (digits > 0)


@given(lat=lats, lon=lons)
@settings(max_examples=100, deadline=None)
def test_comma_decimal_pair_equals_dot_pair(netherlands, lat, lon):
    assume(_inside(netherlands, lat, lon))
    a, b = f"{lat:.6f}", f"{lon:.6f}"
    dot = repair_lat_lon(a, b, study_area=netherlands)
    comma = repair_lat_lon(a.replace(".", ","), b.replace(".", ","), study_area=netherlands)
    assert (comma.lat, comma.lon, comma.x_rd, comma.y_rd) == (dot.lat, dot.lon, dot.x_rd, dot.y_rd)
    assert dot.action == "ok" and comma.action == "repaired" and comma.reason == "comma_decimal"


# ----------------------------------------------------------------------- hand cases
def test_parse_decimal_forms():
    assert parse_decimal("52,98") == (52.98, True)
    assert parse_decimal(" 52.98 ") == (52.98, False)
    assert parse_decimal("553.728,5") == (553728.5, True)
    assert parse_decimal("1,234.5") == (1234.5, False)
    assert parse_decimal("") == (None, False)
    assert parse_decimal(None) == (None, False)
    assert parse_decimal(float("nan")) == (None, False)
    assert parse_decimal(6.5) == (6.5, False)
    value, _ = parse_decimal("zes")
    assert math.isnan(value)


def test_register_cases(drenthe):
    ok = repair_lat_lon("52.984239", "6.569382", study_area=drenthe)
    assert ok.action == "ok" and ok.reason == "" and ok.repairs == ()
    x, y = TO_RD.transform(6.569382, 52.984239)
    assert ok.x_rd == pytest.approx(x, abs=1e-6) and ok.y_rd == pytest.approx(y, abs=1e-6)

    both = repair_lat_lon("6,537928", "52,990186", study_area=drenthe)
    assert both.action == "repaired"
    assert [r.reason for r in both.repairs] == ["comma_decimal", "swapped_lat_lon"]
    assert (both.lat, both.lon) == (52.990186, 6.537928)

    # RD metres in either column order give the same point
    rd1 = repair_lat_lon("553728.5", "259689.1", study_area=drenthe)
    rd2 = repair_lat_lon("259689.1", "553728.5", study_area=drenthe)
    assert rd1.reason == rd2.reason == "rd_coordinates"
    assert (rd1.x_rd, rd1.y_rd) == (rd2.x_rd, rd2.y_rd) == (259689.1, 553728.5)
    lon_ref, lat_ref = TO_RD.transform(259689.1, 553728.5, direction="INVERSE")
    assert rd1.lat == pytest.approx(lat_ref, abs=1e-9) and rd1.lon == pytest.approx(
        lon_ref, abs=1e-9
    )
    # the row's place, Nieuw-Buinen, lies at about 52.96 N 6.95 E
    assert rd1.lat == pytest.approx(52.96, abs=0.02) and rd1.lon == pytest.approx(6.95, abs=0.02)


def test_rejections(drenthe):
    far = repair_lat_lon("51.956083", "5.690345", study_area=drenthe)  # Gelderland
    assert far.action == "rejected" and far.reason == "outside_study_area"
    assert "76.7 km outside" in far.hint
    assert not math.isnan(far.x_rd)  # still located, for the report
    assert repair_lat_lon("", "", study_area=drenthe).reason == "missing_coordinates"
    half = repair_lat_lon("52.9", " ", study_area=drenthe)
    assert half.reason == "missing_coordinates" and half.which == "lon"
    nan = repair_lat_lon("52.9", "oost", study_area=drenthe)
    assert nan.reason == "not_a_number" and nan.which == "lon" and "'oost'" in nan.hint
    assert repair_lat_lon("95.1", "200.5", study_area=drenthe).reason == "out_of_range"
    # RD metres of Amsterdam: plausible RD, but outside Drenthe
    ams = repair_lat_lon("487000", "121000", study_area=drenthe)
    assert ams.action == "rejected" and ams.reason == "outside_study_area"


def test_many_matches_single(drenthe):
    import pandas as pd

    lat = pd.Series(["52.984239", "6.537928", "", "553728.5"], index=[10, 11, 12, 13])
    lon = pd.Series(["6.569382", "52.990186", "", "259689.1"], index=[10, 11, 12, 13])
    frame = repair_lat_lon_many(lat, lon, study_area=drenthe)
    assert frame.index.tolist() == [10, 11, 12, 13]
    assert frame["action"].tolist() == ["ok", "repaired", "rejected", "repaired"]
    assert frame["reason"].tolist() == [
        "",
        "swapped_lat_lon",
        "missing_coordinates",
        "rd_coordinates",
    ]
    single = repair_lat_lon("6.537928", "52.990186", study_area=drenthe)
    assert frame.loc[11, "x_rd"] == single.x_rd
