"""The ``bereikbaar`` command line: argument parsing, logging, progress bars, exit codes.

Exit codes:

* 0 — everything asked for was done (or was unchanged and complete);
* 1 — ``export``: some municipalities failed (the others completed; each failure is one
  line with its reason, e.g. disk full or a folder that is read-only);
* 2 — bad input or settings: a wrong option, a config key out of range, a missing or
  unreadable input, an unknown municipality (with "did you mean"); one message, no traceback;
* 130 — interrupted (Ctrl-C or SIGTERM); no partial file is left under a final name.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from bereikbaar.errors import BereikbaarError

log = logging.getLogger("bereikbaar")

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _setup_logging(verbose: int, quiet: int) -> None:
    """Warnings by default; -v adds progress information, -vv debug detail, -q errors only."""
    level = max(logging.DEBUG, min(logging.CRITICAL, logging.WARNING + 10 * (quiet - verbose)))
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # third-party chatter stays at warnings unless -vv
    for noisy in ("fiona", "pyogrio", "rasterio", "matplotlib", "PIL", "numexpr", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)


def _on_sigterm(signum, frame):  # make `kill` behave like Ctrl-C so temporary files are removed
    raise KeyboardInterrupt


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("data/drenthe.toml"),
    show_default=True,
    help="Study-area TOML file.",
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data root for the paths in the config (default: $BEREIKBAAR_DATA, else ../shared/data beside the checkout).",
)
out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("maps"),
    show_default=True,
    help="Output folder; each municipality gets OUT/<slug>/.",
)
offline_option = click.option(
    "--offline/--online",
    default=True,
    show_default=True,
    help="Offline maps carry Leaflet inside the file and need no internet; --online loads the same pinned Leaflet from unpkg (with integrity hashes) and shows OpenStreetMap.",
)


def _load(config_path: Path, data_dir: Path | None):
    from bereikbaar.config import load_config

    return load_config(config_path, data_dir=data_dir)


class _Group(click.Group):
    """Turns every BereikbaarError (and a file that cannot be written) into one message
    and exit 2, and Ctrl-C into 130."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BereikbaarError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except OSError as exc:  # e.g. --report into a folder that does not exist
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("interrupted; no partial files were left behind", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-v", "--verbose", count=True, help="More log output: -v progress details, -vv debug."
)
@click.option("-q", "--quiet", count=True, help="Less log output: errors only.")
@click.version_option(package_name="bereikbaar")
def main(verbose: int, quiet: int) -> None:
    """bereikbaar: how reachable AEDs and everyday services are in rural areas.

    \b
    Exit codes:
      0    ok: everything asked for is done
      1    export: some municipalities failed (the others completed)
      2    bad input or settings (one message naming the file, key or name)
      130  interrupted
    """
    _setup_logging(verbose, quiet)
    signal.signal(signal.SIGTERM, _on_sigterm)


# ---------------------------------------------------------------------------- data
@main.group()
def data() -> None:
    """Check the inputs of a study area."""


@data.command("check")
@config_option
@data_dir_option
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every repaired, flagged and rejected row (input, row, record id, column, value, reason, hint) to this CSV, registers first.",
)
@click.option(
    "--all-rows",
    is_flag=True,
    default=False,
    help="In --report, list every population privacy imputation instead of one summary line each.",
)
def data_check(
    config_path: Path, data_dir: Path | None, report: Path | None, all_rows: bool
) -> None:
    """Read every input and report rows read, used, repaired and rejected."""
    from bereikbaar.inputs.report import issues_report
    from bereikbaar.outputs import write_csv_atomic
    from bereikbaar.pipeline import check_inputs

    cfg = _load(config_path, data_dir)
    results = check_inputs(cfg)
    click.echo(
        f"{'input':<15} {'read':>7} {'used':>7} {'repaired':>9} {'flagged':>8} {'rejected':>9}  file"
    )
    for r in results:
        click.echo(
            f"{r.name:<15} {r.rows_read:>7} {r.rows_used:>7} {r.rows_repaired:>9} "
            f"{r.rows_flagged:>8} {r.rows_rejected:>9}  {r.path}"
        )
        for reason, n in sorted(r.reasons("rejected").items()):
            click.echo(f"{'':<15}   rejected {n:>4} × {reason}")
    if report is not None:
        write_csv_atomic(report, issues_report(results, all_rows=all_rows))
        click.echo(f"report: {report}")
    bad = [r for r in results if r.rows_read != r.rows_used + r.rows_rejected]
    if bad:  # would be a bug in a reader; say so loudly
        raise BereikbaarError(f"row counts do not add up for {', '.join(r.name for r in bad)}")


