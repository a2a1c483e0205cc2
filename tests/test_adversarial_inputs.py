"""Bad inputs end in a clear message or a correct result (issue #14, input side).

Each test builds the damaged file from a real one (or by hand) and checks the outcome
against an independent count of the file's lines, never against a stored number.
"""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereikbaar.config import RegisterInput
from bereikbaar.errors import InputError
from bereikbaar.inputs.registers import (
    MAX_LINE_CHARS,
    _split_records,
    read_aed_register,
    read_gp_register,
)


@pytest.fixture(scope="module")
def study_area(data_dir, cfg):
    prov = gpd.read_file(
        data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg", layer="provincie_gegeneraliseerd"
    )
    return prov.loc[prov["statnaam"] == "Drenthe"].geometry.iloc[0].buffer(cfg.study_area.buffer_m)


def _invariant(result) -> None:
    assert result.rows_read == result.rows_used + result.rows_rejected


def _data_lines(text: str) -> int:
    """Non-blank lines after the header (the synth registers have no multi-line fields)."""
    return sum(1 for line in text.splitlines()[1:] if line.strip())


# ---------------------------------------------------------------------------- quotes
def test_one_unclosed_quote_rejects_only_its_line(tmp_path, cfg, study_area):
    text = cfg.inputs.gp_register.path.read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[5] = lines[5].replace(",", ',"', 1)  # line 6 of the file: a quote that never closes
    bad = tmp_path / "huisartsen.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reg = RegisterInput(bad, dict(cfg.inputs.gp_register.columns))
    good = read_gp_register(cfg.inputs.gp_register, study_area=study_area)
    result = read_gp_register(reg, study_area=study_area)
    _invariant(result)
    assert result.rows_read == _data_lines(text) == good.rows_read
    refused = result.issues[result.issues["reason"] == "unbalanced_quote"]
    assert refused["row"].tolist() == [6] and refused["action"].tolist() == ["rejected"]
    # every other line is read as before
    assert set(good.data["source_row"]) - set(result.data["source_row"]) <= {6}
    assert result.rows_used >= good.rows_used - 1


def test_a_quoted_field_may_span_lines(tmp_path, study_area):
    text = (
        "naam,type,lat,lon\n"
        '"Praktijk ""De Brink""\nachteringang",praktijk,52.99,6.56\n'
        "Praktijk B,praktijk,52.98,6.55\n"
    )
    path = tmp_path / "gp.csv"
    path.write_text(text, encoding="utf-8")
    result = read_gp_register(RegisterInput(path, {"name": "naam"}), study_area=study_area)
    _invariant(result)
    assert result.rows_read == 2 and result.rows_rejected == 0
    assert result.data["name"].tolist() == ['Praktijk "De Brink"\nachteringang', "Praktijk B"]
    assert result.data["source_row"].tolist() == [2, 4]


def test_a_stray_quote_inside_a_field_is_read_as_text(tmp_path, study_area):
    path = tmp_path / "gp.csv"
    path.write_text(
        'naam,type,lat,lon\nPraktijk 5" ,praktijk,52.99,6.56\nB,praktijk,52.98,6.55\n',
        encoding="utf-8",
    )
    result = read_gp_register(RegisterInput(path, {"name": "naam"}), study_area=study_area)
    _invariant(result)
    assert result.data["name"].tolist() == ['Praktijk 5"', "B"]


_FIELD = st.text(alphabet='ab ,;"\n', max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_FIELD, min_size=3, max_size=3), min_size=1, max_size=12))
def test_split_records_reads_back_what_csv_writes(records):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["h1", "h2", "h3"], *records])
    lines = buf.getvalue().split("\n")
    rows, refused = _split_records(lines, 1, ",", 3)
    assert refused == []
    assert [f for _, f in rows] == records
    starts = [line for line, _ in rows]
    assert starts == sorted(starts) and starts[0] == 2


