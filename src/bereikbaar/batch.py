"""The batch export: every municipality's analyses written to ``OUT/<slug>/``, plus an overview.

:func:`export` runs in four phases, each its own function:

1. **plan** (:func:`plan_export`): resolve the names (a mistyped name is an error before
   anything runs), give each municipality its folder (:meth:`StudyAreaData.slug`: never
   empty, never shared); read the shared inputs once (an unusable one is an error before
   anything runs), prepare ``OUT`` and remove temporaries of processes that are gone;
2. **run**: one municipality after the other in this process, or in worker processes that
   die with the main process (:mod:`bereikbaar._workers`);
3. **collect**: outcomes in the order asked for;
4. **overview**: ``OUT/index.html`` (:func:`_write_overview`).

A municipality is *ok* only when every file it should have exists and opens
(:func:`bereikbaar.outputs.check_outputs`); it is *skipped* when its inputs, settings and
version are unchanged **and** its files still open; otherwise *failed*, with one clear
message (disk full, read-only folder, bad input), while the others complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bereikbaar import __version__
from bereikbaar._files import cleanup_temporaries, file_sha256
from bereikbaar._nl import num_nl
from bereikbaar.config import Config
from bereikbaar.errors import BereikbaarError, ConfigError, OutputError
from bereikbaar.outputs import (
    ANALYSIS_FILES,
    check_outputs,
    describe_write_error,
    write_checked,
    write_dorpshub,
    write_hartveilig,
    write_json_atomic,
)
from bereikbaar.pipeline import ANALYSES, check_what_if_village, run_dorpshub, run_hartveilig
from bereikbaar.study_area import StudyAreaData, open_study_area

log = logging.getLogger(__name__)

REPORTS = ("pdf", "xlsx")  # the extras per municipality (issue 13); written by _write_extras
#: The file each extra is written to in the municipality's folder.
EXTRA_FILES = {"pdf": "rapport.pdf", "xlsx": "tabellen.xlsx"}
STATE_FILE = ".bereikbaar-state.json"

ProgressFn = Callable[[str, str], None]
_RUNNERS = {"hartveilig": run_hartveilig, "dorpshub": run_dorpshub}
_WRITERS = {"hartveilig": write_hartveilig, "dorpshub": write_dorpshub}


def _noop(gemeente: str, step: str) -> None:  # default progress callback
    return None


@dataclass(frozen=True)
class MunicipalityOutcome:
    """What the batch did for one municipality."""

    gemeente: str
    slug: str
    status: str  # "ok", "skipped" (unchanged and complete) or "failed"
    error: str = ""
    summaries: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportReport:
    """The batch as a whole; ``ok`` is False when any municipality failed."""

    out: Path
    outcomes: tuple[MunicipalityOutcome, ...]
    index: Path | None

    @property
    def failed(self) -> tuple[MunicipalityOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Job:
    """What each municipality of a batch gets done (picklable, sent to worker processes)."""

    out: Path
    analyses: tuple[str, ...] = ANALYSES
    reports: tuple[str, ...] = REPORTS
    force: bool = False
    offline: bool = True


@dataclass(frozen=True)
class ExportPlan:
    """The resolved batch: municipality names (``statnaam``), their folders and the job."""

    names: tuple[str, ...]
    slugs: Mapping[str, str]
    job: Job


# ----------------------------------------------------------------- fingerprints
def inputs_fingerprint(cfg: Config, analysis: str) -> str:
    """A hash of every input file's content, the settings and the package version.

    The batch skips a municipality whose stored fingerprint equals this one.
    """
    h = hashlib.sha256()
    h.update(f"bereikbaar {__version__} {analysis}".encode())
    files = [cfg.inputs.osm, cfg.inputs.boundaries, cfg.inputs.population, cfg.inputs.postcodes]
    files.append(cfg.transit.gtfs)  # a new timetable under the same name redoes the analyses
    for reg in (cfg.inputs.aed_register, cfg.inputs.gp_register, cfg.inputs.hubs_register):
        if reg is not None:
            files.append(reg.path)
    for p in files:
        if p is not None and Path(p).is_file():
            h.update(file_sha256(p).encode())
    settings = dataclasses.asdict(cfg)
    for key in ("data_root", "source"):
        settings.pop(key, None)
    settings["network"].pop("cache_dir", None)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


# ------------------------------------------------------------ one municipality
@dataclass(frozen=True)
class AnalysisRun:
    """One analysis of one municipality: computed and written, or skipped as unchanged."""

    analysis: str
    skipped: bool
    summary: Mapping[str, Any]
    result: Any = None
    outputs: tuple[str, ...] = ()


def _unchanged(folder: Path, analysis: str, fingerprint: str, state: Mapping) -> bool:
    """Same fingerprint as last time and every file still there and opening."""
    if state.get(analysis, {}).get("fingerprint") != fingerprint:
        return False
    problems = check_outputs(folder, ANALYSIS_FILES[analysis])
    if problems:
        log.warning("%s: redoing %s: %s", folder.name, analysis, "; ".join(problems))
    return not problems


def _extras_unchanged(folder: Path, state: Mapping, reports: Sequence[str]) -> bool:
    """The extras asked for were written last time and still open."""
    done = state.get("extras", {})
    if not set(reports) <= set(done.get("reports", ())):
        return False
    return not check_outputs(folder, done.get("files", ()))


def _to_redo(folder: Path, state: Mapping, fingerprints: Mapping[str, str], job: Job) -> set:
    """The analyses to compute again; all of them when the extras need every result."""
    if job.force:
        return set(job.analyses)
    stale = {a for a in job.analyses if not _unchanged(folder, a, fingerprints[a], state)}
    if job.reports and (stale or not _extras_unchanged(folder, state, job.reports)):
        return set(job.analyses)  # the extras are made from every analysis's result
    return stale


def _run_analysis(
    analysis: str, name: str, cfg: Config, area: StudyAreaData, folder: Path, job: Job, progress
) -> AnalysisRun:
    """Compute one analysis, write its files and check that every one of them opens."""
    result = _RUNNERS[analysis](name, cfg, area=area, progress=progress)
    progress(name, f"{analysis}: writing")
    paths = write_checked(
        lambda: _WRITERS[analysis](result, folder, offline=job.offline, area=area),
        folder,
        ANALYSIS_FILES[analysis],
    )
    outputs = tuple(str(p) for p in paths.values())
    return AnalysisRun(analysis, False, result.summary, result, outputs)


def _skipped(analysis: str, name: str, folder: Path, progress) -> AnalysisRun:
    progress(name, f"{analysis}: unchanged, skipped")
    summary = json.loads((folder / f"{analysis}_summary.json").read_text(encoding="utf-8"))
    return AnalysisRun(analysis, True, summary)


def _write_extras(
    results: Mapping[str, Any], folder: Path, reports: Sequence[str]
) -> dict[str, Path]:
    """The per-municipality extras chosen by ``reports``: ``tabellen.xlsx``, ``rapport.pdf``.

    ``results`` maps every analysis of the job to its result, computed in this run (the
    batch recomputes all of them when extras are asked for and anything changed). The
    paths written are checked like the analyses' files and recorded, so that an unchanged
    run verifies them too.
    """
    hv, dh = results.get("hartveilig"), results.get("dorpshub")
    paths: dict[str, Path] = {}
    if "xlsx" in reports:
        from bereikbaar.workbook import write_workbook

        xlsx = folder / EXTRA_FILES["xlsx"]
        paths["xlsx"] = write_workbook(xlsx, hartveilig=hv, dorpshub=dh)
    if "pdf" in reports:
        from bereikbaar.pdf_report import write_pdf_report

        paths["pdf"] = write_pdf_report(folder / EXTRA_FILES["pdf"], hartveilig=hv, dorpshub=dh)
    return paths


def remove_unasked_extras(folder: str | Path, reports: Sequence[str]) -> list[str]:
    """Remove the extras (:data:`EXTRA_FILES`) of an earlier run that ``reports`` does not
    ask for, so that no PDF or workbook of older results lies beside the new files (and
    the overview, which links only what exists, no longer links them).

    Each removal is one ``unlink`` (atomic) and is logged; a file that cannot be removed is
    logged and left. Returns the names removed.
    """
    folder = Path(folder)
    removed = []
    for report, name in EXTRA_FILES.items():
        path = folder / name
        if report in reports or not path.is_file():
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("%s: cannot remove %s of an earlier run: %s", folder.name, name, exc)
            continue
        log.info(
            "%s: removed %s of an earlier run (not asked for in this export)", folder.name, name
        )
        removed.append(name)
    return removed


def _extras(computed: Mapping[str, Any], folder: Path, reports: Sequence[str]) -> list[Path]:
    """Write the extras and check that each file they wrote opens."""
    extras = write_checked(lambda: _write_extras(computed, folder, reports), folder, ())
    paths = [Path(p) for p in extras.values()]
    problems = check_outputs(folder, [p.name for p in paths])
    if problems:
        raise OutputError(f"incomplete output in {folder}: {'; '.join(problems)}")
    return paths


def _store_state(
    folder: Path, state: dict, fingerprints: Mapping[str, str], job: Job, extras: Sequence[Path]
) -> None:
    """Record what was written, once every file of the municipality is complete."""
    for analysis, fp in fingerprints.items():
        state[analysis] = {"fingerprint": fp}
    state["extras"] = {"reports": sorted(job.reports), "files": [p.name for p in extras]}
    write_checked(lambda: write_json_atomic(folder / STATE_FILE, state), folder, ())


def run_municipality(
    gemeente: str,
    cfg: Config,
    out: str | Path,
    *,
    analyses: Sequence[str] = ANALYSES,
    reports: Sequence[str] = REPORTS,
    force: bool = False,
    offline: bool = True,
    area: StudyAreaData | None = None,
    progress: ProgressFn = _noop,
) -> MunicipalityOutcome:
    """Run and write the analyses of one municipality; never raises for a data problem."""
    job = Job(Path(out), tuple(analyses), tuple(reports), force, offline)
    return _municipality(gemeente, cfg, job, area or open_study_area(cfg), progress)


def _outputs(
    name: str, cfg: Config, area: StudyAreaData, folder: Path, job: Job, progress
) -> tuple[list[AnalysisRun], list[Path]]:
    """Every analysis computed or skipped, the extras written, the state recorded."""
    state = _read_state(folder)
    fingerprints = {a: inputs_fingerprint(cfg, a) for a in job.analyses}
    redo = _to_redo(folder, state, fingerprints, job)
    runs = [
        _run_analysis(a, name, cfg, area, folder, job, progress)
        if a in redo
        else _skipped(a, name, folder, progress)
        for a in job.analyses
    ]
    if not redo:
        if remove_unasked_extras(folder, job.reports):
            _store_state(folder, state, {}, job, _asked_extras(folder, job))
        return runs, []
    computed = {r.analysis: r.result for r in runs if not r.skipped}
    extras = _extras(computed, folder, job.reports) if job.reports else []
    remove_unasked_extras(folder, job.reports)
    _store_state(folder, state, {a: fingerprints[a] for a in computed}, job, extras)
    return runs, extras


def _asked_extras(folder: Path, job: Job) -> list[Path]:
    """The extras of ``job`` that are in ``folder`` (written by an earlier, unchanged run)."""
    names = (EXTRA_FILES[r] for r in job.reports if r in EXTRA_FILES)
    return [folder / n for n in names if (folder / n).is_file()]


def _municipality(
    gemeente: str, cfg: Config, job: Job, area: StudyAreaData, progress: ProgressFn
) -> MunicipalityOutcome:
    name, slug = gemeente, ""
    try:
        name, _ = area.municipality(gemeente)
        slug = area.slug(name)
        runs, extras = _outputs(name, cfg, area, job.out / slug, job, progress)
        outputs = [*(p for r in runs for p in r.outputs), *(str(p) for p in extras)]
        summaries = {r.analysis: r.summary for r in runs}
        status = "ok" if any(not r.skipped for r in runs) else "skipped"
        return MunicipalityOutcome(name, slug, status, summaries=summaries, outputs=tuple(outputs))
    except BereikbaarError as exc:
        log.error("%s failed: %s", name, exc)
        return MunicipalityOutcome(name, slug, "failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug: keep the traceback in the log, keep the batch going
        log.error("%s failed unexpectedly:\n%s", name, traceback.format_exc())
        return MunicipalityOutcome(name, slug, "failed", error=f"{type(exc).__name__}: {exc}")


# ------------------------------------------------------------------------ batch
def plan_export(
    cfg: Config,
    gemeenten: Sequence[str] | None,
    out: str | Path,
    *,
    area: StudyAreaData,
    analyses: Sequence[str] = ANALYSES,
    reports: Sequence[str] = REPORTS,
    force: bool = False,
    offline: bool = True,
) -> ExportPlan:
    """Resolve the batch before anything runs.

    Raises
    ------
    ConfigError
        An unknown analysis or report.
    UnknownAreaError
        A name or code that is not a municipality of the study area ("did you mean").
    """
    for given, known, what in ((analyses, ANALYSES, "analysis"), (reports, REPORTS, "report")):
        unknown = [a for a in given if a not in known]
        if unknown:
            raise ConfigError(f"unknown {what} {unknown[0]!r}; choose from {', '.join(known)}")
    if gemeenten:
        names = tuple(dict.fromkeys(area.municipality(g)[0] for g in gemeenten))
    else:
        names = tuple(str(n) for n in area.municipalities["statnaam"])
    job = Job(Path(out), tuple(analyses), tuple(reports), force, offline)
    return ExportPlan(names, {n: area.slug(n) for n in names}, job)


def _read_shared_inputs(area: StudyAreaData, analyses: Sequence[str]) -> None:
    """Read the inputs every municipality shares, once, before anything runs.

    An unusable shared input (an extract that does not cover the study area, a register
    that cannot be read) then stops the export with one message instead of failing every
    municipality with the same error.
    """
    area.pois()
    area.places()
    area.population()
    if "hartveilig" in analyses:
        area.aeds()
    if "dorpshub" in analyses:
        area.services()


def _prepare_out(out: Path) -> None:
    """Create ``out`` and remove temporaries of processes that are gone (never a live one)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        removed = cleanup_temporaries(out)
    except OSError as exc:  # each municipality will say so clearly when it writes
        log.debug("cannot prepare %s: %s", out, exc)
        return
    if removed:
        log.warning("removed %d temporary file(s) left by an interrupted run", removed)


