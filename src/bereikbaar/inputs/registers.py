"""CSV register exports: AEDs, GP practices (huisartsen) and transport hubs.

Each reader takes a :class:`~bereikbaar.config.RegisterInput` (path, delimiter, encoding and
``columns``: canonical name → column name in this file) and returns a
:class:`~bereikbaar.inputs.report.ReadResult` whose ``data`` is a GeoDataFrame in the
working CRS (``crs=``, default EPSG:28992) with a ``source_row`` column (the 1-based line number in the file; the header is
line 1). Every repair, flag and rejection is in ``issues``.

What happens to the file first (:func:`_read_csv`):

* it is decoded with the configured ``encoding``; an undecodable byte, or control
  characters after decoding (C1 controls U+0080–U+009F are what a cp1252 export read as
  latin-1 gives), refuse the file naming the line and the encoding to set;
* the header must not repeat a column name, and a header that only another delimiter
  (``;``, tab, ``|``) would split refuses the file with the ``delimiter`` to set;
* the text is split **by line**: a line with an unclosed quote is rejected on its own
  (``unbalanced_quote``) instead of swallowing the rest of the file, a quoted field may
  span a few lines (an address with a line break), and a line longer than
  :data:`MAX_LINE_CHARS` is rejected with its number (``field_too_long``). So the rows
  read are the data lines of the file.

What happens to a row, in order:

1. **Exact duplicates** (every field equal to an earlier row) are rejected (``duplicate``;
   the hint names the first row).
2. **Coordinates** go through :func:`bereikbaar.inputs.coordinates.repair_lat_lon`
   (decimal commas, swapped lat/lon and RD metres are repaired; the rest is rejected).
   A row without coordinates is placed at the centroid of its four-digit postcode (PC4)
   from the GeoNames postal-code table when ``postcodes`` is given (flagged
   ``geocoded_postcode``, ``location_quality="postcode"``); otherwise it is rejected
   (``missing_coordinates``). Points outside ``study_area`` are rejected
   (``outside_study_area``).
3. **Attributes**: availability texts through
   :func:`~bereikbaar.inputs.opening_hours.availability_from_text` (unreadable → kept with
   status ``unknown`` and flagged ``unknown_availability``); an empty *gemeente*
   (municipality) is kept and flagged ``missing_gemeente`` (the pipeline assigns
   municipalities by location); unknown GP types / hub kinds and unreadable departures are
   rejected.

A rejected row appears once in ``issues`` (``action="rejected"``); the repairs tried before
are described in its hint instead of being logged separately. So
``rows_read == rows_used + rows_rejected`` always holds.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bereikbaar._crs import RD_NEW, WGS84, crs_name, transformer
from bereikbaar.config import RegisterInput
from bereikbaar.errors import ConfigError, InputError, MissingInputError, check_crs
from bereikbaar.inputs.coordinates import (
    parse_decimal,
    plain_lat_lon_to_rd,
    repair_lat_lon,
)
from bereikbaar.inputs.opening_hours import AvailabilityContext, availability_from_text
from bereikbaar.inputs.report import AED_SCHEMA, IssueLog, ReadResult
from bereikbaar.inputs.vocabulary import ACTIVE_VALUES, parse_active, parse_indoor

log = logging.getLogger(__name__)


AED_COLUMNS = [*AED_SCHEMA[:-1], "source_row", "geometry"]
GP_COLUMNS = [
    "name",
    "kind",
    "street",
    "postcode",
    "place",
    "gemeente",
    "availability",
    "availability_status",
    "open_hours",
    "location_quality",
    "source_row",
    "geometry",
]
HUB_COLUMNS = [
    "name",
    "kind",
    "gemeente",
    "departures_per_hour",
    "location_quality",
    "source_row",
    "geometry",
]

GP_KINDS = {
    "praktijk": "gp",
    "huisartsenpraktijk": "gp",
    "huisarts": "gp",
    "gezondheidscentrum": "gp",
    "gp": "gp",
    "huisartsenpost": "huisartsenpost",
    "hap": "huisartsenpost",
    "post": "huisartsenpost",
}
HUB_KINDS = {
    "trein": "station",
    "treinstation": "station",
    "station": "station",
    "train": "station",
    "hub": "bus_hub",
    "bus": "bus_hub",
    "busstation": "bus_hub",
    "ov-hub": "bus_hub",
    "bus_hub": "bus_hub",
}


@dataclass(frozen=True)
class _Spec:
    input: str
    config_key: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


_AED_SPEC = _Spec(
    "aed_register",
    "aed_register",
    ("lat", "lon"),
    (
        "id",
        "name",
        "street",
        "housenumber",
        "postcode",
        "place",
        "gemeente",
        "availability",
        "indoor",
        "owner",
        "active",
    ),
)
_GP_SPEC = _Spec(
    "gp_register",
    "gp_register",
    ("name", "type", "lat", "lon"),
    ("street", "housenumber", "postcode", "place", "gemeente", "availability"),
)
_HUB_SPEC = _Spec(
    "hubs_register",
    "hubs_register",
    ("name", "kind", "lat", "lon", "departures_per_hour"),
    ("gemeente",),
)


# ------------------------------------------------------------------------ public API
def read_aed_register(
    reg: RegisterInput,
    *,
    study_area,
    postcodes: Path | None = None,
    availability_context: AvailabilityContext | None = None,
    crs: str = RD_NEW,
) -> ReadResult:
    """Read an AED register export.

    Canonical columns: ``lat``, ``lon`` (required); ``id``, ``name`` (location text),
    ``street``, ``housenumber``, ``postcode``, ``place``, ``gemeente``, ``availability``
    (Dutch or OSM text), ``indoor`` (``binnen``/``buiten``, indoor/outdoor, yes/no),
    ``owner`` (optional; ``owner`` is accepted but not kept), ``active`` (optional: when
    mapped, a row whose value means not in use — ``inactief``, ``verwijderd``, ``buiten
    gebruik``, ``defect``, ... see :data:`~bereikbaar.inputs.vocabulary.ACTIVE_VALUES` —
    is rejected as ``inactive``; an unknown value is kept and flagged ``unknown_active``).

    Parameters
    ----------
    reg
        The register and its column mapping (``cfg.inputs.aed_register``).
    study_area
        A shapely (Multi)Polygon in ``crs`` (or a GeoSeries/GeoDataFrame in that CRS),
        already buffered by the caller; points outside are rejected.
    crs
        The working CRS (default RD New): lat/lon are converted to it and ``data`` is in it.
    postcodes
        The GeoNames postal-code table (``cfg.inputs.postcodes``) for rows without
        coordinates; ``None`` rejects such rows.
    availability_context
        The week and place the ``availability`` texts are evaluated for (sun times,
        holidays); default the opening-hours module's ``DEFAULT_CONTEXT``.

    Returns
    -------
    ReadResult
        ``data`` has the AED schema of ARCHITECTURE.md (``aed_id, name, street, postcode,
        place, gemeente, availability, availability_status, open_hours, indoor,
        location_quality, provenance="register", geometry``) plus ``source_row``.
        ``aed_id`` is the register id; an empty id becomes ``<file stem>:row<N>`` and a
        repeated id with different values ``<id>:row<N>`` (both flagged).
    """
    ctx = _Reader(reg, _AED_SPEC, study_area, postcodes, crs)
    ids_seen: dict[str, int] = {}
    records = []
    for line, row in ctx.unique_rows():
        if _inactive(ctx, line, row):
            continue
        loc = ctx.locate(line, row)
        if loc is None:
            continue
        pending = loc.pending
        _flag_unknown_active(ctx, row, pending)
        aed_id = _aed_id(ctx, line, row, ids_seen, pending)
        avail = ctx.availability(line, row, pending, what="AED", context=availability_context)
        indoor = _indoor(ctx, row, pending)
        ctx.check_gemeente(row, pending)
        ctx.commit(line, pending)
        records.append(
            {
                "aed_id": aed_id,
                "name": row.get("name", "").strip(),
                "street": _street(row),
                "postcode": _postcode(row.get("postcode", "")),
                "place": row.get("place", "").strip(),
                "gemeente": row.get("gemeente", "").strip(),
                **avail,
                "indoor": indoor if isinstance(indoor, bool) else pd.NA,
                "location_quality": loc.quality,
                "provenance": "register",
                "source_row": line,
                "x": loc.x,
                "y": loc.y,
            }
        )
    data = _frame(records, AED_COLUMNS, bool_columns=("indoor",))
    return ctx.result(data)


def _aed_id(ctx: _Reader, line: int, row: dict[str, str], ids_seen: dict[str, int], pending) -> str:
    """The register id, or ``<file stem>:row<N>`` for an empty one and ``<id>:row<N>`` for
    an id already used (both flagged in ``pending``); ``ids_seen`` maps ids to lines."""
    raw_id = row.get("id", "").strip()
    if not raw_id:
        aed_id = f"{ctx.path.stem}:row{line}"
        pending.append((ctx.col("id"), "", "missing_id", f"no id; named {aed_id}", "flagged"))
        return aed_id
    if raw_id in ids_seen:
        aed_id = f"{raw_id}:row{line}"
        pending.append(
            (
                ctx.col("id"),
                raw_id,
                "duplicate_id",
                f"id also used in row {ids_seen[raw_id]} with other values; renamed to "
                f"{aed_id}; give each AED its own id",
                "flagged",
            )
        )
        return aed_id
    ids_seen[raw_id] = line
    return raw_id


def _indoor(ctx: _Reader, row: dict[str, str], pending):
    """``parse_indoor`` of the row's indoor text; an unreadable one is flagged (None)."""
    indoor = parse_indoor(row.get("indoor", ""))
    if indoor is None:
        pending.append(
            (
                ctx.col("indoor"),
                row["indoor"],
                "unknown_indoor",
                "write binnen or buiten (indoor/outdoor, yes/no); indoor left unknown",
                "flagged",
            )
        )
    return indoor


