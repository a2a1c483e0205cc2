"""The one exception family of bereikbaar.

Every error the toolkit raises on purpose is a :class:`BereikbaarError`. Each subclass
also inherits the builtin it stands for (``InputError`` is a ``ValueError``), so callers
that already catch builtins keep working, as in r5py and rasterio.

Messages say what is wrong *and* how to fix it, naming the file, row and column where
there is one::

    aed_register.csv row 118, column lat: 6.52 lies outside the study area and looks
    like a longitude; are lat and lon swapped?
"""

from __future__ import annotations

from pathlib import Path


class BereikbaarError(Exception):
    """Root of all errors raised by bereikbaar."""


class ConfigError(BereikbaarError, ValueError):
    """A configuration file or setting is invalid (unknown key, wrong type, bad value)."""


class InputError(BereikbaarError, ValueError):
    """An input file cannot be used as a whole (missing, unreadable, wrong layout).

    Single bad rows are not errors: they go into the rejected-rows table instead.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.row = row
        self.column = column
        self.hint = hint
        where = []
        if path is not None:
            where.append(Path(path).name)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        text = f"{', '.join(where)}: {message}" if where else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class MissingInputError(InputError, FileNotFoundError):
    """A required input file does not exist."""


class CrsError(BereikbaarError, ValueError):
    """Data has no CRS, or two inputs disagree on their CRS."""


class NoCrsError(CrsError):
    """A GeoDataFrame or graph carries no CRS at all."""


class UnknownAreaError(BereikbaarError, KeyError):
    """A municipality or province name/code is not in the boundaries layer."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class OpeningHoursError(BereikbaarError, ValueError):
    """An opening-hours text cannot be parsed."""


class NetworkError(BereikbaarError, RuntimeError):
    """A road network cannot be built or used (empty, disconnected, missing profile)."""


class RoutingError(BereikbaarError, ValueError):
    """A routing request is invalid (unknown profile, points in another CRS, ...)."""


class SitingError(BereikbaarError, ValueError):
    """A siting problem is malformed (shapes disagree, negative weights) or has no solution."""


class DownloadError(BereikbaarError, OSError):
    """An explicit download (Geofabrik, PDOK, Overpass) failed."""


class OutputError(BereikbaarError, OSError):
    """An output cannot be written (disk full, read-only folder) or is incomplete."""


def check_crs(obj, expected: str = "EPSG:28992", *, what: str = "data") -> None:
    """Raise unless ``obj`` (GeoDataFrame/GeoSeries or graph) carries ``expected`` as CRS.

    Parameters
    ----------
    obj
        Anything with a ``.crs`` attribute, or a networkx graph with ``G.graph["crs"]``.
    expected
        The CRS the caller needs, e.g. ``"EPSG:28992"`` (RD New).
    what
        A short description used in the message ("the AED points").
    """
    crs = getattr(obj, "crs", None)
    if crs is None and hasattr(obj, "graph"):
        crs = obj.graph.get("crs")
    if crs is None:
        raise NoCrsError(
            f"{what} carries no CRS; set it first, e.g. gdf.set_crs('EPSG:4326') for "
            f"lat/lon or gdf.set_crs('{expected}') for RD New metres"
        )
    from pyproj import CRS

    if CRS.from_user_input(crs) != CRS.from_user_input(expected):
        raise CrsError(
            f"{what} is in {CRS.from_user_input(crs).to_string()}, expected {expected}; "
            f"convert explicitly with gdf.to_crs('{expected}')"
        )