def _run_serial(
    plan: ExportPlan, cfg: Config, area: StudyAreaData, progress: ProgressFn, on_done
) -> list[MunicipalityOutcome]:
    outcomes = []
    for name in plan.names:
        outcome = _municipality(name, cfg, plan.job, area, progress)
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _collect(plan: ExportPlan, outcomes: Sequence[MunicipalityOutcome]):
    """The outcomes in the order of the plan."""
    order = {n: i for i, n in enumerate(plan.names)}
    return tuple(sorted(outcomes, key=lambda o: order.get(o.gemeente, len(order))))


_MODEL_NL = {
    "fetch": "een burgerhulpverlener haalt de dichtstbijzijnde beschikbare AED en brengt die",
    "route": "de looproute van de AED naar het slachtoffer past binnen de tijd",
    "radius": "er hangt een AED binnen een cirkel (hemelsbreed) om de woning",
    "responder": "de kans dat een gealarmeerde burgerhulpverlener op tijd een AED brengt "
    "is minstens de gekozen drempel",
}


def _index_note(cfg: Config) -> str:
    """The overview's explanation in plain Dutch (no config keys)."""
    hv = cfg.hartveilig
    unknown = "als gesloten" if hv.unknown_availability == "closed" else "als open"
    model = _MODEL_NL.get(hv.model, hv.model)
    return (
        f"Binnen bereik: binnen {num_nl(hv.budget_min, 0)} minuten na de melding kan een AED "
        f"bij het slachtoffer zijn ({model}). AED's met onbekende openingstijden tellen "
        f"{unknown}. Witte vlekken: bewoonde gebieden zonder AED binnen bereik op het "
        f"slechtste moment. Bronnen: {cfg.inputs.sources_note}"
    )