def read_gp_register(
    reg: RegisterInput,
    *,
    study_area,
    postcodes: Path | None = None,
    availability_context: AvailabilityContext | None = None,
    crs: str = RD_NEW,
) -> ReadResult:
    """Read a GP register (practices and huisartsenposten, the out-of-hours GP service).

    Canonical columns: ``name``, ``type`` (``praktijk`` → ``gp``, ``huisartsenpost`` →
    ``huisartsenpost``), ``lat``, ``lon`` (required); ``street``, ``housenumber``,
    ``postcode``, ``place``, ``gemeente``, ``availability`` (optional). Parameters as in
    :func:`read_aed_register`.

    Returns
    -------
    ReadResult
        ``data`` columns: ``name, kind, street, postcode, place, gemeente, availability,
        availability_status, open_hours, location_quality, source_row, geometry``.
        Unknown types are rejected (``unknown_kind``).
    """
    ctx = _Reader(reg, _GP_SPEC, study_area, postcodes, crs)
    records = []
    for line, row in ctx.unique_rows():
        kind = GP_KINDS.get(row["type"].strip().lower())
        if kind is None:
            ctx.issues.reject(
                line,
                ctx.col("type"),
                row["type"],
                "unknown_kind",
                f"type must be one of {', '.join(sorted(GP_KINDS))} (praktijk = GP practice, "
                "huisartsenpost = out-of-hours GP service)",
            )
            continue
        loc = ctx.locate(line, row)
        if loc is None:
            continue
        pending = loc.pending
        avail = ctx.availability(line, row, pending, what="GP", context=availability_context)
        ctx.check_gemeente(row, pending)
        ctx.commit(line, pending)
        records.append(
            {
                "name": row["name"].strip(),
                "kind": kind,
                "street": _street(row),
                "postcode": _postcode(row.get("postcode", "")),
                "place": row.get("place", "").strip(),
                "gemeente": row.get("gemeente", "").strip(),
                **avail,
                "location_quality": loc.quality,
                "source_row": line,
                "x": loc.x,
                "y": loc.y,
            }
        )
    return ctx.result(_frame(records, GP_COLUMNS))