# ---------------------------------------------------------------------- analyses
def _single(analysis: str, config_path, data_dir, gemeente, out, offline, overrides) -> None:
    from bereikbaar.outputs import ANALYSIS_FILES, write_checked
    from bereikbaar.pipeline import (
        open_study_area,
        run_dorpshub,
        run_hartveilig,
        write_dorpshub,
        write_hartveilig,
    )

    cfg = _load(config_path, data_dir)
    if overrides:
        cfg = (
            cfg.with_hartveilig(**overrides)
            if analysis == "hartveilig"
            else cfg.with_dorpshub(**overrides)
        )
    area = open_study_area(cfg)
    name, _ = area.municipality(gemeente)
    folder = Path(out) / area.slug(name)
    if analysis == "hartveilig":
        res = run_hartveilig(name, cfg, area=area)
        paths = write_checked(
            lambda: write_hartveilig(res, folder, offline=offline, area=area),
            folder,
            ANALYSIS_FILES["hartveilig"],
        )
        s = res.summary
        click.echo(f"{name}: {s['residents']:,.0f} residents, {s['aeds']['total']} AEDs")
        for m, v in s["moments"].items():
            click.echo(
                f"  {v.get('label') or m:<16} {100 * v['share_covered']:5.1f}% covered ({v['residents_covered']:,.0f})"
            )
    else:
        res = run_dorpshub(name, cfg, area=area)
        paths = write_checked(
            lambda: write_dorpshub(res, folder, offline=offline, area=area),
            folder,
            ANALYSIS_FILES["dorpshub"],
        )
        s = res.summary
        click.echo(
            f"{name}: {s['villages']} villages, {s['residents_buitengebied']:,.0f} residents in buitengebied"
        )
    for a in res.assumptions:
        click.echo(f"  assumption: {a}")
    for p in paths.values():
        click.echo(f"  wrote {p}")


@main.command()
@config_option
@data_dir_option
@click.option(
    "--gemeente",
    required=True,
    help="Municipality name or CBS code (e.g. 'Aa en Hunze' or GM1680).",
)
@out_option
@click.option(
    "--model",
    type=click.Choice(["fetch", "route", "radius", "responder"]),
    default=None,
    help="Coverage model.",
)
@click.option(
    "--budget-min", type=float, default=None, help="Time budget in minutes (fetch model)."
)
@click.option(
    "--unknown-availability",
    type=click.Choice(["closed", "open"]),
    default=None,
    help="How AEDs with unknown hours count.",
)
@offline_option
def hartveilig(
    config_path, data_dir, gemeente, out, model, budget_min, unknown_availability, offline
) -> None:
    """AED coverage by the hour, white spots and proposed new AEDs for one municipality.

    Writes OUT/<slug>/hartveilig.gpkg, hartveilig_summary.json and hartveilig.html.
    """
    overrides = {
        k: v
        for k, v in {
            "model": model,
            "budget_min": budget_min,
            "unknown_availability": unknown_availability,
        }.items()
        if v is not None
    }
    _single("hartveilig", config_path, data_dir, gemeente, out, offline, overrides)


