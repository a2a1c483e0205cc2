"""Points in the middle of a street longer than the search's reach (found on the Andorra
extract: an AED and a cell on a 2 km mountain road, no node within the cutoff)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bereikbaar.config import TravelProfile
from bereikbaar.network import network_from_arrays
from bereikbaar.routing import snap_points, travel_times_within

WALK = TravelProfile("walk", "walk", speed_kmh=3.6)  # 1 m/s: seconds equal metres


def _pts(*xy):
    return gpd.GeoSeries([shapely.Point(x, y) for x, y in xy], crs="EPSG:28992")


@pytest.mark.parametrize("direction", ["forward", "reverse", "auto"])
def test_two_points_mid_way_along_a_long_street_reach_each_other(direction):
    # one 2,000 m street, a short side street at its west end; both points 900-1,100 m
    # from every node, 150 m apart on the same street; the cutoff (300 s) reaches no node
    net = network_from_arrays(
        [(0, 0), (2000, 0), (0, 100)], [(0, 1), (0, 2)], mode="walk", length_m=[2000.0, 100.0]
    )
    a = snap_points(net, _pts((900, 0)))
    b = snap_points(net, _pts((1050, 0), (1900, 0)))
    got = travel_times_within(net, a, b, profile=WALK, cutoff_s=300.0, direction=direction)
    assert got["destination"].tolist() == [0]
    np.testing.assert_allclose(got["time_s"].to_numpy(), [150.0])