def read_hubs_register(
    reg: RegisterInput, *, study_area, postcodes: Path | None = None, crs: str = RD_NEW
) -> ReadResult:
    """Read the transport hubs: railway stations and bus hubs with departures per hour.

    Canonical columns: ``name``, ``kind`` (``trein`` → ``station``; ``hub``/``bus`` →
    ``bus_hub``), ``lat``, ``lon``, ``departures_per_hour`` (weekday departures per hour;
    decimal comma accepted) (required); ``gemeente`` (optional). Parameters as in
    :func:`read_aed_register` (``postcodes`` is unused: hubs have no postcode column).

    Returns
    -------
    ReadResult
        ``data`` columns: ``name, kind, gemeente, departures_per_hour`` (float),
        ``location_quality, source_row, geometry``. Unknown kinds (``unknown_kind``) and
        missing, non-numeric or negative departures (``invalid_departures``) are rejected.
    """
    ctx = _Reader(reg, _HUB_SPEC, study_area, postcodes, crs)
    records = []
    for line, row in ctx.unique_rows():
        kind = HUB_KINDS.get(row["kind"].strip().lower())
        if kind is None:
            ctx.issues.reject(
                line,
                ctx.col("kind"),
                row["kind"],
                "unknown_kind",
                f"kind must be one of {', '.join(sorted(HUB_KINDS))} (trein = railway station, "
                "hub/bus = bus hub)",
            )
            continue
        raw_dep = row["departures_per_hour"]
        dep, comma = parse_decimal(raw_dep)
        if dep is None or np.isnan(dep) or dep < 0:
            ctx.issues.reject(
                line,
                ctx.col("departures_per_hour"),
                raw_dep,
                "invalid_departures",
                "departures per hour must be a number >= 0, e.g. 2 or 1,5",
            )
            continue
        loc = ctx.locate(line, row)
        if loc is None:
            continue
        pending = loc.pending
        if comma:
            pending.append(
                (
                    ctx.col("departures_per_hour"),
                    raw_dep,
                    "comma_decimal",
                    "decimal comma read as a point",
                    "repaired",
                )
            )
        ctx.check_gemeente(row, pending)
        ctx.commit(line, pending)
        records.append(
            {
                "name": row["name"].strip(),
                "kind": kind,
                "gemeente": row.get("gemeente", "").strip(),
                "departures_per_hour": float(dep),
                "location_quality": loc.quality,
                "source_row": line,
                "x": loc.x,
                "y": loc.y,
            }
        )
    return ctx.result(_frame(records, HUB_COLUMNS, float_columns=("departures_per_hour",)))


