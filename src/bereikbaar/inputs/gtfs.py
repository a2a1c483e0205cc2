"""Public transport timetables from a GTFS feed (a zip file or a folder).

Read like the Dutch national feed (gtfs.ovapi.nl) is shaped:

* **calendar_dates.txt only.** Which services run on a date comes from ``calendar.txt``
  (weekday pattern between start and end date) and ``calendar_dates.txt`` (exception 1 adds
  the date, 2 removes it); either file may be missing, not both.
* **Parent stations.** ``stoparea:NNN`` rows (``location_type=1``) group platforms; vehicles
  stop at platforms (``location_type`` 0 or empty). A station row's name is kept as the
  platform's ``station_name``; entrances and other location types are not read.
* **Times past 24:00.** ``25:10:00`` is 01:10 the next morning of the service day. A
  timetable for calendar day *D* (:meth:`TransitFeed.timetable`) holds the trips of service
  day *D* and the trips of *D − 1* that still run after midnight, shifted by −24 h.

Which rows count. ``rows_read`` counts the platform rows of ``stops.txt`` inside the area
plus halo (or without a usable location) and the rows of ``stop_times.txt`` of the trips
that run on the asked dates (or the day before) at such stops, or whose trip or stop is
unknown. Stops outside the area are not read (as population cells outside the area); a
trip leaving the area keeps its stops inside, with their times. Each unusable row appears
once in ``issues`` (file, 1-based line number with the header as line 1, column, value,
reason, hint), so ``rows_read == rows_used + rows_rejected``.

Why pandas and not a GTFS library: gtfs-kit reads every table of the feed with strict
dtypes (a single malformed value fails the whole file without a row number, and the
national feed's ~15 million stop times are read in full even for one day); partridge
(last release 2023) fails under pandas 3 (deprecated ``inplace``). Here every file is read
as text, in chunks, keeping only the trips of the asked dates; gtfs-kit serves as the
independent check of the service calendar in the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from bereikbaar._crs import RD_NEW, WGS84
from bereikbaar.errors import InputError, MissingInputError
from bereikbaar.inputs.report import IssueLog, ReadResult

log = logging.getLogger(__name__)

DAY_S = 86_400
_WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$"
_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True, eq=False)
class TransitFeed:
    """The usable part of a GTFS feed for some service dates.

    Attributes
    ----------
    path
        The feed read.
    dates
        The service dates asked for.
    stops
        One row per platform or stand-alone stop, in the working CRS (``crs=``, default
        EPSG:28992): ``stop_id``, ``stop_name``,
        ``station_id`` (the parent station, else the stop itself), ``station_name``,
        ``geometry``. A stop's row position is its number in ``stop_times.stop``.
    trips
        ``trip_id``, ``route_id``, ``route_short_name``, ``route_type``, ``service_id``.
        A trip's row position is its number in ``stop_times.trip``.
    stop_times
        ``trip``, ``stop`` (positions), ``stop_sequence``, ``arrival_s``, ``departure_s``
        (int64 seconds after midnight of the service day, past 86 400 after midnight),
        ``pickup``, ``drop_off`` (bool: boarding / alighting allowed; GTFS type 1 is not),
        ``row`` (line in stop_times.txt); sorted by trip and stop_sequence.
    services
        ``service_id``, ``date`` (datetime.date): the services running on each asked date
        and the day before each.
    """

    path: Path
    dates: tuple[dt.date, ...]
    stops: gpd.GeoDataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    services: pd.DataFrame

    def __len__(self) -> int:
        """Rows used: platform rows plus stop-time rows."""
        return len(self.stops) + len(self.stop_times)

    def timetable(self, date: dt.date) -> pd.DataFrame:
        """The stop times that run on calendar day ``date``, times relative to its midnight.

        Trips of service day ``date`` keep their times; trips of the day before appear with
        their times minus 24 h (so a 25:10 stop is at 01:10, and the part before midnight is
        negative). Columns ``trip`` (a trip instance: position in :attr:`trips` for the day
        itself, ``n_trips + position`` for the day before), ``stop``, ``arrival_s``,
        ``departure_s``, ``pickup``, ``drop_off``; sorted by trip and stop_sequence.
        """
        parts = []
        n_trips = len(self.trips)
        for offset_days in (0, 1):
            day = date - dt.timedelta(days=offset_days)
            sids = set(self.services.loc[self.services["date"] == day, "service_id"])
            running = self.trips["service_id"].isin(sids).to_numpy()
            st = self.stop_times[running[self.stop_times["trip"].to_numpy()]]
            shift = offset_days * DAY_S
            if offset_days:
                late = st.groupby("trip")["arrival_s"].transform("max") >= DAY_S
                st = st[late.to_numpy()]
            parts.append(
                pd.DataFrame(
                    {
                        "trip": st["trip"].to_numpy() + offset_days * n_trips,
                        "stop": st["stop"].to_numpy(),
                        "arrival_s": st["arrival_s"].to_numpy() - shift,
                        "departure_s": st["departure_s"].to_numpy() - shift,
                        "pickup": st["pickup"].to_numpy(),
                        "drop_off": st["drop_off"].to_numpy(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------- reading
def read_gtfs(
    path: str | Path,
    *,
    dates: Sequence[dt.date],
    area=None,
    halo_m: float = 0.0,
    crs: str = RD_NEW,
) -> ReadResult:
    """Read a GTFS feed (zip or folder) for some service dates.

    Parameters
    ----------
    path
        ``gtfs.zip`` or a folder holding the ``.txt`` files.
    dates
        The calendar days to route on; the trips of these days and of the day before (for
        trips running past midnight) are read.
    area
        A polygon in ``crs`` (the study area); stops farther than ``halo_m`` metres
        outside are not read. None reads every stop.
    halo_m
        Metres around ``area`` whose stops are kept (trips that cross the border).
    crs
        The working CRS the stops are converted to (default RD New, EPSG:28992).

    Returns
    -------
    ReadResult
        ``name="gtfs"``, ``data`` a :class:`TransitFeed`; issues name the file and line.

    Raises
    ------
    MissingInputError
        The feed does not exist.
    InputError
        A required file or column is missing, or no service runs on an asked date.
    """
    path = Path(path)
    if not path.exists():
        raise MissingInputError(
            "GTFS feed not found", path=path, hint="set [transit] gtfs in the config"
        )
    dates = tuple(sorted(set(dates)))
    if not dates:
        raise InputError("no service date given", path=path, hint="set [transit] service_date")
    issues = IssueLog("gtfs", path)
    with _open_feed(path) as feed:
        services = _services(feed, dates, issues)
        trips = _trips(feed, services)
        stops, n_stops_read = _stops(feed, area, halo_m, issues, crs)
        stop_times, n_st_read = _stop_times(feed, trips, stops, issues)
    used_trips = np.unique(stop_times["trip"].to_numpy())
    trips, stop_times = _renumber_trips(trips, stop_times, used_trips)
    data = TransitFeed(
        path=path,
        dates=dates,
        stops=stops.reset_index(drop=True),
        trips=trips,
        stop_times=stop_times,
        services=services,
    )
    rows_read = n_stops_read + n_st_read
    result = ReadResult("gtfs", path, data, rows_read, issues.to_frame())
    log.info(
        "%s: %d stops, %d trips, %d stop times for %s (%d rows rejected)",
        path.name,
        len(stops),
        len(trips),
        len(stop_times),
        ", ".join(d.isoformat() for d in dates),
        result.rows_rejected,
    )
    return result


class _Feed:
    """Opens the feed's text files from a zip or a folder."""

    def __init__(self, path: Path, names: dict[str, str], zf: zipfile.ZipFile | None) -> None:
        self.path = path
        self.names = names
        self.zf = zf

    def has(self, name: str) -> bool:
        return name in self.names

    def file(self, name: str) -> Path:
        return self.path / name if self.zf is None else self.path

    def read(self, name: str, columns: Sequence[str], *, required: Sequence[str] = ()):
        """Chunks of ``name`` as text (missing optional columns are empty strings); each
        chunk carries ``line_no``, the file line number (header = 1)."""
        if name not in self.names:
            raise InputError(
                f"{name} is missing from the GTFS feed",
                path=self.path,
                hint="a GTFS feed needs stops.txt, trips.txt and stop_times.txt",
            )
        member = self.names[name]
        with self.zf.open(member) if self.zf is not None else open(member, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = pd.read_csv(
                text,
                dtype=str,
                keep_default_na=False,
                chunksize=_CHUNK_ROWS,
                skipinitialspace=True,
            )
            offset = 2
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                missing = [c for c in required if c not in chunk.columns]
                if missing:
                    raise InputError(
                        f"column {missing[0]!r} is missing",
                        path=self.path,
                        column=f"{name}:{missing[0]}",
                        hint=f"{name} has columns {', '.join(chunk.columns)}",
                    )
                out = pd.DataFrame(
                    {c: chunk[c].str.strip() if c in chunk.columns else "" for c in columns},
                    index=chunk.index,
                )
                out["line_no"] = np.arange(offset, offset + len(out))
                offset += len(out)
                yield out.reset_index(drop=True)

    def read_all(self, name: str, columns: Sequence[str], *, required: Sequence[str] = ()):
        chunks = list(self.read(name, columns, required=required))
        if chunks:
            return pd.concat(chunks, ignore_index=True)
        return pd.DataFrame({c: pd.Series(dtype=str) for c in [*columns, "line_no"]})


@contextmanager
def _open_feed(path: Path) -> Iterator[_Feed]:
    if path.is_dir():
        names = {p.name: str(p) for p in path.glob("*.txt")}
        yield _Feed(path, names, None)
        return
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(
            "not a zip file", path=path, hint="give a GTFS .zip or a folder of .txt files"
        ) from exc
    with zf:
        names = {Path(n).name: n for n in zf.namelist() if n.endswith(".txt")}
        yield _Feed(path, names, zf)


# --------------------------------------------------------------------------- calendar
def _services(feed: _Feed, dates: tuple[dt.date, ...], issues: IssueLog) -> pd.DataFrame:
    """``service_id``, ``date`` for every asked date and the day before each."""
    if not feed.has("calendar.txt") and not feed.has("calendar_dates.txt"):
        raise InputError(
            "the GTFS feed has neither calendar.txt nor calendar_dates.txt",
            path=feed.path,
            hint="a feed needs at least one of them to say on which dates trips run",
        )
    days = sorted({d - dt.timedelta(days=k) for d in dates for k in (0, 1)})
    active: set[tuple[str, dt.date]] = set()
    feed_days: set[dt.date] = set()
    if feed.has("calendar.txt"):
        cal = feed.read_all(
            "calendar.txt",
            ["service_id", *_WEEKDAY_COLUMNS, "start_date", "end_date"],
            required=["service_id", "start_date", "end_date"],
        )
        active |= _calendar_active(cal, days, feed_days, issues)
    if feed.has("calendar_dates.txt"):
        cd = feed.read_all(
            "calendar_dates.txt",
            ["service_id", "date", "exception_type"],
            required=["service_id", "date", "exception_type"],
        )
        active = _apply_exceptions(cd, active, days, feed_days, issues)
    running = {d for _, d in active}
    for d in dates:
        if d not in running:
            span = (
                f"the feed runs {min(feed_days).isoformat()} to {max(feed_days).isoformat()}"
                if feed_days
                else "the feed has no valid dates"
            )
            raise InputError(
                f"no service runs on {d.isoformat()}",
                path=feed.path,
                hint=f"{span}; choose [transit] service_date within it",
            )
    rows = sorted(active)
    return pd.DataFrame({"service_id": [r[0] for r in rows], "date": [r[1] for r in rows]})


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _calendar_active(cal, days, feed_days, issues: IssueLog) -> set[tuple[str, dt.date]]:
    active = set()
    for row in cal.itertuples(index=False):
        start, end = _parse_date(row.start_date), _parse_date(row.end_date)
        flags = [getattr(row, c) for c in _WEEKDAY_COLUMNS]
        if start is None or end is None or any(f not in ("0", "1", "") for f in flags):
            bad = "start_date" if start is None else "end_date" if end is None else "weekdays"
            issues.flag(
                row.line_no,
                f"calendar.txt:{bad}",
                getattr(row, bad, ",".join(flags)),
                "unreadable_calendar",
                "dates are YYYYMMDD and weekday columns 0 or 1; the service runs only on "
                "the dates calendar_dates.txt adds",
            )
            continue
        feed_days.update((start, end))
        for d in days:
            if start <= d <= end and flags[d.weekday()] == "1":
                active.add((row.service_id, d))
    return active


def _apply_exceptions(cd, active, days, feed_days, issues: IssueLog):
    wanted = set(days)
    for row in cd.itertuples(index=False):
        d = _parse_date(row.date)
        if d is None or row.exception_type not in ("1", "2"):
            bad = "date" if d is None else "exception_type"
            issues.flag(
                row.line_no,
                f"calendar_dates.txt:{bad}",
                getattr(row, bad),
                "unreadable_calendar_date",
                "date is YYYYMMDD and exception_type 1 (added) or 2 (removed); row ignored",
            )
            continue
        feed_days.add(d)
        if d not in wanted:
            continue
        if row.exception_type == "1":
            active.add((row.service_id, d))
        else:
            active.discard((row.service_id, d))
    return active


# ----------------------------------------------------------------------- trips, stops
def _trips(feed: _Feed, services: pd.DataFrame) -> pd.DataFrame:
    """Every trip (``running`` marks those of an asked date or the day before)."""
    trips = feed.read_all(
        "trips.txt", ["trip_id", "route_id", "service_id"], required=["trip_id", "service_id"]
    )
    trips = trips.drop_duplicates("trip_id", keep="first")
    trips["running"] = trips["service_id"].isin(set(services["service_id"]))
    if feed.has("routes.txt"):
        routes = feed.read_all(
            "routes.txt", ["route_id", "route_short_name", "route_type"], required=["route_id"]
        ).drop_duplicates("route_id")
        trips = trips.merge(routes.drop(columns="line_no"), on="route_id", how="left")
    for c in ("route_short_name", "route_type"):
        if c not in trips:
            trips[c] = ""
        trips[c] = trips[c].fillna("")
    return trips.drop(columns="line_no").reset_index(drop=True)


def _stops(feed: _Feed, area, halo_m: float, issues: IssueLog, crs: str = RD_NEW):
    """Platforms and stand-alone stops inside ``area`` + halo, and how many rows were read."""
    raw = feed.read_all(
        "stops.txt",
        ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"],
        required=["stop_id", "stop_lat", "stop_lon"],
    )
    stations = raw[raw["location_type"] == "1"].drop_duplicates("stop_id")
    station_name = dict(zip(stations["stop_id"], stations["stop_name"], strict=True))
    plat = raw[raw["location_type"].isin(["", "0"])].copy()
    lat = pd.to_numeric(plat["stop_lat"].str.replace(",", ".", regex=False), errors="coerce")
    lon = pd.to_numeric(plat["stop_lon"].str.replace(",", ".", regex=False), errors="coerce")
    bad_lat = ~lat.between(-90, 90)
    bad_lon = ~lon.between(-180, 180)
    for idx in plat.index[(bad_lat | bad_lon).to_numpy()]:
        col = "stop_lat" if bad_lat[idx] else "stop_lon"
        issues.reject(
            int(plat.at[idx, "line_no"]),
            f"stops.txt:{col}",
            plat.at[idx, col],
            "bad_coordinates",
            "stop_lat and stop_lon must be decimal degrees (WGS84); fix the stop in the feed",
        )
    ok = ~(bad_lat | bad_lon)
    geom = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), index=plat.index[ok], crs=WGS84)
    geom = geom.to_crs(crs)
    inside = pd.Series(True, index=geom.index)
    if area is not None:
        zone = area.buffer(halo_m) if halo_m > 0 else area
        inside = pd.Series(geom.within(zone).to_numpy(), index=geom.index)
    keep = plat.loc[inside.index[inside.to_numpy()]]
    dup = keep["stop_id"].duplicated(keep="first")
    for r in keep[dup].itertuples(index=False):
        issues.reject(
            r.line_no,
            "stops.txt:stop_id",
            r.stop_id,
            "duplicate_stop_id",
            "stop_id must be unique; the first row with this id is used",
        )
    keep = keep[~dup]
    parent = keep["parent_station"].where(keep["parent_station"] != "", keep["stop_id"])
    stops = gpd.GeoDataFrame(
        {
            "stop_id": keep["stop_id"].to_numpy(),
            "stop_name": keep["stop_name"].to_numpy(),
            "station_id": parent.to_numpy(),
            "station_name": [
                station_name.get(p, n) for p, n in zip(parent, keep["stop_name"], strict=True)
            ],
        },
        geometry=geom.loc[keep.index].to_numpy(),
        crs=crs,
    )
    stops.attrs["rejected_ids"] = set(plat.loc[~ok, "stop_id"])
    stops.attrs["outside_ids"] = set(plat.loc[inside.index[~inside.to_numpy()], "stop_id"])
    stops.attrs["other_ids"] = set(raw.loc[~raw["location_type"].isin(["", "0"]), "stop_id"])
    n_read = int(len(plat) - (~inside).sum())
    return stops, n_read


