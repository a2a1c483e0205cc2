"""Tests of bereikbaar.maps on small fake results with the contract's fields: one
self-contained page (Leaflet inlined, a CSP by hash, SRI online), the payload decoded
independently, and headless Chromium runs (every non-file request blocked) that count what
is drawn against the result, at named moments and at any hour."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from bereikbaar._web_assets import ASSETS_ENV, LEAFLET_CSS, LEAFLET_JS, web_asset_dir
from bereikbaar.errors import BereikbaarError
from bereikbaar.maps import (
    dorpshub_map,
    hartveilig_map,
    write_dorpshub_map,
    write_hartveilig_map,
)

from .map_fakes import fake_dorpshub, fake_dorpshub_with_ov, fake_hartveilig, hour

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HAVE_LEAFLET = (web_asset_dir() / LEAFLET_JS.file).is_file()
needs_assets = pytest.mark.skipif(
    not HAVE_LEAFLET and not IN_CI, reason="vendor/web lacks Leaflet; run `make assets`"
)


# ------------------------------------------------------------------------ page parsing
def payload_of(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="bb-data">(.*?)</script>', text, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def inline_scripts(text: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", text, re.S)


def unpack(b64: str, rows: int, width: int) -> np.ndarray:
    """Independent decoding of the packed bits: (rows, width) bool."""
    raw = np.frombuffer(base64.b64decode(b64), dtype=np.uint8)
    per_row = -(-width // 8)
    return np.unpackbits(raw.reshape(rows, per_row), axis=1)[:, :width].astype(bool)


# ------------------------------------------------------------------------ page tests
@needs_assets
def test_offline_page_is_one_file_with_a_csp_by_hash(tmp_path):
    out = write_hartveilig_map(fake_hartveilig(n_cells=50), tmp_path / "h.html")
    text = out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.html"]  # no _assets folder
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)=", text)
    assert "Leaflet 1.9.4" in text  # inlined, not fetched
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert (
        "default-src 'none'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    scripts = inline_scripts(text)
    assert len(scripts) == 2  # Leaflet and the map's own script
    for s in scripts:
        digest = base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "<title>Hartveilig — Testgemeente &lt;i&gt;</title>" in text


@needs_assets
def test_online_page_loads_pinned_leaflet_with_integrity(tmp_path):
    text = hartveilig_map(fake_hartveilig(n_cells=20), offline=False).html
    for asset in (LEAFLET_JS, LEAFLET_CSS):
        data = (web_asset_dir() / asset.file).read_bytes()
        sri = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert sri == asset.integrity  # the vendored file is exactly what unpkg serves
        assert re.search(
            rf'(src|href)="{re.escape(asset.url)}" integrity="{re.escape(sri)}" crossorigin', text
        )
    assert "leaflet@1.9.4" in LEAFLET_JS.url
    assert payload_of(text)["offline"] is False


def test_missing_assets_raise_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ASSETS_ENV, str(tmp_path / "empty"))
    with pytest.raises(BereikbaarError, match="make assets"):
        write_hartveilig_map(fake_hartveilig(n_cells=4), tmp_path / "h.html")
    assert not (tmp_path / "h.html").exists()


def test_wrong_crs_is_refused():
    from bereikbaar.errors import CrsError

    hv = fake_hartveilig(n_cells=10)
    hv = dataclasses.replace(hv, aeds=hv.aeds.to_crs("EPSG:4326"))
    with pytest.raises(CrsError, match="result.aeds"):
        hartveilig_map(hv)


@needs_assets
def test_payload_decodes_to_the_results_decisions():
    hv = fake_hartveilig(n_cells=300, n_aeds=30)
    hv.cells.loc[hv.cells.index[:3], "residents"] = [0.0, np.nan, 0.0]  # not drawn
    kept = hv.cells.iloc[3:]
    data = payload_of(hartveilig_map(hv).html)
    cells = data["cells"]
    assert cells["n"] == len(kept) and cells["id"] == kept["cell_id"].tolist()
    assert (unpack(cells["hourly"], len(kept), 168) == hv.hourly_covered[3:]).all()
    for mo in hv.moments:
        flags = unpack(cells["covered"][mo.name], 1, len(kept))[0]
        assert (flags == kept[f"covered_{mo.name}"].to_numpy()).all()
    # AED availability per hour agrees with the result's open_<moment> at every moment
    aed_hours = unpack(data["aeds"]["hourly"], len(hv.aeds), 168)
    for mo in hv.moments:
        assert (aed_hours[:, hour(mo)] == hv.aeds[f"open_{mo.name}"].to_numpy()).all()
        assert data["aeds"]["moment"][mo.name] == hv.aeds[f"open_{mo.name}"].tolist()
    assert data["hourly_residents"] == pytest.approx(np.round(hv.hourly_residents_covered, 1))
    night = next(m for m in data["moments"] if m["name"] == "night")
    assert night["hour"] == 2 * 24 + 3
    assert night["residents_covered"] == hv.summary["moments"]["night"]["residents_covered"]


@needs_assets
def test_cell_squares_are_cell_size_in_rd():
    from pyproj import Transformer

    hv = fake_hartveilig(n_cells=9)
    ring = np.array(payload_of(hartveilig_map(hv).html)["cells"]["ring"][:8]).reshape(4, 2) / 1e5
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(
        ring[:, 1], ring[:, 0]
    )
    c = hv.cells.geometry.iloc[0]
    assert np.allclose(x, [c.x - 50, c.x + 50, c.x + 50, c.x - 50], atol=1.5)
    assert np.allclose(y, [c.y - 50, c.y - 50, c.y + 50, c.y + 50], atol=1.5)


@needs_assets
def test_texts_never_close_the_data_block():
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)> & \u2028"
    hv = fake_hartveilig(n_cells=20, label=evil)
    text = hartveilig_map(hv).html
    block = re.search(r'id="bb-data">(.*?)</script>', text, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert payload_of(text)["moments"][0]["label"] == evil  # the text itself is intact
    assert text.count("</script>") == 3  # the data block, Leaflet, the map's script


@needs_assets
def test_output_is_deterministic_and_atomic(tmp_path):
    hv = fake_hartveilig(n_cells=50)
    a = write_hartveilig_map(hv, tmp_path / "a" / "h.html")
    b = write_hartveilig_map(hv, tmp_path / "b" / "h.html")
    assert a.read_bytes() == b.read_bytes()
    write_hartveilig_map(hv, a)  # overwrite in place
    assert [p.name for p in a.parent.iterdir()] == ["h.html"]
    assert a.stat().st_mode & 0o777 == 0o644


@needs_assets
def test_largest_municipality_stays_under_10_mb(tmp_path):
    # Emmen: about 5,000 populated 100 m cells and 230 AEDs in the test region; 14,400 is
    # every cell of a 12 × 12 km square, a generous upper bound.
    hv = fake_hartveilig(n_cells=14_400, n_aeds=400)
    out = write_hartveilig_map(hv, tmp_path / "emmen.html")
    size = out.stat().st_size
    assert size < 10 * 1024 * 1024, f"{size / 1e6:.1f} MB"


@needs_assets
def test_notebook_representation_is_an_iframe_of_the_whole_page():
    import html

    shown = hartveilig_map(fake_hartveilig(n_cells=20))
    frag = shown._repr_html_()
    assert frag.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frag
    assert " src=" not in frag.replace("srcdoc=", "")
    srcdoc = re.search(r'srcdoc="([^"]*)"', frag).group(1)
    assert html.unescape(srcdoc) == shown.html


def test_importing_maps_is_light():
    import subprocess
    import sys

    code = "import sys, bereikbaar.maps; print(any(m.startswith(('folium', 'branca', 'geopandas')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@needs_assets
def test_dorpshub_payload_follows_the_norm_fields():
    dh = fake_dorpshub()
    data = payload_of(dorpshub_map(dh).html)
    assert [n["key"] for n in data["norms"]] == [n.key for n in dh.norms]
    for v, (_, row) in zip(data["villages"], dh.villages.iterrows(), strict=True):
        for n in dh.norms:
            want = row[n.within_column]
            assert v["within"][n.key] == (
                None if want is None or want is np.nan or str(want) == "<NA>" else bool(want)
            )
        assert v["kind"] == row["place_nl"]
    assert {h["method"] for h in data["hubs"]} == {"p-median", "max-coverage"}
    # hub 1 (p-median) serves itself + 2 others, hub 2 itself + 1, max-coverage 1 itself + 1
    assert [len(h["links"]) for h in data["hubs"]] == [2, 1, 1]
    assert data["what_if"]["gain"] == 600


@needs_assets
def test_dorpshub_payload_without_ov_has_no_stops():
    assert payload_of(dorpshub_map(fake_dorpshub()).html)["ov"] is None


@needs_assets
def test_dorpshub_payload_carries_stops_and_morning_percentiles():
    dh = fake_dorpshub_with_ov()
    ov = payload_of(dorpshub_map(dh).html)["ov"]
    assert ov["window"] == "weekday_morning" and ov["window_label"] == "Werkdag 07:00–09:00"
    assert [w["name"] for w in ov["windows"]] == ["weekday_morning", "saturday"]
    # every stop, with its departures in the norm window and a radius growing with them
    stops = dh.ov.stops
    assert [s["name"] for s in ov["stops"]] == stops["stop_name"].tolist()
    dep = stops["departures_per_hour"].to_numpy()
    sat = stops["departures_per_hour_saturday"].to_numpy()
    for s, d, d_sat in zip(ov["stops"], dep, sat, strict=True):
        want = None if np.isnan(d) else round(float(d), 1)
        want_sat = None if np.isnan(d_sat) else round(float(d_sat), 1)
        assert s["dep"] == {"weekday_morning": want, "saturday": want_sat}
        assert s["r"] == round(min(4 + 2 * np.sqrt(0 if np.isnan(d) else d), 14), 1)
    assert ov["stops"][0]["r"] == ov["stops"][1]["r"] == 4.0  # none and unknown: smallest
    # each village: the huisartsenpost then the GP, the morning's transit percentiles
    t = dh.ov.table
    assert set(ov["villages"]) == set(dh.villages["village_id"])
    for vid, rows in ov["villages"].items():
        assert [r["service"] for r in rows] == ["huisartsenpost", "gp"]
        for r in rows:
            (src,) = t[
                (t["village_id"] == vid)
                & (t["service"] == r["service"])
                & (t["window"] == "weekday_morning")
            ].itertuples()
            assert r["no_trip"] == bool(src.no_trip)
            for key, col in (("p05", "transit_p05_min"), ("p50", "transit_p50_min")):
                v = getattr(src, col)
                assert r[key] == (None if np.isnan(v) else round(v, 1))
            assert r["p95"] == (None if np.isnan(src.transit_p95_min) else src.transit_p95_min)
    assert all(r["no_trip"] for r in ov["villages"]["n100"])
    assert all(r["p95"] is None and r["p50"] is not None for r in ov["villages"]["n101"])


# ------------------------------------------------------------------------ browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("/usr/bin/chromium is missing; CI must install Debian's chromium")
        pytest.skip("/usr/bin/chromium not installed (apt-get install chromium)")
    if not HAVE_LEAFLET:
        if IN_CI:
            pytest.fail("vendor/web lacks Leaflet; `make assets` must run before the tests")
        pytest.skip("vendor/web lacks Leaflet; run `make assets`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclasses.dataclass
class Opened:
    page: object
    problems: list
    blocked: list
    dialogs: list


def open_map(browser, path: Path, *, viewport=VIEWPORT) -> Opened:
    """Open ``path`` with every non-file request blocked; record errors and dialogs."""
    page = browser.new_page(viewport=viewport)
    o = Opened(page, [], [], [])
    page.on("console", lambda msg: o.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: o.problems.append(str(exc)))

    def on_dialog(d):
        o.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)

    def route(r):
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            o.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.documentElement.getAttribute('data-bb-ready') === '1'")
    return o


def count(page, selector: str) -> int:
    return page.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")


def cell_ids(page, cls: str) -> set[str]:
    return set(
        page.evaluate(
            f"Array.from(document.querySelectorAll('path.bb-cell.{cls}')).map(p => p.getAttribute('data-cell'))"
        )
    )


def screenshot(page, name: str, *, readme: bool = False) -> Path:
    """Keep a screenshot as a test artifact; with ``BEREIKBAAR_UPDATE_SCREENSHOTS=1`` and
    ``readme=True`` also refresh the README's picture in docs/img."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    path = ROOT / "test-artifacts" / name
    page.screenshot(path=str(path))
    if readme and os.environ.get("BEREIKBAAR_UPDATE_SCREENSHOTS") == "1":
        (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, ROOT / "docs" / "img" / name)
    return path


