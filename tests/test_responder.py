"""The responder model: a hand-worked case on a tiny street, invariants on the test region."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bereikbaar.config import HartveiligSettings, ResponderSettings, TravelProfile
from bereikbaar.errors import ConfigError

CRS = "EPSG:28992"
PROFILES = {
    "walk": TravelProfile("walk", "walk", speed_kmh=5.0),
    "aed_responder": TravelProfile("aed_responder", "walk", speed_kmh=2.3 * 3.6),
}


# ------------------------------------------------------------------ the hand-worked case
# A straight street along y = 50 with a node every 100 m (x = 50, 150, ..., 1950).
#
#   cell  x     residents   role
#   V     50    0           the victim's cell (nobody lives there)
#   R1    150   100         responders, 100 m from the AED
#   R2    650   200         responders, 400 m from the AED
#   AED   250   (24/7)      200 m from V
#
# Settings: budget 6 min, alert delay 1 min, no set-off delay → 300 s for the trip.
# Walk 1.0 m/s (≤ 300 m), bike 2.5 m/s (≤ 750 m), half walk, half bike.
# Accepted via-AED responders per resident: share 0.05 × presence 0.5 × acceptance 0.5 ×
# via-AED 0.8 = 0.01.
#
# Victim in V:   R1 → AED → V = 100 + 200 = 300 m: walk (300 ≤ 300) and bike
#                R2 → AED → V = 400 + 200 = 600 m: bike only
#   Λ = 0.01 · (0.5 · 100 + 0.5 · (100 + 200)) = 2.0 → P = 1 − e^−2 = 0.8647
#   arrival times (s): R1 bike 60 + 300/2.5 = 180 (Λ 0.5), R2 bike 60 + 600/2.5 = 300
#   (Λ 1.0, total 1.5 ≥ ln 2 = 0.693), R1 walk 60 + 300 = 360 → median 300 s = 5 min
# Victim in R1:  R1 → AED → R1 = 200 m (walk, bike); R2 → AED → R1 = 500 m (bike)
#   Λ = 0.01 · (0.5 · 100 + 0.5 · 300) = 2.0; times: R1 bike 60 + 80 = 140 (Λ 0.5),
#   R1 walk 60 + 200 = 260 (Λ 0.5) and R2 bike 60 + 200 = 260 (Λ 1.0) → median 260 s
# Victim in R2:  R2 → AED → R2 = 800 m (too far); R1 → AED → R2 = 500 m (bike)
#   Λ = 0.01 · 0.5 · 100 = 0.5 → P = 1 − e^−0.5 = 0.3935; Λ never reaches ln 2: no median
# With a 500 m alert radius R2 (600 m from V) is not alerted for V:
#   Λ = 0.01 · (0.5 · 100 + 0.5 · 100) = 1.0 → P = 0.6321
HAND = ResponderSettings(
    share_of_residents=0.05,
    presence_by_hour=(0.5,) * 24,
    alert_radius_m=1000.0,
    acceptance=0.5,
    alert_delay_min=1.0,
    setoff_delay_min=0.0,
    via_aed_share=0.8,
    walk_share=0.5,
    walk_speed_mps=1.0,
    bike_speed_mps=2.5,
)


def street():
    from bereikbaar.network import network_from_arrays

    xs = np.arange(50.0, 2000.0, 100.0)
    nodes = np.column_stack([xs, np.full(len(xs), 50.0)])
    return network_from_arrays(nodes, [(i, i + 1) for i in range(len(xs) - 1)], mode="walk")


def run_hand(responders: ResponderSettings = HAND, **kw):
    from bereikbaar.hartveilig import compute_hartveilig

    cells = gpd.GeoDataFrame(
        {"cell_id": ["V", "R1", "R2"], "residents": [0.0, 100.0, 200.0]},
        geometry=shapely.points([(50, 50), (150, 50), (650, 50)]),
        crs=CRS,
    )
    cells.attrs["cell_size_m"] = 100.0
    aeds = gpd.GeoDataFrame(
        {
            "aed_id": ["A"],
            "gemeente": ["Testdorp"],
            "availability_status": ["24/7"],
            "open_hours": ["1" * 168],
        },
        geometry=shapely.points([(250, 50)]),
        crs=CRS,
    )
    places = gpd.GeoDataFrame({"name": ["Testdorp"]}, geometry=shapely.points([(0, 0)]), crs=CRS)
    candidates = gpd.GeoDataFrame(
        {"kind": ["school"], "name": ["School"]}, geometry=shapely.points([(650, 50)]), crs=CRS
    )
    settings = HartveiligSettings(model="responder", responders=responders, **kw)
    return compute_hartveilig(
        gemeente="Testdorp", cells=cells, aeds=aeds, walk_network=street(), places=places,
        candidates=candidates, settings=settings, profiles=PROFILES,
    )  # fmt: skip


def test_hand_worked_probabilities_and_minutes():
    r = run_hand()
    c = r.cells.set_index("cell_id")
    expected_p = {"V": 1 - math.exp(-2.0), "R1": 1 - math.exp(-2.0), "R2": 1 - math.exp(-0.5)}
    for cell, p in expected_p.items():
        assert c.loc[cell, "probability_night"] == pytest.approx(p, rel=1e-5)
        assert c.loc[cell, "probability_weekly_mean"] == pytest.approx(p, rel=1e-5)
    assert c.loc["V", "minutes_night"] == pytest.approx(5.0)
    assert c.loc["R1", "minutes_night"] == pytest.approx(260 / 60)
    assert np.isnan(c.loc["R2", "minutes_night"])
    # covered = probability ≥ 0.5; the summary counts expected residents
    assert c["covered_night"].tolist() == [True, True, False]
    night = r.summary["moments"]["night"]
    assert night["residents_covered"] == pytest.approx(
        100 * (1 - math.exp(-2)) + 200 * (1 - math.exp(-0.5)), abs=0.05
    )
    assert night["residents_above_threshold"] == pytest.approx(100.0)


def test_hand_worked_alert_radius():
    r = run_hand(dataclasses.replace(HAND, alert_radius_m=500.0))
    p = r.cells.set_index("cell_id").loc["V", "probability_night"]
    assert p == pytest.approx(1 - math.exp(-1.0), rel=1e-5)


def test_hand_worked_contract_fields():
    r = run_hand()
    assert r.model.name == "responder" and r.model.threshold_min is None
    assert r.model.budget_min == 6.0
    assert r.hourly_probability.shape == (3, 168) and r.hourly_probability.dtype == np.float32
    np.testing.assert_array_equal(r.hourly_covered, r.hourly_probability >= 0.5)
    np.testing.assert_allclose(
        r.hourly_residents_covered, r.cells["residents"].to_numpy() @ r.hourly_covered
    )


def test_hand_worked_responders_or_aeds():
    # +25% responders: every Λ × 1.25 (V and R1: 2.5, R2: 0.625)
    r = run_hand()
    t = r.responders_or_aeds.set_index("scenario")
    now = 100 * (1 - math.exp(-2)) + 200 * (1 - math.exp(-0.5))
    plus25 = 100 * (1 - math.exp(-2.5)) + 200 * (1 - math.exp(-0.625))
    assert t.loc["now", "expected_residents_covered"] == pytest.approx(now, rel=1e-5)
    assert t.loc["responders_plus_25", "gain_residents"] == pytest.approx(plus25 - now, rel=1e-5)
    assert (t["gemeente"] == "Testdorp").all()
    assert r.summary["responders_or_aeds"]["moment"] == "night"


def test_hand_worked_new_aed_gain():
    # A 24/7 AED at the school in R2 (x = 650): R2 → school → R2 = 0 m (walk and bike),
    # R1 → school → R2 = 500 m, already reached by bike through the first AED; by walk
    # 500 > 300. So R2 as victim gains 0.01 · (0.5 · 200 + 0.5 · 200) = 2.0, Λ 0.5 → 2.5.
    # For V: R2 → school → V = 600 m: the same pair as before (bike), nothing new; for R1:
    # R2 → school → R1 = 500 m: bike, already reached. Gain = 200 · (e^−0.5 − e^−2.5).
    r = run_hand()
    gain = 200 * (math.exp(-0.5) - math.exp(-2.5))
    assert len(r.proposals) == 1
    assert r.proposals["gain_residents"].iloc[0] == pytest.approx(gain, rel=1e-5)


def test_bad_responder_settings():
    with pytest.raises(ConfigError, match="acceptance"):
        run_hand(dataclasses.replace(HAND, acceptance=1.5))
    with pytest.raises(ConfigError, match="presence_by_hour"):
        run_hand(dataclasses.replace(HAND, presence_by_hour=(0.5,) * 7))
    with pytest.raises(ConfigError, match="nothing is left"):
        run_hand(dataclasses.replace(HAND, alert_delay_min=6.0))


def test_config_reads_responders(cfg):
    rs = cfg.hartveilig.responders
    assert len(rs.presence_by_hour) == 24 and rs.walk_speed_mps == 1.8
    assert "Resuscitation 2020" in rs.source
    with pytest.raises(ConfigError, match="responders.bike_speed_mps"):
        cfg.with_hartveilig(responders=dataclasses.replace(rs, bike_speed_mps=0.0))


# --------------------------------------------------------------- the test region
@pytest.fixture(scope="module")
def region(cfg):
    """One municipality's cells, AEDs and AED→cell pairs (routed generously, once)."""
    from bereikbaar.coverage import pairs_within, prepare_aeds, snap_cells
    from bereikbaar.study_area import clip_points, open_study_area

    area = open_study_area(cfg)
    part = area.part("Aa en Hunze")
    name, polygon = part.name, part.polygon
    net = area.network("walk")
    cells = snap_cells(net, part.cells, max_snap_m=cfg.network.max_snap_m)
    aeds = prepare_aeds(
        net, clip_points(area.aeds(), polygon.buffer(cfg.network.halo_walk_m)), gemeente=name,
        area=polygon, settings=cfg.hartveilig, max_snap_m=cfg.network.max_snap_m,
    )  # fmt: skip
    prof = cfg.profiles["aed_responder"]
    pairs = pairs_within(
        net, aeds.snap, cells.snap, src_xy=aeds.xy, dst_xy=cells.xy, dst_ok=cells.routable,
        model="responder", profile=prof, cutoff=1500.0 / prof.speed_mps,
    )  # fmt: skip
    return cfg, cells, aeds, pairs, prof


