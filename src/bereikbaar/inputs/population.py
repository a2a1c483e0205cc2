"""Where people live: a CBS population grid (GeoPackage) or any population GeoTIFF.

Two sources give the same table, one row per populated cell:

* **CBS vierkantstatistieken** (100 m or 500 m squares, GeoPackage): the id column
  ``crs28992res100m`` (or ``...res500m``) holds ``E####N####``, the lower-left corner in
  hectometres (``E1969N5378`` = x 196900 m, y 537800 m); its name gives the cell size. Without
  that column the cell size and corner come from each square's geometry. Residents are in
  ``aantal_inwoners``, residents aged 65 and over in ``aantal_inwoners_65_plus`` (or
  ``aantal_inwoners_65_jaar_en_ouder``). CBS hides small counts behind the privacy code
  ``-99997`` ("geheim", a cell with 1–4 residents): such a value is imputed with
  :class:`~bereikbaar.config.PopulationSettings` (``privacy_residents``,
  ``privacy_residents_65_plus``), the row gets ``imputed=True`` and is *flagged* in the
  issues. Any other negative or non-numeric resident count rejects the cell; a bad 65+
  value only empties ``residents_65_plus`` (flagged).
* **A GeoTIFF** (band 1 = residents per cell; CBS, GHSL, WorldPop ...): nodata cells and
  cells with 0 residents are not rows; negative values are rejected. The cell size comes
  from the transform. A raster in another CRS than RD New gets its cell centres converted
  to EPSG:28992; a raster without a CRS raises :class:`~bereikbaar.errors.CrsError`.

Row numbers in the issues are the GeoPackage feature id (fid); raster issues name the
cell (``row/col``) in ``value``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bereikbaar._crs import RD_NEW, common_crs, crs_name, same_crs, transformer
from bereikbaar.config import PopulationSettings
from bereikbaar.errors import CrsError, InputError, MissingInputError
from bereikbaar.inputs.boundaries import area_geometry, check_plausible_crs
from bereikbaar.inputs.report import IssueLog, ReadResult

log = logging.getLogger(__name__)

POPULATION_COLUMNS = ["cell_id", "residents", "residents_65_plus", "imputed", "geometry"]
RESIDENT_COLUMNS = ("aantal_inwoners", "inwoners", "inwoner")
RESIDENT_65_COLUMNS = (
    "aantal_inwoners_65_plus",
    "aantal_inwoners_65_jaar_en_ouder",
    "inw_65pl",
)
_ID_COLUMN_RE = re.compile(r"^crs28992res(\d+)m$", re.IGNORECASE)
_CELL_ID_RE = r"^E(\d{3,5})N(\d{3,5})$"
_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")


def read_population(
    path: str | Path,
    *,
    settings: PopulationSettings,
    area: Any = None,
    crs: str = RD_NEW,
) -> ReadResult:
    """Read residents per grid cell from a CBS GeoPackage or a population GeoTIFF.

    Parameters
    ----------
    path
        A CBS vierkantstatistieken GeoPackage (``.gpkg``; other vector formats work too) or a
        GeoTIFF (``.tif``/``.tiff``).
    settings
        How CBS privacy codes are imputed.
    area
        A polygon in ``crs`` (shapely, GeoSeries/GeoDataFrame or a ``find_area`` row);
        only cells whose centroid lies inside (or on its border) are kept and counted.
    crs
        The working CRS (default RD New): cell centres are converted to it from the
        file's own CRS (a CBS grid's ``E####N####`` ids are RD New corners).

    Returns
    -------
    ReadResult
        ``name="population"``; ``data`` is a GeoDataFrame in ``crs`` with ``cell_id``
        (``E####N####`` when the cell lies on the RD hectometre grid and ``crs`` is RD New,
        else ``x<m>y<m>``, the lower-left corner in ``crs``), ``residents`` (float),
        ``residents_65_plus`` (float, NaN when the source has none), ``imputed`` (bool) and
        ``geometry`` (the cell centroid, Point), sorted by cell_id.
        ``data.attrs["cell_size_m"]`` holds the cell size in metres.

    Raises
    ------
    MissingInputError
        The file does not exist.
    InputError
        No resident column, or a file that cannot be read.
    CrsError
        The source has no CRS.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            "population grid not found",
            path=path,
            hint="set inputs.population in the config to a CBS vierkant GeoPackage or a GeoTIFF",
        )
    crs = crs_name(crs)
    polygon = None if area is None else area_geometry(area, crs=crs)
    if path.name.lower().endswith(_RASTER_SUFFIXES):
        return _read_raster(path, polygon, crs)
    return _read_cbs_grid(path, settings, polygon, crs)


