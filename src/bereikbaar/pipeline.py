"""One function per job, wiring inputs → networks → analyses → outputs.

Notebooks and the CLI call the same functions::

    cfg = load_config("data/drenthe.toml")
    area = open_study_area(cfg)               # reads every input once
    hv = run_hartveilig("Aa en Hunze", cfg, area=area)
    dh = run_dorpshub("Aa en Hunze", cfg, area=area)
    export(cfg, ["Assen"], out="maps")        # maps, GeoPackages, summaries, index.html

A :class:`StudyAreaData` holds the inputs of the whole study area (the province plus the
largest halo) and the networks, loaded lazily and at most once; each analysis then takes
its municipality's part. Networks are built for the province plus the halo of their mode
(walk 2 km, bike 10 km, drive 30 km by default), so services across the municipal and
provincial border count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from bereikbaar import __version__
from bereikbaar._crs import RD_NEW
from bereikbaar._files import file_sha256
from bereikbaar.config import Config, slugify
from bereikbaar.errors import BereikbaarError, InputError, MissingInputError
from bereikbaar.inputs.report import ReadResult

log = logging.getLogger(__name__)

ANALYSES = ("hartveilig", "dorpshub")
# Service kinds of the Dorpshub analysis and where they come from.
OSM_SERVICE_KINDS = (
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
STATE_FILE = ".bereikbaar-state.json"

ProgressFn = Callable[[str, str], None]


def _noop(gemeente: str, step: str) -> None:  # default progress callback
    return None


# ------------------------------------------------------------------ study area data
@dataclass(eq=False)
class StudyAreaData:
    """All inputs of a study area, read once; networks built (or loaded from cache) lazily.

    Attributes are filled on first use; ``reports`` lists a :class:`ReadResult` per input.
    """

    cfg: Config
    _cache: dict[str, Any] = field(default_factory=dict)

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

            sa = self.cfg.study_area
            allm = read_municipalities(self.cfg.inputs.boundaries, layer=sa.municipality_layer)
            provinces = read_provinces(self.cfg.inputs.boundaries, layer=sa.province_layer)
            prov = find_area(provinces, sa.province)
            self._cache["province"] = prov.geometry
            self._cache["all_municipalities"] = allm
            self._cache["municipalities"] = municipalities_in(allm, prov.geometry)
        return self._cache["municipalities"]

    @property
    def province(self):
        """The province polygon (EPSG:28992)."""
        self.municipalities  # noqa: B018 - loads the boundaries
        return self._cache["province"]

    def municipality(self, name_or_code: str) -> tuple[str, Any]:
        """``(name, polygon)`` of a municipality of the study area, by name or statcode."""
        from bereikbaar.inputs.boundaries import find_area

        row = find_area(self.municipalities, name_or_code)
        geom = row.geometry
        if geom is None or geom.is_empty:
            raise InputError(
                f"municipality {row.statnaam} has no geometry",
                path=self.cfg.inputs.boundaries,
                column="geometry",
                hint="the boundaries layer is damaged; use the CBS gebiedsindelingen GeoPackage",
            )
        if not geom.is_valid:
            geom = geom.buffer(0)
        return str(row.statnaam), geom

    def boundary(self, name_or_code: str) -> gpd.GeoDataFrame:
        """The municipality's outline as a one-row GeoDataFrame (``gemeente``, geometry)."""
        name, polygon = self.municipality(name_or_code)
        return gpd.GeoDataFrame({"gemeente": [name]}, geometry=[polygon], crs=RD_NEW)

    def sources_note(self) -> str:
        """The config's note on the data sources plus the OSM extract's own date.

        The date is the extract's replication timestamp or its newest object (one pass over
        the file, done once); an extract without timestamps says so.
        """
        if "sources_note" not in self._cache:
            from bereikbaar.inputs.osm import osm_data_timestamp

            stamp = osm_data_timestamp(self.cfg.inputs.osm)
            when = f"stand {stamp:%Y-%m-%d}" if stamp else "zonder datum in het bestand"
            osm = f"OSM-extract {Path(self.cfg.inputs.osm).name}: {when}"
            self._cache["sources_note"] = "; ".join(
                p for p in (self.cfg.inputs.sources_note, osm) if p
            )
        return self._cache["sources_note"]

    def halo_area(self, halo_m: float):
        return self.province.buffer(halo_m)

    @property
    def availability_context(self):
        """Week and place for opening hours: the config's reference week, the centroid."""
        if "availability_context" not in self._cache:
            from bereikbaar.inputs.coordinates import rd_to_lat_lon
            from bereikbaar.inputs.opening_hours import AvailabilityContext

            centre = self.province.centroid
            lat, lon = rd_to_lat_lon(float(centre.x), float(centre.y))
            week = self.cfg.study_area.reference_week_start
            self._cache["availability_context"] = AvailabilityContext(week, lat, lon)
        return self._cache["availability_context"]

    # ---- inputs
    def _read(self, key: str, fn: Callable[[], ReadResult]) -> ReadResult:
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
        from bereikbaar.inputs.osm import read_osm_pois

        return self._read("pois", lambda: read_osm_pois(self.cfg.inputs.osm, area=self.inputs_area))

    def places(self) -> ReadResult:
        from bereikbaar.inputs.osm import read_places

        return self._read(
            "places",
            lambda: read_places(
                self.cfg.inputs.osm,
                area=self.inputs_area,
                place_kinds=self.cfg.dorpshub.place_kinds,
            ),
        )

    def population(self) -> ReadResult:
        from bereikbaar.inputs.population import read_population

        return self._read(
            "population",
            lambda: read_population(
                self.cfg.inputs.population, settings=self.cfg.population, area=self.province
            ),
        )

    def aed_register(self) -> ReadResult | None:
        reg = self.cfg.inputs.aed_register
        if reg is None:
            return None
        from bereikbaar.inputs.registers import read_aed_register

        return self._read(
            "aed_register",
            lambda: read_aed_register(
                reg,
                study_area=self.register_area,
                postcodes=self.cfg.inputs.postcodes,
                availability_context=self.availability_context,
            ),
        )

    def gp_register(self) -> ReadResult | None:
        reg = self.cfg.inputs.gp_register
        if reg is None:
            return None
        from bereikbaar.inputs.registers import read_gp_register

        return self._read(
            "gp_register",
            lambda: read_gp_register(
                reg,
                study_area=self.inputs_area,
                postcodes=self.cfg.inputs.postcodes,
                availability_context=self.availability_context,
            ),
        )

    def hubs_register(self) -> ReadResult | None:
        reg = self.cfg.inputs.hubs_register
        if reg is None:
            return None
        from bereikbaar.inputs.registers import read_hubs_register

        return self._read(
            "hubs_register",
            lambda: read_hubs_register(
                reg, study_area=self.inputs_area, postcodes=self.cfg.inputs.postcodes
            ),
        )

    def osm_aeds(self) -> ReadResult:
        """The OSM AEDs in the AED schema; private ones are rejected into the issues."""
        from bereikbaar.inputs.aeds import aeds_from_osm
        from bereikbaar.inputs.report import IssueLog

        def read() -> ReadResult:
            pois = self.pois().data
            aed_pois = pois[pois["kind"] == "aed"]
            log_ = IssueLog("osm_aeds", self.cfg.inputs.osm)
            data = aeds_from_osm(
                aed_pois, issues=log_, availability_context=self.availability_context
            )
            return ReadResult("osm_aeds", self.cfg.inputs.osm, data, len(aed_pois), log_.to_frame())

        return self._read("osm_aeds", read)

    def aeds(self) -> gpd.GeoDataFrame:
        """OSM and register AEDs merged (provenance osm / register / both)."""
        if "aeds" not in self._cache:
            from bereikbaar.inputs.aeds import merge_aeds

            osm_aeds = self.osm_aeds().data
            reg = self.aed_register()
            reg_aeds = reg.data if reg is not None else osm_aeds.iloc[0:0]
            self._cache["aeds"] = merge_aeds(
                osm_aeds, reg_aeds, merge_distance_m=self.cfg.hartveilig.merge_distance_m
            )
        return self._cache["aeds"]

    def services(self) -> gpd.GeoDataFrame:
        """Service points for Dorpshub: OSM POIs plus the GP and hub registers.

        Columns: ``kind``, ``name``, ``departures_per_hour`` (NaN where unknown), ``source``.
        A practice in both OSM and the register appears twice; nearest-service times are
        unaffected (the minimum is the same).
        """
        if "services" not in self._cache:
            pois = self.pois().data
            parts = []
            sel = pois[pois["kind"].isin(OSM_SERVICE_KINDS)]
            sel = sel[~((sel["kind"] == "school") & ~_is_primary_school(sel))]
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "kind": sel["kind"].to_numpy(),
                        "name": sel["name"].to_numpy(),
                        "departures_per_hour": float("nan"),
                        "source": "osm",
                    },
                    geometry=sel.geometry.to_numpy(),
                    crs=RD_NEW,
                )
            )
            for reader in (self.gp_register, self.hubs_register):
                res = reader()
                if res is None or len(res.data) == 0:
                    continue
                d = res.data
                dep = d["departures_per_hour"] if "departures_per_hour" in d else float("nan")
                parts.append(
                    gpd.GeoDataFrame(
                        {
                            "kind": d["kind"].to_numpy(),
                            "name": d["name"].to_numpy(),
                            "departures_per_hour": pd.to_numeric(
                                pd.Series(dep, index=d.index)
                            ).to_numpy(dtype=float),
                            "source": res.name,
                        },
                        geometry=d.geometry.to_numpy(),
                        crs=RD_NEW,
                    )
                )
            services = pd.concat(parts, ignore_index=True)
            self._cache["services"] = gpd.GeoDataFrame(services, geometry="geometry", crs=RD_NEW)
        return self._cache["services"]

    def reports(self) -> list[ReadResult]:
        """Read every input and return one :class:`ReadResult` each."""
        out = [self.pois(), self.osm_aeds(), self.places(), self.population()]
        for r in (self.aed_register(), self.gp_register(), self.hubs_register()):
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
            )
        return self._cache[key]


