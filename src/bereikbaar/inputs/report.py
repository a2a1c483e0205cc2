"""The result of reading one input: the usable rows plus every repair and rejection.

Every reader returns a :class:`ReadResult`. Nothing is dropped silently: a row that
cannot be used is *rejected* (it appears in ``issues`` with ``action="rejected"``), a row
that was fixed is *repaired* (it is used, and appears with ``action="repaired"``), and a
row that is used but deserves a look is *flagged* (e.g. geocoded to a postcode centroid).

The invariant, asserted in the tests for every input::

    result.rows_read == result.rows_used + result.rows_rejected
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

#: Columns of every AED table: the register's, OSM's and the merged one (see
#: docs/ARCHITECTURE.md for their meaning); readers may add columns after these.
AED_SCHEMA = [
    "aed_id",
    "name",
    "street",
    "postcode",
    "place",
    "gemeente",
    "availability",
    "availability_status",
    "open_hours",
    "indoor",
    "location_quality",
    "provenance",
    "geometry",
]
#: ``record_id`` is the record's own id where it has one: the register's AED id (else the
#: name of a practice or hub), ``osm:n123`` for OSM objects, the cell id for the population.
ISSUE_COLUMNS = [
    "input",
    "file",
    "row",
    "record_id",
    "column",
    "value",
    "reason",
    "hint",
    "action",
]
Action = Literal["rejected", "repaired", "flagged"]


@dataclass
class IssueLog:
    """Collects issues while a reader runs; ``row`` is the 1-based line number in the file
    (the header is line 1, so the first data row of a CSV is row 2)."""

    input: str
    file: Path
    _rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        row: int | None,
        column: str | None,
        value: Any,
        reason: str,
        hint: str,
        action: Action,
        *,
        record: str | None = None,
    ) -> None:
        self._rows.append(
            {
                "input": self.input,
                "file": str(self.file),
                "row": row,
                "record_id": record,
                "column": column,
                "value": None if value is None else str(value),
                "reason": reason,
                "hint": hint,
                "action": action,
            }
        )

    def reject(self, row, column, value, reason, hint, *, record: str | None = None) -> None:
        self.add(row, column, value, reason, hint, "rejected", record=record)

    def repair(self, row, column, value, reason, hint, *, record: str | None = None) -> None:
        self.add(row, column, value, reason, hint, "repaired", record=record)

    def flag(self, row, column, value, reason, hint, *, record: str | None = None) -> None:
        self.add(row, column, value, reason, hint, "flagged", record=record)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._rows, columns=ISSUE_COLUMNS)
        return frame.astype({"row": "Int64"})


@dataclass(frozen=True)
class ReadResult:
    """What a reader returns.

    Attributes
    ----------
    name
        The input's name (``aed_register``, ``osm_pois``, ``population``, ...).
    path
        The file read.
    data
        The usable rows, a GeoDataFrame in the working CRS (the schema is in each reader's docstring).
    rows_read
        Rows (or objects) read from the file.
    issues
        One row per repair, flag or rejection, with ``ISSUE_COLUMNS``. A rejected row
        appears exactly once with ``action="rejected"``.
    """

    name: str
    path: Path
    data: Any
    rows_read: int
    issues: pd.DataFrame

    @property
    def rows_used(self) -> int:
        return len(self.data)

    @property
    def rows_rejected(self) -> int:
        return int((self.issues["action"] == "rejected").sum())

    @property
    def rows_repaired(self) -> int:
        rep = self.issues[self.issues["action"] == "repaired"]
        return int(rep["row"].nunique(dropna=True)) if len(rep) else 0

    @property
    def rows_flagged(self) -> int:
        fl = self.issues[self.issues["action"] == "flagged"]
        return int(fl["row"].nunique(dropna=True)) if len(fl) else 0

    def reasons(self, action: Action = "rejected") -> Counter:
        """How often each reason occurs for ``action``."""
        sel = self.issues[self.issues["action"] == action]
        return Counter(sel["reason"])

    def summary(self) -> dict[str, Any]:
        """Counts for reports and the ``data check`` command."""
        return {
            "input": self.name,
            "file": str(self.path),
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_repaired": self.rows_repaired,
            "rows_flagged": self.rows_flagged,
            "rows_rejected": self.rows_rejected,
            "rejected_reasons": dict(self.reasons("rejected")),
            "repaired_reasons": dict(self.reasons("repaired")),
        }


# ---------------------------------------------------------------- the data-check report
#: Order of the inputs in the report: the registers people maintain first, then OSM, then
#: the population grid (whose privacy rows are many and expected).
REPORT_ORDER = (
    "aed_register",
    "gp_register",
    "hubs_register",
    "osm_aeds",
    "osm_pois",
    "osm_places",
    "population",
)
REPORT_COLUMNS = ["input", "row", "record_id", "column", "value", "reason", "hint", "action",
                  "count", "file"]  # fmt: skip
#: Issues summarised into one line per (input, column, reason) unless ``all_rows``: the
#: population grid's privacy-code imputations (one per small cell, thousands of them).
SUMMARISED_REASON_PREFIX = "privacy code"


def issues_report(results, *, all_rows: bool = False) -> pd.DataFrame:
    """Every repair, flag and rejection of several inputs as one table for people to read.

    Parameters
    ----------
    results
        :class:`ReadResult` objects (``check_inputs(cfg)``).
    all_rows
        Keep every population privacy imputation as its own line (the CLI's ``--all-rows``);
        by default they are summarised into one line per column with their ``count``.

    Returns
    -------
    pandas.DataFrame
        :data:`REPORT_COLUMNS`: the issue columns with ``record_id`` (the AED id, OSM id or
        cell id) in its own column, and ``count`` (1, or the number of lines a summary line
        stands for). Register inputs come first (:data:`REPORT_ORDER`), then by row, record
        and reason; the order is deterministic.
    """
    frames = [r.issues for r in results if len(r.issues)]
    if not frames:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    table = pd.concat(frames, ignore_index=True).reindex(columns=ISSUE_COLUMNS)
    table["count"] = 1
    if not all_rows:
        table = _summarise(table)
    rank = {name: i for i, name in enumerate(REPORT_ORDER)}
    table["_rank"] = table["input"].map(rank).fillna(len(rank)).astype(int)
    table["_record"] = table["record_id"].fillna("").astype(str)
    table = table.sort_values(
        ["_rank", "input", "row", "_record", "reason"], kind="stable", na_position="last"
    )
    return table[REPORT_COLUMNS].reset_index(drop=True)


def _summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Population privacy imputations → one line per (input, file, column, reason, action)."""
    many = (table["input"] == "population") & table["reason"].astype(str).str.startswith(
        SUMMARISED_REASON_PREFIX
    )
    if not many.any():
        return table
    keys = ["input", "file", "column", "reason", "hint", "action"]
    groups = table[many].groupby(keys, sort=True, dropna=False)
    summary = groups.agg(value=("value", "first"), count=("reason", "size")).reset_index()
    summary["row"] = pd.NA
    summary["record_id"] = None
    summary["value"] = (
        summary["count"].map(lambda n: f"{n} cells") + ", value " + summary["value"].astype(str)
    )
    return pd.concat([table[~many], summary[table.columns]], ignore_index=True).astype(
        {"row": "Int64"}
    )
