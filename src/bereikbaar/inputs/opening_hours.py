"""Opening hours: one parser for OSM ``opening_hours`` and Dutch register texts.

The result is a :class:`WeeklySchedule`: for each of the 7 weekdays (0 = Monday) and
each minute of the day, open or closed. Holidays, months and weeks are not modelled;
a schedule describes an ordinary week.

Supported OSM syntax (a subset of https://wiki.openstreetmap.org/wiki/Key:opening_hours)
---------------------------------------------------------------------------------------
* ``24/7``; ``off`` / ``closed``; a rule without days applies to every day.
* Days ``Mo Tu We Th Fr Sa Su``, ranges ``Mo-Fr`` (also wrapping, ``Fr-Mo``), lists ``Sa,Su``.
* Time spans ``08:00-17:00``, several spans ``08:00-12:00,13:00-17:00``, ``24:00`` as an end,
  extended ends ``18:00-26:00`` and spans past midnight ``17:00-08:00``: both spill into the
  next day (Sunday spills into Monday).
* Rules separated by ``;`` are *normal* rules: a later rule replaces what earlier rules said
  about the days it names. A rule after ``,`` that starts with days is an *additional* rule
  (``Mo-Fr 09:00-18:00, Sa 09:00-17:00``): it adds without replacing. As in
  opening_hours.js, a rule owns the spans that *start* on its days, including their spill
  into the next day; replacing Tuesday does not remove Monday's night running into Tuesday.
* ``sunrise`` / ``sunset`` (and ``dawn`` / ``dusk``) are fixed at their yearly mean clock
  times in Drenthe: sunrise 07:00, sunset 19:15 (NOAA solar formulas for 52.9°N 6.6°E over a
  year, Dutch clock time including summer time; the real times range from 05:07 to 08:46 and
  from 16:18 to 22:03). ``sunset-sunrise`` is therefore open 19:15-07:00 every night.
* ``PH`` / ``SH`` (public and school holidays) are ignored with a log message: ``PH off``
  changes nothing in an ordinary week.

Dutch register texts (rewritten to the OSM form, then parsed by the same parser)
-------------------------------------------------------------------------------
* Day names and abbreviations: ``ma di wo do vr za zo``, ``maandag`` ... ``zondag``,
  ``t/m`` and ``tot`` between days, ``en`` as a list separator; ``dagelijks``,
  ``elke dag``, ``alle dagen`` = every day; ``weekend`` = Saturday and Sunday.
* Times ``08:00``, ``08.00``, ``8:00 uur``, ``8u``, ``8 uur``; ``van 08:00 tot 17:00``.
* ``24/7``, ``24 uur per dag``, ``altijd`` (also ``altijd beschikbaar``), ``dag en nacht``.
* ``gesloten`` = off; ``feestdagen`` = PH (ignored).
* ``van zonsondergang tot zonsopkomst`` = ``sunset-sunrise`` (see the approximation above).
* ``avond, nacht en weekend`` (the hours of a *huisartsenpost*, the out-of-hours GP
  service): weekday evenings and nights from 17:00 to 08:00 the next morning, and the whole
  weekend from Friday 17:00 to Monday 08:00, i.e.
  ``Mo-Fr 00:00-08:00,17:00-24:00; Sa,Su 00:00-24:00`` (123 of 168 hours; holidays ignored).

Texts that state no hours (``op aanvraag``, ``onbekend``, empty) cannot be parsed:
:func:`parse_opening_hours` raises :class:`~bereikbaar.errors.OpeningHoursError` and
:func:`availability_from_text` returns ``("unknown", None)``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bereikbaar.errors import OpeningHoursError

log = logging.getLogger(__name__)

MINUTES_PER_DAY = 1440
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
SUNRISE_MINUTE = 7 * 60  # 07:00, yearly mean clock time in Drenthe (see module docstring)
SUNSET_MINUTE = 19 * 60 + 15  # 19:15
HUISARTSENPOST_OSM = "Mo-Fr 00:00-08:00,17:00-24:00; Sa,Su 00:00-24:00"

AvailabilityStatus = Literal["24/7", "limited", "unknown"]


# --------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class WeeklySchedule:
    """Open or closed for every minute of an ordinary week (7 × 1440 booleans).

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
    "ma": "mo",
    "di": "tu",
    "wo": "we",
    "do": "th",
    "vr": "fr",
    "za": "sa",
    "zo": "su",
    "monday": "mo",
    "tuesday": "tu",
    "wednesday": "we",
    "thursday": "th",
    "friday": "fr",
    "saturday": "sa",
    "sunday": "su",
}
_DAY_WORDS = re.compile(
    r"\b(" + "|".join(sorted(_DUTCH_DAYS, key=len, reverse=True)) + r")(?:en|s)?\.?(?=\W|$)"
)
_ALWAYS = re.compile(
    r"(24/7|24x7|24 ?(?:uur|u)(?: per dag)?(?:,? 7 dagen per week)?|altijd(?: beschikbaar| open|"
    r" toegankelijk)?|dag en nacht(?: beschikbaar)?)"
)
_HUISARTSENPOST = re.compile(
    r"avond-?,? nacht-? en weekend(?:diensten|dienst|zorg|uren)?|anw(?:-uren)?"
)


