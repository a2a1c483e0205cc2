"""Settings: frozen dataclasses, read from a study-area TOML file.

A study area (``data/drenthe.toml``) names its inputs, the travel profiles and the
settings of each analysis. Input paths in the TOML are relative to a *data root*:

1. the ``data_dir`` argument (the CLI's ``--data-dir``), else
2. the environment variable ``BEREIKBAAR_DATA``, else
3. ``../shared/data`` beside the checkout (looked for next to the config file's project
   and the working directory and their parents), else
4. the folder of the config file.

Unknown keys are an error that names the key and the valid ones, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime
import difflib
import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bereikbaar.errors import ConfigError

DATA_ENV = "BEREIKBAAR_DATA"
CACHE_ENV = "BEREIKBAAR_CACHE"
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


# ---------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class RegisterInput:
    """A CSV register export and how its columns map onto bereikbaar's names.

    ``columns`` maps a canonical name (``id``, ``lat``, ``lon``, ``name``, ``postcode``,
    ``availability``, ...) to the column name in this file, so another region's export
    is read by changing the TOML, not the code. A register with projected coordinates maps
    ``x`` and ``y`` instead of ``lat``/``lon``; ``xy_crs`` names their CRS (default RD New,
    EPSG:28992, as in Dutch exports; e.g. ``"EPSG:2056"`` for Swiss LV95).
    """

    path: Path
    columns: Mapping[str, str] = field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8"
    xy_crs: str = "EPSG:28992"


@dataclass(frozen=True)
class Inputs:
    """Where every input lives (paths already resolved against the data root)."""

    osm: Path
    boundaries: Path
    population: Path
    aed_register: RegisterInput | None = None
    gp_register: RegisterInput | None = None
    hubs_register: RegisterInput | None = None
    postcodes: Path | None = None
    sources_note: str = ""


@dataclass(frozen=True)
class StudyArea:
    """The province (or other region) and how municipalities are found in the boundaries.

    ``buffer_m``: AED register points farther than this outside the province are rejected
    (GP and hub registers reach as far as the largest network halo). ``crs``: the metric
    working CRS of every input, network and output; None chooses it from the province's
    centroid (``bereikbaar.network.working_crs_for``): RD New (EPSG:28992) in the
    Netherlands, else the local UTM zone (see ``StudyAreaData.crs``).
    ``reference_week``: the Monday (``"YYYY-MM-DD"``) of the week in which opening hours are
    evaluated (sun times, public holidays, months). The default, 2 March 2026, is an
    ordinary week: no public or school holidays in the Netherlands, before summer time.
    """

    name: str
    province: str
    municipality_layer: str = "gemeente_gegeneraliseerd"
    province_layer: str = "provincie_gegeneraliseerd"
    buffer_m: float = 10_000.0
    reference_week: str = "2026-03-02"
    crs: str | None = None

    def __post_init__(self) -> None:
        self.reference_week_start  # noqa: B018 (validates the setting)

    @property
    def reference_week_start(self) -> datetime.date:
        """``reference_week`` as a date (a Monday)."""
        try:
            day = datetime.date.fromisoformat(self.reference_week)
        except (TypeError, ValueError):
            day = None
        if day is None or day.weekday() != 0:
            raise ConfigError(
                f"study_area reference_week: {self.reference_week!r} must be a Monday written "
                'as "YYYY-MM-DD", e.g. reference_week = "2026-03-02"'
            )
        return day


@dataclass(frozen=True)
class PopulationSettings:
    """How CBS privacy codes in the population grid are imputed.

    CBS publishes cells with 1–4 residents as ``-99997`` ("geheim"). By default such a
    cell counts 2.5 residents (the mean of 1..4) and 0.5 residents 65+.
    """

    privacy_code: int = -99997
    privacy_residents: float = 2.5
    privacy_residents_65_plus: float = 0.5


# --------------------------------------------------------------------------- network
@dataclass(frozen=True)
class TravelProfile:
    """A way of travelling over one of the three networks.

    ``network`` is ``walk``, ``bike`` or ``drive``. Walk and bike profiles have a fixed
    speed (``speed_kmh``); drive profiles use the edge's ``maxspeed`` or the default per
    road class, multiplied by ``delay_factor`` (>1 slows down, e.g. rural junctions).
    """

    name: str
    network: Literal["walk", "bike", "drive"]
    speed_kmh: float | None = None
    delay_factor: float = 1.0
    label: str = ""

    @property
    def speed_mps(self) -> float | None:
        return None if self.speed_kmh is None else self.speed_kmh / 3.6


@dataclass(frozen=True)
class NetworkSettings:
    """Network building, snapping and caching."""

    max_snap_m: float = 500.0
    halo_walk_m: float = 2_000.0
    halo_bike_m: float = 10_000.0
    halo_drive_m: float = 30_000.0
    cache_dir: Path | None = None
    drive_speeds_kmh: Mapping[str, float] = field(
        default_factory=lambda: {
            "motorway": 100.0,
            "motorway_link": 60.0,
            "trunk": 80.0,
            "trunk_link": 50.0,
            "primary": 80.0,
            "primary_link": 50.0,
            "secondary": 60.0,
            "secondary_link": 40.0,
            "tertiary": 50.0,
            "tertiary_link": 40.0,
            "unclassified": 50.0,
            "residential": 30.0,
            "living_street": 15.0,
            "service": 20.0,
            "track": 15.0,
            "road": 30.0,
        }
    )

    def resolved_cache_dir(self) -> Path:
        """The cache folder: the setting, else ``$BEREIKBAAR_CACHE``, else ~/.cache/bereikbaar."""
        if self.cache_dir is not None:
            return Path(self.cache_dir)
        if os.environ.get(CACHE_ENV):
            return Path(os.environ[CACHE_ENV])
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        return base / "bereikbaar"


# ------------------------------------------------------------------------ hartveilig
@dataclass(frozen=True)
class Moment:
    """A named moment in the week, e.g. weekday 14:00 (``day="Mo"``, ``time="14:00"``)."""

    name: str
    day: str
    time: str
    label: str = ""

    def __post_init__(self) -> None:
        if self.day not in WEEKDAYS:
            raise ConfigError(f"moment {self.name!r}: day {self.day!r} must be one of {WEEKDAYS}")
        hh, _, mm = self.time.partition(":")
        if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
            raise ConfigError(f"moment {self.name!r}: time {self.time!r} must be HH:MM")

    @property
    def weekday(self) -> int:
        """0 = Monday ... 6 = Sunday."""
        return WEEKDAYS.index(self.day)

    @property
    def minute_of_day(self) -> int:
        hh, _, mm = self.time.partition(":")
        return int(hh) * 60 + int(mm)


DEFAULT_MOMENTS = (
    Moment("weekday_day", "We", "14:00", "Werkdag 14:00"),
    Moment("weekday_evening", "We", "20:00", "Werkdag 20:00"),
    Moment("night", "We", "03:00", "Nacht 03:00"),
    Moment("sunday", "Su", "11:00", "Zondag 11:00"),
)


#: Share of registered responders near home by hour of the day (0 = 00:00–01:00): at home
#: at night, partly away (work, school) by day. An assumption to calibrate with HartslagNu data.
DEFAULT_RESPONDER_PRESENCE: tuple[float, ...] = (
    (0.9,) * 7 + (0.7,) + (0.5,) * 9 + (0.7,) + (0.85,) * 5 + (0.9,)
)


@dataclass(frozen=True)
class ResponderSettings:
    """Citizen responders for ``hartveilig.model = "responder"`` (see
    :mod:`bereikbaar.responder`; every default and its source is in ``data/drenthe.toml``).

    ``presence_by_hour`` has 24 values (hour of the day, every day alike) or 168 (hour of
    the week, Monday 00:00 = 0), each the share of registered responders near home.
    """

    share_of_residents: float = 0.015
    presence_by_hour: tuple[float, ...] = DEFAULT_RESPONDER_PRESENCE
    alert_radius_m: float = 1000.0
    acceptance: float = 0.3
    alert_delay_min: float = 1.0
    setoff_delay_min: float = 0.0
    via_aed_share: float = 2.0 / 3.0
    walk_share: float = 0.5
    walk_speed_mps: float = 1.8
    bike_speed_mps: float = 3.1
    white_spot_probability: float = 0.5
    source: str = (
        "speeds: dispatched lay responders measured by GPS (Resuscitation 2020), 1,8 m/s low "
        "(dense areas) and 3,1 m/s high (sparse areas), reaction time included; via-AED share "
        "2/3 (HartslagNu dispatch); share registered, presence and acceptance are assumptions "
        "to calibrate with HartslagNu data"
    )


@dataclass(frozen=True)
class HartveiligSettings:
    """AED coverage settings (see :mod:`bereikbaar.hartveilig` for the models)."""

    model: Literal["fetch", "route", "radius", "responder"] = "fetch"
    budget_min: float = 6.0
    alert_delay_min: float = 1.0
    responder_profile: str = "aed_responder"
    route_profile: str = "walk"
    route_max_min: float = 3.0
    radius_m: float = 500.0
    unknown_availability: Literal["closed", "open"] = "closed"
    merge_distance_m: float = 25.0
    moments: tuple[Moment, ...] = DEFAULT_MOMENTS
    n_proposals: int = 10
    candidate_kinds: tuple[str, ...] = (
        "community_centre",
        "school",
        "supermarket",
        "church",
        "sports",
    )
    candidate_street_nodes: bool = False
    weight_65_plus: float = 0.0
    relocate_k: int = 5
    approximate_aeds: Literal["exclude", "include"] = "exclude"
    sensitivity_speeds_mps: tuple[float, ...] = (1.8, 2.3, 3.1)
    sensitivity_source: str = (
        "low, median and high speed of dispatched lay responders bringing an AED, measured "
        "by GPS (Resuscitation 2020): 1,8 m/s dense areas, 2,3 m/s median, 3,1 m/s sparse areas"
    )
    responders: ResponderSettings = ResponderSettings()


# -------------------------------------------------------------------------- dorpshub
@dataclass(frozen=True)
class Norm:
    """A travel-time norm: ``service`` reachable within ``max_min`` by ``profile``."""

    service: str
    profile: str
    max_min: float
    min_departures_per_hour: float | None = None
    source: str = ""


@dataclass(frozen=True)
class DorpshubSettings:
    """Village access settings (see :mod:`bereikbaar.dorpshub`)."""

    place_kinds: tuple[str, ...] = ("town", "village", "hamlet")
    village_profile: str = "bike"
    village_max_min: float = 10.0
    village_max_min_by_place: Mapping[str, float] = field(
        default_factory=lambda: {"city": 25.0, "town": 20.0}
    )
    profiles: tuple[str, ...] = ("walk", "bike", "ebike", "car")
    services: tuple[str, ...] = (
        "gp",
        "huisartsenpost",
        "supermarket",
        "school",
        "pharmacy",
        "station",
        "bus_hub",
        "hospital",
    )
    norms: tuple[Norm, ...] = ()
    hub_k: int = 3
    hub_profile: str = "ebike"
    hub_max_min: float = 10.0
    hub_min_departures_per_hour: float = 2.0
    what_if_village: str | None = None
    #: With a GTFS feed: the key services of the ``ov_reach`` hub choice (each needs an
    #: ``ov`` norm); empty turns that method off.
    hub_ov_services: tuple[str, ...] = ("huisartsenpost", "hospital", "station")


# --------------------------------------------------------------------------- transit
@dataclass(frozen=True)
class TransitWindow:
    """A window of departure minutes, e.g. weekday 07:00–09:00 (``day="We"``).

    Every minute from ``start`` up to (not including) ``end`` is a departure time; the day
    is taken in the week of :attr:`TransitSettings.service_date`.
    """

    name: str
    day: str
    start: str
    end: str
    label: str = ""

    def __post_init__(self) -> None:
        if self.day not in WEEKDAYS:
            raise ConfigError(
                f"transit window {self.name!r}: day {self.day!r} must be one of {WEEKDAYS}"
            )
        for key in ("start", "end"):
            hh, _, mm = getattr(self, key).partition(":")
            if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) <= 24 and 0 <= int(mm) < 60):
                raise ConfigError(
                    f"transit window {self.name!r}: {key} {getattr(self, key)!r} must be HH:MM"
                )
        if self.end_s <= self.start_s:
            raise ConfigError(
                f"transit window {self.name!r}: end {self.end} must lie after start {self.start}"
            )

    @property
    def weekday(self) -> int:
        """0 = Monday ... 6 = Sunday."""
        return WEEKDAYS.index(self.day)

    @property
    def start_s(self) -> int:
        hh, _, mm = self.start.partition(":")
        return int(hh) * 3600 + int(mm) * 60

    @property
    def end_s(self) -> int:
        hh, _, mm = self.end.partition(":")
        return int(hh) * 3600 + int(mm) * 60


#: The profile name of public transport in Dorpshub norms; it is not a road profile (it
#: needs a GTFS feed, ``[transit] gtfs``) and norms with it are skipped without one.
OV_PROFILE = "ov"

DEFAULT_WINDOWS = (
    TransitWindow("weekday_morning", "We", "07:00", "09:00", "Werkdag 07:00–09:00"),
    TransitWindow("saturday", "Sa", "10:00", "12:00", "Zaterdag 10:00–12:00"),
    TransitWindow("weekday_evening", "We", "19:00", "21:00", "Werkdag 19:00–21:00"),
)


@dataclass(frozen=True)
class TransitSettings:
    """Public transport (ov) from a GTFS feed (see :mod:`bereikbaar.transit`).

    ``service_date`` (``YYYY-MM-DD``) picks the timetable week: each window's ``day`` is
    that weekday in the Monday–Sunday week of the date. Walking legs (to the stop, between
    stops, from the stop) use ``walk_profile`` over the walk network. Dorpshub's ``ov``
    minutes and norms use ``norm_statistic`` (``p05``/``p50``/``p95`` over the departure
    minutes) of ``norm_window``.
    """

    gtfs: Path | None = None
    service_date: str = ""
    windows: tuple[TransitWindow, ...] = DEFAULT_WINDOWS
    walk_profile: str = "walk"
    max_access_walk_m: float = 1_200.0
    max_transfer_walk_m: float = 400.0
    min_transfer_min: float = 2.0
    max_transfers: int = 3
    max_travel_min: float = 180.0
    halo_m: float = 15_000.0
    norm_window: str = "weekday_morning"
    norm_statistic: Literal["p05", "p50", "p95"] = "p50"

    def __post_init__(self) -> None:
        names = [w.name for w in self.windows]
        if self.norm_window not in names:
            raise ConfigError(
                f"[transit] norm_window {self.norm_window!r} must name one of the windows "
                f"({', '.join(names)})"
            )


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True)
class Config:
    """A whole study-area configuration."""

    study_area: StudyArea
    inputs: Inputs
    profiles: Mapping[str, TravelProfile]
    network: NetworkSettings = NetworkSettings()
    population: PopulationSettings = PopulationSettings()
    hartveilig: HartveiligSettings = HartveiligSettings()
    dorpshub: DorpshubSettings = DorpshubSettings()
    transit: TransitSettings = TransitSettings()
    data_root: Path = Path(".")
    source: Path | None = None

    def profile(self, name: str) -> TravelProfile:
        """The travel profile ``name``; a clear error lists the known profiles."""
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(
                f"unknown travel profile {name!r}; known profiles: {', '.join(self.profiles)}"
                f"{_did_you_mean(name, self.profiles)}"
            ) from None

    def replace(self, **changes: Any) -> Config:
        """A copy with top-level fields replaced (``cfg.replace(hartveilig=...)``), validated."""
        return validate_config(dataclasses.replace(self, **changes), where="replace()")

    def with_hartveilig(self, **changes: Any) -> Config:
        """A copy with Hartveilig settings changed, e.g. ``cfg.with_hartveilig(budget_min=8)``;
        the new settings are validated like the TOML's."""
        new = dataclasses.replace(self, hartveilig=dataclasses.replace(self.hartveilig, **changes))
        return validate_config(new, where="with_hartveilig()")

    def with_dorpshub(self, **changes: Any) -> Config:
        """A copy with Dorpshub settings changed (validated like the TOML's)."""
        new = dataclasses.replace(self, dorpshub=dataclasses.replace(self.dorpshub, **changes))
        return validate_config(new, where="with_dorpshub()")


