"""Opening hours: OSM syntax, Dutch register texts, and the WeeklySchedule outputs.

Expected answers are opening_hours.js's (the reference; tests/test_opening_hours_reference.py
checks the same cases against it live) for the week of Monday 2 March 2026 at 52.9 N 6.6 E.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereikbaar.errors import OpeningHoursError
from bereikbaar.inputs.opening_hours import (
    DAYS,
    HUISARTSENPOST_OSM,
    AvailabilityContext,
    WeeklySchedule,
    availability_from_text,
    dutch_to_osm,
    open_hours_mask,
    parse_opening_hours,
)

WEEK = dt.date(2026, 3, 2)

DUTCH_DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
DUTCH_DAY_NAMES = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def open_hours(text: str) -> float:
    return parse_opening_hours(text).share_open * 168


# ----------------------------------------------------------------------- hand cases
def test_night_and_weekend_rule():
    s = parse_opening_hours("Mo-Fr 17:00-08:00; Sa,Su 00:00-24:00")
    assert s.is_open(1, "03:00")  # Tuesday 03:00: Monday's night
    assert s.is_open(5, "12:00")  # Saturday noon
    assert not s.is_open(2, "12:00")  # Wednesday noon
    assert not s.is_open(0, "03:00")  # Monday 03:00: Sunday's rule ends at 24:00
    assert s.is_open(0, 17 * 60)
    # 5 nights of 15 h (Friday's spills into Saturday, which is open anyway) + 48 h,
    # minus the overlap Saturday 00:00-08:00 counted once, minus Monday 00:00-08:00
    assert open_hours("Mo-Fr 17:00-08:00; Sa,Su 00:00-24:00") == pytest.approx(115)


def test_share_open_weekdays():
    assert parse_opening_hours("ma-vr 08:00-17:00").share_open == pytest.approx(45 / 168)
    assert parse_opening_hours("Mo-Fr 08:00-17:00").share_open == pytest.approx(45 / 168)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("24/7", 168),
        ("ma-za 08:00-22:00", 6 * 14),
        ("dagelijks 07:00-23:00", 7 * 16),
        ("ma-vr 09:00-18:00, za 09:00-17:00", 5 * 9 + 8),
        ("Mo-Fr 08:00-12:00,13:00-17:00", 5 * 8),
        ("Mo-Su 08:00-17:00; We off", 6 * 9),
        ("Mo-Fr 08:00-17:00; PH off", 45),
        ("Sa,Su 10:00-14:00", 8),
        ("Fr-Mo 10:00-12:00", 4 * 2),  # wrapping day range
        ("18:00-26:00", 7 * 8),  # extended hours past midnight
        ("off", 0),
        ("avond, nacht en weekend", 5 * 15 + 48),
        ("Mo-Fr 08:00-12:00; 13:30-18:00", 5 * 4 + 7 * 4.5),  # times-only rule adds
        ("Mo-Fr 08:00-18:00, We off", 4 * 10),  # off after "," closes Wednesday
        ("10:00-11:00; 12:00-13:00", 7),  # times-only after times-only replaces
    ],
)
def test_open_hours_per_week(text, hours):
    assert open_hours(text) == pytest.approx(hours)


def test_later_rule_replaces_its_whole_day_including_the_spill_into_it():
    s = parse_opening_hours("Mo 22:00-02:00; Tu 10:00-12:00")
    assert not s.is_open(1, "01:00")  # the reference: Tuesday's rule replaces all of Tuesday
    assert s.is_open(0, "23:00") and s.is_open(1, "11:00")
    assert not s.is_open(1, "22:30")
    t = parse_opening_hours("Mo-Fr 08:00-17:00; Mo 10:00-12:00")
    assert not t.is_open(0, "09:00") and t.is_open(0, "11:00") and t.is_open(1, "09:00")
    # the reference's own case: closed Tue 00-02, open Wed 00-02 (Tuesday's own night)
    u = parse_opening_hours("22:00-02:00; Tu 12:00-14:00")
    assert not u.is_open(1, "01:00") and u.is_open(2, "01:00") and u.is_open(1, "13:00")
    assert not u.is_open(1, "23:00")


def test_a_later_rule_spill_survives_an_earlier_rule_for_the_same_day():
    s = parse_opening_hours("Mo-Th 17:00-03:00; Fr-Su 15:00-03:00")
    assert s.is_open(0, "01:00")  # Sunday's night, a later rule, runs into Monday
    assert not s.is_open(4, "01:00")  # Friday's rule replaces Thursday's night
    assert s.is_open(5, "01:00")


def test_times_only_rule_after_a_day_rule_adds_to_every_day():
    s = parse_opening_hours("Mo-Fr 08:00-12:00; 13:30-18:00")
    assert s.is_open(0, "09:00") and s.is_open(0, "14:00")  # weekday mornings stay
    assert not s.is_open(5, "09:00") and s.is_open(5, "14:00")


def test_off_after_comma_closes_its_days():
    s = parse_opening_hours("Mo-Fr 08:00-18:00, We off")
    assert not s.is_open(2, "10:00") and s.is_open(1, "10:00") and s.is_open(3, "10:00")


def test_a_comma_and_space_between_days_is_a_day_list():
    s = parse_opening_hours("Mo, We 14:30-17:00")
    assert s == parse_opening_hours("Mo,We 14:30-17:00")
    assert not s.is_open(0, "10:00")


@pytest.mark.parametrize("text", ["8-6:30", "Mo-Fr 16:00-, Sa 14:00-", "SH off", "unknown"])
def test_unreadable_osm_is_unknown_not_a_guess(text):
    assert availability_from_text(text) == ("unknown", None)


def test_huisartsenpost_hours():
    s = parse_opening_hours("avond, nacht en weekend")
    assert s == parse_opening_hours(HUISARTSENPOST_OSM)
    assert s.is_open(0, "03:00")  # Monday night: the weekend runs until Monday 08:00
    assert s.is_open(2, "20:00") and s.is_open(3, "07:59")
    assert not s.is_open(2, "12:00") and not s.is_open(4, "16:59")
    assert s.is_open(4, "17:00") and s.is_open(6, "12:00")


def noaa_sun_minutes(day: dt.date, lat: float, lon: float, *, utc_offset_h: float) -> tuple:
    """Sunrise and sunset (minutes of the local day), NOAA's general solar position formulas.

    Accurate to a few minutes (the low-precision series), hence the tolerance below.

    An independent check on the library: https://gml.noaa.gov/grad/solcalc/solareqns.PDF
    """
    gamma = 2 * np.pi / 365 * (day.timetuple().tm_yday - 1)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * np.cos(gamma)
        - 0.032077 * np.sin(gamma)
        - 0.014615 * np.cos(2 * gamma)
        - 0.040849 * np.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * np.cos(gamma)
        + 0.070257 * np.sin(gamma)
        - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma)
    )
    phi = np.radians(lat)
    cos_ha = np.cos(np.radians(90.833)) / (np.cos(phi) * np.cos(decl)) - np.tan(phi) * np.tan(decl)
    ha = np.degrees(np.arccos(cos_ha))
    noon_utc = 720 - 4 * lon - eqtime
    return tuple(noon_utc + sign * 4 * ha + utc_offset_h * 60 for sign in (-1, 1))


def test_sun_times_are_real_for_the_place_and_date():
    s = parse_opening_hours("sunset-sunrise")
    assert s == parse_opening_hours("van zonsondergang tot zonsopkomst")
    for weekday in range(7):
        day = WEEK + dt.timedelta(days=weekday)
        rise, set_ = noaa_sun_minutes(day, 52.9, 6.6, utc_offset_h=1)  # CET
        open_minutes = np.flatnonzero(~s.minutes[weekday])  # the day is closed
        assert abs(open_minutes[0] - rise) <= 4 and abs(open_minutes[-1] + 1 - set_) <= 4
    assert parse_opening_hours("sunrise-sunset").share_open == pytest.approx(1 - s.share_open)
    june = AvailabilityContext(week_start=dt.date(2026, 6, 22))
    december = AvailabilityContext(week_start=dt.date(2026, 12, 21))
    day_june = parse_opening_hours("sunrise-sunset", context=june).minutes[0].sum() / 60
    day_dec = parse_opening_hours("sunrise-sunset", context=december).minutes[0].sum() / 60
    assert 16.5 < day_june < 17.0 and 7.3 < day_dec < 7.8  # 52.9 N: ~16.8 h and ~7.5 h
    north = AvailabilityContext(week_start=dt.date(2026, 6, 22), lat=60.2, lon=24.9)
    assert parse_opening_hours("sunrise-sunset", context=north).minutes[0].sum() / 60 > 18


def test_public_holidays_are_dutch_and_dated():
    kings_day = AvailabilityContext(week_start=dt.date(2026, 4, 27))  # Koningsdag, Monday
    s = parse_opening_hours("Mo-Fr 09:00-17:00; PH off", context=kings_day)
    assert not s.is_open(0, "10:00") and s.is_open(1, "10:00")
    assert parse_opening_hours("Mo-Fr 09:00-17:00; PH off").is_open(0, "10:00")  # 2 March


def test_months_and_dates_follow_the_reference_week():
    text = "Mo-Fr 09:00-17:00; Dec 25 off; Nov-Feb Mo 10:00-12:00"
    march = parse_opening_hours(text)
    christmas = parse_opening_hours(
        text, context=AvailabilityContext(week_start=WEEK.replace(month=12, day=21))
    )
    assert march.is_open(0, "09:30") and not christmas.is_open(4, "10:00")  # Fri 25 Dec
    assert not christmas.is_open(0, "09:30") and christmas.is_open(0, "11:00")


def test_open_hours_mask_is_the_contract_string():
    mask = open_hours_mask("Mo-Fr 08:00-17:00", week_start=WEEK, lat=52.9, lon=6.6)
    assert mask == ("0" * 8 + "1" * 9 + "0" * 7) * 5 + "0" * 48
    assert open_hours_mask("op aanvraag", week_start=WEEK, lat=52.9, lon=6.6) is None
    with pytest.raises(ValueError, match="Monday"):
        open_hours_mask("24/7", week_start=dt.date(2026, 3, 3), lat=52.9, lon=6.6)


def test_hours_mask_uses_half_past():
    s = parse_opening_hours("Mo 08:45-09:15")
    assert not s.hours_mask().any()
    t = parse_opening_hours("Tu 08:00-08:31")
    mask = t.hours_mask()
    assert mask.sum() == 1 and mask[24 + 8]
    text = t.to_open_hours_string()
    assert len(text) == 168 and text[32] == "1" and text.count("1") == 1


def test_outputs_and_value_semantics():
    s = parse_opening_hours("ma-vr 08:00-17:00")
    assert s.to_open_hours_string() == ("0" * 8 + "1" * 9 + "0" * 7) * 5 + "0" * 48
    assert s.to_osm() == "Mo-Fr 08:00-17:00"
    assert parse_opening_hours("24/7").is_24_7 and parse_opening_hours("24/7").to_osm() == "24/7"
    assert not s.is_24_7
    assert s == parse_opening_hours("Mo-Fr 08:00-17:00") and len({s, WeeklySchedule.always()}) == 2
    assert WeeklySchedule.never().to_osm() == "off"
    with pytest.raises(ValueError, match="weekday"):
        s.is_open(7, "10:00")
    with pytest.raises(ValueError, match="HH:MM"):
        s.is_open(0, "25:00")


@pytest.mark.parametrize(
    ("dutch", "osm"),
    [
        ("ma-vr 08:00-17:00", "Mo-Fr 08:00-17:00"),
        ("maandag t/m vrijdag 8.00 - 17.00 uur", "Mo-Fr 08:00-17:00"),
        ("ma t/m za van 8u tot 22u", "Mo-Sa 08:00-22:00"),
        ("ma-vr 09:00-18:00, za 09:00-17:00", "Mo-Fr 09:00-18:00; Sa 09:00-17:00"),
        ("dagelijks 07:00-23:00", "Mo-Su 07:00-23:00"),
        ("za en zo 10:00-16:00", "Sa,Su 10:00-16:00"),
        ("weekend 10.00-16.00", "Sa,Su 10:00-16:00"),
        ("ma, wo en vr 09:00-12:00", "Mo,We,Fr 09:00-12:00"),
        ("ma-vr 08:00-12:00 en 13:00-17:00", "Mo-Fr 08:00-12:00,13:00-17:00"),
        ("ma-zo 08:00-20:00; zondag gesloten", "Mo-Sa 08:00-20:00"),
        ("24 uur per dag", "24/7"),
        ("altijd beschikbaar", "24/7"),
        ("van zonsopkomst tot zonsondergang", "sunrise-sunset"),
        ("24/7 beschikbaar", "24/7"),
        ("24/7 (buitenkast)", "24/7"),
        ("alle dagen 24 uur", "24/7"),
        ("24 uur per dag bereikbaar", "24/7"),
        ("via een pincode 24 uur per dag bereikbaar", "24/7"),
        ("vrij 09:00-12:00", "Fr 09:00-12:00"),
        ("Ma\u2013Vr, 9:00\u201317:00", "Mo-Fr 09:00-17:00"),
        ("ma-vr 08:00-17:00 \u00b7 za 10:00-12:00", "Mo-Fr 08:00-17:00; Sa 10:00-12:00"),
        ("ma-vr 08:00-17:00, overige tijden op aanvraag", "Mo-Fr 08:00-17:00"),
        ("ma t/m vr 8-17 uur", "Mo-Fr 08:00-17:00"),
        ("ma-vr 8.00-17.00 uur, behalve feestdagen", "Mo-Fr 08:00-17:00; PH off"),
    ],
)
def test_dutch_equals_osm(dutch, osm):
    assert parse_opening_hours(dutch) == parse_opening_hours(osm)


@pytest.mark.parametrize(
    "text",
    [
        "van 8 tot 17 uur",  # which days? office days or every day: the text does not say
        "8-17 uur",
        "ma t/m vr",  # days without hours: not 24 h
        "vrij toegankelijk",  # "vrij" here is "free", not Friday
        "tijdens openingstijden",
        "op afspraak",
    ],
)
def test_dutch_texts_without_days_or_hours_are_unknown(text):
    assert availability_from_text(text) == ("unknown", None)


def test_dutch_rewrite_leaves_osm_alone():
    assert dutch_to_osm("Mo-Fr 08:00-17:00; PH off") == ("mo-fr 08:00-17:00; ph off", False)
    assert dutch_to_osm("ma-vr 8-17 uur")[1]


@pytest.mark.parametrize(
    "text", ["op aanvraag", "", "   ", "onbekend", "Mo-Fr 08:00", "Mo-Fr 25:00-26:00"]
)
def test_unreadable_texts(text):
    assert availability_from_text(text) == ("unknown", None)
    with pytest.raises(OpeningHoursError, match="cannot read opening hours"):
        parse_opening_hours(text)


def test_availability_status():
    assert availability_from_text("24/7")[0] == "24/7"
    status, sched = availability_from_text("ma-vr 08:00-17:00")
    assert status == "limited" and sched.share_open == pytest.approx(45 / 168)
    assert availability_from_text(None) == ("unknown", None)
    assert availability_from_text(float("nan")) == ("unknown", None)


# --------------------------------------------------------------------- properties
minutes = st.integers(min_value=0, max_value=1439)


@st.composite
def day_selectors(draw) -> tuple[list[int], str, str]:
    """A set of days, rendered in OSM and Dutch (as a range or a list)."""
    if draw(st.booleans()):
        first = draw(st.integers(0, 6))
        n = draw(st.integers(1, 7))
        days = sorted({(first + k) % 7 for k in range(n)})
        last = (first + n - 1) % 7
        if n == 1:
            return days, DAYS[first], DUTCH_DAYS[first]
        return days, f"{DAYS[first]}-{DAYS[last]}", f"{DUTCH_DAYS[first]}-{DUTCH_DAYS[last]}"
    days = sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)))
    names = draw(st.sampled_from([DUTCH_DAYS, DUTCH_DAY_NAMES]))
    return days, ",".join(DAYS[d] for d in days), ", ".join(names[d] for d in days)


@st.composite
def rules(draw) -> tuple[str, str]:
    """One rule in OSM and Dutch: days plus time spans (possibly past midnight) or off."""
    _, osm_days, nl_days = draw(day_selectors())
    if draw(st.integers(0, 5)) == 0:
        return f"{osm_days} off", f"{nl_days} gesloten"
    spans = draw(st.lists(st.tuples(minutes, minutes), min_size=1, max_size=3))
    osm_t, nl_t = [], []
    for a, b in spans:
        end = "24:00" if b == 0 else f"{b // 60:02d}:{b % 60:02d}"
        osm_t.append(f"{a // 60:02d}:{a % 60:02d}-{end}")
        nl_t.append(f"{a // 60}.{a % 60:02d}-{end.replace(':', '.')}")
    return f"{osm_days} {','.join(osm_t)}", f"{nl_days} {','.join(nl_t)} uur"


@given(st.lists(rules(), min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_to_osm_round_trip(rule_list):
    text = "; ".join(osm for osm, _ in rule_list)
    schedule = parse_opening_hours(text)
    rendered = schedule.to_osm()
    assert parse_opening_hours(rendered) == schedule
    assert parse_opening_hours(rendered).to_osm() == rendered


@given(st.lists(rules(), min_size=1, max_size=4))
@settings(max_examples=200, deadline=None)
def test_dutch_forms_equal_osm(rule_list):
    osm = "; ".join(o for o, _ in rule_list)
    dutch = "; ".join(d for _, d in rule_list)
    assert parse_opening_hours(dutch) == parse_opening_hours(osm)


@given(st.lists(st.tuples(st.integers(0, 10079), st.integers(1, 600)), max_size=8))
@settings(max_examples=100, deadline=None)
def test_any_schedule_round_trips(intervals):
    arr = np.zeros(10080, dtype=bool)
    for start, length in intervals:
        arr[np.arange(start, start + length) % 10080] = True
    schedule = WeeklySchedule.from_array(arr)
    assert np.array_equal(schedule.minutes.reshape(-1), arr)
    assert parse_opening_hours(schedule.to_osm()) == schedule
    assert schedule.share_open == pytest.approx(arr.mean())
    assert schedule.hours_mask().tolist() == arr.reshape(168, 60)[:, 30].tolist()


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_availability_never_raises(text):
    status, schedule = availability_from_text(text)
    assert status in ("24/7", "limited", "unknown")
    assert (schedule is None) == (status == "unknown")


# ---------------------------------------------------------------- context plumbing
def test_reference_week_setting_must_be_a_monday():
    from bereikbaar.config import StudyArea
    from bereikbaar.errors import ConfigError

    area = StudyArea(name="x", province="Drenthe")
    assert area.reference_week_start == dt.date(2026, 3, 2)
    with pytest.raises(ConfigError, match="reference_week.*Monday"):
        StudyArea(name="x", province="Drenthe", reference_week="2026-03-03")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        StudyArea(name="x", province="Drenthe", reference_week="2 maart")


def test_osm_aeds_are_read_for_the_given_week():
    import geopandas as gpd
    import shapely

    from bereikbaar._crs import RD_NEW
    from bereikbaar.inputs.aeds import aeds_from_osm

    pois = gpd.GeoDataFrame(
        {
            "osm_type": ["n"],
            "osm_id": [1],
            "name": ["kast"],
            "opening_hours": ["sunset-sunrise"],
            "tags": ["{}"],
        },
        geometry=[shapely.Point(233_000, 557_000)],
        crs=RD_NEW,
    )
    june = AvailabilityContext(week_start=dt.date(2026, 6, 22))
    hours_march = aeds_from_osm(pois)["open_hours"].iloc[0].count("1")
    hours_june = aeds_from_osm(pois, availability_context=june)["open_hours"].iloc[0].count("1")
    assert hours_march == open_hours_mask(
        "sunset-sunrise", week_start=WEEK, lat=52.9, lon=6.6
    ).count("1")
    assert hours_june < hours_march - 7 * 4  # June nights are over 4 h shorter


def test_study_area_context_is_its_centroid_and_reference_week(cfg):
    from bereikbaar.pipeline import open_study_area

    context = open_study_area(cfg).availability_context
    assert context.week_start == cfg.study_area.reference_week_start
    assert 52.6 < context.lat < 53.2 and 6.1 < context.lon < 7.1  # inside Drenthe


@given(
    st.text(alphabet=list('MoTuWeThFrSaSuPHJanDec0123456789:-,;+|"() []/offsunrise'), max_size=40)
)
@settings(max_examples=400, deadline=None)
def test_osm_like_noise_never_raises(text):
    mask = open_hours_mask(text, week_start=WEEK, lat=52.9, lon=6.6)
    assert mask is None or (len(mask) == 168 and set(mask) <= {"0", "1"})
