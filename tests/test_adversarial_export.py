"""Writes that never lie (issue 14): clean-up, complete outputs, full disks, read-only
folders, killed batches, slugs, mistyped names and formula-safe CSV."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from bereikbaar import batch, outputs
from bereikbaar._files import TMP_PREFIX, write_bytes_atomic
from bereikbaar.cli import main
from bereikbaar.errors import UnknownAreaError
from bereikbaar.outputs import check_output
from bereikbaar.pipeline import export, open_study_area, run_dorpshub, write_dorpshub
from bereikbaar.study_area import unique_slugs

from .conftest import CONFIG_PATH, ROOT

pytestmark = pytest.mark.slow

SMALL = "Westerveld"  # a municipality of the test region
HV = ("hartveilig",)


@pytest.fixture(scope="module")
def area(cfg):
    a = open_study_area(cfg)
    a.network("walk")  # built (or loaded) before any test breaks the file system
    return a


def _run(cfg, area, out, **kw):
    return export(cfg, [SMALL], out, analyses=HV, reports=(), area=area, **kw).outcomes[0]


def _is_formula(cell: str) -> bool:
    """What a spreadsheet would evaluate: a formula start that is not a plain number."""
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    if set(cell) - set("0123456789+-.,eE"):
        return True
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return True
    return False


def _csv_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


# ------------------------------------------------------------------ clean-up
def test_cleanup_spares_a_running_writer_and_removes_a_dead_ones(cfg, area, tmp_path):
    out = tmp_path / "maps"
    assert _run(cfg, area, out).status == "ok"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        folder = out / area.slug(SMALL)
        live = folder / f"{TMP_PREFIX}{sleeper.pid}-aa11.gpkg"
        gone = folder / f"{TMP_PREFIX}{dead.pid}-bb22.gpkg"
        live.write_text("another export is writing this")
        gone.write_text("left by a killed export")
        assert _run(cfg, area, out).status == "skipped"
        assert live.exists() and not gone.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# ----------------------------------------------------------- complete outputs
def test_ok_only_when_every_layer_is_there(cfg, area, tmp_path, monkeypatch):
    real = outputs.write_gpkg_atomic

    def without_cells(path, layers):
        return real(path, {k: v for k, v in layers.items() if k != "cells"})

    monkeypatch.setattr(outputs, "write_gpkg_atomic", without_cells)
    o = _run(cfg, area, tmp_path)
    assert o.status == "failed"
    assert "hartveilig.gpkg lacks layer(s) cells" in o.error
    monkeypatch.undo()
    # the failed run stored no fingerprint: the next run redoes it instead of skipping
    o = _run(cfg, area, tmp_path)
    assert o.status == "ok"
    assert check_output(tmp_path / o.slug / "hartveilig.gpkg") is None


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:4096]), "hartveilig.gpkg"),
        (lambda p: p.write_text('{"residents": '), "hartveilig_summary.json"),
        (lambda p: p.write_text(""), "hartveilig.html"),
        (lambda p: p.unlink(), "hartveilig.html"),
    ],
    ids=["gpkg-cut", "json-cut", "html-empty", "html-missing"],
)
def test_unchanged_is_skipped_only_when_its_files_open(cfg, area, tmp_path, damage, name):
    assert _run(cfg, area, tmp_path).status == "ok"
    path = tmp_path / area.slug(SMALL) / name
    damage(path)
    assert check_output(path) is not None
    o = _run(cfg, area, tmp_path)
    assert o.status == "ok"  # redone, not "skipped"
    assert check_output(path) is None
    assert _run(cfg, area, tmp_path).status == "skipped"


# ------------------------------------------------------ disk full, read-only
def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_is_one_clear_message(cfg, area, tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "write_gpkg_atomic", _no_space)
    o = _run(cfg, area, tmp_path)
    assert o.status == "failed"
    assert o.error.startswith("OutputError: disk full")
    assert "free some space" in o.error


def test_disk_full_inside_gdal_says_disk_full(cfg, area, tmp_path, monkeypatch):
    import pyogrio.errors

    def gdal_full(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("no such table: gpkg_contents")

    monkeypatch.setattr(outputs, "write_gpkg_atomic", gdal_full)
    monkeypatch.setattr(outputs, "_free_mb", lambda folder: 3.0)
    o = _run(cfg, area, tmp_path)
    assert o.status == "failed" and "disk full: only 3 MB free" in o.error
    assert "gpkg_contents" not in o.error


def test_disk_full_on_the_command_line(cfg, area, tmp_path, monkeypatch, data_dir):
    monkeypatch.setattr(outputs, "write_gpkg_atomic", _no_space)
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cfg.network.cache_dir))
    args = ["export", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir)]
    args += ["--gemeente", SMALL, "--gemeente", "Meppel", "--analysis", "hartveilig"]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path), "--report", "none"])
    assert r.exit_code == 1, r.output
    failed = [line for line in r.output.splitlines() if line.startswith("failed")]
    assert len(failed) == 2 and all("disk full" in line for line in failed)
    assert "Traceback" not in r.output and "gpkg_contents" not in r.output


def test_read_only_folder_is_one_clear_message(cfg, area, tmp_path, monkeypatch):
    def read_only(src, dst):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))

    monkeypatch.setattr(os, "replace", read_only)
    o = _run(cfg, area, tmp_path)
    assert o.status == "failed"
    assert "read-only" in o.error and "choose another --out" in o.error
    assert not list(tmp_path.rglob(f"{TMP_PREFIX}*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_folder(cfg, area, tmp_path):  # pragma: no cover - not as root
    out = tmp_path / "maps"
    out.mkdir()
    out.chmod(0o555)
    try:
        o = _run(cfg, area, out)
    finally:
        out.chmod(0o755)
    assert o.status == "failed" and "read-only" in o.error


# -------------------------------------------------------------- killed batch
def _export_with_two_workers(out: Path, data_dir: Path, cache_dir: Path, psutil):
    """Start a 4-municipality export with --workers 2; return it once both workers run."""
    env = {**os.environ, "BEREIKBAAR_CACHE": str(cache_dir), "BEREIKBAAR_DATA": str(data_dir)}
    cmd = [sys.executable, "-m", "bereikbaar.cli", "export", "--config", str(CONFIG_PATH)]
    for g in ("Assen", "Emmen", "Meppel", "Westerveld"):
        cmd += ["--gemeente", g]
    cmd += ["--workers", "2", "--force", "--report", "none", "--out", str(out)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    workers = []
    deadline = time.monotonic() + 120
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        kids = psutil.Process(proc.pid).children(recursive=True)
        workers = [k for k in kids if "spawn_main" in " ".join(k.cmdline())]
        time.sleep(0.1)
    time.sleep(1.5)  # let them start on a municipality
    return proc, workers


def _end(proc, workers, psutil) -> tuple[str, str]:
    proc.kill()
    for w in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            w.kill()
    return proc.communicate(timeout=30)


def test_sigkill_of_the_main_process_ends_the_workers(tmp_path, data_dir, cache_dir):
    psutil = pytest.importorskip("psutil")
    proc, workers = _export_with_two_workers(tmp_path / "maps", data_dir, cache_dir, psutil)
    try:
        assert len(workers) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive, f"workers still running after the main process was killed: {alive}"
    finally:
        _end(proc, workers, psutil)


def test_sigterm_stops_the_workers_and_leaves_no_temporaries(tmp_path, data_dir, cache_dir):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "maps"
    proc, workers = _export_with_two_workers(out, data_dir, cache_dir, psutil)
    try:
        assert len(workers) == 2
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.returncode == 130
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive
    finally:
        stdout, stderr = _end(proc, workers, psutil)
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not list(out.rglob(f"{TMP_PREFIX}*"))


# ---------------------------------------------------------------------- slugs
def test_unique_slugs_never_empty_never_shared():
    names = ["日本語", "..", "De Wolden", "De-Wolden", "Aa en Hunze", "aa en hunze"]
    codes = ["GM0001", "GM0002", "GM1690", "GM9999", "GM1680", "GM1681"]
    slugs = unique_slugs(names, codes)
    assert slugs == {
        "日本語": "gm0001",
        "..": "gm0002",
        "De Wolden": "gm1690",
        "De-Wolden": "gm9999",
        "Aa en Hunze": "gm1680",
        "aa en hunze": "gm1681",
    }
    ordinary = unique_slugs(["Aa en Hunze", "Assen"], ["GM1680", "GM0106"])
    assert ordinary == {"Aa en Hunze": "aa-en-hunze", "Assen": "assen"}


def test_odd_municipality_names_get_their_own_folder(cfg, data_dir, tmp_path):
    src = data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg"
    sa = cfg.study_area
    gm = gpd.read_file(src, layer=sa.municipality_layer)
    renames = {"Westerveld": "日本語", "Meppel": "..", "Assen": "Emmen!"}  # Emmen! → "emmen"
    gm["statnaam"] = gm["statnaam"].replace(renames)
    path = tmp_path / "boundaries.gpkg"
    gm.to_file(path, layer=sa.municipality_layer, driver="GPKG")
    gpd.read_file(src, layer=sa.province_layer).to_file(
        path, layer=sa.province_layer, driver="GPKG"
    )
    odd = cfg.replace(inputs=dataclasses.replace(cfg.inputs, boundaries=path))
    odd_area = open_study_area(odd)
    m = odd_area.municipalities
    code = dict(zip(m["statnaam"], m["statcode"], strict=True))
    assert odd_area.slug("日本語") == code["日本語"].lower()
    assert odd_area.slug("..") == code[".."].lower()
    assert odd_area.slug("Emmen!") == code["Emmen!"].lower()
    assert odd_area.slug("Emmen") == code["Emmen"].lower()
    slugs = list(odd_area.slugs.values())
    assert all(slugs) and len(set(slugs)) == len(slugs) == 12
    report = export(odd, ["日本語"], tmp_path / "maps", analyses=HV, reports=(), area=odd_area)
    assert report.outcomes[0].status == "ok"
    assert (tmp_path / "maps" / code["日本語"].lower() / "hartveilig.html").is_file()
    assert not (tmp_path / "maps" / "hartveilig.html").exists()


def test_mistyped_name_is_an_error_not_a_row(cfg, area, tmp_path, data_dir, monkeypatch):
    with pytest.raises(UnknownAreaError, match="did you mean 'Assen'"):
        export(cfg, ["Assen", "Asen"], tmp_path, analyses=HV, area=area)
    assert not (tmp_path / "assen").exists()  # nothing ran
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cfg.network.cache_dir))
    args = ["export", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir)]
    r = CliRunner().invoke(main, [*args, "--gemeente", "Asen", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "did you mean 'Assen'" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "index.html").exists()


def test_unknown_report_and_analysis_are_exit_2(data_dir, tmp_path):
    args = ["export", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir)]
    args += ["--gemeente", SMALL, "--out", str(tmp_path)]
    r = CliRunner().invoke(main, [*args, "--report", "pdf,docx"])
    assert r.exit_code == 2 and "unknown report 'docx'" in r.output
    r = CliRunner().invoke(main, [*args, "--analysis", "hartveilig,aed"])
    assert r.exit_code == 2 and "unknown analysis 'aed'" in r.output


def test_reports_reach_the_extras_hook_and_are_checked(cfg, area, tmp_path, monkeypatch):
    seen = []

    def extras(results, folder, reports):
        seen.append((sorted(results), folder.name, tuple(reports)))
        return {"xlsx": write_bytes_atomic(folder / "tabellen.xlsx", b"PK fake")}

    monkeypatch.setattr(batch, "_write_extras", extras)
    slug = area.slug(SMALL)

    def run(reports):
        return export(cfg, [SMALL], tmp_path, analyses=HV, reports=reports, area=area)

    assert run(()).outcomes[0].status == "ok" and seen == []
    # asked for now, never written before: everything is computed again for the extras
    assert run(("xlsx",)).outcomes[0].status == "ok"
    assert seen == [(["hartveilig"], slug, ("xlsx",))]
    assert run(("xlsx",)).outcomes[0].status == "skipped" and len(seen) == 1
    (tmp_path / slug / "tabellen.xlsx").unlink()  # a lost extra is made again
    assert run(("xlsx",)).outcomes[0].status == "ok" and len(seen) == 2
    empty = tmp_path / slug / "rapport.pdf"

    def broken(results, folder, reports):
        empty.write_bytes(b"")
        return {"pdf": empty}

    monkeypatch.setattr(batch, "_write_extras", broken)
    o = export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf",), force=True, area=area)
    assert o.outcomes[0].status == "failed" and "rapport.pdf is empty" in o.outcomes[0].error


# ------------------------------------------------------------ formula-safe CSV
PAYLOADS = ("=HYPERLINK(x)", "+1+1", "-2+3", "@SUM(1+1)", "=cmd|' /C calc'!A0")


def test_dorpshub_villages_csv_has_no_formula_cell(cfg, tmp_path):
    area = open_study_area(cfg)
    places = area.places()
    data = places.data.copy()
    prefixes = ["=", "+", "-", "@"]
    data["name"] = [f"{prefixes[i % 4]}{n}" for i, n in enumerate(data["name"])]
    area._cache["places"] = dataclasses.replace(places, data=data)
    cfg = cfg.replace(dorpshub=dataclasses.replace(cfg.dorpshub, what_if_village=None))
    res = run_dorpshub(SMALL, cfg, area=area)
    path = write_dorpshub(res, tmp_path, area=area)["csv"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    cells = _csv_cells(path)
    assert not [c for c in cells if _is_formula(c)]
    villages = set(res.table["village"])
    assert villages and all(v.startswith(tuple(prefixes)) for v in villages)
    assert {f"'{v}" for v in villages} <= set(cells)  # the names are kept, made inert


def test_data_check_report_has_no_formula_cell(tmp_path, data_dir, cfg, monkeypatch):
    register = data_dir / "drenthe-synth" / "aed_register.csv"
    lines = register.read_text(encoding="utf-8").splitlines()
    bad = [
        f"X{i},{p},{p},1,9401 AA,Assen,Assen,{p},{p},{p},{p},{p}" for i, p in enumerate(PAYLOADS)
    ]
    poisoned = tmp_path / "aed_register.csv"
    poisoned.write_text("\n".join([*lines, *bad]) + "\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(
        CONFIG_PATH.read_text().replace('"drenthe-synth/aed_register.csv"', f'"{poisoned}"')
    )
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cfg.network.cache_dir))
    report = tmp_path / "report.csv"
    r = CliRunner().invoke(
        main,
        ["data", "check", "--config", str(config), "--data-dir", str(data_dir)]
        + ["--report", str(report)],
    )
    assert r.exit_code == 0, r.output
    cells = _csv_cells(report)
    assert not [c for c in cells if _is_formula(c)]
    for p in PAYLOADS:  # every payload reached the report, made inert
        assert any(c.startswith(f"'{p}") for c in cells), p


def test_batch_writes_the_extras_and_keeps_other_rows_in_the_overview(cfg, area, tmp_path):
    first = export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf", "xlsx"), area=area)
    o = first.outcomes[0]
    assert o.status == "ok", o.error
    folder = tmp_path / o.slug
    for name in ("rapport.pdf", "tabellen.xlsx"):
        assert check_output(folder / name) is None
        assert str(folder / name) in o.outputs
    assert (folder / "rapport.pdf").read_bytes().startswith(b"%PDF")
    export(cfg, ["Meppel"], tmp_path, analyses=HV, reports=(), area=area)
    page = first.index.read_text(encoding="utf-8")
    assert SMALL in page and "Meppel" in page  # the subset export kept the first row


# ------------------------------------------------- extras of an earlier run (issue 10)
def _fake_extras(results, folder, reports):
    """Both extras, written fast (the real PDF and workbook have their own tests)."""
    paths = {}
    if "pdf" in reports:
        paths["pdf"] = write_bytes_atomic(folder / "rapport.pdf", b"%PDF-1.4 fake")
    if "xlsx" in reports:
        paths["xlsx"] = write_bytes_atomic(folder / "tabellen.xlsx", b"PK fake")
    return paths


def test_report_none_removes_the_extras_of_an_earlier_run(
    cfg, area, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(batch, "_write_extras", _fake_extras)
    first = export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf", "xlsx"), area=area)
    folder = tmp_path / first.outcomes[0].slug
    assert (folder / "rapport.pdf").is_file() and (folder / "tabellen.xlsx").is_file()
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "rapport.pdf'" in page and "tabellen.xlsx'" in page
    # the same municipality again from the command line, unchanged, without extras
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cfg.network.cache_dir))
    args = ["export", "--config", str(CONFIG_PATH), "--data-dir", str(data_dir)]
    args += ["--gemeente", SMALL, "--analysis", "hartveilig", "--out", str(tmp_path)]
    r = CliRunner().invoke(main, [*args, "--report", "none"])
    assert r.exit_code == 0, r.output
    assert "skipped" in r.output  # unchanged analyses: only the extras are tidied
    assert not (folder / "rapport.pdf").exists() and not (folder / "tabellen.xlsx").exists()
    assert check_output(folder / "hartveilig.gpkg") is None  # the analysis's files stay
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "rapport.pdf" not in page and "tabellen.xlsx" not in page
    assert "hartveilig.gpkg'" in page
    state = json.loads((folder / batch.STATE_FILE).read_text(encoding="utf-8"))
    assert state["extras"] == {"reports": [], "files": []}
    stored = json.loads((tmp_path / ".bereikbaar-overview.json").read_text(encoding="utf-8"))
    (row,) = stored["rows"].values()
    assert "rapport.pdf" not in row["outputs"] and "hartveilig.gpkg" in row["outputs"]


def test_extras_not_asked_for_are_removed_when_the_analyses_are_redone(
    cfg, area, tmp_path, monkeypatch
):
    monkeypatch.setattr(batch, "_write_extras", _fake_extras)
    export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf", "xlsx"), area=area)
    again = export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf",), force=True, area=area)
    o = again.outcomes[0]
    folder = tmp_path / o.slug
    assert o.status == "ok" and (folder / "rapport.pdf").is_file()
    assert not (folder / "tabellen.xlsx").exists()
    assert str(folder / "rapport.pdf") in o.outputs
    state = json.loads((folder / batch.STATE_FILE).read_text(encoding="utf-8"))
    assert state["extras"] == {"reports": ["pdf"], "files": ["rapport.pdf"]}
    page = again.index.read_text(encoding="utf-8")
    assert "rapport.pdf'" in page and "tabellen.xlsx" not in page
    # a later run asking for the workbook again computes and writes it
    third = export(cfg, [SMALL], tmp_path, analyses=HV, reports=("pdf", "xlsx"), area=area)
    assert third.outcomes[0].status == "ok" and (folder / "tabellen.xlsx").is_file()


def test_remove_unasked_extras_only_touches_extras(tmp_path, monkeypatch):
    for name in ("rapport.pdf", "tabellen.xlsx", "hartveilig.gpkg", "notes.pdf"):
        (tmp_path / name).write_bytes(b"x")
    assert batch.remove_unasked_extras(tmp_path, ("xlsx",)) == ["rapport.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hartveilig.gpkg",
        "notes.pdf",
        "tabellen.xlsx",
    ]
    assert batch.remove_unasked_extras(tmp_path, ("pdf", "xlsx")) == []

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    assert batch.remove_unasked_extras(tmp_path, ()) == []  # logged and left
    assert (tmp_path / "tabellen.xlsx").is_file()