# ------------------------------------------------------------------------ validation
#: Service kinds the Dorpshub analysis can measure (``dorpshub.services``, norm services):
#: the OSM kinds the pipeline passes on plus the GP and hub registers' kinds. Add a kind
#: here when the pipeline starts to supply it.
SERVICE_KINDS: tuple[str, ...] = (
    "gp",
    "huisartsenpost",
    "supermarket",
    "school",
    "pharmacy",
    "hospital",
    "station",
    "bus_hub",
    "bus_stop",
)
#: POI kinds the OSM reader knows (``bereikbaar.inputs.osm.KINDS``; a test keeps them equal);
#: ``hartveilig.candidate_kinds`` must be among them.
POI_KINDS: tuple[str, ...] = (
    "aed",
    "gp",
    "huisartsenpost",
    "hospital",
    "station",
    "bus_hub",
    "bus_stop",
    "supermarket",
    "school",
    "pharmacy",
    "community_centre",
    "church",
    "sports",
    "place",
)

#: OSM ``place=*`` values that name a settlement (``dorpshub.place_kinds`` must be among them).
PLACE_KINDS: tuple[str, ...] = (
    "city",
    "town",
    "village",
    "hamlet",
    "isolated_dwelling",
    "farm",
    "suburb",
    "quarter",
    "neighbourhood",
    "borough",
    "locality",
)