def _inactive(ctx: _Reader, line: int, row: dict[str, str]) -> bool:
    """Reject a row whose mapped ``active`` column says the AED is not in use."""
    if "active" not in ctx.colmap or parse_active(row["active"]) is not False:
        return False
    ctx.issues.reject(
        line,
        ctx.col("active"),
        row["active"],
        "inactive",
        "the register marks this AED as not in use; it is not counted",
    )
    return True


def _flag_unknown_active(ctx: _Reader, row: dict[str, str], pending: Pending) -> None:
    if "active" in ctx.colmap and parse_active(row["active"]) is None:
        words = ", ".join(sorted(ACTIVE_VALUES))
        pending.append(
            (
                ctx.col("active"),
                row["active"],
                "unknown_active",
                f"the status is not understood; the AED is counted as active; write one of {words}",
                "flagged",
            )
        )


def load_pc4_centroids(path: Path) -> pd.DataFrame:
    """The GeoNames postal-code table as PC4 centroids.

    The file is tab-separated without a header: country, PC4, place, province, province
    code, municipality, municipality code, '', '', lat, lon. A PC4 listed for several places
    gets the mean of their coordinates.

    Returns
    -------
    pandas.DataFrame
        Index ``pc4`` (4-digit text), columns ``lat``, ``lon`` (degrees), ``place``.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            "postal-code table not found",
            path=path,
            hint="set inputs.postcodes to the GeoNames NL postal-code file, or leave it out",
        )
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, fields in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not fields:
                continue
            if len(fields) < 11:
                raise InputError(
                    f"expected 11 tab-separated fields, got {len(fields)}",
                    path=path,
                    row=line,
                    hint="use the GeoNames postal-code dump (country, PC4, place, ..., lat, lon)",
                )
            try:
                rows.append((fields[1].strip()[:4], float(fields[9]), float(fields[10]), fields[2]))
            except ValueError:
                raise InputError(
                    f"lat/lon {fields[9]!r}/{fields[10]!r} are not numbers",
                    path=path,
                    row=line,
                    column="lat/lon (fields 10-11)",
                    hint="use the unchanged GeoNames postal-code dump",
                ) from None
    table = pd.DataFrame(rows, columns=["pc4", "lat", "lon", "place"])
    return table.groupby("pc4", sort=True).agg(
        lat=("lat", "mean"),
        lon=("lon", "mean"),
        place=("place", lambda s: "/".join(dict.fromkeys(s))),
    )


# ------------------------------------------------------------------------- internals
Pending = list[tuple[str | None, Any, str, str, str]]  # column, value, reason, hint, action


@dataclass
class _Location:
    x: float
    y: float
    quality: str
    pending: Pending


class _Reader:
    """Shared machinery of the three readers: columns, rows, location, issue log."""

    def __init__(
        self,
        reg: RegisterInput,
        spec: _Spec,
        study_area,
        postcodes: Path | None,
        crs: str = RD_NEW,
    ):
        self.reg = reg
        self.spec = spec
        self.path = Path(reg.path)
        self.issues = IssueLog(spec.input, self.path)
        self.crs = crs_name(crs)
        self.area = _area_geometry(study_area, self.crs)
        self.postcodes_path = postcodes
        self._pc4: pd.DataFrame | None = None
        self._availability: dict[tuple[str, object], tuple[str, str]] = {}
        table = _read_csv(reg)
        self.header, self.rows = table.header, table.rows
        self.colmap = _resolve_columns(reg, spec, self.header, self.path)
        self._display: dict[str, str] = {}
        self._extra = 0
        if "lat" not in self.colmap or "lon" not in self.colmap:
            self._lat_lon_from_xy()
        for line, value, reason, hint in table.refused:
            self.issues.reject(line, None, value, reason, hint)
        self.rows_read = len(self.rows) + len(table.refused)
        self._fast_xy = self._vector_locations()

    def col(self, canonical: str) -> str:
        return self._display.get(canonical, self.colmap.get(canonical, canonical))

    def _lat_lon_from_xy(self) -> None:
        """Projected ``x``/``y`` columns (in ``reg.xy_crs``) → two added lat/lon columns, so
        the rows go through the same checks; issues name the x/y columns."""
        ix, iy = self.header.index(self.colmap["x"]), self.header.index(self.colmap["y"])
        n = len(self.header)
        good = [k for k, (_, f) in enumerate(self.rows) if len(f) == n]
        parsed = [(parse_decimal(self.rows[k][1][ix])[0], parse_decimal(self.rows[k][1][iy])[0])
                  for k in good]  # fmt: skip
        xs = np.array([np.nan if x is None else x for x, _ in parsed], dtype=float)
        ys = np.array([np.nan if y is None else y for _, y in parsed], dtype=float)
        lon, lat = transformer(crs_name(self.reg.xy_crs), WGS84).transform(xs, ys)
        for j, k in enumerate(good):
            fields = self.rows[k][1]
            x, y = parsed[j]
            if x is None or y is None:
                extra = ["", ""]
            elif np.isfinite(lat[j]) and np.isfinite(lon[j]):
                extra = [repr(float(lat[j])), repr(float(lon[j]))]
            else:
                extra = [fields[iy], fields[ix]]  # not numbers: rejected as such
            self.rows[k] = (self.rows[k][0], [*fields, *extra])
        self.header = [*self.header, "__lat", "__lon"]
        self._extra = 2
        self.colmap.update(lat="__lat", lon="__lon")
        self._display = {"lat": self.colmap["y"], "lon": self.colmap["x"]}

    def _vector_locations(self) -> dict[int, tuple[float, float]]:
        """RD points of the rows with plain lat/lon inside the area, computed at once
        (:func:`~bereikbaar.inputs.coordinates.plain_lat_lon_to_rd`); :meth:`locate` sends
        the other rows through ``repair_lat_lon`` one by one."""
        i_lat = self.header.index(self.colmap["lat"])
        i_lon = self.header.index(self.colmap["lon"])
        n = len(self.header)
        good = [(line, f[i_lat], f[i_lon]) for line, f in self.rows if len(f) == n]
        if not good:
            return {}
        lines, lats, lons = zip(*good, strict=True)
        x, y, ok = plain_lat_lon_to_rd(lats, lons, study_area=self.area, crs=self.crs)
        return {lines[k]: (float(x[k]), float(y[k])) for k in map(int, np.flatnonzero(ok))}

    def unique_rows(self):
        """Canonical-name dicts of the rows, exact duplicates rejected."""
        first_seen: dict[tuple[str, ...], int] = {}
        for line, fields in self.rows:
            if len(fields) != len(self.header):
                self.issues.reject(
                    line,
                    None,
                    self.reg.delimiter.join(fields),
                    "wrong_field_count",
                    f"{len(fields)} fields where the header has {len(self.header) - self._extra}; "
                    "quote values that contain the delimiter",
                )
                continue
            key = tuple(fields)
            if key in first_seen:
                self.issues.reject(
                    line,
                    None,
                    self.reg.delimiter.join(fields)[:200],
                    "duplicate",
                    f"exact duplicate of row {first_seen[key]}; remove one of them",
                )
                continue
            first_seen[key] = line
            by_name = dict(zip(self.header, fields, strict=True))
            yield line, {c: by_name[f] for c, f in self.colmap.items()}

    def pc4(self) -> pd.DataFrame | None:
        if self.postcodes_path is None:
            return None
        if self._pc4 is None:
            self._pc4 = load_pc4_centroids(self.postcodes_path)
        return self._pc4

    def locate(self, line: int, row: dict[str, str]) -> _Location | None:
        """The point of a row in RD metres, or None when it was rejected."""
        fast = self._fast_xy.get(line)
        if fast is not None:
            return _Location(fast[0], fast[1], "exact", [])
        lat_col, lon_col = self.col("lat"), self.col("lon")
        res = repair_lat_lon(row["lat"], row["lon"], study_area=self.area, crs=self.crs)
        cols = {"lat": lat_col, "lon": lon_col, "lat,lon": f"{lat_col},{lon_col}"}
        value = f"{row['lat']}, {row['lon']}"
        if res.action != "rejected":
            pending: Pending = [
                (
                    cols[r.which],
                    row["lat"] if r.which == "lat" else row["lon"] if r.which == "lon" else value,
                    r.reason,
                    r.hint,
                    "repaired",
                )
                for r in res.repairs
            ]
            return _Location(res.x_rd, res.y_rd, "exact", pending)
        if res.reason != "missing_coordinates":
            self.issues.reject(line, cols[res.which], value, res.reason, res.hint)
            return None
        return self._geocode(line, row, cols[res.which])

    def _geocode(self, line: int, row: dict[str, str], coord_col: str) -> _Location | None:
        raw_pc = row.get("postcode", "").strip()
        value = f"{row['lat']}, {row['lon']}"
        table = self.pc4()
        if table is None:
            self.issues.reject(
                line,
                coord_col,
                value,
                "missing_coordinates",
                "no coordinates; add lat/lon, or pass the GeoNames postal-code table "
                "(inputs.postcodes) to place the row at its postcode (PC4) centroid",
            )
            return None
        m = re.match(r"^(\d{4})\s*[A-Za-z]{0,2}$", raw_pc)
        if not m or m[1] not in table.index:
            why = "has no postcode" if not raw_pc else f"postcode {raw_pc!r} is not in the table"
            self.issues.reject(
                line,
                coord_col,
                value,
                "missing_coordinates",
                f"no coordinates and the row {why}; add lat/lon or a valid postcode (1234 AB)",
            )
            return None
        pc = table.loc[m[1]]
        x, y = transformer(WGS84, self.crs).transform(float(pc["lon"]), float(pc["lat"]))
        if not shapely.contains_xy(self.area, x, y):
            dist_km = shapely.distance(self.area, shapely.Point(x, y)) / 1000.0
            self.issues.reject(
                line,
                self.col("postcode"),
                raw_pc,
                "outside_study_area",
                f"no coordinates; the centroid of PC4 {m[1]} ({pc['place']}) lies "
                f"{dist_km:.1f} km outside the study area; add lat/lon if it belongs inside",
            )
            return None
        flag = (
            self.col("postcode"),
            raw_pc,
            "geocoded_postcode",
            f"no coordinates; placed at the centroid of PC4 {m[1]} ({pc['place']}), "
            "location_quality=postcode; add lat/lon for an exact location",
            "flagged",
        )
        return _Location(x, y, "postcode", [flag])

    def availability(
        self, line: int, row: dict[str, str], pending: Pending, *, what: str, context=None
    ):
        text = row.get("availability", "")
        if "availability" not in self.colmap:
            return {
                "availability": "",
                "availability_status": "unknown",
                "open_hours": "",
            }
        key = (text, context)  # registers repeat a few texts many times
        if key not in self._availability:
            status, schedule = availability_from_text(text, context=context)
            self._availability[key] = (
                status,
                "" if schedule is None else schedule.to_open_hours_string(),
            )
        status, open_hours = self._availability[key]
        if status == "unknown":
            hint = (
                "availability is empty"
                if not text.strip()
                else f"{text!r} states no hours that can be read"
            )
            pending.append(
                (
                    self.col("availability"),
                    text,
                    "unknown_availability",
                    f"{hint}; the {what} is kept with status unknown; write e.g. 24/7 or "
                    "'ma-vr 08:00-17:00'",
                    "flagged",
                )
            )
        return {
            "availability": text.strip(),
            "availability_status": status,
            "open_hours": open_hours,
        }

    def check_gemeente(self, row: dict[str, str], pending: Pending) -> None:
        if "gemeente" in self.colmap and not row.get("gemeente", "").strip():
            pending.append(
                (
                    self.col("gemeente"),
                    "",
                    "missing_gemeente",
                    "gemeente is empty; kept (the pipeline assigns municipalities by location)",
                    "flagged",
                )
            )

    def commit(self, line: int, pending: Pending) -> None:
        for column, value, reason, hint, action in pending:
            self.issues.add(line, column, value, reason, hint, action)

    def record_ids(self, issues: pd.DataFrame) -> pd.Series:
        """The register's own id of each issue's row (``id``, else ``name``; empty if none)."""
        key = next((k for k in ("id", "name") if k in self.colmap), None)
        if key is None or len(issues) == 0:
            return pd.Series(None, index=issues.index, dtype="object")
        pos = self.header.index(self.colmap[key])
        by_line = {line: f[pos].strip() for line, f in self.rows if len(f) > pos and f[pos].strip()}
        return issues["row"].map(by_line).astype("object")

    def result(self, data: gpd.GeoDataFrame) -> ReadResult:
        data = data.set_crs(self.crs, allow_override=True)
        if self.rows_read == 0:
            self._report_no_rows()
        issues = self.issues.to_frame()
        issues["record_id"] = self.record_ids(issues)
        result = ReadResult(self.spec.input, self.path, data, self.rows_read, issues)
        if result.rows_read != result.rows_used + result.rows_rejected:  # pragma: no cover
            raise AssertionError(f"{self.path.name}: rows read != used + rejected")
        log.info(
            "%s: %d rows read, %d used (%d repaired, %d flagged), %d rejected",
            self.path.name,
            result.rows_read,
            result.rows_used,
            result.rows_repaired,
            result.rows_flagged,
            result.rows_rejected,
        )
        return result

    def _report_no_rows(self) -> None:
        """A header without data rows: one issue row and a warning, never a silent 0."""
        hint = (
            f"the file has a header but no data rows; check the export/mapping "
            f"([inputs.{self.spec.config_key}] path and delimiter)"
        )
        self.issues.flag(None, None, ",".join(self.header)[:200], "no_data_rows", hint)
        log.warning("%s: 0 rows (%s): %s", self.path, self.spec.input, hint)


def _area_geometry(study_area, crs: str = RD_NEW):
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(study_area, crs, what="the study area")
        study_area = study_area.union_all()
    if not isinstance(study_area, shapely.Polygon | shapely.MultiPolygon):
        raise InputError(
            f"the study area must be a (Multi)Polygon in {crs}, got {type(study_area).__name__}",
            hint="pass the buffered province polygon, e.g. province.geometry.buffer(buffer_m)",
        )
    shapely.prepare(study_area)
    return study_area


#: Longest line (and so field) read: Python's csv module refuses longer fields; such a
#: line is rejected with its number instead of refusing the whole file.
MAX_LINE_CHARS = 131_072
#: A quoted field may span this many lines at most (an address with a line break).
MAX_RECORD_LINES = 20
_DELIMITERS = (",", ";", "\t", "|")
# C0 controls other than tab/newline/return, and C1 controls (U+0080-U+009F): text never
# holds them; they mean the file was decoded with the wrong encoding.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f]")
_LATIN1 = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "8859", "cp819", "iso-ir-100"}


@dataclass(frozen=True)
class _Csv:
    """A register file split into records: header, ``(line, fields)`` per record, and the
    lines refused as structure errors ``(line, value, reason, hint)``."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    refused: list[tuple[int, str, str, str]]


