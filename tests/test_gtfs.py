"""GTFS reading: calendar_dates-only feeds, parent stations, times past 24:00, bad rows."""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from bereikbaar.errors import InputError, MissingInputError
from bereikbaar.inputs.gtfs import _parse_times, read_gtfs

WED = dt.date(2026, 3, 4)
SAT = dt.date(2026, 3, 7)


# ------------------------------------------------------------------- the test feed
@pytest.fixture(scope="module")
def synth_zip(synth_dir):
    return synth_dir / "gtfs_drenthe_synth.zip"


@pytest.fixture(scope="module")
def synth(synth_zip):
    return read_gtfs(synth_zip, dates=[WED, SAT])


def test_feed_without_calendar_txt_is_read(synth_zip, synth):
    assert "calendar.txt" not in {n.split("/")[-1] for n in zipfile.ZipFile(synth_zip).namelist()}
    feed = synth.data
    assert synth.rows_read == synth.rows_used + synth.rows_rejected
    assert len(feed.trips) > 0 and len(feed.stop_times) > 0
    # every stop time's stop and trip exist, and times never decrease along a trip
    assert feed.stop_times["stop"].between(0, len(feed.stops) - 1).all()
    st_ = feed.stop_times
    same = st_["trip"].to_numpy()[1:] == st_["trip"].to_numpy()[:-1]
    assert (st_["arrival_s"].to_numpy()[1:][same] >= st_["departure_s"].to_numpy()[:-1][same]).all()


def test_services_match_gtfs_kit(synth_zip, synth):
    """The service calendar, checked against gtfs-kit's own reading of the same feed."""
    gk = pytest.importorskip("gtfs_kit")
    ref = gk.read_feed(synth_zip, dist_units="m")
    feed = synth.data
    for day in (WED, SAT, WED - dt.timedelta(days=1)):
        sids = set(feed.services.loc[feed.services["date"] == day, "service_id"])
        ours = set(feed.trips.loc[feed.trips["service_id"].isin(sids), "trip_id"])
        theirs = set(ref.get_trips(day.strftime("%Y%m%d"))["trip_id"])
        assert ours == theirs and ours


def test_parent_stations_name_their_platforms(synth_zip, synth):
    with zipfile.ZipFile(synth_zip) as zf, zf.open("stops.txt") as fh:
        raw = pd.read_csv(fh, dtype=str)
    stations = raw[raw["location_type"] == "1"].set_index("stop_id")["stop_name"]
    stops = synth.data.stops
    with_parent = stops[stops["station_id"] != stops["stop_id"]]
    assert len(with_parent) > 0
    assert (with_parent["station_name"] == stations.loc[with_parent["station_id"]].to_numpy()).all()
    assert not stops["stop_id"].isin(stations.index).any()  # stations are not boarding points


def test_times_past_midnight_move_to_the_next_day(synth_zip, synth):
    feed = synth.data
    late = feed.stop_times[feed.stop_times["arrival_s"] >= 86_400]
    assert len(late) > 0, "the test feed runs past midnight"
    day = WED  # Tuesday's late trips appear on Wednesday, 24 h earlier
    tt = feed.timetable(day)
    prev_sids = set(feed.services.loc[feed.services["date"] == day - dt.timedelta(1), "service_id"])
    prev_late = late[feed.trips["service_id"].to_numpy()[late["trip"]].astype(str) != ""]
    prev_late = prev_late[
        feed.trips["service_id"].iloc[prev_late["trip"]].isin(prev_sids).to_numpy()
    ]
    shifted = tt[tt["trip"] >= len(feed.trips)]
    assert len(shifted) > 0
    want = np.sort(prev_late["arrival_s"].to_numpy() - 86_400)
    got = np.sort(shifted["arrival_s"].to_numpy())
    assert set(want) <= set(got) and (got >= -86_400).all()


