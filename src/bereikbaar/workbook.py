"""The Excel workbook per municipality (``maps/<slug>/tabellen.xlsx``).

One sheet per table a planner wants to sort and filter in Dutch Excel: the villages with
their minutes per service and mode and the norms met (Dorpshub), and the white spots,
proposed AED sites, relocations and AEDs (Hartveilig). Headers are Dutch and carry their
unit ("Reistijd huisarts per fiets (min)"); numbers are stored as numbers, so Excel shows
them with the decimal comma of the reader's locale; machine codes become Dutch words
(:mod:`bereikbaar._nl`). Every text is stored as a text cell, never as a formula, so a
value such as ``=HYPERLINK(...)`` from an OSM tag stays harmless text.

The values are the result's tables, the same rows as the GeoPackage layers, without the
geometry (x/y in RD New are added for points, so a row can be found on a map).
"""

from __future__ import annotations

import logging
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bereikbaar._crs import RD_NEW, crs_name, same_crs
from bereikbaar._files import atomic_path
from bereikbaar._nl import AVAILABILITY_NL, mode_nl, service_nl, yes_no_nl

log = logging.getLogger(__name__)

__all__ = ["SHEETS", "Column", "Sheet", "sheet_tables", "write_workbook"]

#: Sheet names in workbook order (only those with a result are written).
SHEETS = ("Dorpen", "ov", "Witte vlekken", "Voorstellen AED", "Verplaatsen AED", "AED's")


@dataclass(frozen=True)
class Column:
    """One workbook column: the result column it comes from, its Dutch header, the kind
    of value (``"num"``, ``"int"``, ``"text"``, ``"bool"`` shown as ja/nee) and Excel's
    display format for numbers (the stored value is the result's, unrounded)."""

    source: str
    header: str
    kind: str = "num"
    fmt: str = "#,##0"
    convert: Callable[[Any], Any] | None = None


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_value(value: Any, kind: str) -> Any:
    """The value as it goes into a cell: a float/int for numbers, ``ja``/``nee`` for
    booleans, a str for text, None when missing."""
    if kind == "bool":
        return None if _is_missing(value) else yes_no_nl(value)
    if _is_missing(value):
        return None
    if kind == "num":
        return float(value)
    if kind == "int":
        return int(round(float(value)))
    return str(value)


# ------------------------------------------------------------------------ sheet tables
def _points_xy(gdf) -> dict[str, np.ndarray]:
    geom = getattr(gdf, "geometry", None)
    if geom is None or len(gdf) == 0:
        return {"x_rd": np.array([]), "y_rd": np.array([])}
    pts = geom.representative_point()
    return {"x_rd": pts.x.to_numpy().round(1), "y_rd": pts.y.to_numpy().round(1)}


@dataclass(frozen=True)
class Sheet:
    """One sheet: Dutch headers, rows of cell values and the number format per column."""

    headers: list[str]
    rows: list[list[Any]]
    formats: list[str]


def _frame(table, columns: Sequence[Column]) -> Sheet:
    """The sheet of ``columns`` of ``table`` (columns the table lacks are left out)."""
    cols = [c for c in columns if c.source in table.columns]
    rows = []
    for rec in table[[c.source for c in cols]].itertuples(index=False, name=None):
        row = []
        for c, v in zip(cols, rec, strict=True):
            row.append(cell_value(c.convert(v) if c.convert else v, c.kind))
        rows.append(row)
    crs = table.attrs.get("crs")  # x/y outside the Netherlands: name the working CRS, not RD
    rd = crs is None or same_crs(crs, RD_NEW)
    headers = [
        c.header if rd else c.header.replace("(RD, m)", f"({crs_name(crs)}, m)") for c in cols
    ]
    return Sheet(headers, rows, [c.fmt for c in cols])


def _with_xy(table) -> pd.DataFrame:
    frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    frame = frame.assign(**_points_xy(table)) if len(table) else frame.assign(x_rd=[], y_rd=[])
    frame.attrs["crs"] = getattr(table, "crs", None)
    return frame


_XY = (Column("x_rd", "X (RD, m)", fmt="0"), Column("y_rd", "Y (RD, m)", fmt="0"))


def _village_columns(dorpshub) -> list[Column]:
    cols = [
        Column("gemeente", "Gemeente", "text"),
        Column("village_id", "Dorp-id", "text"),
        Column("village", "Dorp", "text"),
        Column("place_nl", "Soort plaats", "text"),
        Column("residents", "Inwoners"),
        Column("residents_65_plus", "Inwoners 65+"),
        Column("rank_gemeente", "Rang in gemeente (1 = slechtst)", "int"),
        Column("n_failed_norms", "Aantal normen niet gehaald", "int"),
        Column("failed_norms", "Normen niet gehaald", "text"),
    ]
    norm_keys = {n.key: n for n in dorpshub.norms}
    for mode in dorpshub.profiles:
        for service in dorpshub.service_kinds:
            key = f"{service}_{mode}"
            header = f"Reistijd {service_nl(service)} {mode_nl(mode)} (min)"
            cols.append(Column(f"minutes_{key}", header, fmt="0.0"))
            if key in norm_keys:
                norm = norm_keys[key]
                cols.append(Column(norm.within_column, f"Norm gehaald: {norm.label_nl}", "bool"))
                header = f"Aandeel inwoners binnen norm {norm.label_nl} (%)"
                cols.append(Column(norm.share_column, header, fmt="0%"))
    return [*cols, *_XY]


