"""Human sighting reports from a populated area: rare, late, kilometres off, and often of nothing.

Data layout
-----------
:meth:`SightingReports.observe` returns ``SIGHTING`` rows: ``z`` the reported ``(east, north, up)``
in metres, ``R = diag(σ_h², σ_h², σ_v²)``, ``t`` the time the thing was seen and ``t_received``
the time the report reaches the system (``t`` plus a delay). ``sensor_pos`` is the centre of the
reporting area. Reports of real objects first (ascending object index, ``truth`` the object),
then false reports (``truth`` -1).

Model (assumptions, to be varied)
---------------------------------
The "sensor" is the public of an area of radius ``area_radius_m`` around its position. Each update
covers a window of ``period_s``:

* An alive object of a class in ``seen_classes`` whose horizontal distance from the area centre is
  at most ``area_radius_m + visual_range_m`` is reported with probability
  ``1 - exp(-λ Δt)`` in the window, where ``λ = -ln(1 - p_h) / 3600 s`` turns
  ``report_prob_per_hour`` ``p_h`` (chance of at least one report per hour in view) into a rate.
* False reports (lights, planets, aircraft, nothing) arrive as a Poisson process of
  ``false_rate_per_hour``, at positions uniform over the same disc, at a guessed height
  ``false_alt_m``.
* Reported positions err by ``sigma_h_m`` per horizontal axis and ``sigma_v_m`` vertically; the
  delay until the report arrives is log-normal with mean ``delay_mean_s`` and log-space standard
  deviation ``delay_log_sigma``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.sensors.base import (
    Scene,
    SensorInfo,
    SensorModel,
    require_positive,
    require_probability,
)

_CLASS_LABELS = frozenset(c.label for c in ObjectClass)


@dataclass(frozen=True, slots=True, kw_only=True)
class SightingConfig:
    """Parameters of human sighting reports from one area.

    Attributes
    ----------
    period_s : float, s
        Window covered by one update.
    area_radius_m : float, m
        Radius of the populated area around the sensor position.
    visual_range_m : float, m
        How far beyond the area an object can be seen.
    report_prob_per_hour : float
        Probability an object in view is reported at least once per hour.
    false_rate_per_hour : float, 1/h
        Mean false reports per hour from the area.
    sigma_h_m, sigma_v_m : float, m
        One-sigma errors of the reported position.
    false_alt_m : float, m
        Height given in false reports.
    delay_mean_s : float, s
        Mean delay between seeing and the report reaching the system.
    delay_log_sigma : float
        Standard deviation of the log of the delay.
    seen_classes : tuple of str
        Object-class labels people report (drones; aircraft and birds are recognised).
    """

    period_s: float
    area_radius_m: float
    visual_range_m: float
    report_prob_per_hour: float
    false_rate_per_hour: float
    sigma_h_m: float
    sigma_v_m: float
    false_alt_m: float
    delay_mean_s: float
    delay_log_sigma: float
    seen_classes: tuple[str, ...]

    def __post_init__(self) -> None:
        require_positive(
            self, "period_s", "area_radius_m", "sigma_h_m", "sigma_v_m", "delay_mean_s"
        )
        require_probability(self, "report_prob_per_hour")
        if self.report_prob_per_hour >= 1.0:
            raise ValueError("SightingConfig.report_prob_per_hour must be < 1")
        if self.visual_range_m < 0 or self.false_rate_per_hour < 0 or self.delay_log_sigma < 0:
            raise ValueError(
                "SightingConfig: visual_range_m, false_rate_per_hour and "
                "delay_log_sigma must be >= 0"
            )
        unknown = [c for c in self.seen_classes if c not in _CLASS_LABELS]
        if unknown:
            raise ValueError(
                f"SightingConfig.seen_classes: unknown class {unknown[0]!r}; "
                f"expected some of {sorted(_CLASS_LABELS)}"
            )

    @property
    def view_radius_m(self) -> float:
        """Horizontal radius around the area centre within which objects can be seen."""
        return self.area_radius_m + self.visual_range_m


class SightingReports(SensorModel[SightingConfig]):
    """Reports by the public of one area."""

    def __init__(self, config: SightingConfig, info: SensorInfo) -> None:
        super().__init__(config, info)
        c = config
        self._seen = np.array([int(ObjectClass.from_label(x)) for x in c.seen_classes], np.int8)
        rate_per_s = -np.log1p(-c.report_prob_per_hour) / 3600.0
        self._p_window = float(-np.expm1(-rate_per_s * c.period_s))
        self._mu_log = float(np.log(c.delay_mean_s) - 0.5 * c.delay_log_sigma**2)
        self._sig = np.array([c.sigma_h_m, c.sigma_h_m, c.sigma_v_m])

    @property
    def p_report_per_window(self) -> float:
        """Probability an object in view is reported within one window."""
        return self._p_window

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Reports of things seen in the window ending at ``t`` (they arrive later)."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        horiz = np.hypot(scene.pos[:, 0] - s[0], scene.pos[:, 1] - s[1])
        in_view = scene.alive & np.isin(scene.object_class, self._seen) & (horiz <= c.view_radius_m)
        reported = in_view & (rng.random(k) < self._p_window)
        noise = rng.standard_normal((k, 3)) * self._sig
        idx = np.flatnonzero(reported)

        n_false = int(rng.poisson(c.false_rate_per_hour * c.period_s / 3600.0))
        rho = c.view_radius_m * np.sqrt(rng.random(n_false))
        phi = rng.uniform(0.0, 2.0 * np.pi, n_false)
        z_false = np.column_stack(
            [
                s[0] + rho * np.sin(phi),
                s[1] + rho * np.cos(phi),
                c.false_alt_m + rng.standard_normal(n_false) * c.sigma_v_m,
            ]
        )
        z = np.concatenate([scene.pos[idx] + noise[idx], z_false])
        z[:, 2] = np.maximum(z[:, 2], 0.0)
        m = z.shape[0]
        delay = rng.lognormal(self._mu_log, c.delay_log_sigma, m)
        return DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.SIGHTING,
            z=z,
            R=np.diag(self._sig**2),
            sensor_pos=s,
            truth=np.concatenate([idx, np.full(n_false, -1)]).astype(np.int32),
            t_received=np.asarray(t + delay, dtype=np.float64),
        )
