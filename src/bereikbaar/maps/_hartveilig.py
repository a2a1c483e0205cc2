"""The Hartveilig map's data: cells with their coverage per hour, AEDs with their hours.

Meaning first: a cell is drawn *binnen bereik* from the result's own decision
(``covered_<moment>`` at a named moment, ``hourly_covered`` at any other hour of the week),
never from rounded minutes; minutes are detail in the tooltip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bereikbaar import _nl
from bereikbaar.maps import _common as c

PROVENANCE_NL = {"osm": "OpenStreetMap", "register": "AED-register", "both": "OSM en AED-register"}
STATUS_SLUG = {"24/7": "24-7", "limited": "limited", "unknown": "unknown"}


def hartveilig_payload(
    result: Any, *, offline: bool, basemap: Any, outline: Any, sources_note: str
) -> dict[str, Any]:
    """Everything the Hartveilig page draws, JSON-ready (see ``web/hartveilig.js``)."""
    from bereikbaar.coverage import hour_of_week
    from bereikbaar.maps._basemap import basemap_payload

    c.check_tables(
        {
            "result.cells": result.cells,
            "result.white_spots": result.white_spots,
            "result.aeds": result.aeds,
            "result.proposals": result.proposals,
            "result.relocations": result.relocations,
        }
    )
    outline_ll = c.outline_payload(outline)
    moments = [
        {
            "name": mo.name,
            "slug": c.css_slug(mo.name),
            "label": _moment_label(mo),
            "hour": hour_of_week(mo),
            **_moment_figures(result.summary, mo.name),
        }
        for mo in result.moments
    ]
    model = result.model
    return {
        "title": f"Hartveilig — {result.gemeente}",
        "palette": c.palette(),
        "gemeente": str(result.gemeente),
        "offline": offline,
        "outline": outline_ll,
        "bounds": c.bounds_of(outline_ll),
        "model": {
            "name": str(model.name),
            "description": str(model.description_nl),
            "threshold_min": c.number(model.threshold_min, 2),
        },
        "moments": moments,
        "residents_total": float(np.nansum(result.cells["residents"].to_numpy(float))),
        "hourly_residents": c.numbers(result.hourly_residents_covered, 1),
        "hourly_residents_approx": _optional_hours(
            getattr(result, "hourly_residents_covered_with_approximate", None)
        ),
        "cells": _cells(result),
        "aeds": _aeds(result),
        "spots": _white_spots(result),
        "proposals": _proposals(result.proposals),
        "relocations": _relocations(result.relocations),
        "assumptions": [str(a) for a in result.assumptions],
        "sources": str(sources_note or ""),
        "basemap": basemap_payload(basemap),
    }


def _optional_hours(values: Any) -> list[float | None] | None:
    return None if values is None else c.numbers(values, 1)


def _moment_label(moment: Any) -> str:
    return str(getattr(moment, "label", "") or moment.name)


def _moment_figures(summary: Any, name: str) -> dict[str, Any]:
    info = (summary or {}).get("moments", {}).get(name, {}) if isinstance(summary, dict) else {}
    return {
        "residents_covered": c.number(info.get("residents_covered"), 1),
        "share_covered": c.number(info.get("share_covered"), 4),
        "residents_approx": c.number(info.get("residents_covered_with_approximate"), 1),
    }


def _cell_rings(cells: Any, cell_size_m: float) -> list[int]:
    """The four corners of every cell's square, ``[lat0, lon0, …, lat3, lon3]`` flattened."""
    x = cells.geometry.x.to_numpy(dtype=float)
    y = cells.geometry.y.to_numpy(dtype=float)
    h = cell_size_m / 2.0
    cx = np.stack([x - h, x + h, x + h, x - h], axis=1)
    cy = np.stack([y - h, y - h, y + h, y + h], axis=1)
    lon, lat = c.lonlat_int_distinct(cx, cy, crs=cells.crs)  # neighbours share corners
    return np.stack([lat, lon], axis=2).reshape(-1).tolist()


