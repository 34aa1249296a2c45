r"""Human sighting reports from a populated area: rare, late, kilometres off, and often of nothing.

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
covers a window ``(t - period_s, t]``:

* An alive object of a class in ``seen_classes`` whose horizontal distance from the area centre is
  at most ``area_radius_m + visual_range_m`` is seen (an *event*) with probability
  ``1 - exp(-λ Δt)`` in the window, where ``λ = -ln(1 - p_h) / 3600 s`` turns
  ``report_prob_per_hour`` ``p_h`` (chance of at least one report per hour in view) into a rate.
* False events (aircraft lights, planets, stars, satellites, lanterns) arrive as a Poisson
  process of rate ``λ_f(t)``, at positions uniform over the same disc, at a guessed height
  ``false_alt_m``. After a public alarm at ``t_a`` the rate grows and decays back:

  .. math::  λ_f(t) = λ_0 \,(1 + (F - 1)\, e^{-(t - t_a)/τ}), \quad t ≥ t_a

  with ``λ_0 = false_rate_per_hour``, ``F = alarm_factor``, ``τ = alarm_decay_s``. The number in
  a window is Poisson with mean ``∫ λ_f dt`` over it (exact). ``t_a`` is ``alarm_time_s`` (UTC
  epoch s; 0: none) or, with ``alarm_on_report``, the arrival of the first report of a real
  object, whichever is first (the news spreads).
* The cause of a false event is drawn from ``false_causes`` (``"cause:weight"``); it is truth
  (``truth_attributes["cause"]``, ``"object"`` for real ones). What people say is a description
  (``attributes["description"]``) from the class of the object or the cause of the false event.
* Each event is reported by ``1 + Poisson(duplicate_mean)`` people: each of their reports has its
  own position error (``sigma_h_m`` per horizontal axis, ``sigma_v_m`` vertically) and its own
  delay (log-normal with mean ``delay_mean_s`` and log-space standard deviation
  ``delay_log_sigma``); all carry the event's ``t`` and ``truth``. ``truth_attributes["event"]``
  numbers the events of this sensor (for scoring duplicates; nobody knows who else called).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.sensors.base import (
    Observation,
    Scene,
    SensorInfo,
    SensorModel,
    parse_label_table,
    require_positive,
    require_probability,
)

_CLASS_LABELS = frozenset(c.label for c in ObjectClass)

#: Causes of false reports and what people then describe.
FALSE_CAUSES: dict[str, str] = {
    "aircraft-lights": "blinking lights, moving slowly",
    "planet": "bright steady light, hovering",
    "star": "twinkling light, hovering",
    "satellite": "silent light moving fast",
    "lantern": "orange light drifting",
    "nothing": "buzzing heard, nothing seen",
}
#: What people describe when they see a real object of each class.
CLASS_DESCRIPTIONS: dict[ObjectClass, str] = {
    ObjectClass.QUADCOPTER: "small drone with lights, hovering",
    ObjectClass.FPV: "small fast drone, buzzing",
    ObjectClass.FIXED_WING: "small plane-like drone",
    ObjectClass.LOITERING_MUNITION: "loud moped-like engine, triangular wing",
    ObjectClass.DECOY: "loud moped-like engine, triangular wing",
    ObjectClass.BIRD: "dark shape flying",
    ObjectClass.LIGHT_AIRCRAFT: "low plane",
    ObjectClass.AIRLINER: "airliner",
    ObjectClass.CLUTTER: "something in the sky",
}
_DESCRIPTIONS = np.array([CLASS_DESCRIPTIONS[c] for c in ObjectClass] + list(FALSE_CAUSES.values()))
_CAUSES = np.array(["object", *FALSE_CAUSES])


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
    alarm_time_s : float, s
        UTC epoch time of a public alarm (0: none).
    alarm_on_report : bool
        Whether the first report of a real object raises the public alarm.
    alarm_factor : float
        ``F``: false-report rate right after the alarm over the base rate (>= 1).
    alarm_decay_s : float, s
        ``τ``: decay time of the alarm's effect.
    false_causes : tuple of str
        ``"cause:weight"`` over the labels of :data:`FALSE_CAUSES` (those listed may be drawn).
    duplicate_mean : float
        Mean number of further people reporting the same event.
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
    alarm_time_s: float
    alarm_on_report: bool
    alarm_factor: float
    alarm_decay_s: float
    false_causes: tuple[str, ...]
    duplicate_mean: float

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
        require_positive(self, "alarm_decay_s")
        if not self.alarm_factor >= 1.0:
            raise ValueError(f"SightingConfig.alarm_factor must be >= 1, got {self.alarm_factor}")
        if not self.alarm_time_s >= 0 or not self.duplicate_mean >= 0:
            raise ValueError("SightingConfig: alarm_time_s and duplicate_mean must be >= 0")
        w = parse_label_table(self, "false_causes", tuple(FALSE_CAUSES), require_all=False)
        if not sum(w.values()) > 0:
            raise ValueError("SightingConfig.false_causes: the weights must sum to > 0")
        unknown = [c for c in self.seen_classes if c not in _CLASS_LABELS]
        if unknown:
            raise ValueError(
                f"SightingConfig.seen_classes: unknown class {unknown[0]!r}; "
                f"expected some of {sorted(_CLASS_LABELS)}"
            )

    def false_mean(self, a: float, b: float, alarm_t: float) -> float:
        """Mean number of false events in ``(a, b]`` (UTC epoch s), alarm at ``alarm_t``.

        ``λ_0 [(b - a) + (F - 1) τ (e^{-(a' - t_a)/τ} - e^{-(b' - t_a)/τ})]`` with
        ``a', b'`` clipped to ``>= t_a`` (no alarm: ``t_a = inf``).
        """
        lam0 = self.false_rate_per_hour / 3600.0
        base = lam0 * (b - a)
        if not np.isfinite(alarm_t) or alarm_t >= b:
            return base
        tau = self.alarm_decay_s
        a2 = max(a, alarm_t)
        boost = (self.alarm_factor - 1.0) * tau
        boost *= np.exp(-(a2 - alarm_t) / tau) - np.exp(-(b - alarm_t) / tau)
        return float(base + lam0 * boost)

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
        w = parse_label_table(c, "false_causes", tuple(FALSE_CAUSES), require_all=False)
        weights = np.array([w.get(x, 0.0) for x in FALSE_CAUSES])
        self._cause_p = weights / weights.sum()
        self.alarm_t = c.alarm_time_s if c.alarm_time_s > 0 else np.inf
        self._events = 0

    @property
    def p_report_per_window(self) -> float:
        """Probability an object in view is reported within one window."""
        return self._p_window

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Reports of things seen in the window ending at ``t`` (they arrive later)."""
        return self.observe_detail(t, scene, rng).batch

    def observe_detail(self, t: float, scene: Scene, rng: np.random.Generator) -> Observation:
        """:meth:`observe` with descriptions (visible), causes and event numbers (truth)."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        horiz = np.hypot(scene.pos[:, 0] - s[0], scene.pos[:, 1] - s[1])
        in_view = scene.alive & np.isin(scene.object_class, self._seen) & (horiz <= c.view_radius_m)
        reported = in_view & (rng.random(k) < self._p_window)
        idx = np.flatnonzero(reported)

        n_false = int(rng.poisson(c.false_mean(t - c.period_s, t, self.alarm_t)))
        rho = c.view_radius_m * np.sqrt(rng.random(n_false))
        phi = rng.uniform(0.0, 2.0 * np.pi, n_false)
        cause = rng.choice(len(FALSE_CAUSES), size=n_false, p=self._cause_p)
        # events: real ones then false ones; where each happened, and who they were
        n_ev = idx.shape[0] + n_false
        where = np.concatenate(
            [
                scene.pos[idx],
                np.column_stack(
                    [
                        s[0] + rho * np.sin(phi),
                        s[1] + rho * np.cos(phi),
                        np.full(n_false, c.false_alt_m),
                    ]
                ),
            ]
        )
        truth = np.concatenate([idx, np.full(n_false, -1)]).astype(np.int32)
        n_cls = len(ObjectClass)
        what = np.concatenate([scene.object_class[idx].astype(np.int64), n_cls + cause])
        # each event reported by 1 + Poisson(duplicate_mean) people
        n_rep = 1 + rng.poisson(c.duplicate_mean, n_ev)
        ev = np.repeat(np.arange(n_ev), n_rep)
        m = ev.shape[0]
        z = where[ev] + rng.standard_normal((m, 3)) * self._sig
        z[:, 2] = np.maximum(z[:, 2], 0.0)
        delay = rng.lognormal(self._mu_log, c.delay_log_sigma, m)
        t_rx = np.asarray(t + delay, dtype=np.float64)
        real_rows = truth[ev] >= 0
        if c.alarm_on_report and bool(real_rows.any()):
            self.alarm_t = min(self.alarm_t, float(t_rx[real_rows].min()))
        batch = DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.SIGHTING,
            z=z,
            R=np.diag(self._sig**2),
            sensor_pos=s,
            truth=truth[ev],
            t_received=t_rx,
        )
        event_no = self._events + ev.astype(np.int64)
        self._events += n_ev
        cause_row = np.where(what[ev] >= n_cls, what[ev] - n_cls + 1, 0)
        return Observation(
            batch=batch,
            attributes={"description": _DESCRIPTIONS[what[ev]]},
            truth_attributes={"cause": _CAUSES[cause_row], "event": event_no},
        )
