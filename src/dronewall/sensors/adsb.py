"""An ADS-B (1090 MHz extended squitter) receiver: cooperative aircraft report their own position.

Data layout
-----------
:meth:`AdsbReceiver.observe` returns ``POSITION`` rows (ENU metres) of cooperative objects
(``Scene.icao >= 0``) with ``ident`` the 24-bit ICAO address and ``R = diag(σ_h², σ_h², σ_v²)``;
rows in ascending object index.

Model
-----
Only cooperative objects (``Scene.icao >= 0``) transmit. The position is the aircraft's own GNSS
fix, so its error does not grow with range from the receiver. The aircraft announces its accuracy
as the Navigation Accuracy Category for Position, NACp, a 95 % bound on the horizontal error
(EPU; RTCA DO-260B §2.2.3.2.7.2.4):

======  ========  ======  ========  ======  =========
NACp    EPU 95 %  NACp    EPU 95 %  NACp    EPU 95 %
======  ========  ======  ========  ======  =========
1       10 NM     5       0.5 NM    9       30 m
2       4 NM      6       0.3 NM    10      10 m
3       2 NM      7       0.1 NM    11      3 m
4       1 NM      8       0.05 NM
======  ========  ======  ========  ======  =========

For a circular Gaussian error with per-axis ``σ`` the 95 % radius is ``σ sqrt(-2 ln 0.05)`` =
2.448 σ, so ``σ = EPU / 2.448``. Airliners broadcast ``nacp``; light aircraft
(class ``light-aircraft``) ``nacp_light`` (older, uncertified GNSS). A fraction
``light_without_adsb`` of the cooperative light aircraft has no ADS-B out (a Mode S transponder
only): chosen per aircraft by :func:`~dronewall.sensors.base.object_uniform` with salt
``no_adsb_salt``, so every receiver agrees. The vertical error is ``sigma_v_m`` (geometric /
barometric altitude in 25 ft steps). A message of an aircraft within ``max_range_m`` (line of
sight of an aircraft at altitude) is received with probability ``pd`` per update period (garbling
and fruit losses, assumed). Each row's ``R = diag(σ², σ², σ_v²)`` uses its aircraft's NACp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import F64, DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    object_uniform,
    require_positive,
    require_probability,
)

_NM = 1852.0
#: NACp → 95 % horizontal error bound (EPU), m (RTCA DO-260B).
NACP_EPU_M: dict[int, float] = {
    1: 10 * _NM,
    2: 4 * _NM,
    3: 2 * _NM,
    4: 1 * _NM,
    5: 0.5 * _NM,
    6: 0.3 * _NM,
    7: 0.1 * _NM,
    8: 0.05 * _NM,
    9: 30.0,
    10: 10.0,
    11: 3.0,
}
#: 95 % radius of a circular Gaussian over its per-axis σ: sqrt(-2 ln 0.05).
R95_PER_SIGMA = float(np.sqrt(-2.0 * np.log(0.05)))


def nacp_sigma_m(nacp: int) -> float:
    """Per-axis horizontal σ (m) of a NACp category: its 95 % bound over 2.448."""
    return NACP_EPU_M[nacp] / R95_PER_SIGMA


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
    nacp, nacp_light : int
        NACp (1-11) of airliners and other cooperative aircraft, and of light aircraft.
    light_without_adsb : float
        Fraction of cooperative light aircraft that transmit no ADS-B.
    no_adsb_salt : int
        Salt of the per-aircraft draw of which light aircraft have no ADS-B.
    sigma_v_m : float, m
        One-sigma vertical position error.
    """

    period_s: float
    max_range_m: float
    pd: float
    nacp: int
    nacp_light: int
    light_without_adsb: float
    no_adsb_salt: int
    sigma_v_m: float

    def __post_init__(self) -> None:
        require_positive(self, "period_s", "max_range_m", "sigma_v_m")
        require_probability(self, "pd", "light_without_adsb")
        for name in ("nacp", "nacp_light"):
            v = getattr(self, name)
            if v not in NACP_EPU_M:
                raise ValueError(f"AdsbConfig.{name} must be a NACp category 1..11, got {v}")

    @property
    def sigma_h_m(self) -> float:
        """Per-axis horizontal σ (m) of ``nacp``: EPU / 2.448."""
        return nacp_sigma_m(self.nacp)

    @property
    def sigma_h_light_m(self) -> float:
        """Per-axis horizontal σ (m) of ``nacp_light``."""
        return nacp_sigma_m(self.nacp_light)


class AdsbReceiver(SensorModel[AdsbConfig]):
    """Receiver of ADS-B position reports from cooperative aircraft."""

    def __init__(self, config: AdsbConfig, info: SensorInfo) -> None:
        super().__init__(config, info)

    def without_adsb(self, index: np.ndarray) -> np.ndarray:
        """``(K,) bool``: which object indices, if light aircraft, carry no ADS-B out."""
        return object_uniform(index, self.config.no_adsb_salt) < self.config.light_without_adsb

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Position reports at time ``t`` of cooperative aircraft in range."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r = np.linalg.norm(scene.pos - s, axis=1)
        light = scene.object_class == int(ObjectClass.LIGHT_AIRCRAFT)
        transmits = (scene.icao >= 0) & ~(light & self.without_adsb(np.arange(k)))
        got = scene.alive & transmits & (r <= c.max_range_m) & (rng.random(k) < c.pd)
        sig_h: F64 = np.where(light, c.sigma_h_light_m, c.sigma_h_m)
        sig = np.column_stack([sig_h, sig_h, np.full(k, c.sigma_v_m)])
        noise = rng.standard_normal((k, 3)) * sig
        idx = np.flatnonzero(got)
        m = idx.shape[0]
        R = np.zeros((m, 3, 3))
        R[:, [0, 1, 2], [0, 1, 2]] = sig[idx] ** 2
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=scene.pos[idx] + noise[idx],
            R=R,
            sensor_pos=s,
            ident=scene.icao[idx],
            truth=idx.astype(np.int32),
        )
