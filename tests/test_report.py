"""Atomic writers, output checks, formula-safe CSV and the batch index page."""

from __future__ import annotations

import errno
import json
import math
import os

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from bereikbaar._files import TMP_PREFIX, atomic_path, cleanup_temporaries
from bereikbaar.config import DEFAULT_MOMENTS
from bereikbaar.outputs import (
    check_output,
    describe_write_error,
    formula_safe,
    render_index,
    write_csv_atomic,
    write_gpkg_atomic,
    write_json_atomic,
)


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "map.html"
    target.write_text("old, complete")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old, complete"
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))


def _dead_pid() -> int:
    """A process id that belonged to a process which has ended."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_cleanup_removes_only_leftovers_of_ended_processes(tmp_path):
    import os
    import time

    dead = _dead_pid()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / f"{TMP_PREFIX}{dead}-ab12.html").write_text("x")
    (tmp_path / f"{TMP_PREFIX}{dead}-cd34.gpkg").write_text("y")
    live = tmp_path / f"{TMP_PREFIX}{os.getpid()}-ef56.gpkg"  # another export still writing
    live.write_text("busy")
    old_unnamed = tmp_path / f"{TMP_PREFIX}legacy.html"  # an old-style name, two days old
    old_unnamed.write_text("old")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old_unnamed, (two_days_ago, two_days_ago))
    (tmp_path / "keep.html").write_text("z")
    assert cleanup_temporaries(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [live.name, "keep.html"]
    )


def test_json_nan_becomes_null_and_is_sorted(tmp_path):
    p = write_json_atomic(tmp_path / "s.json", {"b": math.nan, "a": (1, 2)})
    assert p.read_text().index('"a"') < p.read_text().index('"b"')
    assert json.loads(p.read_text()) == {"a": [1, 2], "b": None}


def test_gpkg_layers_including_empty_and_lists(tmp_path):
    full = gpd.GeoDataFrame(
        {"v": [[1, 2], [3]]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:28992"
    )
    empty = full.iloc[0:0]
    p = write_gpkg_atomic(tmp_path / "o.gpkg", {"full": full, "empty": empty})
    assert sorted(gpd.list_layers(p)["name"]) == ["empty", "full"]
    back = gpd.read_file(p, layer="full")
    assert [json.loads(v) for v in back["v"]] == [[1, 2], [3]]
    assert back.crs.to_epsg() == 28992
    assert full["v"].tolist() == [[1, 2], [3]]  # the caller's frame is left as it was


def test_index_rows_numbers_and_failure():
    hv = {
        "residents": 12345.4,
        "moments": {
            m.name: {"share_covered": s}
            for m, s in zip(DEFAULT_MOMENTS, (0.5, 0.4, 0.25, 0.3), strict=True)
        },
        "white_spots": {"weekday_day": {"residents": 10.0}, "night": {"residents": 2500.0}},
    }
    dh = {"worst_villages": [{"village": "Grolloo"}, {"village": "Amen"}]}
    rows = [
        {
            "gemeente": "Aa en Hunze",
            "slug": "aa-en-hunze",
            "status": "ok",
            "error": "",
            "hartveilig": hv,
            "dorpshub": dh,
        },
        {
            "gemeente": "Westerveld",
            "slug": "westerveld",
            "status": "failed",
            "error": "no <cells>",
            "hartveilig": None,
            "dorpshub": None,
        },
    ]
    page = render_index(rows, title="t", moments=DEFAULT_MOMENTS)
    assert "12.345" in page and "50%" in page and "25%" in page
    assert "2.500" in page  # the worst moment's white-spot residents
    assert "Grolloo, Amen" in page
    assert "aa-en-hunze/hartveilig.html" in page and "aa-en-hunze/dorpshub.html" in page
    assert "mislukt: no &lt;cells&gt;" in page  # escaped
    assert "westerveld/hartveilig.html" not in page


# ------------------------------------------------------------------ formula-safe CSV
def _evaluated(cell: str) -> bool:
    """Would a spreadsheet evaluate ``cell``? (a formula start that is not a plain number)"""
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    if set(cell) - set("0123456789+-.,eE"):
        return True
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("=+-@\t\r'1.,eE ;A(|"), max_size=8) | st.text())
def test_formula_safe_never_leaves_a_formula_and_keeps_the_text(text):
    safe = formula_safe(text)
    assert not _evaluated(safe)
    assert safe == text or safe == "'" + text  # the text itself is kept
    assert (safe != text) == _evaluated(text)


def test_formula_safe_examples():
    assert formula_safe("=1+1") == "'=1+1"
    assert formula_safe("@SUM(A1)") == "'@SUM(A1)"
    assert formula_safe("-3.5") == "-3.5" and formula_safe("+31,5") == "+31,5"
    assert formula_safe("-") == "'-"
    assert formula_safe(-3.5) == -3.5 and formula_safe(None) is None


def test_csv_for_dutch_excel(tmp_path):
    frame = pd.DataFrame(
        {
            "village": ["Exloërmond", "=HYPERLINK(x)", None],
            "minutes": [-1.5, 2.25, math.nan],
            "kind": pd.Categorical(["@a", "-", "b"]),
            "name": pd.array(["+x", "y", pd.NA], dtype="string"),
        }
    )
    path = write_csv_atomic(tmp_path / "t.csv", frame)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    assert raw.decode("utf-8-sig").splitlines() == [
        "village,minutes,kind,name",
        "Exloërmond,-1.5,'@a,'+x",
        "'=HYPERLINK(x),2.25,'-,y",
        ",,b,",
    ]
    back = pd.read_csv(path)
    assert list(back.columns) == ["village", "minutes", "kind", "name"]
    assert back["minutes"].tolist()[:2] == [-1.5, 2.25]


# --------------------------------------------------------------- output checks
def test_check_output_finds_what_does_not_open(tmp_path):
    full = gpd.GeoDataFrame({"v": [1]}, geometry=[Point(0, 0)], crs="EPSG:28992")
    layers = ("cells", "white_spots", "aeds", "proposals", "relocations")
    good = write_gpkg_atomic(tmp_path / "hartveilig.gpkg", {n: full for n in layers})
    assert check_output(good) is None
    short = write_gpkg_atomic(tmp_path / "x" / "hartveilig.gpkg", {"aeds": full})
    assert "lacks layer(s) cells, white_spots, proposals, relocations" in check_output(short)
    good.write_bytes(good.read_bytes()[:2000])
    assert "does not open" in check_output(good)
    (tmp_path / "s.json").write_text('{"a": ')
    assert "does not open" in check_output(tmp_path / "s.json")
    (tmp_path / "m.html").write_text("<html><body>cut")
    assert "cut short" in check_output(tmp_path / "m.html")
    assert "missing" in check_output(tmp_path / "none.csv")
    (tmp_path / "e.csv").write_text("")
    assert "empty" in check_output(tmp_path / "e.csv")


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only"), (errno.EACCES, "read-only")],
)
def test_write_errors_in_plain_words(tmp_path, code, words):
    text = describe_write_error(OSError(code, os.strerror(code)), tmp_path)
    assert text.startswith(words) or words in text
    assert str(tmp_path) in text


def test_gpkg_writer_restores_gdal_options(tmp_path):
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "NORMAL"})
    try:
        full = gpd.GeoDataFrame({"v": [1]}, geometry=[Point(0, 0)], crs="EPSG:28992")
        write_gpkg_atomic(tmp_path / "a.gpkg", {"a": full})
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == "NORMAL"
        with pytest.raises(Exception):  # noqa: B017 - whatever GDAL raises for a bad layer
            write_gpkg_atomic(tmp_path / "b.gpkg", {"a": full, "b": "not a frame"})
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == "NORMAL"
        assert not (tmp_path / "b.gpkg").exists()
        assert gpd.read_file(tmp_path / "a.gpkg", layer="a")["v"].tolist() == [1]
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": None})


def test_base_layer_made_once_per_municipality(monkeypatch):
    import bereikbaar.maps
    from bereikbaar import outputs

    calls = []
    monkeypatch.setattr(
        bereikbaar.maps, "basemap_for_area", lambda area, outline: calls.append(outline) or outline
    )

    class Area:  # a stand-in study area
        pass

    a, b = Area(), Area()
    assert outputs._basemap(a, "X", "outline-x") == "outline-x"
    assert outputs._basemap(a, "X", "outline-x") == "outline-x"
    assert outputs._basemap(a, "Y", "outline-y") == "outline-y"
    assert outputs._basemap(b, "X", "outline-x2") == "outline-x2"
    assert calls == ["outline-x", "outline-y", "outline-x2"]
