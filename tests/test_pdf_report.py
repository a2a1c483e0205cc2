"""The PDF report (rapport.pdf) of a real municipality of the test region: its text read
back with pypdf holds the municipality, the night share equal to the summary (the Dutch
way), the legend labels and the largest white spot; page 1 rendered with pypdfium2 is A4
and is kept as a test artifact (test-artifacts/, git-ignored)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bereikbaar._json import dumps
from bereikbaar._nl import int_nl, pct_nl
from bereikbaar.errors import BereikbaarError
from bereikbaar.pdf_report import LEGEND_COVERED, LEGEND_NOT_COVERED, write_pdf_report
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig

GEMEENTE = "Aa en Hunze"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def results(cfg):
    area = open_study_area(cfg)
    return run_hartveilig(GEMEENTE, cfg, area=area), run_dorpshub(GEMEENTE, cfg, area=area)


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    hv, dh = results
    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    return write_pdf_report(path, hartveilig=hv, dorpshub=dh)


def _pages_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join(p.extract_text().split()) for p in PdfReader(path).pages]


def test_text_holds_the_numbers(report, results):
    hv, dh = results
    pages = _pages_text(report)
    first = pages[0]
    assert GEMEENTE in first
    night = json.loads(dumps(hv.summary))["moments"]["night"]  # as in the summary JSON
    # the night share of the summary JSON, formatted the Dutch way, next to its label
    assert f"{night['label']}: {pct_nl(night['share_covered'])} binnen bereik" in first
    assert f"{int_nl(night['residents_covered'])} {pct_nl(night['share_covered'])}" in first
    assert LEGEND_COVERED in first and LEGEND_NOT_COVERED in first
    assert "5 km" in first or "2 km" in first or "10 km" in first  # the scale bar
    assert pct_nl(hv.summary["weekly_share_mean"]) in first
    everything = " ".join(pages)
    spots = hv.white_spots[hv.white_spots["moment"] == "night"]
    biggest = spots.sort_values("residents", ascending=False).iloc[0]
    assert f"{biggest['nearest_village']} {int_nl(biggest['residents'])}" in everything
    first_prop = hv.proposals.iloc[0]
    assert int_nl(first_prop["gain_residents"]) in everything
    assert str(hv.relocations.iloc[0]["address"]) in everything
    # every village is in the Dorpshub table, with its residents (very long names clipped)
    for v in dh.villages.itertuples():
        name = v.village if len(v.village) <= 24 else v.village[:20]
        row = f"{v.place_nl} {int_nl(v.residents)} {int_nl(v.residents_65_plus)}"
        assert name in everything and row in everything, v.village
        if len(v.village) <= 24:
            assert f"{v.village} {row}" in everything
    assert "Aannames en bronnen" in everything
    assert "Bronnen" in pages[-1]


def test_page_one_is_a4_and_kept(report):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(report))
    try:
        width_pt, height_pt = doc[0].get_size()
        assert (width_pt, height_pt) == pytest.approx((595.4, 841.7), abs=1.0)  # A4
        image = doc[0].render(scale=100 / 72).to_pil()
    finally:
        doc.close()
    assert image.size[0] == pytest.approx(8.27 * 100, abs=1.5)
    assert image.size[1] == pytest.approx(11.69 * 100, abs=1.5)
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "rapport-page1.png")
    # the page is not blank: both map colours are present
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0x2C, 0x7B, 0xB6) in colours and (0xD7, 0x19, 0x1C) in colours


def test_one_result_only(results, tmp_path):
    hv, dh = results
    only_dh = _pages_text(write_pdf_report(tmp_path / "d.pdf", dorpshub=dh))
    assert GEMEENTE in only_dh[0] and LEGEND_COVERED not in " ".join(only_dh)
    only_hv = _pages_text(write_pdf_report(tmp_path / "h.pdf", hartveilig=hv))
    assert "Dorpshub" not in " ".join(only_hv)
    # without villages the maps name the places of the AED addresses, most AEDs first
    top = hv.aeds[hv.aeds["in_gemeente"]]["place"].value_counts().index[0]
    assert top in only_hv[0]
    with pytest.raises(BereikbaarError):
        write_pdf_report(tmp_path / "x.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.pdf", "h.pdf"]


def test_basemap_places_are_labelled(results, tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    hv, _ = results
    x0, y0, x1, y1 = hv.outline.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    places = gpd.GeoDataFrame(
        {"name": ["Proefdorp", "Testerveen"], "population": [900, 100]},
        geometry=[Point(cx, cy), Point(x0 + 3000, y0 + 3000)],
        crs=hv.outline.crs,
    )
    roads = gpd.GeoDataFrame(geometry=[LineString([(x0, y0), (x1, y1)])], crs=hv.outline.crs)
    path = write_pdf_report(tmp_path / "b.pdf", hartveilig=hv, basemap={"places": places,
                                                                       "roads": roads})  # fmt: skip
    first = _pages_text(path)[0]
    assert "Proefdorp" in first and "Testerveen" in first


def test_empty_tables_say_geen(results, tmp_path):
    hv, _ = results
    empty = dataclasses.replace(hv, relocations=hv.relocations.iloc[:0])
    text = " ".join(_pages_text(write_pdf_report(tmp_path / "e.pdf", hartveilig=empty)))
    assert "Verplaatsen" in text and "geen" in text


def test_same_results_same_bytes(results, report, tmp_path):
    hv, dh = results
    again = write_pdf_report(tmp_path / "again.pdf", hartveilig=hv, dorpshub=dh)
    assert again.read_bytes() == report.read_bytes()