def _cells(result: Any) -> dict[str, Any]:
    """The populated cells (residents > 0): squares, residents, coverage bits, minutes."""
    hourly = np.asarray(result.hourly_covered, dtype=bool)
    if hourly.shape != (len(result.cells), 168):
        raise c.BereikbaarError(
            f"result.hourly_covered has shape {hourly.shape}; expected "
            f"({len(result.cells)}, 168), one row per row of result.cells"
        )
    keep = np.nan_to_num(result.cells["residents"].to_numpy(dtype=float)) > 0
    cells, hourly = result.cells[keep], hourly[keep]
    covered = {mo.name: _pack_flags(cells[f"covered_{mo.name}"]) for mo in result.moments}
    res65 = cells["residents_65_plus"] if "residents_65_plus" in cells.columns else None
    return {
        "n": len(cells),
        "id": [c.text(v) for v in cells["cell_id"]],
        "ring": _cell_rings(cells, float(result.cell_size_m)),
        "inw": c.numbers(cells["residents"], 0),
        "inw65": c.numbers(res65, 0) if res65 is not None else [None] * len(cells),
        "week": c.numbers(cells["weekly_share"], 3),
        "hourly": c.pack_bits(hourly, what="result.hourly_covered"),
        "covered": covered,
        "minutes": {mo.name: c.numbers(cells[f"minutes_{mo.name}"], 1) for mo in result.moments},
        "prob": _probabilities(cells, result.moments),
        "prob_class": _probability_classes(cells, result.moments),
    }


def _probability_columns(cells: Any, moments: Any) -> list[str] | None:
    columns = [f"probability_{mo.name}" for mo in moments]
    return columns if all(col in cells.columns for col in columns) else None


def _probabilities(cells: Any, moments: Any) -> dict[str, list] | None:
    """The responder model's probability per named moment, for reading (None otherwise)."""
    columns = _probability_columns(cells, moments)
    if columns is None:
        return None
    return {mo.name: c.numbers(cells[col], 3) for mo, col in zip(moments, columns, strict=True)}


def _probability_classes(cells: Any, moments: Any) -> dict[str, list[int]] | None:
    """The class (0..4, the share palette's 20% classes) of every unrounded probability."""
    columns = _probability_columns(cells, moments)
    if columns is None:
        return None
    inner = np.asarray(c.SHARE_BINS[1:-1], dtype=float)
    return {
        mo.name: np.digitize(np.nan_to_num(cells[col].to_numpy(float)), inner).tolist()
        for mo, col in zip(moments, columns, strict=True)
    }


def _pack_flags(series: Any) -> str:
    """A bool column as base64 of its bits (MSB first), padded to whole bytes."""
    import base64

    flags = series.astype("boolean").fillna(False).to_numpy(bool)
    return base64.b64encode(np.packbits(flags).tobytes()).decode("ascii")


