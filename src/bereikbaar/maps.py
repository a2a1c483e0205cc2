"""Folium maps of the Hartveilig and Dorpshub results that work without internet.

Two public writers, each taking a result object (duck-typed: only the attributes named in
the docstrings are read) and writing one self-contained HTML file:

* :func:`write_hartveilig_map` — residents' 100 m cells coloured by minutes to the nearest
  available AED, one base layer per moment plus the share of the week, white spots, AEDs by
  availability class, proposed AED sites, an assumptions panel.
* :func:`write_dorpshub_map` — villages sized by residents and coloured by minutes to a
  service per travel mode (one base layer per ``minutes_<service>_<profile>`` column),
  services by kind, stations and hubs with departures per hour, proposed hubs.

Offline assets
--------------
With ``offline=True`` (the default) every CDN URL of the map and of its elements is
replaced by a local copy: the files are copied from the *asset folder* into
``<folder of the HTML>/_assets/`` and referenced relatively, so the output folder can be
zipped and opened anywhere without internet. The asset folder is ``$BEREIKBAAR_ASSETS`` or
``<repo>/vendor/web``, filled once by ``make assets`` (``scripts/fetch_map_assets.py``
fetches the packages in :data:`WEB_PACKAGES` from the npm registry). No base tiles are
drawn offline; the map shows everything on a plain background. With ``offline=False`` the
CDN URLs stay and an OpenStreetMap base map is added to the layer control.

Stable DOM hooks: every drawn feature carries a CSS class (Leaflet's ``className`` path
option): ``bb-cell``, ``bb-white-spot``, ``bb-aed bb-aed-24-7`` / ``bb-aed-limited`` /
``bb-aed-unknown``, ``bb-proposal``, ``bb-boundary``, ``bb-village``, ``bb-service``,
``bb-hub``, ``bb-hub-link``.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from bereikbaar._files import write_text_atomic
from bereikbaar._web_assets import (
    ASSETS_DIRNAME,
    REMOTE_TAG,
    WEB_PACKAGES,
    copy_assets,
    localize_assets,
    walk,
    web_asset_dir,
)
from bereikbaar.errors import BereikbaarError, check_crs

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

log = logging.getLogger(__name__)

#: Decimals kept for lon/lat in the HTML (1e-5 degree is about 1 m in Drenthe).
COORD_DECIMALS = 5
#: Simplification tolerances before drawing (RD New metres).
WHITE_SPOT_SIMPLIFY_M = 10.0
BOUNDARY_SIMPLIFY_M = 20.0
MAX_ZOOM = 18
MIN_ZOOM = 7
PANEL_WIDTH_PX = 300
#: Leaflet pane above the cells and white spots (overlayPane, z 400) for points and lines,
#: so switching the moment layer never buries the AEDs under the newly added areas.
POINTS_PANE = "bbPoints"


# ------------------------------------------------------------------------------ styling
MINUTE_BINS = (0.0, 2.5, 5.0, 7.5, 10.0, 15.0)
MINUTE_COLORS = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")
NO_AED_COLOR = "#5e3c99"
SHARE_BINS = (0.0, 0.25, 0.5, 0.75, 0.9995, 1.0)
SHARE_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
VILLAGE_MINUTE_BINS = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0)
VILLAGE_MINUTE_COLORS = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#f46d43", "#a50026")
UNREACHABLE_COLOR = "#5e3c99"

AED_CLASSES: dict[str, dict[str, Any]] = {
    "24/7": {
        "slug": "24-7",
        "label": "AED 24/7 beschikbaar",
        "style": {
            "color": "#ffffff",
            "weight": 2,
            "fillColor": "#1f4e9c",
            "fillOpacity": 1.0,
            "fill": True,
        },
        "radius": 7,
    },
    "limited": {
        "slug": "limited",
        "label": "AED met beperkte openingstijden",
        "style": {
            "color": "#ffffff",
            "weight": 2,
            "fillColor": "#c51b7d",
            "fillOpacity": 1.0,
            "fill": True,
        },
        "radius": 6,
    },
    "unknown": {
        "slug": "unknown",
        "label": "AED, openingstijden onbekend",
        "style": {
            "color": "#444444",
            "weight": 2,
            "dashArray": "2,2",
            "fillColor": "#ffffff",
            "fillOpacity": 0.9,
            "fill": True,
        },
        "radius": 5,
    },
}

SERVICE_LABELS = {
    "gp": "Huisarts",
    "huisartsenpost": "Huisartsenpost",
    "hospital": "Ziekenhuis",
    "station": "Treinstation",
    "bus_hub": "Busknooppunt",
    "bus_stop": "Bushalte",
    "supermarket": "Supermarkt",
    "school": "Basisschool",
    "pharmacy": "Apotheek",
    "community_centre": "Dorpshuis",
    "church": "Kerk",
    "sports": "Sport",
    "aed": "AED",
}
PROFILE_LABELS = {
    "walk": "lopen",
    "bike": "fiets",
    "ebike": "e-bike",
    "e_bike": "e-bike",
    "drive": "auto",
    "car": "auto",
    "transit": "ov",
    "aed_responder": "burgerhulpverlener",
}
_SERVICE_PALETTE = (  # chosen apart from the village minute colours
    "#1f78b4",
    "#e7298a",
    "#8c564b",
    "#17becf",
    "#555555",
    "#bcbd22",
    "#08306b",
    "#f781bf",
    "#a6761d",
    "#00a0a0",
)
_PROVENANCE_LABELS = {"osm": "OpenStreetMap", "register": "AED-register", "both": "OSM en register"}


# ============================================================================ public API
__all__ = ["WEB_PACKAGES", "web_asset_dir", "write_dorpshub_map", "write_hartveilig_map"]


def write_hartveilig_map(
    result: Any,
    path: str | os.PathLike[str],
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries,
    offline: bool = True,
    sources_note: str = "",
) -> Path:
    """Write the Hartveilig (AED coverage) map of one municipality as an HTML file.

    Parameters
    ----------
    result
        A ``HartveiligResult`` or anything with its attributes: ``gemeente``, ``moments``
        (objects with ``name``, ``label``), ``cell_size_m`` (m), ``cells`` (centroid points:
        ``cell_id, residents, residents_65_plus, minutes_<moment>`` (min, NaN = no available
        AED within reach), ``covered_<moment>``, ``weekly_share`` (0..1)), ``white_spots``,
        ``aeds``, ``proposals``, ``summary`` and ``assumptions``; tables in EPSG:28992.
    path
        The HTML file to write; its folder gets an ``_assets/`` folder when ``offline``.
    boundary
        The municipality outline (EPSG:28992).
    offline
        Reference local copies of Leaflet (no internet needed, no base map); ``False``
        keeps the CDN URLs and adds an OpenStreetMap base map.
    sources_note
        Data sources and their dates, shown in the assumptions panel.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    BereikbaarError
        When ``offline`` and the asset folder lacks a file (run ``make assets``).
    """
    import folium

    path = Path(path)
    moments = tuple(result.moments)
    cells = result.cells
    for name, gdf in (
        ("result.cells", cells),
        ("result.white_spots", result.white_spots),
        ("result.aeds", result.aeds),
        ("result.proposals", result.proposals),
    ):
        check_crs(gdf, what=name)
    m, outline = _base_map(boundary, offline=offline)

    # Residents' cells: one shared table, one L.geoJSON base layer per moment + week.
    columns = [f"minutes_{mo.name}" for mo in moments]
    missing = [c for c in [*columns, "weekly_share"] if c not in cells.columns]
    if missing:
        raise BereikbaarError(
            f"result.cells lacks column(s) {', '.join(missing)}; expected minutes_<moment> for "
            f"every moment in result.moments and weekly_share"
        )
    cell_data = _cell_data(cells, float(result.cell_size_m), moments)
    m.add_child(cell_data)
    opacity = 0.7 if offline else 0.55
    spots = result.white_spots
    for i, mo in enumerate(moments):
        group = folium.FeatureGroup(
            name=f"Minuten tot AED: {_moment_label(mo)}", overlay=False, show=i == 0
        )
        _cell_layer(
            cell_data,
            f"minutes_{mo.name}",
            kind="minutes",
            bins=MINUTE_BINS,
            colors=MINUTE_COLORS,
            none_color=NO_AED_COLOR,
            opacity=opacity,
            name=f"cells {mo.name}",
        ).add_to(group)
        mine = spots[spots["moment"] == mo.name] if "moment" in spots.columns else spots.iloc[:0]
        if len(mine):
            _white_spot_layer(mine, mo.name).add_to(group)
        group.add_to(m)
    week = folium.FeatureGroup(
        name="Aandeel van de week met AED binnen bereik", overlay=False, show=False
    )
    _cell_layer(
        cell_data,
        "weekly_share",
        kind="share",
        bins=SHARE_BINS,
        colors=SHARE_COLORS,
        none_color=NO_AED_COLOR,
        opacity=opacity,
        name="cells weekly_share",
    ).add_to(week)
    week.add_to(m)

    # AEDs, one GeoJson layer per availability class.
    aeds = result.aeds
    status = aeds["availability_status"].fillna("unknown").astype(str)
    status = status.where(status.isin(list(AED_CLASSES)), "unknown")
    for key, spec in AED_CLASSES.items():
        rows = aeds[(status == key).to_numpy()]
        if len(rows):
            _aed_layer(rows, spec).add_to(m)
    if len(result.proposals):
        _proposal_layer(result.proposals).add_to(m)
    outline.add_to(m)

    panel = _hartveilig_panel(result, moments, sources_note=sources_note, offline=offline)
    m.add_child(_panel(panel))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return _save(m, path, offline=offline)


def write_dorpshub_map(
    result: Any,
    path: str | os.PathLike[str],
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries,
    offline: bool = True,
    sources_note: str = "",
) -> Path:
    """Write the Dorpshub (village access) map of one municipality as an HTML file.

    Parameters
    ----------
    result
        A ``DorpshubResult`` or anything with its attributes: ``gemeente``, ``villages``
        (points: ``village, place, residents, residents_65_plus, score, n_failed_norms,
        failed_norms`` and ``minutes_<service>_<profile>`` columns, min), ``services``
        (``kind, name, departures_per_hour``), ``hubs`` (``rank, village,
        residents_served, villages_served``), ``summary`` and ``assumptions``; EPSG:28992.
    path
        The HTML file to write; its folder gets an ``_assets/`` folder when ``offline``.
    boundary
        The municipality outline (EPSG:28992).
    offline
        Reference local copies of Leaflet (no internet needed, no base map); ``False``
        keeps the CDN URLs and adds an OpenStreetMap base map.
    sources_note
        Data sources and their dates, shown in the assumptions panel.

    Returns
    -------
    Path
        The written file.
    """
    import folium

    path = Path(path)
    villages = result.villages
    for name, gdf in (
        ("result.villages", villages),
        ("result.services", result.services),
        ("result.hubs", result.hubs),
    ):
        check_crs(gdf, what=name)
    m, outline = _base_map(boundary, offline=offline)

    columns = [c for c in villages.columns if c.startswith("minutes_")]
    summary = result.summary if isinstance(result.summary, Mapping) else {}
    if columns:
        for i, col in enumerate(columns):
            _village_layer(villages, col, columns, summary=summary, show=i == 0).add_to(m)
    elif len(villages):
        _village_layer(villages, None, [], summary=summary, show=True).add_to(m)

    services = result.services
    service_colors: dict[str, str] = {}
    if len(services):
        kind_of = services["kind"].fillna("other").astype(str)
        for j, kind in enumerate(sorted(kind_of.unique())):
            service_colors[kind] = _SERVICE_PALETTE[j % len(_SERVICE_PALETTE)]
            rows = services[(kind_of == kind).to_numpy()]
            _service_layer(rows, kind, service_colors[kind]).add_to(m)

    hubs = result.hubs
    if len(hubs):
        links = _hub_links(hubs, villages)
        if links is not None:
            links.add_to(m)
        _hub_layer(hubs).add_to(m)
    outline.add_to(m)

    panel = _dorpshub_panel(result, columns, service_colors, sources_note=sources_note)
    m.add_child(_panel(panel))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return _save(m, path, offline=offline)


# ============================================================================ map frame
def _base_map(boundary: Any, *, offline: bool) -> tuple[folium.Map, folium.GeoJson]:
    """A map fitted to the municipality, with its outline layer (not yet added)."""
    import folium

    check_crs(boundary, what="the municipality boundary")
    geom = boundary.union_all() if hasattr(boundary, "union_all") else boundary
    geom = geom.simplify(BOUNDARY_SIMPLIFY_M, preserve_topology=True)
    import geopandas as gpd

    geom_ll = gpd.GeoSeries([geom], crs=boundary.crs).to_crs("EPSG:4326").iloc[0]
    west, south, east, north = geom_ll.bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=11,
        tiles=None,
        max_zoom=MAX_ZOOM,
        min_zoom=MIN_ZOOM,
        control_scale=False,  # a metric-only scale bar is added by the panel
        prefer_canvas=False,
    )
    folium.map.CustomPane(POINTS_PANE, z_index=450, pointer_events=True).add_to(m)
    # The OpenStreetMap base map is in the layer control of every map. Offline maps keep it
    # switched off, so they load nothing from the internet unless the user turns it on.
    folium.TileLayer(
        "OpenStreetMap",
        name="Achtergrondkaart (OpenStreetMap, internet nodig)",
        overlay=True,
        control=True,
        show=not offline,
        max_zoom=MAX_ZOOM,
    ).add_to(m)
    # leave room for the panel on the left
    m.fit_bounds([[south, west], [north, east]], padding_top_left=(PANEL_WIDTH_PX + 20, 10))
    feature = {
        "type": "Feature",
        "id": "0",
        "properties": {"bb": "bb-boundary"},
        "geometry": _geometry_json(geom_ll),
    }
    outline = folium.GeoJson(
        {"type": "FeatureCollection", "features": [feature]},
        name="Gemeentegrens",
        style_function=lambda f: {
            "pane": POINTS_PANE,
            "className": "bb-boundary",
            "color": "#222222",
            "weight": 2.5,
            "fill": False,
            "interactive": False,
        },
    )
    return m, outline


def _save(m: folium.Map, path: Path, *, offline: bool) -> Path:
    """Localise assets, render with stable element ids and write atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files = localize_assets(m, offline=offline)
    if offline:
        copy_assets(files, path.parent / ASSETS_DIRNAME)
    _stable_ids(m.get_root())
    text = m.get_root().render()
    if offline:
        hit = REMOTE_TAG.search(text)
        if hit:
            raise BereikbaarError(
                f"offline map {path.name} would still load a remote file "
                f"({text[hit.start() : hit.start() + 120]!r}); add it to bereikbaar._web_assets "
                f"WEB_ASSETS and WEB_PACKAGES"
            )
    write_text_atomic(path, text)
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def _stable_ids(root: Any) -> None:
    """Give every element a sequential id so the same input renders byte-identical HTML."""
    for i, element in enumerate(walk(root)):
        element._id = f"{i:04d}"


