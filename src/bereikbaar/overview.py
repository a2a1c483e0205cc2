"""The province overview ``maps/index.html``: one page, offline, for managers and councils.

What it shows
-------------
- a table with one row per municipality: residents, the share of residents within reach
  of an AED at each moment, residents in white spots at the worst moment, the Dorpshub
  villages that fail most norms, and links to every output (maps, GeoPackages, workbook,
  PDF, JSON, CSV); columns sort by a click on their header; a totals row (sums of the
  rows; shares recomputed from the summed residents);
- a province map (inline SVG from the municipality outlines) coloured by the share
  within reach at a chosen moment, or by the average number of Dorpshub norms a village
  fails, each municipality clickable to its map;
- a chart of the share within reach per moment per municipality (inline SVG);
- failed municipalities apart, with their error.

State
-----
The rows live in ``<out>/.bereikbaar-overview.json`` (written atomically), so exporting a
subset of municipalities updates their rows and keeps the others. A row is stored only
for a municipality of the given outlines (matched by statcode, name or slug): a mistyped
name is reported once on the page and never becomes a row.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bereikbaar._files import write_text_atomic
from bereikbaar._json import dumps, jsonable
from bereikbaar._nl import int_nl, pct_nl
from bereikbaar.config import slugify
from bereikbaar.maps._common import FAILED_COUNT_COLORS, SHARE_COLORS, UNKNOWN_COLOR
from bereikbaar.maps._common import SHARE_BINS as _MAP_SHARE_BINS

log = logging.getLogger(__name__)

__all__ = ["OUTPUT_LABELS", "STATE_FILE", "load_overview_rows", "update_overview"]

STATE_FILE = ".bereikbaar-overview.json"
STATE_VERSION = 1
#: Output files per municipality folder and their link text, in link order.
OUTPUT_LABELS = {
    "hartveilig.html": "Hartveilig-kaart",
    "dorpshub.html": "Dorpshub-kaart",
    "rapport.pdf": "PDF-rapport",
    "tabellen.xlsx": "Excel",
    "hartveilig.gpkg": "GeoPackage Hartveilig",
    "dorpshub.gpkg": "GeoPackage Dorpshub",
    "dorpshub_villages.csv": "CSV dorpen",
    "hartveilig_summary.json": "JSON Hartveilig",
    "dorpshub_summary.json": "JSON Dorpshub",
}
#: Share classes of 20% (the maps' inner class edges).
SHARE_BINS = _MAP_SHARE_BINS[1:-1]
#: Okabe-Ito colours for the moments in the chart (colour-blind safe).
MOMENT_COLORS = ("#0072B2", "#E69F00", "#000000", "#009E73", "#CC79A7", "#56B4E9")
_OSM_ID = re.compile(r"\s*\((?:osm:)?[nwr]?\d+\)\s*$|\s*\(osm:[^)]*\)\s*$")


# --------------------------------------------------------------------------- the state
def _state_path(out_dir: Path) -> Path:
    return out_dir / STATE_FILE


def load_overview_rows(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The stored rows by statcode ({} when there is no readable state)."""
    try:
        state = json.loads(_state_path(Path(out_dir)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        log.warning("ignoring %s: unknown format", _state_path(Path(out_dir)))
        return {}
    return dict(state.get("rows", {}))


def _match(row: Mapping[str, Any], municipalities) -> tuple[str, str] | None:
    """``(statcode, statnaam)`` of the municipality ``row`` names, or None."""
    codes = list(municipalities["statcode"].astype(str))
    names = list(municipalities["statnaam"].astype(str))
    code = str(row.get("statcode") or "")
    if code in codes:
        return code, names[codes.index(code)]
    wanted = str(row.get("gemeente") or "").strip().casefold()
    slug = str(row.get("slug") or "")
    for c, n in zip(codes, names, strict=True):
        if n.casefold() == wanted or (slug and slugify(n) == slug):
            return c, n
    return None


def _output_names(row: Mapping[str, Any]) -> list[str]:
    return sorted({Path(str(p)).name for p in row.get("outputs") or ()})


def _merged(old: Mapping[str, Any] | None, row: Mapping[str, Any], code: str, name: str):
    """The stored row after this export: new values win; a skipped or failed analysis
    keeps the summary it had."""
    old = dict(old or {})
    new = {
        "gemeente": name,
        "statcode": code,
        "slug": row.get("slug") or slugify(name),
        "status": row.get("status", "ok"),
        "error": str(row.get("error") or ""),
    }
    for key in ("hartveilig", "dorpshub"):
        new[key] = row.get(key) if row.get(key) is not None else old.get(key)
    new["outputs"] = sorted(set(_output_names(row)) | set(old.get("outputs") or ()))
    return jsonable(new)


def merge_rows(
    stored: Mapping[str, dict[str, Any]], rows: Sequence[Mapping[str, Any]], municipalities
) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]]]:
    """``stored`` updated with this export's ``rows``; also the rows naming no known
    municipality (``gemeente``, ``error``), which are never stored."""
    merged = {code: dict(r) for code, r in stored.items()}
    unknown = []
    for row in rows:
        hit = _match(row, municipalities)
        if hit is None:
            unknown.append({"gemeente": str(row.get("gemeente", "")),
                            "error": str(row.get("error") or "onbekende gemeente")})  # fmt: skip
            continue
        code, name = hit
        merged[code] = _merged(merged.get(code), row, code, name)
    return merged, unknown


