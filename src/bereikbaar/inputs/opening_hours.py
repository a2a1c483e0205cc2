"""Opening hours: OSM ``opening_hours`` and Dutch register texts, for a real week.

Everything that says when an AED or service is available goes through
:func:`open_hours_mask` / :func:`availability_from_text`, evaluated for one real week (the
config's ``study_area.reference_week``) at the study area's location, in Europe/Amsterdam
local time. The result is a :class:`WeeklySchedule` (open or closed per minute, Monday
00:00 first) or *unknown*. Unknown is always preferred to a confident wrong answer.

OSM syntax
----------
Evaluated as opening_hours.js (the reference behind OSM's own tools) evaluates it; see
:mod:`bereikbaar.inputs._osm_hours` for the rule semantics (``;`` replaces the whole day
including the previous night's spill, ``,`` adds, ``||`` falls back, a times-only rule
after a day rule adds to every day, ``off`` after ``,`` closes). Months, dates, weeks
and years are matched by ``opening-hours-py`` (the Rust ``opening-hours`` crate); sunrise,
sunset, dawn and dusk come from the same crate for the location and date; ``PH`` is a
Dutch public holiday from the ``holidays`` package. Hours the reference calls *unknown*
(open ends ``18:00+``, comments without a state, ``unknown``) count as closed; a value that
is unknown all week, ``SH`` (school holidays) and anything outside the grammar are unknown.

Dutch register texts (rewritten to OSM syntax first, by :func:`dutch_to_osm`)
-----------------------------------------------------------------------------
* Days ``ma di wo do vr za zo`` (also ``vrij``), ``maandag`` ... ``zondag``; ``t/m``,
  ``tot`` and dashes (``-``, ``–``, ``—``) between days; ``en`` and ``,`` as lists;
  ``dagelijks``, ``elke dag``, ``alle dagen`` = every day; ``weekend`` = Sa,Su; a comma
  between the days and the hours (``Ma–Vr, 9:00–17:00``) is allowed.
* Times ``08:00``, ``08.00``, ``8:00 uur``, ``8u``, ``8 uur``, ``van 8 tot 17 uur``.
* ``24/7``, ``24 uur (per dag)``, ``alle dagen 24 uur``, ``altijd``, ``dag en nacht``, with
  or without ``beschikbaar`` / ``bereikbaar`` / ``toegankelijk``, ``via een pincode`` or a
  remark in brackets (``24/7 (buitenkast)``).
* ``·`` separates rules like ``;``; ``gesloten`` = off; ``feestdagen`` = PH;
  ``behalve feestdagen`` = ``PH off``; a trailing remark without hours
  (``, overige tijden op aanvraag``, ``na afspraak``) is dropped.
* ``van zonsondergang tot zonsopkomst`` = ``sunset-sunrise`` (real sun times).
* ``avond, nacht en weekend`` (the hours of a *huisartsenpost*, the out-of-hours GP
  service): ``Mo-Fr 00:00-08:00,17:00-24:00; Sa,Su 00:00-24:00`` (123 of 168 hours).

A Dutch text must name both days and hours: ``ma t/m vr`` without hours, and hours without
days (``van 8 tot 17 uur``: office hours on working days or every day? the text does not
say) are *unknown*. (OSM syntax keeps its own meaning: ``08:00-17:00`` is every day.)
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bereikbaar.errors import OpeningHoursError
from bereikbaar.inputs import _osm_hours

log = logging.getLogger(__name__)

MINUTES_PER_DAY = 1440
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HUISARTSENPOST_OSM = "Mo-Fr 00:00-08:00,17:00-24:00; Sa,Su 00:00-24:00"
DEFAULT_REFERENCE_WEEK = dt.date(2026, 3, 2)

AvailabilityStatus = Literal["24/7", "limited", "unknown"]


@dataclass(frozen=True)
class AvailabilityContext:
    """When and where opening hours are evaluated.

    Parameters
    ----------
    week_start
        The Monday that starts the reference week (local dates).
    lat, lon
        The location in degrees (WGS84) for sunrise and sunset, e.g. the study area's
        centroid.
    timezone
        IANA time zone of the local clock the hours are written in.
    """

    week_start: dt.date = DEFAULT_REFERENCE_WEEK
    lat: float = 52.9
    lon: float = 6.6
    timezone: str = "Europe/Amsterdam"

    def __post_init__(self) -> None:
        if not isinstance(self.week_start, dt.date) or self.week_start.weekday() != 0:
            raise ValueError(f"week_start {self.week_start!r} must be a date on a Monday")
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"lat {self.lat}, lon {self.lon} must be degrees (WGS84)")


DEFAULT_CONTEXT = AvailabilityContext()


# --------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class WeeklySchedule:
    """Open or closed for every minute of one week, Monday first (7 × 1440 booleans).

    Build one with :func:`parse_opening_hours` or :meth:`from_array`. Two schedules are
    equal when they are open at the same minutes. The minutes are stored packed
    (``np.packbits``), so a schedule is immutable and hashable.
    """

    packed: bytes

    @classmethod
    def from_array(cls, minutes_open: np.ndarray) -> WeeklySchedule:
        """A schedule from a boolean array of shape (7, 1440) or (10080,), Monday 00:00 first."""
        arr = np.asarray(minutes_open, dtype=bool).reshape(-1)
        if arr.size != 7 * MINUTES_PER_DAY:
            raise ValueError(f"expected 7 × 1440 = 10080 minutes, got {arr.size}")
        return cls(np.packbits(arr).tobytes())

    @classmethod
    def always(cls) -> WeeklySchedule:
        """Open all week (24/7)."""
        return cls.from_array(np.ones(7 * MINUTES_PER_DAY, dtype=bool))

    @classmethod
    def never(cls) -> WeeklySchedule:
        """Closed all week."""
        return cls.from_array(np.zeros(7 * MINUTES_PER_DAY, dtype=bool))

    @property
    def minutes(self) -> np.ndarray:
        """A read-only boolean array (7, 1440): ``minutes[weekday, minute_of_day]``."""
        bits = np.unpackbits(np.frombuffer(self.packed, dtype=np.uint8))[: 7 * MINUTES_PER_DAY]
        arr = bits.astype(bool).reshape(7, MINUTES_PER_DAY)
        arr.flags.writeable = False
        return arr

    def is_open(self, weekday: int, time: str | int) -> bool:
        """Whether it is open on ``weekday`` (0 = Monday) at ``time``.

        ``time`` is ``"HH:MM"`` or the minute of the day (0..1439).
        """
        if not 0 <= int(weekday) <= 6:
            raise ValueError(f"weekday {weekday!r} must be 0 (Monday) .. 6 (Sunday)")
        if isinstance(time, str):
            m = re.fullmatch(r"(\d{1,2}):(\d{2})", time.strip())
            if not m or int(m[1]) > 23 or int(m[2]) > 59:
                raise ValueError(f"time {time!r} must be HH:MM between 00:00 and 23:59")
            minute = int(m[1]) * 60 + int(m[2])
        else:
            minute = int(time)
            if not 0 <= minute < MINUTES_PER_DAY:
                raise ValueError(f"minute of day {time!r} must be 0..1439")
        return bool(self.minutes[int(weekday), minute])

    @property
    def share_open(self) -> float:
        """The share of the week's minutes that are open, 0..1."""
        return float(self.minutes.mean())

    @property
    def is_24_7(self) -> bool:
        """Open every minute of the week."""
        return bool(self.minutes.all())

    def hours_mask(self) -> np.ndarray:
        """168 booleans, index weekday·24 + hour; an hour is open when open at hh:30."""
        return self.minutes[:, 30::60].reshape(-1).copy()

    def to_open_hours_string(self) -> str:
        """The contract's ``open_hours``: 168 characters ``0``/``1`` (see :meth:`hours_mask`)."""
        return "".join("1" if v else "0" for v in self.hours_mask())

    def to_osm(self) -> str:
        """OSM ``opening_hours`` syntax that parses back to exactly this schedule.

        Spans never cross midnight in the output (a night is written as ``...-24:00`` on
        one day and ``00:00-...`` on the next); days with the same spans are grouped.
        """
        if self.is_24_7:
            return "24/7"
        minutes = self.minutes
        spans = [_spans(minutes[d]) for d in range(7)]
        if not any(spans):
            return "off"
        rules = []
        done: set[int] = set()
        for d in range(7):
            if d in done or not spans[d]:
                continue
            same = [e for e in range(7) if spans[e] == spans[d]]
            done.update(same)
            times = ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in spans[d])
            rules.append(f"{_day_selector(same)} {times}")
        return "; ".join(rules)

    def __repr__(self) -> str:
        return f"WeeklySchedule({self.to_osm()!r})"


