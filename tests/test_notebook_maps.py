"""Maps shown inline in notebooks: the executed output is one ``<iframe srcdoc>`` holding the
whole page (no file, no server, no internet), and it renders in headless Chromium with every
non-file request blocked — as JupyterLab 4 and VS Code show it, and as a saved notebook
shows it when opened again."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT
from .test_maps import browser, count  # noqa: F401 - browser is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.notebook]


def _map_outputs(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            html = o.get("data", {}).get("text/html")
            if html and "srcdoc=" in html:
                out.append(html if isinstance(html, str) else "".join(html))
    return out


def _render(browser, html: str, tmp_path: Path, *, min_cells: int) -> None:  # noqa: F811
    """Open a notebook's HTML output in Chromium; the map inside the iframe draws its cells."""
    outer = re.sub(r'srcdoc="[^"]*"', "", html)
    assert not re.search(r"\s(src|href)=", outer), "the output references a file"
    inner = unescape(re.search(r'srcdoc="([^"]*)"', html).group(1))
    tags = re.sub(r"<script\b[^>]*>.*?</script>", "", inner, flags=re.S)  # markup, not code
    assert not re.search(r"<\w+\b[^>]*\s(src|href)=", tags), "the page references a file"
    assert "<script src" not in inner and "<link " not in inner
    page_file = tmp_path / "output.html"
    page_file.write_text(f"<!DOCTYPE html><html><body>{html}</body></html>", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems, blocked = [], []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    def route(r):
        if r.request.url.startswith(("file://", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        frame = page.frame_locator("iframe")
        frame.locator("html[data-bb-ready='1']").wait_for()
        assert frame.locator(".leaflet-container").count() == 1
        n = frame.locator("path.bb-cell, path.bb-village").count()
        assert n >= min_cells
        assert problems == [] and blocked == []
    finally:
        page.close()


def test_fake_result_shows_inline_in_an_executed_notebook(tmp_path, browser):  # noqa: F811
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from tests.map_fakes import fake_hartveilig\n"
            "from bereikbaar.maps import hartveilig_map\n"
            "hv = fake_hartveilig(n_cells=120)\n"
            "hartveilig_map(hv)"
        )
    ]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)
    outputs = _map_outputs(nbformat.read(saved, as_version=4))  # as saved, then reopened
    assert len(outputs) == 1
    _render(browser, outputs[0], tmp_path, min_cells=120)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "min_features"), [("hartveilig.ipynb", 100), ("dorpshub.ipynb", 5)]
)
def test_planners_notebooks_show_their_maps_inline(
    name,
    min_features,
    monkeypatch,
    cache_dir,
    data_dir,
    tmp_path,
    browser,  # noqa: F811
):
    monkeypatch.setenv("BEREIKBAAR_CACHE", str(cache_dir))
    monkeypatch.setenv("BEREIKBAAR_DATA", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    work = tmp_path / "notebooks"
    work.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    outputs = _map_outputs(nb)
    assert len(outputs) == 1
    _render(browser, outputs[0], tmp_path, min_cells=min_features)
