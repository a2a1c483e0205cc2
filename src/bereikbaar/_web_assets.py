"""Leaflet for the maps: one pinned npm package, inlined offline, loaded with SRI online.

``scripts/fetch_map_assets.py`` (``make assets``) fetches the pinned :data:`WEB_PACKAGES`
once from the npm registry and unpacks them into ``vendor/web/`` (or ``$BEREIKBAAR_ASSETS``).
An offline map inlines those files (the CSS's images as ``data:`` URLs), so one HTML file
works without internet and can be mailed. An ``--online`` map loads the same versions from
unpkg with the Subresource Integrity hashes in :data:`ONLINE_ASSETS`; a test checks that
the vendored files hash to exactly those values, so online and offline maps run the same code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from bereikbaar.errors import BereikbaarError

ASSETS_ENV = "BEREIKBAAR_ASSETS"

#: npm packages (pinned) that the maps need; fetched by ``scripts/fetch_map_assets.py``
#: into ``vendor/web/<package>/`` (the unpacked npm tarball).
WEB_PACKAGES: dict[str, str] = {"leaflet": "1.9.4"}


@dataclass(frozen=True)
class WebAsset:
    """A file of a pinned package: its path in the asset folder, its CDN URL and SRI hash."""

    file: str  # path under the asset folder, e.g. "leaflet/dist/leaflet.js"
    url: str  # the same file on unpkg (online maps)
    integrity: str  # Subresource Integrity of the file (sha256, base64)


LEAFLET_JS = WebAsset(
    "leaflet/dist/leaflet.js",
    "https://unpkg.com/leaflet@1.9.4/dist/leaflet.js",
    "sha256-20nQCchB9co0qIjJZRGuk2/Z9VM+kNiyxNV1lvTlZBo=",
)
LEAFLET_CSS = WebAsset(
    "leaflet/dist/leaflet.css",
    "https://unpkg.com/leaflet@1.9.4/dist/leaflet.css",
    "sha256-p4NxAoJBhIIN+hmNHrzRCf9tD/miZyoHS5obTRR9BMY=",
)
#: The files every map uses, in load order.
ONLINE_ASSETS: tuple[WebAsset, ...] = (LEAFLET_CSS, LEAFLET_JS)
#: Images the Leaflet CSS refers to by relative URL (inlined as data: URLs offline).
CSS_IMAGES: tuple[str, ...] = ("layers.png", "layers-2x.png", "marker-icon.png")
#: Files that must exist after ``make assets`` (relative to the asset folder).
REQUIRED_FILES: tuple[str, ...] = (
    LEAFLET_JS.file,
    LEAFLET_CSS.file,
    *(f"leaflet/dist/images/{name}" for name in CSS_IMAGES),
)


def web_asset_dir() -> Path:
    """The folder holding the web assets (``vendor/web`` after ``make assets``).

    ``$BEREIKBAAR_ASSETS`` when set, else ``<repo>/vendor/web`` found relative to this file.
    """
    env = os.environ.get(ASSETS_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "vendor" / "web"


def read_asset(rel: str) -> bytes:
    """The bytes of ``rel`` (relative to :func:`web_asset_dir`), or a message how to get it."""
    src_dir = web_asset_dir()
    path = src_dir / rel
    if not path.is_file():
        raise BereikbaarError(
            f"map asset {rel} is missing from {src_dir}; run `make assets` (it fetches "
            f"{', '.join(f'{k}@{v}' for k, v in WEB_PACKAGES.items())} once from the npm "
            f"registry), or set {ASSETS_ENV} to a folder made by scripts/fetch_map_assets.py"
        )
    return path.read_bytes()


def sri_sha256(data: bytes) -> str:
    """The Subresource Integrity value (``sha256-<base64>``) of ``data``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


_CSS_URL = re.compile(r"url\((images/[A-Za-z0-9_.-]+\.png)\)")


def inline_leaflet() -> tuple[str, str]:
    """Leaflet's JS and CSS text, the CSS's images as ``data:`` URLs (offline maps).

    Raises
    ------
    BereikbaarError
        When a file is missing (run ``make assets``) or does not match its pinned hash.
    """
    js = read_asset(LEAFLET_JS.file)
    css = read_asset(LEAFLET_CSS.file)
    for asset, data in ((LEAFLET_JS, js), (LEAFLET_CSS, css)):
        if sri_sha256(data) != asset.integrity:
            raise BereikbaarError(
                f"{web_asset_dir() / asset.file} is not the pinned Leaflet "
                f"{WEB_PACKAGES['leaflet']} (hash differs); run `make assets` again "
                f"(python scripts/fetch_map_assets.py --force)"
            )

    def data_url(m: re.Match[str]) -> str:
        png = read_asset("leaflet/dist/" + m.group(1))
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return js.decode("utf-8"), _CSS_URL.sub(data_url, css.decode("utf-8"))
