"""Points of interest, AEDs and places from an OpenStreetMap extract (PBF or XML), with pyosmium.

Any file :func:`~bereikbaar.inputs.osmfile.readable_osm_path` accepts can be read: a
Geofabrik ``.osm.pbf``, OSM XML (``.osm``, ``.osm.gz``, ``.osm.bz2``) and XML written by OSMnx.
The file is read in two passes (pyosmium's area assembly): the first reads only relations
and notes the multipolygons that could match a kind; the second streams everything, with a
tag pre-filter in libosmium passing only candidate objects to Python, node locations cached
so that ways get a point, and the multipolygons assembled from their member ways.

Kinds
-----
Each object is tested against every rule in :data:`KIND_RULES`; a rule matches when all
its tags hold (``key=value`` with one of the listed values; ``*`` = any value) and, if it
has one, its name pattern matches ``name`` (case-insensitive). An object gives one row per
kind it matches (a bus hub tagged ``highway=bus_stop`` is both a ``bus_hub`` and a ``bus_stop``).

==================  ==============================================================================
kind                tags
==================  ==============================================================================
aed                 emergency=defibrillator; also with a lifecycle prefix (``disused:emergency``,
                    ``removed:``, ``was:``, ``demolished:``, ...), which the AED reader rejects
gp                  amenity=doctors, or healthcare=doctor; general practice only: not when it is
                    a huisartsenpost, nor when ``healthcare:speciality`` names specialities
                    without ``general``
huisartsenpost      (out-of-hours GP post) amenity=doctors|clinic or healthcare=doctor|clinic whose
                    name contains "huisartsenpost", "spoedpost" or the word "HAP"; or
                    healthcare=doctor with emergency=yes
hospital            amenity=hospital, or healthcare=hospital
station             railway=station|halt, or public_transport=station with train=yes; not when
                    ``station=subway|light_rail|monorail|funicular|miniature`` (train stations only)
bus_hub             amenity=bus_station, or public_transport=station with bus=yes
bus_stop            highway=bus_stop, or public_transport=platform with bus=yes
supermarket         shop=supermarket
school              amenity=school (``isced:level`` stays in ``tags``: 1 = primary)
pharmacy            amenity=pharmacy, or healthcare=pharmacy
community_centre    amenity=community_centre (*dorpshuis*)
church              amenity=place_of_worship
sports              leisure=sports_centre|pitch|stadium, or club=sport
place               place=city|town|village|hamlet|isolated_dwelling
==================  ==============================================================================

Geometry
--------
Nodes give their location. Ways give the centroid of their node locations: the area
centroid for a closed way (a building or site outline), the line centroid for an open way.
A way with some node locations missing (an extract cut at its border) uses the nodes that
are present and is flagged; an object without any usable location is rejected.

``type=multipolygon`` relations (a school or supermarket site drawn as several ways, or with
holes) give a point of the area libosmium assembles from their member ways: the area
centroid (computed in the working CRS, like a closed way's) when it lies inside the area, else
shapely's ``point_on_surface`` (a ring-shaped site whose centroid falls in the hole, or a
multipolygon whose centroid falls between its parts). A multipolygon that cannot be
assembled is rejected with the reason: member ways or nodes missing from the extract (cut
at its border), or rings that do not close or that cross. Other relations that match a kind
(``type=boundary``, ``type=site``, ...) are rejected too: they are not areas we read. The
area libosmium also builds from every closed way is skipped (the way itself is read, so
it is counted once).

Every row counts: ``rows_read`` is the number of (object, kind) rows matched (inside
``area`` when one is given), so ``rows_read == rows_used + rows_rejected``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import osmium.filter
import pandas as pd
import shapely

from bereikbaar._crs import RD_NEW, WGS84, crs_name, transformer
from bereikbaar._files import file_sha256, write_text_atomic
from bereikbaar.errors import InputError
from bereikbaar.inputs.boundaries import area_geometry
from bereikbaar.inputs.osmfile import readable_osm_path
from bereikbaar.inputs.report import IssueLog, ReadResult
from bereikbaar.inputs.vocabulary import LIFECYCLE_PREFIXES

log = logging.getLogger(__name__)

ANY = "*"
POI_COLUMNS = ["osm_type", "osm_id", "kind", "name", "opening_hours", "tags", "geometry"]
PLACE_COLUMNS = ["place_id", "name", "place", "population", "geometry"]

_HAP_NAME = r"huisartsenpost|spoedpost|\bhap\b"
_TRAIN_EXCLUDED = frozenset({"subway", "light_rail", "monorail", "funicular", "miniature"})


@dataclass(frozen=True)
class TagRule:
    """All of ``tags`` must hold (value in the set, or ``ANY``) and ``name_pattern`` (a regular
    expression, case-insensitive) must be found in the ``name`` tag when given."""

    tags: Mapping[str, frozenset[str]]
    name_pattern: str | None = None
    _name_re: re.Pattern | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.name_pattern is not None:
            object.__setattr__(self, "_name_re", re.compile(self.name_pattern, re.IGNORECASE))

    def matches(self, tags: Mapping[str, str]) -> bool:
        for key, values in self.tags.items():
            value = tags.get(key)
            if value is None or (ANY not in values and value not in values):
                return False
        return self._name_re is None or bool(self._name_re.search(tags.get("name", "")))


def _rule(name_pattern: str | None = None, **tags: str) -> TagRule:
    """``_rule(amenity="doctors|clinic")`` → TagRule({"amenity": {"doctors", "clinic"}})."""
    return TagRule(
        {key.replace("__", ":"): frozenset(v.split("|")) for key, v in tags.items()},
        name_pattern,
    )


#: The tag rules per kind (see the module docstring); an object matches a kind when any
#: of its rules matches, after the exclusions in :func:`classify_tags`.
KIND_RULES: dict[str, tuple[TagRule, ...]] = {
    "aed": (
        _rule(emergency="defibrillator"),
        # lifecycle-prefixed AEDs carry no ``emergency`` key: read them so that the AED
        # reader can report them (bereikbaar.inputs.aeds.aed_exclusion) instead of losing them
        *(_rule(**{f"{p}__emergency": "defibrillator"}) for p in LIFECYCLE_PREFIXES),
    ),
    "gp": (_rule(amenity="doctors"), _rule(healthcare="doctor")),
    "huisartsenpost": (
        _rule(_HAP_NAME, amenity="doctors|clinic"),
        _rule(_HAP_NAME, healthcare="doctor|clinic"),
        _rule(healthcare="doctor", emergency="yes"),
    ),
    "hospital": (_rule(amenity="hospital"), _rule(healthcare="hospital")),
    "station": (
        _rule(railway="station|halt"),
        _rule(public_transport="station", train="yes"),
    ),
    "bus_hub": (_rule(amenity="bus_station"), _rule(public_transport="station", bus="yes")),
    "bus_stop": (_rule(highway="bus_stop"), _rule(public_transport="platform", bus="yes")),
    "supermarket": (_rule(shop="supermarket"),),
    "school": (_rule(amenity="school"),),
    "pharmacy": (_rule(amenity="pharmacy"), _rule(healthcare="pharmacy")),
    "community_centre": (_rule(amenity="community_centre"),),
    "church": (_rule(amenity="place_of_worship"),),
    "sports": (_rule(leisure="sports_centre|pitch|stadium"), _rule(club="sport")),
    "place": (_rule(place="city|town|village|hamlet|isolated_dwelling"),),
}
KINDS: tuple[str, ...] = tuple(KIND_RULES)


def classify_tags(tags: Mapping[str, str], kinds: Iterable[str] = KINDS) -> list[str]:
    """The kinds (in :data:`KINDS` order) an object with ``tags`` belongs to."""
    wanted = set(kinds)
    found = [
        kind
        for kind, rules in KIND_RULES.items()
        if (kind in wanted or kind == "huisartsenpost")
        and any(rule.matches(tags) for rule in rules)
    ]
    if "gp" in found and ("huisartsenpost" in found or not _general_practice(tags)):
        found.remove("gp")
    if "station" in found and tags.get("station") in _TRAIN_EXCLUDED:
        found.remove("station")
    return [k for k in found if k in wanted]


def _general_practice(tags: Mapping[str, str]) -> bool:
    speciality = tags.get("healthcare:speciality")
    if not speciality:
        return True
    parts = {p.strip().casefold() for p in speciality.split(";")}
    return bool(parts & {"general", "general_practice", "general_practitioner"})


def _tag_filter(rules: Iterable[TagRule]) -> osmium.filter.TagFilter | osmium.filter.KeyFilter:
    """A libosmium pre-filter passing every object that could match one of ``rules``."""
    pairs: set[tuple[str, str]] = set()
    keys: set[str] = set()
    for rule in rules:
        key, values = next(iter(rule.tags.items()))  # the first tag is required, so enough
        if ANY in values:
            keys.add(key)
        else:
            pairs.update((key, v) for v in values)
    if keys:  # a rule accepts any value: filter on keys only (still a superset)
        keys.update(k for k, _ in pairs)
        return osmium.filter.KeyFilter(*sorted(keys))
    return osmium.filter.TagFilter(*sorted(pairs))


# ------------------------------------------------------------------------------ scanning
@dataclass
class _Scan:
    """What one pass over the file found (before projection and area selection)."""

    osm_type: list[str] = field(default_factory=list)
    osm_id: list[int] = field(default_factory=list)
    kinds: list[list[str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    coords: list[np.ndarray] = field(default_factory=list)  # (k, 2) lon/lat
    closed: list[bool] = field(default_factory=list)
    #: position -> the assembled polygons of a multipolygon relation, each a list of rings
    #: (outer first, then its inner rings), every ring a (k, 2) lon/lat array
    polygons: dict[int, list[list[np.ndarray]]] = field(default_factory=dict)
    rejected: list[tuple[str, int, list[str], str, str]] = field(default_factory=list)
    partial: list[tuple[int, int, int]] = field(default_factory=list)  # (position, missing, n)
    #: multipolygon relations that match a kind: (id, kinds, tags), resolved after the pass
    relations: list[tuple[int, list[str], dict[str, str]]] = field(default_factory=list)
    #: relation id -> rings of the area libosmium assembled (empty when assembly failed)
    areas: dict[int, list[list[np.ndarray]]] = field(default_factory=dict)
    #: the bounding box in the file's header (lon0, lat0, lon1, lat1), when it has one
    header_box: tuple[float, float, float, float] | None = None


_MISSING_MEMBERS = (
    "multipolygon relation cannot be assembled: member ways or nodes missing from the extract",
    "use an extract that keeps multipolygons whole (osmium extract --strategy smart), "
    "or map the feature as a node or closed way",
)
_BROKEN_RINGS = (
    "multipolygon relation cannot be assembled: its rings do not close or they cross",
    "fix the relation in OSM (the JOSM validator shows where), "
    "or map the feature as a node or closed way",
)


def _scan(
    path: Path, rules: Iterable[TagRule], classify: Callable[[Mapping[str, str]], list[str]]
) -> _Scan:
    rules = list(rules)
    scan = _Scan()
    with readable_osm_path(path) as osm_path:
        processor = (
            osmium.FileProcessor(str(osm_path))
            .with_locations()
            # first pass: only multipolygon relations that could match are assembled
            .with_areas(_tag_filter(rules), osmium.filter.TagFilter(("type", "multipolygon")))
            .with_filter(_tag_filter(rules))
        )
        try:
            scan.header_box = _header_box(processor)
            for obj in processor:
                _scan_object(obj, classify, scan)
        except RuntimeError as exc:  # libosmium parse errors
            raise InputError(
                f"cannot read the OSM data: {exc}",
                path=path,
                hint="check that the file is a complete OSM PBF or OSM XML 0.6 extract",
            ) from exc
    _resolve_relations(scan)
    return scan


#: How far beyond the matched objects' bounding box an area may lie before the extract is
#: taken not to cover it.
COVERAGE_MARGIN_M = 10_000.0


def _header_box(processor: Any) -> tuple[float, float, float, float] | None:
    box = processor.header.box()
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def check_coverage(
    path: Path, scan: _Scan, points: np.ndarray, area: Any, *, crs: str = RD_NEW
) -> None:
    """Refuse an extract that does not reach ``area``.

    The extract's reach is the bounding box in its header (when it has one) together with
    the bounding box of the objects the scan matched, widened by :data:`COVERAGE_MARGIN_M`
    (a small area just beside the matched objects is no sign of a wrong extract). When that
    reach does not touch the area, every POI would silently be outside it: an :class:`~bereikbaar.errors.InputError`
    naming the fix instead. Nothing is checked without an area, or without any reach.
    """
    if area is None:
        return
    boxes = []
    if scan.header_box is not None:
        lon0, lat0, lon1, lat1 = scan.header_box
        xs, ys = transformer(WGS84, crs).transform(
            [lon0, lon1, lon0, lon1], [lat0, lat0, lat1, lat1]
        )
        boxes.append(shapely.box(min(xs), min(ys), max(xs), max(ys)))
    if len(points):
        x, y = shapely.get_x(points), shapely.get_y(points)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            boxes.append(shapely.box(x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max()))
    if not boxes:
        log.warning("%s: no matching objects and no bounding box; coverage unknown", path.name)
        return
    reach = shapely.union_all(boxes).envelope
    if not reach.buffer(COVERAGE_MARGIN_M).intersects(area):
        x0, y0, x1, y1 = (round(v / 1000) for v in reach.bounds)
        a0, b0, a1, b1 = (round(v / 1000) for v in area.bounds)
        raise InputError(
            f"the OSM extract does not cover the study area: its data lies in {crs} km "
            f"x {x0}..{x1}, y {y0}..{y1}, the area in x {a0}..{a1}, y {b0}..{b1}",
            path=path,
            hint="set inputs.osm to an extract of the study area (e.g. Geofabrik's province "
            "extract, or osmium extract -b <lon0,lat0,lon1,lat1> of a larger one)",
        )


def _area_rings(area: Any) -> list[list[np.ndarray]]:
    """The polygons of an assembled area: per outer ring, [outer, *inners] as lon/lat arrays."""
    polygons = []
    for outer in area.outer_rings():
        rings = [np.array([(n.lon, n.lat) for n in outer], dtype=float)]
        rings += [
            np.array([(n.lon, n.lat) for n in inner], dtype=float)
            for inner in area.inner_rings(outer)
        ]
        polygons.append(rings)
    return polygons


def _resolve_relations(scan: _Scan) -> None:
    """Turn the multipolygon relations into scanned objects, or reject them with the reason.

    Areas arrive whenever libosmium completes them (during the ways, or at the end of the
    file), so relations and their areas are matched here, after the pass.
    """
    for rel_id, kinds, tags in scan.relations:
        polygons = scan.areas.get(rel_id)
        if not polygons:
            reason, hint = _MISSING_MEMBERS if polygons is None else _BROKEN_RINGS
            scan.rejected.append(("r", rel_id, kinds, reason, hint))
            continue
        scan.polygons[len(scan.osm_id)] = polygons
        scan.osm_type.append("r")
        scan.osm_id.append(rel_id)
        scan.kinds.append(kinds)
        scan.tags.append(tags)
        scan.coords.append(np.concatenate([ring for rings in polygons for ring in rings]))
        scan.closed.append(False)


def _scan_object(obj: Any, classify, scan: _Scan) -> None:
    type_char = obj.type_str()
    if type_char == "a":
        # areas passed the same tag pre-filter; those from closed ways are read as the way
        if not obj.from_way():
            scan.areas[obj.orig_id()] = _area_rings(obj)
        return
    tags = {t.k: t.v for t in obj.tags}
    kinds = classify(tags)
    if not kinds:
        return
    if type_char == "r":
        relation_type = tags.get("type", "")
        if relation_type == "multipolygon":
            scan.relations.append((obj.id, kinds, tags))
        else:
            scan.rejected.append(
                (
                    "r",
                    obj.id,
                    kinds,
                    f"relation of type={relation_type or '(none)'} is not an area; "
                    "only type=multipolygon relations are turned into points",
                    "map the feature as a node, a closed way or a type=multipolygon relation",
                )
            )
        return
    if type_char == "n":
        loc = obj.location
        if not loc.valid():
            scan.rejected.append(
                ("n", obj.id, kinds, "node without a valid location", "fix the node in OSM")
            )
            return
        coords = np.array([[loc.lon, loc.lat]])
        closed = False
    else:
        nodes = obj.nodes
        present = [(n.location.lon, n.location.lat) for n in nodes if n.location.valid()]
        if not present:
            scan.rejected.append(
                (
                    "w",
                    obj.id,
                    kinds,
                    "way without any node location in the file",
                    "use an extract made with complete ways "
                    "(osmium extract --strategy complete_ways)",
                )
            )
            return
        coords = np.array(present, dtype=float)
        closed = len(present) == len(nodes) and len(nodes) >= 4 and obj.is_closed()
        if len(present) < len(nodes):
            scan.partial.append((len(scan.osm_id), len(nodes) - len(present), len(nodes)))
    scan.osm_type.append(type_char)
    scan.osm_id.append(obj.id)
    scan.kinds.append(kinds)
    scan.tags.append(tags)
    scan.coords.append(coords)
    scan.closed.append(closed)


def _points_rd(scan: _Scan, crs: str = RD_NEW) -> np.ndarray:
    """One shapely Point per scanned object in ``crs`` (node location, way centroid, or
    multipolygon centroid / point on surface; see the module docstring)."""
    n = len(scan.coords)
    if n == 0:
        return np.empty(0, dtype=object)
    counts = np.array([len(c) for c in scan.coords])
    lonlat = np.concatenate(scan.coords)
    x, y = transformer(WGS84, crs).transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    owner = np.repeat(np.arange(n), counts)
    # mean of the node locations (exact for nodes; the fallback for degenerate ways)
    sums = np.zeros((n, 2))
    np.add.at(sums, owner, xy)
    points = shapely.points(sums / counts[:, None])
    closed = np.array(scan.closed)
    is_relation = np.zeros(n, dtype=bool)
    is_relation[list(scan.polygons)] = True
    for sel, make, size in (
        (
            np.flatnonzero((counts >= 2) & ~closed & ~is_relation),
            shapely.linestrings,
            shapely.length,
        ),
        (
            np.flatnonzero(closed),
            lambda c, indices: shapely.polygons(shapely.linearrings(c, indices=indices)),
            shapely.area,
        ),
    ):
        if len(sel) == 0:
            continue
        keep = np.isin(owner, sel)
        _, consecutive = np.unique(owner[keep], return_inverse=True)
        geoms = make(xy[keep], indices=consecutive)
        cent = shapely.centroid(geoms)
        good = ~shapely.is_empty(cent) & (size(geoms) > 0)
        points[sel[good]] = cent[good]
    starts = np.concatenate([[0], np.cumsum(counts)])
    for pos, polygons in scan.polygons.items():
        points[pos] = _representative_point(polygons, xy[starts[pos] : starts[pos + 1]])
    return points


def _representative_point(polygons: list[list[np.ndarray]], xy: np.ndarray) -> Any:
    """The area centroid when it lies inside the (multi)polygon, else a point on its surface.

    ``xy`` holds the rings' vertices in the working CRS, in the order of ``polygons``.
    """
    parts, start = [], 0
    for rings in polygons:
        projected = []
        for ring in rings:
            projected.append(xy[start : start + len(ring)])
            start += len(ring)
        parts.append(shapely.Polygon(projected[0], projected[1:]))
    area = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    centroid = area.centroid
    if not centroid.is_empty and area.contains(centroid):
        return centroid
    return area.point_on_surface()


def _select(scan: _Scan, points: np.ndarray, area: Any, crs: str = RD_NEW) -> np.ndarray:
    """Positions of the scanned objects to keep: finite coordinates, inside ``area``."""
    keep = np.ones(len(points), dtype=bool)
    if len(points) == 0:
        return keep
    x, y = shapely.get_x(points), shapely.get_y(points)
    finite = np.isfinite(x) & np.isfinite(y)
    for pos in np.flatnonzero(~finite):
        scan.rejected.append(
            (
                scan.osm_type[pos],
                scan.osm_id[pos],
                scan.kinds[pos],
                f"location cannot be converted to the working CRS {crs}",
                "the object lies far outside the study area; use an extract of the study area",
            )
        )
    keep &= finite
    if area is not None:
        inside = np.zeros(len(points), dtype=bool)
        inside[finite] = shapely.intersects_xy(area, x[finite], y[finite])
        outside = int((finite & ~inside).sum())
        if outside:
            log.info("%d matched objects lie outside the area and are not read", outside)
        keep &= inside
    return keep


def _log_rejections(scan: _Scan, issues: IssueLog) -> int:
    """One rejected issue per (object, kind) row; returns the number of rows."""
    n_rows = 0
    for type_char, osm_id, kinds, reason, hint in scan.rejected:
        for _ in kinds:
            ref = f"{type_char}{osm_id}"
            issues.reject(None, "location", ref, reason, hint, record=f"osm:{ref}")
            n_rows += 1
    return n_rows


# ------------------------------------------------------------------------------ public
def read_osm_pois(
    path: str | Path,
    *,
    kinds: Iterable[str] | None = None,
    area: Any = None,
    crs: str = RD_NEW,
) -> ReadResult:
    """Read points of interest of the given kinds from an OSM extract.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.gz`` or ``.osm.bz2``.
    kinds
        Kinds to read (see :data:`KINDS` and the module docstring); ``None`` reads all.
    area
        A polygon in ``crs`` (shapely, GeoSeries/GeoDataFrame, or a :func:`find_area`
        row); only points inside (or on its border) are kept and counted.
    crs
        The working CRS (default RD New, EPSG:28992) the points are converted to.

    Returns
    -------
    ReadResult
        ``name="osm_pois"``; ``data`` is a GeoDataFrame in ``crs`` with ``osm_type``
        (``n``/``w``/``r``), ``osm_id`` (int64), ``kind``, ``name`` and ``opening_hours`` (empty
        string when untagged), ``tags`` (all tags as JSON text, keys sorted) and
        ``geometry`` (Point), sorted by kind, osm_type and osm_id.

    Raises
    ------
    MissingInputError
        The file does not exist.
    InputError
        An unknown kind, or a file libosmium cannot read.
    """
    path = Path(path)
    wanted = _check_kinds(kinds)
    scan = _scan(path, _poi_rules(wanted), lambda tags: classify_tags(tags, wanted))
    return _pois_from_scan(path, scan, area, crs)


def _poi_rules(wanted: Iterable[str]) -> list[TagRule]:
    rules = [r for k in wanted for r in KIND_RULES[k]]
    if "gp" in wanted:
        rules += list(KIND_RULES["huisartsenpost"])
    return rules


def _pois_from_scan(path: Path, scan: _Scan, area: Any, crs: str) -> ReadResult:
    """:func:`read_osm_pois`'s result from the pass over the file."""
    issues = IssueLog("osm_pois", path)
    crs = crs_name(crs)
    points = _points_rd(scan, crs)
    polygon = None if area is None else area_geometry(area, crs=crs)
    check_coverage(path, scan, points, polygon, crs=crs)
    keep = _select(scan, points, polygon, crs)
    n_rejected = _log_rejections(scan, issues)
    for pos, missing, total in scan.partial:
        if keep[pos]:
            for _ in scan.kinds[pos]:
                issues.flag(
                    None,
                    "location",
                    f"w{scan.osm_id[pos]}",
                    f"{missing} of {total} node locations missing; point from the others",
                    "use an extract made with complete ways",
                    record=f"osm:w{scan.osm_id[pos]}",
                )
    rows = []
    for pos in np.flatnonzero(keep):
        tags = scan.tags[pos]
        tag_text = json.dumps(dict(sorted(tags.items())), ensure_ascii=False)
        for kind in scan.kinds[pos]:
            rows.append(
                (
                    scan.osm_type[pos],
                    scan.osm_id[pos],
                    kind,
                    tags.get("name", ""),
                    tags.get("opening_hours", ""),
                    tag_text,
                    points[pos],
                )
            )
    data = _frame(rows, POI_COLUMNS, crs)
    data["osm_id"] = data["osm_id"].astype("int64")
    data = data.sort_values(["kind", "osm_type", "osm_id"], kind="stable").reset_index(drop=True)
    if len(data):
        log.info(
            "%s: %d POIs (%s)",
            path.name,
            len(data),
            ", ".join(f"{k} {n}" for k, n in data["kind"].value_counts().sort_index().items()),
        )
    return ReadResult(
        name="osm_pois",
        path=path,
        data=data,
        rows_read=len(data) + n_rejected,
        issues=issues.to_frame(),
    )


