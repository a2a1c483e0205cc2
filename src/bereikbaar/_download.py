"""Explicit downloads (the only code that reaches the internet; see ``bereikbaar download``).

Nothing in the analyses downloads anything. The download writes to a temporary file beside
the destination and renames it when complete, so an interrupted download leaves nothing
that looks like an extract.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path

from bereikbaar._files import atomic_path
from bereikbaar.errors import DownloadError

log = logging.getLogger(__name__)

GEOFABRIK_DRENTHE = "https://download.geofabrik.de/europe/netherlands/drenthe-latest.osm.pbf"
USER_AGENT = "bereikbaar (https://github.com/bereikbaar)"
PBF_MAGIC = b"\x00\x00"  # a PBF starts with a 4-byte big-endian header length (< 64 KiB)


def download_file(
    url: str, dest: str | Path, *, force: bool = False, timeout_s: float = 60.0
) -> Path:
    """Download ``url`` to ``dest`` atomically; return ``dest``.

    Raises
    ------
    DownloadError
        On an HTTP or network error, an incomplete body (fewer bytes than Content-Length),
        or when a ``.pbf`` destination does not receive PBF data (e.g. an HTML error page).
    """
    dest = Path(dest)
    if dest.exists() and not force:
        log.info("%s exists; not downloading again (use force=True)", dest)
        return dest
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp, atomic_path(dest) as tmp:
            expected = resp.headers.get("Content-Length")
            n = 0
            with open(tmp, "wb") as fh:
                while chunk := resp.read(1 << 20):
                    fh.write(chunk)
                    n += len(chunk)
            if expected is not None and n != int(expected):
                raise DownloadError(f"{url}: received {n} of {expected} bytes; try again")
            if dest.name.endswith(".pbf"):
                with open(tmp, "rb") as fh:
                    head = fh.read(64)
                if not (head.startswith(PBF_MAGIC) and b"OSMHeader" in head):
                    raise DownloadError(
                        f"{url} did not return an OSM PBF file (got {head[:16]!r}); check the URL"
                    )
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}; check the URL") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DownloadError(
            f"{url}: {exc}; are you online? Downloads are the only step that needs the internet"
        ) from exc
    log.info("downloaded %s (%d bytes) to %s", url, n, dest)
    return dest
