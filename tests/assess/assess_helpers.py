"""Builders shared by the assess tests: track tables, sites and a frame at Kleine-Brogel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import Site

F64 = NDArray[np.float64]

SITE = Site(
    id="kb",
    name="Kleine-Brogel",
    kind="air-base",
    country="BE",
    lat_deg=51.1683,
    lon_deg=5.47,
    value=80.0,
    alert_radius_m=5000.0,
    core_radius_m=1500.0,
)
FRAME = LocalFrame(SITE.lat_deg, SITE.lon_deg, 0.0)


def make_tracks(
    t: float,
    x: Sequence[Sequence[float]],
    *,
    rcs: Sequence[float] | None = None,
    ident: Sequence[int] | None = None,
    confirmed: Sequence[bool] | None = None,
    track_id: Sequence[int] | None = None,
    pos_var: float = 25.0,
    vel_var: float = 1.0,
    t_first: float = 0.0,
) -> TrackTable:
    xa = np.asarray(x, dtype=np.float64).reshape(-1, 6)
    n = xa.shape[0]
    status = np.full(n, int(TrackStatus.CONFIRMED), np.int8)
    if confirmed is not None:
        status = np.where(np.asarray(confirmed), status, int(TrackStatus.TENTATIVE)).astype(np.int8)
    diag = [pos_var] * 3 + [vel_var] * 3
    return TrackTable(
        t=t,
        track_id=np.arange(n, dtype=np.int64)
        if track_id is None
        else np.asarray(track_id, np.int64),
        status=status,
        x=xa,
        P=np.tile(np.diag(diag), (n, 1, 1)),
        t_first=np.full(n, t_first),
        t_update=np.full(n, t),
        hits=np.full(n, 10, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64) if ident is None else np.asarray(ident, np.int64),
        rcs_dbsm=np.full(n, np.nan) if rcs is None else np.asarray(rcs, np.float64),
        sensors=np.zeros(n, np.int64),
        truth=np.full(n, -1, np.int32),
    )


def rf_bearing(
    t: float,
    target_enu: Sequence[float],
    sensor_enu: Sequence[float],
    protocol: int,
    offset_deg: float = 0.0,
) -> DetectionBatch:
    """An RF bearing from ``sensor_enu`` towards ``target_enu`` (azimuth only)."""
    d = np.asarray(target_enu, float) - np.asarray(sensor_enu, float)
    az = np.arctan2(d[0], d[1]) + np.radians(offset_deg)
    return DetectionBatch.build(
        t=np.array([t]),
        sensor=7,
        kind=MeasurementKind.BEARING,
        z=np.array([[az, np.nan, np.nan]]),
        R=np.diag([np.radians(1.0) ** 2, 0.0, 0.0]),
        sensor_pos=np.asarray(sensor_enu, float),
        protocol=np.array([protocol], np.int16),
    )


def sighting(
    t_seen: float, t_received: float, enu: Sequence[float], sigma_m: float = 300.0
) -> DetectionBatch:
    return DetectionBatch.build(
        t=np.array([t_seen]),
        sensor=9,
        kind=MeasurementKind.SIGHTING,
        z=np.asarray(enu, float).reshape(1, 3),
        R=np.diag([sigma_m**2, sigma_m**2, (sigma_m * 2) ** 2]),
        sensor_pos=np.zeros(3),
        t_received=np.array([t_received]),
    )