def _villages_frame(dorpshub) -> pd.DataFrame:
    """The villages table plus every (service, mode) minutes column of the long table."""
    villages = _with_xy(dorpshub.villages)
    wide = dorpshub.table.pivot_table(
        index="village_id", columns=["service", "mode"], values="minutes", aggfunc="first"
    )
    wide.columns = [f"minutes_{s}_{m}" for s, m in wide.columns]
    extra = [c for c in wide.columns if c not in villages.columns]
    out = villages.join(wide[extra], on="village_id")
    out.attrs["crs"] = villages.attrs.get("crs")
    return out


_SPOT_COLUMNS = [
    Column("moment_nl", "Moment", "text"),
    Column("rank", "Rang", "int"),
    Column("spot_id", "Witte-vlek-id", "text"),
    Column("residents", "Inwoners"),
    Column("residents_65_plus", "Inwoners 65+"),
    Column("area_km2", "Oppervlakte (km²)", fmt="0.00"),
    Column("n_cells", "Aantal rastercellen", "int"),
    Column("nearest_village", "Dichtstbijzijnde plaats", "text"),
    Column("distance_nearest_available_aed_m", "Afstand tot dichtstbijzijnde beschikbare AED (m)"),
    Column("median_distance_available_aed_m", "Mediane afstand tot beschikbare AED (m)"),
    Column("dist_nearest_24_7_aed_m", "Afstand tot dichtstbijzijnde 24/7-AED (m)"),
    *_XY,
]
_PROPOSAL_COLUMNS = [
    Column("rank", "Rang", "int"),
    Column("name", "Locatie", "text"),
    Column("kind", "Soort locatie", "text", convert=service_nl),
    Column("address", "Adres", "text"),
    Column("near", "Bij plaats", "text"),
    Column("gain_residents", "Extra inwoners binnen bereik"),
    Column("gain_residents_65_plus", "Extra inwoners 65+ binnen bereik"),
    Column("cumulative_residents", "Extra inwoners binnen bereik, cumulatief"),
    *_XY,
]
_RELOCATION_COLUMNS = [
    Column("rank", "Rang", "int"),
    Column("aed_id", "AED-id", "text"),
    Column("name", "Naam", "text"),
    Column("address", "Adres", "text"),
    Column("near", "Bij plaats", "text"),
    Column("current_availability", "Beschikbaar nu", "text"),
    Column("to", "Voorstel", "text"),
    Column("gain_residents", "Extra inwoners binnen bereik"),
    Column("cumulative_residents", "Extra inwoners binnen bereik, cumulatief"),
    *_XY,
]


def _aed_columns(hartveilig) -> list[Column]:
    cols = [
        Column("aed_id", "AED-id", "text"),
        Column("name", "Naam", "text"),
        Column("street", "Adres", "text"),
        Column("postcode", "Postcode", "text"),
        Column("place", "Plaats", "text"),
        Column("availability", "Beschikbaarheid (openingstijden)", "text"),
        Column("availability_status_nl", "Status beschikbaarheid", "text"),
        Column("indoor", "Binnen opgehangen", "bool"),
        Column("location_quality_nl", "Plaatsbepaling", "text"),
        Column("provenance", "Herkomst", "text"),
        Column("in_gemeente", "In de gemeente", "bool"),
        Column("counts", "Telt mee voor dekking", "bool"),
    ]
    for m in hartveilig.moments:
        cols.append(Column(f"open_{m.name}", f"Beschikbaar {m.label or m.name}", "bool"))
    return [*cols, *_XY]


_LOCATION_NL = {"exact": "exact adres of coördinaten", "postcode": "alleen postcode"}


def _aeds_frame(hartveilig) -> pd.DataFrame:
    aeds = _with_xy(hartveilig.aeds)
    if "availability_status" in aeds:
        status = aeds["availability_status"].astype(object)
        aeds["availability_status_nl"] = [AVAILABILITY_NL.get(s, s) for s in status]
    if "location_quality" in aeds:
        aeds["location_quality_nl"] = [
            _LOCATION_NL.get(q, q) for q in aeds["location_quality"].astype(object)
        ]
    return aeds


def _spots_frame(hartveilig) -> pd.DataFrame:
    spots = _with_xy(hartveilig.white_spots)
    labels = {m.name: m.label or m.name for m in hartveilig.moments}
    if "moment" in spots:
        spots["moment_nl"] = [labels.get(m, m) for m in spots["moment"]]
    return spots


