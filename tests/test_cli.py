"""CLI tests: every command, a batch with one broken municipality, an interrupted batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from bereikbaar.cli import main

from .conftest import CONFIG_PATH, ROOT

pytestmark = pytest.mark.slow


def _env(cache_dir: Path, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BEREIKBAAR_CACHE"] = str(cache_dir)
    env["BEREIKBAAR_DATA"] = str(data_dir)
    return env


def _export_cmd(config: Path, out: Path, *gemeenten: str, extra: tuple[str, ...] = ()) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "bereikbaar.cli",
        "export",
        "--config",
        str(config),
        "--out",
        str(out),
    ]
    for g in gemeenten:
        cmd += ["--gemeente", g]
    return [*cmd, *extra]


def _run(cmd: list[str], cache_dir: Path, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, capture_output=True, text=True, env=_env(cache_dir, data_dir), cwd=ROOT, timeout=900
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["data"],
        ["data", "check"],
        ["hartveilig"],
        ["dorpshub"],
        ["export"],
        ["download"],
        ["download", "osm"],
    ],
)
def test_help_on_every_command(args):
    r = CliRunner().invoke(main, [*args, "--help"])
    assert r.exit_code == 0, r.output
    assert "Usage:" in r.output


def test_data_check_counts_and_report(tmp_path, data_dir, cache_dir, monkeypatch):
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    report = tmp_path / "report.csv"
    r = CliRunner().invoke(
        main,
        [
            "data",
            "check",
            "--config",
            str(CONFIG_PATH),
            "--data-dir",
            str(data_dir),
            "--report",
            str(report),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "aed_register" in r.output and "population" in r.output
    issues = pd.read_csv(report)
    assert {"file", "row", "column", "value", "reason", "hint", "action"} <= set(issues.columns)
    aed = issues[issues["input"] == "aed_register"]
    # every register line that is rejected is reported with a row number and a hint
    rejected = aed[aed["action"] == "rejected"]
    assert len(rejected) > 0 and rejected["row"].notna().all() and rejected["hint"].notna().all()


def test_data_check_missing_input_is_clear(tmp_path, data_dir):
    text = CONFIG_PATH.read_text().replace(
        "drenthe-synth/drenthe-synth.osm.pbf", "nowhere/missing.osm.pbf"
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    r = CliRunner().invoke(
        main, ["data", "check", "--config", str(cfg), "--data-dir", str(data_dir)]
    )
    assert r.exit_code == 2
    assert "missing.osm.pbf" in r.output and "inputs.osm" in r.output


def test_unknown_gemeente_suggests(data_dir, cache_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    r = CliRunner().invoke(
        main,
        [
            "hartveilig",
            "--config",
            str(CONFIG_PATH),
            "--data-dir",
            str(data_dir),
            "--gemeente",
            "Asen",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 2
    assert "Assen" in r.output and "did you mean" in r.output


def test_hartveilig_and_dorpshub_single(tmp_path, data_dir, cache_dir, monkeypatch):
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    base = [
        "--config",
        str(CONFIG_PATH),
        "--data-dir",
        str(data_dir),
        "--gemeente",
        "Westerveld",
        "--out",
        str(tmp_path),
    ]
    r = CliRunner().invoke(main, ["hartveilig", *base])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "westerveld"
    summary = json.loads((folder / "hartveilig_summary.json").read_text())
    assert summary["gemeente"] == "Westerveld"
    for m in ("weekday_day", "weekday_evening", "night", "sunday"):
        v = summary["moments"][m]
        assert 0 <= v["share_covered"] <= 1
        assert v["share_covered"] == pytest.approx(
            v["residents_covered"] / summary["residents"], abs=1e-4
        )
    layers = set(gpd.list_layers(folder / "hartveilig.gpkg")["name"])
    assert {"cells", "white_spots", "aeds", "proposals"} <= layers
    cells = gpd.read_file(folder / "hartveilig.gpkg", layer="cells")
    assert cells["residents"].sum() == pytest.approx(summary["residents"])
    assert (folder / "hartveilig.html").read_text().rstrip().endswith("</html>")

    r = CliRunner().invoke(main, ["dorpshub", *base])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(folder / "dorpshub_villages.csv")
    assert list(table.columns) == [
        "gemeente",
        "village_id",
        "village",
        "residents",
        "residents_65_plus",
        "mode",
        "service",
        "minutes",
        "within_norm",
    ]
    assert "villages" in set(gpd.list_layers(folder / "dorpshub.gpkg")["name"])
    assert json.loads((folder / "dorpshub_summary.json").read_text())["gemeente"] == "Westerveld"


def _config_without_population_in(tmp_path: Path, data_dir: Path, gemeente: str) -> Path:
    """A config whose population grid lacks every cell of ``gemeente`` (a broken input)."""
    gm = gpd.read_file(
        data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg", layer="gemeente_gegeneraliseerd"
    )
    poly = gm.loc[gm["statnaam"] == gemeente].geometry.iloc[0]
    pop_path = data_dir / "drenthe-synth" / "population_100m.gpkg"
    pop = gpd.read_file(pop_path)
    broken = pop[~pop.geometry.representative_point().within(poly)]
    assert len(broken) < len(pop)
    out = tmp_path / "population_broken.gpkg"
    broken.to_file(out, driver="GPKG")
    text = CONFIG_PATH.read_text().replace('"drenthe-synth/population_100m.gpkg"', f'"{out}"')
    cfg = tmp_path / "broken.toml"
    cfg.write_text(text)
    return cfg


def test_batch_with_one_broken_municipality(tmp_path, data_dir, cache_dir):
    cfg = _config_without_population_in(tmp_path, data_dir, "Westerveld")
    out = tmp_path / "maps"
    proc = _run(
        _export_cmd(cfg, out, "Westerveld", "Meppel", extra=("--analysis", "hartveilig")),
        cache_dir,
        data_dir,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "Westerveld" in text and "population" in text.lower()
    assert (out / "meppel" / "hartveilig.html").is_file()
    assert not (out / "westerveld" / "hartveilig.html").exists()
    index = (out / "index.html").read_text()
    assert "Meppel" in index and "Westerveld" in index and "mislukt" in index


def test_interrupted_batch_leaves_no_partial_files(tmp_path, data_dir, cache_dir):
    out = tmp_path / "maps"
    proc = subprocess.Popen(
        _export_cmd(CONFIG_PATH, out, "Westerveld", "Meppel", "De Wolden", extra=("--force",)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(cache_dir, data_dir),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 600
    # interrupt once the first municipality is written, while the next one is in progress
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "westerveld" / "dorpshub.html").exists():
            break
        time.sleep(0.2)
    interrupted = proc.poll() is None
    if interrupted:
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    if interrupted:
        assert proc.returncode == 130, stdout + stderr
    assert not list(out.rglob(".bereikbaar-tmp-*")), "temporary files left behind"
    for html in out.rglob("*.html"):
        assert html.read_text().rstrip().endswith("</html>"), html
    for gpkg in out.rglob("*.gpkg"):
        assert len(gpd.list_layers(gpkg)) >= 1
    # a second run completes what was interrupted; a third finds everything unchanged
    again = _export_cmd(
        CONFIG_PATH, out, "Westerveld", "Meppel", extra=("--analysis", "hartveilig")
    )
    proc2 = _run(again, cache_dir, data_dir)
    assert proc2.returncode == 0, proc2.stdout + proc2.stderr
    proc3 = _run(again, cache_dir, data_dir)
    assert proc3.returncode == 0
    assert "skipped  Westerveld" in proc3.stdout and "skipped  Meppel" in proc3.stdout


def test_verbosity_flags(data_dir, cache_dir):
    base = [sys.executable, "-m", "bereikbaar.cli"]
    check = ["data", "check", "--config", str(CONFIG_PATH)]
    quiet = _run([*base, "-q", *check], cache_dir, data_dir)
    default = _run([*base, *check], cache_dir, data_dir)
    verbose = _run([*base, "-v", *check], cache_dir, data_dir)
    assert quiet.returncode == default.returncode == verbose.returncode == 0
    assert "INFO" not in quiet.stderr and "WARNING" not in quiet.stderr
    assert "INFO" not in default.stderr
    assert "INFO bereikbaar.inputs.registers" in verbose.stderr
    assert quiet.stdout == default.stdout == verbose.stdout  # the report itself is the same


# ------------------------------------------------------------ messages, exit codes
def test_bad_setting_is_exit_2_without_traceback(tmp_path, data_dir):
    text = CONFIG_PATH.read_text()
    assert "\nbudget_min = " in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("\nbudget_min = ", '\nbudget_min = "six" #', 1))
    args = ["--config", str(bad), "--data-dir", str(data_dir)]
    for cmd in (["data", "check"], ["export", "--all", "--out", str(tmp_path)]):
        r = CliRunner().invoke(main, [*cmd, *args])
        assert r.exit_code == 2, r.output
        assert "budget_min" in r.output and "Traceback" not in r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)


def test_unwritable_report_path_is_exit_2(tmp_path, data_dir, cache_dir, monkeypatch):
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    r = CliRunner().invoke(
        main,
        ["data", "check", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir)]
        + ["--report", str(a_file / "report.csv")],
    )
    assert r.exit_code == 2, r.output
    assert r.output.strip().splitlines()[-1].startswith("error: ")
    assert "a-file" in r.output


@pytest.mark.parametrize(
    ("option", "expected"),
    [((), ("pdf", "xlsx")), (("--report", "xlsx"), ("xlsx",)), (("--report", "none"), ())],
)
def test_export_report_option_reaches_the_pipeline(
    tmp_path, data_dir, monkeypatch, option, expected
):
    from bereikbaar import batch

    seen = {}

    def fake_export(cfg, gemeenten, out, **kw):
        seen.update(kw, gemeenten=gemeenten)
        return batch.ExportReport(out=Path(out), outcomes=(), index=None)

    monkeypatch.setattr(batch, "export", fake_export)
    args = ["export", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir), "--all"]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path), *option])
    assert r.exit_code == 0, r.output
    assert seen["reports"] == expected
    assert seen["gemeenten"] is None  # --all: the pipeline opens the study area once


def test_misspelt_what_if_village_is_exit_2_with_a_suggestion(
    tmp_path, data_dir, cache_dir, monkeypatch
):
    """A what-if village that is no place of the study area stops the run before anything
    is computed (a village of another municipality is fine: that run has no what-if)."""
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    text = CONFIG_PATH.read_text()
    assert '\nwhat_if_village = "Grolloo"' in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('\nwhat_if_village = "Grolloo"', '\nwhat_if_village = "Groloo"'))
    out = tmp_path / "out"
    args = ["--config", str(bad), "--data-dir", str(data_dir), "--out", str(out)]
    for cmd in (
        ["dorpshub", "--gemeente", "Westerveld"],
        ["export", "--gemeente", "Westerveld", "--analysis", "dorpshub", "--report", "none"],
    ):
        r = CliRunner().invoke(main, [*cmd, *args])
        assert r.exit_code == 2, r.output
        assert "dorpshub.what_if_village" in r.output and "'Groloo'" in r.output
        assert "did you mean 'Grolloo'" in r.output and "Traceback" not in r.output
    assert not (out / "westerveld").exists()
