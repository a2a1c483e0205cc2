"""Written outputs: atomic GeoPackage, CSV, JSON and HTML writers and the batch index page.

Every writer writes to a temporary file in the destination folder and renames it into
place (``os.replace`` is atomic on one file system), so an interrupted run never leaves a
half-written file that looks complete.
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bereikbaar._crs import RD_NEW
from bereikbaar._files import (  # noqa: F401 - re-exported for callers
    TMP_PREFIX,
    atomic_path,
    cleanup_temporaries,
    write_text_atomic,
)
from bereikbaar._json import dumps, jsonable

log = logging.getLogger(__name__)


def write_json_atomic(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as sorted, indented JSON with the package's rounding rule, atomically."""
    return write_text_atomic(path, dumps(data) + "\n")


def write_csv_atomic(path: str | Path, frame: pd.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def write_gpkg_atomic(path: str | Path, layers: Mapping[str, Any]) -> Path:
    """Write several GeoDataFrames as layers of one GeoPackage, atomically.

    Empty layers are written too (with their columns) so that readers always find them.
    Non-scalar columns (lists, dicts) are stored as JSON text.
    """
    import geopandas as gpd

    with atomic_path(path, suffix=".gpkg") as tmp:
        for name, gdf in layers.items():
            gdf = _gpkg_ready(gdf)
            if not isinstance(gdf, gpd.GeoDataFrame):
                gdf = gpd.GeoDataFrame(gdf, geometry=gpd.GeoSeries([None] * len(gdf)), crs=RD_NEW)
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


def _gpkg_ready(gdf):
    out = gdf.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", "geometry"):
            continue
        s = out[col]
        if s.dtype == object:
            sample = s.dropna()
            if len(sample) and isinstance(sample.iloc[0], list | tuple | dict | set):
                out[col] = s.map(lambda v: None if v is None else json.dumps(jsonable(v)))
    return out


# ---------------------------------------------------------------------- index page
def _count(x: Any) -> str:
    """A head count with Dutch thousands separators (``12.345``), or a dash when unknown."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return format(float(x), ",.0f").replace(",", ".")


def _pct(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * float(x):.0f}%"


def render_index(
    rows: Sequence[Mapping[str, Any]], *, title: str, moments: Sequence[Any], note: str = ""
) -> str:
    """The batch overview: one table row per municipality with links to its maps.

    Each row: ``gemeente``, ``slug``, ``status`` (``ok``/``failed``), ``error``, ``hartveilig``
    (summary dict or None) and ``dorpshub`` (summary dict or None).
    """
    head = "".join(
        f"<th>Gedekt {html.escape(getattr(m, 'label', '') or m.name)}</th>" for m in moments
    )
    body = []
    for row in rows:
        slug = html.escape(row["slug"])
        hv = row.get("hartveilig") or {}
        dh = row.get("dorpshub") or {}
        cells = [f"<td>{html.escape(row['gemeente'])}</td>"]
        cells.append(f"<td class='num'>{_count(hv.get('residents', dh.get('residents')))}</td>")
        for m in moments:
            share = (hv.get("moments") or {}).get(m.name, {}).get("share_covered")
            cells.append(f"<td class='num'>{_pct(share)}</td>")
        spots = hv.get("white_spots") or {}
        worst_moment = max(
            (spots[m.name]["residents"] for m in moments if m.name in spots), default=None
        )
        cells.append(f"<td class='num'>{_count(worst_moment)}</td>")
        worst = (
            ", ".join(html.escape(v["village"]) for v in (dh.get("worst_villages") or [])[:3])
            or "–"
        )
        cells.append(f"<td>{worst}</td>")
        links = []
        if row.get("hartveilig"):
            links.append(f"<a href='{slug}/hartveilig.html'>Hartveilig</a>")
        if row.get("dorpshub"):
            links.append(f"<a href='{slug}/dorpshub.html'>Dorpshub</a>")
        if row.get("status") == "failed":
            links.append(
                f"<span class='err'>mislukt: {html.escape(str(row.get('error', '')))}</span>"
            )
        cells.append(f"<td>{' · '.join(links)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.err {{ color: #b00; }}
p.note {{ color: #555; max-width: 60em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<table>
<thead><tr><th>Gemeente</th><th>Inwoners</th>{head}<th>Inwoners in witte vlekken (slechtste moment)</th><th>Slechtst bereikbare dorpen</th><th>Kaarten</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<p class="note">{html.escape(note)}</p>
</body></html>
"""
