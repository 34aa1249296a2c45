"""A 3D surveillance radar: detection probability from the radar equation, polar noise, clutter.

Data layout
-----------
:meth:`RadarSensor.observe` takes a :class:`~dronewall.sensors.base.Scene` of ``K`` objects and
returns a :class:`~dronewall.core.measurements.DetectionBatch` of ``POSITION`` rows (ENU metres)
with a full converted covariance, an RCS estimate and the SNR; target rows first (ascending object
index), then clutter rows (``truth`` -1). Every object of a scan is observed at the scan time
(the rotation within a scan is not modelled).

Maths
-----
Mean SNR of a target of radar cross-section ``σ`` at range ``R`` follows the radar equation,
anchored at a reference point ``(SNR_ref, σ_ref, R_ref)`` that sums up power, gain, wavelength,
losses, noise and integration:

.. math::  \\mathrm{SNR} = \\mathrm{SNR_{ref}}\\,(σ/σ_{ref})\\,(R_{ref}/R)^4

With a square-law detector, a Swerling-1 (slowly fluctuating, Rayleigh) target and a threshold set
for false-alarm probability ``P_fa`` per resolution cell, the probability of detection is
(Skolnik, *Introduction to Radar Systems*, 3rd ed., §2.8)

.. math::  P_d = P_{fa}^{1/(1 + \\mathrm{SNR})}

A detection reports ``(r, az, el)`` with independent Gaussian errors, converted to ENU (see
:mod:`dronewall.sensors.base` for the covariance). The RCS estimate is the true RCS times a
log-normal error of ``rcs_sigma_db`` (dB standard deviation); the reported SNR carries the same
factor. Plots whose estimated RCS is below ``min_rcs_m2`` are dropped: this is how an air
surveillance radar is made blind to small drones and birds (its plot filter), with the RCS
estimated from SNR and range through the same equation.

Coverage and horizon
--------------------
An object is in coverage when it is alive, within ``[min_range_m, max_range_m]`` and
``[el_min_deg, el_max_deg]``, and above the radar horizon: over an earth of effective radius
``k_earth · R_e`` (4/3 for standard refraction) its ground distance ``d`` from the radar must not
exceed :func:`~dronewall.sensors.base.horizon_range_m` ``(h_radar, h_target)``, heights above
ground from :func:`~dronewall.sensors.base.earth_geometry`. Below the horizon ``P_d = 0``.

Doppler blind zone
------------------
A pulse-Doppler / MTI radar rejects echoes whose radial speed ``|v · u_r|`` is below the blind
speed ``blind_speed_m_s`` (ground clutter lives there). A target in the blind zone (hovering, or
crossing tangentially) is suppressed with probability ``blind_suppression`` (the rest pass on
micro-Doppler of rotors or filter leakage), so ``P_d' = P_d (1 - blind_suppression)`` there.
One uniform draw per object decides ``u < P_d'``.

Clutter
-------
False alarms are a Poisson number per scan with mean
``clutter_per_scan + clutter_per_km2 · A``, ``A = π (r_c² - r_min²)`` the ground area of coverage
(km²) out to ``r_c = min(max_range_m, horizon_range_m(h_radar, clutter_height_m))``: clutter comes
from the ground, trees and buildings of height ``clutter_height_m`` and none lies beyond their
horizon. The per-scan part is spread uniformly over resolution cells (uniform in range), the
per-area part uniformly over the area (``r = sqrt(U(r_min², r_c²))``); both uniform in azimuth and
a low elevation band ``[el_min_deg, clutter_el_max_deg]``, with a log-normal RCS of median
``clutter_rcs_m2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import F64, DetectionBatch, MeasurementKind
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    converted_covariance,
    earth_geometry,
    enu_to_polar,
    horizon_range_m,
    polar_to_enu,
    require_positive,
    require_probability,
    wrap_2pi,
)

_DB_TO_LN = np.log(10.0) / 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarConfig:
    """Parameters of a 3D radar (values and their sources: ``sensors/data/presets.yaml``).

    Attributes
    ----------
    period_s : float, s
        Scan (revisit) period.
    min_range_m, max_range_m : float, m
        Blind range and instrumented range.
    el_min_deg, el_max_deg : float, deg
        Elevation coverage.
    sigma_range_m : float, m
    sigma_az_deg, sigma_el_deg : float, deg
        One-sigma measurement errors.
    snr_ref_db : float, dB
        Mean SNR of a target of ``rcs_ref_m2`` at ``range_ref_m``.
    range_ref_m : float, m
    rcs_ref_m2 : float, m²
    pfa : float
        False-alarm probability per resolution cell (sets the Swerling-1 ``Pd``).
    rcs_sigma_db : float, dB
        Standard deviation of the RCS (and SNR) estimate.
    min_rcs_m2 : float, m²
        Plot filter: plots with a smaller RCS estimate are dropped (0 keeps all).
    clutter_per_scan : float
        Mean number of false alarms per scan before the plot filter.
    clutter_el_max_deg : float, deg
        Top of the elevation band where clutter appears.
    clutter_rcs_m2 : float, m²
        Median RCS of clutter false alarms.
    clutter_per_km2 : float, 1/km²
        Mean false alarms per scan per km² of ground within clutter coverage.
    clutter_height_m : float, m
        Height of the clutter sources (trees, buildings) that sets the clutter horizon.
    k_earth : float
        Effective earth radius factor for the radar horizon (4/3: standard atmosphere).
    blind_speed_m_s : float, m/s
        Radial speeds below this are in the Doppler blind zone (0: no blind zone).
    blind_suppression : float
        Probability that a target in the blind zone is suppressed.
    """

    period_s: float
    min_range_m: float
    max_range_m: float
    el_min_deg: float
    el_max_deg: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    snr_ref_db: float
    range_ref_m: float
    rcs_ref_m2: float
    pfa: float
    rcs_sigma_db: float
    min_rcs_m2: float
    clutter_per_scan: float
    clutter_el_max_deg: float
    clutter_rcs_m2: float
    clutter_per_km2: float
    clutter_height_m: float
    k_earth: float
    blind_speed_m_s: float
    blind_suppression: float

    def __post_init__(self) -> None:
        require_positive(
            self,
            "period_s",
            "max_range_m",
            "sigma_range_m",
            "sigma_az_deg",
            "sigma_el_deg",
            "range_ref_m",
            "rcs_ref_m2",
            "clutter_rcs_m2",
            "k_earth",
        )
        require_probability(self, "pfa", "blind_suppression")
        for name in ("clutter_per_km2", "clutter_height_m", "blind_speed_m_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"RadarConfig.{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.min_range_m < self.max_range_m:
            raise ValueError("RadarConfig: need 0 <= min_range_m < max_range_m")
        if not -90.0 < self.el_min_deg < self.el_max_deg < 90.0:
            raise ValueError("RadarConfig: need -90 < el_min_deg < el_max_deg < 90")
        if not self.el_min_deg < self.clutter_el_max_deg <= self.el_max_deg:
            raise ValueError("RadarConfig: need el_min_deg < clutter_el_max_deg <= el_max_deg")
        if not 0.0 < self.pfa < 1.0:
            raise ValueError("RadarConfig.pfa must lie in (0, 1)")
        if self.rcs_sigma_db < 0 or self.min_rcs_m2 < 0 or self.clutter_per_scan < 0:
            raise ValueError("RadarConfig: rcs_sigma_db, min_rcs_m2, clutter_per_scan must be >= 0")

    def snr(self, rcs_m2: F64, range_m: F64) -> F64:
        """Mean SNR (linear) of targets of ``rcs_m2`` at ``range_m`` by the radar equation."""
        snr_ref = 10.0 ** (self.snr_ref_db / 10.0)
        return np.asarray(
            snr_ref * (rcs_m2 / self.rcs_ref_m2) * (self.range_ref_m / range_m) ** 4,
            dtype=np.float64,
        )

    def pd(self, rcs_m2: F64, range_m: F64) -> F64:
        """Swerling-1 probability of detection ``Pfa^(1/(1+SNR))`` (inside coverage)."""
        return np.asarray(self.pfa ** (1.0 / (1.0 + self.snr(rcs_m2, range_m))), dtype=np.float64)

    def clutter_range_m(self, h_radar_m: float) -> float:
        """Farthest range of clutter: the instrumented range or the clutter sources' horizon."""
        hz = float(horizon_range_m(h_radar_m, self.clutter_height_m, self.k_earth))
        return min(self.max_range_m, max(hz, self.min_range_m))

    def clutter_mean(self, h_radar_m: float) -> float:
        """Mean clutter false alarms per scan: per scan plus density times coverage area."""
        r_c = self.clutter_range_m(h_radar_m)
        area_km2 = np.pi * (r_c**2 - self.min_range_m**2) / 1e6
        return float(self.clutter_per_scan + self.clutter_per_km2 * area_km2)


