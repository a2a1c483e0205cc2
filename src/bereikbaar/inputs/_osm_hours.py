"""Evaluate OSM ``opening_hours`` for real dates, as the reference evaluator does.

The reference is opening_hours.js, the library behind OSM's own opening-hours tools. Its
rule semantics (how ``;``, ``,`` and ``||`` rules combine, what happens to the part of a
time span past midnight, what a comment means) are followed here exactly; the calendar
parts are taken from maintained libraries:

* wide-range selectors (months, dates, week numbers, years, ``Nov Th[4]``) are matched by
  ``opening-hours-py`` (the Rust ``opening-hours`` crate);
* sunrise, sunset, dawn and dusk for the location and date come from the same crate;
* ``PH`` (Dutch public holidays) comes from the ``holidays`` package.

Rule semantics (opening_hours.js ``getStateForDate``), per day D and minute m:

1. Rules are taken in order. A span past midnight (``22:00-02:00``) belongs to its own day
   up to 24:00; the rest is a *wrapped* rule placed right after it whose day selectors are
   shifted by one day.
2. A rule whose day selectors match D is added to D's list. A *normal* rule (after ``;``)
   with day selectors clears the list first, so it replaces everything said about D so
   far, including the previous night's spill. A rule without day selectors clears the list
   only when the rule before it had none either (``Mo-Fr 08:00-12:00; 13:30-18:00`` adds
   the afternoon to every day; ``10:00-11:00; 12:00-13:00`` keeps only 12-13). Additional
   (``,``), fallback (``||``) and wrapped rules never clear, nor do ``off`` rules.
3. The listed rules are applied in order; a rule whose time spans contain m (or that has
   none) sets the state to its own: open, closed (``off``/``closed``) or unknown
   (``unknown``, or a comment without a state). A fallback rule only applies where the
   state so far is closed. An open end (``18:00+``) is unknown until a guessed close.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

MINUTES_PER_DAY = 1440
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_WEEKDAY_WORDS = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{w: i for i, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        w: i
        for i, w in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EVENTS = ("sunrise", "sunset", "dawn", "dusk")
_STATES = ("open", "closed", "off", "unknown")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<always>24/7)
    | (?P<comment>"[^"]*")
    | (?P<fallback>\|\|)
    | (?P<time>\d{1,2}:\d{2})
    | (?P<number>\d+)
    | (?P<nth>\[[^\]]*\])
    | (?P<word>[a-z]+)
    | (?P<punct>[-,;:+()])
    )""",
    re.X,
)
_WIDE_WORDS = frozenset(_MONTHS) | {"week", "easter", "day", "days"}


class OsmHoursError(ValueError):
    """The value is not OSM syntax this evaluator reads with confidence."""


@dataclass(frozen=True)
class Place:
    """Where and when a value is evaluated: a location and its time zone."""

    lat: float
    lon: float
    timezone: str = "Europe/Amsterdam"


# ------------------------------------------------------------------------- tokens
def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, s = 0, text.lower()
    while pos < len(s) and s[pos:].strip():
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise OsmHoursError(f"unexpected {text[pos:].strip()[:20]!r}")
        kind = m.lastgroup or ""
        value = m[kind]
        if kind == "word":
            kind = _word_kind(value)
        out.append((kind, value))
        pos = m.end()
    return out


def _word_kind(word: str) -> str:
    if word in _WEEKDAY_WORDS:
        return "weekday"
    if word in ("ph", "sh"):
        return "holiday"
    if word in _EVENTS:
        return "event"
    if word in _STATES:
        return "state"
    if word in _WIDE_WORDS:
        return "wide"
    raise OsmHoursError(f"unknown word {word!r}")


# -------------------------------------------------------------------------- rules
@dataclass
class _Span:
    start: tuple  # ("min", minutes) or ("event", name, offset_min)
    end: tuple | None  # None: open end
    open_end: bool = False


@dataclass
class _Rule:
    kind: str = "normal"  # normal | additional | fallback
    weekdays: frozenset[int] | None = None
    holiday: bool = False
    wide: str = ""  # selector text for the calendar library ("" = none)
    spans: list[_Span] = field(default_factory=list)
    always: bool = False
    meaning: bool = True
    unknown: bool = False

    @property
    def has_date(self) -> bool:
        return self.weekdays is not None or self.holiday or bool(self.wide)


