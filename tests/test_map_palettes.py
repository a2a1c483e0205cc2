"""The maps' legend classes stay distinguishable for colour-blind readers.

Each palette's colours are passed through the Machado et al. (2009) simulation of
deuteranopia and protanopia at full severity (``colorspacious``), converted to CIELAB, and
every pair must differ by CIEDE2000 ΔE ≥ 10 — about five times the just-noticeable
difference (ΔE00 ≈ 2) — so neighbouring classes read as different on a printed or
projected map too. CIEDE2000 is implemented here from Sharma, Wu & Dalal (2005) and checked
against their published test pairs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bereikbaar.maps import _common as c

colorspacious = pytest.importorskip("colorspacious")

MIN_DELTA_E = 10.0
PALETTES = {
    "binnen / niet binnen bereik": (c.COVERED_COLOR, c.NOT_COVERED_COLOR),
    "deel van de week": c.SHARE_COLORS,
    "norm gehaald / niet / onbekend": (c.NORM_MET_COLOR, c.NORM_FAILED_COLOR, c.UNKNOWN_COLOR),
    "aantal gemiste normen": c.FAILED_COUNT_COLORS,
}


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1)."""
    L1, a1, b1 = (float(v) for v in lab1)
    L2, a2, b2 = (float(v) for v in lab2)
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, cp_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + (360 if h1p + h2p < 360 else -360)) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_bar**7 / (cp_bar**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    dl, dc, dhh = (L2 - L1) / s_l, (c2p - c1p) / s_c, d_hp / s_h
    return math.sqrt(dl**2 + dc**2 + dhh**2 + r_t * dc * dhh)


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), table 1, pairs 1, 7, 17, 25 and 34
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ],
)
def test_ciede2000_matches_published_pairs(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def _lab(hex_color: str, cvd: str | None) -> np.ndarray:
    rgb = np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    if cvd:
        space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CIELab")


@pytest.mark.parametrize("cvd", [None, "deuteranomaly", "protanomaly"])
@pytest.mark.parametrize("name", list(PALETTES))
def test_every_pair_of_legend_classes_stays_distinguishable(name, cvd):
    colors = PALETTES[name]
    labs = [_lab(h, cvd) for h in colors]
    worst = min(
        ((ciede2000(labs[i], labs[j]), colors[i], colors[j]))
        for i, j in itertools.combinations(range(len(colors)), 2)
    )
    assert worst[0] >= MIN_DELTA_E, (
        f"{name} under {cvd}: {worst[1]} vs {worst[2]} ΔE00 {worst[0]:.1f}"
    )


def test_the_page_uses_these_palettes():
    pal = c.palette()
    assert pal["share_colors"] == list(c.SHARE_COLORS)
    assert pal["failed_count"] == list(c.FAILED_COUNT_COLORS)
    assert (pal["covered"], pal["not_covered"]) == (c.COVERED_COLOR, c.NOT_COVERED_COLOR)
