"""The planners' notebooks: committed without outputs, run top to bottom on a fresh kernel,
and show the same numbers as the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from bereikbaar.cli import main

from .conftest import CONFIG_PATH, ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["hartveilig.ipynb", "dorpshub.ipynb", "eigen_gebied.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a cell has outputs; clear them before committing"
            assert cell.execution_count is None


def _execute(name: str, probe: str, monkeypatch, cache_dir: Path, data_dir: Path) -> dict:
    """Run the notebook on a fresh kernel, then a probe cell printing JSON of its variables."""
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    monkeypatch.setenv("BEREIKBAAR_DATA", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError if any cell errors
    out = nb.cells[-1].outputs
    text = "".join(o.get("text", "") for o in out if o.get("output_type") == "stream")
    return json.loads(text)


def _cli_output(analysis: str, gemeente: str, out: Path) -> Path:
    """Run ``bereikbaar <analysis>`` for ``gemeente``; return the municipality's output folder."""
    args = [analysis, "--config", str(CONFIG_PATH), "--gemeente", gemeente, "--out", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return next(p for p in out.iterdir() if p.is_dir())


@pytest.mark.notebook
@pytest.mark.slow
def test_hartveilig_notebook_matches_cli(monkeypatch, cache_dir, data_dir, tmp_path):
    probe = (
        "import json\n"
        "print(json.dumps({'gemeente': GEMEENTE, 'dekking': dekking.to_dict(orient='index'),"
        " 'proposals': voorstellen['gain_residents'].tolist(),"
        " 'varianten': vergelijking.to_dict()}))"
    )
    got = _execute("hartveilig.ipynb", probe, monkeypatch, cache_dir, data_dir)
    folder = _cli_output("hartveilig", got["gemeente"], tmp_path)
    summary = json.loads((folder / "hartveilig_summary.json").read_text())
    for moment, row in got["dekking"].items():
        assert row["inwoners gedekt"] == pytest.approx(
            summary["moments"][moment]["residents_covered"]
        )
        # the JSON keeps 4 decimals of the share; the notebook shows one decimal of the percentage
        assert row["% gedekt"] == pytest.approx(
            100 * summary["moments"][moment]["share_covered"], abs=0.051
        )
    assert got["proposals"] == pytest.approx([p["gain_residents"] for p in summary["proposals"]])
    # the what-if table: a larger budget never covers fewer residents; "standaard" equals the CLI
    for moment in summary["moments"]:
        assert got["varianten"]["budget 8 min"][moment] >= got["varianten"]["standaard"][moment]
        assert got["varianten"]["1,8 m/s"][moment] <= got["varianten"]["standaard"][moment]


@pytest.mark.notebook
@pytest.mark.slow
def test_dorpshub_notebook_matches_cli(monkeypatch, cache_dir, data_dir, tmp_path):
    import pandas as pd

    probe = (
        "import json\n"
        "print(json.dumps({'gemeente': GEMEENTE, 'residents_buitengebied': dh.summary['residents_buitengebied'],"
        " 'slechtste': slechtste.to_dict(orient='records')}))"
    )
    got = _execute("dorpshub.ipynb", probe, monkeypatch, cache_dir, data_dir)
    folder = _cli_output("dorpshub", got["gemeente"], tmp_path)
    summary = json.loads((folder / "dorpshub_summary.json").read_text())
    assert got["residents_buitengebied"] == pytest.approx(summary["residents_buitengebied"])
    table = pd.read_csv(folder / "dorpshub_villages.csv")
    for row in got["slechtste"]:
        sel = table[(table["service"] == row["service"]) & (table["mode"] == row["mode"])]
        assert row["minutes"] == pytest.approx(sel["minutes"].max(), abs=0.051)


@pytest.mark.notebook
@pytest.mark.slow
def test_eigen_gebied_notebook_reads_other_columns(monkeypatch, cache_dir, data_dir):
    probe = "import json\nprint(json.dumps({'origineel': origineel, 'eigen': eigen}, default=str))"
    got = _execute("eigen_gebied.ipynb", probe, monkeypatch, cache_dir, data_dir)
    for name in ("aed_register", "osm_pois"):
        for key in ("rows_read", "rows_used", "rows_rejected", "rows_repaired"):
            assert got["eigen"][name][key] == got["origineel"][name][key], (name, key)
    assert got["eigen"]["aed_register"]["rows_rejected"] > 0
