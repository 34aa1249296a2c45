from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.assess.geometry import approx_height_m, site_geometry

SITE0 = np.zeros((1, 3))


def geo(pos, vel, core=300.0, alert=1000.0):
    return site_geometry(
        np.asarray([pos], float),
        np.asarray([vel], float),
        SITE0,
        np.array([alert]),
        np.array([core]),
    )


def test_cpa_tcpa_of_a_crossing_track() -> None:
    g = geo([-1000.0, 500.0, 100.0], [10.0, 0.0, 0.0])
    assert g.tcpa_s[0, 0] == pytest.approx(100.0)
    assert g.cpa_m[0, 0] == pytest.approx(500.0)
    assert g.range_m[0, 0] == pytest.approx(np.hypot(1000, 500))
    assert np.isinf(g.time_to_core_s[0, 0])  # passes 500 m away from a 300 m core
    assert g.range_rate_m_s[0, 0] < 0


def test_time_to_core_solves_the_entry_point() -> None:
    g = geo([-1000.0, 500.0, 100.0], [10.0, 0.0, 0.0], core=600.0, alert=2000.0)
    assert g.time_to_core_s[0, 0] == pytest.approx((1000.0 - np.sqrt(600.0**2 - 500.0**2)) / 10.0)
    assert g.inside_alert[0, 0]
    assert not g.inside_core[0, 0]


def test_receding_and_hovering_tracks_have_tcpa_zero() -> None:
    g = geo([2000.0, 0.0, 0.0], [15.0, 0.0, 0.0])
    assert g.tcpa_s[0, 0] == 0.0
    assert g.cpa_m[0, 0] == pytest.approx(2000.0)
    assert np.isinf(g.time_to_core_s[0, 0])
    h = geo([2000.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    assert h.tcpa_s[0, 0] == 0.0
    assert h.cpa_m[0, 0] == pytest.approx(2000.0)


def test_inside_core_has_time_to_core_zero() -> None:
    g = geo([100.0, 100.0, 50.0], [-5.0, 3.0, 0.0])
    assert g.inside_core[0, 0]
    assert g.time_to_core_s[0, 0] == 0.0


def test_vertical_velocity_does_not_change_horizontal_geometry() -> None:
    a = geo([-1000.0, 500.0, 100.0], [10.0, 0.0, 0.0])
    b = geo([-1000.0, 500.0, 100.0], [10.0, 0.0, -30.0])
    assert a.cpa_m[0, 0] == b.cpa_m[0, 0]
    assert a.tcpa_s[0, 0] == b.tcpa_s[0, 0]


def test_height_corrects_tangent_plane_drop() -> None:
    # 100 km out at u = 0 the tangent plane lies ~785 m above the ellipsoid
    h = approx_height_m(np.array([[100_000.0, 0.0, -785.0]]), 0.0)
    assert abs(h[0]) < 2.0


coord = st.floats(-20_000, 20_000)
speed = st.floats(-80, 80)


@settings(max_examples=60, deadline=None)
@given(
    pos=st.lists(st.tuples(coord, coord, st.floats(0, 3000)), min_size=1, max_size=5),
    vel=st.lists(st.tuples(speed, speed, speed), min_size=5, max_size=5),
    sites=st.lists(st.tuples(coord, coord), min_size=1, max_size=4),
)
def test_batched_geometry_equals_one_pair_at_a_time(pos, vel, sites) -> None:
    p = np.array(pos)
    v = np.array(vel[: len(pos)])
    s = np.array([[e, n, 0.0] for e, n in sites])
    alert = np.full(len(sites), 5000.0)
    core = np.full(len(sites), 1500.0)
    g = site_geometry(p, v, s, alert, core)
    for i in range(len(pos)):
        for j in range(len(sites)):
            one = site_geometry(p[i : i + 1], v[i : i + 1], s[j : j + 1], alert[:1], core[:1])
            for name in ("range_m", "cpa_m", "tcpa_s", "time_to_core_s"):
                assert getattr(g, name)[i, j] == pytest.approx(getattr(one, name)[0, 0])
            # CPA never exceeds the present range and TCPA is never negative
            assert g.cpa_m[i, j] <= g.range_m[i, j] + 1e-6
            assert g.tcpa_s[i, j] >= 0.0
