"""The simulation: truth generated up front, detections generated tick by tick on demand.

Data layout
-----------
Ticks are ``times[k] = t0 + tick_s * (k + 1)``, ``k = 0 .. T-1``; tick ``k`` covers the window
``(times[k] - tick_s, times[k]]``. :attr:`Simulation.truth` is a
:class:`~dronewall.sim.truth.TruthTable` on those ticks; :attr:`Simulation.sensors` is the run's
sensor table (a tuple of :class:`~dronewall.sensors.base.SensorInfo`, indexed by
``DetectionBatch.sensor``).

Timing
------
Each sensor observes at its own times ``t0 + φ + n · period_s`` (a random phase ``φ`` per sensor):
radars at their scan period, the ADS-B receiver and RF detectors at their update period, sighting
reports at the end of each reporting window. An observation at ``t`` inside window ``k`` sees the
truth extrapolated from tick ``k``: ``pos(t) = pos[k] + vel[k] (t - times[k])`` (exact on straight
legs, within a tick's turn otherwise), and only objects alive at tick ``k`` and not killed before
``t``. Every detection is filed under the window of its *arrival* ``t_received``: immediate for
instruments, minutes later for human sightings, so :meth:`Simulation.sense` returns a sighting in
the window it reaches the system, with ``t`` still the time it was seen.

Randomness and reproducibility
------------------------------
Windows are generated lazily and strictly in order (``sense(k)`` generates every window up to
``k`` once and caches the result), so the draws do not depend on the order of calls. Each sensor
and each object group draws from its own generator, seeded from ``seed`` and a stable hash of its
id: the same seed gives identical detections, and adding a sensor or an object leaves the draws of
the others unchanged. :meth:`Simulation.kill` acts on windows not generated yet: call it as soon
as the kill happens (before sensing later ticks).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from dronewall.core.measurements import F64, DetectionBatch
from dronewall.geo.frames import LocalFrame
from dronewall.sensors.base import Scene, Sensor, SensorInfo
from dronewall.sensors.factory import build_sensors
from dronewall.sim.behaviours import fly, stable_key
from dronewall.sim.scenario import Scenario
from dronewall.sim.truth import TruthTable
from dronewall.world.catalogue import World
from dronewall.world.load import load_world

_SENSOR_STREAM = 1
_OBJECT_STREAM = 2
_EPS = 1e-9


def child_rng(seed: int, stream: int, name: str) -> np.random.Generator:
    """The independent generator of stream ``stream`` (sensors, objects) and id ``name``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, stable_key(name))))


class Simulation:
    """Truth and sensor detections of a scenario.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        The world model (object types are already resolved in ``scenario``; kept for callers that
        need the catalogue). ``None`` loads the packaged one.
    seed
        Seed of every random draw of the run.

    Attributes
    ----------
    times : (T,) float
        Tick times, UTC epoch s.
    truth : TruthTable
    sensors : tuple of SensorInfo
        The run's sensor table; ``sensors[i].pos_enu`` is sensor ``i``'s position.
    models : tuple of Sensor
        The sensor models, in the same order.
    """

    def __init__(self, scenario: Scenario, world: World | None = None, seed: int = 0) -> None:
        self.scenario = scenario
        self.world = load_world() if world is None else world
        self.seed = int(seed)
        self.frame: LocalFrame = scenario.frame
        self.tick_s = scenario.tick_s
        n = scenario.n_ticks
        tau = scenario.tick_s * np.arange(1, n + 1, dtype=np.float64)
        self.times: F64 = scenario.t0 + tau
        flights = [
            fly(spec, tau, self.frame, child_rng(self.seed, _OBJECT_STREAM, spec.id))
            for spec in scenario.objects
        ]
        self.truth = TruthTable.from_flights(self.times, flights)
        self.models: tuple[Sensor, ...] = build_sensors(
            scenario.sensors, frame=self.frame, night=scenario.night
        )
        self.sensors: tuple[SensorInfo, ...] = tuple(m.info for m in self.models)
        self._rngs = [child_rng(self.seed, _SENSOR_STREAM, m.info.id) for m in self.models]
        self._phase = np.array(
            [rng.uniform(0.0, m.period_s) for m, rng in zip(self.models, self._rngs, strict=True)]
        )
        self._kill_t = np.full(len(self.truth), np.inf)

        self._generated = 0  # windows 0 .. _generated-1 are generated
        self._inbox: defaultdict[int, list[DetectionBatch]] = defaultdict(list)

    @property
    def n_ticks(self) -> int:
        return int(self.times.shape[0])

    def sense(self, k: int) -> DetectionBatch:
        """All detections *received* in ``(times[k] - tick_s, times[k]]``, ascending ``t``."""
        if not 0 <= k < self.n_ticks:
            raise IndexError(f"tick {k} outside 0 .. {self.n_ticks - 1}")
        while self._generated <= k:
            self._generate(self._generated)
            self._generated += 1
        return DetectionBatch.concat(self._inbox.get(k, [])).sorted_by_time()

    def kill(self, obj: int, t: float) -> None:
        """Destroy object ``obj`` at ``t`` (UTC epoch s): not alive, never seen from ``t`` on."""
        if not 0 <= obj < len(self.truth):
            raise IndexError(f"object {obj} outside 0 .. {len(self.truth) - 1}")
        self._kill_t[obj] = min(self._kill_t[obj], float(t))
        self.truth.alive[self.times >= t, obj] = False

    def scene_at(self, k: int, t: float) -> Scene:
        """Truth at ``t`` inside window ``k``, extrapolated from tick ``k``."""
        tr = self.truth
        dt = t - float(self.times[k])
        return Scene(
            pos=tr.pos[k] + tr.vel[k] * dt,
            vel=tr.vel[k],
            alive=tr.alive[k] & (t < self._kill_t),
            rcs_m2=tr.rcs_m2,
            rf_protocol=tr.rf_protocol,
            icao=tr.icao,
            object_class=tr.object_class,
            remote_id=tr.remote_id,
        )

    def _generate(self, k: int) -> None:
        t0, tick = self.scenario.t0, self.tick_s
        lo, hi = tick * k, tick * (k + 1)  # window (lo, hi] in seconds after t0
        for i, model in enumerate(self.models):
            period, phase = model.period_s, float(self._phase[i])
            n_first = math.floor((lo - phase) / period + _EPS) + 1
            n_last = math.floor((hi - phase) / period + _EPS)
            for n in range(max(n_first, 0), n_last + 1):
                t = t0 + (phase + n * period)
                det = model.observe(t, self.scene_at(k, t), self._rngs[i])
                if len(det) == 0:
                    continue
                # epoch seconds carry ~1e-7 s of rounding: a tolerance of a microsecond per tick
                rx = np.ceil((det.t_received - t0) / tick - 1e-6).astype(np.int64) - 1
                rx = np.where(det.t_received > det.t, np.maximum(rx, k), k)
                if bool(np.all(rx == k)):
                    self._inbox[k].append(det)
                    continue
                for w in np.unique(rx):
                    self._inbox[int(w)].append(det.select(rx == w))