# ============================================================================ elements
def _js_json(obj: Any) -> str:
    """Compact JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@functools.cache
def _element_classes() -> SimpleNamespace:
    """The custom folium elements, defined on first use (folium is imported lazily)."""
    from branca.element import MacroElement
    from folium.map import Layer
    from folium.template import Template

    class Panel(MacroElement):
        """A fixed HTML panel (legend, assumptions) beside the map."""

        _template = Template(
            """
            {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
            {% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}
            {% macro script(this, kwargs) %}
            L.control.scale({imperial: false, maxWidth: 160, position: "bottomright"})
                .addTo({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, content: str) -> None:
            super().__init__()
            self._name = "Panel"
            self.content = content
            self.css = _PANEL_CSS.replace("PANEL_WIDTH", f"{PANEL_WIDTH_PX}px")

    class CellData(MacroElement):
        """The residents' cells as one JSON block shared by all cell layers."""

        _template = Template(
            """
            {% macro html(this, kwargs) %}<script type="application/json" id="bb-cells-data">
            {{- this.payload -}}
            </script>{% endmacro %}
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = JSON.parse(
                document.getElementById("bb-cells-data").textContent);
            {{ this.helper }}
            {% endmacro %}
            """
        )

        def __init__(self, payload: str) -> None:
            super().__init__()
            self._name = "CellData"
            self.payload = payload
            self.helper = _CELL_JS

    class CellLayer(Layer):
        """One L.geoJSON layer of the cells, coloured by one column of :class:`CellData`."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = bbCellLayer(
                {{ this.data.get_name() }}, {{ this.column|tojson }}, {{ this.opts|tojson }});
            {% endmacro %}
            """
        )

        def __init__(self, data: Any, column: str, opts: dict, name: str) -> None:
            super().__init__(name=name, overlay=True, control=False, show=True)
            self._name = "CellLayer"
            self.data = data
            self.column = column
            self.opts = opts

    return SimpleNamespace(Panel=Panel, CellData=CellData, CellLayer=CellLayer)


def _panel(content: str) -> Any:
    return _element_classes().Panel(content)


def _cell_data(cells: gpd.GeoDataFrame, cell_size_m: float, moments: Sequence[Any]) -> Any:
    """The residents' cells as one compact JSON table shared by all cell layers.

    ``ring[i]`` holds the four corners (lon, lat, 5 decimals) of the square of
    ``cell_size_m`` around centroid ``i``, built in RD New and projected exactly.
    """
    import numpy as np
    from pyproj import Transformer

    x = cells.geometry.x.to_numpy(dtype=float)
    y = cells.geometry.y.to_numpy(dtype=float)
    h = cell_size_m / 2.0
    cx = np.stack([x - h, x + h, x + h, x - h], axis=1)
    cy = np.stack([y - h, y - h, y + h, y + h], axis=1)
    to_ll = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(cx, cy)
    ring = np.round(np.stack([lon, lat], axis=2).reshape(len(x), 8), COORD_DECIMALS)
    values: dict[str, list[float | int | None]] = {}
    covered: dict[str, list[int]] = {}
    for mo in moments:
        values[f"minutes_{mo.name}"] = _num_list(cells[f"minutes_{mo.name}"], 1)
        cov = f"covered_{mo.name}"
        if cov in cells.columns:
            flags = cells[cov].astype("boolean").fillna(False).to_numpy(dtype=bool)
            covered[f"minutes_{mo.name}"] = [int(v) for v in flags]
    values["weekly_share"] = _num_list(cells["weekly_share"], 3)
    if "residents_65_plus" in cells.columns:
        res65 = _num_list(cells["residents_65_plus"], 0)
    else:
        res65 = [None] * len(cells)
    payload = {
        "ring": ring.tolist(),
        "inw": _num_list(cells["residents"], 0),
        "inw65": res65,
        "values": values,
        "covered": covered,
    }
    return _element_classes().CellData(_js_json(payload))


def _cell_layer(
    data: Any,
    column: str,
    *,
    kind: str,
    bins: Sequence[float],
    colors: Sequence[str],
    none_color: str,
    opacity: float,
    name: str,
) -> Any:
    import branca.colormap as cm

    colormap = cm.StepColormap(list(colors), index=list(bins), vmin=bins[0], vmax=bins[-1])
    opts = {
        "kind": kind,
        "bins": list(colormap.index),
        "colors": [_hex(c) for c in colormap.colors],
        "none": none_color,
        "opacity": opacity,
    }
    return _element_classes().CellLayer(data, column, opts, name)


def _hex(rgba: Sequence[float]) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgba[:3])