def _split_rules(tokens: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Cut the token list into (kind, tokens) rules at ``;``, ``||`` and rule-ending ``,``."""
    rules: list[tuple[str, list[tuple[str, str]]]] = [("normal", [])]
    for i, tok in enumerate(tokens):
        kind, value = tok
        current = rules[-1][1]
        if value == ";":
            rules.append(("normal", []))
        elif kind == "fallback":
            rules.append(("fallback", []))
        elif value == "," and _ends_rule(current, tokens[i + 1 : i + 2]):
            rules.append(("additional", []))
        else:
            current.append(tok)
    return [(k, t) for k, t in rules if t or k != "normal"]


def _ends_rule(current: list[tuple[str, str]], nxt: list[tuple[str, str]]) -> bool:
    """A ``,`` after a time span, state or comment that is followed by a new selector."""
    if not current or not nxt:
        return False
    prev_kind, prev_value = current[-1]
    after_time = prev_kind in ("time", "event", "state", "comment", "always")
    after_time = after_time or prev_value in (")", "+")
    return after_time and nxt[0][0] in ("weekday", "holiday", "wide", "number", "state", "comment")


def _parse_rule(kind: str, toks: list[tuple[str, str]]) -> _Rule:
    rule = _Rule(kind=kind)
    i = _parse_selectors(rule, toks)
    if i < len(toks) and toks[i][0] == "always":
        rule.always = True
        i += 1
    elif i < len(toks) and (toks[i][0] in ("time", "event") or toks[i][1] == "("):
        i = _parse_spans(rule, toks, i)
    has_state = False
    if i < len(toks) and toks[i][0] == "state":
        has_state = True
        state = toks[i][1]
        rule.meaning = state == "open"
        rule.unknown = state == "unknown"
        i += 1
    if i < len(toks) and toks[i][0] == "comment":
        if not has_state:
            rule.meaning, rule.unknown = False, True
        i += 1
    if i != len(toks):
        raise OsmHoursError(f"unexpected {toks[i][1]!r}")
    if not (rule.has_date or rule.spans or rule.always or has_state or rule.unknown):
        raise OsmHoursError("a rule states no days, times or state")
    return rule


def _parse_selectors(rule: _Rule, toks: list[tuple[str, str]]) -> int:
    """Read day selectors; returns the index of the first token after them."""
    i, days, wide = 0, set(), []
    while i < len(toks):
        kind, value = toks[i]
        if kind == "weekday":
            first = _WEEKDAY_WORDS[value]
            if i + 2 < len(toks) and toks[i + 1][1] == "-" and toks[i + 2][0] == "weekday":
                last = _WEEKDAY_WORDS[toks[i + 2][1]]
                days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
                i += 3
            else:
                days.add(first)
                i += 1
        elif kind == "holiday":
            if value == "sh":
                raise OsmHoursError("school holidays (SH) are not known")
            rule.holiday = True
            i += 1
        elif kind in ("wide", "nth", "number"):
            wide.append(value)
            i += 1
        elif value == ":" and i > 0:
            i += 1
        elif value in (",", "-") and i > 0 and i + 1 < len(toks):
            if toks[i + 1][0] not in ("weekday", "holiday", "wide", "number", "nth"):
                break
            if toks[i - 1][0] in ("wide", "number", "nth"):
                wide.append(value)
            i += 1
        else:
            break
    if any(k == "nth" for k, _ in toks[:i]) or wide:
        rule.wide = _wide_text(toks[:i])
    if days:
        rule.weekdays = frozenset(days)
    return i


def _wide_text(toks: list[tuple[str, str]]) -> str:
    """The whole selector in canonical spelling, for the calendar library."""
    parts: list[str] = []
    glue = False
    for kind, value in toks:
        if kind == "weekday":
            word = WEEKDAYS[_WEEKDAY_WORDS[value]].capitalize()
        elif kind == "holiday" or (kind == "wide" and value in _MONTHS):
            word = value.upper() if kind == "holiday" else value.capitalize()
        else:
            word = value
        if parts and (value in ("-", ",", ":") or kind == "nth" or glue):
            parts[-1] += word
        else:
            parts.append(word)
        glue = value in ("-", ",")
    return " ".join(parts).rstrip(":")


def _parse_spans(rule: _Rule, toks: list[tuple[str, str]], i: int) -> int:
    while True:
        start, i = _timepoint(toks, i)
        if start[0] == "min" and start[1] >= MINUTES_PER_DAY:
            raise OsmHoursError("a time range starts outside the day")
        if i < len(toks) and toks[i][1] == "+":
            rule.spans.append(_Span(start, None, open_end=True))
            i += 1
        elif i < len(toks) and toks[i][1] == "-":
            end, i = _timepoint(toks, i + 1)
            extended = i < len(toks) and toks[i][1] == "+"
            rule.spans.append(_Span(start, end))
            if extended:
                rule.spans.append(_Span(end, None, open_end=True))
                i += 1
        else:
            raise OsmHoursError("a time needs a span such as 08:00-17:00")
        if i + 1 < len(toks) and toks[i][1] == "," and toks[i + 1][0] in ("time", "event"):
            i += 1
            continue
        if i + 1 < len(toks) and toks[i][1] == "," and toks[i + 1][1] == "(":
            i += 1
            continue
        return i


def _timepoint(toks: list[tuple[str, str]], i: int) -> tuple[tuple, int]:
    if i >= len(toks):
        raise OsmHoursError("a time span ends too early")
    kind, value = toks[i]
    if kind == "time":
        hh, mm = (int(x) for x in value.split(":"))
        if mm > 59 or hh > 48:
            raise OsmHoursError(f"time {value!r} is not a clock time")
        return ("min", hh * 60 + mm), i + 1
    if kind == "event":
        return ("event", value, 0), i + 1
    if value == "(" and i + 4 < len(toks) and toks[i + 1][0] == "event":
        sign, offset, close = toks[i + 2][1], toks[i + 3], toks[i + 4][1]
        if sign in "+-" and offset[0] == "time" and close == ")":
            hh, mm = (int(x) for x in offset[1].split(":"))
            minutes = (hh * 60 + mm) * (1 if sign == "+" else -1)
            return ("event", toks[i + 1][1], minutes), i + 5
    raise OsmHoursError(f"unexpected {value!r} in a time span")


def parse_rules(text: str) -> list[_Rule]:
    """The rules of an OSM value, in order. Raises :class:`OsmHoursError`."""
    tokens = _tokens(text)
    if not tokens:
        raise OsmHoursError("the text is empty")
    rules = [_parse_rule(kind, toks) for kind, toks in _split_rules(tokens)]
    if not rules or rules[0].kind != "normal":
        raise OsmHoursError("the value starts with a separator")
    return rules


# --------------------------------------------------------------------- calendar
@functools.lru_cache(maxsize=4096)
def _wide_matches(selector: str, day: dt.date, timezone: str) -> bool:
    from opening_hours import OpeningHours

    try:
        oh = OpeningHours(selector, timezone=ZoneInfo(timezone), country="NL")
    except Exception as exc:  # opening_hours.ParserError and friends
        raise OsmHoursError(f"selector {selector!r}: {exc}") from exc
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(timezone))
    return bool(oh.is_open(noon))


@functools.lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("NL", years=year))


@functools.lru_cache(maxsize=4096)
def _sun_minutes(event: str, day: dt.date, place: Place) -> int:
    """Minute of the local day of a sun event (opening-hours-py's solar model)."""
    from opening_hours import OpeningHours, State

    tz = ZoneInfo(place.timezone)
    pair = "sunrise-sunset" if event in ("sunrise", "sunset") else "dawn-dusk"
    # a country spares the library its first-use lookup of the country at the coordinates
    # (0.13 s); a bare sun span has no holidays, so the country does not change the times
    oh = OpeningHours(pair, timezone=tz, coords=(place.lat, place.lon), country="NL")
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    for a, b, state, _ in oh.intervals(start, start + dt.timedelta(days=1)):
        if state == State.OPEN:
            moment = a if event in ("sunrise", "dawn") else b
            local = moment.astimezone(tz) if moment.tzinfo else moment
            return local.hour * 60 + local.minute
    raise OsmHoursError(f"no {event} at {place.lat}, {place.lon} on {day}")


def _day_matches(rule: _Rule, day: dt.date, place: Place) -> bool:
    if rule.wide:
        return _wide_matches(rule.wide, day, place.timezone)
    if rule.weekdays is None and not rule.holiday:
        return True
    on_weekday = rule.weekdays is not None and day.weekday() in rule.weekdays
    on_holiday = rule.holiday and day in _dutch_holidays(day.year)
    return on_weekday or on_holiday


# ------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class _Internal:
    rule: _Rule
    spans: tuple[tuple[int, int, bool], ...] | None  # None: whole day; (from, to, open_end)
    wrapped: bool


def _minute(point: tuple, day: dt.date, place: Place) -> int:
    if point[0] == "min":
        return point[1]
    return _sun_minutes(point[1], day, place) + point[2]


def _internal_rules(rules: list[_Rule], day: dt.date, place: Place) -> list[_Internal]:
    """The rules for one day's evaluation, each followed by its wrapped part (if any).

    Sun times are those of ``day`` (the day the rule is evaluated for).
    """
    out: list[_Internal] = []
    for rule in rules:
        if rule.always or not rule.spans:
            out.append(_Internal(rule, None, wrapped=False))
            continue
        own, wrap = [], []
        for span in rule.spans:
            a = _minute(span.start, day, place)
            if span.open_end:
                b = a + 8 * 60 if a >= 22 * 60 else a + 10 * 60 if a >= 17 * 60 else 1440
            else:
                b = _minute(span.end, day, place)
                if b <= a:
                    b += MINUTES_PER_DAY
            own.append((a, min(b, MINUTES_PER_DAY), span.open_end))
            if b > MINUTES_PER_DAY:
                wrap.append((0, b - MINUTES_PER_DAY, span.open_end))
        out.append(_Internal(rule, tuple(own), wrapped=False))
        if wrap:
            out.append(_Internal(rule, tuple(wrap), wrapped=True))
    return out


def _clears(internal: list[_Internal], i: int) -> bool:
    item = internal[i]
    rule = item.rule
    if item.wrapped or rule.kind != "normal" or not (rule.meaning or rule.unknown):
        return False
    if rule.has_date:
        return True
    return i > 0 and rule.meaning and not internal[i - 1].rule.has_date


def day_states(rules: list[_Rule], day: dt.date, place: Place) -> tuple[np.ndarray, np.ndarray]:
    """(open, unknown): two boolean arrays of 1440 minutes for one local day."""
    internal = _internal_rules(rules, day, place)
    matching: list[_Internal] = []
    for i, item in enumerate(internal):
        on = day - dt.timedelta(days=1) if item.wrapped else day
        if not _day_matches(item.rule, on, place):
            continue
        if _clears(internal, i):
            matching = []
        matching.append(item)
    state = np.zeros(MINUTES_PER_DAY, dtype=bool)
    unknown = np.zeros(MINUTES_PER_DAY, dtype=bool)
    for item in matching:
        _apply(item, state, unknown)
    return state, unknown


def _apply(item: _Internal, state: np.ndarray, unknown: np.ndarray) -> None:
    rule = item.rule
    spans = item.spans if item.spans is not None else ((0, MINUTES_PER_DAY, False),)
    for a, b, open_end in spans:
        where = np.zeros(MINUTES_PER_DAY, dtype=bool)
        where[a:b] = True
        if rule.kind == "fallback":
            where &= ~(state | unknown)
        state[where] = rule.meaning
        unknown[where] = rule.unknown
        if open_end and (rule.meaning or rule.unknown):
            state[where] = False
            unknown[where] = True


def week_states(text: str, *, week_start: dt.date, place: Place) -> tuple[np.ndarray, np.ndarray]:
    """(open, unknown) arrays of shape (7, 1440) for the week starting ``week_start``."""
    rules = parse_rules(text)
    days = [week_start + dt.timedelta(days=k) for k in range(7)]
    pairs = [day_states(rules, day, place) for day in days]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
