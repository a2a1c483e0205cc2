"""The study area: every input of a province read once, networks built lazily, and each
municipality's part of it.

:func:`open_study_area` checks that the required files exist and returns a
:class:`StudyAreaData`; inputs are read on first use and kept for the next analysis.
Networks are built for the province plus the halo of their mode (walk 2 km, bike 10 km,
drive 30 km by default), so services across the municipal and provincial border count.

:meth:`StudyAreaData.part` is the one place where inputs are clipped to a municipality
(population cells and places inside its polygon), once per municipality; its output
folder name (:meth:`StudyAreaData.slug`) is never empty and never shared with another
municipality of the province.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from bereikbaar._crs import RD_NEW, WGS84, crs_name, lat_lon, same_crs
from bereikbaar.config import Config, slugify
from bereikbaar.errors import InputError, MissingInputError
from bereikbaar.inputs.report import ReadResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class MunicipalityPart:
    """One municipality's share of the study area.

    Attributes
    ----------
    name, code, slug
        ``statnaam``, ``statcode`` and the output folder name.
    polygon
        The municipality polygon (shapely, in ``crs``).
    cells
        Population cells whose centroid lies inside the polygon (never empty).
    places
        OSM places (the Dorpshub villages) inside the polygon.
    crs
        The study area's working CRS (:attr:`StudyAreaData.crs`).
    """

    name: str
    code: str
    slug: str
    polygon: Any
    cells: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    crs: str = RD_NEW

    @property
    def outline(self) -> gpd.GeoDataFrame:
        """The municipality as a one-row GeoDataFrame (``gemeente``, geometry)."""
        return gpd.GeoDataFrame({"gemeente": [self.name]}, geometry=[self.polygon], crs=self.crs)


def clip_points(gdf: gpd.GeoDataFrame, polygon: Any) -> gpd.GeoDataFrame:
    """The rows of ``gdf`` whose geometry lies strictly inside ``polygon``."""
    if len(gdf) == 0:
        return gdf
    return gdf[gdf.geometry.within(polygon)]


def unique_slugs(names: list[str], codes: list[str]) -> dict[str, str]:
    """Output folder names per municipality name: never empty, never shared.

    A name whose slug is empty (``"日本語"``, ``".."``) or equal to another name's slug
    falls back to its CBS code (``gm1680``); should even that be empty or shared, a
    short hash of the name follows.
    """
    first = {n: slugify(n) for n in names}
    counts: dict[str, int] = {}
    for s in first.values():
        counts[s] = counts.get(s, 0) + 1
    out: dict[str, str] = {}
    for name, code in zip(names, codes, strict=True):
        slug = first[name]
        if not slug or counts[slug] > 1:
            slug = slugify(code)
        if not slug or slug in out.values() or (slug != first[name] and slug in first.values()):
            slug = f"gemeente-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        out[name] = slug
    return out


@dataclass(eq=False)
class StudyAreaData:
    """All inputs of a study area, read once; networks built (or loaded from cache) lazily.

    Attributes are filled on first use; :meth:`reports` lists a :class:`ReadResult` per input.
    Every input is converted to :attr:`crs`, the study area's one working CRS.
    """

    cfg: Config
    _cache: dict[str, Any] = field(default_factory=dict)

    # ---- working CRS
    @property
    def crs(self) -> str:
        """The metric working CRS of every input, network and output of this study area.

        ``study_area.crs`` when the config sets it; otherwise chosen from the province's
        centroid (:func:`bereikbaar.network.working_crs_for`): RD New (EPSG:28992) inside
        the Netherlands' area of use, else the local UTM zone (Liechtenstein: EPSG:32632).

        Raises
        ------
        InputError
            The province lies outside the CRS's area of use (the message names
            ``study_area.crs`` and the CRS to set).
        """
        if "crs" not in self._cache:
            self._cache["crs"] = choose_crs(self.cfg)
        return self._cache["crs"]

    # ---- boundaries
    @property
    def municipalities(self) -> gpd.GeoDataFrame:
        """The municipalities of the province (``statcode``, ``statnaam``, geometry)."""
        if "municipalities" not in self._cache:
            from bereikbaar.inputs.boundaries import (
                find_area,
                municipalities_in,
                read_municipalities,
                read_provinces,
            )

            sa, crs = self.cfg.study_area, self.crs
            allm = read_municipalities(
                self.cfg.inputs.boundaries, layer=sa.municipality_layer, crs=crs
            )
            provinces = read_provinces(self.cfg.inputs.boundaries, layer=sa.province_layer, crs=crs)
            prov = find_area(provinces, sa.province)
            self._cache["province"] = prov.geometry
            self._cache["municipalities"] = municipalities_in(allm, prov.geometry)
        return self._cache["municipalities"]

    @property
    def province(self):
        """The province polygon (shapely, in :attr:`crs`)."""
        self.municipalities  # noqa: B018 - loads the boundaries
        return self._cache["province"]

    def municipality(self, name_or_code: str) -> tuple[str, Any]:
        """``(name, polygon)`` of a municipality of the study area, by name or statcode."""
        row = self._row(name_or_code)
        return str(row.statnaam), self._polygon(row)

    def _row(self, name_or_code: str):
        from bereikbaar.inputs.boundaries import find_area

        return find_area(self.municipalities, name_or_code)

    def _polygon(self, row) -> Any:
        geom = row.geometry
        if geom is None or geom.is_empty:
            raise InputError(
                f"municipality {row.statnaam} has no geometry",
                path=self.cfg.inputs.boundaries,
                column="geometry",
                hint="the boundaries layer is damaged; use the CBS gebiedsindelingen GeoPackage",
            )
        return geom  # valid: read_municipalities repairs with make_valid and reports it

    @property
    def slugs(self) -> dict[str, str]:
        """Output folder name per municipality name (see :func:`unique_slugs`)."""
        if "slugs" not in self._cache:
            m = self.municipalities
            self._cache["slugs"] = unique_slugs(
                [str(n) for n in m["statnaam"]], [str(c) for c in m["statcode"]]
            )
        return self._cache["slugs"]

    def slug(self, name_or_code: str) -> str:
        """The output folder name of a municipality (never empty, unique in the province)."""
        return self.slugs[str(self._row(name_or_code).statnaam)]

    def boundary(self, name_or_code: str) -> gpd.GeoDataFrame:
        """The municipality's outline as a one-row GeoDataFrame (``gemeente``, geometry)."""
        name, polygon = self.municipality(name_or_code)
        return gpd.GeoDataFrame({"gemeente": [name]}, geometry=[polygon], crs=self.crs)

    def part(self, name_or_code: str) -> MunicipalityPart:
        """The municipality's cells and places, clipped once and kept for the next analysis.

        Raises
        ------
        InputError
            The population grid has no cell in the municipality (it does not cover it).
        """
        row = self._row(name_or_code)
        name = str(row.statnaam)
        key = f"part:{name}"
        if key not in self._cache:
            polygon = self._polygon(row)
            cells = clip_points(self.population().data, polygon)
            if len(cells) == 0:
                raise InputError(
                    f"the population grid has no cells in {name}",
                    path=self.cfg.inputs.population,
                    hint="check that inputs.population covers the whole study area",
                )
            places = clip_points(self.places().data, polygon)
            self._cache[key] = MunicipalityPart(
                name, str(row.statcode), self.slugs[name], polygon, cells, places, self.crs
            )
        return self._cache[key]

    def sources_note(self) -> str:
        """The config's note on the data sources plus the OSM extract's own date.

        The date is the extract's replication timestamp or its newest object (one pass over
        the file, done once); an extract without timestamps says so.
        """
        if "sources_note" not in self._cache:
            from bereikbaar.inputs.osm import osm_data_timestamp

            stamp = osm_data_timestamp(
                self.cfg.inputs.osm, cache_dir=self.cfg.network.resolved_cache_dir()
            )
            when = f"stand {stamp:%Y-%m-%d}" if stamp else "zonder datum in het bestand"
            osm = f"OSM-extract {Path(self.cfg.inputs.osm).name}: {when}"
            self._cache["sources_note"] = "; ".join(
                p for p in (self.cfg.inputs.sources_note, osm) if p
            )
        return self._cache["sources_note"]

    def halo_area(self, halo_m: float):
        """The province buffered by ``halo_m`` metres (buffered once per distance)."""
        return self._read(f"halo:{float(halo_m)!r}", lambda: self.province.buffer(halo_m))

    @property
    def availability_context(self):
        """Week and place for opening hours: the config's reference week, the centroid
        (converted from :attr:`crs` to lat/lon for sunrise and sunset)."""
        if "availability_context" not in self._cache:
            from bereikbaar.inputs.opening_hours import AvailabilityContext

            centre = self.province.centroid
            lat, lon = lat_lon(float(centre.x), float(centre.y), self.crs)
            week = self.cfg.study_area.reference_week_start
            self._cache["availability_context"] = AvailabilityContext(week, lat, lon)
        return self._cache["availability_context"]

    # ---- inputs
    def _read(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def inputs_area(self):
        """Province plus the largest halo: everything outside is not read."""
        n = self.cfg.network
        return self.halo_area(max(n.halo_walk_m, n.halo_bike_m, n.halo_drive_m))

    @property
    def register_area(self):
        """Province plus ``study_area.buffer_m``: register points outside are rejected."""
        return self.halo_area(self.cfg.study_area.buffer_m)

    def pois(self) -> ReadResult:
        """OSM POIs of the study area (see :func:`bereikbaar.inputs.osm.read_osm_pois`)."""
        return self._read("pois", lambda: self._osm_pois_and_places()[0])

    def places(self) -> ReadResult:
        """OSM places of the configured kinds (see :func:`bereikbaar.inputs.osm.read_places`)."""
        return self._read("places", lambda: self._osm_pois_and_places()[1])

    def _osm_pois_and_places(self) -> tuple[ReadResult, ReadResult]:
        """POIs and places, read in one pass over the extract."""
        from bereikbaar.inputs.osm import read_osm_pois_and_places

        return self._read(
            "pois_and_places",
            lambda: read_osm_pois_and_places(
                self.cfg.inputs.osm,
                area=self.inputs_area,
                place_kinds=self.cfg.dorpshub.place_kinds,
                crs=self.crs,
            ),
        )

    def population(self) -> ReadResult:
        """The population grid inside the province."""
        from bereikbaar.inputs.population import read_population

        return self._read(
            "population",
            lambda: read_population(
                self.cfg.inputs.population,
                settings=self.cfg.population,
                area=self.province,
                crs=self.crs,
            ),
        )

    def _register(
        self, key: str, reader_name: str, area_name: str, **options: Any
    ) -> ReadResult | None:
        reg = getattr(self.cfg.inputs, key)
        if reg is None:
            return None
        from bereikbaar.inputs import registers

        reader = getattr(registers, reader_name)
        area = getattr(self, area_name)
        postcodes = self.cfg.inputs.postcodes
        return self._read(
            key,
            lambda: reader(reg, study_area=area, postcodes=postcodes, crs=self.crs, **options),
        )

    def aed_register(self) -> ReadResult | None:
        """The AED register, or None when the config has none."""
        return self._register(
            "aed_register",
            "read_aed_register",
            "register_area",
            availability_context=self.availability_context,
        )

    def gp_register(self) -> ReadResult | None:
        """The GP register, or None when the config has none."""
        return self._register(
            "gp_register",
            "read_gp_register",
            "inputs_area",
            availability_context=self.availability_context,
        )

    def hubs_register(self) -> ReadResult | None:
        """The public-transport hubs register, or None when the config has none."""
        return self._register("hubs_register", "read_hubs_register", "inputs_area")

    def osm_aeds(self) -> ReadResult:
        """The OSM AEDs in the AED schema; private ones are rejected into the issues."""
        from bereikbaar.inputs.services import osm_aeds_from_pois

        return self._read(
            "osm_aeds",
            lambda: osm_aeds_from_pois(
                self.pois().data,
                path=self.cfg.inputs.osm,
                availability_context=self.availability_context,
            ),
        )

    def aeds(self) -> gpd.GeoDataFrame:
        """OSM and register AEDs merged (provenance osm / register / both)."""
        from bereikbaar.inputs.aeds import merge_aeds

        def merged() -> gpd.GeoDataFrame:
            osm_aeds = self.osm_aeds().data
            reg = self.aed_register()
            reg_aeds = reg.data if reg is not None else osm_aeds.iloc[0:0]
            return merge_aeds(
                osm_aeds, reg_aeds, merge_distance_m=self.cfg.hartveilig.merge_distance_m
            )

        return self._read("aeds", merged)

    def services(self) -> gpd.GeoDataFrame:
        """Service points for Dorpshub (see :func:`bereikbaar.inputs.services.services_from_inputs`)."""
        from bereikbaar.inputs.services import services_from_inputs

        return self._read(
            "services",
            lambda: services_from_inputs(
                self.pois().data, (self.gp_register(), self.hubs_register())
            ),
        )

    def gtfs(self) -> ReadResult | None:
        """The public-transport feed (``[transit] gtfs``) for the windows' service dates,
        clipped to the province plus ``transit.halo_m``; None when no feed is configured."""
        ts = self.cfg.transit
        if ts.gtfs is None:
            return None
        from bereikbaar.inputs.gtfs import read_gtfs
        from bereikbaar.transit import service_dates

        return self._read(
            "gtfs",
            lambda: read_gtfs(
                ts.gtfs,
                dates=service_dates(ts),
                area=self.province,
                halo_m=ts.halo_m,
                crs=self.crs,
            ),
        )

    def reports(self) -> list[ReadResult]:
        """Read every input and return one :class:`ReadResult` each."""
        out = [self.pois(), self.osm_aeds(), self.places(), self.population()]
        for r in (self.aed_register(), self.gp_register(), self.hubs_register(), self.gtfs()):
            if r is not None:
                out.append(r)
        return out

    # ---- networks
    def network(self, mode: str):
        """The ``walk``/``bike``/``drive`` network for the province plus that mode's halo."""
        key = f"network:{mode}"
        if key not in self._cache:
            from bereikbaar.network import load_network

            n = self.cfg.network
            halo = {"walk": n.halo_walk_m, "bike": n.halo_bike_m, "drive": n.halo_drive_m}[mode]
            self._cache[key] = load_network(
                self.cfg.inputs.osm,
                mode,
                area=self.halo_area(halo),
                settings=n,
                cache_dir=n.resolved_cache_dir(),
                crs=self.crs,
            )
        return self._cache[key]


#: The province may reach this many degrees beyond its CRS's area of use (as for networks).
AREA_OF_USE_MARGIN_DEG = 1.0


def choose_crs(cfg: Config) -> str:
    """The working CRS of a study area: ``study_area.crs``, else from the province's centroid.

    The province is read in its file's own CRS, its centroid taken in lon/lat and handed to
    :func:`bereikbaar.network.working_crs_for` (RD New in the Netherlands, else the UTM
    zone). Either way the province must lie within the CRS's area of use (plus
    :data:`AREA_OF_USE_MARGIN_DEG`), else an :class:`InputError` names ``study_area.crs``.
    """
    from bereikbaar.inputs.boundaries import find_area, read_provinces
    from bereikbaar.network import working_crs_for

    sa = cfg.study_area
    provinces = read_provinces(cfg.inputs.boundaries, layer=sa.province_layer, crs=None)
    row = find_area(provinces, sa.province)
    prov = gpd.GeoSeries([row.geometry], crs=provinces.crs).to_crs(WGS84)
    lon0, lat0, lon1, lat1 = (float(v) for v in prov.total_bounds)
    centre = prov.iloc[0].centroid
    suggest = working_crs_for(float(centre.x), float(centre.y))
    crs = crs_name(sa.crs) if sa.crs else suggest
    _check_area_of_use(crs, (lon0, lat0, lon1, lat1), suggest=suggest, cfg=cfg)
    log.info("working CRS %s (%s)", crs, "study_area.crs" if sa.crs else "chosen from the province")
    return crs


def _check_area_of_use(crs: str, bounds, *, suggest: str, cfg: Config) -> None:
    import pyproj

    aou = pyproj.CRS.from_user_input(crs).area_of_use
    if aou is None:
        return
    lon0, lat0, lon1, lat1 = bounds
    m = AREA_OF_USE_MARGIN_DEG
    inside = lon0 >= aou.west - m and lon1 <= aou.east + m
    if inside and lat0 >= aou.south - m and lat1 <= aou.north + m:
        return
    fix = (
        f'set study_area.crs = "{suggest}" (the local CRS) in {cfg.source or "the config"}'
        if not same_crs(crs, suggest)
        else "check the boundaries file and study_area.province"
    )
    raise InputError(
        f"the study area ({lon0:.2f}..{lon1:.2f} E, {lat0:.2f}..{lat1:.2f} N) lies outside the "
        f"area of use of its working CRS {crs} ({aou.west}..{aou.east} E, "
        f"{aou.south}..{aou.north} N), where its metres are distorted "
        f"(study_area.crs = {cfg.study_area.crs!r})",
        path=cfg.inputs.boundaries,
        hint=fix,
    )


def open_study_area(cfg: Config) -> StudyAreaData:
    """Open a study area: inputs are read on first use and kept for the next analysis.

    Raises
    ------
    MissingInputError
        The OSM extract, the boundaries or the population grid does not exist.
    """
    for name, path in (
        ("osm", cfg.inputs.osm),
        ("boundaries", cfg.inputs.boundaries),
        ("population", cfg.inputs.population),
    ):
        if not Path(path).is_file():
            raise MissingInputError(
                f"required input '{name}' not found at {path}",
                path=path,
                hint=f"check inputs.{name} in {cfg.source or 'the config'} and the data root "
                f"{cfg.data_root} (--data-dir or $BEREIKBAAR_DATA)",
            )
    return StudyAreaData(cfg)
