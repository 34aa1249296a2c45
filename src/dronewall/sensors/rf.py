"""A passive RF detector / direction finder: hears drone control and video links, reports bearings.

Data layout
-----------
:meth:`RfDetector.observe` returns ``BEARING`` rows: ``z = (azimuth, nan, nan)`` in radians from
the detector (clockwise from north, ``[0, 2π)``; elevation NaN: azimuth only), ``R`` with
``R[0, 0] = σ_az²`` and zeros elsewhere, ``protocol`` the heard link's
:class:`~dronewall.core.measurements.RfProtocol` code. Rows in ascending object index.

Model
-----
An object is heard when it emits (``rf_protocol != NONE``: fibre-optic, autonomous and non-drone
objects are silent), lies within ``max_range_m`` and a Bernoulli draw of constant ``pd`` succeeds
(an assumption: no link budget, no terrain masking). The measured azimuth has Gaussian error
``sigma_az_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    enu_to_polar,
    require_positive,
    require_probability,
    wrap_2pi,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RfConfig:
    """Parameters of an RF detector.

    Attributes
    ----------
    period_s : float, s
        Update period.
    max_range_m : float, m
        Range within which a link is heard.
    pd : float
        Probability of hearing an emitting object in range, per update.
    sigma_az_deg : float, deg
        One-sigma bearing error.
    """

    period_s: float
    max_range_m: float
    pd: float
    sigma_az_deg: float

    def __post_init__(self) -> None:
        require_positive(self, "period_s", "max_range_m", "sigma_az_deg")
        require_probability(self, "pd")


class RfDetector(SensorModel[RfConfig]):
    """Bearing-only detector of RF-emitting drones."""

    def __init__(self, config: RfConfig, info: SensorInfo) -> None:
        super().__init__(config, info)
        self._sigma_az = float(np.radians(config.sigma_az_deg))

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Bearings at time ``t`` of the emitting objects in range."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r, az, _ = enu_to_polar(scene.pos - s)
        heard = scene.alive & (scene.rf_protocol != RfProtocol.NONE) & (r <= c.max_range_m)
        heard &= rng.random(k) < c.pd
        noise = rng.standard_normal(k) * self._sigma_az
        idx = np.flatnonzero(heard)
        m = idx.shape[0]
        z = np.full((m, 3), np.nan)
        z[:, 0] = wrap_2pi(az[idx] + noise[idx])
        R = np.zeros((m, 3, 3))
        R[:, 0, 0] = self._sigma_az**2
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.BEARING,
            z=z,
            R=R,
            sensor_pos=s,
            protocol=scene.rf_protocol[idx],
            truth=idx.astype(np.int32),
        )