def _aeds(result: Any) -> dict[str, Any]:
    from bereikbaar.coverage import availability_matrix

    aeds = result.aeds
    status = aeds["availability_status"].fillna("unknown").astype(str)
    status = status.where(status.isin(list(STATUS_SLUG)), "unknown")
    hours = aeds["open_hours"].fillna("").astype(str) if "open_hours" in aeds else [""] * len(aeds)
    unknown = str(getattr(result.model, "unknown_availability", "closed") or "closed")
    matrix = availability_matrix(list(status), list(hours), unknown=unknown)
    rows = [
        {
            "ll": ll,
            "status": STATUS_SLUG[st],
            "status_nl": _nl.AVAILABILITY_NL.get(st, st),
            "name": name,
            "where": ", ".join(t for t in (street, place) if t),
            "hours": hours_text,
            "indoor": _indoor_nl(indoor),
            "source": PROVENANCE_NL.get(provenance, "onbekend"),
            "approx": quality == "postcode",
            "counts": counts is not False,
            "id": aed_id,
        }
        for ll, st, name, street, place, hours_text, indoor, provenance, quality, counts, aed_id in zip(
            c.point_coords(aeds),
            status.tolist(),
            *(c.text_column(aeds, col) for col in ("name", "street", "place", "availability")),
            c.flag_column(aeds, "indoor"),
            c.text_column(aeds, "provenance"),
            c.text_column(aeds, "location_quality"),
            c.flag_column(aeds, "counts"),
            c.text_column(aeds, "aed_id"),
            strict=True,
        )
    ]
    at_moment = {
        mo.name: aeds[f"open_{mo.name}"].astype("boolean").fillna(False).to_numpy(bool).tolist()
        for mo in result.moments
        if f"open_{mo.name}" in aeds.columns
    }
    return {"rows": rows, "hourly": c.pack_bits(matrix, what="AED hours"), "moment": at_moment}


def _indoor_nl(value: Any) -> str:
    v = c.flag(value)
    return "onbekend" if v is None else ("binnen (in een gebouw)" if v else "buiten (kast)")


def _white_spots(result: Any) -> dict[str, list[dict[str, Any]]]:
    spots = result.white_spots
    out: dict[str, list[dict[str, Any]]] = {mo.name: [] for mo in result.moments}
    if not len(spots) or "moment" not in spots.columns:
        return out
    cols = zip(
        c.text_column(spots, "moment"),
        c.number_column(spots, "rank", 0),
        c.number_column(spots, "residents", 0),
        c.number_column(spots, "residents_65_plus", 0),
        c.number_column(spots, "area_km2", 2),
        c.text_column(spots, "nearest_village"),
        c.number_column(spots, "distance_nearest_available_aed_m", 0),
        c.number_column(spots, "distance_nearest_24_7_aed_m", 0),
        c.geometry_parts(spots.geometry, simplify_m=c.AREA_SIMPLIFY_M),
        strict=True,
    )
    with_247 = "distance_nearest_24_7_aed_m" in spots.columns
    for name, rank, inw, inw65, area, village, dist, dist247, parts in cols:
        if name not in out:
            continue
        spot = {
            "rank": rank,
            "inw": inw,
            "inw65": inw65,
            "area_km2": area,
            "village": village,
            "dist_m": dist,
            "parts": parts,
        }
        if with_247:
            spot["dist247_m"] = dist247
        out[name].append(spot)
    return out


def _proposals(proposals: Any) -> list[dict[str, Any]]:
    keys = ("ll", "rank", "name", "kind", "address", "near", "gain", "gain65", "cum")
    columns = (
        c.point_coords(proposals),
        c.number_column(proposals, "rank", 0),
        c.text_column(proposals, "name"),
        [_nl.service_nl(kind) for kind in c.text_column(proposals, "kind")],
        c.text_column(proposals, "address"),
        c.text_column(proposals, "near"),
        c.number_column(proposals, "gain_residents", 0),
        c.number_column(proposals, "gain_residents_65_plus", 0),
        c.number_column(proposals, "cumulative_residents", 0),
    )
    return c.rows(keys, columns)


def _relocations(relocations: Any) -> list[dict[str, Any]]:
    keys = ("ll", "rank", "name", "address", "near", "now", "to", "gain", "cum")
    columns = (
        c.point_coords(relocations),
        c.number_column(relocations, "rank", 0),
        c.text_column(relocations, "name"),
        c.text_column(relocations, "address"),
        c.text_column(relocations, "near"),
        c.text_column(relocations, "current_availability"),
        [t or "24/7-buitenkast op dezelfde plek" for t in c.text_column(relocations, "to")],
        c.number_column(relocations, "gain_residents", 0),
        c.number_column(relocations, "cumulative_residents", 0),
    )
    return c.rows(keys, columns)