@main.command()
@config_option
@data_dir_option
@click.option("--gemeente", required=True, help="Municipality name or CBS code.")
@out_option
@click.option("--hub-k", type=int, default=None, help="Number of hubs to choose.")
@offline_option
def dorpshub(config_path, data_dir, gemeente, out, hub_k, offline) -> None:
    """Every village's travel time to services, norm failures and proposed hubs.

    Writes OUT/<slug>/dorpshub.gpkg, dorpshub_villages.csv, dorpshub_summary.json and dorpshub.html.
    """
    overrides = {"hub_k": hub_k} if hub_k is not None else {}
    _single("dorpshub", config_path, data_dir, gemeente, out, offline, overrides)


@main.command()
@config_option
@data_dir_option
@click.option("--all", "all_", is_flag=True, help="Every municipality of the province.")
@click.option("--gemeente", multiple=True, help="A municipality (repeat for more).")
@out_option
@click.option(
    "--analysis", default="hartveilig,dorpshub", show_default=True, help="Comma-separated analyses."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Municipalities in parallel processes.",
)
@click.option(
    "--force", is_flag=True, help="Redo municipalities whose inputs and settings have not changed."
)
@click.option(
    "--report",
    "reports",
    default="pdf,xlsx",
    show_default=True,
    help="Comma-separated extras per municipality: pdf (rapport.pdf), xlsx (tabellen.xlsx); 'none' for none.",
)
@offline_option
def export(
    config_path, data_dir, all_, gemeente, out, analysis, workers, force, reports, offline
) -> None:
    """Batch export: maps, GeoPackages and summaries per municipality, plus OUT/index.html.

    Exit 0 when every municipality is done, 1 when some failed (the others complete), 2 for
    bad settings or an unknown municipality (nothing runs then).
    """
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    from bereikbaar.pipeline import export as run_export

    if all_ == bool(gemeente):
        raise click.UsageError("give either --all or one or more --gemeente NAME")
    analyses = _split_list(analysis)
    extras = () if reports.strip().lower() == "none" else _split_list(reports)
    cfg = _load(config_path, data_dir)
    names = None if all_ else list(gemeente)
    with (
        logging_redirect_tqdm(),
        tqdm(
            total=len(names) if names else None,
            unit="gemeente",
            desc="export",
            file=sys.stderr,
            disable=None,
        ) as bar,
    ):

        def progress(gem: str, step: str) -> None:
            bar.set_postfix_str(f"{gem}: {step}", refresh=True)

        def done(outcome) -> None:
            if outcome.status == "failed":
                tqdm.write(f"FAILED {outcome.gemeente}: {outcome.error}", file=sys.stderr)
            bar.update(1)

        report = run_export(
            cfg,
            names,
            out,
            analyses=analyses,
            reports=extras,
            workers=workers,
            force=force,
            offline=offline,
            progress=progress,
            on_done=done,
        )
    for o in report.outcomes:
        click.echo(f"{o.status:<8} {o.gemeente}{': ' + o.error if o.error else ''}")
    click.echo(f"index: {report.index or 'not written (see the error above)'}")
    if not report.ok:
        click.echo(f"{len(report.failed)} municipality(ies) failed", err=True)
        sys.exit(EXIT_FAILED)


def _split_list(text: str) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")`` (lower case)."""
    return tuple(p.strip().lower() for p in text.split(",") if p.strip())


# ------------------------------------------------------------------------ download
@main.group()
def download() -> None:
    """Explicit downloads from the internet (nothing else ever goes online)."""


@download.command("osm")
@click.option("--url", default=None, help="Extract URL (default: Geofabrik's Drenthe extract).")
@click.option(
    "--to",
    "dest",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to save the .osm.pbf.",
)
@click.option("--force", is_flag=True, help="Download even when the file exists.")
def download_osm(url, dest, force) -> None:
    """Download an OSM extract (PBF); checks the size and writes atomically."""
    from bereikbaar._download import GEOFABRIK_DRENTHE, download_file

    path = download_file(url or GEOFABRIK_DRENTHE, dest, force=force)
    click.echo(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":  # pragma: no cover
    main()