def check_moments(page, hv) -> None:
    """At each named moment: the cells drawn binnen bereik are exactly the covered ones."""
    cells = hv.cells
    populated = cells["residents"].to_numpy() > 0
    for mo in hv.moments:
        page.locator(".bb-moment-btn", has_text=mo.label).click()
        cov = cells[f"covered_{mo.name}"].to_numpy(bool)
        assert cell_ids(page, "bb-in") == set(cells["cell_id"][cov])
        assert cell_ids(page, "bb-out") == set(cells["cell_id"][~cov & populated])
        # AEDs: closed at this moment exactly when the result says not open
        closed = page.evaluate(
            "Array.from(document.querySelectorAll('.bb-aed')).map(e => e.classList.contains('bb-closed'))"
        )
        assert closed == (~hv.aeds[f"open_{mo.name}"].to_numpy(bool)).tolist()
        readout = page.locator("#bb-readout").inner_text()
        info = hv.summary["moments"][mo.name]
        from bereikbaar._nl import int_nl, pct_nl

        assert int_nl(info["residents_covered"]) in readout
        assert pct_nl(info["share_covered"]) in readout


def check_any_hour(page, hv, *, day: int, hour_of_day: int) -> None:
    page.select_option("#bb-day", str(day))
    page.locator("#bb-hour").fill(str(hour_of_day))
    h = 24 * day + hour_of_day
    cov = hv.hourly_covered[:, h]
    assert cell_ids(page, "bb-in") == set(hv.cells["cell_id"][cov])
    from bereikbaar._nl import int_nl

    assert int_nl(hv.hourly_residents_covered[h]) in page.locator("#bb-readout").inner_text()