# ------------------------------------------------------------------------- stop times
def _parse_times(text: pd.Series) -> pd.Series:
    """``H:MM:SS`` (hours may pass 24) → seconds as float, NaN when unreadable or empty.

    Each distinct text is read once (a timetable repeats its times many times).
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    parts = pd.Series(uniques, dtype=text.dtype).str.extract(_TIME_RE)
    secs = pd.to_numeric(parts[0]) * 3600 + pd.to_numeric(parts[1]) * 60 + pd.to_numeric(parts[2])
    return pd.Series(secs.astype(float).to_numpy()[codes], index=text.index)


_STOP_TIME_COLUMNS = [
    "trip_id",
    "stop_sequence",
    "stop_id",
    "arrival_time",
    "departure_time",
    "pickup_type",
    "drop_off_type",
]


def _stop_times(feed: _Feed, trips: pd.DataFrame, stops: gpd.GeoDataFrame, issues: IssueLog):
    """Usable stop times of the running trips at the kept stops, and rows read."""
    trip_pos = pd.Series(np.arange(len(trips)), index=trips["trip_id"].to_numpy())
    running = set(trips.loc[trips["running"], "trip_id"])
    known_trips = set(trips["trip_id"])
    stop_pos = pd.Series(np.arange(len(stops)), index=stops["stop_id"].to_numpy())
    outside = stops.attrs["outside_ids"]
    parts, n_read = [], 0
    for chunk in feed.read(
        "stop_times.txt",
        _STOP_TIME_COLUMNS,
        required=["trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"],
    ):
        unknown_trip = ~chunk["trip_id"].isin(known_trips)
        sel = (chunk["trip_id"].isin(running) | unknown_trip) & ~chunk["stop_id"].isin(outside)
        chunk = chunk[sel.to_numpy()]
        n_read += len(chunk)
        chunk = _reject_rows(
            chunk,
            unknown_trip[sel].to_numpy(),
            "trip_id",
            "unknown_trip",
            "the trip_id is not in trips.txt",
            issues,
        )
        chunk = _check_stops(chunk, stop_pos, stops, issues)
        chunk = _check_times(chunk, issues)
        chunk = _check_flags(chunk, issues)
        parts.append(chunk)
    st = pd.concat(parts, ignore_index=True) if parts else None
    if st is None or st.empty:
        return _empty_stop_times(), n_read
    st = _check_order(st, issues)
    out = pd.DataFrame(
        {
            "trip": trip_pos.loc[st["trip_id"].to_numpy()].to_numpy().astype(np.int64),
            "stop": stop_pos.loc[st["stop_id"].to_numpy()].to_numpy().astype(np.int64),
            "stop_sequence": st["seq"].to_numpy(),
            "arrival_s": st["arr"].to_numpy().astype(np.int64),
            "departure_s": st["dep"].to_numpy().astype(np.int64),
            "pickup": st["pickup_type"].to_numpy() != "1",
            "drop_off": st["drop_off_type"].to_numpy() != "1",
            "row": st["line_no"].to_numpy(),
        }
    )
    return out.sort_values(["trip", "stop_sequence"], kind="stable").reset_index(drop=True), n_read


def _empty_stop_times() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trip": np.zeros(0, np.int64),
            "stop": np.zeros(0, np.int64),
            "stop_sequence": np.zeros(0, np.int64),
            "arrival_s": np.zeros(0, np.int64),
            "departure_s": np.zeros(0, np.int64),
            "pickup": np.zeros(0, bool),
            "drop_off": np.zeros(0, bool),
            "row": np.zeros(0, np.int64),
        }
    )


def _reject_rows(chunk, bad, column: str, reason: str, hint: str, issues: IssueLog):
    bad = np.asarray(bad, dtype=bool)
    for r in chunk[bad].itertuples(index=False):
        issues.reject(r.line_no, f"stop_times.txt:{column}", getattr(r, column), reason, hint)
    return chunk[~bad]


def _check_stops(chunk, stop_pos, stops, issues: IssueLog):
    sid = chunk["stop_id"]
    rejected = sid.isin(stops.attrs["rejected_ids"]).to_numpy()
    chunk = _reject_rows(
        chunk,
        rejected,
        "stop_id",
        "unusable_stop",
        "the stop's row in stops.txt was rejected (see its issue)",
        issues,
    )
    other = chunk["stop_id"].isin(stops.attrs["other_ids"]).to_numpy()
    chunk = _reject_rows(
        chunk,
        other,
        "stop_id",
        "not_a_stop",
        "stop times must name a platform or stop (location_type 0), not a station or entrance",
        issues,
    )
    unknown = ~chunk["stop_id"].isin(stop_pos.index).to_numpy()
    return _reject_rows(
        chunk, unknown, "stop_id", "unknown_stop", "the stop_id is not in stops.txt", issues
    )


def _check_times(chunk, issues: IssueLog):
    chunk = chunk.copy()
    seq = pd.to_numeric(chunk["stop_sequence"], errors="coerce")
    bad_seq = (seq.isna() | (seq < 0) | (seq != seq.round())).to_numpy()
    chunk["seq"] = seq
    chunk = _reject_rows(
        chunk,
        bad_seq,
        "stop_sequence",
        "bad_stop_sequence",
        "stop_sequence must be a whole number >= 0",
        issues,
    )
    chunk["seq"] = chunk["seq"].astype(np.int64)
    arr = _parse_times(chunk["arrival_time"])
    dep = _parse_times(chunk["departure_time"])
    bad_arr = ((chunk["arrival_time"] != "") & arr.isna()).to_numpy()
    bad_dep = ((chunk["departure_time"] != "") & dep.isna()).to_numpy() & ~bad_arr
    for col, bad in (("arrival_time", bad_arr), ("departure_time", bad_dep)):
        _reject_rows(
            chunk, bad, col, "bad_time", "times are H:MM:SS, hours past 24 after midnight", issues
        )
    good = ~(bad_arr | bad_dep)
    chunk, arr, dep = chunk[good], arr[good], dep[good]
    neither = (arr.isna() & dep.isna()).to_numpy()
    chunk = _reject_rows(
        chunk,
        neither,
        "arrival_time",
        "missing_time",
        "stop times without times (interpolated stops) are not supported; "
        "give every stop its arrival and departure time",
        issues,
    )
    arr, dep = arr[~neither], dep[~neither]
    for col, own in (("arrival_time", arr), ("departure_time", dep)):
        for r in chunk[own.isna().to_numpy()].itertuples(index=False):
            issues.repair(
                r.line_no,
                f"stop_times.txt:{col}",
                "",
                "missing_time",
                "the other of arrival and departure time is used",
            )
    chunk["arr"] = arr.fillna(dep).to_numpy()
    chunk["dep"] = dep.fillna(arr).to_numpy()
    back = (chunk["dep"] < chunk["arr"]).to_numpy()
    return _reject_rows(
        chunk,
        back,
        "departure_time",
        "departs_before_arrival",
        "departure_time must not lie before arrival_time",
        issues,
    )


def _check_flags(chunk, issues: IssueLog):
    chunk = chunk.copy()
    for col in ("pickup_type", "drop_off_type"):
        bad = ~chunk[col].isin(["", "0", "1", "2", "3"])
        for r in chunk[bad.to_numpy()].itertuples(index=False):
            issues.repair(
                r.line_no,
                f"stop_times.txt:{col}",
                getattr(r, col),
                "bad_pickup_drop_off",
                "0-3 are valid (1 = not allowed); read as 0 (allowed)",
            )
        chunk.loc[bad, col] = "0"
    return chunk


def _check_order(st: pd.DataFrame, issues: IssueLog) -> pd.DataFrame:
    """Reject duplicate stop_sequence values and stops whose time lies before an earlier one."""
    st = st.sort_values(["trip_id", "seq", "line_no"], kind="stable").reset_index(drop=True)
    dup = st.duplicated(["trip_id", "seq"], keep="first").to_numpy()
    st = _reject_rows(
        st,
        dup,
        "stop_sequence",
        "duplicate_stop_sequence",
        "each stop_sequence appears once per trip; the first row is used",
        issues,
    )
    while True:
        by_trip = st.groupby("trip_id", sort=False)
        prev_dep = by_trip["dep"].shift(1).groupby(st["trip_id"], sort=False).cummax()
        back = (st["arr"] < prev_dep).to_numpy()
        if not back.any():
            return st.reset_index(drop=True)
        st = _reject_rows(
            st,
            back,
            "arrival_time",
            "time_goes_back",
            "a trip's times must not decrease along stop_sequence",
            issues,
        )


def _renumber_trips(trips: pd.DataFrame, stop_times: pd.DataFrame, used: np.ndarray):
    """Keep the trips that have stop times; renumber ``stop_times.trip`` to match."""
    kept = trips.iloc[used].drop(columns="running").reset_index(drop=True)
    new = np.full(len(trips), -1, dtype=np.int64)
    new[used] = np.arange(len(used))
    st = stop_times.copy()
    st["trip"] = new[st["trip"].to_numpy()]
    return kept, st