def _spans(day: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Open intervals [start, end) in minutes of one day."""
    padded = np.concatenate([[False], day, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return tuple((int(a), int(b)) for a, b in zip(change[::2], change[1::2], strict=True))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day_selector(days: list[int]) -> str:
    """``[0,1,2,3,4,6]`` → ``Mo-Fr,Su`` (runs of 3+ days as ranges)."""
    parts, i = [], 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{DAYS[days[i]]}-{DAYS[days[j]]}")
        else:
            parts.extend(DAYS[days[k]] for k in range(i, j + 1))
        i = j + 1
    return ",".join(parts)


# ------------------------------------------------------------------------ Dutch → OSM
_DUTCH_DAYS = {
    "maandag": "mo",
    "dinsdag": "tu",
    "woensdag": "we",
    "donderdag": "th",
    "vrijdag": "fr",
    "zaterdag": "sa",
    "zondag": "su",
    "vrij": "fr",
    "ma": "mo",
    "di": "tu",
    "wo": "we",
    "do": "th",
    "vr": "fr",
    "za": "sa",
    "zo": "su",
}
_DAY_WORDS = re.compile(
    r"\b(" + "|".join(sorted(_DUTCH_DAYS, key=len, reverse=True)) + r")(?:en|s)?\.?(?=\W|$)"
)
_DUTCH_MARKERS = re.compile(
    r"\b(?:uur|u|van|tot|t/m|en|dagelijks|elke dag|alle dagen|weekend|gesloten|feestdag(?:en)?"
    r"|zonsondergang|zonsop(?:komst|gang)|altijd|dag en nacht|per dag|beschikbaar|bereikbaar"
    r"|toegankelijk|buitenkast|pincode|" + "|".join(_DUTCH_DAYS) + r")\b|\d\.\d\d|·"
)
_FILLER = re.compile(
    r"\((?:[^()\d]*)\)|\b(?:(?:via|met) (?:een |de )?(?:pin|toegangs)?code|beschikbaar|"
    r"bereikbaar|toegankelijk|te gebruiken|geopend)\b"
)
_ALWAYS = re.compile(
    r"(?:(?:alle dagen|dagelijks|elke dag),? )?(?:24/7|24x7|24 ?(?:uur|u)(?: per dag)?"
    r"(?:,? 7 dagen per week)?|altijd|dag en nacht)"
)
_HUISARTSENPOST = re.compile(
    r"avond-?,? nacht-? en weekend(?:diensten|dienst|zorg|uren)?|anw(?:-uren)?"
)
_REMARK = re.compile(
    r"[,;]\s*(?:en )?(?:overige tijden|buiten (?:deze|kantoor|openings)tijden)?\s*"
    r"(?:op aanvraag|na afspraak|op afspraak|in overleg|na telefonisch overleg)[^,;]*$"
)
_EXCEPT_HOLIDAYS = re.compile(
    r"[,;(]?\s*(?:behalve|uitgezonderd|m\.u\.v\.|niet op)\s+(?:op\s+)?(?:officiële\s+)?"
    r"feestdag(?:en)?\)?\s*$"
)


def _clean(text: str) -> str:
    s = text.strip().lower()
    for dash in ("\u2013", "\u2014", "\u2212"):
        s = s.replace(dash, "-")
    s = s.replace("\u00a0", " ").replace("\u00b7", ";")
    return re.sub(r"\s+", " ", s).strip().rstrip(".").strip()


def dutch_to_osm(text: str) -> tuple[str, bool]:
    """``(osm_text, was_dutch)``: a Dutch register text rewritten to OSM syntax.

    OSM syntax passes through unchanged (apart from case and dashes); ``was_dutch`` says
    whether Dutch words were found, which makes :func:`open_hours_mask` stricter (days and
    hours must both be named).
    """
    s = _clean(text)
    was_dutch = bool(_DUTCH_MARKERS.search(s))
    if not was_dutch:
        return s, False
    s = _REMARK.sub("", s)
    s = _EXCEPT_HOLIDAYS.sub("; ph off", s)
    s = re.sub(r"\s+", " ", _FILLER.sub(" ", s)).strip(" ,;")
    if _ALWAYS.fullmatch(s):
        return "24/7", True
    if _HUISARTSENPOST.fullmatch(s):
        return HUISARTSENPOST_OSM.lower(), True
    s = re.sub(r"zonsondergang", "sunset", s)
    s = re.sub(r"zonsop(?:komst|gang)", "sunrise", s)
    s = re.sub(r"\b(?:dagelijks|elke dag|alle dagen)\b", "mo-su", s)
    s = re.sub(r"\bweekend\b", "sa-su", s)
    s = re.sub(r"\b(?:feestdag(?:en)?|feest- en gedenkdagen)\b", "ph", s)
    s = re.sub(r"\bgesloten\b", "off", s)
    s = _DAY_WORDS.sub(lambda m: _DUTCH_DAYS[m[1]], s)
    s = _dutch_times(s)
    s = re.sub(r"\bt/m\b|\btot en met\b|\btot\b", "-", s)
    s = re.sub(r"\bvan\b", " ", s)
    s = re.sub(r"\ben\b", ",", s)
    s = re.sub(r"\s*-\s*", "-", s)
    s = re.sub(r"\s*,\s*", ",", s)
    s = re.sub(r"\b(mo|tu|we|th|fr|sa|su|ph),(?=\s*\d)", r"\1 ", s)  # "ma-vr, 9:00-17:00"
    return re.sub(r"\s+", " ", s).strip(), True


def _dutch_times(s: str) -> str:
    """08.00 / 8h00 / 8:00 uur / 8u / 8 uur → 08:00; a bare hour in a span gets ``:00``."""
    s = re.sub(r"\b(\d{1,2})[.h](\d{2})\b", r"\1:\2", s)
    s = re.sub(r"\b(\d{1,2})(:\d{2})?\s*(?:uur|u)\b", lambda m: m[1] + (m[2] or ":00"), s)

    def span(m: re.Match[str]) -> str:
        a = m[1] if ":" in m[1] else f"{m[1]}:00"
        b = m[2] if ":" in m[2] else f"{m[2]}:00"
        if _hm(b) <= _hm(a) and _hm(b) != 0:
            return m[0]  # "8-6:30": no Dutch text means a night like that; left unreadable
        return f"{a}-{b}"

    return re.sub(
        r"\b(\d{1,2}(?::\d{2})?)\s*(?:-|\btot\b)\s*(\d{1,2}(?::\d{2})?)(?![\d:])", span, s
    )


def _hm(value: str) -> int:
    hh, _, mm = value.partition(":")
    return int(hh) * 60 + int(mm or 0)


# ------------------------------------------------------------------------ evaluation
def _read(text: str, context: AvailabilityContext) -> tuple[np.ndarray, str]:
    """Open minutes (7, 1440) of ``text`` in the context's week; raises OpeningHoursError."""
    osm, was_dutch = dutch_to_osm(text)
    try:
        rules = _osm_hours.parse_rules(osm)
        if was_dutch:
            _check_dutch(rules)
        place = _osm_hours.Place(context.lat, context.lon, context.timezone)
        open_, unknown = _osm_hours.week_states(osm, week_start=context.week_start, place=place)
    except _osm_hours.OsmHoursError as exc:
        raise OpeningHoursError(
            f"cannot read opening hours {text!r}: {exc}; write OSM syntax such as "
            "'Mo-Fr 08:00-17:00; Sa 09:00-12:00' or Dutch such as 'ma-vr 08:00-17:00'"
        ) from exc
    if unknown.all():
        raise OpeningHoursError(
            f"cannot read opening hours {text!r}: it states no hours (unknown all week)"
        )
    return open_ & ~unknown, osm


def _check_dutch(rules: list) -> None:
    """A Dutch text must name days and hours in every rule that opens."""
    if len(rules) == 1 and rules[0].always and not rules[0].has_date:
        return
    for rule in rules:
        if not rule.meaning:
            continue
        if not rule.has_date and not _sun_only(rule):
            raise _osm_hours.OsmHoursError("hours without days (which days?)")
        if not rule.spans and not rule.always:
            raise _osm_hours.OsmHoursError("days without hours (which hours?)")


def _sun_only(rule) -> bool:
    """``van zonsondergang tot zonsopkomst``: a nightly span needs no days."""
    return bool(rule.spans) and all(
        span.start[0] == "event" and span.end is not None and span.end[0] == "event"
        for span in rule.spans
    )


@functools.lru_cache(maxsize=8192)
def _schedule(text: str, context: AvailabilityContext) -> WeeklySchedule:
    minutes, _ = _read(text, context)
    return WeeklySchedule.from_array(minutes)


def parse_opening_hours(text: str, *, context: AvailabilityContext | None = None) -> WeeklySchedule:
    """The open minutes of an OSM ``opening_hours`` value or a Dutch register text.

    Parameters
    ----------
    text
        E.g. ``"Mo-Fr 08:00-17:00; Sa 09:00-12:00"``, ``"ma-vr 08.00-17.00 uur"``,
        ``"24/7"``, ``"van zonsondergang tot zonsopkomst"`` (see the module docstring).
    context
        The week and location; default :data:`DEFAULT_CONTEXT` (the week of Monday
        2 March 2026 at 52.9 N 6.6 E, Europe/Amsterdam).

    Returns
    -------
    WeeklySchedule

    Raises
    ------
    OpeningHoursError
        The text cannot be read with confidence; the message quotes it and says why.
    """
    if not isinstance(text, str):
        raise OpeningHoursError(f"cannot read opening hours {text!r}: expected text")
    return _schedule(text, context or DEFAULT_CONTEXT)


def open_hours_mask(text: str, *, week_start: dt.date, lat: float, lon: float) -> str | None:
    """The 168-character ``0``/``1`` mask of ``text`` for one week, or None when unknown.

    Hour ``weekday·24 + h`` (Monday 00:00 = hour 0) is ``1`` when open at ``h:30``
    Europe/Amsterdam local time on that day of the week starting ``week_start`` (a Monday),
    with sun times for ``lat``, ``lon`` (degrees).
    """
    context = AvailabilityContext(week_start=week_start, lat=lat, lon=lon)
    _, schedule = availability_from_text(text, context=context)
    return None if schedule is None else schedule.to_open_hours_string()


def availability_from_text(
    text: object, *, context: AvailabilityContext | None = None
) -> tuple[AvailabilityStatus, WeeklySchedule | None]:
    """``("24/7" | "limited" | "unknown", schedule or None)`` for an availability text.

    Never raises: empty, missing or unreadable texts (``"op aanvraag"``) are ``"unknown"``.
    A readable text that is never open (``"off"``) is ``"limited"`` with no open hours.
    ``context`` is the week and location (default :data:`DEFAULT_CONTEXT`).
    """
    if not isinstance(text, str) or not text.strip():
        return "unknown", None
    try:
        schedule = parse_opening_hours(text, context=context)
    except OpeningHoursError as exc:
        log.debug("%s", exc)
        return "unknown", None
    return ("24/7" if schedule.is_24_7 else "limited"), schedule
