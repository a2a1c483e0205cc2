"""The maps the pipeline writes for a real municipality of the test region, opened in
headless Chromium with every non-file request blocked: no JavaScript errors, and the DOM
holds as many AED markers, white-spot polygons and village circles as the results."""

from __future__ import annotations

import geopandas as gpd
import pytest

from bereikbaar.pipeline import (
    open_study_area,
    run_dorpshub,
    run_hartveilig,
    write_dorpshub,
    write_hartveilig,
)

from .test_maps import _count, _open, _screenshot, browser  # noqa: F401 - browser is a fixture

GEMEENTE = "Aa en Hunze"  # the Grolloo pilot's municipality

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def written(cfg, tmp_path_factory):
    area = open_study_area(cfg)
    name, _ = area.municipality(GEMEENTE)
    out = tmp_path_factory.mktemp("real-maps")
    hv = run_hartveilig(name, cfg, area=area)
    dh = run_dorpshub(name, cfg, area=area)
    return {
        "hv": hv,
        "dh": dh,
        "hv_paths": write_hartveilig(hv, out, area=area),
        "dh_paths": write_dorpshub(dh, out, area=area),
    }


def test_real_hartveilig_map(written, browser):  # noqa: F811
    hv = written["hv"]
    page, problems, blocked = _open(browser, written["hv_paths"]["html"])
    try:
        assert _count(page, "path.bb-aed") == len(hv.aeds)
        assert _count(page, "path.bb-cell") == len(hv.cells)
        first = hv.moments[0].name
        spots = int((hv.white_spots["moment"] == first).sum())
        assert spots > 0
        assert _count(page, "path.bb-white-spot") == spots
        assert _count(page, "path.bb-proposal") == len(hv.proposals)
        # the assumptions panel names the sources and the extract's date
        assert "OSM-extract drenthe-synth.osm.pbf" in page.locator(".bb-panel").inner_text()
        _screenshot(page, "hartveilig_map.png", readme=True)
        assert problems == [], problems
        assert blocked == [], blocked
    finally:
        page.close()
    # the GeoPackage holds the same tables as the map
    gpkg = written["hv_paths"]["gpkg"]
    assert len(gpd.read_file(gpkg, layer="aeds")) == len(hv.aeds)
    assert len(gpd.read_file(gpkg, layer="white_spots")) == len(hv.white_spots)


def test_real_dorpshub_map(written, browser):  # noqa: F811
    dh = written["dh"]
    page, problems, blocked = _open(browser, written["dh_paths"]["html"])
    try:
        assert len(dh.villages) > 10
        assert _count(page, "path.bb-village") == len(dh.villages)
        assert _count(page, "path.bb-service") == len(dh.services)
        assert _count(page, "path.bb-hub") == len(dh.hubs)
        _screenshot(page, "dorpshub_map.png", readme=True)
        assert problems == [], problems
        assert blocked == [], blocked
    finally:
        page.close()