def _probability(region, *, aeds=None, **changes):
    from bereikbaar.responder import responder_coverage, responder_rates

    cfg, cells, aeds0, pairs, prof = region
    hv = cfg.hartveilig
    budget = changes.pop("budget_min", hv.budget_min)
    rs = dataclasses.replace(hv.responders, **changes)
    settings = dataclasses.replace(hv, model="responder", budget_min=budget, responders=rs)
    rates = responder_rates(settings)
    assert rates.longest_m <= 1500.0  # the pairs were routed far enough
    cov = responder_coverage(
        pairs, cells, aeds if aeds is not None else aeds0, hv.moments, rates=rates,
        metres_per_s=prof.speed_mps, threshold=0.5,
    )  # fmt: skip
    return cov.probability.astype(float)


def test_region_probability_grows_with_share_speed_budget(region):
    base = _probability(region)
    assert base.max() > 0.1  # the case is not empty
    for changes in (
        {"share_of_residents": 0.02},
        {"walk_speed_mps": 2.0, "bike_speed_mps": 3.5},
        {"budget_min": 7.0},
        {"acceptance": 0.4},
    ):
        more = _probability(region, **changes)
        assert np.all(more >= base - 1e-6), changes
        assert (more > base + 1e-6).any(), changes


def test_region_probability_grows_with_aeds(region):
    _, _, aeds, _, _ = region
    rng = np.random.default_rng(7)
    fewer_counts = aeds.counts & (rng.random(aeds.n) < 0.6)
    fewer = dataclasses.replace(aeds, counts=fewer_counts)
    p_fewer = _probability(region, aeds=fewer)
    p_all = _probability(region)
    assert np.all(p_all >= p_fewer - 1e-6)
    assert (p_all > p_fewer + 1e-6).any()