_CELL_JS = r"""
function bbStepColor(v, opts) {
    if (v === null || v === undefined) { return opts.none; }
    var i = 0;
    for (var k = 0; k < opts.bins.length; k++) { if (opts.bins[k] <= v) { i = k + 1; } }
    i = Math.max(1, Math.min(i, opts.colors.length));
    return opts.colors[i - 1];
}
function bbNum(v, d) { return v.toFixed(d).replace(".", ","); }
function bbCellLayer(data, column, opts) {
    var vals = data.values[column];
    var cov = data.covered[column];
    var features = [];
    for (var i = 0; i < data.ring.length; i++) {
        var r = data.ring[i];
        features.push({type: "Feature", properties: {i: i}, geometry: {type: "Polygon",
            coordinates: [[[r[0], r[1]], [r[2], r[3]], [r[4], r[5]], [r[6], r[7]],
                           [r[0], r[1]]]]}});
    }
    var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
        style: function (f) {
            return {className: "bb-cell", stroke: false, fillOpacity: opts.opacity,
                    fillColor: bbStepColor(vals[f.properties.i], opts)};
        }
    });
    layer.bindTooltip(function (l) {
        var i = l.feature.properties.i, v = vals[i], t;
        if (opts.kind === "share") {
            t = v === null ? "geen gegevens" : Math.round(v * 100) + "% van de week een AED binnen bereik";
        } else {
            t = v === null ? "geen beschikbare AED binnen bereik"
                           : bbNum(v, 1) + " min tot de dichtstbijzijnde beschikbare AED";
            if (cov && v !== null) { t += cov[i] ? " (binnen budget)" : " (buiten budget)"; }
        }
        var n = data.inw[i] === null ? "?" : data.inw[i];
        var o = data.inw65[i] === null ? "" : ", waarvan " + data.inw65[i] + " 65+";
        return t + "<br>" + n + " inwoners" + o;
    }, {sticky: true});
    return layer;
}
"""

