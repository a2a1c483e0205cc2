"""Maps of the Hartveilig and Dorpshub results: one self-contained HTML file each.

Public functions, each taking the result alone (fields per ``docs/ARCHITECTURE.md``):

* :func:`write_hartveilig_map` / :func:`hartveilig_map` — residents' 100 m cells drawn
  *binnen bereik* / *niet binnen bereik* at any hour of the week (a day-and-hour picker, the
  named moments as quick choices, a 24×7 chart), AEDs open or closed at that hour (status
  also by shape), white spots, proposed new AEDs and relocations.
* :func:`write_dorpshub_map` / :func:`dorpshub_map` — villages coloured by whether they meet
  the chosen norm (one choice per norm, plus the number of norms missed), services, the hubs
  of both methods told apart, the what-if hub.
* :func:`basemap_from_network` — main roads and place names from the OSM extract, drawn as
  a light base layer so a map is readable without internet.

A page holds Leaflet (inlined offline; pinned with SRI online), its data as one JSON block
and a small script of its own (``web/*.js``): no template per feature, no ``_assets`` folder,
a Content-Security-Policy that runs only the page's own scripts. Every text is inserted by
that script as text (``textContent`` or its ``esc()``), whatever its source.

Stable DOM hooks for tests: ``path.bb-cell`` (``bb-in``/``bb-out``, ``data-cell`` = cell id),
``path.bb-white-spot``, ``.bb-aed`` (``bb-aed-24-7``/``-limited``/``-unknown``,
``bb-open``/``bb-closed``), ``.bb-proposal``, ``.bb-relocation``, ``path.bb-boundary``,
``path.bb-village`` (``bb-met``/``bb-failed``/``bb-unknown``, ``data-village``),
``.bb-service``, ``path.bb-hub``, ``path.bb-hub-link``, ``.bb-whatif``, ``#bb-panel``,
``#bb-readout``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bereikbaar._web_assets import WEB_PACKAGES, web_asset_dir
from bereikbaar.maps._basemap import basemap_for_area, basemap_from_network
from bereikbaar.maps._page import MapHTML

__all__ = [
    "WEB_PACKAGES",
    "MapHTML",
    "basemap_for_area",
    "basemap_from_network",
    "dorpshub_map",
    "hartveilig_map",
    "web_asset_dir",
    "write_dorpshub_map",
    "write_hartveilig_map",
]

log = logging.getLogger(__name__)


def hartveilig_map(
    result: Any,
    *,
    offline: bool = True,
    basemap: Any = None,
    boundary: Any = None,
    sources_note: str | None = None,
) -> MapHTML:
    """The Hartveilig map of one municipality; shows inline in a notebook.

    Parameters
    ----------
    result
        A ``HartveiligResult`` (``gemeente``, ``moments``, ``cell_size_m``, ``cells`` with
        ``covered_<moment>``/``minutes_<moment>``/``weekly_share``, ``hourly_covered``,
        ``hourly_residents_covered``, ``model``, ``aeds``, ``white_spots``, ``proposals``,
        ``relocations``, ``outline``, ``summary``, ``assumptions``, ``sources_note``);
        tables in one metric working CRS.
    offline
        Inline Leaflet so the file needs no internet; ``False`` loads the same pinned
        version from unpkg (with integrity hashes) and shows the OpenStreetMap background.
    basemap
        Roads and place names from :func:`basemap_from_network` (in the same CRS), or None.
    boundary, sources_note
        Override ``result.outline`` / ``result.sources_note`` (for results made before
        they carried them); None uses the result's.

    Raises
    ------
    BereikbaarError
        When Leaflet is missing (run ``make assets``) or the tables are not in one projected CRS.
    """
    from bereikbaar.maps._hartveilig import hartveilig_payload

    return _map_page(
        hartveilig_payload, "hartveilig.js", result, offline=offline, basemap=basemap,
        boundary=boundary, sources_note=sources_note,
    )  # fmt: skip


def dorpshub_map(
    result: Any,
    *,
    offline: bool = True,
    basemap: Any = None,
    boundary: Any = None,
    sources_note: str | None = None,
) -> MapHTML:
    """The Dorpshub map of one municipality; shows inline in a notebook.

    Parameters
    ----------
    result
        A ``DorpshubResult`` (``gemeente``, ``norms``, ``villages`` with ``within_<key>``,
        ``n_failed_norms``, ``failed_norms``, ``services``, ``hubs`` with ``method``,
        ``what_if``, ``outline``, ``assumptions``, ``sources_note``); tables in one metric working CRS.
    offline, basemap, boundary, sources_note
        As for :func:`hartveilig_map`.
    """
    from bereikbaar.maps._dorpshub import dorpshub_payload

    return _map_page(
        dorpshub_payload, "dorpshub.js", result, offline=offline, basemap=basemap,
        boundary=boundary, sources_note=sources_note,
    )  # fmt: skip


def write_hartveilig_map(
    result: Any,
    path: str | os.PathLike[str],
    *,
    offline: bool = True,
    basemap: Any = None,
    boundary: Any = None,
    sources_note: str | None = None,
) -> Path:
    """Write :func:`hartveilig_map` to ``path`` (one self-contained HTML file, atomically)."""
    page = hartveilig_map(
        result, offline=offline, basemap=basemap, boundary=boundary, sources_note=sources_note
    )
    return _save(page, path)


def write_dorpshub_map(
    result: Any,
    path: str | os.PathLike[str],
    *,
    offline: bool = True,
    basemap: Any = None,
    boundary: Any = None,
    sources_note: str | None = None,
) -> Path:
    """Write :func:`dorpshub_map` to ``path`` (one self-contained HTML file, atomically)."""
    page = dorpshub_map(
        result, offline=offline, basemap=basemap, boundary=boundary, sources_note=sources_note
    )
    return _save(page, path)


def _map_page(
    payload_fn, script: str, result: Any, *, offline: bool, basemap: Any, boundary: Any,
    sources_note: str | None,
) -> MapHTML:  # fmt: skip
    """One map page: the payload of ``result`` drawn by ``script``."""
    from bereikbaar.maps._page import render_page

    with _cycle_collector_paused():
        payload = payload_fn(
            result,
            offline=offline,
            basemap=basemap,
            outline=result.outline if boundary is None else boundary,
            sources_note=result.sources_note if sources_note is None else sources_note,
        )
        text = render_page(title=payload["title"], script=script, payload=payload, offline=offline)
    return MapHTML(text, payload["title"])


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a page is built.

    A payload is a tree of some 10⁵ small lists (coordinates, rows) without cycles;
    reference counting frees it as always. With the collector on, every few hundred new
    lists it walks the young objects and now and then the whole heap (the study area, the
    results): a fifth of the map time in a notebook session. It is switched back on after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _save(page: MapHTML, path: str | os.PathLike[str]) -> Path:
    out = page.save(path)
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