#: Range of every numeric setting, in one table: section → field → (comparison, bound).
#: A field not listed here is not range-checked; ``None`` values (optional) are skipped.
#: Mapping and list fields (``drive_speeds_kmh``, ``sensitivity_speeds_mps``) are checked
#: value by value.
RANGE_RULES: dict[type, dict[str, tuple[str, float]]] = {
    StudyArea: {"buffer_m": (">=", 0)},
    PopulationSettings: {"privacy_residents": (">=", 0), "privacy_residents_65_plus": (">=", 0)},
    TravelProfile: {"speed_kmh": (">", 0), "delay_factor": (">", 0)},
    NetworkSettings: {
        "max_snap_m": (">", 0),
        "halo_walk_m": (">=", 0),
        "halo_bike_m": (">=", 0),
        "halo_drive_m": (">=", 0),
        "drive_speeds_kmh": (">", 0),
    },
    HartveiligSettings: {
        "budget_min": (">", 0),
        "alert_delay_min": (">=", 0),
        "route_max_min": (">", 0),
        "radius_m": (">", 0),
        "merge_distance_m": (">=", 0),
        "n_proposals": (">=", 0),
        "weight_65_plus": (">=", 0),
        "relocate_k": (">=", 0),
        "sensitivity_speeds_mps": (">", 0),
    },
    ResponderSettings: {
        "share_of_residents": (">=", 0),
        "alert_radius_m": (">", 0),
        "acceptance": (">=", 0),
        "alert_delay_min": (">=", 0),
        "setoff_delay_min": (">=", 0),
        "via_aed_share": (">=", 0),
        "walk_share": (">=", 0),
        "walk_speed_mps": (">", 0),
        "bike_speed_mps": (">", 0),
        "white_spot_probability": (">", 0),
    },
    Norm: {"max_min": (">", 0), "min_departures_per_hour": (">=", 0)},
    DorpshubSettings: {
        "village_max_min": (">", 0),
        "village_max_min_by_place": (">", 0),
        "hub_k": (">=", 0),
        "hub_max_min": (">", 0),
        "hub_min_departures_per_hour": (">=", 0),
    },
}