# ------------------------------------------------------------------------- the numbers
def _display_name(village: str) -> str:
    """``"Middendorp (osm:n206946)"`` → ``"Middendorp"``: no raw OSM ids on the page."""
    return _OSM_ID.sub("", str(village)) or str(village)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def row_numbers(row: Mapping[str, Any], moments: Sequence[Any]) -> dict[str, Any]:
    """The numbers of one row: residents, per moment the residents covered and the share,
    white-spot residents at the worst moment, and the average failed norms per village."""
    hv = row.get("hartveilig") or {}
    dh = row.get("dorpshub") or {}
    per = hv.get("moments") or {}
    spots = hv.get("white_spots") or {}
    worst_spot = [_num(spots[m.name].get("residents")) for m in moments if m.name in spots]
    n_villages = _num(dh.get("villages"))
    fails = [_num(n.get("villages_failing")) or 0.0 for n in dh.get("norms") or []]
    return {
        "residents": _num(hv.get("residents", dh.get("residents"))),
        "covered": {
            m.name: _num((per.get(m.name) or {}).get("residents_covered")) for m in moments
        },
        "share": {m.name: _num((per.get(m.name) or {}).get("share_covered")) for m in moments},
        "white_spot_residents": max((v for v in worst_spot if v is not None), default=None),
        "failed_norms_per_village": sum(fails) / n_villages if n_villages else None,
    }


def totals(numbers: Sequence[Mapping[str, Any]], moments: Sequence[Any]) -> dict[str, Any]:
    """Sums over the rows (a row without a value counts as 0 residents); the shares are
    the summed covered residents over the summed residents of the rows with coverage."""

    def total(values) -> float | None:
        vals = [v for v in values if v is not None]
        return float(sum(vals)) if vals else None

    out: dict[str, Any] = {
        "residents": total(n["residents"] for n in numbers),
        "white_spot_residents": total(n["white_spot_residents"] for n in numbers),
        "covered": {},
        "share": {},
    }
    for m in moments:
        pairs = [(n["covered"][m.name], n["residents"]) for n in numbers]
        pairs = [(c, r) for c, r in pairs if c is not None and r]
        covered = total(c for c, _ in pairs)
        base = total(r for _, r in pairs)
        out["covered"][m.name] = covered
        out["share"][m.name] = covered / base if covered is not None and base else None
    return out


# --------------------------------------------------------------------------- the page
def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _moment_label(m) -> str:
    return getattr(m, "label", "") or m.name


def _links(row: Mapping[str, Any], out_dir: Path) -> str:
    slug = str(row["slug"])
    names = [n for n in OUTPUT_LABELS if (out_dir / slug / n).is_file()]
    names += [n for n in row.get("outputs") or () if n not in OUTPUT_LABELS
              and (out_dir / slug / n).is_file()]  # fmt: skip
    links = [f"<a href='{_esc(slug)}/{_esc(n)}'>{_esc(OUTPUT_LABELS.get(n, n))}</a>"
             for n in names]  # fmt: skip
    return " · ".join(links) or "–"