def _is_primary_school(pois: pd.DataFrame) -> pd.Series:
    """Schools count as primary (basisschool) when ``isced:level`` includes 1 or is absent."""

    def primary(tags: Any) -> bool:
        try:
            level = json.loads(tags).get("isced:level") if isinstance(tags, str) else None
        except ValueError:
            level = None
        if not level:
            return True
        return any(
            part.strip() in ("0;1", "1") or part.strip().startswith("1")
            for part in str(level).split(";")
        )

    if "tags" not in pois:
        return pd.Series(True, index=pois.index)
    return pois["tags"].map(primary).astype(bool)


def open_study_area(cfg: Config) -> StudyAreaData:
    """Open a study area: inputs are read on first use and kept for the next analysis."""
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


def check_inputs(cfg: Config) -> list[ReadResult]:
    """Read every input of ``cfg`` (the ``data check`` command)."""
    return open_study_area(cfg).reports()


def issues_table(results: Iterable[ReadResult]) -> pd.DataFrame:
    """All repairs, flags and rejections of several inputs in one table."""
    frames = [r.issues for r in results if len(r.issues)]
    if not frames:
        from bereikbaar.inputs.report import ISSUE_COLUMNS

        return pd.DataFrame(columns=ISSUE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------ analyses
def _within(gdf: gpd.GeoDataFrame, polygon) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        return gdf
    return gdf[gdf.geometry.within(polygon)]


def _cells_in(area: StudyAreaData, name: str, polygon) -> gpd.GeoDataFrame:
    """The population cells of a municipality; none at all means the grid does not cover it."""
    cells = _within(area.population().data, polygon)
    if len(cells) == 0:
        raise InputError(
            f"the population grid has no cells in {name}",
            path=area.cfg.inputs.population,
            hint="check that inputs.population covers the whole study area",
        )
    return cells


def run_hartveilig(
    gemeente: str, cfg: Config, *, area: StudyAreaData | None = None, progress: ProgressFn = _noop
):
    """AED coverage for one municipality (see :mod:`bereikbaar.hartveilig`)."""
    from bereikbaar.hartveilig import compute_hartveilig

    area = area or open_study_area(cfg)
    name, polygon = area.municipality(gemeente)
    progress(name, "hartveilig: inputs")
    cells = _cells_in(area, name, polygon)
    halo = polygon.buffer(cfg.network.halo_walk_m)
    aeds = _within(area.aeds(), halo)
    places = area.places().data
    pois = area.pois().data
    candidates = _within(pois[pois["kind"].isin(cfg.hartveilig.candidate_kinds)], polygon)
    progress(name, "hartveilig: network")
    net = area.network("walk")
    progress(name, "hartveilig: coverage")
    result = compute_hartveilig(
        gemeente=name,
        cells=cells,
        aeds=aeds,
        walk_network=net,
        places=places,
        candidates=candidates,
        settings=cfg.hartveilig,
        profiles=cfg.profiles,
        max_snap_m=cfg.network.max_snap_m,
        area=polygon,
        outline=area.boundary(name),
        sources_note=area.sources_note(),
    )
    log.info("%s: hartveilig done (%d cells, %d AEDs)", name, len(cells), len(aeds))
    return result


def run_dorpshub(
    gemeente: str, cfg: Config, *, area: StudyAreaData | None = None, progress: ProgressFn = _noop
):
    """Village access and hub choice for one municipality (see :mod:`bereikbaar.dorpshub`)."""
    from bereikbaar.dorpshub import compute_dorpshub

    area = area or open_study_area(cfg)
    name, polygon = area.municipality(gemeente)
    progress(name, "dorpshub: inputs")
    cells = _cells_in(area, name, polygon)
    villages = _within(area.places().data, polygon)
    services = _within(area.services(), polygon.buffer(cfg.network.halo_drive_m))
    progress(name, "dorpshub: networks")
    networks = {
        mode: area.network(mode)
        for mode in sorted(
            {
                cfg.profile(p).network
                for p in (
                    *cfg.dorpshub.profiles,
                    cfg.dorpshub.village_profile,
                    cfg.dorpshub.hub_profile,
                )
            }
        )
    }
    progress(name, "dorpshub: travel times")
    result = compute_dorpshub(
        gemeente=name,
        gemeente_geometry=polygon,
        villages=villages,
        cells=cells,
        services=services,
        networks=networks,
        settings=cfg.dorpshub,
        profiles=cfg.profiles,
        max_snap_m=cfg.network.max_snap_m,
        outline=area.boundary(name),
        sources_note=area.sources_note(),
        ov=_ov_inputs(area, cfg),
    )
    log.info("%s: dorpshub done (%d villages)", name, len(villages))
    return result


def _ov_inputs(area: StudyAreaData, cfg: Config):
    """Public transport for Dorpshub when ``[transit] gtfs`` is set (the feed read once)."""
    ts = cfg.transit
    if ts.gtfs is None:
        return None
    from bereikbaar.dorpshub import OvInputs
    from bereikbaar.inputs.gtfs import read_gtfs
    from bereikbaar.transit import service_dates

    feed = area._read(
        "gtfs",
        lambda: read_gtfs(ts.gtfs, dates=service_dates(ts), area=area.province, halo_m=ts.halo_m),
    ).data
    return OvInputs(
        feed=feed,
        walk_network=area.network("walk"),
        walk_profile=cfg.profile(ts.walk_profile),
        settings=ts,
        max_snap_m=cfg.network.max_snap_m,
    )


# ------------------------------------------------------------------------- outputs
def write_hartveilig(
    result, out_dir: str | Path, *, area: StudyAreaData, offline: bool = True
) -> dict[str, Path]:
    """Write ``hartveilig.gpkg``, ``hartveilig_summary.json`` and ``hartveilig.html``.

    ``area`` gives the municipality's outline (by ``result.gemeente``) and the sources note.
    """
    from bereikbaar.maps import basemap_for_area, write_hartveilig_map
    from bereikbaar.report import write_gpkg_atomic, write_json_atomic

    out_dir = Path(out_dir)
    paths = {
        "gpkg": write_gpkg_atomic(
            out_dir / "hartveilig.gpkg",
            {
                "cells": result.cells,
                "white_spots": result.white_spots,
                "aeds": result.aeds,
                "proposals": result.proposals,
                "relocations": result.relocations,
            },
        ),
        "summary": write_json_atomic(out_dir / "hartveilig_summary.json", result.summary),
    }
    boundary = area.boundary(result.gemeente)
    paths["html"] = write_hartveilig_map(
        result,
        out_dir / "hartveilig.html",
        boundary=boundary,
        offline=offline,
        sources_note=area.sources_note(),
        basemap=basemap_for_area(area, boundary),
    )
    return paths


def write_dorpshub(
    result, out_dir: str | Path, *, area: StudyAreaData, offline: bool = True
) -> dict[str, Path]:
    """Write ``dorpshub.gpkg``, ``dorpshub_villages.csv``, ``dorpshub_summary.json``, ``dorpshub.html``.

    ``area`` gives the municipality's outline (by ``result.gemeente``) and the sources note.
    """
    from bereikbaar.maps import basemap_for_area, write_dorpshub_map
    from bereikbaar.report import write_csv_atomic, write_gpkg_atomic, write_json_atomic

    out_dir = Path(out_dir)
    layers = {"villages": result.villages, "hubs": result.hubs}
    for kind, part in result.services.groupby("kind", sort=True):
        layers[f"services_{kind}"] = part
    paths = {
        "gpkg": write_gpkg_atomic(out_dir / "dorpshub.gpkg", layers),
        "csv": write_csv_atomic(out_dir / "dorpshub_villages.csv", result.table),
        "summary": write_json_atomic(out_dir / "dorpshub_summary.json", result.summary),
    }
    boundary = area.boundary(result.gemeente)
    paths["html"] = write_dorpshub_map(
        result,
        out_dir / "dorpshub.html",
        boundary=boundary,
        offline=offline,
        sources_note=area.sources_note(),
        basemap=basemap_for_area(area, boundary),
    )
    return paths


# -------------------------------------------------------------------------- export
@dataclass(frozen=True)
class MunicipalityOutcome:
    """What the batch did for one municipality."""

    gemeente: str
    slug: str
    status: str  # "ok", "skipped" (unchanged) or "failed"
    error: str = ""
    summaries: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportReport:
    """The batch as a whole; ``ok`` is False when any municipality failed."""

    out: Path
    outcomes: tuple[MunicipalityOutcome, ...]
    index: Path | None

    @property
    def failed(self) -> tuple[MunicipalityOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failed


def inputs_fingerprint(cfg: Config, analysis: str) -> str:
    """A hash of every input file's content, the settings and the package version.

    The batch skips a municipality whose stored fingerprint equals this one.
    """
    h = hashlib.sha256()
    h.update(f"bereikbaar {__version__} {analysis}".encode())
    files = [cfg.inputs.osm, cfg.inputs.boundaries, cfg.inputs.population, cfg.inputs.postcodes]
    for reg in (cfg.inputs.aed_register, cfg.inputs.gp_register, cfg.inputs.hubs_register):
        if reg is not None:
            files.append(reg.path)
    for p in files:
        if p is not None and Path(p).is_file():
            h.update(file_sha256(p).encode())
    settings = dataclasses.asdict(cfg)
    for key in ("data_root", "source"):
        settings.pop(key, None)
    settings["network"].pop("cache_dir", None)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _analysis_outputs(analysis: str) -> tuple[str, ...]:
    if analysis == "hartveilig":
        return ("hartveilig.html", "hartveilig.gpkg", "hartveilig_summary.json")
    return ("dorpshub.html", "dorpshub.gpkg", "dorpshub_villages.csv", "dorpshub_summary.json")


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def run_municipality(
    gemeente: str,
    cfg: Config,
    out: str | Path,
    *,
    analyses: Sequence[str] = ANALYSES,
    force: bool = False,
    offline: bool = True,
    area: StudyAreaData | None = None,
    progress: ProgressFn = _noop,
) -> MunicipalityOutcome:
    """Run and write the analyses of one municipality; never raises for a data problem."""
    from bereikbaar.report import write_json_atomic

    slug = slugify(gemeente)
    try:
        area = area or open_study_area(cfg)
        name, _ = area.municipality(gemeente)
        slug = slugify(name)
        folder = Path(out) / slug
        state = _read_state(folder)
        summaries: dict[str, Any] = {}
        written: list[str] = []
        for analysis in analyses:
            fp = inputs_fingerprint(cfg, analysis)
            done = all((folder / f).is_file() for f in _analysis_outputs(analysis))
            if not force and done and state.get(analysis, {}).get("fingerprint") == fp:
                progress(name, f"{analysis}: unchanged, skipped")
                summaries[analysis] = json.loads((folder / f"{analysis}_summary.json").read_text())
                continue
            if analysis == "hartveilig":
                res = run_hartveilig(name, cfg, area=area, progress=progress)
                progress(name, "hartveilig: writing")
                paths = write_hartveilig(res, folder, area=area, offline=offline)
            else:
                res = run_dorpshub(name, cfg, area=area, progress=progress)
                progress(name, "dorpshub: writing")
                paths = write_dorpshub(res, folder, area=area, offline=offline)
            summaries[analysis] = res.summary
            written.extend(str(p) for p in paths.values())
            state[analysis] = {"fingerprint": fp}
            write_json_atomic(folder / STATE_FILE, state)
        status = "ok" if written else "skipped"
        return MunicipalityOutcome(name, slug, status, summaries=summaries, outputs=tuple(written))
    except BereikbaarError as exc:
        log.error("%s failed: %s", gemeente, exc)
        return MunicipalityOutcome(gemeente, slug, "failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug: keep the traceback in the log, keep the batch going
        log.error("%s failed unexpectedly:\n%s", gemeente, traceback.format_exc())
        return MunicipalityOutcome(gemeente, slug, "failed", error=f"{type(exc).__name__}: {exc}")


# Worker processes keep one StudyAreaData so that inputs are read once per process.
_WORKER_AREA: StudyAreaData | None = None
_WORKER_QUEUE: Any = None


def _worker_init(cfg: Config, queue: Any) -> None:
    global _WORKER_AREA, _WORKER_QUEUE
    _WORKER_AREA = open_study_area(cfg)
    _WORKER_QUEUE = queue


def _worker_progress(gemeente: str, step: str) -> None:
    if _WORKER_QUEUE is not None:
        _WORKER_QUEUE.put((gemeente, step))


def _worker_run(
    gemeente: str, cfg: Config, out: str, analyses, force, offline
) -> MunicipalityOutcome:
    return run_municipality(
        gemeente,
        cfg,
        out,
        analyses=analyses,
        force=force,
        offline=offline,
        area=_WORKER_AREA,
        progress=_worker_progress,
    )


def _index_note(cfg: Config) -> str:
    hv = cfg.hartveilig
    return (
        f"Gedekt: aandeel inwoners dat binnen {hv.budget_min:g} minuten een AED bij zich kan krijgen "
        f"(model '{hv.model}', AED's met onbekende openingstijden: {hv.unknown_availability}). "
        "Witte vlekken: inwoners zonder bereikbare AED op het slechtste moment. "
        f"Bronnen: {cfg.inputs.sources_note}"
    )


def export(
    cfg: Config,
    gemeenten: Sequence[str] | None,
    out: str | Path,
    *,
    analyses: Sequence[str] = ANALYSES,
    workers: int = 1,
    force: bool = False,
    offline: bool = True,
    progress: ProgressFn = _noop,
    on_done: Callable[[MunicipalityOutcome], None] | None = None,
) -> ExportReport:
    """The batch: every municipality (``gemeenten=None``) or the named ones.

    A municipality that fails is reported with its error while the others complete.
    ``workers > 1`` runs municipalities in parallel processes. Unchanged municipalities
    (same inputs, settings and version) are skipped unless ``force``. Finally writes
    ``index.html`` with a row per municipality.
    """
    from bereikbaar.report import cleanup_temporaries, render_index, write_text_atomic

    unknown = [a for a in analyses if a not in ANALYSES]
    if unknown:
        raise BereikbaarError(f"unknown analysis {unknown[0]!r}; choose from {', '.join(ANALYSES)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    removed = cleanup_temporaries(out)
    if removed:
        log.warning("removed %d temporary file(s) left by an interrupted run", removed)
    area = open_study_area(cfg)
    names = list(area.municipalities["statnaam"]) if not gemeenten else list(gemeenten)

    outcomes: list[MunicipalityOutcome] = []
    if workers <= 1 or len(names) <= 1:
        for name in names:
            o = run_municipality(
                name,
                cfg,
                out,
                analyses=analyses,
                force=force,
                offline=offline,
                area=area,
                progress=progress,
            )
            outcomes.append(o)
            if on_done:
                on_done(o)
    else:
        import multiprocessing as mp
        import threading

        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            queue = manager.Queue()
            stop = threading.Event()

            def pump() -> None:
                import queue as queue_mod

                while not stop.is_set():
                    try:
                        gem, step = queue.get(timeout=0.2)
                    except (queue_mod.Empty, EOFError, OSError):
                        continue
                    progress(gem, step)

            t = threading.Thread(target=pump, daemon=True)
            t.start()
            try:
                with ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=ctx,
                    initializer=_worker_init,
                    initargs=(cfg, queue),
                ) as pool:
                    futures = {
                        pool.submit(
                            _worker_run, n, cfg, str(out), tuple(analyses), force, offline
                        ): n
                        for n in names
                    }
                    for fut in as_completed(futures):
                        try:
                            o = fut.result()
                        except Exception as exc:  # the worker process died
                            n = futures[fut]
                            o = MunicipalityOutcome(
                                n, slugify(n), "failed", error=f"{type(exc).__name__}: {exc}"
                            )
                        outcomes.append(o)
                        if on_done:
                            on_done(o)
            finally:
                stop.set()
                t.join(timeout=2)
    order = {n: i for i, n in enumerate(names)}
    outcomes.sort(key=lambda o: order.get(o.gemeente, len(order)))

    rows = []
    for o in outcomes:
        rows.append(
            {
                "gemeente": o.gemeente,
                "slug": o.slug,
                "status": o.status,
                "error": o.error,
                "hartveilig": o.summaries.get("hartveilig"),
                "dorpshub": o.summaries.get("dorpshub"),
            }
        )
    index = write_text_atomic(
        out / "index.html",
        render_index(
            rows,
            title=f"bereikbaar — {cfg.study_area.name}",
            moments=cfg.hartveilig.moments,
            note=_index_note(cfg),
        ),
    )
    return ExportReport(out=out, outcomes=tuple(outcomes), index=index)
