"""The workbook and the GeoPackages the batch writes tell the same numbers: every sheet
column read back with openpyxl equals the same column of the GeoPackage layer read back
with pyogrio (issue 13: "its values equal the GeoPackage layers")."""

from __future__ import annotations

import math

import pyogrio
import pytest

from bereikbaar.outputs import write_dorpshub, write_hartveilig
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig
from bereikbaar.workbook import (
    _PROPOSAL_COLUMNS,
    _RELOCATION_COLUMNS,
    _SPOT_COLUMNS,
    _aed_columns,
    _village_columns,
    write_workbook,
)

GEMEENTE = "Aa en Hunze"


@pytest.fixture(scope="module")
def written(cfg, tmp_path_factory):
    from openpyxl import load_workbook

    area = open_study_area(cfg)
    hv = run_hartveilig(GEMEENTE, cfg, area=area)
    dh = run_dorpshub(GEMEENTE, cfg, area=area)
    folder = tmp_path_factory.mktemp("out")
    write_hartveilig(hv, folder)
    write_dorpshub(dh, folder)
    book = load_workbook(write_workbook(folder / "tabellen.xlsx", hartveilig=hv, dorpshub=dh))
    return folder, book, hv, dh


def _sheet(ws) -> dict[str, list]:
    rows = list(ws.iter_rows(values_only=True))
    return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}


def _equal(cell, value) -> bool:
    # an empty text is an empty cell in Excel
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    if missing:
        return cell is None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return cell == ("ja" if value else "nee")
    if isinstance(value, int | float):
        return cell == pytest.approx(float(value), rel=1e-9, abs=1e-9)
    return cell == value


def _compare(book, sheet: str, gpkg, layer: str, columns) -> int:
    table = pyogrio.read_dataframe(gpkg, layer=layer)
    got = _sheet(book[sheet])
    compared = 0
    for col in columns:
        if col.source not in table.columns or col.header not in got or col.convert is not None:
            continue  # Dutch display columns (e.g. moment_nl) are not stored in the GeoPackage
        cells = got[col.header]
        assert len(cells) == len(table), (sheet, col.header)
        bad = [
            (i, c, v)
            for i, (c, v) in enumerate(zip(cells, table[col.source], strict=True))
            if not _equal(c, v)
        ]
        assert not bad, (sheet, col.header, bad[:3])
        compared += 1
    return compared


@pytest.mark.slow
def test_workbook_equals_the_geopackage_layers(written):
    folder, book, hv, dh = written
    hv_gpkg, dh_gpkg = folder / "hartveilig.gpkg", folder / "dorpshub.gpkg"
    n = _compare(book, "Witte vlekken", hv_gpkg, "white_spots", _SPOT_COLUMNS)
    n += _compare(book, "Voorstellen AED", hv_gpkg, "proposals", _PROPOSAL_COLUMNS)
    n += _compare(book, "Verplaatsen AED", hv_gpkg, "relocations", _RELOCATION_COLUMNS)
    n += _compare(book, "AED's", hv_gpkg, "aeds", _aed_columns(hv))
    n += _compare(book, "Dorpen", dh_gpkg, "villages", _village_columns(dh))
    assert n >= 40  # the comparison really covered the tables, not a handful of columns
