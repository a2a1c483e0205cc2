"""Atomic writers, output checks, formula-safe CSV and the batch index page."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pytest
from shapely.geometry import Point

from bereikbaar._files import TMP_PREFIX, atomic_path, cleanup_temporaries
from bereikbaar.config import DEFAULT_MOMENTS
from bereikbaar.outputs import render_index, write_gpkg_atomic, write_json_atomic


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
