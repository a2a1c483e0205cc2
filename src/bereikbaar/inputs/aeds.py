"""AEDs from OpenStreetMap and from the register, merged into one table.

Both sources end in the AED schema of ARCHITECTURE.md (``aed_id, name, street, postcode,
place, gemeente, availability, availability_status, open_hours, indoor, location_quality,
provenance, geometry``), in the working CRS (RD New by default).

Merging (:func:`merge_aeds`): an OSM AED and a register AED closer than
``merge_distance_m`` are the same device. Pairs are matched one-to-one, greedily from the
closest pair up (ties broken by the ids), so one register AED never absorbs two OSM AEDs.
For a matched pair (``provenance="both"``):

* the register's ``aed_id``, text fields and point are kept (the register is maintained by
  the owners, OSM is mapped by volunteers); empty register fields are filled from OSM;
  when the register point is only a postcode centroid (``location_quality="postcode"``) the
  OSM point is used instead and the quality becomes ``exact``;
* the register's availability wins, unless the register's is ``unknown`` and OSM's is known;
* ``indoor`` comes from the register, else from OSM.

OSM AEDs that no longer exist are not used (:func:`aed_exclusion`, each reported as a
rejected row with the OSM id, the tag, the reason and a hint):

* ``lifecycle``: a lifecycle prefix on the AED tag (``disused:``, ``removed:``, ``was:``,
  ``demolished:``, ``abandoned:``, ``razed:``, ``destroyed:`` + ``emergency=defibrillator``);
* ``private_access``: ``access=no`` or ``access=private`` (not for public use);
* ``removal_hint``: ``note``, ``fixme`` or ``description`` (also ``:nl``/``:en`` variants)
  says it was removed or moved away, in Dutch or English (:data:`REMOVAL_RE`: verwijderd,
  weggehaald, bestaat niet meer, niet meer aanwezig, verplaatst, opgeheven, gesloopt,
  verdwenen, removed, gone, no longer there, relocated, moved, demolished ...). A hint after a
  negation ("niet verwijderd", "not removed") and a move *to here* ("verplaatst van de hal",
  "moved from the hall") do not count.

AEDs within one source are never merged with each other. The result is sorted by
``aed_id`` (OSM ids ``osm:n123`` sort after register ids such as ``AED-100064``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from bereikbaar._crs import RD_NEW, common_crs
from bereikbaar.errors import InputError
from bereikbaar.inputs.opening_hours import AvailabilityContext, availability_from_text
from bereikbaar.inputs.report import AED_SCHEMA, IssueLog
from bereikbaar.inputs.vocabulary import LIFECYCLE_PREFIXES, parse_indoor

log = logging.getLogger(__name__)

MERGED_EXTRA = ["osm_aed_id", "merge_distance_m", "source_row"]
_TEXT = [c for c in AED_SCHEMA if c not in ("indoor", "geometry")]
PRIVATE_ACCESS = ("private", "no")
#: Tags whose free text may say the AED is gone (plus their ``:nl``/``:en`` variants).
HINT_KEYS = ("note", "fixme", "description")
#: Words that say an AED was removed or moved away (Dutch and English, case-insensitive).
REMOVAL_RE = re.compile(
    r"\b(?:"
    r"verwijderd\w*|weg\s*gehaald|bestaat\s+niet\s+meer|niet\s+meer\s+"
    r"(?:aanwezig|beschikbaar|daar|hier|te\s+vinden|in\s+gebruik)|opgeheven|gesloopt|"
    r"verdwenen|is\s+weg\b|verplaatst(?!\s+(?:van|vanaf|vanuit)\b)|"
    r"removed|gone|no\s+longer\s+(?:there|here|present|exists?|available|installed|in\s+place)|"
    r"(?:does|did)\s*(?:n[o']?t)\s+exist|not\s+there\s+any\s*more|"
    r"relocated(?!\s+(?:here\s+)?from\b)|moved(?!\s+(?:here\s+)?from\b)|"
    r"demolished|dismantled|taken\s+away"
    r")",
    re.IGNORECASE,
)
_NEGATION_RE = re.compile(r"\b(?:niet|nooit|not|never|isn't|wasn't|hasn't)\s+(?:\w+\s+)?$", re.I)


def aed_exclusion(tags: Mapping[str, str]) -> tuple[str, str, str, str] | None:
    """Why an OSM AED with ``tags`` must not be used: ``(reason, tag, value, hint)``, or None.

    Reasons, checked in this order: ``lifecycle`` (a lifecycle-prefixed AED tag),
    ``private_access`` (``access=no|private``), ``removal_hint`` (a note, fixme or
    description saying it was removed or moved away; see the module docstring).
    """
    for prefix in LIFECYCLE_PREFIXES:
        key = f"{prefix}:emergency"
        if tags.get(key) == "defibrillator":
            return (
                "lifecycle",
                key,
                "defibrillator",
                f"tagged {key}=defibrillator: no longer in use; map a working AED as "
                "emergency=defibrillator",
            )
    access = str(tags.get("access", "")).strip().lower()
    if access in PRIVATE_ACCESS:
        return (
            "private_access",
            "access",
            access,
            "not for public use; pass drop_private=False to keep it",
        )
    for key in sorted(tags):
        if key.split(":")[0].lower() not in HINT_KEYS:
            continue
        text = str(tags[key])
        for m in REMOVAL_RE.finditer(text):
            if _NEGATION_RE.search(text[max(0, m.start() - 30) : m.start()]):
                continue
            return (
                "removal_hint",
                key,
                text,
                f"{key} says {m.group(0)!r}: probably removed or moved; check on site and "
                "fix OSM (delete it, or retag it disused:emergency=defibrillator)",
            )
    return None


def aeds_from_osm(
    pois: gpd.GeoDataFrame,
    *,
    drop_private: bool = True,
    issues: IssueLog | None = None,
    availability_context: AvailabilityContext | None = None,
) -> gpd.GeoDataFrame:
    """Turn OSM AED POIs (from ``read_osm_pois``) into the AED schema.

    Parameters
    ----------
    pois
        Columns ``osm_type`` (``n``/``w``), ``osm_id``, ``name``, ``opening_hours``, ``tags``
        (JSON text with ``indoor``, ``access``, ``defibrillator:location``, ``addr:*``),
        ``geometry`` (Points, in a metric working CRS). With a ``kind`` column only
        ``kind == "aed"`` rows are used.
    drop_private
        Leave out AEDs tagged ``access=private`` or ``access=no`` (not for public use).
    issues
        When given, dropped AEDs are recorded there (``rejected``, reason ``private_access``)
        and AEDs whose hours cannot be read are flagged (``unknown_availability``). ``row``
        is empty for OSM objects; ``value`` names the object.
    availability_context
        The week and place ``opening_hours`` is evaluated for (sun times, holidays);
        default the opening-hours module's ``DEFAULT_CONTEXT``.

    Returns
    -------
    geopandas.GeoDataFrame
        The AED schema with ``aed_id = "osm:<osm_type><osm_id>"``, ``provenance="osm"``,
        ``location_quality="exact"``; ``name`` is the OSM name, else
        ``defibrillator:location``. An AED without ``opening_hours`` has status ``unknown``.
    """
    crs = common_crs((pois, "the OSM AED points"))
    missing = [c for c in ("osm_type", "osm_id", "geometry") if c not in pois.columns]
    if missing:
        raise InputError(
            f"OSM AED table lacks column(s) {', '.join(missing)}",
            hint="pass the data of read_osm_pois(path, kinds=['aed'])",
        )
    if "kind" in pois.columns:
        pois = pois[pois["kind"] == "aed"]
    records = []
    for row in pois.itertuples(index=False):
        tags = _tags(getattr(row, "tags", None))
        aed_id = f"osm:{row.osm_type}{int(row.osm_id)}"
        excluded = aed_exclusion(tags)
        if excluded is not None and (drop_private or excluded[0] != "private_access"):
            if issues is not None:
                reason, key, value, hint = excluded
                issues.reject(None, key, f"{aed_id} {key}={value}", reason, hint, record=aed_id)
            continue
        text = _text(getattr(row, "opening_hours", None)) or _text(tags.get("opening_hours"))
        status, schedule = availability_from_text(text, context=availability_context)
        if status == "unknown" and text and issues is not None:
            issues.flag(
                None,
                "opening_hours",
                f"{aed_id} {text}",
                "unknown_availability",
                "OSM opening_hours cannot be read; status unknown",
                record=aed_id,
            )
        street = " ".join(
            t for t in (_text(tags.get("addr:street")), _text(tags.get("addr:housenumber"))) if t
        )
        records.append(
            {
                "aed_id": aed_id,
                "name": _text(getattr(row, "name", None))
                or _text(tags.get("defibrillator:location")),
                "street": street,
                "postcode": _text(tags.get("addr:postcode")),
                "place": _text(tags.get("addr:city")),
                "gemeente": "",
                "availability": text,
                "availability_status": status,
                "open_hours": "" if schedule is None else schedule.to_open_hours_string(),
                "indoor": _osm_indoor(tags.get("indoor")),
                "location_quality": "exact",
                "provenance": "osm",
                "geometry": row.geometry,
            }
        )
    out = _schema_frame(records, AED_SCHEMA, crs)
    log.info(
        "OSM AEDs: %d used, %d left out (private, disused or removed)",
        len(out),
        len(pois) - len(out),
    )
    return out.sort_values("aed_id", kind="stable", ignore_index=True)


def match_points(
    xy_a: np.ndarray, xy_b: np.ndarray, *, max_distance_m: float, keys_a=None, keys_b=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-to-one nearest matching of two point sets within ``max_distance_m`` (inclusive).

    Greedy by distance: the closest pair is matched first, then the closest pair among the
    points still free, and so on; ties are broken by ``keys_a``/``keys_b`` (default: position).

    Returns
    -------
    (idx_a, idx_b, distance_m)
        Positions of the matched points and their distances, sorted by distance.
    """
    xy_a = np.asarray(xy_a, dtype=float).reshape(-1, 2)
    xy_b = np.asarray(xy_b, dtype=float).reshape(-1, 2)
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    if len(xy_a) == 0 or len(xy_b) == 0:
        return empty
    pairs = cKDTree(xy_a).sparse_distance_matrix(
        cKDTree(xy_b), max_distance_m, output_type="ndarray"
    )
    if len(pairs) == 0:
        return empty
    i, j, d = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"]
    ka = np.arange(len(xy_a)) if keys_a is None else _ranks(keys_a)
    kb = np.arange(len(xy_b)) if keys_b is None else _ranks(keys_b)
    order = np.lexsort((kb[j], ka[i], d))
    used_a = np.zeros(len(xy_a), dtype=bool)
    used_b = np.zeros(len(xy_b), dtype=bool)
    out_a, out_b, out_d = [], [], []
    for k in order:
        a, b = i[k], j[k]
        if used_a[a] or used_b[b]:
            continue
        used_a[a] = used_b[b] = True
        out_a.append(a)
        out_b.append(b)
        out_d.append(d[k])
    return np.array(out_a, dtype=np.int64), np.array(out_b, dtype=np.int64), np.array(out_d)