def read_places(
    path: str | Path,
    *,
    area: Any = None,
    place_kinds: Iterable[str] = ("town", "village", "hamlet"),
    crs: str = RD_NEW,
) -> ReadResult:
    """Read settlements (``place=*``) with their population from an OSM extract.

    Parameters
    ----------
    path
        An OSM extract (see :func:`read_osm_pois`).
    area
        A polygon in ``crs``; only places inside are kept and counted.
    crs
        The working CRS of ``area`` and the result (default RD New).
    place_kinds
        The ``place`` values to read (``city``, ``town``, ``village``, ``hamlet``,
        ``isolated_dwelling``, ``suburb``, ...).

    Returns
    -------
    ReadResult
        ``name="osm_places"``; ``data`` has ``place_id`` (``osm:n123``; ``osm:w45`` or ``osm:r67``
        for a place drawn as a closed way or a multipolygon), ``name`` (empty when
        untagged; flagged), ``place``, ``population`` (Int64; NA when untagged or not a
        whole number such as ``"ca. 300"``, which is flagged; ``"1.234"`` with a thousands
        separator is read as 1234 and marked repaired) and ``geometry`` (Point, in ``crs``),
        sorted by place_id.
    """
    path = Path(path)
    place_kinds = tuple(dict.fromkeys(str(k) for k in place_kinds))
    rule = _place_rule(place_kinds)
    scan = _scan(path, [rule], lambda tags: ["place"] if rule.matches(tags) else [])
    return _places_from_scan(path, scan, area, place_kinds, crs)