def check_layout(page) -> None:
    """Nothing of the panel or the controls lies outside the viewport (the panel scrolls)."""
    bad = page.evaluate(
        """() => {
        const out = [];
        const W = window.innerWidth, H = window.innerHeight;
        for (const box of document.querySelectorAll('#bb-panel, .leaflet-control')) {
            const r = box.getBoundingClientRect();
            if (r.width === 0) continue;
            if (r.left < 0 || r.top < 0 || r.right > W || r.bottom > H) out.push(box.className);
        }
        return out;
    }"""
    )
    assert bad == []
    # every text of the panel can be scrolled into view inside the viewport
    last = page.locator("#bb-panel .bb-notes summary")
    last.scroll_into_view_if_needed()
    r = last.bounding_box()
    assert r and r["y"] >= 0 and r["y"] + r["height"] <= VIEWPORT["height"]


@pytest.mark.browser
def test_hartveilig_map_in_chromium(tmp_path, browser):
    hv = fake_hartveilig(n_cells=900, n_aeds=45)
    out = write_hartveilig_map(hv, tmp_path / "hartveilig.html")
    o = open_map(browser, out)
    try:
        page = o.page
        assert count(page, "path.bb-cell") == len(hv.cells)
        assert count(page, ".bb-aed") == len(hv.aeds)
        assert count(page, ".bb-proposal") == len(hv.proposals)
        assert count(page, ".bb-relocation") == len(hv.relocations)
        screenshot(page, "fake_hartveilig_map.png")
        check_moments(page, hv)
        check_any_hour(page, hv, day=6, hour_of_day=5)
        check_any_hour(page, hv, day=1, hour_of_day=12)
        # white spots show at the named moments only
        page.locator(".bb-moment-btn", has_text="Nacht").click()
        n = int((hv.white_spots["moment"] == "night").sum())
        assert (
            count(page, "path.bb-white-spot.bb-moment-night")
            == n
            == count(page, "path.bb-white-spot")
        )
        page.locator("path.bb-white-spot").first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "Zwiggelte <b>" in popup and "1,5 km" in popup
        check_layout(page)
        # the 24×7 chart picks an hour too
        page.locator("rect[data-hour='100']").dispatch_event("click")
        assert cell_ids(page, "bb-in") == set(hv.cells["cell_id"][hv.hourly_covered[:, 100]])
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
        # the OpenStreetMap background is offered but off: turning it on requests tiles
        page.locator(".leaflet-control-layers").hover()
        osm = page.locator(".leaflet-control-layers-overlays label", has_text="OpenStreetMap")
        assert not osm.locator("input").is_checked()
        osm.locator("input").check()
        page.wait_for_timeout(300)
        assert any("tile.openstreetmap.org" in url for url in o.blocked), o.blocked
    finally:
        page.close()


