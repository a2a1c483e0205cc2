"""The council-ready PDF report per municipality (``maps/<slug>/rapport.pdf``, A4, Dutch).

Pages, in order (a page is left out when its result is not given):

1. *Samenvatting*: the municipality, what "binnen bereik" means, the key numbers per
   moment and the share of the week, and two static maps of coverage (day and night)
   with legend, scale bar and place names.
2. *AED-dekking door de week*: the 24×7 chart of the share of residents covered per
   hour, the largest white spots, the proposed new AED sites and the relocations.
3. *Dorpshub*: the villages with the norms they fail (as many pages as needed).
4. *Aannames en bronnen* in plain Dutch.

Colours are those of the interactive maps: *binnen bereik* / *niet binnen bereik* are
the two ends of ColorBrewer RdYlBu (colour-blind safe), the share of the week uses
cividis. Built with matplotlib's PDF backend only: no network, no system packages.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bereikbaar._files import atomic_path
from bereikbaar._nl import DAYS_NL, int_nl, mode_nl, num_nl, pct_nl, service_nl
from bereikbaar.maps._common import COVERED_COLOR, NOT_COVERED_COLOR

log = logging.getLogger(__name__)

__all__ = [
    "COVERED_COLOR",
    "LEGEND_COVERED",
    "LEGEND_NOT_COVERED",
    "NOT_COVERED_COLOR",
    "write_pdf_report",
]

SHARE_CMAP = "cividis"
LEGEND_COVERED = "Binnen bereik"
LEGEND_NOT_COVERED = "Niet binnen bereik"
A4_IN = (8.27, 11.69)
_INK = "#222222"
_MUTED = "#555555"
_ROWS_PER_PAGE = 34


# ------------------------------------------------------------------------ small helpers
def _figure(title: str, gemeente: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4_IN)
    fig.text(0.07, 0.955, title, fontsize=17, weight="bold", color=_INK)
    fig.text(0.07, 0.935, gemeente, fontsize=11, color=_MUTED)
    return fig


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) if text else ""


def _clip(text: str, n_chars: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n_chars else text[: max(n_chars - 1, 1)].rstrip() + "…"


def _table(fig, rect, headers, rows, *, widths, right=(), title="", note="", fontsize=7.5,
           min_lines=12):  # fmt: skip
    """Draw a simple table in ``rect`` (figure fraction x, y, w, h); rows are strings,
    clipped with "…" to what fits their column."""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    n = max(len(rows), 1) + 1
    line = 1.0 / max(n, min_lines)
    if title:
        ax.text(0, 1 + 0.6 * line, title, fontsize=11, weight="bold", color=_INK, va="bottom")
    edges = np.concatenate([[0.0], np.cumsum(widths)]) / sum(widths)
    width_pt = rect[2] * A4_IN[0] * 72
    capacity = [int(w * width_pt / (0.58 * fontsize)) for w in np.diff(edges)]
    for r, row in enumerate([headers, *rows]):
        y = 1 - (r + 0.5) * line
        if r % 2 == 0 and r > 0:
            ax.axhspan(y - line / 2, y + line / 2, color="#f0f0f0", lw=0)
        for c, text in enumerate(row):
            at_right = c in right
            x = edges[c + 1] - 0.01 if at_right else edges[c] + 0.005
            ax.text(x, y, _clip(text, capacity[c]), fontsize=fontsize, va="center",
                    ha="right" if at_right else "left", weight="bold" if r == 0 else "normal",
                    color=_INK)  # fmt: skip
    ax.axhline(1 - line, color=_INK, lw=0.6)
    if not rows:
        ax.text(0.005, 1 - 1.5 * line, "geen", fontsize=8, va="center", color=_MUTED)
    if note:
        ax.text(0, 1 - (n + 0.4) * line, note, fontsize=7, color=_MUTED, va="top")
    return ax


def _night_moment(moments):
    return next((m for m in moments if m.name == "night"), moments[-1])


# ----------------------------------------------------------------------------- the map
def _coverage_raster(hv, moment):
    """RGBA image of the populated cells (covered / not covered) and its extent (m)."""
    from matplotlib.colors import to_rgba

    cells = hv.cells[hv.cells["residents"] > 0]
    if cells.empty:
        return None, None
    size = float(hv.cell_size_m)
    x, y = cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()
    x0, y0 = x.min() - size / 2, y.min() - size / 2
    ix = np.floor((x - x0) / size).astype(int)
    iy = np.floor((y - y0) / size).astype(int)
    img = np.zeros((iy.max() + 1, ix.max() + 1, 4))
    covered = cells[f"covered_{moment.name}"].to_numpy(bool)
    img[iy, ix] = np.where(covered[:, None], to_rgba(COVERED_COLOR), to_rgba(NOT_COVERED_COLOR))
    extent = (x0, x0 + img.shape[1] * size, y0, y0 + img.shape[0] * size)
    return img, extent


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = (x1 - x0) / 4
    length = max(v for v in (500, 1000, 2000, 5000, 10000, 20000) if v <= max(span, 500))
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color=_INK, lw=3, solid_capstyle="butt")
    label = f"{length // 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(bx + length / 2, by + 0.015 * (y1 - y0), label, ha="center", va="bottom",
            fontsize=7, color=_INK)  # fmt: skip


def _place_labels(hv, dh, basemap) -> list[tuple[str, float, float, float]]:
    """(name, x, y, weight) of places to label: the basemap's places, else the villages."""
    places = None if basemap is None else basemap.get("places")
    if places is not None and len(places):
        weight = places["population"] if "population" in places else np.ones(len(places))
        names = places["name"]
    elif dh is not None and len(dh.villages):
        places, weight, names = dh.villages, dh.villages["residents"], dh.villages["village"]
    else:
        return _aed_places(hv)
    pts = places.geometry.representative_point()
    rows = zip(names, pts.x, pts.y, np.asarray(weight, float), strict=True)
    return sorted(rows, key=lambda r: -np.nan_to_num(r[3]))