# ------------------------------------------------------------------- delimiters etc.
def test_semicolon_file_read_with_comma_gets_a_delimiter_hint(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_text("id;lat;lon\nA1;52,99;6,56\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"aed\.csv, row 1: .*delimiter = ';'"):
        read_aed_register(RegisterInput(path), study_area=study_area)


def test_semicolon_file_whose_header_has_a_comma_gets_the_hint_too(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_text("id;lat;lon;adres, plaats\nA1;52,99;6,56;x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'lat' .*set delimiter = ';'"):
        read_aed_register(RegisterInput(path), study_area=study_area)


def test_duplicated_header_column_is_an_error(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_text("id,lat,lon,lat\nA1,52.99,6.56,0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'lat' appears twice .*columns 2 and 4"):
        read_aed_register(RegisterInput(path), study_area=study_area)


def test_one_megabyte_field_is_rejected_with_its_row(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    big_line = f"A2,{'x' * 1_000_000},52.98,6.55"
    path.write_text(
        f"id,name,lat,lon\nA1,a,52.99,6.56\n{big_line}\nA3,c,52.97,6.54\n", encoding="utf-8"
    )
    result = read_aed_register(RegisterInput(path), study_area=study_area)
    _invariant(result)
    assert result.rows_read == 3
    refused = result.issues[result.issues["action"] == "rejected"]
    assert refused[["row", "reason"]].values.tolist() == [[3, "field_too_long"]]
    assert f"{len(big_line):,} characters" in refused["hint"].iloc[0]
    assert result.data["aed_id"].tolist() == ["A1", "A3"]
    assert len(big_line) > MAX_LINE_CHARS


# -------------------------------------------------------------------------- encoding
_CP1252_ROW = "A1,Caf\u00e9 \u2018t Hoekje \u2013 \u20ac5,52.99,6.56\n"


def test_cp1252_read_as_latin1_is_refused_with_the_cp1252_hint(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_bytes(("id,name,lat,lon\nA0,plain,52.98,6.55\n" + _CP1252_ROW).encode("cp1252"))
    reg = RegisterInput(path, encoding="latin-1")
    with pytest.raises(InputError, match=r'aed\.csv, row 3: control character U\+0091.*"cp1252"'):
        read_aed_register(reg, study_area=study_area)
    fixed = read_aed_register(RegisterInput(path, encoding="cp1252"), study_area=study_area)
    assert fixed.data["name"].tolist() == ["plain", "Caf\u00e9 \u2018t Hoekje \u2013 \u20ac5"]


def test_cp1252_read_as_utf8_names_the_line_and_cp1252(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_bytes(("id,name,lat,lon\nA0,plain,52.98,6.55\n" + _CP1252_ROW).encode("cp1252"))
    with pytest.raises(InputError, match=r'row 3: cannot decode the file as utf-8.*"cp1252"'):
        read_aed_register(RegisterInput(path), study_area=study_area)


def test_utf16_read_as_latin1_hints_utf16(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_bytes("id,lat,lon\nA1,52.99,6.56\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="utf-16"):
        read_aed_register(RegisterInput(path, encoding="latin-1"), study_area=study_area)


# ------------------------------------------------------------------------ population
def _write_tif(path, *, size=256):
    import numpy as np
    import rasterio
    from affine import Affine

    values = np.arange(size * size, dtype="float32").reshape(size, size)
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
        crs="EPSG:28992", transform=Affine(100.0, 0.0, 230_000.0, 0.0, -100.0, 560_000.0),
    ) as dst:  # fmt: skip
        dst.write(values, 1)


@pytest.mark.parametrize("keep_share", [0.5, 0.05])
def test_truncated_geotiff_is_an_input_error_naming_the_file(tmp_path, cfg, keep_share):
    from bereikbaar.inputs.population import read_population

    path = tmp_path / "pop.tif"
    _write_tif(path)
    whole = read_population(path, settings=cfg.population)
    assert whole.rows_read == 256 * 256 - 1  # every cell but the one holding 0
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_share)])
    with pytest.raises(InputError, match=r"pop\.tif: cannot (open|read).*damaged or incomplete"):
        read_population(path, settings=cfg.population)


@pytest.mark.parametrize("keep_share", [0.5, 0.1])
def test_truncated_geopackage_is_an_input_error_naming_the_file(tmp_path, cfg, keep_share):
    import shutil

    from bereikbaar.inputs.population import read_population

    path = tmp_path / "pop.gpkg"
    shutil.copy(cfg.inputs.population, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_share)])
    with pytest.raises(InputError, match=r"pop\.gpkg: cannot read as a vector grid"):
        read_population(path, settings=cfg.population)