@pytest.mark.browser
def test_panel_collapses_and_print_keeps_the_legend(tmp_path, browser):
    out = write_hartveilig_map(fake_hartveilig(n_cells=200), tmp_path / "h.html")
    o = open_map(browser, out)
    page = o.page
    try:
        page.locator(".bb-toggle").click()
        assert not page.locator(".bb-body").is_visible()
        page.locator(".bb-toggle").click()
        assert page.locator(".bb-body").is_visible()
        page.emulate_media(media="print")
        assert not page.locator(".leaflet-control-zoom").is_visible()
        assert not page.locator(".leaflet-control-layers").is_visible()
        assert not page.locator(".bb-quick").is_visible()
        assert page.locator(".bb-legend").first.is_visible()
        assert page.locator(".bb-keytable").is_visible()
        pdf = tmp_path / "h.pdf"
        page.pdf(path=str(pdf), landscape=True, format="A4")
        assert pdf.stat().st_size > 10_000
    finally:
        page.close()


@pytest.mark.browser
def test_dorpshub_map_in_chromium(tmp_path, browser):
    dh = fake_dorpshub()
    out = write_dorpshub_map(dh, tmp_path / "dorpshub.html")
    o = open_map(browser, out)
    page = o.page
    try:
        assert count(page, "path.bb-village") == len(dh.villages)
        assert count(page, ".bb-service") == len(dh.services)
        assert count(page, "path.bb-hub") == len(dh.hubs)
        assert count(page, "path.bb-hub-link") == 4
        assert count(page, ".bb-whatif") == 1
        screenshot(page, "fake_dorpshub_map.png")
        check_village_colours(page, dh)
        check_village_clicks(page, dh)
        check_layout(page)
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
    finally:
        page.close()


