"""CSV register exports: AEDs, GP practices (huisartsen) and transport hubs.

Each reader takes a :class:`~bereikbaar.config.RegisterInput` (path, delimiter, encoding and
``columns``: canonical name → column name in this file) and returns a
:class:`~bereikbaar.inputs.report.ReadResult` whose ``data`` is a GeoDataFrame in
EPSG:28992 with a ``source_row`` column (the 1-based line number in the file; the header is
line 1). Every repair, flag and rejection is in ``issues``.

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

from bereikbaar._crs import RD_NEW
from bereikbaar.config import RegisterInput
from bereikbaar.errors import ConfigError, InputError, MissingInputError, check_crs
from bereikbaar.inputs.coordinates import lat_lon_to_rd, parse_decimal, repair_lat_lon
from bereikbaar.inputs.opening_hours import AvailabilityContext, availability_from_text
from bereikbaar.inputs.report import AED_SCHEMA, IssueLog, ReadResult

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
INDOOR_VALUES = {
    "binnen": True,
    "indoor": True,
    "inside": True,
    "yes": True,
    "ja": True,
    "true": True,
    "1": True,
    "buiten": False,
    "outdoor": False,
    "outside": False,
    "no": False,
    "nee": False,
    "false": False,
    "0": False,
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
) -> ReadResult:
    """Read an AED register export.

    Canonical columns: ``lat``, ``lon`` (required); ``id``, ``name`` (location text),
    ``street``, ``housenumber``, ``postcode``, ``place``, ``gemeente``, ``availability``
    (Dutch or OSM text), ``indoor`` (``binnen``/``buiten``, indoor/outdoor, yes/no),
    ``owner`` (optional; ``owner`` is accepted but not kept).

    Parameters
    ----------
    reg
        The register and its column mapping (``cfg.inputs.aed_register``).
    study_area
        A shapely (Multi)Polygon in EPSG:28992 (or a GeoSeries/GeoDataFrame in that CRS),
        already buffered by the caller; points outside are rejected.
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
    ctx = _Reader(reg, _AED_SPEC, study_area, postcodes)
    ids_seen: dict[str, int] = {}
    records = []
    for line, row in ctx.unique_rows():
        loc = ctx.locate(line, row)
        if loc is None:
            continue
        pending = loc.pending
        raw_id = row.get("id", "").strip()
        if not raw_id:
            aed_id = f"{ctx.path.stem}:row{line}"
            pending.append((ctx.col("id"), "", "missing_id", f"no id; named {aed_id}", "flagged"))
        elif raw_id in ids_seen:
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
        else:
            aed_id = raw_id
            ids_seen[raw_id] = line
        avail = ctx.availability(line, row, pending, what="AED", context=availability_context)
        indoor = _indoor(row.get("indoor", ""))
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
                "geometry": shapely.Point(loc.x, loc.y),
            }
        )
    data = _frame(records, AED_COLUMNS, bool_columns=("indoor",))
    return ctx.result(data)


def read_gp_register(
    reg: RegisterInput,
    *,
    study_area,
    postcodes: Path | None = None,
    availability_context: AvailabilityContext | None = None,
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
    ctx = _Reader(reg, _GP_SPEC, study_area, postcodes)
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
                "geometry": shapely.Point(loc.x, loc.y),
            }
        )
    return ctx.result(_frame(records, GP_COLUMNS))