def _map_link(row: Mapping[str, Any], out_dir: Path) -> str | None:
    for name in ("hartveilig.html", "dorpshub.html"):
        if (out_dir / str(row["slug"]) / name).is_file():
            return f"{row['slug']}/{name}"
    return None


def _worst_villages(row: Mapping[str, Any], *, n: int = 3) -> str:
    worst = ((row.get("dorpshub") or {}).get("worst_villages") or [])[:n]
    parts = [f"{_display_name(v.get('village', ''))} ({int_nl(v.get('n_failed_norms'))})"
             for v in worst]  # fmt: skip
    return ", ".join(parts) or "–"


def _td(text: str, value: Any = None, *, num: bool = True, extra: str = "") -> str:
    sort = "" if value is None else f" data-value='{_esc(value)}'"
    cls = " class='num'" if num else ""
    return f"<td{cls}{sort}{extra}>{text}</td>"


def _table_row(row, nums, moments, out_dir: Path) -> str:
    name = _esc(row["gemeente"])
    link = _map_link(row, out_dir)
    cells = [
        f"<td data-value='{name}'>{f'<a href={_esc(link)!r}>{name}</a>' if link else name}</td>",
        _td(int_nl(nums["residents"]), nums["residents"]),
    ]
    for m in moments:
        share, covered = nums["share"][m.name], nums["covered"][m.name]
        title = f" title='{int_nl(covered)} inwoners binnen bereik'"
        cells.append(_td(pct_nl(share), share, extra=f" data-covered='{_esc(covered)}'{title}"))
    cells.append(_td(int_nl(nums["white_spot_residents"]), nums["white_spot_residents"]))
    fpv = nums["failed_norms_per_village"]
    cells.append(_td("–" if fpv is None else f"{fpv:.1f}".replace(".", ","), fpv))
    cells.append(_td(_esc(_worst_villages(row)), None, num=False))
    cells.append(_td(_links(row, out_dir), None, num=False))
    return f"<tr data-statcode='{_esc(row['statcode'])}'>{''.join(cells)}</tr>"


def _totals_row(tot, moments) -> str:
    cells = ["<th scope='row'>Totaal</th>", _td(int_nl(tot["residents"]), tot["residents"])]
    for m in moments:
        share, covered = tot["share"][m.name], tot["covered"][m.name]
        cells.append(_td(pct_nl(share), share, extra=f" data-covered='{_esc(covered)}'"))
    cells.append(_td(int_nl(tot["white_spot_residents"]), tot["white_spot_residents"]))
    cells += ["<td></td>", "<td></td>", "<td></td>"]
    return f"<tr class='totals'>{''.join(cells)}</tr>"


def _header(moments) -> str:
    heads = ["<th data-type='text'>Gemeente</th>", "<th>Inwoners</th>"]
    heads += [f"<th>Binnen bereik {_esc(_moment_label(m))}</th>" for m in moments]
    heads += [
        "<th>Inwoners in witte vlekken (slechtste moment)</th>",
        "<th>Normen niet gehaald per dorp (gem.)</th>",
        "<th data-type='text' class='nosort'>Slechtst bereikbare dorpen (normen niet gehaald)</th>",
        "<th data-type='text' class='nosort'>Uitvoer</th>",
    ]
    return "".join(heads)


def _failed_list(failed_rows, unknown) -> str:
    items = [f"<li><b>{_esc(r['gemeente'])}</b>: {_esc(r.get('error') or 'mislukt')}</li>"
             for r in failed_rows]  # fmt: skip
    items += [f"<li><b>{_esc(u['gemeente'])}</b> (niet gevonden onder de gemeenten van het "
              f"gebied; controleer de naam): {_esc(u['error'])}</li>" for u in unknown]  # fmt: skip
    if not items:
        return ""
    return f"<h2 id='mislukt'>Mislukt</h2><ul class='failed'>{''.join(items)}</ul>"


