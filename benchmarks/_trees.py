"""The tree of an older commit for the side-by-side benchmarks (no imports of bereikbaar,
so a probe that imports an older version is not shadowed by this checkout's)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unpack_commit(commit: str) -> Path:
    """The tree of ``commit`` (``src`` and ``data``) under the temp folder, unpacked once."""
    dest = Path(tempfile.gettempdir()) / f"bereikbaar-{commit}"
    if not (dest / "src" / "bereikbaar").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src", "data"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest
