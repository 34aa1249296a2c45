"""Sensing speed: one hour, 500 objects, six sensors, against real time (target: >= 100x).

What is measured: the wall time of generating the truth of ``--objects`` objects over
``--hours`` hours at a 1 s tick (straight legs and orbits, vectorised over objects, one tick at a
time as a simulator would) **plus** every sensor's observations at its own period (drone radar
1 s, RF detector with Remote ID 1 s, EO/IR turret 1 s, acoustic array 1 s, ADS-B 1 s, public
sightings 10 s), each building its :class:`~dronewall.core.measurements.DetectionBatch`. The
scene is built directly (``dronewall.sensors`` only), so tracking, assessment and storage are not
in the figure. Usage::

    .venv/bin/python benchmarks/sensing_speed.py [--objects 500] [--hours 1] [--repeats 3]

Prints the machine, the load average, one line per repeat and the median speed-up over real time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import Scene, SensorSpec, build_sensors

LAT, LON = 51.1683, 5.4700  # Kleine-Brogel (GK)

SENSORS = (
    SensorSpec(id="radar", kind="radar", lat_deg=LAT, lon_deg=LON, h_m=15.0),
    SensorSpec(id="rf", kind="rf", lat_deg=LAT, lon_deg=LON, h_m=10.0, preset="rf-detector-rid"),
    SensorSpec(id="eoir", kind="eoir", lat_deg=LAT, lon_deg=LON, h_m=10.0),
    SensorSpec(id="acoustic", kind="acoustic", lat_deg=LAT, lon_deg=LON, h_m=3.0),
    SensorSpec(id="adsb", kind="adsb", lat_deg=LAT, lon_deg=LON, h_m=10.0),
    SensorSpec(id="public", kind="sightings", lat_deg=LAT, lon_deg=LON, h_m=0.0),
)


def make_objects(k: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A mixed population: drones, munitions, birds, aircraft (classes and links)."""
    cls = rng.choice(
        [
            ObjectClass.QUADCOPTER,
            ObjectClass.FPV,
            ObjectClass.FIXED_WING,
            ObjectClass.LOITERING_MUNITION,
            ObjectClass.BIRD,
            ObjectClass.LIGHT_AIRCRAFT,
            ObjectClass.AIRLINER,
        ],
        k,
        p=[0.25, 0.15, 0.05, 0.05, 0.3, 0.1, 0.1],
    ).astype(np.int8)
    rf = np.full(k, int(RfProtocol.NONE), np.int16)
    rf[cls == ObjectClass.QUADCOPTER] = int(RfProtocol.DJI_OCUSYNC)
    rf[cls == ObjectClass.FPV] = int(RfProtocol.ANALOG_FPV)
    icao = np.where(
        np.isin(cls, [ObjectClass.LIGHT_AIRCRAFT, ObjectClass.AIRLINER]),
        0x400000 + np.arange(k),
        -1,
    ).astype(np.int64)
    rcs = np.choose(
        np.minimum(cls, 7).astype(np.int64), [0.01, 0.01, 0.1, 0.3, 0.1, 0.005, 3.0, 30.0]
    )
    speed = rng.uniform(0.0, 20.0, k) + np.where(cls >= ObjectClass.LIGHT_AIRCRAFT, 60.0, 0.0)
    return {
        "cls": cls,
        "rf": rf,
        "icao": icao,
        "rcs": rcs.astype(np.float64),
        "p0": np.column_stack(
            [rng.uniform(-8000, 8000, k), rng.uniform(-8000, 8000, k), rng.uniform(20, 800, k)]
        ),
        "heading": rng.uniform(0, 2 * np.pi, k),
        "speed": speed,
        "turn": rng.choice([0.0, 0.02, -0.02], k),  # rad/s: straight legs and orbits
    }


def run_once(k: int, hours: float, seed: int) -> tuple[float, float, int]:
    rng = np.random.default_rng(seed)
    frame = LocalFrame(LAT, LON)
    sensors = build_sensors(SENSORS, frame=frame)
    rngs = [np.random.default_rng([seed, i]) for i in range(len(sensors))]
    obj = make_objects(k, rng)
    n_ticks = int(hours * 3600)
    next_t = np.array([rng.uniform(0, s.period_s) for s in sensors])
    alive = np.ones(k, bool)
    pos = obj["p0"].copy()
    n_det = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for tick in range(1, n_ticks + 1):
        t = float(tick)
        hd = obj["heading"] + obj["turn"] * t
        vel = np.column_stack([obj["speed"] * np.sin(hd), obj["speed"] * np.cos(hd), np.zeros(k)])
        pos = pos + vel  # 1 s tick
        scene = Scene(
            pos=pos,
            vel=vel,
            alive=alive,
            rcs_m2=obj["rcs"],
            rf_protocol=obj["rf"],
            icao=obj["icao"],
            object_class=obj["cls"],
        )
        for i, s in enumerate(sensors):
            while next_t[i] <= t:
                n_det += len(s.observe(float(next_t[i]), scene, rngs[i]))
                next_t[i] += s.period_s
    return time.perf_counter() - t0, time.process_time() - c0, n_det


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=500)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.objects} objects, {args.hours} h, sensors: {', '.join(s.id for s in SENSORS)}")
    speedups = []
    for r in range(args.repeats):
        wall, cpu, n = run_once(args.objects, args.hours, seed=r)
        speedups.append(args.hours * 3600.0 / wall)
        print(
            f"repeat {r}: {wall:.2f} s wall ({cpu:.2f} s CPU), {n} detections, "
            f"{speedups[-1]:.0f}x real time by wall, {args.hours * 3600.0 / cpu:.0f}x by CPU"
        )
    print(f"median: {statistics.median(speedups):.0f}x real time (target >= 100x)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