def read_hubs_register(
    reg: RegisterInput, *, study_area, postcodes: Path | None = None
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
    ctx = _Reader(reg, _HUB_SPEC, study_area, postcodes)
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
                "geometry": shapely.Point(loc.x, loc.y),
            }
        )
    return ctx.result(_frame(records, HUB_COLUMNS, float_columns=("departures_per_hour",)))


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

    def __init__(self, reg: RegisterInput, spec: _Spec, study_area, postcodes: Path | None):
        self.reg = reg
        self.spec = spec
        self.path = Path(reg.path)
        self.issues = IssueLog(spec.input, self.path)
        self.area = _area_geometry(study_area)
        self.postcodes_path = postcodes
        self._pc4: pd.DataFrame | None = None
        self.header, self.rows = _read_csv(reg)
        self.colmap = _resolve_columns(reg, spec, self.header, self.path)
        self.rows_read = len(self.rows)

    def col(self, canonical: str) -> str:
        return self.colmap.get(canonical, canonical)

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
                    f"{len(fields)} fields where the header has {len(self.header)}; "
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
        lat_col, lon_col = self.col("lat"), self.col("lon")
        res = repair_lat_lon(row["lat"], row["lon"], study_area=self.area)
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
        x, y = lat_lon_to_rd(float(pc["lat"]), float(pc["lon"]))
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
        status, schedule = availability_from_text(text, context=context)
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
            "open_hours": "" if schedule is None else schedule.to_open_hours_string(),
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

    def result(self, data: gpd.GeoDataFrame) -> ReadResult:
        result = ReadResult(
            self.spec.input, self.path, data, self.rows_read, self.issues.to_frame()
        )
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


def _area_geometry(study_area):
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(study_area, RD_NEW, what="the study area")
        study_area = study_area.union_all()
    if not isinstance(study_area, shapely.Polygon | shapely.MultiPolygon):
        raise InputError(
            f"the study area must be a (Multi)Polygon in EPSG:28992, got {type(study_area).__name__}",
            hint="pass the buffered province polygon, e.g. province.geometry.buffer(buffer_m)",
        )
    shapely.prepare(study_area)
    return study_area


def _read_csv(reg: RegisterInput) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line number, fields)`` per record; blank lines are skipped."""
    path = Path(reg.path)
    if not path.is_file():
        raise MissingInputError(
            "register file not found", path=path, hint="check the path in the config's [inputs]"
        )
    encoding = (
        "utf-8-sig" if reg.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else reg.encoding
    )
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=reg.delimiter)
            header: list[str] | None = None
            last = 0
            for fields in reader:
                start, last = last + 1, reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue
                if header is None:
                    header = [f.strip() for f in fields]
                    continue
                rows.append((start, fields))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode the file as {reg.encoding}: {exc.reason} at byte {exc.start}",
            path=path,
            hint='set encoding = "latin-1" (or the file\'s encoding) for this register',
        ) from None
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file: {exc}", path=path) from None
    if header is None:
        raise InputError("the file is empty (no header line)", path=path)
    return header, rows


def _resolve_columns(
    reg: RegisterInput, spec: _Spec, header: list[str], path: Path
) -> dict[str, str]:
    """canonical name → file column, checking that every required column is present."""
    known = spec.required + spec.optional
    unknown = [c for c in reg.columns if c not in known]
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
        if canonical in spec.required or canonical in reg.columns:
            close = difflib.get_close_matches(name, header, n=2, cutoff=0.5)
            guess = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise InputError(
                f"column {name!r} ({canonical}) not found; the file has columns "
                f"{', '.join(header)}",
                path=path,
                column=name,
                hint=f"{guess}map it in the config: [inputs.{spec.config_key}.columns] "
                f'{canonical} = "<column name>"',
            )
    return colmap


def _indoor(value: str) -> Any:
    """True/False, pd.NA when empty, None when the text is not understood."""
    text = value.strip().lower()
    if not text:
        return pd.NA
    return INDOOR_VALUES.get(text)


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
    frame = pd.DataFrame.from_records(records, columns=columns)
    dtypes: dict[str, Any] = {c: "str" for c in columns if c not in ("geometry", "source_row")}
    dtypes.update({c: "boolean" for c in bool_columns})
    dtypes.update({c: "float64" for c in float_columns})
    dtypes["source_row"] = "int64"
    frame = frame.astype(dtypes)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD_NEW)
