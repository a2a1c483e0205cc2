"""Tests of bereikbaar.maps on small fake results (duck-typed like HartveiligResult and
DorpshubResult): offline assets, feature counts, size limit, determinism, and a headless
Chromium run that counts the drawn features and saves screenshots for the README."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from bereikbaar._web_assets import ASSETS_ENV, web_asset_dir
from bereikbaar.config import Moment
from bereikbaar.errors import BereikbaarError
from bereikbaar.maps import write_dorpshub_map, write_hartveilig_map

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RD = "EPSG:28992"
X0, Y0 = 240_000.0, 530_000.0  # south-west corner of the fake municipality (near Westerbork)
MOMENTS = (
    Moment("weekday_day", "We", "14:00", "Werkdag 14:00"),
    Moment("weekday_evening", "We", "20:00", "Werkdag 20:00"),
    Moment("night", "We", "03:00", "Nacht 03:00"),
    Moment("sunday", "Su", "11:00", "Zondag 11:00"),
)


# ------------------------------------------------------------------------ fake results
@dataclass(frozen=True)
class FakeHartveilig:
    gemeente: str
    moments: tuple
    cell_size_m: float
    cells: gpd.GeoDataFrame
    white_spots: gpd.GeoDataFrame
    aeds: gpd.GeoDataFrame
    proposals: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)
    assumptions: tuple = ()


@dataclass(frozen=True)
class FakeDorpshub:
    gemeente: str
    villages: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)
    assumptions: tuple = ()


def fake_boundary(side_m: float = 12_000.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"statnaam": ["Testgemeente"]},
        geometry=[box(X0, Y0, X0 + side_m, Y0 + side_m)],
        crs=RD,
    )


VILLAGE_CENTRES = np.array(
    [(2500, 3000), (7800, 2400), (5200, 6300), (9800, 8200), (2600, 9300), (6400, 10400)]
)


def _minutes(cx, cy, ax, ay) -> np.ndarray:
    """Fetch-model-like minutes: there and back at 150 m/min plus one minute alarm."""
    if len(ax) == 0:
        return np.full(len(cx), np.nan)
    d = np.hypot(cx[:, None] - ax[None, :], cy[:, None] - ay[None, :]).min(axis=1)
    minutes = 1.0 + 2.0 * d / 150.0
    return np.where(minutes <= 15.0, minutes, np.nan)


def fake_hartveilig(n_cells: int = 400, n_aeds: int = 40, seed: int = 1) -> FakeHartveilig:
    """Cells on the 100 m grid clustered around villages; minutes from the fake AEDs."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(120) * 100.0 + 50, np.arange(120) * 100.0 + 50)
    gx, gy = gx.ravel(), gy.ravel()
    d = np.hypot(gx[:, None] - VILLAGE_CENTRES[:, 0], gy[:, None] - VILLAGE_CENTRES[:, 1]).min(1)
    weight = np.exp(-d / 700.0) + 0.01
    pick = np.sort(rng.choice(len(gx), size=n_cells, replace=False, p=weight / weight.sum()))
    x, y = X0 + gx[pick], Y0 + gy[pick]
    near = rng.integers(0, len(VILLAGE_CENTRES), n_aeds)
    ax = X0 + VILLAGE_CENTRES[near, 0] + rng.normal(0, 500, n_aeds)
    ay = Y0 + VILLAGE_CENTRES[near, 1] + rng.normal(0, 500, n_aeds)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": [
                f"E{int(a):04d}N{int(b):04d}" for a, b in zip(x // 100, y // 100, strict=True)
            ],
            "residents": rng.integers(5, 120, n_cells).astype(float),
            "residents_65_plus": rng.integers(0, 40, n_cells).astype(float),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=RD,
    )
    statuses = np.array(["24/7", "limited", "unknown"])[rng.integers(0, 3, n_aeds)]
    open_at = {"weekday_day": ("24/7", "limited"), "sunday": ("24/7", "limited")}
    for mo in MOMENTS:
        ok = np.isin(statuses, open_at.get(mo.name, ("24/7",)))
        minutes = _minutes(x, y, ax[ok], ay[ok])
        cells[f"minutes_{mo.name}"] = minutes
        cells[f"covered_{mo.name}"] = np.nan_to_num(minutes, nan=99.0) <= 6.0
    covered = np.stack([cells[f"covered_{mo.name}"] for mo in MOMENTS])
    cells["weekly_share"] = covered.mean(axis=0).round(3)
    aeds = gpd.GeoDataFrame(
        {
            "aed_id": [f"osm:n{i}" for i in range(n_aeds)],
            "name": [f"Dorpshuis <b>{i}</b> & co" for i in range(n_aeds)],
            "availability": ["24/7" if s == "24/7" else "Mo-Fr 08:00-18:00" for s in statuses],
            "availability_status": statuses,
            "indoor": pd.array([bool(i % 2) if i % 5 else pd.NA for i in range(n_aeds)], "boolean"),
            "provenance": np.array(["osm", "register", "both"])[rng.integers(0, 3, n_aeds)],
        },
        geometry=gpd.points_from_xy(ax, ay),
        crs=RD,
    )
    spots = []
    for k, mo in enumerate(MOMENTS):
        for r in range(k + 1):
            cx, cy = X0 + 1500 + 2500 * r, Y0 + 1500 + 2000 * k
            spots.append(
                {
                    "moment": mo.name,
                    "spot_id": f"{mo.name}-{r + 1}",
                    "rank": r + 1,
                    "residents": 150.0 - 10 * r,
                    "residents_65_plus": 40.0,
                    "area_km2": 0.8,
                    "n_cells": 80,
                    "nearest_village": "Zwiggelte",
                    "dist_nearest_aed_m": 1450.0 + r,
                    "dist_nearest_24_7_aed_m": np.nan if r == 0 else 2300.0,
                    "geometry": Point(cx, cy).buffer(400 + 50 * r, 32),
                }
            )
    white_spots = gpd.GeoDataFrame(spots, crs=RD)
    proposals = gpd.GeoDataFrame(
        {
            "rank": [1, 2, 3],
            "kind": ["community_centre", "school", "supermarket"],
            "name": ["Dorpshuis De Schaapskooi", "OBS De Es", "Spar"],
            "gain_residents": [310.0, 180.0, 95.0],
            "cumulative_residents": [310.0, 490.0, 585.0],
        },
        geometry=[
            Point(X0 + 1600, Y0 + 1500),
            Point(X0 + 4000, Y0 + 3600),
            Point(X0 + 9000, Y0 + 9000),
        ],
        crs=RD,
    )
    summary = {
        "moments": {
            mo.name: {
                "label": mo.label,
                "residents_covered": 12000 - 900 * k,
                "share_covered": 0.8 - 0.1 * k,
            }
            for k, mo in enumerate(MOMENTS)
        },
        "settings": {"model": "fetch", "budget_min": 6.0, "unknown_availability": "closed"},
        "assumptions": [],
    }
    assumptions = (
        "Model 'fetch': een burgerhulpverlener haalt de AED en loopt naar het slachtoffer.",
        "Snelheid burgerhulpverlener 9 km/u; budget 6 minuten na alarmering.",
        "AED's met onbekende openingstijden tellen als gesloten.",
    )
    return FakeHartveilig(
        gemeente="Testgemeente",
        moments=MOMENTS,
        cell_size_m=100.0,
        cells=cells,
        white_spots=white_spots,
        aeds=aeds,
        proposals=proposals,
        summary=summary,
        assumptions=assumptions,
    )


