"""Opening hours: OSM syntax, Dutch register texts, and the WeeklySchedule outputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereikbaar.errors import OpeningHoursError
from bereikbaar.inputs.opening_hours import (
    DAYS,
    HUISARTSENPOST_OSM,
    SUNRISE_MINUTE,
    SUNSET_MINUTE,
    WeeklySchedule,
    availability_from_text,
    parse_opening_hours,
)

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
        ("van zonsondergang tot zonsopkomst", 7 * (24 - (SUNSET_MINUTE - SUNRISE_MINUTE) / 60)),
    ],
)
def test_open_hours_per_week(text, hours):
    assert open_hours(text) == pytest.approx(hours)


def test_later_rule_overrides_only_its_days_and_keeps_the_spill_into_them():
    s = parse_opening_hours("Mo 22:00-02:00; Tu 10:00-12:00")
    assert s.is_open(1, "01:00")  # Monday's night is Monday's rule
    assert s.is_open(1, "11:00")
    assert not s.is_open(1, "22:30")
    t = parse_opening_hours("Mo-Fr 08:00-17:00; Mo 10:00-12:00")
    assert not t.is_open(0, "09:00") and t.is_open(0, "11:00") and t.is_open(1, "09:00")


def test_huisartsenpost_hours():
    s = parse_opening_hours("avond, nacht en weekend")
    assert s == parse_opening_hours(HUISARTSENPOST_OSM)
    assert s.is_open(0, "03:00")  # Monday night: the weekend runs until Monday 08:00
    assert s.is_open(2, "20:00") and s.is_open(3, "07:59")
    assert not s.is_open(2, "12:00") and not s.is_open(4, "16:59")
    assert s.is_open(4, "17:00") and s.is_open(6, "12:00")


def test_sun_times_are_the_documented_approximation():
    s = parse_opening_hours("sunset-sunrise")
    assert s == parse_opening_hours("van zonsondergang tot zonsopkomst")
    assert s.is_open(2, SUNSET_MINUTE) and not s.is_open(2, SUNSET_MINUTE - 1)
    assert s.is_open(3, SUNRISE_MINUTE - 1) and not s.is_open(3, SUNRISE_MINUTE)
    assert parse_opening_hours("sunrise-sunset").share_open == pytest.approx(1 - s.share_open)


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
    ],
)
def test_dutch_equals_osm(dutch, osm):
    assert parse_opening_hours(dutch) == parse_opening_hours(osm)


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