@pytest.mark.browser
def test_dorpshub_map_draws_ov_stops_and_percentiles(tmp_path, browser):
    from bereikbaar._nl import num_nl

    dh = fake_dorpshub_with_ov()
    o = open_map(browser, write_dorpshub_map(dh, tmp_path / "dorpshub.html"))
    page = o.page
    try:
        assert count(page, "path.bb-stop") == len(dh.ov.stops)
        check_ov_popup(page, dh, "n101")
        text = page.locator(".leaflet-popup-content table.bb-ov").inner_text()
        assert "–" in text  # the empty p95
        page.wait_for_timeout(400)  # the popup's fade-in, for the picture
        screenshot(page, "fake_dorpshub_ov_popup.png")
        check_ov_popup(page, dh, "n100")
        assert page.locator(".bb-ov .bb-no-trip").count() == 2
        page.evaluate("BB.map.closePopup()")
        page.wait_for_selector(".leaflet-popup", state="detached")
        # a stop's popup: its name and the norm window's departures
        page.locator("path.bb-stop").nth(5).dispatch_event("click")
        pop = page.locator(".leaflet-popup-content").inner_text()
        row = dh.ov.stops.iloc[5]
        assert row["stop_name"] in pop
        assert num_nl(row["departures_per_hour"], 1) in pop
        page.evaluate("BB.map.closePopup()")
        screenshot(page, "fake_dorpshub_ov.png")
        check_layout(page)
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
    finally:
        page.close()


@pytest.mark.browser
def test_dorpshub_map_ov_hub_what_if_and_stop_windows(tmp_path, browser):
    """The ov_reach hub has its own dotted ring, label and popup; the what-if popup lists
    the residents within the ov norm per key service; a stop lists every window."""
    from bereikbaar._nl import int_nl, num_nl

    dh = fake_dorpshub_with_ov()
    o = open_map(browser, write_dorpshub_map(dh, tmp_path / "dorpshub.html"))
    page = o.page
    try:
        assert count(page, "path.bb-hub-ov-reach") == 1
        assert count(page, "path.bb-hub") == len(dh.hubs)
        assert page.locator(".bb-hub-label-ov-reach").inner_text().strip() == "OV1"
        panel = page.locator("#bb-panel").inner_text()
        assert "gestippeld" in panel and "ziekenhuis (SEH)" in panel
        page.evaluate(
            "BB.map.eachLayer(function (l) { if (l.options && l.options.className "
            "&& l.options.className.indexOf('bb-hub-ov-reach') >= 0) { l.openPopup(); } })"
        )
        pop = page.locator(".leaflet-popup-content").inner_text()
        row = dh.hubs[dh.hubs["method"] == "ov_reach"].iloc[0]
        assert row["village"] in pop and int_nl(row["residents_gaining"]) in pop
        assert "sleutelvoorziening" in pop and "huisartsenpost, ziekenhuis (SEH)" in pop
        page.wait_for_timeout(400)
        screenshot(page, "fake_dorpshub_ov_hub_popup.png")
        page.evaluate("BB.map.closePopup()")
        page.wait_for_selector(".leaflet-popup", state="detached")
        page.locator(".bb-whatif").click()
        rows = page.locator(".leaflet-popup-content table.bb-whatif-ov tr").all_inner_texts()
        want = dh.what_if.summary["ov"]
        assert len(rows) == 1 + len(want)
        for text, r in zip(rows[1:], want, strict=True):
            assert r["service_nl"] in text
            for k in ("residents_before", "residents_after", "residents_gaining"):
                assert int_nl(r[k]) in text
        page.wait_for_timeout(400)
        screenshot(page, "fake_dorpshub_whatif_ov_popup.png")
        page.evaluate("BB.map.closePopup()")
        page.wait_for_selector(".leaflet-popup", state="detached")
        page.locator("path.bb-stop").nth(5).dispatch_event("click")
        pop = page.locator(".leaflet-popup-content").inner_text()
        stop = dh.ov.stops.iloc[5]
        for w in dh.ov.windows:
            assert f"Vertrekken per uur, {w.label}" in pop
            assert num_nl(stop[f"departures_per_hour_{w.name}"], 1) in pop
        check_layout(page)
        assert o.problems == [] and o.blocked == [] and o.dialogs == []
    finally:
        page.close()


