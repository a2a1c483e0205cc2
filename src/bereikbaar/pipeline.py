"""One function per job, wiring inputs → networks → analyses → outputs.

Notebooks and the CLI call the same functions::

    cfg = load_config("data/drenthe.toml")
    area = open_study_area(cfg)               # reads every input once, on first use
    hv = run_hartveilig("Aa en Hunze", cfg, area=area)
    dh = run_dorpshub("Aa en Hunze", cfg, area=area)
    write_hartveilig(hv, "kaarten")           # the result carries what its files need
    export(cfg, ["Assen"], out="maps")        # the batch: maps, GeoPackages, summaries, index

The study area (:mod:`bereikbaar.study_area`) holds the inputs and networks; this module
only takes a municipality's part of it and hands it to an analysis. The batch lives in
:mod:`bereikbaar.batch` and the writers in :mod:`bereikbaar.outputs`; both are
re-exported here so that ``from bereikbaar.pipeline import export`` keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from bereikbaar.config import Config
from bereikbaar.inputs.report import ReadResult
from bereikbaar.outputs import write_dorpshub, write_hartveilig
from bereikbaar.study_area import StudyAreaData, clip_points, open_study_area

log = logging.getLogger(__name__)

__all__ = [
    "ANALYSES",
    "StudyAreaData",
    "check_inputs",
    "check_what_if_village",
    "issues_table",
    "open_study_area",
    "run_dorpshub",
    "run_hartveilig",
    "write_dorpshub",
    "write_hartveilig",
]

ANALYSES = ("hartveilig", "dorpshub")
_BATCH_NAMES = ("ExportReport", "MunicipalityOutcome", "export", "inputs_fingerprint")
_BATCH_NAMES += ("run_municipality", "REPORTS")

ProgressFn = Callable[[str, str], None]


def __getattr__(name: str) -> Any:
    """The batch's names, imported on first use (the batch imports this module)."""
    if name in _BATCH_NAMES:
        from bereikbaar import batch

        return getattr(batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _noop(gemeente: str, step: str) -> None:  # default progress callback
    return None


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
def run_hartveilig(
    gemeente: str, cfg: Config, *, area: StudyAreaData | None = None, progress: ProgressFn = _noop
):
    """AED coverage for one municipality (see :mod:`bereikbaar.hartveilig`)."""
    from bereikbaar.hartveilig import compute_hartveilig

    area = area or open_study_area(cfg)
    part = area.part(gemeente)
    name, polygon = part.name, part.polygon
    progress(name, "hartveilig: inputs")
    cells = part.cells
    halo = polygon.buffer(cfg.network.halo_walk_m)
    aeds = clip_points(area.aeds(), halo)
    places = area.places().data
    pois = area.pois().data
    candidates = clip_points(pois[pois["kind"].isin(cfg.hartveilig.candidate_kinds)], polygon)
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
        outline=part.outline,
        sources_note=area.sources_note(),
    )
    log.info("%s: hartveilig done (%d cells, %d AEDs)", name, len(cells), len(aeds))
    return result


def run_dorpshub(
    gemeente: str, cfg: Config, *, area: StudyAreaData | None = None, progress: ProgressFn = _noop
):
    """Village access and hub choice for one municipality (see :mod:`bereikbaar.dorpshub`)."""
    from bereikbaar.dorpshub import compute_dorpshub
    from bereikbaar.dorpshub._phases import networks_used

    area = area or open_study_area(cfg)
    check_what_if_village(cfg, area)
    part = area.part(gemeente)
    name, polygon = part.name, part.polygon
    progress(name, "dorpshub: inputs")
    cells = part.cells
    villages = part.places
    services = clip_points(area.services(), polygon.buffer(cfg.network.halo_drive_m))
    progress(name, "dorpshub: networks")
    networks = {mode: area.network(mode) for mode in networks_used(cfg.dorpshub, cfg.profiles)}
    progress(name, "dorpshub: travel times")
    ov = _ov_inputs(area, cfg)
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
        outline=part.outline,
        sources_note=area.sources_note(),
        ov=ov,
        service_pool=_service_pool(area, cfg, ov, networks),
    )
    log.info("%s: dorpshub done (%d villages)", name, len(villages))
    return result


def check_what_if_village(cfg: Config, area: StudyAreaData) -> None:
    """``dorpshub.what_if_village`` must name a place of the study area (any municipality:
    a municipality without it simply has no what-if).

    Raises
    ------
    ConfigError
        No place of the configured kinds in the study area has that name (or the label
        ``"name (place_id)"``); the message suggests close names. (With no place of those
        kinds at all the check is left to the analysis, which names ``place_kinds``.)
    """
    import difflib

    from bereikbaar.errors import ConfigError

    village = cfg.dorpshub.what_if_village
    if village is None:
        return
    places = area.places().data
    inside = places[places.within(area.province)]
    if inside.empty:  # no villages at all: the analysis says so, naming place_kinds
        return
    names = inside["name"].astype(str)
    labels = set(names) | set(names + " (" + inside["place_id"].astype(str) + ")")
    if village not in labels:
        close = difflib.get_close_matches(village, sorted(set(names)), n=3)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        where = f"{cfg.source}: " if cfg.source else ""
        raise ConfigError(
            f"{where}dorpshub.what_if_village = {village!r} is not a place "
            f"({', '.join(cfg.dorpshub.place_kinds)}) of the study area "
            f"{cfg.study_area.province}{hint}; correct the name in [dorpshub], or remove the "
            "line to run without a what-if"
        )


def _ov_inputs(area: StudyAreaData, cfg: Config):
    """Public transport for Dorpshub when ``[transit] gtfs`` is set (the feed read once;
    one OvInputs per study area and settings)."""
    ts = cfg.transit
    if ts.gtfs is None:
        return None
    from bereikbaar.dorpshub import OvInputs

    key = ("dorpshub_ov", ts, cfg.profile(ts.walk_profile), cfg.network.max_snap_m)
    if key not in area._cache:
        area._cache[key] = OvInputs(
            feed=area.gtfs().data,
            walk_network=area.network("walk"),
            walk_profile=cfg.profile(ts.walk_profile),
            settings=ts,
            max_snap_m=cfg.network.max_snap_m,
        )
    return area._cache[key]


def _service_pool(area: StudyAreaData, cfg: Config, ov, networks):
    """The study area's service points for Dorpshub's shared searches, built once per
    study area and settings (see :func:`bereikbaar.dorpshub._compute.build_service_pool`)."""
    from bereikbaar.dorpshub._compute import build_service_pool

    key = ("dorpshub_pool", repr(cfg.dorpshub), tuple(sorted(cfg.profiles.items())), id(ov))
    key += (cfg.network.max_snap_m,)
    if key not in area._cache:
        area._cache[key] = build_service_pool(
            area.services(),
            ov,
            networks=networks,
            settings=cfg.dorpshub,
            profiles=cfg.profiles,
            max_snap_m=cfg.network.max_snap_m,
        )
    return area._cache[key]