_PANEL_CSS = """
.folium-map.leaflet-container { background: #eef0ec; }
.bb-panel { position: fixed; left: 10px; bottom: 20px; z-index: 1000; width: PANEL_WIDTH;
  box-sizing: border-box; max-height: calc(100vh - 110px); overflow: auto; background: rgba(255,255,255,0.94); padding: 8px 10px;
  border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.4);
  font: 12px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
.bb-panel h3 { margin: 0 0 4px; font-size: 14px; }
.bb-panel h4 { margin: 6px 0 2px; font-size: 12px; }
.bb-panel ul { margin: 2px 0; padding-left: 16px; }
.bb-panel summary { cursor: pointer; font-weight: 600; margin-top: 4px; }
.bb-legend { display: flex; flex-wrap: wrap; gap: 2px 8px; }
.bb-legend span { white-space: nowrap; }
.bb-sw { display: inline-block; width: 12px; height: 12px; margin-right: 3px;
  vertical-align: -2px; border: 1px solid #888; }
.bb-dot { border-radius: 50%; }
.bb-panel .bb-note { color: #555; }
.leaflet-control-layers { font-size: 12px; max-height: 60vh; overflow: auto; }
.leaflet-tooltip.bb-label { background: transparent; border: 0; box-shadow: none; padding: 0;
  font: 700 11px system-ui, sans-serif; color: #1f4e9c; }
.leaflet-tooltip.bb-label::before { display: none; }
"""


