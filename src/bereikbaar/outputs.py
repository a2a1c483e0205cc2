"""Written outputs: GeoPackage, CSV and JSON writers, the files of each analysis, checks
that they are complete, and the batch index page.

Every writer goes through :func:`bereikbaar._files.atomic_path`: it writes a temporary
file (named with the writer's process id) beside the destination and renames it into
place, so an interrupted run never leaves a half-written file under a final name.

CSV files are for machines and for Dutch Excel alike: UTF-8 with a byte-order mark (so
Excel reads "Exloërmond" right), comma as delimiter and a decimal point; every text cell
that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return, and not a plain number) gets a leading ``'``.
"""

from __future__ import annotations

import errno
import html
import json
import logging
import math
import re
import shutil
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from bereikbaar._crs import RD_NEW
from bereikbaar._files import atomic_path, write_text_atomic
from bereikbaar._json import dumps, jsonable
from bereikbaar.errors import BereikbaarError, OutputError

log = logging.getLogger(__name__)

CSV_ENCODING = "utf-8-sig"  # UTF-8 with BOM: Excel then reads accents right
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")

# Every file an analysis writes, with the GeoPackage layers that must be in it.
GPKG_LAYERS = {
    "hartveilig.gpkg": ("cells", "white_spots", "aeds", "proposals", "relocations"),
    "dorpshub.gpkg": ("villages", "hubs"),
}
ANALYSIS_FILES = {
    "hartveilig": ("hartveilig.gpkg", "hartveilig_summary.json", "hartveilig.html"),
    "dorpshub": (
        "dorpshub.gpkg",
        "dorpshub_villages.csv",
        "dorpshub_summary.json",
        "dorpshub.html",
    ),
}