# ------------------------------------------------------------------------- CBS GeoPackage
def _pick_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


@dataclass(frozen=True)
class _Grid:
    """A CBS grid as read: the frame (index = fid) and the columns that matter."""

    frame: gpd.GeoDataFrame
    res_col: str
    old_col: str | None
    id_col: str | None
    crs: str = RD_NEW

    @property
    def fids(self) -> np.ndarray:
        return np.asarray(self.frame.index, dtype="int64")


@dataclass(frozen=True)
class _Cells:
    """Cell ids, centres (RD metres) and size; ``located``: cells with a usable centre."""

    ids: pd.Series
    cx: np.ndarray
    cy: np.ndarray
    cell_size_m: float

    @property
    def located(self) -> np.ndarray:
        return np.isfinite(self.cx) & np.isfinite(self.cy)


@dataclass(frozen=True)
class _Counts:
    """Residents and residents 65+ with privacy codes imputed, and the masks per cell."""

    residents: np.ndarray
    res_imputed: np.ndarray
    res_bad: np.ndarray
    residents_65: np.ndarray
    old_imputed: np.ndarray
    old_bad: np.ndarray


def _read_cbs_grid(path: Path, settings: PopulationSettings, area, crs: str) -> ReadResult:
    grid = _open_grid(path, crs)
    issues = IssueLog("population", path)
    cells = _to_working_crs(_cell_centres(grid, issues, path), grid.crs, crs)
    in_area = _select_cells(grid, cells, area, issues)
    counts = _resident_counts(grid, settings)
    use = in_area & ~counts.res_bad
    _log_count_issues(grid, cells, counts, in_area, settings, issues)
    data = _table(
        cells.ids.to_numpy(dtype=object)[use],
        counts.residents[use],
        counts.residents_65[use],
        (counts.res_imputed | counts.old_imputed)[use],
        cells.cx[use],
        cells.cy[use],
        cells.cell_size_m,
        crs,
    )
    rows_read = int(in_area.sum() + (~cells.located).sum())
    _log_summary(path, data, rows_read)
    return ReadResult("population", path, data, rows_read, issues.to_frame())


def _open_grid(path: Path, crs: str = RD_NEW) -> _Grid:
    """Read the grid, find its columns and bring it to ``crs`` (a grid with CBS ids: to RD
    New, the CRS of its ids; :func:`_to_working_crs` converts the centres); a damaged file
    is an InputError."""
    try:
        frame = pyogrio.read_dataframe(path, fid_as_index=True)
    except Exception as exc:  # pyogrio's DataSourceError, sqlite errors of a damaged file ...
        raise InputError(
            f"cannot read as a vector grid: {exc}",
            path=path,
            hint="the file is damaged or incomplete (an interrupted download?); fetch it again",
        ) from exc
    columns = [str(c) for c in frame.columns if c != "geometry"]
    res_col = _pick_column(columns, RESIDENT_COLUMNS)
    if res_col is None:
        raise InputError(
            "no residents column",
            path=path,
            hint=f"expected one of {', '.join(RESIDENT_COLUMNS)}; columns found: "
            f"{', '.join(columns)}",
        )
    if frame.crs is None:
        raise CrsError(
            f"{path.name} carries no CRS; CBS grids are in EPSG:28992 — set it in the file "
            "(ogr2ogr -a_srs EPSG:28992)"
        )
    # a wrong CRS label (RD metres labelled EPSG:4326) is refused, as for the boundaries
    check_plausible_crs(frame, path=path, what="the population grid")
    old_col = _pick_column(columns, RESIDENT_65_COLUMNS)
    id_col = next((c for c in columns if _ID_COLUMN_RE.match(c)), None)
    # CBS ids are RD New corners; a projected grid is measured in its own CRS (its squares
    # stay squares) and only the centres are converted; a grid in degrees is converted
    target = RD_NEW if id_col is not None else (frame.crs if frame.crs.is_projected else crs)
    if not same_crs(frame.crs, target):
        log.info("%s is in %s; converting to %s", path.name, frame.crs, target)
        frame = frame.to_crs(target)
    return _Grid(frame, res_col, old_col, id_col, target)