# ============================================================================ layers
def _geojson(
    features: list[dict],
    *,
    name: str,
    style: Callable[[dict], dict],
    popup: Sequence[tuple[str, str]] = (),
    tooltip: Sequence[tuple[str, str]] = (),
    label: str | None = None,
    radius: float | None = None,
    overlay: bool = True,
    show: bool = True,
    pane: str | None = POINTS_PANE,
) -> folium.GeoJson:
    """One folium GeoJson layer; points become CircleMarkers styled per feature.

    ``popup``/``tooltip`` are (property, alias) pairs; ``label`` names a property shown as
    a permanent label on each feature (bound per feature: a group-level permanent tooltip
    would open only once).
    """
    import folium
    from folium.utilities import JsCode

    kwargs: dict[str, Any] = {}
    if popup:
        kwargs["popup"] = folium.GeoJsonPopup(
            fields=[f for f, _ in popup],
            aliases=[a for _, a in popup],
            localize=False,
            max_width=360,
        )
    if tooltip:
        kwargs["tooltip"] = folium.GeoJsonTooltip(
            fields=[f for f, _ in tooltip],
            aliases=[a for _, a in tooltip],
            localize=False,
            sticky=True,
        )
    if label:
        kwargs["on_each_feature"] = JsCode(
            "function (feature, layer) { layer.bindTooltip(String(feature.properties["
            + json.dumps(label)
            + "]), {permanent: true, direction: 'center', className: 'bb-label', "
            "interactive: false}); }"
        )
    if radius is not None:
        kwargs["marker"] = folium.CircleMarker(radius=radius)
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        overlay=overlay,
        show=show,
        style_function=style if pane is None else (lambda f: {**style(f), "pane": pane}),
        **kwargs,
    )


def _features(gdf: gpd.GeoDataFrame, props: Callable[[Any], dict], *, simplify_m: float = 0.0):
    """GeoJSON features (EPSG:4326, rounded) with ``props(row)`` as properties."""
    geoms = gdf.geometry
    if simplify_m:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs("EPSG:4326")
    out = []
    for i, ((_, row), geom) in enumerate(zip(gdf.iterrows(), geoms, strict=True)):
        if geom is None or geom.is_empty:
            log.warning("skipping a row without geometry in %s", gdf.attrs.get("name", "a layer"))
            continue
        out.append(
            {
                "type": "Feature",
                "id": str(i),
                "properties": props(row),
                "geometry": _geometry_json(geom),
            }
        )
    return out


def _geometry_json(geom: Any) -> dict:
    import numpy as np
    import shapely

    rounded = shapely.transform(geom, lambda c: np.round(c, COORD_DECIMALS))
    return json.loads(shapely.to_geojson(rounded))


def _white_spot_layer(spots: gpd.GeoDataFrame, moment: str) -> folium.GeoJson:
    cls = f"bb-white-spot bb-moment-{moment}"

    def props(row: Any) -> dict:
        return {
            "bb": cls,
            "rank": _fmt_int(row.get("rank")),
            "inw": _fmt_int(row.get("residents")),
            "inw65": _fmt_int(row.get("residents_65_plus")),
            "area": _fmt_num(row.get("area_km2"), 2, " km²"),
            "village": _text(row.get("nearest_village")),
            "aed": _fmt_dist(row.get("dist_nearest_aed_m")),
            "aed247": _fmt_dist(row.get("dist_nearest_24_7_aed_m")),
        }

    return _geojson(
        _features(spots, props, simplify_m=WHITE_SPOT_SIMPLIFY_M),
        name=f"witte vlekken {moment}",
        style=lambda f: {
            "className": f["properties"]["bb"],
            "color": "#222222",
            "weight": 1,
            "fillColor": "#222222",
            "fillOpacity": 0.05,  # the cells below keep their colour; the fill makes it clickable
            "fill": True,
        },
        pane=None,  # with the cells, below the points
        popup=[
            ("rank", "Witte vlek nr."),
            ("inw", "Inwoners"),
            ("inw65", "Waarvan 65+"),
            ("area", "Oppervlakte"),
            ("village", "Dichtstbijzijnde dorp"),
            ("aed", "Afstand tot dichtstbijzijnde AED"),
            ("aed247", "Afstand tot dichtstbijzijnde 24/7-AED"),
        ],
    )