def check_ov_popup(page, dh, vid: str) -> None:
    """The village's popup shows its morning ov percentiles to the huisartsenpost and GP
    (in Dutch number format), or "geen ov-rit in dit tijdvak"."""
    from bereikbaar._nl import num_nl, service_nl

    page.evaluate("BB.map.closePopup()")
    page.wait_for_selector(".leaflet-popup", state="detached")
    page.evaluate("BB.home()")
    r = page.locator(f"path.bb-village[data-village='{vid}']").bounding_box()
    page.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
    t = dh.ov.table
    for service in ("huisartsenpost", "gp"):
        (src,) = t[
            (t["village_id"] == vid)
            & (t["service"] == service)
            & (t["window"] == "weekday_morning")
        ].itertuples()
        cells = page.locator(f".bb-ov tr[data-service='{service}'] > *").all_inner_texts()
        if src.no_trip:
            assert cells == [
                service_nl(service),
                "geen ov-rit in dit tijdvak",
                num_nl(src.walk_min, 1),
            ]
        else:
            want = [
                "–" if np.isnan(v) else num_nl(v, 1)
                for v in (src.transit_p05_min, src.transit_p50_min, src.transit_p95_min)
            ]
            assert cells == [service_nl(service), *want, num_nl(src.walk_min, 1)]


def village_classes(page) -> dict[str, str]:
    return dict(
        page.evaluate(
            "Array.from(document.querySelectorAll('path.bb-village')).map(p => [p.getAttribute('data-village'), p.getAttribute('class')])"
        )
    )


def check_village_colours(page, dh) -> None:
    """For every norm, a village is drawn met / failed / unknown exactly as the result says."""
    for norm in dh.norms:
        page.select_option("#bb-norm", norm.key)
        got = village_classes(page)
        for vid, within in zip(
            dh.villages["village_id"], dh.villages[norm.within_column], strict=True
        ):
            want = (
                "bb-unknown"
                if within is None or str(within) == "<NA>"
                else ("bb-met" if within else "bb-failed")
            )
            assert want in got[vid].split(), (norm.key, vid, got[vid])
    page.select_option("#bb-norm", "failed")
    got = village_classes(page)
    for vid, n in zip(dh.villages["village_id"], dh.villages["n_failed_norms"], strict=True):
        assert f"bb-nfail-{min(int(n), 4)}" in got[vid].split()
    page.select_option("#bb-norm", dh.norms[0].key)