def _to_working_crs(cells: _Cells, source, crs: str) -> _Cells:
    """The cell centres converted from ``source`` to ``crs`` (unchanged when they agree);
    the cell size becomes the side of a square with the converted middle cell's area."""
    if same_crs(source, crs):
        return cells
    source = crs_name(source)
    to_work = transformer(source, crs)
    cx, cy = to_work.transform(cells.cx, cells.cy)
    size = cells.cell_size_m
    located = np.flatnonzero(cells.located)
    if len(located) and np.isfinite(size):
        mid = located[len(located) // 2]
        h = size / 2
        corners_x = cells.cx[mid] + np.array([-h, h, h, -h])
        corners_y = cells.cy[mid] + np.array([-h, -h, h, h])
        x, y = to_work.transform(corners_x, corners_y)
        size = float(np.sqrt(shapely.Polygon(zip(x, y, strict=True)).area))
    log.info("cell centres converted from %s to %s (cell size about %.1f m)", source, crs, size)
    return _Cells(cells.ids, np.asarray(cx), np.asarray(cy), size)


def _cell_centres(grid: _Grid, issues: IssueLog, path: Path) -> _Cells:
    """Cell size, lower-left corner (from the CBS id, else the geometry) and centre."""
    frame, n = grid.frame, len(grid.frame)
    geom = frame.geometry.values
    xmin, ymin, xmax, ymax = shapely.bounds(geom).T if n else (np.empty(0),) * 4
    if grid.id_col is None:
        sizes = np.round(np.maximum(xmax - xmin, ymax - ymin), 3)
        finite = sizes[np.isfinite(sizes)]
        cell_size_m = float(np.median(finite)) if len(finite) else float("nan")
        rd = same_crs(grid.crs, RD_NEW)
        ids = pd.Series(
            _cell_ids(xmin, ymin, cell_size_m, rd=rd), index=frame.index, dtype="string"
        )
        return _Cells(ids, xmin + cell_size_m / 2, ymin + cell_size_m / 2, cell_size_m)
    cell_size_m = float(_ID_COLUMN_RE.match(grid.id_col).group(1))
    ids = frame[grid.id_col].astype("string").str.strip().str.upper()
    parts = ids.str.extract(_CELL_ID_RE)
    x0 = pd.to_numeric(parts[0]).to_numpy(dtype=float) * 100.0
    y0 = pd.to_numeric(parts[1]).to_numpy(dtype=float) * 100.0
    bad_id = np.isnan(x0)
    x0[bad_id], y0[bad_id] = xmin[bad_id], ymin[bad_id]  # an unreadable id: use the geometry
    for pos in np.flatnonzero(bad_id):
        issues.flag(
            int(grid.fids[pos]),
            grid.id_col,
            ids.iloc[pos],
            "cell id is not E####N####; the corner comes from the geometry",
            "CBS ids give the lower-left corner in hectometres, e.g. E1969N5378",
        )
    disagree = ~bad_id & ~shapely.is_empty(geom) & (np.hypot(x0 - xmin, y0 - ymin) > 1.0)
    if disagree.any():
        log.warning(
            "%s: %d cells have an id that disagrees with their geometry; the id is used",
            path.name,
            int(disagree.sum()),
        )
    return _Cells(ids, x0 + cell_size_m / 2, y0 + cell_size_m / 2, cell_size_m)


def _select_cells(grid: _Grid, cells: _Cells, area, issues: IssueLog) -> np.ndarray:
    """Cells inside ``area`` (all located cells without one); unlocated cells are rejected.

    The area is applied before validation: cells outside it are not read at all.
    """
    located = cells.located
    for pos in np.flatnonzero(~located):
        issues.reject(
            int(grid.fids[pos]),
            "geometry",
            None,
            "cell without id or geometry",
            "every cell needs an E####N#### id or a square geometry",
        )
    in_area = located.copy()
    if area is not None:
        in_area[located] = shapely.intersects_xy(area, cells.cx[located], cells.cy[located])
    return in_area


def _resident_counts(grid: _Grid, settings: PopulationSettings) -> _Counts:
    frame = grid.frame
    residents, res_imputed, res_bad = _counts(
        frame[grid.res_col], settings.privacy_code, settings.privacy_residents
    )
    if grid.old_col is not None:
        residents_65, old_imputed, old_bad = _counts(
            frame[grid.old_col], settings.privacy_code, settings.privacy_residents_65_plus
        )
    else:
        residents_65 = np.full(len(frame), np.nan)
        old_imputed = old_bad = np.zeros(len(frame), dtype=bool)
    residents_65[old_bad] = np.nan
    return _Counts(residents, res_imputed, res_bad, residents_65, old_imputed, old_bad)


def _log_count_issues(
    grid: _Grid,
    cells: _Cells,
    counts: _Counts,
    in_area: np.ndarray,
    settings: PopulationSettings,
    issues: IssueLog,
) -> None:
    """Reject unreadable resident counts; flag imputed privacy codes and bad 65+ counts."""
    fids, frame, res_col, old_col = grid.fids, grid.frame, grid.res_col, grid.old_col
    use = in_area & ~counts.res_bad
    ids = cells.ids.to_numpy(dtype=object)
    for pos in np.flatnonzero(in_area & counts.res_bad):
        issues.reject(
            int(fids[pos]),
            res_col,
            frame[res_col].iloc[pos],
            "resident count is negative or not a number",
            f"only whole numbers >= 0 or the privacy code {settings.privacy_code} are valid",
            record=str(ids[pos]),
        )
    for pos in np.flatnonzero(use & counts.res_imputed):
        issues.flag(
            int(fids[pos]),
            res_col,
            settings.privacy_code,
            f"privacy code (1-4 residents): imputed {settings.privacy_residents}",
            "change population.privacy_residents in the config to impute another value",
            record=str(ids[pos]),
        )
    for pos in np.flatnonzero(use & counts.old_imputed):
        issues.flag(
            int(fids[pos]),
            old_col,
            settings.privacy_code,
            f"privacy code: imputed {settings.privacy_residents_65_plus} residents 65+",
            "change population.privacy_residents_65_plus in the config",
            record=str(ids[pos]),
        )
    for pos in np.flatnonzero(use & counts.old_bad):
        issues.flag(
            int(fids[pos]),
            old_col,
            frame[old_col].iloc[pos],
            "65+ count is negative or not a number; left empty",
            "only whole numbers >= 0 or the privacy code are valid",
            record=str(ids[pos]),
        )


def _counts(values: pd.Series, privacy_code: int, impute: float):
    """(float counts with the privacy code imputed, imputed mask, invalid mask)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    imputed = numbers == privacy_code
    bad = ~imputed & (~np.isfinite(numbers) | (numbers < 0))
    out = numbers.copy()
    out[imputed] = impute
    out[bad] = np.nan
    return out, imputed, bad


def _cell_ids(x0: np.ndarray, y0: np.ndarray, cell_size_m: float, *, rd: bool = True) -> np.ndarray:
    """``E####N####`` for corners on the 100 m RD grid (``rd``: the corners are RD New
    metres), else ``x<m>y<m>``."""
    on_grid = (
        rd
        & np.isfinite(x0)
        & np.isfinite(y0)
        & (np.abs(x0 / 100 - np.round(x0 / 100)) < 1e-6)
        & (np.abs(y0 / 100 - np.round(y0 / 100)) < 1e-6)
        & (np.isfinite(cell_size_m) and cell_size_m % 100 == 0)
    )
    out = np.empty(len(x0), dtype=object)
    for i in range(len(x0)):
        if on_grid[i]:
            out[i] = f"E{round(x0[i] / 100):04d}N{round(y0[i] / 100):04d}"
        else:
            out[i] = f"x{x0[i]:.0f}y{y0[i]:.0f}"
    return out


def _table(
    ids, residents, residents_65, imputed, cx, cy, cell_size_m, crs: str = RD_NEW
) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "cell_id": pd.array(ids, dtype="str"),
            "residents": np.asarray(residents, dtype=float),
            "residents_65_plus": np.asarray(residents_65, dtype=float),
            "imputed": np.asarray(imputed, dtype=bool),
        }
    )
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(cx, cy), crs=crs)
    gdf = gdf.sort_values("cell_id", kind="stable").reset_index(drop=True)
    gdf.attrs["cell_size_m"] = cell_size_m
    return gdf


def _log_summary(path: Path, data: gpd.GeoDataFrame, rows_read: int) -> None:
    log.info(
        "%s: %d cells of %.0f m, %.0f residents (%d cells imputed), %d cells read",
        path.name,
        len(data),
        data.attrs["cell_size_m"],
        data["residents"].sum(),
        int(data["imputed"].sum()),
        rows_read,
    )


# ------------------------------------------------------------------------------- GeoTIFF
def _read_raster(path: Path, area, crs: str = RD_NEW) -> ReadResult:
    import rasterio
    from pyproj import CRS, Transformer

    damaged = "the file is damaged or incomplete (an interrupted download?); fetch it again"
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"cannot open as a raster: {exc}", path=path, hint=damaged) from exc
    with src:
        if src.crs is None:
            raise CrsError(
                f"{path.name} carries no CRS; set it first, e.g. "
                f"gdal_edit.py -a_srs EPSG:28992 {path.name}"
            )
        bounds = gpd.GeoDataFrame(geometry=[shapely.box(*src.bounds)], crs=src.crs.to_wkt())
        check_plausible_crs(bounds, path=path, what="the population raster", raster=True)
        if src.count > 1:
            log.info("%s has %d bands; band 1 is read as residents", path.name, src.count)
        try:
            band = src.read(1, masked=True)
        except rasterio.errors.RasterioError as exc:
            raise InputError(f"cannot read band 1: {exc}", path=path, hint=damaged) from exc
        transform = src.transform
        src_crs = CRS.from_user_input(src.crs.to_wkt())
    values = np.ma.filled(band.astype(float), np.nan)
    rows, cols = np.nonzero(np.isfinite(values) & (values != 0))
    vals = values[rows, cols]
    # cell centres in the raster CRS (handles rotated transforms too)
    xs = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    ys = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    work = CRS.from_user_input(crs)
    if src_crs == work:
        cx, cy = xs, ys
        cell_size_m = float(np.sqrt(abs(transform.a * transform.e - transform.b * transform.d)))
    else:
        to_work = Transformer.from_crs(src_crs, work, always_xy=True)
        cx, cy = to_work.transform(xs, ys)
        cell_size_m = _cell_size_in_rd(transform, src_crs, to_work, src.width, src.height)
        log.warning(
            "%s is in %s; cell centres converted to %s (cell size about %.0f m)",
            path.name,
            src_crs.to_string(),
            crs,
            cell_size_m,
        )
    issues = IssueLog("population", path)
    located = np.isfinite(cx) & np.isfinite(cy)
    if area is not None:
        in_area = np.zeros(len(vals), dtype=bool)
        in_area[located] = shapely.intersects_xy(area, cx[located], cy[located])
    else:
        in_area = located
    for pos in np.flatnonzero(~located):
        issues.reject(
            None,
            "geometry",
            f"row {rows[pos]} col {cols[pos]}",
            f"cell centre cannot be converted to {crs}",
            "clip the raster to the study area",
        )
    negative = in_area & (vals < 0)
    for pos in np.flatnonzero(negative):
        issues.reject(
            None,
            "band 1",
            f"row {rows[pos]} col {cols[pos]}: {vals[pos]:g}",
            "negative resident count",
            "set the raster's nodata value (gdal_edit.py -a_nodata) if this marks no data",
        )
    use = in_area & ~negative
    x0 = cx - cell_size_m / 2
    y0 = cy - cell_size_m / 2
    ids = _cell_ids(np.round(x0, 6), np.round(y0, 6), cell_size_m, rd=same_crs(crs, RD_NEW))
    data = _table(
        ids[use],
        vals[use],
        np.full(int(use.sum()), np.nan),
        np.zeros(int(use.sum()), dtype=bool),
        cx[use],
        cy[use],
        cell_size_m,
        crs,
    )
    rows_read = int(use.sum() + negative.sum() + (~located).sum())
    _log_summary(path, data, rows_read)
    return ReadResult("population", path, data, rows_read, issues.to_frame())


def _cell_size_in_rd(transform, crs, to_rd, width: int, height: int) -> float:
    """Side in metres of an RD square with the area of the raster's centre cell."""
    col, row = width // 2, height // 2
    corners = [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1)]
    xs = [transform.c + c * transform.a + r * transform.b for c, r in corners]
    ys = [transform.f + c * transform.d + r * transform.e for c, r in corners]
    x, y = to_rd.transform(xs, ys)
    return float(np.sqrt(shapely.Polygon(zip(x, y, strict=True)).area))