def merge_aeds(
    osm: gpd.GeoDataFrame, register: gpd.GeoDataFrame, *, merge_distance_m: float = 25.0
) -> gpd.GeoDataFrame:
    """Merge OSM and register AEDs into one table (see the module docstring for the rules).

    Parameters
    ----------
    osm, register
        AED-schema GeoDataFrames in one working CRS (from :func:`aeds_from_osm` and
        ``read_aed_register(...).data``); different CRSs raise
        :class:`~bereikbaar.errors.CrsError`.
    merge_distance_m
        Two AEDs at most this far apart (metres) are one AED.

    Returns
    -------
    geopandas.GeoDataFrame
        The AED schema with ``provenance`` ``osm``, ``register`` or ``both``, plus
        ``osm_aed_id`` (the matched OSM id, ``""`` otherwise), ``merge_distance_m`` (NaN
        when unmatched) and ``source_row`` (register line, ``<NA>`` for OSM-only), sorted by
        ``aed_id`` with a fresh 0..n-1 index.
    """
    if merge_distance_m < 0:
        raise ValueError(f"merge_distance_m must be >= 0, got {merge_distance_m}")
    crs = common_crs((osm, "the osm AEDs"), (register, "the register AEDs"))
    for name, gdf in (("osm", osm), ("register", register)):
        missing = [c for c in AED_SCHEMA if c not in gdf.columns]
        if missing:
            raise InputError(
                f"the {name} AEDs lack column(s) {', '.join(missing)}",
                hint="build them with aeds_from_osm() / read_aed_register()",
            )
    osm = osm.reset_index(drop=True)
    reg = register.reset_index(drop=True)
    ia, ib, dist = match_points(
        shapely.get_coordinates(osm.geometry.values),
        shapely.get_coordinates(reg.geometry.values),
        max_distance_m=merge_distance_m,
        keys_a=osm["aed_id"].to_numpy(dtype=object),
        keys_b=reg["aed_id"].to_numpy(dtype=object),
    )
    records = []
    matched_osm = dict(zip(ib.tolist(), zip(ia.tolist(), dist.tolist(), strict=True), strict=True))
    osm_rows = osm.to_dict("records")
    for pos, r in enumerate(reg.to_dict("records")):
        rec = {c: r[c] for c in AED_SCHEMA}
        rec.update(
            osm_aed_id="",
            merge_distance_m=np.nan,
            source_row=r.get("source_row", pd.NA),
            provenance="register",
        )
        if pos in matched_osm:
            k, d = matched_osm[pos]
            o = osm_rows[k]
            rec.update(provenance="both", osm_aed_id=o["aed_id"], merge_distance_m=d)
            for c in ("name", "street", "postcode", "place", "gemeente"):
                if not _text(rec[c]):
                    rec[c] = o[c]
            if rec["availability_status"] == "unknown" and o["availability_status"] != "unknown":
                for c in ("availability", "availability_status", "open_hours"):
                    rec[c] = o[c]
            if pd.isna(rec["indoor"]):
                rec["indoor"] = o["indoor"]
            if rec["location_quality"] == "postcode" and o["location_quality"] == "exact":
                rec["geometry"] = o["geometry"]
                rec["location_quality"] = "exact"
        records.append(rec)
    matched = set(ia.tolist())
    for k, o in enumerate(osm_rows):
        if k in matched:
            continue
        rec = {c: o[c] for c in AED_SCHEMA}
        rec.update(osm_aed_id="", merge_distance_m=np.nan, source_row=pd.NA, provenance="osm")
        records.append(rec)
    out = _schema_frame(records, AED_SCHEMA + MERGED_EXTRA, crs)
    out = out.sort_values("aed_id", kind="stable", ignore_index=True)
    if out["aed_id"].duplicated().any():
        dup = out.loc[out["aed_id"].duplicated(), "aed_id"].iloc[0]
        raise InputError(
            f"aed_id {dup!r} occurs in both inputs or twice in one",
            hint="register ids must be unique and differ from OSM ids (osm:n123)",
        )
    counts = out["provenance"].value_counts().to_dict()
    log.info(
        "merged AEDs within %.0f m: %d both, %d register only, %d OSM only",
        merge_distance_m,
        counts.get("both", 0),
        counts.get("register", 0),
        counts.get("osm", 0),
    )
    return out


# ------------------------------------------------------------------------- internals
def _ranks(keys) -> np.ndarray:
    """Sort ranks of ``keys`` (any sortable values) as int64, for np.lexsort."""
    keys = list(keys)
    order = sorted(range(len(keys)), key=lambda k: keys[k])
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys))
    return ranks


def _tags(value) -> dict:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        log.warning("OSM tags are not valid JSON: %.80s", value)
        return {}
    return tags if isinstance(tags, dict) else {}


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _osm_indoor(value):
    indoor = parse_indoor(value)
    return pd.NA if indoor is None else indoor


def _schema_frame(records: list[dict], columns: list[str], crs: str = RD_NEW) -> gpd.GeoDataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    dtypes = {c: "str" for c in _TEXT if c in columns}
    if "osm_aed_id" in columns:
        dtypes["osm_aed_id"] = "str"
    dtypes["indoor"] = "boolean"
    if "merge_distance_m" in columns:
        dtypes["merge_distance_m"] = "float64"
    if "source_row" in columns:
        dtypes["source_row"] = "Int64"
    frame = frame.astype(dtypes)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