# ------------------------------------------------------------------- map and chart (SVG)
def _svg_path(geom, to_xy) -> str:
    polys = getattr(geom, "geoms", [geom])
    parts = []
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            pts = [to_xy(x, y) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


def _province_map(municipalities, stored, numbers, moments, out_dir: Path, *, width=520) -> str:
    gdf = municipalities.copy()
    gdf["geometry"] = gdf.geometry.simplify(100.0, preserve_topology=True)
    x0, y0, x1, y1 = gdf.total_bounds
    scale = width / max(x1 - x0, 1.0)
    height = (y1 - y0) * scale

    def to_xy(x, y):
        return ((x - x0) * scale + 4, (y1 - y) * scale + 4)

    shapes, labels = [], []
    for code, name, geom in zip(gdf["statcode"].astype(str), gdf["statnaam"], gdf.geometry,
                                strict=True):  # fmt: skip
        if geom is None or geom.is_empty:
            continue
        row, nums = stored.get(code), numbers.get(code)
        data = [f"data-statcode='{_esc(code)}'", f"data-name='{_esc(name)}'"]
        if nums is not None:
            data += [f"data-share-{_esc(m.name)}='{_esc(nums['share'][m.name])}'" for m in moments
                     if nums["share"][m.name] is not None]  # fmt: skip
            if nums["failed_norms_per_village"] is not None:
                data.append(f"data-fpv='{nums['failed_norms_per_village']:.4f}'")
        path = f"<path class='muni' d='{_svg_path(geom, to_xy)}' {' '.join(data)}><title>{_esc(name)}</title></path>"
        link = _map_link(row, out_dir) if row else None
        shapes.append(f"<a href='{_esc(link)}'>{path}</a>" if link else path)
        lx, ly = to_xy(*geom.representative_point().coords[0])
        labels.append(f"<text x='{lx:.1f}' y='{ly:.1f}' class='ml'>{_esc(name)}</text>")
    return (f"<svg id='province' viewBox='0 0 {width + 8:.0f} {height + 8:.0f}' role='img' "
            f"aria-label='Kaart van de gemeenten'>{''.join(shapes)}{''.join(labels)}</svg>")  # fmt: skip


def _coverage_chart(rows_nums, moments) -> str:
    """Dots: the share within reach per moment (colour) per municipality (row)."""
    left, width, step, top = 170, 380, 20, 34
    height = top + step * len(rows_nums) + 24
    out = [f"<svg id='chart' viewBox='0 0 {left + width + 20} {height}' role='img' "
           "aria-label='Aandeel inwoners binnen bereik per moment en gemeente'>"]  # fmt: skip
    for i, m in enumerate(moments):
        x = 10 + i * ((left + width) // max(len(moments), 1))
        color = MOMENT_COLORS[i % len(MOMENT_COLORS)]
        out.append(f"<circle cx='{x}' cy='10' r='5' fill='{color}'/>"
                   f"<text x='{x + 8}' y='14' class='lg'>{_esc(_moment_label(m))}</text>")  # fmt: skip
    base = top + step * len(rows_nums)
    for k in range(5):
        x = left + width * k / 4
        out.append(f"<line x1='{x}' x2='{x}' y1='{top - 6}' y2='{base}' class='grid'/>"
                   f"<text x='{x}' y='{base + 14}' class='ax'>{25 * k}%</text>")  # fmt: skip
    for r, (name, nums) in enumerate(rows_nums):
        y = top + step * r + step / 2
        out.append(f"<text x='{left - 8}' y='{y + 4}' class='nm'>{_esc(name)}</text>")
        for i, m in enumerate(moments):
            share = nums["share"][m.name]
            if share is None:
                continue
            color = MOMENT_COLORS[i % len(MOMENT_COLORS)]
            dy = (i - (len(moments) - 1) / 2) * 3.5  # equal shares stay visible
            out.append(f"<circle class='dot' cx='{left + width * share:.1f}' cy='{y + dy:.1f}' r='4.5' "
                       f"fill='{color}' fill-opacity='0.85'><title>{_esc(name)}, "
                       f"{_esc(_moment_label(m))}: {pct_nl(share)}</title></circle>")  # fmt: skip
    return "".join(out) + "</svg>"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.4em; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
thead th.nosort { cursor: default; }
thead th[aria-sort=ascending]::after { content: " ▲"; }
thead th[aria-sort=descending]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.totals th, tr.totals td { font-weight: bold; border-top: 2px solid #222; }
.panels { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
#province { width: 520px; max-width: 100%; height: auto; }
#province path.muni { stroke: #fff; stroke-width: 1; cursor: pointer; }
#province a:hover path.muni { stroke: #222; stroke-width: 2; }
#province text.ml { font-size: 10px; text-anchor: middle; pointer-events: none; fill: #111;
  paint-order: stroke; stroke: #fff; stroke-width: 2.5px; }
#chart { width: 580px; max-width: 100%; height: auto; font-size: 12px; }
#chart .grid { stroke: #ccc; } #chart .ax { text-anchor: middle; fill: #555; }
#chart .nm { text-anchor: end; } .legend span { display: inline-block; width: 14px;
  height: 14px; margin: 0 4px 0 10px; vertical-align: middle; border: 1px solid #999; }
ul.failed li { color: #b00; } p.note { color: #555; max-width: 60em; }
"""

_JS = """
(function () {
  var D = JSON.parse(document.getElementById("bb-data").textContent);
  var P = D.palette;
  function shareColor(v) {
    var i = 0;
    while (i < P.share_bins.length && v >= P.share_bins[i]) { i++; }
    return P.share_colors[i];
  }
  function failColor(v) { return P.failed_colors[Math.min(4, Math.floor(v))]; }
  var select = document.getElementById("colour-by");
  function legend(items) {
    document.getElementById("map-legend").innerHTML = items.map(function (it) {
      return "<span style='background:" + it[0] + "'></span>" + it[1];
    }).join("");
  }
  function paint() {
    var v = select.value;
    document.querySelectorAll("#province path.muni").forEach(function (p) {
      var raw = v === "fpv" ? p.getAttribute("data-fpv") : p.getAttribute("data-share-" + v);
      var x = raw === null ? null : parseFloat(raw);
      p.style.fill = x === null ? P.unknown : (v === "fpv" ? failColor(x) : shareColor(x));
    });
    if (v === "fpv") {
      legend(P.failed_colors.map(function (c, i) {
        return [c, i < 4 ? i + "–" + (i + 1) : "4 of meer"]; }).concat([[P.unknown, "geen gegevens"]]));
    } else {
      var edges = [0].concat(P.share_bins).concat([1]);
      legend(P.share_colors.map(function (c, i) {
        return [c, Math.round(edges[i] * 100) + "–" + Math.round(edges[i + 1] * 100) + "%"]; })
        .concat([[P.unknown, "geen gegevens"]]));
    }
  }
  select.addEventListener("change", paint);
  paint();
  var table = document.getElementById("overview");
  table.querySelectorAll("thead th").forEach(function (th, col) {
    if (th.classList.contains("nosort")) { return; }
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      var text = th.getAttribute("data-type") === "text";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-value"), y = b.cells[col].getAttribute("data-value");
        var r;
        if (text) { r = (x || "").localeCompare(y || "", "nl"); }
        else {
          var fx = x === null ? -Infinity : parseFloat(x), fy = y === null ? -Infinity : parseFloat(y);
          r = fx === fy ? 0 : (fx < fy ? -1 : 1);
        }
        return asc ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    });
  });
})();
"""


def _script_json(data: Any) -> str:
    """JSON safe inside <script>: ``</`` and ``<!--`` cannot end or open anything."""
    return dumps(data).replace("</", "<\\/").replace("<!--", "<\\!--")


def _moment_options(moments) -> str:
    opts = [f"<option value='{_esc(m.name)}'>Binnen bereik: {_esc(_moment_label(m))}</option>"
            for m in moments]  # fmt: skip
    opts.append("<option value='fpv'>Dorpshub: normen niet gehaald per dorp (gem.)</option>")
    return "".join(opts)


def render_overview(
    stored: Mapping[str, Mapping[str, Any]],
    *,
    out_dir: Path,
    title: str,
    moments: Sequence[Any],
    municipalities,
    unknown: Sequence[Mapping[str, str]] = (),
    note: str = "",
) -> str:
    """The page for the ``stored`` rows (by statcode); see :func:`update_overview`."""
    rows = sorted(stored.values(), key=lambda r: str(r["gemeente"]).casefold())
    shown = [r for r in rows if r.get("status") != "failed"]
    numbers = {r["statcode"]: row_numbers(r, moments) for r in shown}
    body = "\n".join(_table_row(r, numbers[r["statcode"]], moments, out_dir) for r in shown)
    tot = totals(list(numbers.values()), moments)
    palette = {"share_bins": list(SHARE_BINS), "share_colors": list(SHARE_COLORS),
               "failed_colors": list(FAILED_COUNT_COLORS), "unknown": UNKNOWN_COLOR}  # fmt: skip
    svg_map = _province_map(municipalities, {r["statcode"]: r for r in shown}, numbers,
                            moments, out_dir)  # fmt: skip
    chart = _coverage_chart([(r["gemeente"], numbers[r["statcode"]]) for r in shown], moments)
    failed = [r for r in rows if r.get("status") == "failed"]
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head><body>
<h1>{_esc(title)}</h1>
<p class="note">{_esc(note)}</p>
<div class="panels">
<section><h2>Kaart</h2>
<label for="colour-by">Kleur: </label><select id="colour-by">{_moment_options(moments)}</select>
<div id="map-legend" class="legend"></div>
{svg_map}
<p class="note">Klik op een gemeente voor haar kaart; grijs: geen gegevens.</p></section>
<section><h2>Binnen bereik per moment</h2>{chart}</section>
</div>
<h2>Gemeenten</h2>
<table id="overview">
<thead><tr>{_header(moments)}</tr></thead>
<tbody>
{body}
</tbody>
<tfoot>{_totals_row(tot, moments)}</tfoot>
</table>
{_failed_list(failed, unknown)}
<script type="application/json" id="bb-data">{_script_json({"palette": palette})}</script>
<script>{_JS}</script>
</body></html>
"""


def update_overview(
    out_dir: str | Path,
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    moments: Sequence[Any],
    municipalities,
    note: str = "",
) -> Path:
    """Update the stored rows with this export's ``rows`` and write ``<out_dir>/index.html``.

    Parameters
    ----------
    out_dir
        The batch folder (``maps``); the municipality folders are ``<out_dir>/<slug>``.
    rows
        One dict per municipality of this export: ``gemeente``, ``slug``, ``statcode``
        (optional; else matched by name or slug), ``status`` (``ok``/``skipped``/
        ``failed``), ``error``, ``hartveilig`` and ``dorpshub`` (summary dicts or None)
        and ``outputs`` (file names or paths written).
    title, note
        Page title and the note under it (what "binnen bereik" means, sources).
    moments
        The configured :class:`~bereikbaar.config.Moment` objects (``name``, ``label``).
    municipalities
        GeoDataFrame of the study area's municipalities (``statcode``, ``statnaam``,
        geometry, in the working CRS): the province map, and the names a row may have.

    Returns
    -------
    Path
        ``<out_dir>/index.html``.
    """
    out_dir = Path(out_dir)
    stored, unknown = merge_rows(load_overview_rows(out_dir), rows, municipalities)
    for row in stored.values():  # files removed since (an extra not asked for): not listed
        folder = out_dir / str(row.get("slug") or "")
        row["outputs"] = [n for n in row.get("outputs") or () if (folder / n).is_file()]
    for u in unknown:
        log.warning("overview: %r is not a municipality of the study area", u["gemeente"])
    state = {"version": STATE_VERSION, "rows": dict(sorted(stored.items()))}
    write_text_atomic(_state_path(out_dir), dumps(state))
    page = render_overview(stored, out_dir=out_dir, title=title, moments=moments,
                           municipalities=municipalities, unknown=unknown, note=note)  # fmt: skip
    return write_text_atomic(out_dir / "index.html", page)