def _aed_layer(aeds: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> folium.GeoJson:
    cls = f"bb-aed bb-aed-{spec['slug']}"

    def props(row: Any) -> dict:
        where = ", ".join(
            _text(row.get(c)) for c in ("name", "street", "place") if _text(row.get(c)) != "–"
        )
        indoor = row.get("indoor")
        indoor_text = "onbekend" if _isna(indoor) else ("binnen" if bool(indoor) else "buiten")
        prov = str(row.get("provenance") or "")
        return {
            "bb": cls,
            "where": where or "–",
            "hours": _text(row.get("availability")),
            "status": _esc(spec["label"]),
            "indoor": indoor_text,
            "source": _esc(_PROVENANCE_LABELS.get(prov, prov or "onbekend")),
            "id": _text(row.get("aed_id")),
        }

    style = {"className": cls, **spec["style"], "radius": spec["radius"]}
    return _geojson(
        _features(aeds, props),
        name=spec["label"],
        style=lambda f: style,
        radius=spec["radius"],
        popup=[
            ("where", "Locatie"),
            ("hours", "Beschikbaarheid"),
            ("status", "Klasse"),
            ("indoor", "Binnen/buiten"),
            ("source", "Bron"),
            ("id", "Id"),
        ],
    )


def _proposal_layer(proposals: gpd.GeoDataFrame) -> folium.GeoJson:
    def props(row: Any) -> dict:
        return {
            "bb": "bb-proposal",
            "rank": _fmt_int(row.get("rank")),
            "name": _text(row.get("name")),
            "kind": _esc(SERVICE_LABELS.get(str(row.get("kind")), str(row.get("kind")))),
            "gain": _fmt_int(row.get("gain_residents")),
            "cum": _fmt_int(row.get("cumulative_residents")),
        }

    style = {
        "className": "bb-proposal",
        "color": "#1f4e9c",
        "weight": 3,
        "fillColor": "#ffe066",
        "fillOpacity": 1.0,
        "fill": True,
        "radius": 9,
    }
    return _geojson(
        _features(proposals, props),
        name="Voorgestelde nieuwe AED's",
        style=lambda f: style,
        radius=9,
        popup=[
            ("rank", "Voorstel nr."),
            ("name", "Locatie"),
            ("kind", "Soort plek"),
            ("gain", "Extra inwoners binnen bereik"),
            ("cum", "Cumulatief extra inwoners"),
        ],
        label="rank",
    )


def _split_minutes_column(col: str, summary: Mapping[str, Any]) -> tuple[str, str]:
    """``minutes_gp_bike`` → (``gp``, ``bike``); profiles named in the summary win."""
    rest = col.removeprefix("minutes_")
    known: list[str] = []
    settings = summary.get("settings") if isinstance(summary, Mapping) else None
    for source in (summary, settings if isinstance(settings, Mapping) else {}):
        profiles = source.get("profiles")
        if isinstance(profiles, Mapping | list | tuple):
            known += [str(p) for p in profiles]
    known += list(PROFILE_LABELS)
    for prof in sorted(set(known), key=len, reverse=True):
        if rest.endswith("_" + prof) and len(rest) > len(prof) + 1:
            return rest[: -len(prof) - 1], prof
    service, _, prof = rest.rpartition("_")
    return (service, prof) if service else (rest, "")


def _column_label(col: str, summary: Mapping[str, Any]) -> str:
    service, prof = _split_minutes_column(col, summary)
    s = SERVICE_LABELS.get(service, service.replace("_", " "))
    p = PROFILE_LABELS.get(prof, prof.replace("_", " "))
    return f"{s} ({p})" if p else s


def _village_radius(residents: Any) -> float:
    n = 0.0 if _isna(residents) else max(float(residents), 0.0)
    return round(min(3.0 + math.sqrt(n) / 4.0, 22.0), 1)


def _village_layer(
    villages: gpd.GeoDataFrame,
    column: str | None,
    columns: Sequence[str],
    *,
    summary: Mapping[str, Any],
    show: bool,
) -> folium.GeoJson:
    import branca.colormap as cm

    colormap = cm.StepColormap(
        list(VILLAGE_MINUTE_COLORS),
        index=list(VILLAGE_MINUTE_BINS),
        vmin=VILLAGE_MINUTE_BINS[0],
        vmax=VILLAGE_MINUTE_BINS[-1],
    )
    labels = {c: _column_label(c, summary) for c in columns}

    def props(row: Any) -> dict:
        value = row.get(column) if column else None
        color = UNREACHABLE_COLOR if _isna(value) else colormap.rgb_hex_str(float(value))
        if column is None:
            color = "#777777"
        p = {
            "bb": "bb-village",
            "color": color,
            "r": _village_radius(row.get("residents")),
            "village": _text(row.get("village")),
            "place": _text(row.get("place")),
            "inw": _fmt_int(row.get("residents")),
            "inw65": _fmt_int(row.get("residents_65_plus")),
            "score": _fmt_num(row.get("score"), 2),
            "nfail": _fmt_int(row.get("n_failed_norms")),
            "failed": _text(row.get("failed_norms")),
        }
        if column:
            p["here"] = _fmt_minutes(value)
        p["all"] = "<br>".join(f"{_esc(labels[c])}: {_fmt_minutes(row.get(c))}" for c in columns)
        return p

    fields = [
        ("village", "Dorp"),
        ("place", "Soort kern"),
        ("inw", "Inwoners"),
        ("inw65", "Waarvan 65+"),
    ]
    if column:
        fields.append(("here", labels[column]))
    fields += [
        ("score", "Score"),
        ("nfail", "Normen niet gehaald"),
        ("failed", "Welke normen"),
    ]
    if columns:
        fields.append(("all", "Reistijden"))
    name = f"Dorpen: minuten tot {labels[column]}" if column else "Dorpen"
    return _geojson(
        _features(villages, props),
        name=name,
        style=lambda f: {
            "className": "bb-village",
            "color": "#333333",
            "weight": 1,
            "fillColor": f["properties"]["color"],
            "fillOpacity": 0.9,
            "fill": True,
            "radius": f["properties"]["r"],
        },
        radius=6,
        popup=fields,
        tooltip=[("village", "Dorp"), ("inw", "Inwoners")]
        + ([("here", "Minuten")] if column else []),
        overlay=False,
        show=show,
    )


def _service_layer(rows: gpd.GeoDataFrame, kind: str, color: str) -> folium.GeoJson:
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "other"
    cls = f"bb-service bb-service-{slug}"
    transit = kind in ("station", "bus_hub")

    def props(row: Any) -> dict:
        dep = row.get("departures_per_hour")
        return {
            "bb": cls,
            "name": _text(row.get("name")),
            "kind": _esc(SERVICE_LABELS.get(kind, kind)),
            "dep": _fmt_num(dep, 1),
            "r": (4 + min(2 * math.sqrt(float(dep)), 8)) if transit and not _isna(dep) else 4,
        }

    fields = [("name", "Naam"), ("kind", "Soort")]
    if transit or (
        "departures_per_hour" in rows.columns and rows["departures_per_hour"].notna().any()
    ):
        fields.append(("dep", "Vertrekken per uur"))
    return _geojson(
        _features(rows, props),
        name=f"{SERVICE_LABELS.get(kind, kind)}",
        style=lambda f: {
            "className": cls,
            "color": "#ffffff" if not transit else "#000000",
            "weight": 1.5 if not transit else 2,
            "fillColor": color,
            "fillOpacity": 0.95,
            "fill": True,
            "radius": f["properties"]["r"],
        },
        radius=4,
        popup=fields,
        tooltip=[("name", SERVICE_LABELS.get(kind, kind))],
    )


def _served_names(value: Any) -> list[str]:
    if value is None or isinstance(value, int | float):
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,|]", value) if v.strip()]
    try:
        return [str(v).strip() for v in value if str(v).strip()]
    except TypeError:
        return []


