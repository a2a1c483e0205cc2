"""The Dorpshub map's data: villages with their norm results, services, hubs, the what-if.

Meaning first: a village's colour says whether its centre meets the chosen norm
(``within_<key>`` of the result, never recomputed from minutes); one overview colours the
number of norms a village misses.
"""

from __future__ import annotations

import math
from typing import Any

from bereikbaar import _nl
from bereikbaar.maps import _common as c

#: Short marks for service kinds on the map (text, not colour, tells the kind apart).
SERVICE_MARKS = {
    "gp": "H",
    "huisartsenpost": "HP",
    "hospital": "Z",
    "supermarket": "S",
    "school": "B",
    "pharmacy": "A",
    "station": "T",
    "bus_hub": "Bus",
    "bus_stop": "b",
    "community_centre": "D",
}
HUB_METHOD_MARKS = {"p_median": "P", "max_coverage": "D", "ov_reach": "OV"}
#: Services are drawn within this distance of the municipality (m); farther ones still count
#: in the travel times but would only crowd the map.
SERVICES_MARGIN_M = 3000.0
#: Service kinds whose layer starts switched off (too many points to read the map).
SERVICES_OFF = ("bus_stop",)
#: The window whose ov percentiles a village popup shows (the norm window when absent).
OV_POPUP_WINDOW = "weekday_morning"
#: The services whose ov percentiles a village popup shows, in this order.
OV_POPUP_SERVICES = ("huisartsenpost", "gp")


def dorpshub_payload(
    result: Any, *, offline: bool, basemap: Any, outline: Any, sources_note: str
) -> dict[str, Any]:
    """Everything the Dorpshub page draws, JSON-ready (see ``web/dorpshub.js``)."""
    from bereikbaar.maps._basemap import basemap_payload

    c.check_tables(
        {
            "result.villages": result.villages,
            "result.services": result.services,
            "result.hubs": result.hubs,
        }
    )
    outline_ll = c.outline_payload(outline)
    villages = _villages(result)
    ov = getattr(result, "ov", None)
    return {
        "title": f"Dorpshub — {result.gemeente}",
        "palette": c.palette(),
        "gemeente": str(result.gemeente),
        "offline": offline,
        "outline": outline_ll,
        "bounds": c.bounds_of(outline_ll),
        "norms": [
            {
                "key": str(n.key),
                "label": str(n.label_nl),
                "service": _nl.service_nl(str(n.service)),
                "mode": _nl.mode_nl(str(n.profile)),
                "max_min": c.number(n.max_min, 1),
                "source": str(n.source or ""),
            }
            for n in result.norms
        ],
        "villages": villages,
        "services": _services(_near(result.services, outline, SERVICES_MARGIN_M)),
        "hubs": _hubs(result.hubs, villages),
        "what_if": _what_if(getattr(result, "what_if", None), villages),
        "ov_hub_services": _ov_hub_services(getattr(result, "summary", None)),
        "ov": ov_payload(ov, villages),
        "assumptions": [str(a) for a in result.assumptions],
        "sources": str(sources_note or ""),
        "basemap": basemap_payload(basemap),
    }


def village_radius_px(residents: Any) -> float:
    """Marker radius (px) growing with the square root of the residents, 4 … 20."""
    n = c.number(residents, 0) or 0.0
    return round(min(4.0 + math.sqrt(max(n, 0.0)) / 5.0, 20.0), 1)