# ------------------------------------------------------------------------- writers
def write_json_atomic(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as sorted, indented JSON with the package's rounding rule, atomically."""
    return write_text_atomic(path, dumps(data) + "\n")


def formula_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed,
    unless it is a plain number (``-3``, ``+31,5``, ``1e-3``); everything else is returned
    unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`formula_safe`."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out[col] = s.map(formula_safe, na_action="ignore")
    out.columns = [formula_safe(str(c)) for c in out.columns]
    return out


def write_csv_atomic(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as a formula-safe CSV (UTF-8 with BOM, comma, decimal point), atomically."""
    with atomic_path(path) as tmp:
        formula_safe_frame(frame).to_csv(tmp, index=False, encoding=CSV_ENCODING)
    return Path(path)


def write_gpkg_atomic(path: str | Path, layers: Mapping[str, Any]) -> Path:
    """Write several GeoDataFrames as layers of one GeoPackage, atomically.

    Empty layers are written too (with their columns) so that readers always find them.
    Non-scalar columns (lists, dicts) are stored as JSON text.
    """
    import geopandas as gpd

    crs = next(  # plain tables get the working CRS of the layers that have one
        (g.crs for g in layers.values() if isinstance(g, gpd.GeoDataFrame) and g.crs), RD_NEW
    )
    fast = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "OFF", "SPATIALITE_LOAD": "NO"}
    with atomic_path(path, suffix=".gpkg") as tmp, _gdal_options(**fast):
        for name, gdf in layers.items():
            gdf = _gpkg_ready(gdf)
            if not isinstance(gdf, gpd.GeoDataFrame):
                gdf = gpd.GeoDataFrame(gdf, geometry=gpd.GeoSeries([None] * len(gdf)), crs=crs)
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


@contextmanager
def _gdal_options(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of a block, then restore them.

    ``OGR_SQLITE_SYNCHRONOUS=OFF`` skips SQLite's fsync after every layer (5× faster
    GeoPackages) and ``OGR_SQLITE_JOURNAL=OFF`` its rollback journal (a file made and removed
    for every statement); the file is a temporary until it is complete and renamed, as
    every output, so neither is needed. ``SPATIALITE_LOAD=NO`` spares loading SpatiaLite at
    every open (a GeoPackage is written with GDAL's own functions; 20% of a layer's time).
    """
    import pyogrio

    old = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def _gpkg_ready(gdf):
    """``gdf`` with its list/dict columns as JSON text (a copy only when there are such)."""
    geometry = getattr(gdf, "_geometry_column_name", "geometry")
    out = gdf
    for col, dtype in gdf.dtypes.items():
        if col == geometry or not pd.api.types.is_object_dtype(dtype):
            continue
        s = gdf[col]
        sample = s.dropna()
        if len(sample) and isinstance(sample.iloc[0], list | tuple | dict | set):
            if out is gdf:
                out = gdf.copy()
            out[col] = s.map(lambda v: None if v is None else json.dumps(jsonable(v)))
    return out


# ------------------------------------------------------------- the analyses' files
def _map_options(result: Any, area: Any) -> dict[str, Any]:
    """The map's outline and sources note (the result's) and its base layer.

    The base layer (roads and place names, :func:`bereikbaar.maps.basemap_for_area`) comes
    from the study area's drive network and places; without ``area`` the map has none.
    """
    outline = getattr(result, "outline", None)
    if outline is None and area is not None:  # a result made before outlines were carried
        outline = area.boundary(result.gemeente)
    note = getattr(result, "sources_note", None)
    if note is None and area is not None:
        note = area.sources_note()
    basemap = None
    if area is not None and outline is not None:
        basemap = _basemap(area, result.gemeente, outline)
    return {"boundary": outline, "sources_note": note, "basemap": basemap}


# The base layer per study area and municipality, made once for both maps.
_BASEMAPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _basemap(area: Any, gemeente: str, outline: Any) -> Any:
    from bereikbaar.maps import basemap_for_area

    per_area = _BASEMAPS.setdefault(area, {})
    if gemeente not in per_area:
        per_area[gemeente] = basemap_for_area(area, outline)
    return per_area[gemeente]


def write_hartveilig(
    result: Any, out_dir: str | Path, *, offline: bool = True, area: Any = None
) -> dict[str, Path]:
    """Write ``hartveilig.gpkg``, ``hartveilig_summary.json`` and ``hartveilig.html``.

    The result carries what the files need (its ``outline`` and ``sources_note``); the
    study area ``area``, when given, adds the map's base layer (roads and place names).
    """
    from bereikbaar.maps import write_hartveilig_map

    out_dir = Path(out_dir)
    layers = {name: getattr(result, name) for name in GPKG_LAYERS["hartveilig.gpkg"]}
    paths = {
        "gpkg": write_gpkg_atomic(out_dir / "hartveilig.gpkg", layers),
        "summary": write_json_atomic(out_dir / "hartveilig_summary.json", result.summary),
    }
    paths["html"] = write_hartveilig_map(
        result, out_dir / "hartveilig.html", offline=offline, **_map_options(result, area)
    )
    return paths


def write_dorpshub(
    result: Any, out_dir: str | Path, *, offline: bool = True, area: Any = None
) -> dict[str, Path]:
    """Write ``dorpshub.gpkg``, ``dorpshub_villages.csv``, ``dorpshub_summary.json``, ``dorpshub.html``.

    As :func:`write_hartveilig`: the result carries its outline and sources note.
    """
    from bereikbaar.maps import write_dorpshub_map

    out_dir = Path(out_dir)
    layers = {"villages": result.villages, "hubs": result.hubs}
    for kind, part in result.services.groupby("kind", sort=True):
        layers[f"services_{kind}"] = part
    paths = {
        "gpkg": write_gpkg_atomic(out_dir / "dorpshub.gpkg", layers),
        "csv": write_csv_atomic(out_dir / "dorpshub_villages.csv", result.table),
        "summary": write_json_atomic(out_dir / "dorpshub_summary.json", result.summary),
    }
    paths["html"] = write_dorpshub_map(
        result, out_dir / "dorpshub.html", offline=offline, **_map_options(result, area)
    )
    return paths


# ------------------------------------------------------------------------- checks
def check_output(path: str | Path) -> str | None:
    """Why ``path`` is not a complete output, or None when it exists and opens.

    GeoPackages must hold their expected layers (:data:`GPKG_LAYERS`), JSON must parse,
    HTML must end with ``</html>``, any other file must not be empty.
    """
    path = Path(path)
    try:
        if not path.is_file():
            return f"{path.name} is missing"
        if path.stat().st_size == 0:
            return f"{path.name} is empty"
        if path.suffix == ".gpkg":
            import pyogrio

            have = {str(name) for name in pyogrio.list_layers(path)[:, 0]}
            missing = [n for n in GPKG_LAYERS.get(path.name, ()) if n not in have]
            return f"{path.name} lacks layer(s) {', '.join(missing)}" if missing else None
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".html" and not _ends_html(path):
            return f"{path.name} is cut short"
    except Exception as exc:  # any failure to open means the file is not usable
        return f"{path.name} does not open ({type(exc).__name__}: {exc})"
    return None


def _ends_html(path: Path) -> bool:
    """The last bytes of an HTML file hold its closing tag (read without the whole file)."""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4096))
        return b"</html>" in fh.read()