def _place_rule(place_kinds: tuple[str, ...]) -> TagRule:
    if not place_kinds:
        raise InputError("place_kinds is empty; e.g. place_kinds=('town', 'village', 'hamlet')")
    return TagRule({"place": frozenset(place_kinds)})


def _places_from_scan(path: Path, scan: _Scan, area: Any, place_kinds, crs: str) -> ReadResult:
    """:func:`read_places`'s result from the pass over the file."""
    issues = IssueLog("osm_places", path)
    crs = crs_name(crs)
    points = _points_rd(scan, crs)
    polygon = None if area is None else area_geometry(area, crs=crs)
    check_coverage(path, scan, points, polygon, crs=crs)
    keep = _select(scan, points, polygon, crs)
    n_rejected = _log_rejections(scan, issues)
    rows = []
    for pos in np.flatnonzero(keep):
        tags = scan.tags[pos]
        place_id = f"osm:{scan.osm_type[pos]}{scan.osm_id[pos]}"
        name = tags.get("name", "")
        if not name:
            issues.flag(
                None, "name", place_id, "place without a name", "add name=* in OSM", record=place_id
            )
        population = _parse_population(tags.get("population"), place_id, issues)
        rows.append((place_id, name, tags["place"], population, points[pos]))
    data = _frame(rows, PLACE_COLUMNS, crs)
    data["population"] = pd.array(data["population"].tolist(), dtype="Int64")
    data = data.sort_values("place_id", kind="stable").reset_index(drop=True)
    log.info("%s: %d places (%s)", path.name, len(data), ", ".join(place_kinds))
    return ReadResult(
        name="osm_places",
        path=path,
        data=data,
        rows_read=len(data) + n_rejected,
        issues=issues.to_frame(),
    )