def _read_csv(reg: RegisterInput) -> _Csv:
    """Decode and split a register by line (see :func:`_split_records`); blank lines skipped."""
    path = Path(reg.path)
    if not path.is_file():
        raise MissingInputError(
            "register file not found", path=path, hint="check the path in the config's [inputs]"
        )
    text = _decode(path, reg.encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise InputError("the file is empty (no header line)", path=path)
    header = [f.strip() for f in next(csv.reader([lines[first]], delimiter=reg.delimiter))]
    _check_header(header, lines[first], reg, path, first + 1)
    rows, refused = _split_records(lines, first + 1, reg.delimiter, len(header))
    return _Csv(header, rows, refused)


def _decode(path: Path, encoding: str) -> str:
    """The file's text in ``encoding``; refused when it holds bytes or characters that mean
    the encoding is wrong (an undecodable byte, or control characters)."""
    data = path.read_bytes()
    norm = encoding.lower().replace("_", "-")
    codec = "utf-8-sig" if norm in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = (
            'set encoding = "cp1252" (Windows/Excel exports) for this register'
            if norm in ("utf-8", "utf8")
            else "set encoding to the file's encoding for this register"
        )
        raise InputError(
            f"cannot decode the file as {encoding}: {exc.reason} at byte {exc.start}",
            path=path,
            row=line,
            hint=hint,
        ) from None
    bad = _CONTROL_RE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        char = bad.group()
        if "\x80" <= char <= "\x9f":
            hint = (
                'the file is Windows text: set encoding = "cp1252" (latin-1 turns its quotes, '
                "dashes and euro signs into control characters)"
                if norm in _LATIN1
                else 'set encoding = "cp1252" or the encoding the file was written in'
            )
        elif char == "\x00":
            hint = 'NUL bytes: the file is probably UTF-16; set encoding = "utf-16"'
        else:
            hint = "remove the control character, or set the file's real encoding"
        raise InputError(
            f"control character U+{ord(char):04X} after decoding as {encoding}: the encoding "
            "is wrong or the file is damaged",
            path=path,
            row=line,
            hint=hint,
        )
    return text


def _check_header(header: list[str], raw: str, reg: RegisterInput, path: Path, line: int) -> None:
    """Refuse a duplicated column name, and a header that another delimiter would split."""
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        if name in seen and name:
            raise InputError(
                f"column {name!r} appears twice in the header (columns {seen[name]} and {pos})",
                path=path,
                row=line,
                column=name,
                hint="rename or remove one of them; a duplicated column would silently win",
            )
        seen[name] = pos
    if len(header) > 1:
        return
    counts = {d: raw.count(d) for d in _DELIMITERS if d != reg.delimiter}
    best = max(counts, key=counts.get)
    if counts[best] > 0:
        raise InputError(
            f"the header splits into 1 column with delimiter {reg.delimiter!r} but into "
            f"{counts[best] + 1} with {best!r}",
            path=path,
            row=line,
            hint=f"set delimiter = {best!r} for this register in the config",
        )


def _split_records(
    lines: list[str], start: int, delimiter: str, n_fields: int
) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str, str, str]]]:
    """Records of ``lines[start:]`` with their 1-based line numbers.

    A line with an even number of ``"`` is one record. A line with an odd number opens a
    quoted field: the record runs to the line that closes it (at most
    :data:`MAX_RECORD_LINES`) if that gives the header's number of fields; else, if the line
    alone has the header's number of fields, the quote is text inside a field
    (``Scherm 5"``); otherwise only this line is refused (``unbalanced_quote``) and reading goes on at the next line, so
    one stray quote never swallows the rest of the file. Over-long lines are refused
    (``field_too_long``). Each data line ends up in exactly one record or refusal.
    """
    singles: list[int] = []
    blocks: list[tuple[int, int]] = []  # (first line index, end index exclusive)
    refused: list[tuple[int, str, str, str]] = []
    i, n = start, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if len(line) > MAX_LINE_CHARS:
            refused.append(_too_long(i + 1, line))
            i += 1
            continue
        if line.count('"') % 2 == 0:
            singles.append(i)
            i += 1
            continue
        end, quotes = i + 1, line.count('"')
        while end < n and end - i < MAX_RECORD_LINES and quotes % 2:
            quotes += lines[end].count('"')
            end += 1
        block = "\n".join(lines[i:end])
        if quotes % 2 == 0 and len(block) <= MAX_LINE_CHARS:
            fields = next(csv.reader([block], delimiter=delimiter))
            if len(fields) == n_fields:
                blocks.append((i, end))
                i = end
                continue
        if len(next(csv.reader([line], delimiter=delimiter))) == n_fields:
            singles.append(i)  # a stray quote inside an unquoted field: plain text
            i += 1
            continue
        refused.append(
            (
                i + 1,
                line[:200],
                "unbalanced_quote",
                'a quote (") opens a field that is not closed on this line; close it or '
                'double it ("") inside a quoted value',
            )
        )
        i += 1
    records = dict(
        zip(
            singles,
            csv.reader((lines[k] for k in singles), delimiter=delimiter),
            strict=True,
        )
    )
    for first, end in blocks:
        records[first] = next(csv.reader(["\n".join(lines[first:end])], delimiter=delimiter))
    rows = [(k + 1, records[k]) for k in sorted(records)]
    return rows, refused