def test_region_responders_at_the_victim_equal_the_fetch_model(region):
    # Every responder at the victim's own cell, acceptance 1, every responder via an AED,
    # one mode at the fetch speed with the fetch delay: the trip is victim → AED → victim,
    # twice the one-way route, so P > 0 exactly where the fetch model covers the cell.
    from bereikbaar.coverage import fetch_limit_s, hourly_coverage
    from bereikbaar.responder import (
        ResponderRates,
        ViaTriples,
        probability,
        residents_in_reach,
        via_triples,
    )

    cfg, cells, aeds, pairs, prof = region
    hv = cfg.hartveilig
    limit_s = fetch_limit_s(hv)
    fetch = hourly_coverage(pairs.within(limit_s), cells, aeds)
    rates = ResponderRates(
        speed_mps=(prof.speed_mps, prof.speed_mps), mode_share=(1.0, 0.0),
        delay_s=hv.alert_delay_min * 60, budget_s=hv.budget_min * 60,
        rate_by_hour=np.ones(168), alert_radius_m=1e9,
    )  # fmt: skip
    res = np.where(cells.routable, np.maximum(cells.residents, 1.0), 0.0)
    t = via_triples(
        pairs, metres_per_s=prof.speed_mps, residents=res, cell_xy=cells.xy,
        max_length_m=rates.longest_m, alert_radius_m=rates.alert_radius_m,
    )  # fmt: skip
    own = t.select(t.responder == t.victim)
    own = ViaTriples(own.responder, own.aed, own.victim, own.length_m)
    reach = residents_in_reach(own, res, aeds.available(), rates)
    p = probability(reach.expected(rates))
    ok = cells.routable & (cells.residents > 0)
    assert fetch.covered[ok].any() and (~fetch.covered[ok]).any()
    np.testing.assert_array_equal(p[ok] > 0, fetch.covered[ok])


def test_cli_model_responder(monkeypatch, cache_dir, data_dir, tmp_path):
    import json

    from click.testing import CliRunner

    from bereikbaar.cli import main

    from .conftest import CONFIG_PATH

    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    monkeypatch.setenv("BEREIKBAAR_DATA", str(data_dir))
    args = ["hartveilig", "--config", str(CONFIG_PATH), "--gemeente", "Westerveld"]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path), "--model", "responder"])
    assert r.exit_code == 0, r.output
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    summary = json.loads((folder / "hartveilig_summary.json").read_text())
    assert summary["settings"]["model"] == "responder"
    scenarios = summary["responders_or_aeds"]["scenarios"]
    assert scenarios["now"]["gain_residents"] == 0
    # more responders never lose coverage; +10 AEDs gain at least what +5 gain
    assert scenarios["responders_plus_25"]["gain_residents"] > 0
    assert (
        scenarios["responders_plus_25"]["gain_residents"]
        <= scenarios["responders_plus_50"]["gain_residents"]
    )
    assert scenarios["aeds_plus_5"]["gain_residents"] <= scenarios["aeds_plus_10"]["gain_residents"]
    night = summary["moments"]["night"]
    assert 0 <= night["share_covered"] <= 1 and "share_above_threshold" in night
