"""An acoustic sensor (microphone array): hears engines and rotors at short range, gives bearings.

Data layout
-----------
:meth:`AcousticSensor.observe` returns ``BEARING`` rows: ``z = (azimuth, elevation, nan)`` in
radians from the array (azimuth clockwise from north in ``[0, 2π)``, elevation above the local
horizontal), ``R = diag(σ_az², σ_el², 0)``; rows in ascending object index. No range is measured.

Model
-----
The passive sonar equation in air (levels in dB re 20 µPa): an object of class ``c`` radiates a
source level ``SL_c`` at 1 m (``source_level_db`` by class); at range ``r`` the signal excess over
the detection threshold is

.. math::  \\mathrm{SE} = SL_c - 20 \\log_{10}(r / 1\\,\\mathrm{m}) - α\\,r
    - (NL + W) + AG - DT

with spherical spreading, atmospheric absorption ``α`` (``absorption_db_per_km``), ambient noise
``NL`` (``noise_level_db``), the weather's extra noise ``W`` (``weather_noise_db``: wind on the
microphones, rain; 0 calm), the array gain ``AG`` and the detection threshold ``DT``. Sound
propagation fluctuates (turbulence, ground effect): the excess has Gaussian scatter ``σ_SE``
(``sigma_excess_db``), so

.. math::  P_d = \\Phi(\\mathrm{SE} / σ_{SE})

per update, zero beyond ``max_range_m`` or below ``el_min_deg``. The detection range (``P_d``
= 0.5, ``SE = 0``) falls by a factor ``10^{-ΔW/20}`` per ``ΔW`` dB of weather noise while
absorption is small. Bearing errors are Gaussian (``sigma_az_deg``, ``sigma_el_deg``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from dronewall.core.measurements import F64, DetectionBatch, MeasurementKind
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    class_column,
    enu_to_polar,
    require_positive,
    wrap_2pi,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AcousticConfig:
    """Parameters of an acoustic array (see the module docstring).

    Attributes
    ----------
    period_s : float, s
        Update period.
    max_range_m : float, m
        Processing range cap.
    source_level_db : tuple of str
        ``"class:dB"``: source level at 1 m by object class, dB re 20 µPa.
    noise_level_db : float, dB
        Ambient noise level in the processing band.
    weather_noise_db : float, dB
        Extra noise from wind and rain (0 calm).
    array_gain_db : float, dB
    detection_threshold_db : float, dB
    absorption_db_per_km : float, dB/km
    sigma_excess_db : float, dB
        Scatter of the signal excess (propagation fluctuation).
    el_min_deg : float, deg
        Lowest elevation heard (ground reflections below).
    sigma_az_deg, sigma_el_deg : float, deg
        One-sigma bearing errors.
    """

    period_s: float
    max_range_m: float
    source_level_db: tuple[str, ...]
    noise_level_db: float
    weather_noise_db: float
    array_gain_db: float
    detection_threshold_db: float
    absorption_db_per_km: float
    sigma_excess_db: float
    el_min_deg: float
    sigma_az_deg: float
    sigma_el_deg: float

    def __post_init__(self) -> None:
        require_positive(
            self, "period_s", "max_range_m", "sigma_excess_db", "sigma_az_deg", "sigma_el_deg"
        )
        if not self.absorption_db_per_km >= 0 or not self.weather_noise_db >= 0:
            raise ValueError(
                "AcousticConfig: absorption_db_per_km and weather_noise_db must be >= 0"
            )
        if not -90.0 < self.el_min_deg < 90.0:
            raise ValueError("AcousticConfig.el_min_deg must lie in (-90, 90)")
        class_column(self, "source_level_db", minimum=0.0)

    def excess_db(self, source_level_db: F64, range_m: F64) -> F64:
        """Signal excess ``SE`` (dB) of sources of ``source_level_db`` at ``range_m``."""
        r = np.maximum(range_m, 1.0)
        return np.asarray(
            source_level_db
            - 20.0 * np.log10(r)
            - self.absorption_db_per_km * r / 1000.0
            - (self.noise_level_db + self.weather_noise_db)
            + self.array_gain_db
            - self.detection_threshold_db,
            dtype=np.float64,
        )

    def pd(self, source_level_db: F64, range_m: F64) -> F64:
        """``Φ(SE / σ_SE)`` within ``max_range_m``, else 0."""
        p = ndtr(self.excess_db(source_level_db, range_m) / self.sigma_excess_db)
        return np.asarray(np.where(range_m <= self.max_range_m, p, 0.0), dtype=np.float64)

    def detection_range_m(self, source_level_db: F64) -> F64:
        """Range (m) where ``SE = 0`` (``P_d = 0.5``), uncapped; by bisection on log range."""
        sl = np.asarray(source_level_db, dtype=np.float64)
        lo, hi = np.zeros_like(sl), np.full_like(sl, 7.0)  # 1 m .. 10,000 km
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            above = self.excess_db(sl, 10.0**mid) > 0.0
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        return np.asarray(10.0 ** (0.5 * (lo + hi)), dtype=np.float64)


class AcousticSensor(SensorModel[AcousticConfig]):
    """Bearing-only microphone array."""

    def __init__(self, config: AcousticConfig, info: SensorInfo) -> None:
        super().__init__(config, info)
        self._sl = class_column(config, "source_level_db", minimum=0.0)
        self._sig = np.radians([config.sigma_az_deg, config.sigma_el_deg])

    def source_level(self, object_class: np.ndarray) -> F64:
        """Source level (dB at 1 m) of objects of the given class codes."""
        return np.asarray(self._sl[np.asarray(object_class, dtype=np.int64)], dtype=np.float64)

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Bearings at time ``t`` of the objects heard."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r, az, el = enu_to_polar(scene.pos - s)
        pd = np.where(
            scene.alive & (el >= np.radians(c.el_min_deg)),
            c.pd(self.source_level(scene.object_class), r),
            0.0,
        )
        heard = rng.random(k) < pd
        noise = rng.standard_normal((k, 2)) * self._sig
        idx = np.flatnonzero(heard)
        m = idx.shape[0]
        z = np.full((m, 3), np.nan)
        z[:, 0] = wrap_2pi(az[idx] + noise[idx, 0])
        z[:, 1] = np.clip(el[idx] + noise[idx, 1], -0.5 * np.pi + 1e-6, 0.5 * np.pi - 1e-6)
        R = np.zeros((m, 3, 3))
        R[:, 0, 0] = self._sig[0] ** 2
        R[:, 1, 1] = self._sig[1] ** 2
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.BEARING,
            z=z,
            R=R,
            sensor_pos=s,
            truth=idx.astype(np.int32),
        )
