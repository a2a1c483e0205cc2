"""Files: the one atomic writer and the one file hasher of the package.

Every output is written to a temporary file in the destination folder and renamed into
place (``os.replace`` is atomic on one file system), so an interrupted run never leaves a
half-written file under a final name. The temporary name carries the writer's process id,
so a later run removes only the leftovers of processes that are gone, never a file another
running export is still writing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

TMP_PREFIX = ".bereikbaar-tmp-"
_TMP_PID = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")


@contextmanager
def atomic_path(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The temporary file does not exist yet (writers such as pyogrio create it). On an
    exception it is removed and ``path`` is left untouched. Outputs are made 0644.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = suffix if suffix is not None else path.suffix
    tmp_path = path.parent / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{ext}"
    try:
        yield tmp_path
        if tmp_path.is_file():
            os.chmod(tmp_path, 0o644)  # outputs are meant to be shared
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def cleanup_temporaries(folder: str | Path) -> int:
    """Remove temporary files left by processes that are gone; return how many.

    A hard kill skips ``finally`` blocks, so leftovers can stay behind. Files whose
    writer is still running (another export into the same folder) are left alone, and so
    are files without a process id in their name unless they are older than a day.
    """
    import time

    n = 0
    for p in Path(folder).rglob(f"{TMP_PREFIX}*"):
        m = _TMP_PID.match(p.name)
        if m is not None:
            if _pid_alive(int(m.group(1))):
                continue
        else:
            try:
                if time.time() - p.stat().st_mtime < 86400:
                    continue
            except OSError:
                continue
        p.unlink(missing_ok=True)
        n += 1
    return n


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, computed once per process while the file is unchanged."""
    path = Path(path).resolve()
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=128)
def _sha256(path: str, size: int, mtime_ns: int) -> str:  # size and mtime key the cache
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