def validate_config(cfg: Config, *, where: str = "config") -> Config:
    """Check every setting of ``cfg`` against :data:`RANGE_RULES` and the name rules.

    Raises :class:`~bereikbaar.errors.ConfigError` naming the key and the fix; returns
    ``cfg`` unchanged when everything holds. Called by :func:`config_from_dict` and by the
    ``with_*`` copies, so a notebook's override is checked like the TOML.
    """
    sections = [
        ("study_area", cfg.study_area),
        ("population", cfg.population),
        ("network", cfg.network),
        ("hartveilig", cfg.hartveilig),
        ("hartveilig.responders", cfg.hartveilig.responders),
        ("dorpshub", cfg.dorpshub),
        *[(f"profiles.{n}", p) for n, p in cfg.profiles.items()],
        *[(f"dorpshub.norms[{i}]", n) for i, n in enumerate(cfg.dorpshub.norms)],
    ]
    for key, section in sections:
        _check_ranges(section, key, where)
        _check_choices(section, key, where)
    _check_crs_setting(cfg.study_area.crs, where)
    for key in ("aed_register", "gp_register", "hubs_register"):
        reg = getattr(cfg.inputs, key)
        if reg is not None:
            _check_register(reg, f"inputs.{key}", where)
    _check_names(cfg, where)
    _check_profile_references(cfg, where)
    _check_combinations(cfg, where)
    return cfg


def _check_ranges(section: Any, key: str, where: str) -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(section)}
    for name, (op, bound) in RANGE_RULES.get(type(section), {}).items():
        value = getattr(section, name)
        if isinstance(value, Mapping):
            items = [(f".{k}", v) for k, v in value.items()]
        elif isinstance(value, tuple | list):
            items = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            items = [(None, value)]
        for sub, v in items:
            if v is None:
                continue
            full = f"{key}.{name}{sub or ''}"
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if ok and (v > bound if op == ">" else v >= bound):
                continue
            default = defaults.get(name)
            example = (
                f" (default {default})" if isinstance(default, int | float) and sub is None else ""
            )
            raise ConfigError(
                f"{where}: {full} = {v!r} must be a number {op} {bound:g}; "
                f"set {full} to a number {op} {bound:g}{example}"
            )


def _check_choices(section: Any, key: str, where: str) -> None:
    """Fields typed ``Literal[...]`` hold one of their values, also after ``with_*``."""
    hints = typing.get_type_hints(type(section))
    for f in dataclasses.fields(section):
        hint = hints.get(f.name)
        if typing.get_origin(hint) is not Literal:
            continue
        value = getattr(section, f.name)
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(
                f"{where}: {key}.{f.name} = {value!r} must be one of "
                f"{', '.join(map(repr, choices))}{_did_you_mean(str(value), choices)}"
            )


def _check_crs_setting(crs: str | None, where: str, *, key: str = "study_area.crs") -> None:
    """``study_area.crs`` (or ``key``) must name a projected CRS in metres pyproj knows."""
    if crs is None:
        return
    import pyproj

    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise ConfigError(
            f"{where}: {key} = {crs!r} is not a CRS pyproj knows; give an EPSG code "
            'such as "EPSG:32632" (bereikbaar.network.working_crs_for(lon, lat) names the '
            "local UTM zone)"
        ) from None
    units = {a.unit_name for a in parsed.axis_info}
    if not parsed.is_projected or units != {"metre"}:
        raise ConfigError(
            f"{where}: {key} = {crs!r} is not a projected CRS in metres; distances "
            'need one, e.g. the local UTM zone "EPSG:32632"'
        )