def fake_dorpshub(n_villages: int = 14, seed: int = 2) -> FakeDorpshub:
    rng = np.random.default_rng(seed)
    names = [f"Dorp {chr(65 + i)}" for i in range(n_villages)]
    villages = gpd.GeoDataFrame(
        {
            "village": names,
            "place": ["village"] * (n_villages - 2) + ["town", "hamlet"],
            "residents": rng.integers(40, 6000, n_villages).astype(float),
            "residents_65_plus": rng.integers(10, 900, n_villages).astype(float),
            "score": rng.random(n_villages).round(2),
            "n_failed_norms": rng.integers(0, 4, n_villages),
            "failed_norms": ["gp (bike) > 15 min"] * n_villages,
        },
        geometry=gpd.points_from_xy(
            rng.uniform(X0 + 500, X0 + 11_500, n_villages),
            rng.uniform(Y0 + 500, Y0 + 11_500, n_villages),
        ),
        crs=RD,
    )
    for col in ("minutes_gp_bike", "minutes_gp_drive", "minutes_community_centre_walk"):
        v = rng.uniform(1, 50, n_villages)
        v[0] = np.nan
        villages[col] = v
    kinds = ["gp", "supermarket", "station", "school", "bus_hub"]
    services = gpd.GeoDataFrame(
        {
            "kind": [kinds[i % len(kinds)] for i in range(20)],
            "name": [f"Voorziening {i}" for i in range(20)],
            "departures_per_hour": [
                4.0 if kinds[i % len(kinds)] in ("station", "bus_hub") else np.nan
                for i in range(20)
            ],
        },
        geometry=gpd.points_from_xy(
            rng.uniform(X0, X0 + 12_000, 20), rng.uniform(Y0, Y0 + 12_000, 20)
        ),
        crs=RD,
    )
    hubs = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "village": [names[1], names[2]],
            "residents_served": [4200.0, 2100.0],
            "villages_served": [[names[1], names[3], names[4]], f"{names[2]}, {names[5]}"],
        },
        geometry=[villages.geometry.iloc[1], villages.geometry.iloc[2]],
        crs=RD,
    )
    return FakeDorpshub(
        gemeente="Testgemeente",
        villages=villages,
        services=services,
        hubs=hubs,
        summary={"settings": {"profiles": ["walk", "bike", "drive"]}},
        assumptions=("Fietssnelheid 15 km/u.", "Norm huisarts: 15 minuten per fiets."),
    )