def read_osm_pois_and_places(
    path: str | Path,
    *,
    area: Any = None,
    place_kinds: Iterable[str] = ("town", "village", "hamlet"),
    crs: str = RD_NEW,
) -> tuple[ReadResult, ReadResult]:
    """:func:`read_osm_pois` (every kind) and :func:`read_places` in one pass over the file,
    both in ``crs``.

    The two results are those of the two calls; the study area reads both, and a pass
    over a province extract is the larger part of either.
    """
    path = Path(path)
    place_kinds = tuple(dict.fromkeys(str(k) for k in place_kinds))
    rule = _place_rule(place_kinds)

    def classify(tags: Mapping[str, str]) -> list[str]:
        kinds = classify_tags(tags, KINDS)
        return [*kinds, _PLACE] if rule.matches(tags) else kinds

    scan = _scan(path, [*_poi_rules(KINDS), rule], classify)
    pois = _pois_from_scan(path, _part(scan, lambda kind: kind != _PLACE), area, crs)
    places = _part(scan, lambda kind: kind == _PLACE, as_kind="place")
    return pois, _places_from_scan(path, places, area, place_kinds, crs)


_PLACE = "\0place"  # the settlements' own mark in a shared pass (never a POI kind)


def _part(scan: _Scan, keep: Callable[[str], bool], *, as_kind: str | None = None) -> _Scan:
    """The objects (and rejections) of ``scan`` with a kind ``keep`` accepts, in order;
    their kinds are the kept ones, or ``[as_kind]``."""
    out = _Scan(header_box=scan.header_box)
    moved: dict[int, int] = {}
    for pos, kinds in enumerate(scan.kinds):
        kept = [k for k in kinds if keep(k)]
        if not kept:
            continue
        moved[pos] = len(out.osm_id)
        if pos in scan.polygons:
            out.polygons[moved[pos]] = scan.polygons[pos]
        out.osm_type.append(scan.osm_type[pos])
        out.osm_id.append(scan.osm_id[pos])
        out.kinds.append([as_kind] if as_kind else kept)
        out.tags.append(scan.tags[pos])
        out.coords.append(scan.coords[pos])
        out.closed.append(scan.closed[pos])
    for type_char, osm_id, kinds, reason, hint in scan.rejected:
        kept = [k for k in kinds if keep(k)]
        if kept:
            out.rejected.append((type_char, osm_id, [as_kind] if as_kind else kept, reason, hint))
    out.partial = [(moved[p], missing, n) for p, missing, n in scan.partial if p in moved]
    return out


