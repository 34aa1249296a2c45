"""An EO/IR camera turret with a laser rangefinder: it looks at one sector at a time.

Data layout
-----------
:meth:`EoirCamera.observe` returns ``POSITION`` rows (ENU metres) with the converted covariance of
the measured ``(range, azimuth, elevation)`` (see :mod:`dronewall.sensors.base`); rows in
ascending object index, with the class cue in the batch's ``cue (M,) int8`` column: the
:class:`~dronewall.core.taxonomy.ObjectClass` code the operator recognised in the picture, -1 when
the target was detected but not recognised. The tracker counts each track's cues
(``TrackTable.cue_counts``) and the classifier uses them as features.
:meth:`EoirCamera.observe_detail` also gives the same values as the attribute ``class_cue``.

Model
-----
* **Field of view and slewing.** The turret points at azimuth ``pointing_az`` and sees objects
  within ``fov_deg / 2`` of it, between ``el_min_deg`` and ``el_max_deg``. After each update it
  slews, at most ``slew_rate_deg_s · period_s``: towards the nearest object it detected (it keeps
  a target in view; after losing it, it stays ``dwell_updates`` updates before searching on), or
  else one field of view on along its search sector (centre
  ``search_az_deg``, width ``search_width_deg``; 360 searches all round, otherwise it sweeps back
  and forth). The state lives in the model: one model per run, observed in time order.
* **Detection range by size and light (Johnson criteria).** An object of critical dimension
  ``L`` (``target_size_m`` by class) at range ``r`` spans ``N = L / (2 · IFOV · r)`` cycles
  (one cycle = two pixels; ``IFOV`` is ``ifov_day_urad`` by day, ``ifov_night_urad`` for the
  thermal channel at night). The probability of a task with ``N50`` cycles (detection
  ``n50_detect``, recognition ``n50_recognise``) is the target transfer probability function
  of the ACQUIRE model,

  .. math::  P(N) = \\frac{(N/N_{50})^E}{1 + (N/N_{50})^E}, \\quad E = 2.7 + 0.7\\,N/N_{50}

  A detection per update happens with ``pd · P_detect(N)`` (``pd`` sums up operator attention
  and clutter); the range is capped by ``range_day_m`` / ``range_night_m`` (visibility and the
  laser rangefinder). A detected object is recognised (class cue) with ``P_recognise / P_detect``
  so that recognised ⊂ detected and ``P(recognised) = pd · P_recognise``.
* A laser rangefinder ranges what is detected (what makes a camera a 3D sensor); at most
  ``max_targets`` objects per update, the nearest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import F64, DetectionBatch, MeasurementKind
from dronewall.sensors.base import (
    Observation,
    Scene,
    SensorInfo,
    SensorModel,
    class_column,
    converted_covariance,
    enu_to_polar,
    polar_to_enu,
    require_positive,
    require_probability,
    wrap_2pi,
)


def ttpf(cycles: F64, n50: float) -> F64:
    """Target transfer probability function ``P(N)`` of the ACQUIRE model (module docstring)."""
    x = np.maximum(np.asarray(cycles, dtype=np.float64) / n50, 1e-300)
    # x^E / (1 + x^E) = 1 / (1 + exp(-E ln x)), clipped so that neither form overflows
    log_inv = np.clip(-(2.7 + 0.7 * x) * np.log(x), -700.0, 700.0)
    return np.asarray(1.0 / (1.0 + np.exp(log_inv)), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class EoirConfig:
    """Parameters of an EO/IR turret with laser rangefinder (see the module docstring).

    Attributes
    ----------
    period_s : float, s
        Update period.
    range_day_m, range_night_m : float, m
        Range cap by day (visible) and by night (thermal).
    ifov_day_urad, ifov_night_urad : float, µrad
        Instantaneous field of view of one pixel, by channel.
    n50_detect, n50_recognise : float, cycles
        Johnson ``N50`` of detection and recognition.
    target_size_m : tuple of str
        ``"class:metres"``: critical dimension of each object class.
    fov_deg : float, deg
        Horizontal field of view.
    slew_rate_deg_s : float, deg/s
        Turret slew rate.
    search_az_deg, search_width_deg : float, deg
        Search sector (centre, width; 360 all round).
    el_min_deg, el_max_deg : float, deg
        Elevation limits of what it can look at.
    pd : float
        Probability of detection per update of an object the optics resolve (``P_detect = 1``).
    sigma_range_m : float, m
        Laser rangefinder error.
    sigma_az_deg, sigma_el_deg : float, deg
        Pointing errors.
    max_targets : int
        Objects served per update (the nearest).
    dwell_updates : int
        Updates the turret stays on a lost target before it searches on.
    """

    period_s: float
    range_day_m: float
    range_night_m: float
    ifov_day_urad: float
    ifov_night_urad: float
    n50_detect: float
    n50_recognise: float
    target_size_m: tuple[str, ...]
    fov_deg: float
    slew_rate_deg_s: float
    search_az_deg: float
    search_width_deg: float
    el_min_deg: float
    el_max_deg: float
    pd: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    max_targets: int
    dwell_updates: int

    def __post_init__(self) -> None:
        require_positive(
            self,
            "period_s",
            "range_day_m",
            "range_night_m",
            "ifov_day_urad",
            "ifov_night_urad",
            "n50_detect",
            "n50_recognise",
            "fov_deg",
            "slew_rate_deg_s",
            "sigma_range_m",
            "sigma_az_deg",
            "sigma_el_deg",
            "max_targets",
        )
        require_probability(self, "pd")
        if self.dwell_updates < 0:
            raise ValueError(f"EoirConfig.dwell_updates must be >= 0, got {self.dwell_updates}")
        if not -90.0 < self.el_min_deg < self.el_max_deg < 90.0:
            raise ValueError("EoirConfig: need -90 < el_min_deg < el_max_deg < 90")
        if not 0.0 < self.fov_deg <= 360.0 or not 0.0 < self.search_width_deg <= 360.0:
            raise ValueError("EoirConfig: fov_deg and search_width_deg must lie in (0, 360]")
        if self.n50_recognise < self.n50_detect:
            raise ValueError("EoirConfig: n50_recognise must be >= n50_detect")
        class_column(self, "target_size_m", minimum=1e-3)

    def p_detect(self, size_m: F64, range_m: F64, *, night: bool) -> F64:
        """``pd · P_detect(N)`` of objects of ``size_m`` at ``range_m`` (within the cap)."""
        ifov = 1e-6 * (self.ifov_night_urad if night else self.ifov_day_urad)
        cycles = size_m / (2.0 * ifov * np.maximum(range_m, 1e-3))
        cap = self.range_night_m if night else self.range_day_m
        p = self.pd * ttpf(cycles, self.n50_detect)
        return np.asarray(np.where(range_m <= cap, p, 0.0), dtype=np.float64)

    def p_recognise(self, size_m: F64, range_m: F64, *, night: bool) -> F64:
        """``pd · P_recognise(N)``: the probability of a class cue per update."""
        ifov = 1e-6 * (self.ifov_night_urad if night else self.ifov_day_urad)
        cycles = size_m / (2.0 * ifov * np.maximum(range_m, 1e-3))
        cap = self.range_night_m if night else self.range_day_m
        p = self.pd * ttpf(cycles, self.n50_recognise)
        return np.asarray(np.where(range_m <= cap, p, 0.0), dtype=np.float64)


def _angle_diff(a: F64 | float, b: F64 | float) -> F64:
    """``a - b`` wrapped into ``(-π, π]``."""
    return np.asarray(np.pi - np.mod(np.pi - (np.asarray(a) - b), 2.0 * np.pi), dtype=np.float64)


class EoirCamera(SensorModel[EoirConfig]):
    """EO/IR turret; ``night`` selects the thermal channel. Holds its pointing between updates."""

    def __init__(self, config: EoirConfig, info: SensorInfo, *, night: bool = False) -> None:
        super().__init__(config, info)
        c = config
        self.night = night
        self.range_m = c.range_night_m if night else c.range_day_m
        self._sig = np.radians([c.sigma_az_deg, c.sigma_el_deg])
        self._size = class_column(c, "target_size_m", minimum=1e-3)
        self._half_fov = 0.5 * np.radians(c.fov_deg)
        self._max_slew = np.radians(c.slew_rate_deg_s) * c.period_s
        self._all_round = c.search_width_deg >= 360.0
        self._centre = np.radians(c.search_az_deg)
        self._half_width = 0.5 * np.radians(c.search_width_deg)
        start = self._centre if self._all_round else self._centre - self._half_width
        self.pointing_az = float(wrap_2pi(np.array(start)))
        self._sweep = 1.0
        self._misses = config.dwell_updates  # updates since the last detection

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """3D fixes at time ``t`` of the nearest detected objects in the field of view, with their
        class cues (``cue``)."""
        return self.observe_detail(t, scene, rng).batch

    def observe_detail(self, t: float, scene: Scene, rng: np.random.Generator) -> Observation:
        """:meth:`observe` with the class cue of each row; then the turret slews."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r, az, el = enu_to_polar(scene.pos - s)
        size = self._size[scene.object_class.astype(np.int64)]
        in_view = (
            scene.alive
            & (r > 0.0)
            & (np.abs(_angle_diff(az, self.pointing_az)) <= self._half_fov)
            & (el >= np.radians(c.el_min_deg))
            & (el <= np.radians(c.el_max_deg))
        )
        p_det = np.where(in_view, c.p_detect(size, r, night=self.night), 0.0)
        p_rec = np.where(in_view, c.p_recognise(size, r, night=self.night), 0.0)
        u = rng.random(k)
        seen = u < p_det
        recognised = u < p_rec  # p_rec <= p_det: recognised implies seen
        noise = rng.standard_normal((k, 3)) * np.array([c.sigma_range_m, *self._sig])
        idx = np.flatnonzero(seen)
        if idx.shape[0] > c.max_targets:
            idx = np.sort(idx[np.argsort(r[idx], kind="stable")[: c.max_targets]])
        r_m = np.maximum(r[idx] + noise[idx, 0], 1.0)
        az_m = wrap_2pi(az[idx] + noise[idx, 1])
        el_m = np.clip(el[idx] + noise[idx, 2], -0.5 * np.pi + 1e-6, 0.5 * np.pi - 1e-6)
        m = idx.shape[0]
        cue = np.where(recognised[idx], scene.object_class[idx], -1).astype(np.int8)
        self._slew(az[idx[np.argmin(r[idx])]] if m else None)
        batch = DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=s + polar_to_enu(r_m, az_m, el_m),
            R=converted_covariance(
                r_m, az_m, el_m, c.sigma_range_m, float(self._sig[0]), float(self._sig[1])
            ),
            sensor_pos=s,
            truth=idx.astype(np.int32),
            cue=cue,
        )
        return Observation(batch=batch, attributes={"class_cue": cue})

    def _slew(self, target_az: float | None) -> None:
        """Turn towards ``target_az`` (rad), or one field of view on along the search sector."""
        step_fov = 2.0 * self._half_fov
        if target_az is not None:
            self._misses = 0
            delta = float(_angle_diff(target_az, self.pointing_az))
        elif self._misses < self.config.dwell_updates:
            self._misses += 1
            delta = 0.0
        elif self._all_round:
            delta = step_fov
        else:
            off = float(_angle_diff(self.pointing_az, self._centre))
            nxt = off + self._sweep * step_fov
            if abs(nxt) > self._half_width:
                self._sweep = -self._sweep
                nxt = off + self._sweep * step_fov
                nxt = float(np.clip(nxt, -self._half_width, self._half_width))
            delta = nxt - off
        delta = float(np.clip(delta, -self._max_slew, self._max_slew))
        self.pointing_az = float(np.mod(self.pointing_az + delta, 2.0 * np.pi))