def _aed_places(hv) -> list[tuple[str, float, float, float]]:
    """Without villages: the place names of the AED addresses in the municipality, at the
    median position of their AEDs, weighted by the number of AEDs."""
    if hv is None or "place" not in hv.aeds or not len(hv.aeds):
        return []
    aeds = hv.aeds[hv.aeds["in_gemeente"].astype(bool)] if "in_gemeente" in hv.aeds else hv.aeds
    frame = aeds.assign(x=aeds.geometry.x, y=aeds.geometry.y).dropna(subset=["place"])
    frame = frame[frame["place"].astype(str).str.strip() != ""]
    grouped = frame.groupby("place").agg(x=("x", "median"), y=("y", "median"), n=("x", "size"))
    rows = [(str(p), float(r.x), float(r.y), float(r.n)) for p, r in grouped.iterrows()]
    return sorted(rows, key=lambda r: (-r[3], r[0]))


def _label_places(ax, labels, *, max_labels: int = 12) -> None:
    x0, x1 = ax.get_xlim()
    min_gap = (x1 - x0) / 9
    shown: list[tuple[float, float]] = []
    for name, x, y, _ in labels:
        if len(shown) >= max_labels:
            break
        if any(math.hypot(x - a, y - b) < min_gap for a, b in shown):
            continue
        shown.append((x, y))
        ax.plot(x, y, "s", ms=2.2, color=_INK)
        ax.annotate(str(name), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7,
                    color=_INK, annotation_clip=True, clip_on=True,
                    bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none",
                          "alpha": 0.75})  # fmt: skip


