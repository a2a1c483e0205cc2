"""One HTML page per map: Leaflet, the data as JSON, the map's own script, a CSP.

The page has no template engine and no element per feature: the data travels as one JSON
block (``<script type="application/json" id="bb-data">``, ``<`` ``>`` ``&`` written as
``\\u003c`` …, so no text can close the block) and ``web/common.js`` plus the map's own
script draw it. Offline pages inline Leaflet (its images as ``data:`` URLs); online pages
load the same pinned version from unpkg with Subresource Integrity. Every page carries a
Content-Security-Policy that allows only its own inline scripts (by hash), so even an
unescaped ``onerror=`` attribute could not run.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bereikbaar._files import write_text_atomic
from bereikbaar._json import jsonable
from bereikbaar._web_assets import (
    LEAFLET_CSS,
    LEAFLET_JS,
    REQUIRED_FILES,
    inline_leaflet,
    sri_sha256,
    web_asset_dir,
)
from bereikbaar.errors import BereikbaarError

#: OpenStreetMap's tile server: the optional background map (needs internet).
OSM_TILES = "https://tile.openstreetmap.org"
UNPKG = "https://unpkg.com"


def _web_file(name: str) -> str:
    return resources.files("bereikbaar.maps").joinpath("web", name).read_text(encoding="utf-8")


def json_for_script(obj: Any) -> str:
    """Compact JSON (rounding per :mod:`bereikbaar._json`) that is safe inside a page."""
    # The payload is built of plain values whose floats are already rounded (maps._common
    # .number/numbers); anything else goes through the package's one encoder rule.
    # The payload is a tree built here (no cycles): skipping the cycle check saves a fifth.
    text = json.dumps(
        obj,
        default=jsonable,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        check_circular=False,
    )
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _csp(script_hashes: list[str], *, offline: bool) -> str:
    scripts = " ".join(f"'{h}'" for h in script_hashes)
    remote = "" if offline else f" {UNPKG}"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}{remote}",
            f"style-src 'unsafe-inline'{remote}",
            f"img-src data: {OSM_TILES}{remote}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def render_page(*, title: str, script: str, payload: dict[str, Any], offline: bool) -> str:
    """The HTML text of a map page.

    Parameters
    ----------
    title
        The page title (escaped here).
    script
        The map's own script in ``web/`` (``"hartveilig.js"``, ``"dorpshub.js"``).
    payload
        JSON-ready data the script draws.
    offline
        Inline Leaflet (no internet needed) instead of loading it from unpkg with SRI.
    """
    head, middle, tail = _page_frame(script, offline, _assets_key(offline))
    return f"{head}{html.escape(title)}{middle}{json_for_script(payload)}{tail}"


def _assets_key(offline: bool) -> tuple | None:
    """What the inlined Leaflet depends on (its folder and files' sizes and times); None
    online. A missing file makes :func:`inline_leaflet` raise (an error is never cached)."""
    if not offline:
        return None
    folder = web_asset_dir()
    try:
        stats = [(folder / rel).stat() for rel in REQUIRED_FILES]
    except OSError:
        return ("missing", str(folder))
    return (str(folder), *((st.st_mtime_ns, st.st_size) for st in stats))


@functools.lru_cache(maxsize=8)
def _page_frame(script: str, offline: bool, assets: tuple | None) -> tuple[str, str, str]:
    """The page around its title and data, made once per map kind and Leaflet files: the
    scripts and styles read, inlined and hashed for the CSP once per process, not per page."""
    app = _web_file("common.js") + "\n" + _web_file(script)
    css = _web_file("map.css")
    scripts: list[str] = []
    if offline:
        leaflet_js, leaflet_css = inline_leaflet()
        if "</script" in leaflet_js.lower():  # pragma: no cover - a guard for a new version
            raise BereikbaarError("the Leaflet script contains '</script'; it cannot be inlined")
        head_assets = f"<style>{leaflet_css}</style>"
        scripts.append(leaflet_js)
        body_leaflet = f"<script>{leaflet_js}</script>"
    else:
        head_assets = (
            f'<link rel="stylesheet" href="{LEAFLET_CSS.url}" integrity="{LEAFLET_CSS.integrity}"'
            ' crossorigin="anonymous">'
        )
        body_leaflet = (
            f'<script src="{LEAFLET_JS.url}" integrity="{LEAFLET_JS.integrity}"'
            ' crossorigin="anonymous"></script>'
        )
    scripts.append(app)
    hashes = sorted({sri_sha256(s.encode("utf-8")) for s in scripts})
    head = (
        '<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp(hashes, offline=offline)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
    )
    middle = (
        f"</title>\n{head_assets}\n<style>{css}</style>\n</head>\n"
        '<body>\n<div id="bb-map"></div>\n<script type="application/json" id="bb-data">'
    )
    tail = f"</script>\n{body_leaflet}\n<script>{app}</script>\n</body>\n</html>\n"
    return head, middle, tail


@dataclass(frozen=True)
class MapHTML:
    """A rendered map: ``save()`` it, or let Jupyter show it inline (``_repr_html_``).

    The notebook output is an ``<iframe srcdoc=…>`` holding the whole self-contained page
    (Leaflet inlined), sandboxed to scripts only: it references no file and no server, so it
    shows in JupyterLab 4 and VS Code offline, and in a notebook opened as saved.
    """

    html: str
    title: str
    height_px: int = 620

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'title="{html.escape(self.title, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(self.height_px)}px;border:1px solid #ccc"></iframe>'
        )

    def save(self, path: str | Path) -> Path:
        """Write the page atomically to ``path``; return it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_text_atomic(path, self.html)
