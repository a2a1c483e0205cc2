"""Dutch words for the values users see: services, modes, place kinds, methods, days.

One vocabulary for maps, reports, workbooks and summaries, so a popup never says
"hamlet" or "pharmacy (bike, 20 min)" and every output uses the same word. Functions
fall back to the value itself for a name the vocabulary does not know (a region's own
profile or service), never to an error.
"""

from __future__ import annotations

import math
from typing import Any

SERVICES_NL: dict[str, str] = {
    "gp": "huisarts",
    "huisartsenpost": "huisartsenpost",
    "supermarket": "supermarkt",
    "school": "basisschool",
    "pharmacy": "apotheek",
    "station": "treinstation",
    "bus_hub": "bushub",
    "bus_stop": "bushalte",
    "hospital": "ziekenhuis (SEH)",
    "community_centre": "dorpshuis",
    "church": "kerk",
    "sports": "sportvoorziening",
    "aed": "AED",
}

MODES_NL: dict[str, str] = {
    "walk": "lopen",
    "walk_65_plus": "lopen (65+)",
    "bike": "fiets",
    "ebike": "e-bike",
    "car": "auto",
    "drive": "auto",
    "ov": "ov",
    "aed_responder": "burgerhulpverlener",
}

PLACE_KINDS_NL: dict[str, str] = {
    "city": "stad",
    "town": "kleine stad",
    "village": "dorp",
    "hamlet": "buurtschap",
    "isolated_dwelling": "losse bebouwing",
    "suburb": "wijk",
    "neighbourhood": "buurt",
}

HUB_METHODS_NL: dict[str, str] = {
    "p_median": "kortste gemiddelde reistijd (p-mediaan)",
    "max_coverage": "meeste inwoners binnen bereik (maximale dekking)",
    "ov_reach": "meeste inwoners met fiets en ov bij sleutelvoorzieningen (ov-bereik)",
}

DAYS_NL: dict[str, str] = {
    "Mo": "maandag",
    "Tu": "dinsdag",
    "We": "woensdag",
    "Th": "donderdag",
    "Fr": "vrijdag",
    "Sa": "zaterdag",
    "Su": "zondag",
}

AVAILABILITY_NL: dict[str, str] = {
    "24/7": "altijd beschikbaar (24/7)",
    "limited": "beperkte openingstijden",
    "unknown": "openingstijden onbekend",
}


def service_nl(service: str) -> str:
    """The Dutch word for a service kind (``"pharmacy"`` → ``"apotheek"``)."""
    return SERVICES_NL.get(service, service)


def mode_nl(mode: str) -> str:
    """The Dutch word for a travel profile (``"bike"`` → ``"fiets"``)."""
    return MODES_NL.get(mode, mode)


def place_kind_nl(kind: str) -> str:
    """The Dutch word for an OSM ``place=*`` kind (``"hamlet"`` → ``"buurtschap"``)."""
    return PLACE_KINDS_NL.get(kind, kind)


def yes_no_nl(value: Any) -> str:
    """``ja`` / ``nee`` / ``onbekend``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "onbekend"
    try:
        return "ja" if bool(value) else "nee"
    except (TypeError, ValueError):  # pd.NA
        return "onbekend"


def int_nl(value: Any) -> str:
    """A whole number with Dutch thousands separators (``37.166``); ``–`` when unknown."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    return format(round(x), ",d").replace(",", ".")


def num_nl(value: Any, decimals: int = 1) -> str:
    """A number with a decimal comma and Dutch thousands separators (``1.234,5``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    text = format(x, f",.{decimals}f")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def pct_nl(share: Any, decimals: int = 0) -> str:
    """A share 0..1 as a Dutch percentage (``0.583`` → ``58%``)."""
    try:
        x = float(share)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    return f"{num_nl(100 * x, decimals)}%"
