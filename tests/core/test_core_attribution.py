"""Emitter attribution: an RF bearing is the link of the Remote ID drone heard at its azimuth."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.attribution import attribute_bearings
from dronewall.core.measurements import DetectionBatch, MeasurementKind

T0 = 1_700_000_000.0
S_RF = np.array([0.0, 0.0, 10.0])
SD_AZ = np.radians(2.0)
X_A, X_B = (1 << 40) + 7, (1 << 40) + 9  # two Remote IDs


def _bearings(az_deg: list[float], *, t: float = T0, sensor: int = 1,
              pos: np.ndarray = S_RF) -> DetectionBatch:  # fmt: skip
    k = len(az_deg)
    R = np.zeros((k, 3, 3))
    R[:, 0, 0] = SD_AZ**2
    z = np.column_stack([np.radians(az_deg), np.full(k, np.nan), np.full(k, np.nan)])
    return DetectionBatch.build(
        t=np.full(k, t), sensor=sensor, kind=MeasurementKind.BEARING, z=z, R=R, sensor_pos=pos
    )


def _beacons(az_deg: list[float], idents: list[int], *, rng_m: float = 1500.0, t: float = T0,
             sensor: int = 1) -> DetectionBatch:  # fmt: skip
    a = np.radians(az_deg)
    z = np.column_stack([rng_m * np.sin(a), rng_m * np.cos(a), np.full(len(a), 90.0)])
    return DetectionBatch.build(
        t=np.full(len(a), t),
        sensor=sensor,
        kind=MeasurementKind.POSITION,
        z=z,
        R=np.diag([3.0**2, 3.0**2, 5.0**2]),
        sensor_pos=S_RF,
        ident=np.asarray(idents, np.int64),
    )


def test_each_bearing_goes_to_the_beacon_at_its_azimuth() -> None:
    batch = DetectionBatch.concat(
        [_bearings([44.0, 136.5, 270.0]), _beacons([45.0, 135.0], [X_A, X_B])]
    )
    claim = attribute_bearings(batch)
    # the third bearing is nobody's; beacons claim nothing
    assert list(claim) == [X_A, X_B, -1, -1, -1]


def test_one_beacon_claims_one_bearing_the_nearer() -> None:
    """A non-cooperative drone on the cooperative one's line keeps a bearing of its own."""
    batch = DetectionBatch.concat([_bearings([47.0, 45.5]), _beacons([45.0], [X_A])])
    assert list(attribute_bearings(batch)[:2]) == [-1, X_A]


def test_only_the_same_detector_and_scan_attribute() -> None:
    other_sensor = DetectionBatch.concat([_bearings([45.0], sensor=2), _beacons([45.0], [X_A])])
    later = DetectionBatch.concat([_bearings([45.0], t=T0 + 1.0), _beacons([45.0], [X_A])])
    far_off = DetectionBatch.concat([_bearings([45.0 + 10.0]), _beacons([45.0], [X_A])])  # 5 σ
    for batch in (other_sensor, later, far_off):
        assert np.all(attribute_bearings(batch) == -1)


def test_a_near_beacons_position_error_widens_the_gate() -> None:
    """30 m of Remote ID error at 100 m is 17° of azimuth: the gate takes it into account."""
    near = DetectionBatch.build(
        t=np.array([T0]),
        sensor=1,
        kind=MeasurementKind.POSITION,
        z=np.array([[0.0, 100.0, 50.0]]),
        R=np.diag([30.0**2, 30.0**2, 10.0**2]),
        sensor_pos=S_RF,
        ident=np.array([X_A]),
    )
    assert attribute_bearings(DetectionBatch.concat([_bearings([20.0]), near]))[0] == X_A
    far = DetectionBatch.concat([_bearings([20.0]), _beacons([0.0], [X_A])])
    assert attribute_bearings(far)[0] == -1


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(5))))
def test_attribution_does_not_depend_on_row_order(order: list[int]) -> None:
    batch = DetectionBatch.concat(
        [_bearings([44.0, 46.0, 136.0]), _beacons([45.0, 135.0], [X_A, X_B])]
    )
    base = attribute_bearings(batch)
    idx = np.asarray(order)
    assert np.array_equal(attribute_bearings(batch.select(idx)), base[idx])
