"""One JSON encoder with one rounding rule, for every summary and every map payload.

Rule: floats are rounded to :data:`FLOAT_DECIMALS` decimals (shares 0..1 keep four digits,
minutes and metres keep more than they are worth); NaN and infinities become ``null``;
numpy scalars, tuples, sets, paths and ``pd.NA`` become plain JSON values; mapping keys
become strings. Results keep full precision in memory; only what is written is rounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FLOAT_DECIMALS = 4


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON types, with the package's one rounding rule applied."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [jsonable(v) for v in items]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        r = round(obj, FLOAT_DECIMALS)
        return 0.0 if r == 0 else r
    if isinstance(obj, Path):
        return str(obj)
    try:
        import pandas as pd

        if obj is pd.NA or obj is pd.NaT:
            return None
        if isinstance(obj, pd.Timestamp):
            return obj.isoformat()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Sorted, rounded JSON text of ``obj`` (see :func:`jsonable`)."""
    return json.dumps(jsonable(obj), indent=indent, sort_keys=True, ensure_ascii=False)
