"""An EO/IR camera turret with a laser rangefinder: short-range 3D fixes of what it can see.

Data layout
-----------
:meth:`EoirCamera.observe` returns ``POSITION`` rows (ENU metres) with the converted covariance of
the measured ``(range, azimuth, elevation)`` (see :mod:`dronewall.sensors.base`); rows in
ascending object index.

Model (assumptions, to be varied)
---------------------------------
* The camera sees every alive object within its detection range, which is ``range_day_m`` by day
  and ``range_night_m`` by night (thermal channel); the scenario says which.
* A laser rangefinder ranges each one (the assumption that makes a camera a 3D sensor); the turret
  serves at most ``max_targets`` objects per update, the nearest first (it slews between them).
* Each object in range is detected with constant probability ``pd`` per update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    converted_covariance,
    enu_to_polar,
    polar_to_enu,
    require_positive,
    require_probability,
    wrap_2pi,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EoirConfig:
    """Parameters of an EO/IR turret with laser rangefinder.

    Attributes
    ----------
    period_s : float, s
        Update period.
    range_day_m, range_night_m : float, m
        Detection range by day (visible) and by night (thermal).
    el_min_deg : float, deg
        Lowest elevation it can look at.
    pd : float
        Probability of detection per update of an object in range.
    sigma_range_m : float, m
        Laser rangefinder error.
    sigma_az_deg, sigma_el_deg : float, deg
        Pointing errors.
    max_targets : int
        Objects served per update (the nearest).
    """

    period_s: float
    range_day_m: float
    range_night_m: float
    el_min_deg: float
    pd: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    max_targets: int

    def __post_init__(self) -> None:
        require_positive(
            self,
            "period_s",
            "range_day_m",
            "range_night_m",
            "sigma_range_m",
            "sigma_az_deg",
            "sigma_el_deg",
            "max_targets",
        )
        require_probability(self, "pd")
        if not -90.0 < self.el_min_deg < 90.0:
            raise ValueError("EoirConfig.el_min_deg must lie in (-90, 90)")


class EoirCamera(SensorModel[EoirConfig]):
    """EO/IR turret; ``night`` selects the thermal detection range."""

    def __init__(self, config: EoirConfig, info: SensorInfo, *, night: bool = False) -> None:
        super().__init__(config, info)
        self.night = night
        self.range_m = config.range_night_m if night else config.range_day_m
        self._sig = np.radians([config.sigma_az_deg, config.sigma_el_deg])

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """3D fixes at time ``t`` of the nearest detected objects in range."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r, az, el = enu_to_polar(scene.pos - s)
        seen = (
            scene.alive
            & (r <= self.range_m)
            & (r > 0.0)
            & (el >= np.radians(c.el_min_deg))
            & (rng.random(k) < c.pd)
        )
        noise = rng.standard_normal((k, 3)) * np.array([c.sigma_range_m, *self._sig])
        idx = np.flatnonzero(seen)
        if idx.shape[0] > c.max_targets:
            idx = np.sort(idx[np.argsort(r[idx], kind="stable")[: c.max_targets]])
        r_m = np.maximum(r[idx] + noise[idx, 0], 1.0)
        az_m = wrap_2pi(az[idx] + noise[idx, 1])
        el_m = np.clip(el[idx] + noise[idx, 2], -0.5 * np.pi + 1e-6, 0.5 * np.pi - 1e-6)
        m = idx.shape[0]
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=s + polar_to_enu(r_m, az_m, el_m),
            R=converted_covariance(
                r_m, az_m, el_m, c.sigma_range_m, float(self._sig[0]), float(self._sig[1])
            ),
            sensor_pos=s,
            truth=idx.astype(np.int32),
        )
