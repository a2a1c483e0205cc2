"""The working coordinate reference systems, named once.

Everything inside the package computes in one metric CRS. For the Netherlands that is
RD New (EPSG:28992, metres); lat/lon (EPSG:4326) appears only where coordinates are read
and where web maps draw.
"""

from __future__ import annotations

RD_NEW = "EPSG:28992"
"""Amersfoort / RD New: the Dutch national grid, metres."""

WGS84 = "EPSG:4326"
"""Longitude/latitude in degrees (GPS, OSM, Leaflet)."""
