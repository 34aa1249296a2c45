"""Geodetic round trips and known values of the local ENU frame."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dronewall.geo import LocalFrame, ecef_to_lla, lla_to_ecef

lat = st.floats(min_value=-89.0, max_value=89.0)
lon = st.floats(min_value=-179.9, max_value=179.9)
h = st.floats(min_value=-500.0, max_value=20_000.0)


def test_ecef_of_known_point() -> None:
    # On the equator at the prime meridian, ECEF x is the WGS84 semi-major axis.
    x, y, z = lla_to_ecef([0.0, 0.0, 0.0])
    assert x == pytest.approx(6_378_137.0, abs=1e-3)
    assert y == pytest.approx(0.0, abs=1e-6)
    assert z == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(lat, lon, h), min_size=1, max_size=20))
def test_lla_ecef_round_trip(points: list[tuple[float, float, float]]) -> None:
    lla = np.array(points)
    back = ecef_to_lla(lla_to_ecef(lla))
    np.testing.assert_allclose(back[:, 0], lla[:, 0], atol=1e-9)
    np.testing.assert_allclose(back[:, 2], lla[:, 2], atol=1e-4)
    dlon = (back[:, 1] - lla[:, 1] + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(dlon, 0.0, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    lat,
    lon,
    arrays(np.float64, (8, 3), elements=st.floats(-50_000.0, 50_000.0)),
)
def test_enu_round_trip(lat0: float, lon0: float, enu: np.ndarray) -> None:
    frame = LocalFrame(lat0, lon0, 100.0)
    back = frame.lla_to_enu(frame.enu_to_lla(enu))
    # pyproj's iterative geodetic inverse is good to ~1e-5 m; 0.1 mm is far below any sensor.
    np.testing.assert_allclose(back, enu, atol=1e-4)


def test_enu_axes_point_east_north_up() -> None:
    frame = LocalFrame(51.1683, 5.47, 50.0)
    north = frame.lla_to_enu([51.1683 + 0.01, 5.47, 50.0])
    east = frame.lla_to_enu([51.1683, 5.47 + 0.01, 50.0])
    up = frame.lla_to_enu([51.1683, 5.47, 1050.0])
    # 0.01 degree of latitude is about 1.11 km; of longitude at 51 N about 0.70 km.
    assert north[1] == pytest.approx(1113.0, rel=5e-3)
    assert abs(north[0]) < 1e-6
    assert east[0] == pytest.approx(699.0, rel=5e-3)
    assert up[2] == pytest.approx(1000.0, abs=1e-3)


def test_rotation_is_orthonormal() -> None:
    r = LocalFrame(50.5, 4.4).rotation
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [[1.0, 2.0], [[1.0, 2.0, 3.0, 4.0]]])
def test_bad_shapes_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="expected shape"):
        lla_to_ecef(bad)


def test_bad_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="latitude"):
        LocalFrame(95.0, 4.0)