def test_clipping_keeps_the_stops_inside_and_counts_rows(synth_zip, synth):
    stops = synth.data.stops
    x0, y0, x1, y1 = stops.total_bounds
    half = shapely.box(x0, y0, (x0 + x1) / 2, y1)
    clipped = read_gtfs(synth_zip, dates=[WED], area=half, halo_m=1000)
    inside = clipped.data.stops.within(half.buffer(1000))
    assert inside.all() and 0 < len(clipped.data.stops) < len(stops)
    assert clipped.rows_read == clipped.rows_used + clipped.rows_rejected


# ---------------------------------------------------------------- a hand-made feed
def _write_feed(folder, *, stop_times, calendar=None, calendar_dates=None, stops=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stops.txt").write_text(
        stops
        or "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "sa:1,Station A,52.99,6.56,1,\n"
        "a1,Station A,52.9901,6.5601,0,sa:1\n"
        "b,B,52.95,6.60,,\n"
        "c,C,52.90,6.65,0,\n"
        "bad,Bad,52;9,6.6,0,\n"
    )
    (folder / "trips.txt").write_text(
        "route_id,service_id,trip_id\nr1,wk,t1\nr1,wk,t2\nr1,sat,t3\n"
    )
    (folder / "routes.txt").write_text("route_id,route_short_name,route_type\nr1,12,3\n")
    (folder / "stop_times.txt").write_text(stop_times)
    if calendar is not None:
        (folder / "calendar.txt").write_text(calendar)
    if calendar_dates is not None:
        (folder / "calendar_dates.txt").write_text(calendar_dates)
    return folder


ST_HEADER = "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\n"
CAL = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "wk,1,1,1,1,1,0,0,20260301,20260331\n"
    "sat,0,0,0,0,0,1,0,20260301,20260331\n"
)


def test_bad_rows_are_rejected_with_file_row_and_reason(tmp_path):
    st_text = ST_HEADER + (
        "t1,07:00:00,07:00:00,a1,1,0,0\n"  # row 2 ok
        "t1,07:10:00,07:11:00,b,2,0,0\n"  # row 3 ok
        "t1,7:2x:00,07:20:00,c,3,0,0\n"  # row 4 bad time
        "t1,07:30:00,07:30:00,nowhere,4,0,0\n"  # row 5 unknown stop
        "t2,25:10:00,25:10:00,a1,1,0,0\n"  # row 6 ok, past midnight
        "t2,25:05:00,25:05:00,b,2,0,0\n"  # row 7 goes back in time
        "t2,25:30:00,25:30:00,c,3,9,0\n"  # row 8 bad pickup (repaired)
        "t2,25:40:00,25:40:00,bad,4,0,0\n"  # row 9 its stop was rejected
        "ghost,08:00:00,08:00:00,b,1,0,0\n"  # row 10 unknown trip
        "t1,07:40:00,07:40:00,sa:1,5,0,0\n"  # row 11 a station, not a platform
        "t1,,,c,6,0,0\n"  # row 12 no times
    )
    folder = _write_feed(tmp_path / "feed", stop_times=st_text, calendar=CAL)
    res = read_gtfs(folder, dates=[WED])
    rej = res.issues[res.issues["action"] == "rejected"].set_index("row")
    assert (
        rej.loc[4, "reason"] == "bad_time" and rej.loc[4, "column"] == "stop_times.txt:arrival_time"
    )
    assert rej.loc[5, "reason"] == "unknown_stop"
    assert rej.loc[7, "reason"] == "time_goes_back"
    assert rej.loc[9, "reason"] == "unusable_stop"
    assert rej.loc[10, "reason"] == "unknown_trip"
    assert rej.loc[11, "reason"] == "not_a_stop"
    assert rej.loc[12, "reason"] == "missing_time"
    bad_stop = res.issues[res.issues["file"].str.endswith("feed") & (res.issues["row"] == 6)]
    assert set(bad_stop["column"]) >= {"stops.txt:stop_lat"}
    repaired = res.issues[res.issues["action"] == "repaired"]
    assert list(repaired["row"]) == [8] and repaired["reason"].iloc[0] == "bad_pickup_drop_off"
    # platforms a1, b, c + 4 usable stop times; read = 4 platform rows + 11 stop-time rows
    assert res.rows_used == 3 + 4
    assert res.rows_read == res.rows_used + res.rows_rejected == 4 + 11
    t2 = res.data.stop_times[
        res.data.trips["trip_id"].to_numpy()[res.data.stop_times["trip"]] == "t2"
    ]
    assert list(t2["arrival_s"]) == [25 * 3600 + 600, 25 * 3600 + 1800]