def _map_height(hv, *, width: float, max_height: float = 0.36) -> float:
    """The figure-fraction height of a map ``width`` wide (aspect of the municipality)."""
    if hv.outline is None or not len(hv.outline):
        return max_height
    x0, y0, x1, y1 = hv.outline.total_bounds
    aspect = (y1 - y0 + 1000) / max(x1 - x0 + 1000, 1.0)
    return min(max_height, width * A4_IN[0] * aspect / A4_IN[1]) + 0.02  # + the title


def _coverage_map(fig, rect, hv, moment, *, labels, basemap) -> None:
    ax = fig.add_axes(rect)
    img, extent = _coverage_raster(hv, moment)
    roads = None if basemap is None else basemap.get("roads")
    if roads is not None and len(roads):
        roads.plot(ax=ax, color="#bbbbbb", lw=0.4, zorder=1)
    if img is not None:
        ax.imshow(img, extent=extent, origin="lower", interpolation="nearest", zorder=2)
    if hv.outline is not None and len(hv.outline):
        hv.outline.boundary.plot(ax=ax, color=_INK, lw=0.8, zorder=3)
        bx0, by0, bx1, by1 = hv.outline.total_bounds
        ax.set_xlim(bx0 - 500, bx1 + 500)
        ax.set_ylim(by0 - 500, by1 + 500)
    aeds = hv.aeds[hv.aeds["counts"].astype(bool) & hv.aeds[f"open_{moment.name}"].astype(bool)]
    ax.plot(aeds.geometry.x, aeds.geometry.y, "o", ms=1.6, mfc=_INK, mec="white", mew=0.3,
            zorder=4)  # fmt: skip
    ax.set_aspect("equal")
    ax.set_anchor("N")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    share = hv.summary["moments"][moment.name]["share_covered"]
    ax.set_title(f"{moment.label or moment.name}: {pct_nl(share)} binnen bereik", fontsize=10)
    _label_places(ax, labels)
    _scale_bar(ax)


def _map_legend(fig, y: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=COVERED_COLOR, label=LEGEND_COVERED),
        Patch(color=NOT_COVERED_COLOR, label=LEGEND_NOT_COVERED),
        Line2D([], [], marker="o", ls="", mfc=_INK, mec="white", ms=4, label="AED beschikbaar"),
        Line2D([], [], marker="s", ls="", color=_INK, ms=3, label="Plaats"),
        Line2D([], [], color=_INK, lw=0.8, label="Gemeentegrens"),
    ]
    fig.legend(handles=handles, loc="center", bbox_to_anchor=(0.5, y), ncol=5, fontsize=8,
               frameon=False, title="Bewoonde cellen van 100 × 100 m", title_fontsize=8)  # fmt: skip


# ------------------------------------------------------------------------------- pages
def _key_rows(hv) -> list[list[str]]:
    rows = []
    spots = hv.summary.get("white_spots", {})
    for m in hv.moments:
        s = hv.summary["moments"][m.name]
        rows.append([
            m.label or m.name,
            int_nl(s["residents_covered"]),
            pct_nl(s["share_covered"]),
            int_nl(spots.get(m.name, {}).get("residents")),
            int_nl(spots.get(m.name, {}).get("count")),
        ])  # fmt: skip
    return rows