def _check_register(reg: RegisterInput, key: str, where: str) -> None:
    if len(reg.delimiter) != 1 or reg.delimiter in ('"', "\r", "\n"):
        raise ConfigError(
            f"{where}: {key}.delimiter = {reg.delimiter!r} must be exactly one character "
            '(not a quote or newline); e.g. delimiter = ";" or delimiter = ","'
        )
    try:
        codecs.lookup(reg.encoding)
    except LookupError:
        raise ConfigError(
            f"{where}: {key}.encoding = {reg.encoding!r} is not an encoding Python knows"
            f'{_did_you_mean(reg.encoding, _COMMON_ENCODINGS)}; use e.g. "utf-8", '
            '"cp1252" (Windows/Excel exports) or "latin-1"'
        ) from None
    _check_crs_setting(reg.xy_crs, where, key=f"inputs.{key}.xy_crs")


_COMMON_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "utf-16")


def _check_names(cfg: Config, where: str) -> None:
    hv, dh = cfg.hartveilig, cfg.dorpshub
    seen: set[str] = set()
    for i, moment in enumerate(hv.moments):
        if moment.name in seen:
            raise ConfigError(
                f"{where}: hartveilig.moments[{i}] repeats the name {moment.name!r}; "
                "give every moment its own name"
            )
        seen.add(moment.name)
    named = [
        *[(f"dorpshub.services[{i}]", s, SERVICE_KINDS) for i, s in enumerate(dh.services)],
        *[
            (f"dorpshub.norms[{i}].service", n.service, SERVICE_KINDS)
            for i, n in enumerate(dh.norms)
        ],
        *[
            (f"hartveilig.candidate_kinds[{i}]", k, POI_KINDS)
            for i, k in enumerate(hv.candidate_kinds)
        ],
        *[(f"dorpshub.place_kinds[{i}]", k, PLACE_KINDS) for i, k in enumerate(dh.place_kinds)],
        *[
            (f"dorpshub.hub_ov_services[{i}]", s, SERVICE_KINDS)
            for i, s in enumerate(dh.hub_ov_services)
        ],
    ]
    if not dh.place_kinds:
        raise ConfigError(
            f"{where}: dorpshub.place_kinds is empty; name the OSM place kinds that count as "
            'villages, e.g. place_kinds = ["town", "village", "hamlet"]'
        )
    for key, name, known in named:
        if name not in known:
            raise ConfigError(
                f"{where}: {key} = {name!r} is not a known kind{_did_you_mean(name, known)} "
                f"(known: {', '.join(known)})"
            )


def _check_combinations(cfg: Config, where: str) -> None:
    """Rules between settings: the fetch model's spare time, one norm per service and mode."""
    hv = cfg.hartveilig
    if hv.model == "fetch" and hv.budget_min <= hv.alert_delay_min:
        raise ConfigError(
            f"{where}: hartveilig.budget_min = {hv.budget_min!r} must exceed "
            f"hartveilig.alert_delay_min = {hv.alert_delay_min!r} (the fetch model leaves "
            "budget_min - alert_delay_min for fetching the AED); raise budget_min or lower "
            "alert_delay_min"
        )
    seen: dict[tuple[str, str], int] = {}
    for i, norm in enumerate(cfg.dorpshub.norms):
        first = seen.setdefault((norm.service, norm.profile), i)
        if first != i:
            raise ConfigError(
                f"{where}: dorpshub.norms[{i}] repeats dorpshub.norms[{first}] (service "
                f"{norm.service!r}, profile {norm.profile!r}); keep one norm per service and "
                "profile"
            )
    # with a feed and ov norms, every key service of the ov_reach hubs needs an ov norm
    # (without any ov norm the method is simply off)
    ov_norms = {n.service for n in cfg.dorpshub.norms if n.profile == OV_PROFILE}
    missing = [s for s in cfg.dorpshub.hub_ov_services if s not in ov_norms]
    if cfg.transit.gtfs is not None and ov_norms and missing:
        raise ConfigError(
            f"{where}: dorpshub.hub_ov_services names {missing[0]!r}, which has no ov norm; add "
            f'a [[dorpshub.norms]] with service = "{missing[0]}" and profile = "ov", or leave '
            f"it out of hub_ov_services (an empty list turns the ov_reach hub choice off)"
        )


def find_default_data_root(*starts: Path) -> Path | None:
    """Find ``shared/data`` beside a checkout: ``<dir>/../shared/data`` for each start dir
    and its parents. Returns None when there is none."""
    seen: set[Path] = set()
    for start in starts:
        start = Path(start).resolve()
        for d in (start, *start.parents):
            if d in seen:
                continue
            seen.add(d)
            candidate = d.parent / "shared" / "data"
            if candidate.is_dir():
                return candidate
    return None


