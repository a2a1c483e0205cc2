"""Words of the inputs, in one place: indoor/outdoor, active/inactive, OSM lifecycle prefixes.

Registers write Dutch (``binnen``/``buiten``, ``actief``/``inactief``), OSM writes English
(``indoor=yes``); both readers use the functions here so a word means the same in both.
"""

from __future__ import annotations

import pandas as pd

#: OSM lifecycle prefixes (``disused:emergency=defibrillator``): the object is not in use.
LIFECYCLE_PREFIXES = ("disused", "removed", "was", "demolished", "abandoned", "razed", "destroyed")

#: ``indoor`` values: Dutch and English words, OSM's yes/no, spreadsheet booleans.
INDOOR_VALUES: dict[str, bool] = {
    "binnen": True,
    "indoor": True,
    "inside": True,
    "yes": True,
    "ja": True,
    "true": True,
    "1": True,
    "buiten": False,
    "outdoor": False,
    "outside": False,
    "no": False,
    "nee": False,
    "false": False,
    "0": False,
}

#: Values of a register's ``active`` column (``[inputs.aed_register.columns] active = ...``):
#: True = in use, False = not to be counted (inactive, removed, out of service).
ACTIVE_VALUES: dict[str, bool] = {
    "actief": True,
    "active": True,
    "in gebruik": True,
    "operationeel": True,
    "ja": True,
    "yes": True,
    "true": True,
    "1": True,
    "inactief": False,
    "inactive": False,
    "niet actief": False,
    "buiten gebruik": False,
    "buiten dienst": False,
    "verwijderd": False,
    "opgeheven": False,
    "removed": False,
    "defect": False,
    "nee": False,
    "no": False,
    "false": False,
    "0": False,
}


def parse_indoor(value: object) -> bool | None | type(pd.NA):
    """True (indoor), False (outdoor), ``pd.NA`` when empty, None when not understood."""
    return _parse(value, INDOOR_VALUES)


def parse_active(value: object) -> bool | None | type(pd.NA):
    """True (in use), False (inactive/removed), ``pd.NA`` when empty, None when not understood."""
    return _parse(value, ACTIVE_VALUES)


def _parse(value: object, words: dict[str, bool]):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return pd.NA
    text = " ".join(str(value).strip().lower().split())
    if not text:
        return pd.NA
    return words.get(text)