def _villages(result: Any) -> list[dict[str, Any]]:
    villages = result.villages
    inw = c.number_column(villages, "residents", 0)
    keys = ("ll", "id", "name", "kind", "inw", "inw65", "r", "nfail", "failed")
    columns = (
        c.point_coords(villages),
        c.text_column(villages, "village_id"),
        c.text_column(villages, "village"),
        [
            kind_nl or _nl.place_kind_nl(place)
            for kind_nl, place in zip(
                c.text_column(villages, "place_nl"), c.text_column(villages, "place"), strict=True
            )
        ],
        inw,
        c.number_column(villages, "residents_65_plus", 0),
        [village_radius_px(n) for n in inw],
        c.number_column(villages, "n_failed_norms", 0),
        c.text_column(villages, "failed_norms"),
    )
    out = c.rows(keys, columns)
    for field, per_norm in (
        ("within", {n.key: c.flag_column(villages, n.within_column) for n in result.norms}),
        ("minutes", {n.key: c.number_column(villages, n.minutes_column, 1) for n in result.norms}),
        ("share", {n.key: c.number_column(villages, n.share_column, 3) for n in result.norms}),
    ):
        for i, row in enumerate(out):
            row[field] = {key: values[i] for key, values in per_norm.items()}
    return out


def _near(points: Any, outline: Any, margin_m: float) -> Any:
    if not len(points):
        return points
    return points[points.intersects(outline.union_all().buffer(margin_m))]


def _services(services: Any) -> list[dict[str, Any]]:
    kinds = c.text_column(services, "kind")
    keys = ("ll", "kind", "slug", "kind_nl", "mark", "name", "dep", "off")
    columns = (
        c.point_coords(services),
        kinds,
        [c.css_slug(kind) for kind in kinds],
        [_nl.service_nl(kind) for kind in kinds],
        [SERVICE_MARKS.get(kind, kind[:2].upper() or "?") for kind in kinds],
        c.text_column(services, "name"),
        c.number_column(services, "departures_per_hour", 1),
        [kind in SERVICES_OFF for kind in kinds],
    )
    return c.rows(keys, columns)