def _summary_page(hv, dh, basemap):
    gemeente = (hv or dh).gemeente
    fig = _figure(f"Bereikbaarheid in {gemeente}", f"Gemeente {gemeente} · rapport bereikbaar")
    if hv is None:
        fig.text(0.07, 0.88, "Alleen Dorpshub berekend; zie de volgende pagina's.", fontsize=10)
        return fig
    model = hv.model.description_nl if hv.model is not None else ""
    fig.text(0.07, 0.905, _wrap(model, 105), fontsize=9, color=_INK, va="top")
    s = hv.summary
    a = s["aeds"]
    facts = (
        f"Inwoners: {int_nl(s['residents'])} (65+: {int_nl(s.get('residents_65_plus'))}). "
        f"AED's in de gemeente: {int_nl(a['total'])}, waarvan {int_nl(a['24_7'])} altijd "
        f"beschikbaar (24/7). Gemiddeld over de week is {pct_nl(s['weekly_share_mean'])} "
        f"van de inwoners binnen bereik van een AED."
    )
    fig.text(0.07, 0.86, _wrap(facts, 110), fontsize=9, color=_INK, va="top")
    headers = ["Moment", "Inwoners binnen bereik", "Aandeel", "Inwoners in witte vlekken",
               "Witte vlekken"]  # fmt: skip
    rows = _key_rows(hv)
    _table(fig, (0.07, 0.79 - 0.018 * (len(rows) + 1), 0.86, 0.018 * (len(rows) + 1)), headers,
           rows, widths=[2, 2, 1.2, 2.3, 1.3], right=(1, 2, 3, 4), title="Kerncijfers per moment",
           min_lines=len(rows) + 1)  # fmt: skip
    labels = _place_labels(hv, dh, basemap)
    day, night = hv.moments[0], _night_moment(hv.moments)
    h = _map_height(hv, width=0.45)
    top = 0.79 - 0.018 * (len(rows) + 1) - 0.03
    _coverage_map(fig, (0.04, top - h, 0.45, h), hv, day, labels=labels, basemap=basemap)
    _coverage_map(fig, (0.51, top - h, 0.45, h), hv, night, labels=labels, basemap=basemap)
    _map_legend(fig, top - h - 0.01)
    if hv.hourly_residents_covered is not None:
        _week_chart(fig, (0.1, 0.07, 0.84, 0.15), hv)
    if hv.sources_note:
        fig.text(0.07, 0.015, _wrap("Bronnen: " + hv.sources_note, 150), fontsize=6,
                 color=_MUTED, va="bottom")  # fmt: skip
    return fig


def _week_chart(fig, rect, hv) -> None:
    """Share of residents covered for each of the 168 hours of the week (a step line)."""
    from matplotlib.ticker import PercentFormatter

    ax = fig.add_axes(rect)
    total = float(hv.summary["residents"]) or 1.0
    share = np.asarray(hv.hourly_residents_covered, float) / total
    hours = np.arange(169)
    ax.fill_between(hours, np.append(share, share[-1]), step="post", color=COVERED_COLOR,
                    alpha=0.25, lw=0)  # fmt: skip
    ax.step(hours, np.append(share, share[-1]), where="post", color=COVERED_COLOR, lw=1.2)
    top = min(1.0, math.ceil(max(float(share.max()), 0.05) * 12.5) / 10)
    ax.set_ylim(0, top)
    ax.set_xlim(0, 168)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks(np.arange(7) * 24 + 12, list(DAYS_NL.values()), fontsize=7)
    ax.set_xticks(np.arange(8) * 24, minor=True)
    ax.tick_params(axis="x", which="major", length=0)
    ax.grid(axis="x", which="minor", color="#999999", lw=0.5)
    ax.tick_params(axis="y", labelsize=7)
    for m in hv.moments:
        h = hv.summary["moments"][m.name]["hour_of_week"]
        ax.plot(h + 0.5, share[h], "o", ms=4, color=_INK)
        ax.annotate(m.label or m.name, (h + 0.5, share[h]), xytext=(0, 5),
                    textcoords="offset points", ha="center", fontsize=6.5, color=_INK)  # fmt: skip
    ax.set_title("Aandeel inwoners binnen bereik van een AED, elk uur van de week",
                 fontsize=9, loc="left")  # fmt: skip