def _normalise(text: str) -> str:
    """Rewrite Dutch (and sloppy OSM) text into lower-case OSM-like tokens."""
    s = text.strip().lower()
    s = s.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s)
    s = s.rstrip(".").strip()
    if _ALWAYS.fullmatch(s):
        return "24/7"
    if _HUISARTSENPOST.fullmatch(s):
        return HUISARTSENPOST_OSM.lower()
    s = re.sub(r"zonsondergang", "sunset", s)
    s = re.sub(r"zonsop(?:komst|gang)", "sunrise", s)
    s = re.sub(r"\b(?:dagelijks|elke dag|alle dagen|daily)\b", "mo-su", s)
    s = re.sub(r"\bweekend\b", "sa-su", s)
    s = re.sub(r"\b(?:feestdag(?:en)?|feest- en gedenkdagen)\b", "ph", s)
    s = re.sub(r"\bgesloten\b", "off", s)
    s = _DAY_WORDS.sub(lambda m: _DUTCH_DAYS[m[1]], s)
    # times: 08.00 / 8h00 / 8:00 uur / 8u / 8 uur → 08:00
    s = re.sub(r"\b(\d{1,2})[.h](\d{2})\b", r"\1:\2", s)
    s = re.sub(r"\b(\d{1,2})(:\d{2})?\s*(?:uur|u)\b", lambda m: m[1] + (m[2] or ":00"), s)
    s = re.sub(r"\bt/m\b|\btot en met\b|\btot\b", "-", s)
    s = re.sub(r"\bvan\b", " ", s)
    s = re.sub(r"\ben\b", ",", s)
    s = re.sub(r"\s*-\s*", "-", s)
    s = re.sub(r"\s*,\s*", ",", s)
    return re.sub(r"\s+", " ", s).strip()


# ------------------------------------------------------------------------------ lexer
_TOKEN = re.compile(
    r"\s*(?:(?P<always>24/7)|(?P<sun>sunrise|sunset|dawn|dusk)"
    r"|(?P<time>\d{1,2}(?::\d{2})?)|(?P<day>mo|tu|we|th|fr|sa|su)\b|(?P<hol>ph|sh)\b"
    r"|(?P<off>off|closed)\b|(?P<open>open)\b|(?P<punct>[-,;:]))"
)
_SUN_MINUTE = {"sunrise": SUNRISE_MINUTE, "dawn": SUNRISE_MINUTE}


