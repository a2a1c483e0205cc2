"""Offline web assets for the maps: Leaflet and jQuery from the npm registry.

``scripts/fetch_map_assets.py`` (``make assets``) unpacks the pinned :data:`WEB_PACKAGES`
into ``vendor/web/``. When a map is written offline, :func:`localize_assets` points every
folium element's JS/CSS at copies in ``<map folder>/_assets/`` and :func:`copy_assets`
copies them there, so a map folder works without internet and can be sent as a zip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bereikbaar._files import atomic_path
from bereikbaar.errors import BereikbaarError

ASSETS_ENV = "BEREIKBAAR_ASSETS"
ASSETS_DIRNAME = "_assets"

#: npm packages (pinned) that offline maps need; fetched by ``scripts/fetch_map_assets.py``
#: into ``vendor/web/<package>/`` (the unpacked npm tarball).
WEB_PACKAGES: dict[str, str] = {"leaflet": "1.9.4", "jquery": "3.7.1"}


@dataclass(frozen=True)
class _WebAsset:
    """A CDN file the maps may load, and where its offline copy lives in the asset folder."""

    pattern: re.Pattern[str]
    file: str  # path under the asset folder, e.g. "leaflet/dist/leaflet.js"
    extra: tuple[str, ...] = ()  # files the asset loads by relative URL (CSS images)


WEB_ASSETS: tuple[_WebAsset, ...] = (
    _WebAsset(re.compile(r"/leaflet@[^/]+/dist/leaflet(-src)?\.js$"), "leaflet/dist/leaflet.js"),
    _WebAsset(
        re.compile(r"/leaflet@[^/]+/dist/leaflet\.css$"),
        "leaflet/dist/leaflet.css",
        extra=tuple(
            f"leaflet/dist/images/{name}"
            for name in (
                "layers.png",
                "layers-2x.png",
                "marker-icon.png",
                "marker-icon-2x.png",
                "marker-shadow.png",
            )
        ),
    ),
    _WebAsset(
        re.compile(r"(/jquery-3\.[0-9.]+(\.min)?\.js|/jquery@3[^/]*/dist/jquery(\.min)?\.js)$"),
        "jquery/dist/jquery.min.js",
    ),
)

#: Folium's default assets for Marker icons (Font Awesome, awesome-markers) and Bootstrap
#: styling. These maps draw no icon markers and no Bootstrap widgets, so they are left out
#: (online and offline alike, so both render the same).
UNUSED_ASSETS = re.compile(
    r"bootstrap|awesome-markers|awesome\.rotate|fontawesome|font-awesome|glyphicons", re.I
)
REMOTE_URL = re.compile(r"^\s*(https?:)?//", re.I)
REMOTE_TAG = re.compile(
    r"<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I | re.S
)


def web_asset_dir() -> Path:
    """The folder holding the offline web assets (``vendor/web`` after ``make assets``).

    ``$BEREIKBAAR_ASSETS`` when set, else ``<repo>/vendor/web`` found relative to this file.
    """
    env = os.environ.get(ASSETS_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "vendor" / "web"


def walk(element: Any) -> Iterator[Any]:
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from walk(child)


def localize_assets(m: Any, *, offline: bool) -> list[str]:
    """Point every JS/CSS of folium map ``m`` at local copies; return the files (asset-dir relative).

    Works on instance attributes only: folium's classes keep their CDN defaults.
    """
    needed: dict[str, None] = {}
    for element in walk(m.get_root()):
        for attr in ("default_js", "default_css"):
            entries = getattr(element, attr, None)
            if not entries:
                continue
            kept = []
            for name, url in entries:
                if UNUSED_ASSETS.search(url):
                    continue
                if not offline or not REMOTE_URL.match(url):
                    kept.append((name, url))
                    continue
                asset = next((a for a in WEB_ASSETS if a.pattern.search(url)), None)
                if asset is None:
                    raise BereikbaarError(
                        f"map element {type(element).__name__} loads {url} ({name}), which has "
                        f"no offline copy; add its npm package to bereikbaar._web_assets "
                        f"WEB_PACKAGES and WEB_ASSETS and run `make assets`, or write with offline=False"
                    )
                kept.append((name, f"{ASSETS_DIRNAME}/{asset.file}"))
                for file in (asset.file, *asset.extra):
                    needed[file] = None
            setattr(element, attr, kept)
    return list(needed)


def copy_assets(files: Iterable[str], dest: Path) -> None:
    """Copy ``files`` (relative to :func:`web_asset_dir`) into ``dest``, skipping equal ones."""
    src_dir = web_asset_dir()
    for rel in files:
        src = src_dir / rel
        if not src.is_file():
            raise BereikbaarError(
                f"offline map asset {rel} is missing from {src_dir}; run `make assets` (it "
                f"fetches {', '.join(f'{k}@{v}' for k, v in WEB_PACKAGES.items())} from the npm "
                f"registry), or set {ASSETS_ENV} to a folder made by scripts/fetch_map_assets.py"
            )
        dst = dest / rel
        if dst.is_file() and dst.read_bytes() == src.read_bytes():
            continue
        with atomic_path(dst) as tmp:
            tmp.write_bytes(src.read_bytes())
