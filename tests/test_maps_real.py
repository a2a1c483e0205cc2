"""The maps the pipeline writes for two real municipalities of the test region, opened in
headless Chromium at 1366×768 with every non-file request blocked, checked against the
files written beside them: the GeoPackage's ``covered_<moment>`` per cell, the summary's
figures, the AEDs' ``open_<moment>``, and the villages' norm results in the CSV."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from bereikbaar._nl import int_nl, pct_nl
from bereikbaar.pipeline import (
    open_study_area,
    run_dorpshub,
    run_hartveilig,
    write_dorpshub,
    write_hartveilig,
)

from .test_maps import (  # noqa: F401 - browser is a fixture
    browser,
    cell_ids,
    check_layout,
    check_ov_popup,
    count,
    open_map,
    screenshot,
    village_classes,
)

GEMEENTEN = ["Aa en Hunze", "Assen"]  # the Grolloo pilot's municipality, and a town

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def area(cfg):
    return open_study_area(cfg)


@pytest.fixture(scope="module", params=GEMEENTEN)
def written(request, cfg, area, tmp_path_factory):
    name, _ = area.municipality(request.param)
    out = tmp_path_factory.mktemp("real-maps")
    hv = run_hartveilig(name, cfg, area=area)
    dh = run_dorpshub(name, cfg, area=area)
    return {
        "slug": "assen" if request.param == "Assen" else "aa_en_hunze",
        "hv": hv,
        "dh": dh,
        "hv_paths": write_hartveilig(hv, out / "hv", area=area),
        "dh_paths": write_dorpshub(dh, out / "dh", area=area),
    }


def test_real_hartveilig_map(written, browser):  # noqa: F811
    hv, paths = written["hv"], written["hv_paths"]
    cells = gpd.read_file(paths["gpkg"], layer="cells")
    aeds = gpd.read_file(paths["gpkg"], layer="aeds")
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    o = open_map(browser, paths["html"])
    page = o.page
    try:
        assert page.title() == f"Hartveilig — {hv.gemeente}"
        populated = cells["residents"].fillna(0).to_numpy() > 0
        assert count(page, "path.bb-cell") == populated.sum()
        assert count(page, ".bb-aed") == len(aeds)
        for mo in hv.moments:
            page.locator(".bb-moment-btn", has_text=mo.label).click()
            cov = cells[f"covered_{mo.name}"].astype(bool).to_numpy()
            assert cell_ids(page, "bb-in") == set(cells["cell_id"][cov]), mo.name
            assert cell_ids(page, "bb-out") == set(cells["cell_id"][~cov & populated]), mo.name
            closed = page.evaluate(
                "Array.from(document.querySelectorAll('.bb-aed')).map(e => e.classList.contains('bb-closed'))"
            )
            assert closed == (~aeds[f"open_{mo.name}"].astype(bool)).tolist(), mo.name
            info = summary["moments"][mo.name]
            readout = page.locator("#bb-readout").inner_text()
            assert int_nl(info["residents_covered"]) in readout
            assert pct_nl(info["share_covered"]) in readout
            if mo.name == "night":
                screenshot(page, f"hartveilig_{written['slug']}_nacht.png")
        page.locator(".bb-moment-btn").first.click()
        check_layout(page)
        screenshot(page, f"hartveilig_{written['slug']}.png")
        if written["slug"] == "assen":
            screenshot(page, "hartveilig_map.png", readme=True)
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
    finally:
        page.close()


def test_real_dorpshub_map(written, browser):  # noqa: F811
    dh, paths = written["dh"], written["dh_paths"]
    table = pd.read_csv(paths["csv"], dtype={"village_id": str})
    o = open_map(browser, paths["html"])
    page = o.page
    try:
        assert page.title() == f"Dorpshub — {dh.gemeente}"
        assert count(page, "path.bb-village") == len(dh.villages) > 5
        assert count(page, "path.bb-hub") == len(dh.hubs)
        # every village's colour agrees with its norm result in the CSV
        for norm in dh.norms:
            page.select_option("#bb-norm", norm.key)
            got = village_classes(page)
            rows = table[(table["service"] == norm.service) & (table["mode"] == norm.profile)]
            assert len(rows) == len(dh.villages)
            for vid, within in zip(rows["village_id"], rows["within_norm"], strict=True):
                want = (
                    "bb-unknown"
                    if pd.isna(within)
                    else ("bb-met" if within in (True, "True") else "bb-failed")
                )
                assert want in got[str(vid)].split(), (norm.key, vid)
        page.select_option("#bb-norm", dh.norms[0].key)
        # a click on the centre of every village opens its popup
        names = dict(
            zip(dh.villages["village_id"].astype(str), dh.villages["village"], strict=True)
        )
        for vid in names:
            page.evaluate("BB.home()")
            r = page.locator(f"path.bb-village[data-village='{vid}']").bounding_box()
            page.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
            title = page.locator(".leaflet-popup-content .bb-pop-title").first.inner_text()
            assert title == names[vid]
            page.evaluate("BB.map.closePopup()")
            page.wait_for_selector(".leaflet-popup", state="detached")
        check_real_ov(page, dh, written["slug"])
        check_layout(page)
        screenshot(page, f"dorpshub_{written['slug']}.png")
        if written["slug"] == "aa_en_hunze":
            screenshot(page, "dorpshub_map.png", readme=True)
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
    finally:
        page.close()


def check_real_ov(page, dh, slug: str) -> None:
    """The configured feed gives the map its ov-haltes layer, switched on: one circle per
    stop of ``result.ov.stops``; the village popups show the morning percentiles of
    ``result.ov.table`` (a village with a trip and, where there is one, one without)."""
    assert dh.ov is not None, "the test config sets [transit] gtfs"
    assert count(page, "path.bb-stop") == len(dh.ov.stops) > 0
    t = dh.ov.table
    hp = t[(t["service"] == "huisartsenpost") & (t["window"] == "weekday_morning")]
    with_trip = hp[~hp["no_trip"].astype(bool)]["village_id"].astype(str)
    without = hp[hp["no_trip"].astype(bool)]["village_id"].astype(str)
    for vid in [*with_trip[:1], *without[:1]]:
        check_ov_popup(page, dh, vid)
        page.wait_for_timeout(400)  # the popup's fade-in, for the picture
        screenshot(page, f"dorpshub_{slug}_ov_{vid.replace(':', '_')}.png")
    page.evaluate("BB.map.closePopup()")
    page.wait_for_selector(".leaflet-popup", state="detached")