def check_village_clicks(page, dh) -> None:
    """A click on the centre of every village opens that village's popup."""
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('path.bb-village')).map(p => {
            const r = p.getBoundingClientRect();
            return [p.getAttribute('data-village'), r.x + r.width / 2, r.y + r.height / 2];
        })"""
    )
    names = dict(zip(dh.villages["village_id"], dh.villages["village"], strict=True))
    for vid, _, _ in boxes:
        # back to the whole municipality: an opened popup may have panned the map
        page.evaluate("BB.home()")
        r = page.locator(f"path.bb-village[data-village='{vid}']").bounding_box()
        page.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
        title = page.locator(".leaflet-popup-content .bb-pop-title").first.inner_text()
        assert title == names[vid]
        page.evaluate("BB.map.closePopup()")
        page.wait_for_selector(".leaflet-popup", state="detached")


@pytest.mark.browser
def test_script_payloads_in_every_text_do_not_run(tmp_path, browser):
    evil = "<img src=x onerror=alert(1)>"
    hv = fake_hartveilig(n_cells=100, n_aeds=10, label=evil, name=f"Gem{evil}")
    aeds = hv.aeds.copy()
    aeds["name"] = f"AED {evil}"
    aeds["street"] = "<script>alert(2)</script>"
    hv = dataclasses.replace(hv, aeds=aeds, assumptions=(evil,), sources_note=evil)
    dh = fake_dorpshub(village_name=f"Dorp {evil}")
    services = dh.services.copy()
    services["kind"] = services["kind"].where(services.index % 2 == 0, f"kind{evil}")
    services["name"] = f"<b onmouseover=alert(3)>{evil}"
    hubs = dh.hubs.copy()
    hubs["method_nl"] = evil
    dh = dataclasses.replace(
        dh,
        services=services,
        hubs=hubs,
        what_if=dataclasses.replace(dh.what_if, village=f"Dorp {evil}")
        if dataclasses.is_dataclass(dh.what_if)
        else type(dh.what_if)(village=f"Dorp {evil}", summary=dh.what_if.summary),
        assumptions=(evil,),
    )
    for path in (
        write_hartveilig_map(hv, tmp_path / f"h{evil[:4]}.html"),
        write_dorpshub_map(dh, tmp_path / "d.html"),
    ):
        o = open_map(browser, path)
        try:
            page = o.page
            for sel in ("path.bb-white-spot", ".bb-aed", "path.bb-village[data-village='n100']"):
                if count(page, sel):
                    page.locator(sel).first.dispatch_event("click")
            page.locator(".bb-notes summary").click()
            page.locator(".leaflet-control-layers").hover()  # the layer names (Leaflet: HTML)
            page.wait_for_timeout(200)
            assert o.dialogs == [] and o.problems == [] and o.blocked == []
            assert count(page, "img[src='x']") == 0
            shown = page.locator("#bb-panel").inner_text()
            shown += page.locator(".leaflet-popup-content").inner_text()
            assert evil in shown  # shown as text
        finally:
            page.close()


# ------------------------------------------------------------------------ basemap
def tiny_drive_network():
    """A 5-node chain: primary (2 edges), secondary, residential, then a motorway_link."""
    from shapely.geometry import LineString

    from bereikbaar.network import network_from_arrays

    from .map_fakes import X0, Y0

    xy = [(X0 + 1000 * i, Y0 + 5000.0) for i in range(6)]
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    highway = ["primary", "primary", "secondary", "residential", "motorway_link"]
    geoms = [LineString([xy[a], xy[b]]) for a, b in edges]
    return network_from_arrays(
        xy, edges, mode="drive", highway=highway, geometries=geoms, oneway=[0, 0, 0, 0, 1]
    )


def test_basemap_keeps_main_roads_once_and_named_places():
    import geopandas as gpd
    from shapely.geometry import Point

    from bereikbaar.maps import basemap_from_network

    from .map_fakes import X0, Y0

    net = tiny_drive_network()
    places = gpd.GeoDataFrame(
        {"name": ["Grolloo", "", "Hoeve"], "place": ["village", "hamlet", "farm"]},
        geometry=[Point(X0 + 10, Y0 + 10), Point(X0 + 20, Y0 + 20), Point(X0 + 30, Y0 + 30)],
        crs="EPSG:28992",
    )
    bm = basemap_from_network(net, places)
    roads = bm[bm["layer"] == "road"]
    # the two primary edges merge into one 2 km line; the link counts as major (motorway)
    major = roads[roads["kind"] == "major"].geometry.length.sort_values().tolist()
    assert major == pytest.approx([1000.0, 2000.0])
    assert roads[roads["kind"] == "minor"].geometry.length.tolist() == pytest.approx([1000.0])
    assert bm.loc[bm["layer"] == "place", "name"].tolist() == ["Grolloo"]
    # clipped to an area: only what touches it
    clip = Point(X0 + 500, Y0 + 5000).buffer(100)
    assert len(basemap_from_network(net, places, area=clip)) == 1


@pytest.mark.browser
def test_basemap_draws_roads_by_zoom_and_place_names(tmp_path, browser):
    import geopandas as gpd
    from shapely.geometry import Point

    from bereikbaar.maps import basemap_from_network

    from .map_fakes import X0, Y0

    places = gpd.GeoDataFrame(
        {"name": ["Zwiggelte <b>"], "place": ["village"]},
        geometry=[Point(X0 + 6000, Y0 + 6000)],
        crs="EPSG:28992",
    )
    bm = basemap_from_network(tiny_drive_network(), places)
    out = write_dorpshub_map(fake_dorpshub(), tmp_path / "d.html", basemap=bm)
    o = open_map(browser, out)
    page = o.page
    try:
        page.evaluate("document.querySelector('.leaflet-control-zoom-in').click()")
        zoom = lambda: page.evaluate(  # noqa: E731
            "Array.from(document.querySelectorAll('path.bb-road-minor')).length"
        )
        assert count(page, "path.bb-road-major") == 2
        page.wait_for_timeout(400)
        for _ in range(3):
            page.locator(".leaflet-control-zoom-in").click()
            page.wait_for_timeout(400)
        assert zoom() == 1  # minor roads from zoom 12
        assert "Zwiggelte <b>" in page.locator(".bb-place-label").first.inner_text()
        assert o.problems == [] and o.dialogs == []
    finally:
        page.close()


@pytest.mark.browser
def test_popups_pan_clear_of_the_panel(tmp_path, browser):
    out = write_hartveilig_map(fake_hartveilig(n_cells=100, n_aeds=20), tmp_path / "h.html")
    o = open_map(browser, out)
    page = o.page
    try:
        # move the map so that an AED sits under the panel, then open its popup
        page.evaluate(
            """() => {
            const m = document.querySelector('.bb-aed').getBoundingClientRect();
            const panel = document.getElementById('bb-panel').getBoundingClientRect();
            const dx = (m.x + 8) - (panel.x + panel.width / 2);
            const dy = (m.y + 8) - (panel.y + 200);
            window.scrollTo(0, 0);
            BB.map.panBy([dx, dy], {animate: false});
        }"""
        )
        page.locator(".bb-aed").first.dispatch_event("click")
        page.wait_for_timeout(600)  # the auto-pan
        popup = page.locator(".leaflet-popup").bounding_box()
        panel = page.locator("#bb-panel").bounding_box()
        assert popup["x"] >= panel["x"] + panel["width"]  # not under the panel
        assert popup["y"] >= 0 and popup["x"] + popup["width"] <= VIEWPORT["width"]
    finally:
        page.close()


@pytest.mark.browser
def test_number_formats_match_python(tmp_path, browser):
    """The page's Dutch numbers equal bereikbaar._nl's, ties included."""
    from bereikbaar._nl import int_nl, num_nl, pct_nl

    out = write_hartveilig_map(fake_hartveilig(n_cells=10), tmp_path / "h.html")
    o = open_map(browser, out)
    try:
        values = [0, 2.5, 3.5, -1234.5, 37166, 1234567.49, 58.5, 1e9]
        shares = [0.585, 0.575, 0.5733, 0.005, 1.0, 0.0]
        got = o.page.evaluate(
            "([v, s]) => [v.map(BB.intNl), s.map(BB.pctNl), v.map(x => BB.numNl(x, 1))]",
            [values, shares],
        )
        assert got[0] == [int_nl(v) for v in values]
        assert got[1] == [pct_nl(s) for s in shares]
        assert got[2] == [num_nl(v, 1) for v in values]
    finally:
        o.page.close()


# ------------------------------------------------------------ the responder model's view
def _with_probabilities(hv, seed: int = 5):
    """A fake responder result: a probability per cell and named moment, covered at ≥ 0.5."""
    rng = np.random.default_rng(seed)
    cells = hv.cells.copy()
    for mo in hv.moments:
        p = rng.uniform(0, 1, len(cells))
        cells[f"probability_{mo.name}"] = p
        cells[f"covered_{mo.name}"] = p >= 0.5
    return dataclasses.replace(hv, cells=cells)


@needs_assets
def test_responder_payload_carries_the_probabilities():
    hv = _with_probabilities(fake_hartveilig(n_cells=120))
    data = payload_of(hartveilig_map(hv).html)
    kept = hv.cells[np.nan_to_num(hv.cells["residents"].to_numpy(float)) > 0]
    for mo in hv.moments:
        got = np.array(data["cells"]["prob"][mo.name], dtype=float)
        assert got == pytest.approx(np.round(kept[f"probability_{mo.name}"].to_numpy(), 3))
        classes = np.minimum((kept[f"probability_{mo.name}"].to_numpy() / 0.2).astype(int), 4)
        assert data["cells"]["prob_class"][mo.name] == classes.tolist()  # from unrounded values
    assert payload_of(hartveilig_map(fake_hartveilig(n_cells=20)).html)["cells"]["prob"] is None


@pytest.mark.browser
def test_responder_view_colours_cells_by_probability_class(tmp_path, browser):
    from bereikbaar.maps._common import SHARE_COLORS

    hv = _with_probabilities(fake_hartveilig(n_cells=200))
    o = open_map(browser, write_hartveilig_map(hv, tmp_path / "r.html"))
    page = o.page
    try:
        page.locator(".bb-moment-btn", has_text="Nacht").click()
        page.locator("input[name='bb-view'][value='prob']").check()
        legend = page.locator(".bb-panel").inner_text()
        assert "kans 80% of meer" in legend and "kans 0–20%" in legend
        fills = page.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('path.bb-cell'))"
            ".map(p => [p.getAttribute('data-cell'), p.getAttribute('fill')]))"
        )
        p = hv.cells.set_index("cell_id")["probability_night"]
        for cell_id, fill in fills.items():
            cls = min(int(p[cell_id] / 0.2), 4)
            assert fill.lower() == SHARE_COLORS[cls].lower(), (cell_id, p[cell_id], fill)
        page.locator("path.bb-cell").first.hover()
        assert (
            "Kans dat een AED op tijd ter plaatse is"
            in page.locator(".leaflet-tooltip").inner_text()
        )
        assert o.problems == [] and o.dialogs == []
    finally:
        page.close()