# ------------------------------------------------------------------------------- helpers
def cell_polygons(cells: gpd.GeoDataFrame | gpd.GeoSeries, cell_size_m: float) -> gpd.GeoSeries:
    """Squares of ``cell_size_m`` around the cell centroids, for maps.

    Parameters
    ----------
    cells
        Points (``read_population(...).data``) in the working CRS (metres).
    cell_size_m
        Side of a cell in metres (``data.attrs["cell_size_m"]``).

    Returns
    -------
    GeoSeries
        Polygons aligned to ``cells``' index, in the cells' CRS.
    """
    crs = common_crs((cells, "the population cells"))
    from pyproj import CRS

    if CRS.from_user_input(crs).is_geographic:
        raise CrsError(
            f"the population cells are in {crs} (degrees); squares need metres: convert "
            "with cells.to_crs(<the working CRS>)"
        )
    if not cell_size_m > 0:
        raise InputError(f"cell_size_m must be > 0, got {cell_size_m!r}")
    geoms = cells.geometry if isinstance(cells, gpd.GeoDataFrame) else cells
    x = shapely.get_x(geoms.values)
    y = shapely.get_y(geoms.values)
    half = cell_size_m / 2
    boxes = shapely.box(x - half, y - half, x + half, y + half)
    return gpd.GeoSeries(boxes, index=geoms.index, crs=geoms.crs)