def resolve_data_root(data_dir: str | Path | None = None, config_path: Path | None = None) -> Path:
    """The data root, by the rules in this module's docstring."""
    if data_dir is not None:
        root = Path(data_dir)
        if not root.is_dir():
            raise ConfigError(f"data folder {root} does not exist (given with --data-dir)")
        return root.resolve()
    if os.environ.get(DATA_ENV):
        root = Path(os.environ[DATA_ENV])
        if not root.is_dir():
            raise ConfigError(f"data folder {root} from ${DATA_ENV} does not exist")
        return root.resolve()
    starts = [Path.cwd()]
    if config_path is not None:
        starts.insert(0, Path(config_path).resolve().parent)
    found = find_default_data_root(*starts)
    if found is not None:
        return found
    if config_path is not None:
        return Path(config_path).resolve().parent
    return Path.cwd()


def load_config(path: str | Path, *, data_dir: str | Path | None = None) -> Config:
    """Read a study-area TOML file into a :class:`Config`.

    Parameters
    ----------
    path
        The TOML file, e.g. ``data/drenthe.toml``.
    data_dir
        Overrides the data root (see the module docstring).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; try --config data/drenthe.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    root = resolve_data_root(data_dir, path)
    return config_from_dict(raw, data_root=root, source=path)


def config_from_dict(
    raw: Mapping[str, Any], *, data_root: Path, source: Path | None = None
) -> Config:
    """Build a :class:`Config` from a parsed TOML mapping (paths relative to ``data_root``)."""
    where = source.name if source else "config"
    raw = dict(raw)
    _check_keys(
        raw,
        {f.name for f in dataclasses.fields(Config)} - {"data_root", "source"},
        where,
    )
    for required in ("study_area", "inputs", "profiles"):
        if required not in raw:
            raise ConfigError(f"{where}: section [{required}] is missing")

    inputs = _build_inputs(dict(raw["inputs"]), where, data_root)
    profiles = {
        name: _build_profile(name, dict(spec), where)
        for name, spec in dict(raw["profiles"]).items()
    }

    network_raw = dict(raw.get("network", {}))
    if "cache_dir" in network_raw:
        network_raw["cache_dir"] = Path(network_raw["cache_dir"]).expanduser()
    if "drive_speeds_kmh" in network_raw:
        merged = dict(NetworkSettings().drive_speeds_kmh)
        merged.update(network_raw["drive_speeds_kmh"])
        network_raw["drive_speeds_kmh"] = merged

    cfg = Config(
        study_area=_build(StudyArea, dict(raw["study_area"]), f"{where} [study_area]"),
        inputs=inputs,
        profiles=profiles,
        network=_build(NetworkSettings, network_raw, f"{where} [network]"),
        population=_build(
            PopulationSettings, dict(raw.get("population", {})), f"{where} [population]"
        ),
        hartveilig=_build(
            HartveiligSettings, dict(raw.get("hartveilig", {})), f"{where} [hartveilig]"
        ),
        dorpshub=_build(DorpshubSettings, dict(raw.get("dorpshub", {})), f"{where} [dorpshub]"),
        transit=_build(
            TransitSettings,
            _resolved(raw.get("transit", {}), "gtfs", data_root),
            f"{where} [transit]",
        ),
        data_root=data_root,
        source=source,
    )
    return validate_config(cfg, where=where)


def _build_inputs(inputs_raw: dict[str, Any], where: str, data_root: Path) -> Inputs:
    """``[inputs]`` with its paths resolved against ``data_root`` and the registers built."""

    def resolve(p: str | None) -> Path | None:
        if p is None:
            return None
        q = Path(p).expanduser()
        return q if q.is_absolute() else data_root / q

    for key in ("aed_register", "gp_register", "hubs_register"):
        if key in inputs_raw:
            reg = dict(inputs_raw[key])
            _check_keys(
                reg, {f.name for f in dataclasses.fields(RegisterInput)}, f"{where} [inputs.{key}]"
            )
            if "path" not in reg:
                raise ConfigError(f"{where} [inputs.{key}]: 'path' is missing")
            reg["path"] = resolve(reg["path"])
            inputs_raw[key] = _build(RegisterInput, reg, f"{where} [inputs.{key}]")
    for key in ("osm", "boundaries", "population", "postcodes"):
        if key in inputs_raw:
            inputs_raw[key] = resolve(inputs_raw[key])
    return _build(Inputs, inputs_raw, f"{where} [inputs]")


def _build_profile(name: str, spec: dict[str, Any], where: str) -> TravelProfile:
    """``[profiles.<name>]``; ``speed_mps`` (the responder literature's unit) becomes km/h."""
    if "speed_mps" in spec:
        if "speed_kmh" in spec:
            raise ConfigError(f"{where} [profiles.{name}]: give speed_kmh or speed_mps, not both")
        speed_mps = _convert(spec.pop("speed_mps"), float, f"{where} [profiles.{name}] speed_mps")
        if not (math.isfinite(speed_mps) and speed_mps > 0):  # name the key the user wrote
            key = f"profiles.{name}.speed_mps"
            raise ConfigError(
                f"{where}: {key} = {speed_mps!r} must be a number > 0; set {key} to a number > 0"
            )
        spec["speed_kmh"] = speed_mps * 3.6
    prof = _build(TravelProfile, {"name": name, **spec}, f"{where} [profiles.{name}]")
    if prof.network not in ("walk", "bike", "drive"):
        raise ConfigError(
            f"{where} [profiles.{name}]: network {prof.network!r} must be walk, bike or drive"
        )
    if prof.network != "drive" and prof.speed_kmh is None:
        raise ConfigError(
            f"{where} [profiles.{name}]: a {prof.network} profile needs a speed; "
            "set speed_kmh (e.g. 5.0) or speed_mps"
        )
    return prof


def _resolved(raw: Mapping[str, Any], key: str, data_root: Path) -> dict[str, Any]:
    """``raw`` with the path under ``key`` resolved against the data root."""
    raw = dict(raw)
    if raw.get(key) is not None:
        q = Path(raw[key]).expanduser()
        raw[key] = q if q.is_absolute() else data_root / q
    return raw


def _check_profile_references(cfg: Config, where: str) -> None:
    hv, dh = cfg.hartveilig, cfg.dorpshub
    refs = [
        ("hartveilig.responder_profile", hv.responder_profile),
        ("hartveilig.route_profile", hv.route_profile),
        ("dorpshub.village_profile", dh.village_profile),
        ("dorpshub.hub_profile", dh.hub_profile),
        ("transit.walk_profile", cfg.transit.walk_profile),
        *[(f"dorpshub.profiles[{i}]", p) for i, p in enumerate(dh.profiles)],
        *[
            (f"dorpshub.norms[{i}].profile", n.profile)
            for i, n in enumerate(dh.norms)
            if n.profile != OV_PROFILE
        ],
    ]
    for key, name in refs:
        if name not in cfg.profiles:
            raise ConfigError(
                f"{where}: {key} names profile {name!r}, which is not defined; defined profiles: "
                f"{', '.join(cfg.profiles)}{_did_you_mean(name, cfg.profiles)}"
            )


def _did_you_mean(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=3)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _check_keys(raw: Mapping[str, Any], valid: set[str], where: str) -> None:
    unknown = sorted(set(raw) - valid)
    if unknown:
        key = unknown[0]
        raise ConfigError(
            f"{where}: unknown key {key!r}{_did_you_mean(key, valid)} "
            f"(valid keys: {', '.join(sorted(valid))})"
        )


def _build(cls, raw: dict[str, Any], where: str):
    """Build the frozen dataclass ``cls`` from ``raw``, checking keys and converting types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(raw, set(fields), where)
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in raw.items():
        kwargs[name] = _convert(value, hints[name], f"{where} {name}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        missing = [
            n
            for n, f in fields.items()
            if n not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing) or '?'} ({exc})") from exc


_SCALARS: dict[type, tuple[Any, str, str]] = {  # type → (accepts, what, how to fix)
    float: (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "a number",
        "set it to a number (no quotes)",
    ),
    int: (
        lambda v: isinstance(v, int) and not isinstance(v, bool),
        "a whole number",
        "set it to e.g. 5 (no quotes)",
    ),
    bool: (lambda v: isinstance(v, bool), "true or false", "set true or false"),
    str: (lambda v: isinstance(v, str), "text", "set it in quotes"),
}


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _convert(value, non_none[0], where)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} must be one of {', '.join(map(repr, args))}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item = args[0]
        return tuple(_convert(v, item, where) for v in value)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        return _convert_mapping(value, args, where)
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return _build(hint, dict(value), where)
    if hint in _SCALARS:
        accepts, expected, fix = _SCALARS[hint]
        if not accepts(value):
            raise ConfigError(f"{where}: expected {expected}, got {value!r}; {fix}")
        return float(value) if hint is float else value
    if hint is Path:
        return value if isinstance(value, Path) else Path(value)
    return value


def _convert_mapping(value: Any, args: tuple, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table, got {value!r}")
    if len(args) == 2:  # Mapping[str, float]: convert (and so type-check) every value
        return {k: _convert(v, args[1], f"{where}.{k}") for k, v in value.items()}
    return dict(value)


def slugify(name: str) -> str:
    """``"Aa en Hunze"`` → ``"aa-en-hunze"`` (used for output folders)."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