def test_calendar_and_calendar_dates_combine(tmp_path):
    st_text = ST_HEADER + (
        "t1,07:00:00,07:00:00,a1,1,0,0\nt1,07:10:00,07:10:00,b,2,0,0\n"
        "t3,10:00:00,10:00:00,b,1,0,0\nt3,10:20:00,10:20:00,c,2,0,0\n"
    )
    cd = "service_id,date,exception_type\nwk,20260304,2\nsat,20260304,1\n"
    folder = _write_feed(tmp_path / "f", stop_times=st_text, calendar=CAL, calendar_dates=cd)
    feed = read_gtfs(folder, dates=[WED, dt.date(2026, 3, 5)]).data
    on_wed = set(feed.services.loc[feed.services["date"] == WED, "service_id"])
    on_thu = set(feed.services.loc[feed.services["date"] == dt.date(2026, 3, 5), "service_id"])
    assert on_wed == {"sat"} and on_thu == {"wk"}
    assert set(feed.timetable(WED)["trip"]) == {
        int(np.flatnonzero(feed.trips["trip_id"] == "t3")[0])
    }


def test_a_feed_without_any_calendar_or_outside_its_dates_says_how_to_fix(tmp_path):
    st_text = ST_HEADER + "t1,07:00:00,07:00:00,a1,1,0,0\nt1,07:10:00,07:10:00,b,2,0,0\n"
    folder = _write_feed(tmp_path / "nocal", stop_times=st_text)
    with pytest.raises(InputError, match="neither calendar.txt nor calendar_dates.txt"):
        read_gtfs(folder, dates=[WED])
    folder = _write_feed(tmp_path / "cal", stop_times=st_text, calendar=CAL)
    with pytest.raises(InputError, match="2026-03-01 to 2026-03-31"):
        read_gtfs(folder, dates=[dt.date(2026, 5, 6)])
    with pytest.raises(MissingInputError):
        read_gtfs(tmp_path / "missing.zip", dates=[WED])


@given(st.integers(0, 47), st.integers(0, 59), st.integers(0, 59), st.booleans())
def test_times_parse_hours_past_24(h, m, s, pad):
    text = f"{h:02d}:{m:02d}:{s:02d}" if pad else f" {h}:{m:02d}:{s:02d}"
    got = _parse_times(pd.Series([text]))[0]
    assert got == h * 3600 + m * 60 + s


@given(st.text(max_size=10))
def test_garbage_times_are_nan_or_valid(text):
    got = _parse_times(pd.Series([text]))[0]
    parts = text.strip().split(":")
    valid = (
        len(parts) == 3
        and all(p.isascii() and p.isdigit() for p in parts)
        and 1 <= len(parts[0]) <= 3
        and len(parts[1]) == len(parts[2]) == 2
        and int(parts[1]) < 60
        and int(parts[2]) < 60
    )
    assert np.isnan(got) != valid


@given(st.lists(st.sampled_from(["08:00:00", "25:01:02", "", "x:1", " 7:05:09"]), max_size=30))
def test_times_of_a_column_with_repeats_match_each_time_alone(texts):
    # each distinct text is parsed once and spread back: the same seconds, row by row
    index = pd.RangeIndex(100, 100 + len(texts))
    got = _parse_times(pd.Series(texts, index=index, dtype="str"))
    assert list(got.index) == list(index)
    expected = {"08:00:00": 28800.0, "25:01:02": 90062.0, " 7:05:09": 25509.0}
    for text, value in zip(texts, got, strict=True):
        if text in expected:
            assert value == expected[text]
        else:
            assert np.isnan(value)