# ------------------------------------------------------------------------ HTML parsing
_ADD_RE = re.compile(r"(geo_json_\w+)_add\((\{.*?\})\);\s*$", re.M)


def geojson_layers(text: str) -> dict[str, list[dict]]:
    """Features of every folium GeoJson layer in the HTML, grouped by their ``bb`` class."""
    out: dict[str, list[dict]] = {}
    for _, payload in _ADD_RE.findall(text):
        for feat in json.loads(payload)["features"]:
            out.setdefault(feat["properties"]["bb"], []).append(feat)
    return out


def cell_payload(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="bb-cells-data">(.*?)</script>', text, re.S)
    assert m, "no cell data block"
    return json.loads(m.group(1))


def local_refs(text: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', text)


def assert_offline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link)\b[^>]*>", text)
    remote = [t for t in tags if re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", t)]
    assert not remote, remote
    refs = local_refs(text)
    assert any(r.endswith("leaflet.js") for r in refs)
    for ref in refs:
        assert not re.match(r"^[a-z]+:", ref), ref
        assert (path.parent / ref).is_file(), ref


# ------------------------------------------------------------------------ fixtures
@pytest.fixture
def assets(tmp_path_factory, monkeypatch) -> Path:
    """The real vendor/web when present, else a stand-in with the same layout."""
    real = web_asset_dir()
    if (real / "leaflet" / "dist" / "leaflet.js").is_file():
        return real
    fake = tmp_path_factory.mktemp("web")
    for rel in (
        "leaflet/dist/leaflet.js",
        "leaflet/dist/leaflet.css",
        "jquery/dist/jquery.min.js",
        *(
            f"leaflet/dist/images/{n}"
            for n in (
                "layers.png",
                "layers-2x.png",
                "marker-icon.png",
                "marker-icon-2x.png",
                "marker-shadow.png",
            )
        ),
    ):
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_text("/* stand-in */\n")
    monkeypatch.setenv(ASSETS_ENV, str(fake))
    return fake


# ------------------------------------------------------------------------ unit tests
def test_hartveilig_offline_has_no_remote_urls_and_counts_match(tmp_path, assets):
    result = fake_hartveilig()
    out = write_hartveilig_map(
        result, tmp_path / "assen" / "hartveilig.html", boundary=fake_boundary()
    )
    assert out == tmp_path / "assen" / "hartveilig.html"
    assert_offline(out)
    text = out.read_text(encoding="utf-8")
    layers = geojson_layers(text)
    status = result.aeds["availability_status"]
    for key, slug in (("24/7", "24-7"), ("limited", "limited"), ("unknown", "unknown")):
        assert len(layers.get(f"bb-aed bb-aed-{slug}", [])) == int((status == key).sum())
    assert len(layers["bb-proposal"]) == len(result.proposals)
    assert len(layers["bb-boundary"]) == 1
    for mo in MOMENTS:
        expected = int((result.white_spots["moment"] == mo.name).sum())
        assert len(layers[f"bb-white-spot bb-moment-{mo.name}"]) == expected
    cells = cell_payload(text)
    assert len(cells["ring"]) == len(result.cells)
    assert set(cells["values"]) == {f"minutes_{m.name}" for m in MOMENTS} | {"weekly_share"}
    for col, values in cells["values"].items():
        assert len(values) == len(result.cells)
        assert sum(v is None for v in values) == int(result.cells[col].isna().sum())
    # one cell layer per moment + the weekly share, each a base layer in the control
    assert text.count("bbCellLayer(") == len(MOMENTS) + 1 + 1  # calls + the definition
    for mo in MOMENTS:
        assert f"Minuten tot AED: {mo.label}" in text
    # popups are escaped text, never raw HTML from the data
    wheres = {f["properties"]["where"] for k, v in layers.items() if "bb-aed" in k for f in v}
    assert "Dorpshuis &lt;b&gt;0&lt;/b&gt; &amp; co" in wheres
    assert "<b>0</b>" not in text
    # the assumptions panel
    assert "AED's met onbekende openingstijden tellen als gesloten." in text
    assert "Offline kaart" in text


def test_cell_squares_are_cell_size_in_rd(tmp_path, assets):
    from pyproj import Transformer

    result = fake_hartveilig(n_cells=9)
    out = write_hartveilig_map(result, tmp_path / "m.html", boundary=fake_boundary())
    ring = np.array(cell_payload(out.read_text(encoding="utf-8"))["ring"][0]).reshape(4, 2)
    x, y = Transformer.from_crs("EPSG:4326", RD, always_xy=True).transform(ring[:, 0], ring[:, 1])
    c = result.cells.geometry.iloc[0]
    assert np.allclose(x, [c.x - 50, c.x + 50, c.x + 50, c.x - 50], atol=1.5)
    assert np.allclose(y, [c.y - 50, c.y - 50, c.y + 50, c.y + 50], atol=1.5)


def test_dorpshub_offline_counts_match(tmp_path, assets):
    result = fake_dorpshub()
    out = write_dorpshub_map(result, tmp_path / "dorpshub.html", boundary=fake_boundary())
    assert_offline(out)
    text = out.read_text(encoding="utf-8")
    layers = geojson_layers(text)
    columns = [c for c in result.villages.columns if c.startswith("minutes_")]
    assert len(layers["bb-village"]) == len(result.villages) * len(columns)
    for kind, n in result.services["kind"].value_counts().items():
        slug = kind.replace("_", "-")
        assert len(layers[f"bb-service bb-service-{slug}"]) == n
    assert len(layers["bb-hub"]) == len(result.hubs)
    # hub 1 serves itself + 2 others (lines to the others), hub 2 itself + 1 other
    assert len(layers["bb-hub-link"]) == 3
    assert "Huisarts (fiets)" in text and "Dorpshuis (lopen)" in text
    assert "Norm huisarts: 15 minuten per fiets." in text


def test_online_map_keeps_cdn_and_adds_osm(tmp_path, assets):
    out = write_hartveilig_map(
        fake_hartveilig(n_cells=20), tmp_path / "h.html", boundary=fake_boundary(), offline=False
    )
    text = out.read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in text
    assert "Achtergrondkaart (OpenStreetMap" in text
    assert any(r.startswith("https://") and "leaflet" in r for r in local_refs(text))
    assert not (tmp_path / "_assets").exists()
    assert not any("bootstrap" in r or "awesome" in r for r in local_refs(text))


def test_missing_assets_raise_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ASSETS_ENV, str(tmp_path / "empty"))
    with pytest.raises(BereikbaarError, match="make assets"):
        write_hartveilig_map(
            fake_hartveilig(n_cells=4), tmp_path / "h.html", boundary=fake_boundary()
        )
    assert not (tmp_path / "h.html").exists()


def test_unknown_remote_asset_raises(tmp_path, assets, monkeypatch):
    import folium

    monkeypatch.setattr(
        folium.Map, "default_js", [*folium.Map.default_js, ("x", "https://cdn.example/x.js")]
    )
    with pytest.raises(BereikbaarError, match="no offline copy"):
        write_dorpshub_map(fake_dorpshub(), tmp_path / "d.html", boundary=fake_boundary())


def test_output_is_deterministic_and_atomic(tmp_path, assets):
    result = fake_hartveilig(n_cells=50)
    a = write_hartveilig_map(result, tmp_path / "a" / "h.html", boundary=fake_boundary())
    b = write_hartveilig_map(result, tmp_path / "b" / "h.html", boundary=fake_boundary())
    assert a.read_bytes() == b.read_bytes()
    write_hartveilig_map(result, a, boundary=fake_boundary())  # overwrite in place
    assert sorted(p.name for p in a.parent.iterdir()) == ["_assets", "h.html"]
    assert a.stat().st_mode & 0o777 == 0o644


def test_largest_municipality_stays_under_10_mb(tmp_path, assets):
    result = fake_hartveilig(n_cells=8_000, n_aeds=400)
    out = write_hartveilig_map(result, tmp_path / "emmen.html", boundary=fake_boundary())
    size = out.stat().st_size
    assert size < 10 * 1024 * 1024, f"{size / 1e6:.1f} MB"
    assert len(cell_payload(out.read_text(encoding="utf-8"))["ring"]) == 8_000


def test_importing_maps_is_light():
    import subprocess
    import sys

    code = "import sys, bereikbaar.maps; print(any(m.startswith(('folium', 'branca')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------ browser test
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


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("/usr/bin/chromium is missing; CI must install Debian's chromium")
        pytest.skip("/usr/bin/chromium not installed (apt-get install chromium)")
    if not (web_asset_dir() / "leaflet" / "dist" / "leaflet.js").is_file():
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


def _open(browser, path: Path):
    """Open ``path`` with every non-file request blocked; return (page, problems, blocked)."""
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    problems: list[str] = []
    blocked: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.bb-boundary').length > 0")
    return page, problems, blocked


def _count(page, selector: str) -> int:
    return page.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")


def _choose_base_layer(page, label: str) -> None:
    page.locator(".leaflet-control-layers-base label", has_text=label).locator("input").check()


def _screenshot(page, name: str, *, readme: bool = False) -> None:
    """Keep a screenshot as a test artifact; with ``BEREIKBAAR_UPDATE_SCREENSHOTS=1`` and
    ``readme=True`` also refresh the README's picture in docs/img."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / name))
    if readme and os.environ.get("BEREIKBAAR_UPDATE_SCREENSHOTS") == "1":
        docs = ROOT / "docs" / "img"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "test-artifacts" / name, docs / name)


@pytest.mark.browser
def test_hartveilig_map_in_chromium(tmp_path, browser):
    result = fake_hartveilig(n_cells=900, n_aeds=45)
    out = write_hartveilig_map(
        result,
        tmp_path / "hartveilig.html",
        boundary=fake_boundary(),
        sources_note="OSM-extract Drenthe (fictief), CBS-vierkanten 2023 (fictief)",
    )
    page, problems, blocked = _open(browser, out)
    try:
        status = result.aeds["availability_status"]
        assert _count(page, "path.bb-aed") == len(result.aeds)
        for key, slug in (("24/7", "24-7"), ("limited", "limited"), ("unknown", "unknown")):
            assert _count(page, f"path.bb-aed-{slug}") == int((status == key).sum())
        assert _count(page, "path.bb-proposal") == len(result.proposals)
        assert _count(page, "path.bb-cell") == len(result.cells)
        # points live in their own pane above the cells and white spots
        assert _count(page, ".leaflet-bbPoints-pane path.bb-aed") == len(result.aeds)
        assert _count(page, ".leaflet-overlay-pane path.bb-white-spot") > 0
        first = MOMENTS[0].name
        assert _count(page, "path.bb-white-spot") == int(
            (result.white_spots["moment"] == first).sum()
        )
        _screenshot(page, "fake_hartveilig_map.png")
        for mo in MOMENTS[1:]:
            _choose_base_layer(page, mo.label)
            assert _count(page, "path.bb-cell") == len(result.cells)
            n = int((result.white_spots["moment"] == mo.name).sum())
            assert _count(page, f"path.bb-white-spot.bb-moment-{mo.name}") == n
            assert _count(page, "path.bb-white-spot") == n
        _choose_base_layer(page, "Aandeel van de week")
        assert _count(page, "path.bb-cell") == len(result.cells)
        assert _count(page, "path.bb-white-spot") == 0
        # a popup opens on a white spot
        _choose_base_layer(page, MOMENTS[0].label)
        page.locator("path.bb-white-spot").first.dispatch_event("click")
        assert "Zwiggelte" in page.locator(".leaflet-popup-content").inner_text()
        assert problems == [], problems
        assert blocked == [], blocked
        # the OpenStreetMap base map is offered but off: turning it on requests tiles
        osm = page.locator(".leaflet-control-layers-overlays label", has_text="OpenStreetMap")
        assert not osm.locator("input").is_checked()
        osm.locator("input").check()
        page.wait_for_timeout(300)
        assert any("tile.openstreetmap.org" in url for url in blocked), blocked
    finally:
        page.close()


@pytest.mark.browser
def test_dorpshub_map_in_chromium(tmp_path, browser):
    result = fake_dorpshub()
    out = write_dorpshub_map(
        result, tmp_path / "dorpshub.html", boundary=fake_boundary(), sources_note="fictief"
    )
    page, problems, blocked = _open(browser, out)
    try:
        assert _count(page, "path.bb-village") == len(result.villages)
        assert _count(page, "path.bb-service") == len(result.services)
        assert _count(page, "path.bb-hub") == len(result.hubs)
        assert _count(page, "path.bb-hub-link") == 3
        _screenshot(page, "fake_dorpshub_map.png")
        _choose_base_layer(page, "Huisarts (auto)")
        assert _count(page, "path.bb-village") == len(result.villages)
        assert problems == [], problems
        assert blocked == [], blocked
    finally:
        page.close()


def test_empty_tables_and_odd_values_still_render(tmp_path, assets):
    hv = fake_hartveilig(n_cells=30, n_aeds=5)
    aeds = hv.aeds.copy()
    aeds["availability_status"] = [None, "24/7", "bogus", "limited", "unknown"]
    hv = dataclasses.replace(
        hv, aeds=aeds, white_spots=hv.white_spots.iloc[:0], proposals=hv.proposals.iloc[:0]
    )
    out = write_hartveilig_map(hv, tmp_path / "h.html", boundary=fake_boundary().geometry)
    layers = geojson_layers(out.read_text(encoding="utf-8"))
    assert len(layers["bb-aed bb-aed-unknown"]) == 3  # None and unrecognised count as unknown
    assert not any("white-spot" in k for k in layers)
    dh = fake_dorpshub()
    villages = dh.villages[["village", "place", "residents", "geometry"]]
    dh = dataclasses.replace(
        dh, villages=villages, services=dh.services.iloc[:0], hubs=dh.hubs.iloc[:0], summary={}
    )
    out = write_dorpshub_map(dh, tmp_path / "d.html", boundary=fake_boundary())
    assert len(geojson_layers(out.read_text(encoding="utf-8"))["bb-village"]) == len(villages)


def test_wrong_crs_is_refused(tmp_path, assets):
    from bereikbaar.errors import CrsError

    hv = fake_hartveilig(n_cells=10)
    hv = dataclasses.replace(hv, aeds=hv.aeds.to_crs("EPSG:4326"))
    with pytest.raises(CrsError, match="result.aeds"):
        write_hartveilig_map(hv, tmp_path / "h.html", boundary=fake_boundary())