def _hub_links(hubs: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> folium.GeoJson | None:
    """Lines from each proposed hub to the villages it serves (when listed by name)."""
    if "villages_served" not in hubs.columns or "village" not in villages.columns:
        return None
    import geopandas as gpd
    from shapely.geometry import LineString

    where = {str(v): g for v, g in zip(villages["village"], villages.geometry, strict=True)}
    lines, rows = [], []
    for _, hub in hubs.iterrows():
        for name in _served_names(hub.get("villages_served")):
            target = where.get(name)
            if target is None or hub.geometry is None or target.equals(hub.geometry):
                continue
            lines.append(LineString([hub.geometry, target]))
            rows.append({"hub": _text(hub.get("village")), "village": _esc(name)})
    if not lines:
        return None
    gdf = gpd.GeoDataFrame(rows, geometry=lines, crs=hubs.crs)
    return _geojson(
        _features(gdf, lambda r: {"bb": "bb-hub-link", "hub": r["hub"], "village": r["village"]}),
        name="Dorpen per voorgestelde hub",
        style=lambda f: {
            "className": "bb-hub-link",
            "color": "#1f4e9c",
            "weight": 2,
            "opacity": 0.7,
            "dashArray": "4,4",
        },
        tooltip=[("hub", "Hub"), ("village", "Dorp")],
    )


def _hub_layer(hubs: gpd.GeoDataFrame) -> folium.GeoJson:
    def props(row: Any) -> dict:
        served = row.get("villages_served")
        names = _served_names(served)
        return {
            "bb": "bb-hub",
            "rank": _fmt_int(row.get("rank")),
            "village": _text(row.get("village")),
            "inw": _fmt_int(row.get("residents_served")),
            "served": _esc(", ".join(names)) if names else _fmt_int(served),
        }

    style = {
        "className": "bb-hub",
        "color": "#1f4e9c",
        "weight": 3,
        "fillColor": "#ffe066",
        "fillOpacity": 1.0,
        "fill": True,
        "radius": 10,
    }
    return _geojson(
        _features(hubs, props),
        name="Voorgestelde dorpshubs",
        style=lambda f: style,
        radius=10,
        popup=[
            ("rank", "Hub nr."),
            ("village", "Dorp"),
            ("inw", "Inwoners bediend"),
            ("served", "Dorpen bediend"),
        ],
        label="rank",
    )


# ============================================================================ panels
def _legend(bins: Sequence[float], colors: Sequence[str], fmt: Callable[[float], str]) -> list:
    items = []
    for i, color in enumerate(colors):
        lo, hi = bins[i], bins[i + 1]
        if i == 0:
            text = f"&lt; {fmt(hi)}"
        elif i == len(colors) - 1:
            text = f"≥ {fmt(lo)}"
        else:
            text = f"{fmt(lo)}–{fmt(hi)}"
        items.append((color, text))
    return items


def _legend_html(items: Iterable[tuple[str, str]], *, dot: bool = False) -> str:
    cls = "bb-sw bb-dot" if dot else "bb-sw"
    spans = "".join(
        f'<span><i class="{cls}" style="background:{c}"></i>{t}</span>' for c, t in items
    )
    return f'<div class="bb-legend">{spans}</div>'


def _assumptions_html(assumptions: Iterable[str], sources_note: str) -> str:
    items = "".join(f"<li>{_esc(str(a))}</li>" for a in assumptions)
    parts = [f"<details open><summary>Aannames</summary><ul>{items}</ul></details>"]
    if sources_note:
        parts.append(f'<div class="bb-note"><b>Bronnen:</b> {_esc(sources_note)}</div>')
    return "".join(parts)


def _hartveilig_panel(
    result: Any, moments: Sequence[Any], *, sources_note: str, offline: bool
) -> str:
    summary = result.summary if isinstance(result.summary, Mapping) else {}
    per_moment = summary.get("moments", {}) if isinstance(summary.get("moments"), Mapping) else {}
    lines = []
    for mo in moments:
        info = per_moment.get(mo.name, {})
        share = info.get("share_covered") if isinstance(info, Mapping) else None
        res = info.get("residents_covered") if isinstance(info, Mapping) else None
        if share is None:
            continue
        lines.append(
            f"<li>{_esc(_moment_label(mo))}: {_fmt_num(100 * float(share), 0)}% "
            f"({_fmt_int(res)} inwoners) binnen bereik</li>"
        )
    settings = summary.get("settings") if isinstance(summary.get("settings"), Mapping) else {}
    wanted = ("model", "budget_min", "unknown_availability", "responder_profile")
    shown = [f"{k} = {_esc(str(settings[k]))}" for k in wanted if k in settings]
    minutes = _legend(MINUTE_BINS, MINUTE_COLORS, lambda v: _fmt_num(v, 1 if v % 1 else 0))
    minutes.append((NO_AED_COLOR, "geen AED binnen bereik"))
    share = _legend(SHARE_BINS, SHARE_COLORS, lambda v: f"{round(100 * v)}%")
    share[-1] = (SHARE_COLORS[-1], "100%")
    aed_items = [(spec["style"]["fillColor"], _esc(spec["label"])) for spec in AED_CLASSES.values()]
    aed_items.append(("#ffe066", "voorgestelde nieuwe AED"))
    return (
        '<div class="bb-panel" id="bb-panel">'
        f"<h3>Hartveilig {_esc(str(result.gemeente))}</h3>"
        + (f"<ul>{''.join(lines)}</ul>" if lines else "")
        + "<h4>Minuten tot de dichtstbijzijnde beschikbare AED (per 100 m-vak)</h4>"
        + _legend_html(minutes)
        + "<h4>Aandeel van de week met een AED binnen bereik</h4>"
        + _legend_html(share)
        + "<h4>AED's</h4>"
        + _legend_html(aed_items, dot=True)
        + '<div class="bb-note">Zwart omlijnd: witte vlekken, aaneengesloten bewoonde cellen zonder AED binnen bereik (klik voor details).</div>'
        + (f'<div class="bb-note">{"; ".join(shown)}</div>' if shown else "")
        + _assumptions_html(result.assumptions, sources_note)
        + (
            ""
            if not offline
            else '<div class="bb-note">Offline kaart: geen achtergrondkaart.</div>'
        )
        + "</div>"
    )


def _dorpshub_panel(
    result: Any, columns: Sequence[str], service_colors: Mapping[str, str], *, sources_note: str
) -> str:
    minutes = _legend(VILLAGE_MINUTE_BINS, VILLAGE_MINUTE_COLORS, lambda v: _fmt_num(v, 0))
    minutes.append((UNREACHABLE_COLOR, "niet bereikbaar"))
    return (
        '<div class="bb-panel" id="bb-panel">'
        f"<h3>Dorpshub {_esc(str(result.gemeente))}</h3>"
        + "<h4>Dorpen: minuten tot de voorziening (kies rechts)</h4>"
        + _legend_html(minutes, dot=True)
        + '<div class="bb-note">Cirkelgrootte: aantal inwoners.</div>'
        + (
            "<h4>Voorzieningen</h4>"
            + _legend_html(
                [(c, _esc(SERVICE_LABELS.get(k, k))) for k, c in service_colors.items()],
                dot=True,
            )
            + '<div class="bb-note">Zwarte rand: station of busknooppunt (grootte: vertrekken '
            "per uur).</div>"
            if service_colors
            else ""
        )
        + "<h4>Voorgestelde dorpshubs</h4>"
        + _legend_html([("#ffe066", "hub (nummer = rangorde)")], dot=True)
        + '<div class="bb-note">Gestippeld: de dorpen die een hub bedient.</div>'
        + ("" if columns else '<div class="bb-note">Geen reistijdkolommen in het resultaat.</div>')
        + _assumptions_html(result.assumptions, sources_note)
        + "</div>"
    )


# ============================================================================ formatting
def _esc(text: str) -> str:
    """Escape text for HTML element content (data never becomes markup)."""
    return html.escape(text, quote=False)


def _isna(value: Any) -> bool:
    """True for None, NaN, NA and NaT; False for anything list-like."""
    if value is None:
        return True
    if isinstance(value, str | bytes | list | tuple | set | dict) or hasattr(value, "__len__"):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    """HTML-escaped text for popups ('–' when missing)."""
    if _isna(value) or str(value).strip() == "":
        return "–"
    return _esc(str(value))


def _thousands(text: str) -> str:
    return text.replace(",", "\u202f")


def _fmt_int(value: Any) -> str:
    if _isna(value):
        return "–"
    try:
        return _thousands(f"{round(float(value)):,}")
    except (TypeError, ValueError):
        return _esc(str(value))


def _fmt_num(value: Any, decimals: int, unit: str = "") -> str:
    if _isna(value):
        return "–"
    try:
        text = f"{float(value):,.{decimals}f}"
    except (TypeError, ValueError):
        return _esc(str(value))
    text = text.replace(",", "\u202f").replace(".", ",")
    return text + unit


def _fmt_dist(value: Any) -> str:
    if _isna(value):
        return "geen binnen bereik"
    v = float(value)
    return f"{round(v):d} m" if v < 1000 else _fmt_num(v / 1000, 1, " km")


def _fmt_minutes(value: Any) -> str:
    return "niet bereikbaar" if _isna(value) else _fmt_num(value, 1, " min")


def _num_list(series: Any, decimals: int) -> list[float | int | None]:
    out: list[float | int | None] = []
    for v in series.astype(float).to_numpy():
        if v != v or math.isinf(v):
            out.append(None)
        elif decimals == 0:
            out.append(round(float(v)))
        else:
            out.append(round(float(v), decimals))
    return out


def _moment_label(moment: Any) -> str:
    return str(getattr(moment, "label", "") or moment.name)