def _hartveilig_page(hv, *, max_rows: int = 8):
    fig = _figure("Witte vlekken en voorstellen", f"Gemeente {hv.gemeente}")
    night = _night_moment(hv.moments)
    spots = hv.white_spots[hv.white_spots["moment"] == night.name]
    spots = spots.sort_values("residents", ascending=False).head(max_rows)
    rows = [[str(r.rank), str(r.nearest_village), int_nl(r.residents), int_nl(r.residents_65_plus),
             num_nl(r.area_km2, 2), int_nl(r.distance_nearest_available_aed_m)]
            for r in spots.itertuples()]  # fmt: skip
    headers = ["Rang", "Bij plaats", "Inwoners", "65+", "Opp. (km²)", "Afstand AED (m)"]
    _table(fig, (0.07, 0.66, 0.86, 0.22), headers, rows, widths=[0.7, 3, 1.2, 1, 1.2, 1.8],
           right=(2, 3, 4, 5), title=f"Grootste witte vlekken ({night.label or night.name})")  # fmt: skip
    props = hv.proposals.head(max_rows)
    rows = [[str(r.rank), r.name, service_nl(r.kind), r.address or "–", r.near or "",
             int_nl(r.gain_residents)] for r in props.itertuples()]  # fmt: skip
    headers = ["Rang", "Locatie", "Soort", "Adres", "Bij plaats", "Extra inwoners"]
    _table(fig, (0.07, 0.36, 0.86, 0.22), headers, rows, widths=[0.5, 2.8, 1.3, 2.0, 2.3, 1.3],
           right=(5,), title="Voorstellen: nieuwe AED in een 24/7-buitenkast")  # fmt: skip
    rel = hv.relocations.head(max_rows)
    rows = [[str(r.rank), r.name, r.address or "–", r.near or "", r.current_availability,
             int_nl(r.gain_residents)] for r in rel.itertuples()]  # fmt: skip
    headers = ["Rang", "AED", "Adres", "Bij plaats", "Nu beschikbaar", "Extra inwoners"]
    _table(fig, (0.07, 0.06, 0.86, 0.22), headers, rows, widths=[0.45, 1.9, 1.6, 1.95, 3.7, 1.4],
           fontsize=7,
           right=(5,), title="Verplaatsen: bestaande AED naar een 24/7-buitenkast op dezelfde plek")  # fmt: skip
    return fig


def _norm_short_names(norms) -> dict[str, str]:
    services = [n.service for n in norms]
    return {
        n.key: service_nl(n.service)
        if services.count(n.service) == 1
        else f"{service_nl(n.service)} ({mode_nl(n.profile)})"
        for n in norms
    }


def _village_rows(dh) -> list[list[str]]:
    short = _norm_short_names(dh.norms)
    villages = dh.villages
    failed = {
        n.key: villages[n.within_column].astype("boolean").eq(False).fillna(False).to_numpy(bool)
        for n in dh.norms
    }
    rows = []
    for i, v in enumerate(villages.itertuples()):
        names = [short[n.key] for n in dh.norms if failed[n.key][i]]
        rows.append([str(v.village), str(getattr(v, "place_nl", "")), int_nl(v.residents),
                     int_nl(v.residents_65_plus), str(len(names)),
                     ", ".join(names) or "–"])  # fmt: skip
    return rows


def _dorpshub_pages(dh) -> list:
    rows = _village_rows(dh)
    norms = "; ".join(n.label_nl for n in dh.norms)
    figs = []
    for start in range(0, max(len(rows), 1), _ROWS_PER_PAGE):
        chunk = rows[start : start + _ROWS_PER_PAGE]
        fig = _figure("Dorpshub: dorpen en normen", f"Gemeente {dh.gemeente}")
        fig.text(0.07, 0.91, _wrap("Normen: " + norms, 120), fontsize=8, color=_INK, va="top")
        headers = ["Dorp", "Soort", "Inwoners", "65+", "Aantal", "Normen niet gehaald"]
        part = f" ({start + 1}–{start + len(chunk)} van {len(rows)}, slechtst bereikbaar eerst)"
        height = 0.0215 * (len(chunk) + 1)
        _table(fig, (0.07, 0.82 - height, 0.86, height), headers, chunk, min_lines=len(chunk) + 1,
               widths=[2.6, 1.1, 0.9, 0.6, 0.7, 6.1], right=(2, 3, 4), title="Dorpen" + part,
               fontsize=6.8,
               note="Alle reistijden per voorziening en vervoerswijze: tabellen.xlsx.")  # fmt: skip
        figs.append(fig)
    return figs