def _tokens(s: str, text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(s):
        if s[pos:].strip() == "":
            break
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            rest = s[pos:].strip()
            raise OpeningHoursError(
                f"cannot read opening hours {text!r}: unexpected {rest[:20]!r}; write OSM syntax "
                "such as 'Mo-Fr 08:00-17:00; Sa 09:00-12:00' or Dutch such as "
                "'ma-vr 08:00-17:00, za 09:00-12:00'"
            )
        kind = m.lastgroup
        value = m[kind]
        if kind == "punct":
            kind = value
        out.append((kind, value))
        pos = m.end()
    return out


def _minute(tok: tuple[str, str], text: str, *, end: bool) -> int:
    kind, value = tok
    if kind == "sun":
        return _SUN_MINUTE.get(value, SUNSET_MINUTE)
    hh, _, mm = value.partition(":")
    h, m = int(hh), int(mm or 0)
    limit = 48 if end else 24
    if m > 59 or h > limit or (h == limit and m > 0) or (not end and h == 24):
        raise OpeningHoursError(
            f"cannot read opening hours {text!r}: time {value!r} is not a valid clock time; "
            "use HH:MM between 00:00 and 24:00"
        )
    return h * 60 + m


# ----------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str]]) -> None:
        self.text = text
        self.toks = tokens
        self.i = 0
        # owned[d]: minutes from day d 00:00 to day d+1 24:00 claimed by the rules for day d
        self.owned = np.zeros((7, 2 * MINUTES_PER_DAY), dtype=bool)

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j][0] if j < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, problem: str) -> OpeningHoursError:
        return OpeningHoursError(
            f"cannot read opening hours {self.text!r}: {problem}; write OSM syntax such as "
            "'Mo-Fr 08:00-17:00; Sa 09:00-12:00' or Dutch such as 'ma-vr 08:00-17:00'"
        )

    def parse(self) -> np.ndarray:
        if not self.toks:
            raise self.fail("the text is empty")
        additional = False
        while True:
            self.rule(additional=additional)
            nxt = self.peek()
            if nxt is None:
                break
            if nxt == ";":
                self.take()
                additional = False
                if self.peek() is None:  # trailing ';'
                    break
            elif nxt == "," and self.peek(1) in ("day", "hol"):
                self.take()
                additional = True
            else:
                raise self.fail(f"unexpected {self.toks[self.i][1]!r}")
        week = np.zeros((7, MINUTES_PER_DAY), dtype=bool)
        for d in range(7):
            week[d] |= self.owned[d, :MINUTES_PER_DAY]
            week[(d + 1) % 7] |= self.owned[d, MINUTES_PER_DAY:]
        return week

    def selector(self) -> tuple[list[int] | None, bool]:
        """Days named by the rule (None = no selector) and whether holidays were named."""
        if self.peek() not in ("day", "hol"):
            return None, False
        days: list[int] = []
        holidays = False
        while True:
            kind, value = self.take()
            if kind == "hol":
                holidays = True
            else:
                first = DAYS.index(value.capitalize())
                if self.peek() == "-" and self.peek(1) == "day":
                    self.take()
                    last = DAYS.index(self.take()[1].capitalize())
                    n = (last - first) % 7 + 1
                    days.extend((first + k) % 7 for k in range(n))
                else:
                    days.append(first)
            if self.peek() == "," and self.peek(1) in ("day", "hol"):
                self.take()
                continue
            break
        if self.peek() == ":":
            self.take()
        return sorted(set(days)), holidays

    def rule(self, *, additional: bool) -> None:
        start = self.i
        days, holidays = self.selector()
        mask = np.zeros(2 * MINUTES_PER_DAY, dtype=bool)
        nxt = self.peek()
        if nxt == "always":
            self.take()
            mask[:MINUTES_PER_DAY] = True
        elif nxt == "off":
            self.take()
        elif nxt in ("time", "sun"):
            while True:
                a = _minute(self.take(), self.text, end=False)
                if self.peek() != "-" or self.peek(1) not in ("time", "sun"):
                    raise self.fail("a time needs a span such as 08:00-17:00")
                self.take()
                b = _minute(self.take(), self.text, end=True)
                if b <= a:  # past midnight: spill into the next day
                    b += MINUTES_PER_DAY
                mask[a:b] = True
                if self.peek() == "," and self.peek(1) in ("time", "sun"):
                    self.take()
                    continue
                break
            if self.peek() == "open":
                self.take()
        elif days is not None or holidays:
            if nxt == "open":
                self.take()
            mask[:MINUTES_PER_DAY] = True  # "Mo-Fr" alone: open all day
        else:
            raise self.fail("expected days, times, 24/7 or off")
        if holidays:
            rule_text = " ".join(v for _, v in self.toks[start : self.i])
            log.debug("opening hours %r: holiday part of rule %r ignored", self.text, rule_text)
            if not days:
                return
        for d in days if days is not None else range(7):
            if additional:
                self.owned[d] |= mask
            else:
                self.owned[d] = mask


def parse_opening_hours(text: str) -> WeeklySchedule:
    """Parse an OSM ``opening_hours`` value or a Dutch register text.

    Parameters
    ----------
    text
        E.g. ``"Mo-Fr 08:00-17:00; Sa 09:00-12:00"``, ``"ma-vr 08.00-17.00 uur"``,
        ``"24/7"``, ``"van zonsondergang tot zonsopkomst"`` (see the module docstring).

    Returns
    -------
    WeeklySchedule

    Raises
    ------
    OpeningHoursError
        The text states no readable hours; the message quotes it and shows the syntax.
    """
    if not isinstance(text, str):
        raise OpeningHoursError(f"cannot read opening hours {text!r}: expected text")
    normalised = _normalise(text)
    parser = _Parser(text, _tokens(normalised, text))
    return WeeklySchedule.from_array(parser.parse())


def availability_from_text(text: object) -> tuple[AvailabilityStatus, WeeklySchedule | None]:
    """``("24/7" | "limited" | "unknown", schedule or None)`` for an availability text.

    Never raises: empty, missing or unreadable texts (``"op aanvraag"``) are ``"unknown"``.
    A readable text that is never open (``"off"``) is ``"limited"`` with no open hours.
    """
    if not isinstance(text, str) or not text.strip():
        return "unknown", None
    try:
        schedule = parse_opening_hours(text)
    except OpeningHoursError as exc:
        log.debug("%s", exc)
        return "unknown", None
    return ("24/7" if schedule.is_24_7 else "limited"), schedule