def _too_long(line_no: int, line: str) -> tuple[int, str, str, str]:
    return (
        line_no,
        line[:200],
        "field_too_long",
        f"the line holds {len(line):,} characters (at most {MAX_LINE_CHARS:,} are read); "
        "a register field is short text: check the export",
    )


def _resolve_columns(
    reg: RegisterInput, spec: _Spec, header: list[str], path: Path
) -> dict[str, str]:
    """canonical name → file column, checking that every required column is present."""
    known = spec.required + spec.optional + ("x", "y")
    unknown = [c for c in reg.columns if c not in known]
    # projected x/y (in reg.xy_crs) may stand in for lat/lon
    has_xy = all(reg.columns.get(c, c) in header for c in ("x", "y"))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=2)
        raise ConfigError(
            f"[inputs.{spec.config_key}.columns]: unknown canonical name {unknown[0]!r}"
            f"{'; did you mean ' + ' or '.join(map(repr, close)) + '?' if close else ''} "
            f"(known: {', '.join(known)})"
        )
    colmap: dict[str, str] = {}
    for canonical in known:
        name = reg.columns.get(canonical, canonical)
        if name in header:
            colmap[canonical] = name
            continue
        if canonical in ("lat", "lon") and has_xy and canonical not in reg.columns:
            continue
        if canonical in spec.required or canonical in reg.columns:
            close = difflib.get_close_matches(name, header, n=2, cutoff=0.5)
            guess = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            other = [d for d in _DELIMITERS if d != reg.delimiter and any(d in h for h in header)]
            if other:
                guess += f"the header holds {other[0]!r}: set delimiter = {other[0]!r}? "
            raise InputError(
                f"column {name!r} ({canonical}) not found; the file has columns "
                f"{', '.join(header)}",
                path=path,
                column=name,
                hint=f"{guess}map it in the config: [inputs.{spec.config_key}.columns] "
                f'{canonical} = "<column name>"',
            )
    return colmap


def _street(row: Mapping[str, str]) -> str:
    street = row.get("street", "").strip()
    number = row.get("housenumber", "").strip()
    return f"{street} {number}".strip() if number else street


def _postcode(value: str) -> str:
    text = value.strip().upper()
    m = re.fullmatch(r"(\d{4})\s*([A-Z]{2})", text)
    return f"{m[1]} {m[2]}" if m else text


def _frame(
    records: list[dict[str, Any]],
    columns: list[str],
    *,
    bool_columns: tuple[str, ...] = (),
    float_columns: tuple[str, ...] = (),
) -> gpd.GeoDataFrame:
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in columns if c != "geometry"] + ["x", "y"]
    )
    frame["geometry"] = shapely.points(
        frame.pop("x").to_numpy(float), frame.pop("y").to_numpy(float)
    )
    frame = frame[columns]
    dtypes: dict[str, Any] = {c: "str" for c in columns if c not in ("geometry", "source_row")}
    dtypes.update({c: "boolean" for c in bool_columns})
    dtypes.update({c: "float64" for c in float_columns})
    dtypes["source_row"] = "int64"
    frame = frame.astype(dtypes)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD_NEW)