def _assumption_blocks(hv, dh) -> list[tuple[str, list[str]]]:
    blocks = []
    for title, result in (("Hartveilig (AED-dekking)", hv), ("Dorpshub (voorzieningen)", dh)):
        if result is not None:
            blocks.append((title, list(result.assumptions)))
    note = (hv or dh).sources_note
    if note:
        blocks.append(("Bronnen", [note]))
    return blocks


def _assumption_pages(hv, dh) -> list:
    """Bulleted assumptions and sources, bold section titles, as many pages as needed."""
    gemeente = (hv or dh).gemeente
    step = 7.5 * 1.4 / 72 / A4_IN[1]  # one line of 7.5 pt text, in figure fraction
    figs = [_figure("Aannames en bronnen", f"Gemeente {gemeente}")]
    y = 0.9
    for title, items in _assumption_blocks(hv, dh):
        first = _wrap(items[0], 118).count("\n") + 1 if items else 0
        if y - (1.6 + first) * step < 0.04:  # keep a title with its first item
            figs.append(_figure("Aannames en bronnen (vervolg)", f"Gemeente {gemeente}"))
            y = 0.9
        figs[-1].text(0.07, y, title, fontsize=9, weight="bold", color=_INK, va="top")
        y -= 1.6 * step
        for item in items:
            text = _wrap(item, 118).replace("\n", "\n   ")
            if y - (text.count("\n") + 1) * step < 0.04:
                figs.append(_figure("Aannames en bronnen (vervolg)", f"Gemeente {gemeente}"))
                y = 0.9
            figs[-1].text(0.07, y, "• " + text, fontsize=7.5, color=_INK, va="top",
                          linespacing=1.4)  # fmt: skip
            y -= (text.count("\n") + 1.4) * step
        y -= step
    return figs


def _pages(hv, dh, basemap) -> list:
    pages = [_summary_page(hv, dh, basemap)]
    if hv is not None:
        pages.append(_hartveilig_page(hv))
    if dh is not None:
        pages.extend(_dorpshub_pages(dh))
    pages.extend(_assumption_pages(hv, dh))
    return pages


def write_pdf_report(
    path: str | Path,
    *,
    hartveilig=None,
    dorpshub=None,
    basemap: Mapping[str, Any] | None = None,
) -> Path:
    """Write the municipality's A4 report in Dutch (``rapport.pdf``), atomically.

    Parameters
    ----------
    path
        The ``.pdf`` file to write.
    hartveilig, dorpshub
        A :class:`~bereikbaar.hartveilig.HartveiligResult` and/or a
        :class:`~bereikbaar.dorpshub.DorpshubResult` of the same municipality; at least
        one.
    basemap
        Optional background for the maps, in the result's CRS: ``"roads"`` (lines) and
        ``"places"`` (points with ``name`` and optionally ``population``). Without it the
        maps label the largest villages of ``dorpshub``.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from bereikbaar.errors import BereikbaarError

    if hartveilig is None and dorpshub is None:
        raise BereikbaarError("write_pdf_report needs a hartveilig or a dorpshub result")
    gemeente = (hartveilig or dorpshub).gemeente
    path = Path(path)
    meta = {"Title": f"Bereikbaarheid {gemeente}", "Creator": "bereikbaar", "CreationDate": None}
    with matplotlib.rc_context({"pdf.fonttype": 3, "font.family": "DejaVu Sans"}):
        pages = _pages(hartveilig, dorpshub, basemap)
        with atomic_path(path) as tmp, PdfPages(tmp, metadata=meta) as pdf:
            for fig in pages:
                pdf.savefig(fig)
    log.info("wrote %s (%d pages)", path, len(pages))
    return path
