"""Input shaping: the service points of Dorpshub and the OSM AEDs, from tables already read.

Plain functions of read tables (no files, no study-area object), so a notebook can feed
its own POIs or registers:

* :func:`services_from_inputs` — OSM POIs of the Dorpshub service kinds plus the GP and
  hub registers, in one table.
* :func:`osm_aeds_from_pois` — the OSM AEDs of a POI table in the AED schema, with
  private ones rejected into the issues.
* :func:`is_primary_school` — which school POIs count as a basisschool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from bereikbaar._crs import RD_NEW, common_crs
from bereikbaar.config import SERVICE_KINDS
from bereikbaar.inputs.report import IssueLog, ReadResult

#: Service kinds of the Dorpshub analysis taken from OSM: every kind the config knows
#: (``config.SERVICE_KINDS``); the GP and hub registers add to the same kinds.
OSM_SERVICE_KINDS = SERVICE_KINDS
SERVICE_COLUMNS = ("kind", "name", "departures_per_hour", "source", "geometry")


def is_primary_school(pois: pd.DataFrame) -> pd.Series:
    """Schools count as primary (basisschool) when ``isced:level`` includes 1 or is absent.

    Parameters
    ----------
    pois
        POI table with a ``tags`` column of JSON text (as :func:`read_osm_pois` gives).

    Returns
    -------
    pandas.Series
        Boolean, aligned to ``pois.index``.
    """
    if "tags" not in pois:
        return pd.Series(True, index=pois.index)
    return pois["tags"].map(_primary).astype(bool)


def _primary(tags: Any) -> bool:
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


def _service_frame(kind, name, departures, source: str, geometry, crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "kind": np.asarray(kind, dtype=object),
            "name": np.asarray(name, dtype=object),
            "departures_per_hour": np.asarray(departures, dtype=float),
            "source": source,
        },
        geometry=np.asarray(geometry),
        crs=crs,
    )


def services_from_inputs(
    pois: pd.DataFrame, registers: Iterable[ReadResult | None] = ()
) -> gpd.GeoDataFrame:
    """Service points for Dorpshub: OSM POIs plus the GP and hub registers.

    Parameters
    ----------
    pois
        OSM POIs (``kind``, ``name``, ``tags``, geometry in the working CRS). Kinds outside
        :data:`OSM_SERVICE_KINDS` and schools that are not primary are left out.
    registers
        Read registers (``kind``, ``name``, optional ``departures_per_hour``); ``None`` or
        empty ones are skipped. Their ``ReadResult.name`` becomes the ``source``. They must
        be in the POIs' CRS (else :class:`~bereikbaar.errors.CrsError`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind``, ``name``, ``departures_per_hour`` (NaN where unknown), ``source``
        (``osm`` or the register's name), geometry. A practice in both OSM and a register
        appears twice; nearest-service times are unaffected (the minimum is the same).
    """
    crs = common_crs(
        (pois, "the OSM POIs"),
        *((r.data, f"the {r.name}") for r in registers if r is not None and len(r.data)),
        default=RD_NEW,
    )
    sel = pois[pois["kind"].isin(OSM_SERVICE_KINDS)]
    sel = sel[~((sel["kind"] == "school") & ~is_primary_school(sel))]
    nan = np.full(len(sel), np.nan)
    parts = [_service_frame(sel["kind"], sel["name"], nan, "osm", sel.geometry, crs)]
    for res in registers:
        if res is None or len(res.data) == 0:
            continue
        d = res.data
        if "departures_per_hour" in d:
            dep = pd.to_numeric(d["departures_per_hour"]).to_numpy(dtype=float)
        else:
            dep = np.full(len(d), np.nan)
        parts.append(_service_frame(d["kind"], d["name"], dep, res.name, d.geometry, crs))
    services = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(services, geometry="geometry", crs=crs)


def osm_aeds_from_pois(
    pois: pd.DataFrame, *, path: str | Path, availability_context: Any = None
) -> ReadResult:
    """The OSM AEDs of ``pois`` in the AED schema; private ones are rejected into the issues.

    Parameters
    ----------
    pois
        OSM POIs as :func:`bereikbaar.inputs.osm.read_osm_pois` gives them.
    path
        The extract they came from (named in the issues).
    availability_context
        Week and place for evaluating opening hours
        (:class:`bereikbaar.inputs.opening_hours.AvailabilityContext`).
    """
    from bereikbaar.inputs.aeds import aeds_from_osm

    aed_pois = pois[pois["kind"] == "aed"]
    issues = IssueLog("osm_aeds", path)
    data = aeds_from_osm(aed_pois, issues=issues, availability_context=availability_context)
    return ReadResult("osm_aeds", path, data, len(aed_pois), issues.to_frame())
