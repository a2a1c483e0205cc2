"""Worker processes of the batch: municipalities in parallel, and never outliving the batch.

Each worker opens the study area once (inputs are read once per process), sends its
progress through a queue that a thread of the main process hands to the progress
callback, and dies with the main process: on Linux the kernel sends it SIGKILL when its
parent ends (``prctl(PR_SET_PDEATHSIG)``), and on every system a watchdog thread ends it
within half a second once its parent process id changes. A SIGKILL of the main process
therefore never leaves workers writing outputs; their temporaries carry their process id
and are removed by the next run.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bereikbaar.batch import ExportPlan, Job, MunicipalityOutcome
    from bereikbaar.config import Config
    from bereikbaar.study_area import StudyAreaData

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL_S = 0.5

# One study area per worker process, so that inputs are read once per process.
_AREA: StudyAreaData | None = None
_QUEUE: Any = None


def die_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (its parent) ends, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog alone does it
            log.debug("prctl(PR_SET_PDEATHSIG) unavailable")
    if os.getppid() != parent_pid:  # the parent ended before the watch began
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), daemon=True, name="bereikbaar-parent-watch"
    ).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent_pid:
            os._exit(1)


def _worker_init(cfg: Config, progress_queue: Any, parent_pid: int) -> None:
    global _AREA, _QUEUE
    die_with_parent(parent_pid)
    from bereikbaar.study_area import open_study_area

    _AREA = open_study_area(cfg)
    _QUEUE = progress_queue


def _worker_progress(gemeente: str, step: str) -> None:
    if _QUEUE is not None:
        _QUEUE.put((gemeente, step))


def _worker_run(gemeente: str, cfg: Config, job: Job) -> MunicipalityOutcome:
    from bereikbaar.batch import _municipality

    assert _AREA is not None, "worker not initialised"
    return _municipality(gemeente, cfg, job, _AREA, _worker_progress)


class _ProgressPump:
    """A thread of the main process passing the workers' progress to ``progress``."""

    def __init__(self, progress_queue: Any, progress: Callable[[str, str], None]) -> None:
        self._queue = progress_queue
        self._progress = progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="bereikbaar-progress")

    def __enter__(self) -> _ProgressPump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                gemeente, step = self._queue.get(timeout=0.2)
            except (queue_mod.Empty, EOFError, OSError, ValueError):
                continue
            self._progress(gemeente, step)


def _outcome(fut: Future, name: str, plan: ExportPlan) -> MunicipalityOutcome:
    from bereikbaar.batch import MunicipalityOutcome

    try:
        return fut.result()
    except Exception as exc:  # the worker process died
        error = f"{type(exc).__name__}: {exc}"
        return MunicipalityOutcome(name, plan.slugs.get(name, ""), "failed", error=error)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the running workers (on Ctrl-C or SIGTERM)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in mp.active_children():
        proc.terminate()
    for proc in mp.active_children():
        proc.join(timeout=5)


def _remove_their_temporaries(plan: ExportPlan) -> None:
    """The stopped workers could not clean up: remove their temporaries now."""
    from bereikbaar._files import cleanup_temporaries

    try:
        cleanup_temporaries(plan.job.out)
    except OSError as exc:
        log.warning("could not remove temporary files in %s: %s", plan.job.out, exc)


def run_in_processes(
    plan: ExportPlan,
    cfg: Config,
    *,
    workers: int,
    progress: Callable[[str, str], None],
    on_done: Callable[[MunicipalityOutcome], None] | None = None,
) -> list[MunicipalityOutcome]:
    """Run the municipalities of ``plan`` in ``workers`` spawned processes."""
    ctx = mp.get_context("spawn")
    progress_queue = ctx.Queue()
    outcomes: list[MunicipalityOutcome] = []
    with _ProgressPump(progress_queue, progress):
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(plan.names)),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(cfg, progress_queue, os.getpid()),
        )
        try:
            futures = {pool.submit(_worker_run, n, cfg, plan.job): n for n in plan.names}
            for fut in as_completed(futures):
                outcomes.append(_outcome(fut, futures[fut], plan))
                if on_done:
                    on_done(outcomes[-1])
        except BaseException:
            _stop_workers(pool)
            _remove_their_temporaries(plan)
            raise
        pool.shutdown(wait=True)
    progress_queue.close()
    return outcomes