def _served(value: Any) -> list[str]:
    if c.isna(value) or isinstance(value, int | float):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _hubs(hubs: Any, villages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    where = {v["name"]: v["ll"] for v in villages}
    methods = c.text_column(hubs, "method")
    served = [_served(v) for v in c.values(hubs, "villages_served")]
    lls = c.point_coords(hubs)
    keys = ("ll", "method", "method_nl", "mark", "rank", "village", "inw", "gain", "served")
    columns = (
        lls,
        [c.css_slug(method) for method in methods],
        [
            method_nl or _nl.HUB_METHODS_NL.get(method, method)
            for method_nl, method in zip(c.text_column(hubs, "method_nl"), methods, strict=True)
        ],
        [HUB_METHOD_MARKS.get(method, "?") for method in methods],
        c.number_column(hubs, "rank", 0),
        c.text_column(hubs, "village"),
        c.number_column(hubs, "residents_served", 0),
        c.number_column(hubs, "residents_gaining", 0),
        served,
    )
    out = c.rows(keys, columns)
    for row, ll, names in zip(out, lls, served, strict=True):
        row["links"] = [where[n] for n in names if n in where and where[n] != ll]
    return out


def _what_if(what_if: Any, villages: list[dict[str, Any]]) -> dict[str, Any] | None:
    if what_if is None:
        return None
    where = {v["name"]: v["ll"] for v in villages}
    s = what_if.summary if isinstance(what_if.summary, dict) else {}
    return {
        "village": c.text(what_if.village),
        "ll": where.get(c.text(what_if.village)),
        "before": c.number(s.get("residents_within_before"), 0),
        "after": c.number(s.get("residents_within_after"), 0),
        "gain": c.number(s.get("residents_gaining"), 0),
        "gain65": c.number(s.get("residents_65_plus_gaining"), 0),
        "residents": c.number(s.get("residents"), 0),
        "villages": [str(v) for v in s.get("villages_gaining", [])],
        "ov": [
            {
                "service_nl": c.text(r.get("service_nl"))
                or _nl.service_nl(c.text(r.get("service"))),
                "norm": c.number(r.get("norm_min"), 1),
                "before": c.number(r.get("residents_before"), 0),
                "after": c.number(r.get("residents_after"), 0),
                "gain": c.number(r.get("residents_gaining"), 0),
                "gain65": c.number(r.get("residents_65_plus_gaining"), 0),
            }
            for r in s.get("ov") or []
        ],
    }


def _ov_hub_services(summary: Any) -> list[str]:
    """The Dutch names of the ``ov_reach`` key services (empty without them)."""
    section = summary.get("ov_hubs") if isinstance(summary, dict) else None
    return [_nl.service_nl(str(x)) for x in (section or {}).get("services", [])]


def stop_radius_px(departures_per_hour: Any) -> float:
    """Stop ring radius (px) growing with the square root of the departures per hour,
    4 … 14 (a stop without departures in the window keeps the smallest ring; the hole
    leaves a village below clickable)."""
    n = c.number(departures_per_hour, 1) or 0.0
    return round(min(4.0 + 2.0 * math.sqrt(max(n, 0.0)), 14.0), 1)


def ov_payload(ov: Any, villages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``ov-haltes`` layer and the villages' ov percentiles (None without ov).

    Stops carry their departures per hour in the norm window (``departures_per_hour``) and
    in any other window for which ``stops`` has a ``departures_per_hour_<window>`` column.
    Each village gets the percentiles of :data:`OV_POPUP_SERVICES` in
    :data:`OV_POPUP_WINDOW`, from ``ov.table`` (matched on ``village_id``).
    """
    if ov is None:
        return None
    labels = {w.name: str(w.label or w.name) for w in ov.windows}
    window = OV_POPUP_WINDOW if OV_POPUP_WINDOW in labels else str(ov.norm_window)
    return {
        "norm_window": str(ov.norm_window),
        "norm_window_label": labels.get(str(ov.norm_window), str(ov.norm_window)),
        "window": window,
        "window_label": labels.get(window, window),
        "windows": [{"name": n, "label": lab} for n, lab in labels.items()],
        "stops": _stops(ov.stops, str(ov.norm_window), labels),
        "villages": _ov_villages(ov.table, window, villages),
    }


def _stops(stops: Any, norm_window: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    per_window = {norm_window: c.number_column(stops, "departures_per_hour", 1)}
    for name in labels:
        col = f"departures_per_hour_{name}"
        if col in stops.columns:
            per_window[name] = c.number_column(stops, col, 1)
    deps = [{name: values[i] for name, values in per_window.items()} for i in range(len(stops))]
    keys = ("ll", "name", "station", "dep", "r")
    columns = (
        c.point_coords(stops),
        c.text_column(stops, "stop_name"),
        c.text_column(stops, "station_name"),
        deps,
        [stop_radius_px(dep[norm_window]) for dep in deps],
    )
    return c.rows(keys, columns)


def _ov_villages(table: Any, window: str, villages: list[dict[str, Any]]) -> dict[str, list]:
    """Per village id the rows ``{service, service_nl, no_trip, p05, p50, p95, walk}``."""
    ids = {v["id"] for v in villages}
    rows = table[(table["window"] == window) & table["service"].isin(OV_POPUP_SERVICES)]
    out: dict[str, list] = {}
    for vid, service, no_trip, p05, p50, p95, walk in zip(
        c.text_column(rows, "village_id"),
        c.text_column(rows, "service"),
        c.flag_column(rows, "no_trip"),
        *(c.number_column(rows, f"transit_{p}_min", 1) for p in ("p05", "p50", "p95")),
        c.number_column(rows, "walk_min", 1),
        strict=True,
    ):
        if vid not in ids:
            continue
        out.setdefault(vid, []).append(
            {
                "service": service,
                "service_nl": _nl.service_nl(service),
                "no_trip": bool(no_trip),
                "p05": p05,
                "p50": p50,
                "p95": p95,
                "walk": walk,
            }
        )
    for rows_of in out.values():
        rows_of.sort(key=lambda r: OV_POPUP_SERVICES.index(r["service"]))
    return out