class RadarSensor(SensorModel[RadarConfig]):
    """A scanning 3D radar (drone radar or air surveillance radar, by preset)."""

    def __init__(self, config: RadarConfig, info: SensorInfo) -> None:
        super().__init__(config, info)
        c = config
        self._sig = np.radians([c.sigma_az_deg, c.sigma_el_deg])
        self._el = np.radians([c.el_min_deg, c.el_max_deg, c.clutter_el_max_deg])
        self._clutter_range = c.clutter_range_m(info.h_m)
        self._clutter_area_mean = c.clutter_mean(info.h_m) - c.clutter_per_scan

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """One scan at time ``t`` of all objects of ``scene`` plus clutter."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        d_enu = scene.pos - s
        r, az, el = enu_to_polar(d_enu)
        ground_d, h_t = earth_geometry(s, self._info.h_m, scene.pos)
        covered = (
            scene.alive
            & (r >= c.min_range_m)
            & (r <= c.max_range_m)
            & (el >= self._el[0])
            & (el <= self._el[1])
            & (ground_d <= horizon_range_m(self._info.h_m, h_t, c.k_earth))
        )
        r_safe = np.maximum(r, 1.0)
        v_radial = np.einsum("ki,ki->k", scene.vel, d_enu) / r_safe
        blind = np.abs(v_radial) < c.blind_speed_m_s
        pd = np.where(covered, c.pd(scene.rcs_m2, r_safe), 0.0)
        pd = pd * np.where(blind, 1.0 - c.blind_suppression, 1.0)
        # draws for every object, so that one object's fate does not shift the others' draws
        hit = rng.random(k) < pd
        noise = rng.standard_normal((k, 3)) * np.array([c.sigma_range_m, *self._sig])
        rcs_err_db = rng.standard_normal(k) * c.rcs_sigma_db

        idx = np.flatnonzero(hit)
        r_m = np.maximum(r[idx] + noise[idx, 0], 1.0)
        az_m = wrap_2pi(az[idx] + noise[idx, 1])
        el_m = np.clip(el[idx] + noise[idx, 2], -0.5 * np.pi + 1e-6, 0.5 * np.pi - 1e-6)
        factor = np.exp(rcs_err_db[idx] * _DB_TO_LN)
        rcs_est = scene.rcs_m2[idx] * factor
        snr_db = 10.0 * np.log10(c.snr(scene.rcs_m2[idx], r_safe[idx])) + rcs_err_db[idx]

        # clutter: per scan uniform over resolution cells, per area uniform over the ground
        r_max = self._clutter_range
        n_scan = int(rng.poisson(c.clutter_per_scan))
        n_area = int(rng.poisson(self._clutter_area_mean))
        n_cl = n_scan + n_area
        r_c = np.concatenate(
            [
                rng.uniform(c.min_range_m, r_max, n_scan),
                np.sqrt(rng.uniform(c.min_range_m**2, r_max**2, n_area)),
            ]
        )
        r_c = np.maximum(r_c, 1.0)
        az_c = rng.uniform(0.0, 2.0 * np.pi, n_cl)
        el_c = rng.uniform(self._el[0], self._el[2], n_cl)
        rcs_c = c.clutter_rcs_m2 * np.exp(rng.standard_normal(n_cl) * c.rcs_sigma_db * _DB_TO_LN)
        snr_db_c = 10.0 * np.log10(c.snr(rcs_c, r_c))

        r_all = np.concatenate([r_m, r_c])
        az_all = np.concatenate([az_m, az_c])
        el_all = np.concatenate([el_m, el_c])
        rcs_all = np.concatenate([rcs_est, rcs_c])
        keep = rcs_all >= c.min_rcs_m2
        r_all, az_all, el_all = r_all[keep], az_all[keep], el_all[keep]
        m = int(keep.sum())
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=s + polar_to_enu(r_all, az_all, el_all),
            R=converted_covariance(
                r_all, az_all, el_all, c.sigma_range_m, float(self._sig[0]), float(self._sig[1])
            ),
            sensor_pos=s,
            rcs_m2=rcs_all[keep],
            snr_db=np.concatenate([snr_db, snr_db_c])[keep],
            truth=np.concatenate([idx, np.full(n_cl, -1)]).astype(np.int32)[keep],
        )
