"""An ADS-B (1090 MHz extended squitter) receiver: cooperative aircraft report their own position.

Data layout
-----------
:meth:`AdsbReceiver.observe` returns ``POSITION`` rows (ENU metres) of cooperative objects
(``Scene.icao >= 0``) with ``ident`` the 24-bit ICAO address and ``R = diag(σ_h², σ_h², σ_v²)``;
rows in ascending object index.

Model
-----
The position is the aircraft's own GNSS fix, so its error does not grow with range from the
receiver: a horizontal error ``sigma_h_m`` in the spirit of the Navigation Accuracy Category
NACp (NACp 9 bounds the 95 % horizontal error by 30 m, i.e. σ ≈ 12 m per axis) and a vertical
error ``sigma_v_m`` (geometric / barometric altitude in 25 ft steps). A message of an aircraft
within ``max_range_m`` (line of sight of an aircraft at altitude) is received with probability
``pd`` per update period (garbling and fruit losses, assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    require_positive,
    require_probability,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdsbConfig:
    """Parameters of an ADS-B receiver.

    Attributes
    ----------
    period_s : float, s
        Position report period.
    max_range_m : float, m
        Reception range.
    pd : float
        Probability a report of an aircraft in range arrives, per period.
    sigma_h_m, sigma_v_m : float, m
        One-sigma horizontal (per axis) and vertical position errors.
    """

    period_s: float
    max_range_m: float
    pd: float
    sigma_h_m: float
    sigma_v_m: float

    def __post_init__(self) -> None:
        require_positive(self, "period_s", "max_range_m", "sigma_h_m", "sigma_v_m")
        require_probability(self, "pd")


class AdsbReceiver(SensorModel[AdsbConfig]):
    """Receiver of ADS-B position reports from cooperative aircraft."""

    def __init__(self, config: AdsbConfig, info: SensorInfo) -> None:
        super().__init__(config, info)

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Position reports at time ``t`` of cooperative aircraft in range."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r = np.linalg.norm(scene.pos - s, axis=1)
        got = scene.alive & (scene.icao >= 0) & (r <= c.max_range_m) & (rng.random(k) < c.pd)
        sig = np.array([c.sigma_h_m, c.sigma_h_m, c.sigma_v_m])
        noise = rng.standard_normal((k, 3)) * sig
        idx = np.flatnonzero(got)
        m = idx.shape[0]
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=scene.pos[idx] + noise[idx],
            R=np.diag(sig**2),
            sensor_pos=s,
            ident=scene.icao[idx],
            truth=idx.astype(np.int32),
        )
