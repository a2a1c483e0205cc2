"""Open any OSM extract for pyosmium: PBF, or XML plain / ``.gz`` / ``.bz2``.

pyosmium reads PBF and (compressed) OSM XML 0.6 itself. XML written by OSMnx says
``<osm version="1" ...>``, which libosmium refuses; :func:`readable_osm_path` then writes a
copy with ``version="0.6"`` to a temporary file (the data is otherwise the same).
"""

from __future__ import annotations

import bz2
import gzip
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bereikbaar.errors import InputError, MissingInputError

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".pbf", ".osm", ".xml", ".gz", ".bz2")
_VERSION_RE = re.compile(rb"(<osm\b[^>]*\bversion=)([\"'])1(?:\.0)?\2")


def _open_xml(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def check_osm_path(path: str | Path) -> Path:
    """Raise a clear error unless ``path`` is an existing OSM extract."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            "OSM extract not found",
            path=path,
            hint="download one with `bereikbaar download osm` or set inputs.osm in the config",
        )
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(
            "not an OSM extract (expected .osm.pbf, .osm, .osm.gz or .osm.bz2)", path=path
        )
    return path


@contextmanager
def readable_osm_path(path: str | Path) -> Iterator[Path]:
    """Yield a path pyosmium can read with the same content as ``path``."""
    path = check_osm_path(path)
    if path.name.lower().endswith(".pbf"):
        yield path
        return
    with _open_xml(path) as fh:
        head = fh.read(4096)
    if not _VERSION_RE.search(head):
        yield path
        return
    log.info("%s declares OSM XML version 1 (written by OSMnx); reading a 0.6 copy", path.name)
    fd, tmp = tempfile.mkstemp(suffix=".osm", prefix="bereikbaar-")
    try:
        with os.fdopen(fd, "wb") as out, _open_xml(path) as fh:
            first = fh.read(4096)
            out.write(_VERSION_RE.sub(rb"\g<1>\g<2>0.6\g<2>", first, count=1))
            shutil.copyfileobj(fh, out)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
