"""The Excel workbook (tabellen.xlsx) of a real municipality of the test region, read back
with openpyxl: the expected sheets and Dutch headers, values equal to the result's tables,
numbers stored as numbers and no formula anywhere."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from bereikbaar._nl import mode_nl, service_nl
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig
from bereikbaar.workbook import SHEETS, cell_value, write_workbook

GEMEENTE = "Aa en Hunze"


@pytest.fixture(scope="module")
def results(cfg):
    area = open_study_area(cfg)
    return run_hartveilig(GEMEENTE, cfg, area=area), run_dorpshub(GEMEENTE, cfg, area=area)


@pytest.fixture(scope="module")
def workbook(results, tmp_path_factory):
    from openpyxl import load_workbook

    hv, dh = results
    path = write_workbook(
        tmp_path_factory.mktemp("wb") / "tabellen.xlsx", hartveilig=hv, dorpshub=dh
    )
    return load_workbook(path)


def _columns(ws) -> dict[str, list]:
    rows = list(ws.iter_rows(values_only=True))
    return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}


def _same(a, b) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a == pytest.approx(float(b), rel=1e-12, abs=1e-9)


def test_sheets_and_dutch_headers(workbook):
    assert workbook.sheetnames == list(SHEETS)
    heads = {name: [c.value for c in workbook[name][1]] for name in SHEETS}
    assert heads["Dorpen"][:5] == ["Gemeente", "Dorp-id", "Dorp", "Soort plaats", "Inwoners"]
    assert "Reistijd huisarts fiets (min)" in heads["Dorpen"]
    assert "Norm gehaald: huisarts ≤ 15 min per fiets" in heads["Dorpen"]
    assert "Afstand tot dichtstbijzijnde beschikbare AED (m)" in heads["Witte vlekken"]
    assert "Extra inwoners binnen bereik" in heads["Voorstellen AED"]
    assert {"Adres", "Beschikbaar nu"} <= set(heads["Verplaatsen AED"])
    assert {"AED-id", "Adres", "Beschikbaarheid (openingstijden)", "Herkomst"} <= set(
        heads["AED's"]
    )
    english = {"village", "residents", "minutes", "walk", "bike", "gp"}
    for name in SHEETS:
        assert not english & set(heads[name]), name


def test_villages_equal_the_result(workbook, results):
    _, dh = results
    cols = _columns(workbook["Dorpen"])
    villages = dh.villages
    assert cols["Dorp-id"] == list(villages["village_id"])
    assert cols["Gemeente"] == [GEMEENTE] * len(villages)
    assert all(_same(a, b) for a, b in zip(cols["Inwoners"], villages["residents"], strict=True))
    # every (service, mode) minutes column equals the long table, matched by village id
    table = dh.table.set_index(["village_id", "service", "mode"])["minutes"]
    for (vid, service, mode), minutes in table.items():
        header = f"Reistijd {service_nl(service)} {mode_nl(mode)} (min)"
        got = cols[header][cols["Dorp-id"].index(vid)]
        assert _same(got, minutes), (vid, service, mode)
    for norm in dh.norms:
        met = cols[f"Norm gehaald: {norm.label_nl}"]
        expected = [cell_value(v, "bool") for v in villages[norm.within_column]]
        assert met == expected
        assert set(met) <= {"ja", "nee", None}
    n_failed = [int(sum(cols[f"Norm gehaald: {n.label_nl}"][i] == "nee" for n in dh.norms))
                for i in range(len(villages))]  # fmt: skip
    assert cols["Aantal normen niet gehaald"] == n_failed


def test_ov_sheet_equals_the_result(workbook, results):
    _, dh = results
    assert dh.ov is not None, "the test config sets [transit] gtfs"
    ws = workbook["ov"]
    heads = [c.value for c in ws[1]]
    assert heads[:5] == ["Gemeente", "Dorp-id", "Dorp", "Voorziening", "Tijdvak"]
    for h in heads[5:8]:
        assert h.startswith("Ov p") and h.endswith("(min)")
    assert "Geen ov-rit in dit tijdvak" in heads
    cols = _columns(ws)
    t = dh.ov.table
    assert len(cols["Dorp-id"]) == len(t) > 0
    labels = {w.name: w.label for w in dh.ov.windows}
    got = {
        (vid, svc, win): i
        for i, (vid, svc, win) in enumerate(
            zip(cols["Dorp-id"], cols["Voorziening"], cols["Tijdvak"], strict=True)
        )
    }
    assert len(got) == len(t)  # one row per village, service and window
    for row in t.itertuples():
        i = got[(row.village_id, service_nl(row.service), labels[row.window])]
        assert cols["Dorp"][i] == row.village
        for p in ("05", "50", "95"):
            head = next(h for h in heads if h.startswith(f"Ov p{int(p)},"))
            assert _same(cols[head][i], getattr(row, f"transit_p{p}_min")), (row.Index, p)
            assert _same(cols[f"Ov of lopen p{int(p)} (min)"][i], getattr(row, f"ov_p{p}_min"))
        assert cols["Geen ov-rit in dit tijdvak"][i] == ("ja" if row.no_trip else "nee")
        assert _same(cols["Helemaal lopen (min)"][i], row.walk_min)
        if row.no_trip:  # no trip: the percentiles stay empty, never a huge number
            assert {cols[h][i] for h in heads[5:8]} == {None}
    assert set(cols["Sneller met (mediaan)"]) <= {"ov", "lopen", "geen van beide"}


def test_hartveilig_sheets_equal_the_result(workbook, results):
    hv, _ = results
    spots = _columns(workbook["Witte vlekken"])
    assert len(spots["Inwoners"]) == len(hv.white_spots)
    assert spots["Witte-vlek-id"] == list(hv.white_spots["spot_id"])
    for got, want in zip(spots["Inwoners"], hv.white_spots["residents"], strict=True):
        assert _same(got, want)
    labels = {m.name: m.label for m in hv.moments}
    assert spots["Moment"] == [labels[m] for m in hv.white_spots["moment"]]
    props = _columns(workbook["Voorstellen AED"])
    assert props["Locatie"] == list(hv.proposals["name"])
    assert all(_same(a, b) for a, b in zip(props["Extra inwoners binnen bereik"],
                                           hv.proposals["gain_residents"], strict=True))  # fmt: skip
    assert props["Soort locatie"] == [service_nl(k) for k in hv.proposals["kind"]]
    rel = _columns(workbook["Verplaatsen AED"])
    assert rel["AED-id"] == list(hv.relocations["aed_id"])
    assert rel["Beschikbaar nu"] == list(hv.relocations["current_availability"])
    aeds = _columns(workbook["AED's"])
    assert aeds["AED-id"] == list(hv.aeds["aed_id"])
    assert aeds["Herkomst"] == list(hv.aeds["provenance"])
    counts = [cell_value(v, "bool") for v in hv.aeds["counts"]]
    assert aeds["Telt mee voor dekking"] == counts
    xy = np.array([aeds["X (RD, m)"], aeds["Y (RD, m)"]], dtype=float).T
    np.testing.assert_allclose(xy, hv.aeds.get_coordinates().to_numpy(), atol=0.051)


def test_numbers_are_numbers_and_no_formulas(workbook):
    n_numbers = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.replace(",", "").replace(".", "").isdigit()
                n_numbers += isinstance(cell.value, int | float)
    assert n_numbers > 1000


def test_formula_like_text_stays_text(results, tmp_path):
    from openpyxl import load_workbook

    hv, _ = results
    nasty = ['=HYPERLINK("http://x","klik")', "+31 6 1234", "-2", "@SUM(A1)"]
    props = hv.proposals.head(len(nasty)).copy()
    props["name"] = nasty[: len(props)]
    props["address"] = ["=1+1"] * len(props)
    path = write_workbook(tmp_path / "t.xlsx", hartveilig=dataclasses.replace(hv, proposals=props))
    ws = load_workbook(path)["Voorstellen AED"]
    cols = _columns(ws)
    assert cols["Locatie"] == nasty[: len(props)]
    assert cols["Adres"] == ["=1+1"] * len(props)
    assert all(c.data_type == "s" for c in ws["B"][1:])


def test_only_the_given_result(results, tmp_path):
    from openpyxl import load_workbook

    _, dh = results
    wb = load_workbook(write_workbook(tmp_path / "d.xlsx", dorpshub=dh))
    assert wb.sheetnames == ["Dorpen", "ov"]  # the test config sets [transit] gtfs
    no_ov = dataclasses.replace(dh, ov=None)
    assert load_workbook(write_workbook(tmp_path / "e.xlsx", dorpshub=no_ov)).sheetnames == [
        "Dorpen"
    ]
    assert not list(tmp_path.glob(".bereikbaar-tmp-*"))


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (float("nan"), "num", None),
        (pd.NA, "bool", None),
        (np.bool_(True), "bool", "ja"),
        (False, "bool", "nee"),
        (np.float64(2.5), "num", 2.5),
        (np.int64(3), "int", 3),
        (2.6, "int", 3),
        (None, "text", None),
        ("=1+1", "text", "=1+1"),
        (7, "text", "7"),
    ],
)
def test_cell_value(value, kind, expected):
    got = cell_value(value, kind)
    assert got == expected and type(got) is type(expected)


def test_same_tables_same_bytes(results, tmp_path):
    hv, dh = results
    a = write_workbook(tmp_path / "a.xlsx", hartveilig=hv, dorpshub=dh).read_bytes()
    b = write_workbook(tmp_path / "b.xlsx", hartveilig=hv, dorpshub=dh).read_bytes()
    assert a == b