_THOUSANDS_RE = re.compile(r"^\d{1,3}([.,\s])\d{3}(\1\d{3})*$")


def _parse_population(value: str | None, place_id: str, issues: IssueLog) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    if _THOUSANDS_RE.match(text):
        number = int(re.sub(r"\D", "", text))
        issues.repair(
            None,
            "population",
            f"{place_id} population={value}",
            f"thousands separator removed: {number}",
            "tag population=* as a plain whole number",
            record=place_id,
        )
        return number
    issues.flag(
        None,
        "population",
        f"{place_id} population={value}",
        "population is not a whole number; left empty",
        "tag population=* as a plain whole number (e.g. 300)",
        record=place_id,
    )
    return None


def _frame(rows: list[tuple], columns: list[str], crs: str = RD_NEW) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("osm_type", "kind", "name", "opening_hours", "tags", "place_id", "place"):
        if column in frame.columns:
            frame[column] = frame[column].astype("str")
    geometry = gpd.GeoSeries(list(frame["geometry"]), crs=crs, index=frame.index)
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=crs)


def _check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    wanted = tuple(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in KIND_RULES]
    if unknown:
        close = difflib.get_close_matches(unknown[0], KINDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(
            f"unknown POI kind {unknown[0]!r}", hint=f"{hint}known kinds: {', '.join(KINDS)}"
        )
    return wanted


def osm_data_timestamp(
    path: str | Path, *, cache_dir: str | Path | None = None
) -> dt.datetime | None:
    """When the OSM data was current, for the "data sources and their dates" panel.

    The PBF/XML header's ``osmosis_replication_timestamp`` (Geofabrik extracts carry it) when
    present, else the newest object timestamp in the file (a full pass), else None (files
    written without timestamps).

    Parameters
    ----------
    path
        The OSM extract.
    cache_dir
        A folder to keep the full pass's answer in, per file content
        (``osm-timestamp-<sha256>.json``), so the pass is made once per extract; None (the
        default) makes it every time. An unreadable or unwritable cache is passed over.

    Returns
    -------
    datetime or None
        Timezone-aware (UTC).
    """
    path = Path(path)
    with readable_osm_path(path) as osm_path:
        stamp = _header_timestamp(osm_path, path.name)
        if stamp is not None or cache_dir is None:
            return stamp or _newest_object_timestamp(osm_path)
    cached = Path(cache_dir) / f"osm-timestamp-{file_sha256(path)[:24]}.json"
    try:
        text = json.loads(cached.read_text(encoding="utf-8"))["newest_object"]
        return None if text is None else dt.datetime.fromisoformat(text)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not cached yet (or damaged): make the pass
    with readable_osm_path(path) as osm_path:
        stamp = _newest_object_timestamp(osm_path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        body = {"newest_object": None if stamp is None else stamp.isoformat()}
        write_text_atomic(cached, json.dumps(body) + "\n")
    except OSError as exc:
        log.debug("cannot cache the OSM timestamp in %s: %s", cached, exc)
    return stamp


def _header_timestamp(osm_path: Path, name: str) -> dt.datetime | None:
    """The header's replication timestamp (or ``timestamp``), None when absent or unreadable."""
    reader = osmium.io.Reader(str(osm_path), osmium.osm.NOTHING)
    try:
        header = reader.header()
        stamp = header.get("osmosis_replication_timestamp", "") or header.get("timestamp", "")
    finally:
        reader.close()
    if stamp:
        try:
            return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            log.warning("%s: header timestamp %r is not ISO 8601; ignored", name, stamp)
    return None


def _newest_object_timestamp(osm_path: Path) -> dt.datetime | None:
    """The newest object timestamp in a readable file (a full pass); None when it has none."""
    newest = 0.0
    for obj in osmium.FileProcessor(str(osm_path)):
        ts = obj.timestamp.timestamp()
        if ts > newest:
            newest = ts
    if newest <= 0:
        return None
    return dt.datetime.fromtimestamp(newest, tz=dt.UTC)