_OV_BY_NL = {"transit": "ov", "walk": "lopen", "none": "geen van beide"}
_OV_COLUMNS = [
    Column("gemeente", "Gemeente", "text"),
    Column("village_id", "Dorp-id", "text"),
    Column("village", "Dorp", "text"),
    Column("service", "Voorziening", "text", convert=service_nl),
    Column("window_label", "Tijdvak", "text"),
    Column("transit_p05_min", "Ov p5, als je goed plant (min)", fmt="0.0"),
    Column("transit_p50_min", "Ov p50, als je zomaar vertrekt (min)", fmt="0.0"),
    Column("transit_p95_min", "Ov p95, bijna altijd (min)", fmt="0.0"),
    Column("no_trip", "Geen ov-rit in dit tijdvak", "bool"),
    Column("transit_share", "Aandeel vertrekminuten met een ov-rit (%)", fmt="0%"),
    Column("walk_min", "Helemaal lopen (min)", fmt="0.0"),
    Column("ov_p05_min", "Ov of lopen p5 (min)", fmt="0.0"),
    Column("ov_p50_min", "Ov of lopen p50 (min)", fmt="0.0"),
    Column("ov_p95_min", "Ov of lopen p95 (min)", fmt="0.0"),
    Column("ov_by", "Sneller met (mediaan)", "text", convert=lambda v: _OV_BY_NL.get(v, v)),
]


def _ov_frame(ov) -> pd.DataFrame:
    """``result.ov.table`` with a window label for every row (the window's name where the
    table lacks one)."""
    table = pd.DataFrame(ov.table)
    labels = {w.name: w.label or w.name for w in ov.windows}
    if "window_label" not in table:
        table["window_label"] = table["window"].map(labels)
    table["window_label"] = table["window_label"].fillna(table["window"].map(labels))
    return table


def sheet_tables(*, hartveilig=None, dorpshub=None) -> dict[str, Sheet]:
    """Per sheet name its :class:`Sheet`, in :data:`SHEETS` order."""
    sheets: dict[str, Sheet] = {}
    if dorpshub is not None:
        sheets["Dorpen"] = _frame(_villages_frame(dorpshub), _village_columns(dorpshub))
        if getattr(dorpshub, "ov", None) is not None:
            sheets["ov"] = _frame(_ov_frame(dorpshub.ov), _OV_COLUMNS)
    if hartveilig is not None:
        sheets["Witte vlekken"] = _frame(_spots_frame(hartveilig), _SPOT_COLUMNS)
        sheets["Voorstellen AED"] = _frame(_with_xy(hartveilig.proposals), _PROPOSAL_COLUMNS)
        sheets["Verplaatsen AED"] = _frame(_with_xy(hartveilig.relocations), _RELOCATION_COLUMNS)
        sheets["AED's"] = _frame(_aeds_frame(hartveilig), _aed_columns(hartveilig))
    return sheets


# ------------------------------------------------------------------------------ writer
def _write_sheet(ws, sheet: Sheet) -> None:
    from openpyxl.styles import Alignment, Font

    headers, rows = sheet.headers, sheet.rows
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula (a value may start with "=")
            elif isinstance(value, int | float):
                cell.number_format = sheet.formats[c - 1]
    ws.freeze_panes = "A2"
    if headers:
        ws.auto_filter.ref = ws.dimensions
    for c, header in enumerate(headers, start=1):
        texts = [len(v) for r in rows[:200] if isinstance(v := r[c - 1], str)]
        width = max([min(len(header), 24), 10, *texts])
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = min(width + 2, 50)


_FIXED_TIME = "2000-01-01T00:00:00Z"
_DCTERMS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _make_reproducible(path: Path) -> None:
    """Same tables, same bytes: fixed zip entry times and document dates."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _DCTERMS.sub(rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<2>", data)
            zout.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip


def write_workbook(path: str | Path, *, hartveilig=None, dorpshub=None) -> Path:
    """Write the municipality's tables as an Excel workbook (``tabellen.xlsx``).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (atomically).
    hartveilig, dorpshub
        A :class:`~bereikbaar.hartveilig.HartveiligResult` and/or a
        :class:`~bereikbaar.dorpshub.DorpshubResult`; sheets of a missing result are left
        out.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook

    sheets = sheet_tables(hartveilig=hartveilig, dorpshub=dorpshub)
    wb = Workbook()
    wb.remove(wb.active)
    for name, sheet in sheets.items():
        _write_sheet(wb.create_sheet(name), sheet)
    if not sheets:
        wb.create_sheet("Leeg").append(["Geen resultaten om te tonen."])
    gemeente = (hartveilig or dorpshub).gemeente if (hartveilig or dorpshub) else ""
    wb.properties.title = f"Bereikbaarheid {gemeente}".strip()
    wb.properties.creator = "bereikbaar"
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        _make_reproducible(tmp)
    log.info("wrote %s (%d sheets)", path, len(sheets))
    return path