def check_outputs(folder: str | Path, names: Sequence[str]) -> list[str]:
    """The problems of the files ``names`` in ``folder`` (empty when all exist and open)."""
    return [p for p in (check_output(Path(folder) / n) for n in names) if p is not None]


def write_checked(write: Callable[[], Any], folder: Path, files: Sequence[str]) -> Any:
    """Run ``write``, then check ``files`` in ``folder``; return what ``write`` returned.

    Raises
    ------
    OutputError
        The write failed (one clear sentence: disk full, read-only folder, ...; see
        :func:`describe_write_error`) or a file in ``files`` is missing or does not open.
    """
    try:
        written = write()
    except BereikbaarError:
        raise
    except Exception as exc:  # OSError, GDAL errors: say disk full / read-only
        raise OutputError(describe_write_error(exc, folder)) from exc
    problems = check_outputs(folder, files)
    if problems:
        raise OutputError(f"incomplete output in {folder}: {'; '.join(problems)}")
    return written


def describe_write_error(exc: BaseException, folder: str | Path) -> str:
    """One clear sentence for a failed write into ``folder`` (disk full, read-only, ...).

    GDAL reports a full disk in its own words (e.g. ``no such table: gpkg_contents``), so
    when the error is not an ``OSError`` the free space of the folder is checked too.
    """
    folder = Path(folder)
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full: no space left to write in {folder}; free some space and run again"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"cannot write in {folder}: the folder is read-only or not yours "
            f"({exc.strerror if isinstance(exc, OSError) else exc}); choose another --out"
        )
    free_mb = _free_mb(folder)
    if free_mb is not None and free_mb < 64:
        log.debug("write error with %.0f MB free: %r", free_mb, exc)
        return f"disk full: only {free_mb:.0f} MB free in {folder}; free some space and run again"
    return f"could not write in {folder}: {type(exc).__name__}: {exc}"


def _free_mb(folder: Path) -> float | None:
    for p in (folder, *folder.parents):
        if p.exists():
            try:
                return shutil.disk_usage(p).free / 1e6
            except OSError:
                return None
    return None


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


def _index_row(row: Mapping[str, Any], moments: Sequence[Any]) -> str:
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
    worst = ", ".join(html.escape(v["village"]) for v in (dh.get("worst_villages") or [])[:3])
    cells.append(f"<td>{worst or '–'}</td>")
    links = []
    if row.get("hartveilig"):
        links.append(f"<a href='{slug}/hartveilig.html'>Hartveilig</a>")
    if row.get("dorpshub"):
        links.append(f"<a href='{slug}/dorpshub.html'>Dorpshub</a>")
    if row.get("status") == "failed":
        links.append(f"<span class='err'>mislukt: {html.escape(str(row.get('error', '')))}</span>")
    cells.append(f"<td>{' · '.join(links)}</td>")
    return f"<tr>{''.join(cells)}</tr>"


def render_index(
    rows: Sequence[Mapping[str, Any]], *, title: str, moments: Sequence[Any], note: str = ""
) -> str:
    """The batch overview: one table row per municipality with links to its maps.

    Each row: ``gemeente``, ``slug``, ``status`` (``ok``/``skipped``/``failed``), ``error``,
    ``hartveilig`` (summary dict or None) and ``dorpshub`` (summary dict or None).
    """
    head = "".join(
        f"<th>Gedekt {html.escape(getattr(m, 'label', '') or m.name)}</th>" for m in moments
    )
    body = "\n".join(_index_row(row, moments) for row in rows)
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
{body}
</tbody></table>
<p class="note">{html.escape(note)}</p>
</body></html>
"""