def _write_overview(
    cfg: Config, out: Path, outcomes: Sequence[MunicipalityOutcome], area: StudyAreaData
) -> Path | None:
    """Update the province overview ``OUT/index.html`` with ``outcomes``.

    Rows of municipalities outside this export are kept (their state is stored beside the
    outputs, see :mod:`bereikbaar.overview`). None (and an error logged) when it cannot
    be written.
    """
    from bereikbaar.overview import update_overview

    rows = [
        {
            "gemeente": o.gemeente,
            "slug": o.slug,
            "status": o.status,
            "error": o.error,
            "hartveilig": o.summaries.get("hartveilig"),
            "dorpshub": o.summaries.get("dorpshub"),
            "outputs": list(o.outputs),
        }
        for o in outcomes
    ]
    try:
        return update_overview(
            out,
            rows,
            title=f"bereikbaar — {cfg.study_area.name}",
            moments=cfg.hartveilig.moments,
            municipalities=area.municipalities,
            note=_index_note(cfg),
        )
    except OSError as exc:
        log.error("index.html not written: %s", describe_write_error(exc, out))
        return None


def export(
    cfg: Config,
    gemeenten: Sequence[str] | None,
    out: str | Path,
    *,
    analyses: Sequence[str] = ANALYSES,
    reports: Sequence[str] = REPORTS,
    workers: int = 1,
    force: bool = False,
    offline: bool = True,
    progress: ProgressFn = _noop,
    on_done: Callable[[MunicipalityOutcome], None] | None = None,
    area: StudyAreaData | None = None,
) -> ExportReport:
    """The batch: every municipality (``gemeenten=None``) or the named ones.

    A municipality that fails is reported with its error while the others complete.
    ``workers > 1`` runs municipalities in parallel processes, which end when this process
    ends. Unchanged municipalities (same inputs, settings and version, files complete) are
    skipped unless ``force``. ``reports`` chooses the extras per municipality. Finally
    writes ``index.html`` with a row per municipality. ``area`` reuses an open study area
    (it is opened once otherwise).

    Raises
    ------
    BereikbaarError
        A bad setting, an unknown municipality or an unusable shared input, before
        anything runs.
    """
    area = area or open_study_area(cfg)
    plan = plan_export(
        cfg,
        gemeenten,
        out,
        area=area,
        analyses=analyses,
        reports=reports,
        force=force,
        offline=offline,
    )
    _read_shared_inputs(area, plan.job.analyses)
    if "dorpshub" in plan.job.analyses:
        check_what_if_village(cfg, area)
    _prepare_out(plan.job.out)
    if workers <= 1 or len(plan.names) <= 1:
        outcomes = _run_serial(plan, cfg, area, progress, on_done)
    else:
        from bereikbaar._workers import run_in_processes

        outcomes = run_in_processes(plan, cfg, workers=workers, progress=progress, on_done=on_done)
    collected = _collect(plan, outcomes)
    index = _write_overview(cfg, plan.job.out, collected, area)
    return ExportReport(out=plan.job.out, outcomes=collected, index=index)
