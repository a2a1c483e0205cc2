"""Small fake Hartveilig and Dorpshub results with the fields of docs/ARCHITECTURE.md's
typed contract, computed independently of the analyses (straight-line fetch times), for
the map tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from bereikbaar.config import Moment, TransitWindow

RD = "EPSG:28992"
X0, Y0 = 240_000.0, 530_000.0  # south-west corner of the fake municipality (near Westerbork)
MOMENTS = (
    Moment("weekday_day", "We", "14:00", "Werkdag 14:00"),
    Moment("weekday_evening", "We", "20:00", "Werkdag 20:00"),
    Moment("night", "We", "03:00", "Nacht 03:00"),
    Moment("sunday", "Su", "11:00", "Zondag 11:00"),
)
THRESHOLD_MIN = 6.0
VILLAGE_CENTRES = np.array(
    [(2500, 3000), (7800, 2400), (5200, 6300), (9800, 8200), (2600, 9300), (6400, 10400)]
)


def hour(moment: Moment) -> int:
    return moment.weekday * 24 + moment.minute_of_day // 60


@dataclass(frozen=True)
class FakeHartveilig:
    gemeente: str
    moments: tuple
    cell_size_m: float
    cells: gpd.GeoDataFrame
    white_spots: gpd.GeoDataFrame
    aeds: gpd.GeoDataFrame
    proposals: gpd.GeoDataFrame
    relocations: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    model: Any
    hourly_covered: np.ndarray
    hourly_residents_covered: np.ndarray
    summary: dict = field(default_factory=dict)
    assumptions: tuple = ()
    sources_note: str = ""


@dataclass(frozen=True)
class FakeDorpshub:
    gemeente: str
    villages: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    norms: tuple
    what_if: Any = None
    summary: dict = field(default_factory=dict)
    assumptions: tuple = ()
    sources_note: str = ""
    ov: Any = None


def fake_outline(side_m: float = 12_000.0, name: str = "Testgemeente") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"gemeente": [name]}, geometry=[box(X0, Y0, X0 + side_m, Y0 + side_m)], crs=RD
    )


def _open_hours(rng, n: int, statuses: np.ndarray) -> list[str]:
    """168-char masks: limited AEDs open on weekdays 08–18 or every day 07–23."""
    day = "".join("1" if 8 <= h < 18 else "0" for h in range(24))
    long = "".join("1" if 7 <= h < 23 else "0" for h in range(24))
    out = []
    for i, s in enumerate(statuses):
        if s != "limited":
            out.append("")
        elif i % 2:
            out.append(day * 5 + "0" * 48)
        else:
            out.append(long * 7)
    return out


def _availability(statuses, masks) -> np.ndarray:
    """Bool (n_aeds, 168): 24/7 always, limited per mask, unknown never (closed)."""
    out = np.zeros((len(statuses), 168), bool)
    for i, (s, m) in enumerate(zip(statuses, masks, strict=True)):
        if s == "24/7":
            out[i] = True
        elif s == "limited" and len(m) == 168:
            out[i] = np.array([c == "1" for c in m])
    return out


def _fake_cells(rng, n_cells: int) -> gpd.GeoDataFrame:
    gx, gy = np.meshgrid(np.arange(120) * 100.0 + 50, np.arange(120) * 100.0 + 50)
    gx, gy = gx.ravel(), gy.ravel()
    d = np.hypot(gx[:, None] - VILLAGE_CENTRES[:, 0], gy[:, None] - VILLAGE_CENTRES[:, 1]).min(1)
    weight = np.exp(-d / 700.0) + 0.01
    pick = np.sort(rng.choice(len(gx), size=n_cells, replace=False, p=weight / weight.sum()))
    x, y = X0 + gx[pick], Y0 + gy[pick]
    return gpd.GeoDataFrame(
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


def fake_hartveilig(
    n_cells: int = 400,
    n_aeds: int = 40,
    seed: int = 1,
    *,
    label: str | None = None,
    name: str = "Testgemeente <i>",
) -> FakeHartveilig:
    """Cells clustered around villages; a cell is covered when an available AED lies within
    fetch time ``1 + 2·d/150`` ≤ 6 min (straight line)."""
    rng = np.random.default_rng(seed)
    cells = _fake_cells(rng, n_cells)
    x, y = cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()
    near = rng.integers(0, len(VILLAGE_CENTRES), n_aeds)
    ax = X0 + VILLAGE_CENTRES[near, 0] + rng.normal(0, 500, n_aeds)
    ay = Y0 + VILLAGE_CENTRES[near, 1] + rng.normal(0, 500, n_aeds)
    statuses = np.array(["24/7", "limited", "unknown"])[rng.integers(0, 3, n_aeds)]
    masks = _open_hours(rng, n_aeds, statuses)
    avail = _availability(statuses, masks)
    minutes_all = 1.0 + 2.0 * np.hypot(x[:, None] - ax[None, :], y[:, None] - ay[None, :]) / 150.0
    hourly = np.zeros((n_cells, 168), bool)
    for h in range(168):
        ok = avail[:, h]
        if ok.any():
            hourly[:, h] = minutes_all[:, ok].min(axis=1) <= THRESHOLD_MIN
    moments = (
        MOMENTS if label is None else (Moment("weekday_day", "We", "14:00", label), *MOMENTS[1:])
    )
    for mo in moments:
        ok = avail[:, hour(mo)]
        mins = minutes_all[:, ok].min(axis=1) if ok.any() else np.full(n_cells, np.nan)
        cells[f"minutes_{mo.name}"] = np.where(mins <= 30, mins, np.nan)
        cells[f"covered_{mo.name}"] = hourly[:, hour(mo)]
    cells["weekly_share"] = hourly.mean(axis=1)
    aeds = gpd.GeoDataFrame(
        {
            "aed_id": [f"osm:n{i}" for i in range(n_aeds)],
            "name": [f"Dorpshuis <b>{i}</b> & co" for i in range(n_aeds)],
            "street": ["Brink 1"] * n_aeds,
            "place": ["Westerbork"] * n_aeds,
            "availability": ["24/7" if s == "24/7" else "ma-vr 08:00-18:00" for s in statuses],
            "availability_status": statuses,
            "open_hours": masks,
            "indoor": pd.array([bool(i % 2) if i % 5 else pd.NA for i in range(n_aeds)], "boolean"),
            "location_quality": ["exact"] * (n_aeds - 1) + ["postcode"],
            "provenance": np.array(["osm", "register", "both"])[rng.integers(0, 3, n_aeds)],
            "counts": [True] * (n_aeds - 1) + [False],
        },
        geometry=gpd.points_from_xy(ax, ay),
        crs=RD,
    )
    for mo in moments:
        aeds[f"open_{mo.name}"] = avail[:, hour(mo)]
    residents = cells["residents"].to_numpy()
    summary = {
        "moments": {
            mo.name: {
                "label": mo.label,
                "residents_covered": float(residents[hourly[:, hour(mo)]].sum()),
                "share_covered": float(residents[hourly[:, hour(mo)]].sum() / residents.sum()),
            }
            for mo in moments
        },
    }
    return FakeHartveilig(
        gemeente=name,
        moments=moments,
        cell_size_m=100.0,
        cells=cells,
        white_spots=_fake_spots(moments),
        aeds=aeds,
        proposals=_fake_points(
            ["Dorpshuis De Schaapskooi", "OBS De Es", "Spar"], "community_centre"
        ),
        relocations=_fake_points(["Sporthal <script>alert(1)</script>"], None),
        outline=fake_outline(),
        model=SimpleNamespace(
            name="fetch",
            threshold_min=THRESHOLD_MIN,
            budget_min=6.0,
            unknown_availability="closed",
            description_nl="Binnen bereik: een burgerhulpverlener kan binnen 6 minuten na de "
            "melding een AED bij het slachtoffer hebben (AED halen en terug, 2,3 m/s).",
        ),
        hourly_covered=hourly,
        hourly_residents_covered=(hourly * residents[:, None]).sum(axis=0),
        summary=summary,
        assumptions=("AED's met onbekende openingstijden tellen als gesloten.",),
        sources_note="OSM-extract Drenthe (fictief), CBS-vierkanten 2023 (fictief)",
    )


def _fake_spots(moments) -> gpd.GeoDataFrame:
    spots = []
    for k, mo in enumerate(moments):
        for r in range(k + 1):
            cx, cy = X0 + 1500 + 2500 * r, Y0 + 1500 + 2000 * k
            spots.append(
                {
                    "moment": mo.name,
                    "rank": r + 1,
                    "residents": 150.0 - 10 * r,
                    "residents_65_plus": 40.0,
                    "area_km2": 0.8,
                    "nearest_village": "Zwiggelte <b>",
                    "distance_nearest_available_aed_m": 1450.0 + r,
                    "geometry": Point(cx, cy).buffer(400 + 50 * r, 32),
                }
            )
    return gpd.GeoDataFrame(spots, crs=RD)


def _fake_points(names: list[str], kind: str | None) -> gpd.GeoDataFrame:
    n = len(names)
    data = {
        "rank": list(range(1, n + 1)),
        "name": names,
        "address": [f"Hoofdstraat {i + 1}" for i in range(n)],
        "near": ["Westerbork"] * n,
        "gain_residents": [310.0 - 100 * i for i in range(n)],
        "cumulative_residents": list(np.cumsum([310.0 - 100 * i for i in range(n)])),
    }
    if kind:
        data["kind"] = [kind] * n
    else:
        data["current_availability"] = ["ma-vr 08:00-18:00"] * n
        data["to"] = ["24/7-buitenkast op dezelfde plek"] * n
    pts = [Point(X0 + 1600 + 2400 * i, Y0 + 1500 + 2100 * i) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=pts, crs=RD)


NORMS = (
    SimpleNamespace(
        key="gp_bike",
        service="gp",
        profile="bike",
        max_min=15.0,
        source="LHV",
        label_nl="huisarts ≤ 15 min per fiets",
        minutes_column="minutes_gp_bike",
        share_column="share_within_gp_bike",
        within_column="within_gp_bike",
    ),
    SimpleNamespace(
        key="huisartsenpost_car",
        service="huisartsenpost",
        profile="car",
        max_min=30.0,
        source="",
        label_nl="huisartsenpost ≤ 30 min per auto",
        minutes_column="minutes_huisartsenpost_car",
        share_column="share_within_huisartsenpost_car",
        within_column="within_huisartsenpost_car",
    ),
    SimpleNamespace(
        key="school_walk",
        service="school",
        profile="walk",
        max_min=20.0,
        source="",
        label_nl="basisschool ≤ 20 min lopen",
        minutes_column="minutes_school_walk",
        share_column="share_within_school_walk",
        within_column="within_school_walk",
    ),
)


def fake_dorpshub(
    n_villages: int = 14, seed: int = 2, *, village_name: str | None = None
) -> FakeDorpshub:
    rng = np.random.default_rng(seed)
    names = [f"Dorp {chr(65 + i)}" for i in range(n_villages)]
    if village_name:
        names[0] = village_name
    villages = gpd.GeoDataFrame(
        {
            "village_id": [f"n{100 + i}" for i in range(n_villages)],
            "village": names,
            "place": ["village"] * (n_villages - 2) + ["town", "hamlet"],
            "place_nl": ["dorp"] * (n_villages - 2) + ["kleine stad", "buurtschap"],
            "residents": rng.integers(40, 6000, n_villages).astype(float),
            "residents_65_plus": rng.integers(10, 900, n_villages).astype(float),
        },
        geometry=gpd.points_from_xy(
            X0 + 500 + 800 * np.arange(n_villages), rng.uniform(Y0 + 500, Y0 + 11_500, n_villages)
        ),
        crs=RD,
    )
    failed = np.zeros(n_villages, int)
    labels: list[list[str]] = [[] for _ in range(n_villages)]
    for norm in NORMS:
        v = rng.uniform(1, 2.5 * norm.max_min, n_villages)
        v[0] = np.nan
        villages[norm.minutes_column] = v
        within = pd.array([None if np.isnan(m) else bool(m <= norm.max_min) for m in v], "boolean")
        villages[norm.within_column] = within
        villages[norm.share_column] = rng.random(n_villages).round(3)
        for i, w in enumerate(within):
            if w is not pd.NA and not w:
                failed[i] += 1
                labels[i].append(norm.label_nl)
    villages["n_failed_norms"] = failed
    villages["failed_norms"] = ["; ".join(x) for x in labels]
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
            "rank": [1, 2, 1],
            "village": [names[1], names[2], names[1]],
            "method": ["p_median", "p_median", "max_coverage"],
            "method_nl": ["kortste gemiddelde reistijd (p-mediaan)"] * 2
            + ["meeste inwoners binnen bereik (maximale dekking)"],
            "residents_served": [4200.0, 2100.0, 3900.0],
            "villages_served": [
                f"{names[1]}; {names[3]}; {names[4]}",
                f"{names[2]}; {names[5]}",
                f"{names[1]}; {names[6]}",
            ],
            "residents_gaining": [800.0, 300.0, 750.0],
        },
        geometry=[villages.geometry.iloc[1], villages.geometry.iloc[2], villages.geometry.iloc[1]],
        crs=RD,
    )
    what_if = SimpleNamespace(
        village=names[5],
        summary={
            "residents": 20000.0,
            "residents_within_before": 12000.0,
            "residents_within_after": 12600.0,
            "residents_gaining": 600.0,
            "residents_65_plus_gaining": 150.0,
            "villages_gaining": [names[5], names[6]],
        },
    )
    return FakeDorpshub(
        gemeente="Testgemeente",
        villages=villages,
        services=services,
        hubs=hubs,
        outline=fake_outline(),
        norms=NORMS,
        what_if=what_if,
        assumptions=("Fietssnelheid 15 km/u.",),
        sources_note="fictief",
    )


OV_WINDOWS = (
    TransitWindow("weekday_morning", "We", "07:00", "09:00", "Werkdag 07:00–09:00"),
    TransitWindow("saturday", "Sa", "10:00", "12:00", "Zaterdag 10:00–12:00"),
)


def fake_ov(villages: gpd.GeoDataFrame, seed: int = 3, *, stop_name: str = "Halte") -> Any:
    """An :class:`~bereikbaar.dorpshub.OvAccess` with made-up percentiles: village 0 has no
    ov trip to anything in the morning, village 1's p95 is empty (late minutes without a
    trip); 30 stops, one without departures and one with an unknown number."""
    from bereikbaar.dorpshub._ov import OV_TABLE_COLUMNS, OvAccess

    rng = np.random.default_rng(seed)
    rows = []
    for i, (vid, name) in enumerate(zip(villages["village_id"], villages["village"], strict=True)):
        for service in ("gp", "huisartsenpost", "supermarket"):
            for w in OV_WINDOWS:
                p = np.sort(rng.uniform(8, 90, 3)).round(1)
                no_trip = i == 0 and w.name == "weekday_morning"
                if no_trip:
                    p[:] = np.nan
                if i == 1:
                    p[2] = np.nan
                walk = round(float(rng.uniform(20, 200)), 1)
                ov = np.minimum(p, walk)
                rows.append(
                    {
                        "gemeente": "Testgemeente",
                        "village_id": vid,
                        "village": name,
                        "service": service,
                        "window": w.name,
                        "window_label": w.label,
                        "walk_min": walk,
                        "transit_p05_min": p[0],
                        "transit_p50_min": p[1],
                        "transit_p95_min": p[2],
                        "transit_share": 0.0 if no_trip else 0.9,
                        "no_trip": no_trip,
                        "ov_p05_min": ov[0],
                        "ov_p50_min": ov[1],
                        "ov_p95_min": ov[2],
                        "ov_by": "walk" if no_trip else "transit",
                    }
                )
    n = 30
    dep = rng.uniform(0, 12, n).round(1)
    dep[0], dep[1] = 0.0, np.nan
    saturday = (dep / 2).round(1)
    stops = gpd.GeoDataFrame(
        {
            "stop_id": [f"s{i}" for i in range(n)],
            "stop_name": [f"{stop_name} {i}" for i in range(n)],
            "station_name": ["Station Testdorp" if i < 2 else "" for i in range(n)],
            "departures_per_hour": dep,
            "departures_per_hour_weekday_morning": dep,
            "departures_per_hour_saturday": saturday,
        },
        geometry=gpd.points_from_xy(
            rng.uniform(X0 + 200, X0 + 11_800, n), rng.uniform(Y0 + 200, Y0 + 11_800, n)
        ),
        crs=RD,
    )
    return OvAccess(
        windows=OV_WINDOWS,
        norm_window="weekday_morning",
        norm_statistic="p50",
        table=pd.DataFrame(rows)[OV_TABLE_COLUMNS],
        stops=stops,
    )


def fake_dorpshub_with_ov(**kwargs) -> FakeDorpshub:
    import dataclasses

    dh = fake_dorpshub(**kwargs)
    v = dh.villages
    ov_hub = gpd.GeoDataFrame(
        {
            "rank": [1],
            "village": [v["village"].iloc[3]],
            "method": ["ov_reach"],
            "method_nl": ["meeste inwoners met fiets en ov bij sleutelvoorzieningen (ov-bereik)"],
            "residents_served": [1500.0],
            "villages_served": [f"{v['village'].iloc[3]}; {v['village'].iloc[4]}"],
            "residents_gaining": [1234.0],
        },
        geometry=[v.geometry.iloc[3]],
        crs=RD,
    )
    hubs = gpd.GeoDataFrame(pd.concat([dh.hubs, ov_hub], ignore_index=True), crs=RD)
    ov_rows = [
        {
            "service": "huisartsenpost",
            "service_nl": "huisartsenpost",
            "norm_min": 45.0,
            "residents_before": 2005.0,
            "residents_after": 2629.0,
            "residents_gaining": 624.0,
            "residents_65_plus_gaining": 192.5,
        },
        {
            "service": "hospital",
            "service_nl": "ziekenhuis (SEH)",
            "norm_min": 60.0,
            "residents_before": 6757.5,
            "residents_after": 12369.5,
            "residents_gaining": 5612.0,
            "residents_65_plus_gaining": 943.5,
        },
    ]
    what_if = SimpleNamespace(
        village=dh.what_if.village, summary={**dh.what_if.summary, "ov": ov_rows}
    )
    summary = {"ov_hubs": {"services": ["huisartsenpost", "hospital"]}}
    return dataclasses.replace(dh, ov=fake_ov(v), hubs=hubs, what_if=what_if, summary=summary)
