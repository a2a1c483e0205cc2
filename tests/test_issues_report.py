"""The data-check report: own ids in their own column, registers first, privacy rows summarised."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bereikbaar.inputs.report import REPORT_COLUMNS, IssueLog, ReadResult, issues_report


def _result(name: str, log: IssueLog, rows_read: int = 0) -> ReadResult:
    return ReadResult(name, Path(f"{name}.x"), pd.DataFrame(), rows_read, log.to_frame())


def _results():
    pop = IssueLog("population", Path("pop.gpkg"))
    for fid in range(1, 8):
        pop.flag(fid, "aantal_inwoners", -99997, "privacy code (1-4 residents): imputed 2.5",
                 "change population.privacy_residents", record=f"E{fid:04d}N5000")  # fmt: skip
    for fid in (2, 5):
        pop.flag(fid, "inw65", -99997, "privacy code: imputed 0.5 residents 65+", "change it",
                 record=f"E{fid:04d}N5000")  # fmt: skip
    pop.reject(9, "aantal_inwoners", "x", "resident count is negative or not a number", "fix",
               record="E0009N5000")  # fmt: skip
    osm = IssueLog("osm_aeds", Path("x.pbf"))
    osm.reject(None, "note", "osm:n7 note=verwijderd?", "removal_hint", "check", record="osm:n7")
    reg = IssueLog("aed_register", Path("aed.csv"))
    reg.reject(12, "lat", "95", "out_of_range", "fix", record="AED-12")
    reg.flag(3, "gemeente", "", "missing_gemeente", "kept", record="AED-3")
    gp = IssueLog("gp_register", Path("gp.csv"))
    gp.reject(4, "type", "tandarts", "unknown_kind", "fix", record="Praktijk B")
    return [_result("population", pop), _result("osm_aeds", osm), _result("gp_register", gp),
            _result("aed_register", reg)]  # fmt: skip


def test_registers_first_and_own_ids_in_their_column():
    table = issues_report(_results())
    assert list(table.columns) == REPORT_COLUMNS
    assert table["input"].tolist()[:4] == [
        "aed_register",
        "aed_register",
        "gp_register",
        "osm_aeds",
    ]
    assert table["record_id"].tolist()[:4] == ["AED-3", "AED-12", "Praktijk B", "osm:n7"]
    assert table["row"].tolist()[:3] == [3, 12, 4]


def test_privacy_imputations_are_one_line_each_with_their_count():
    table = issues_report(_results())
    pop = table[table["input"] == "population"]
    privacy = pop[pop["reason"].str.startswith("privacy code")]
    assert sorted(privacy["count"].tolist()) == [2, 7]
    assert privacy["row"].isna().all() and privacy["record_id"].isna().all()
    assert set(privacy["value"]) == {"7 cells, value -99997", "2 cells, value -99997"}
    # the rejection is not a privacy row: kept with its own cell id
    other = pop[~pop["reason"].str.startswith("privacy code")]
    assert other["record_id"].tolist() == ["E0009N5000"] and other["count"].tolist() == [1]
    # nothing lost: the counts add up to the issues given
    assert table["count"].sum() == sum(len(r.issues) for r in _results()) == 14


def test_all_rows_keeps_every_line():
    table = issues_report(_results(), all_rows=True)
    assert len(table) == 14 and (table["count"] == 1).all()
    pop = table[table["input"] == "population"]
    assert pop["row"].tolist() == [1, 2, 2, 3, 4, 5, 5, 6, 7, 9]


def test_empty_report_has_the_columns():
    assert list(issues_report([]).columns) == REPORT_COLUMNS
