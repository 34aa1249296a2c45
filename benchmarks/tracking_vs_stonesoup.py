"""Tracking quality and speed: our ``MultiSensorTracker`` against Stone Soup's GNN and JPDA.

Issue 3 (benchmark part). One run simulates every scenario with Stone Soup's own simulators
(seeded), feeds the same detections to three trackers and scores them all with the same GOSPA::

    .venv/bin/pip install -e '.[bench]'                  # Stone Soup, MIT licence, benchmarks only
    .venv/bin/python benchmarks/tracking_vs_stonesoup.py --quick          # smoke, ~1 min
    .venv/bin/python benchmarks/tracking_vs_stonesoup.py --probes --update-results  # ~25 min
    .venv/bin/python benchmarks/tracking_vs_stonesoup.py --probes --update-results \\
        --scenarios manoeuvring,manoeuvring-fpv --block manoeuvring   # quality, ~3 min

(``--compat-3d`` for a tracker that drops rows with non-finite ``z``, see below.)

The results go to ``benchmarks/tracking/tracking_vs_stonesoup.md`` (``--out``) and, with
``--update-results``, between the markers of the "Tracking vs Stone Soup" section of
``benchmarks/RESULTS.md`` (text after the end marker is kept). To measure a fixed commit while the
tracker is being edited, export it and put it first on the path:
``git archive HEAD src | tar -x -C /tmp/dw && PYTHONPATH=/tmp/dw/src .venv/bin/python ...``.

Scenarios (2-D, 1 s scans unless said, ENU metres with x = east, y = north, sensor at the origin)
--------------------------------------------------------------------------------------------------
``cv-10``, ``cv-100``, ``cv-1000``
    Nearly-constant-velocity targets (Stone Soup ``MultiTargetGroundTruthSimulator``, ``q`` = 0.1
    m²/s³) starting uniformly in a 10 km x 10 km square (a counter-drone radar picture of ±5 km),
    speed 5-30 m/s, random heading; targets die with probability 0.002 per scan and are born at the
    same rate (the count stays near N). Detections from ``SimpleDetectionSimulator`` with a
    ``LinearGaussian`` position model (σ = 10 m per axis), ``P_D`` = 0.9 and uniform clutter of
    1 per km² per scan (100 per scan).
``cv-10000``
    Our tracker only (scaling): as above with 10,000 targets in a 31.6 km square (the same 10
    targets and 1 clutter plot per km² as ``cv-1000``, 1,000 clutter plots per scan); at most 30
    scans, because Stone Soup's simulator costs ~1 ms per target and scan.
``polar``
    A 2-D radar at the origin (``CartesianToBearingRange``: σ_range = 10 m, σ_bearing = 0.5°),
    20 targets between 0.5 and 4.5 km, ``P_D`` = 0.9, 100 clutter plots per scan uniform in
    bearing (360°) and range (0.3-5 km).
``crossing``
    12 targets in 4 groups of 3 whose straight paths cross within a few metres of a common point at
    the middle of the run, crossing angles 12-20°, speeds 10-20 m/s (``q`` = 0.01 m²/s³); position
    sensor as ``cv``.
``manoeuvring``
    20 small drones with a truth generated here (Stone Soup has no hover model): cruise legs
    (5-30 m/s), coordinated turns (lateral acceleration 2-5 m/s², 45-180° heading changes) and
    hover-like stops (braking at 2-4 m/s² to < 1 m/s, 3-8 s on the spot, accelerating again on a
    new heading); detected by Stone Soup's ``SimpleDetectionSimulator`` as ``cv``.
``manoeuvring-fpv``
    20 FPV drones seen by a rotating radar every 2 s (``FPV_MANOEUVRES``, every number an argued
    assumption): straight legs of 15-45 s at 15-40 m/s, hard coordinated turns at 10-20 m/s²
    lateral (45-180°), and stops (brake and accelerate at 5-10 m/s², hold 5-20 s); detected as
    ``cv``. Stone Soup's filters and our NCV probes take the best q of our NCV sweep (``Q_FPV``);
    a confirmed track still dies at its 4th missed scan (``confirmed_max_coast_s`` 7 s).
``manoeuvring-switch`` (``manoeuvring-switch-w<ω>``)
    Manoeuvring targets from Stone Soup's own ``SwitchMultiTargetGroundTruthSimulator``: 20
    targets (speed 5-30 m/s, random heading, no births or deaths) that switch, as a Markov chain
    sampled every scan, between nearly constant velocity and Stone Soup's ``KnownTurnRate`` at
    ``+ω`` and ``-ω`` (all three with noise ``SWITCH_Q`` m²/s³): a straight leg lasts 20 s on
    average (stay probability 0.95), a turn 10 s (0.9), so a turn changes the heading by about
    ``10 ω`` rad. ``ω`` = ``SWITCH_TURN_RATE`` (0.6 rad/s) unless the name gives it
    (``manoeuvring-switch-w1.0``). Detected as ``cv``. Not in the default run: the IMM-against-CV
    experiment ``benchmarks/tracking/imm_gating.py`` uses it.

The IMM against constant velocity alone (``--probes``, manoeuvring scenarios): our tracker with
``motion_model="ncv"`` at every q_h of ``NCV_SWEEP`` (same detections, initiator, association and
track management) and with a richer IMM (probe ``imm-bank``); the report's table names the best
NCV. ``benchmarks/tracking/imm_gating.py`` repeats this over several seeds, with and without the
mixture gating the tracker does not have yet.

Conventions of the export to ``DetectionBatch`` (one batch per scan, ``sensor`` 0)
------------------------------------------------------------------------------
* 2-D positions: kind ``POSITION``, ``z = (east, north, NaN)`` (up not measured), ``R[:2, :2]`` from
  the Stone Soup model, the up row and column of ``R`` zero (as the detection file reader makes
  them).
* 2-D radar plots: kind ``POLAR``, ``z = (range, azimuth, NaN)`` with the azimuth clockwise from
  north in ``[0, 2π)``. Stone Soup's bearing ``φ = atan2(north, east)`` is counter-clockwise from
  east, so ``azimuth = π/2 − φ`` (wrapped); ``var(azimuth) = var(φ)``,
  ``cov(range, azimuth) = −cov(range, φ)``. ``sensor_pos`` is the radar position; the elevation
  row and column of ``R`` are zero.
* ``--compat-3d`` (for trackers that drop rows with non-finite ``z``): positions get ``up = 0`` with
  ``R[2, 2] = 1 m²``; polar plots become positions ``e = r sin az, n = r cos az`` with the
  covariance ``J R Jᵀ``, ``J = ∂(e, n)/∂(r, az) = [[sin az, r cos az], [cos az, −r sin az]]`` (no
  debiasing: the bias ``r σ_az²/2`` is under 0.2 m here).

Scoring
-------
GOSPA (α = 2, ``c`` = 100 m, ``p`` = 2) from :func:`dronewall.metrics.gospa` on 2-D positions, at
every scan, against the confirmed tracks only (ours: ``TrackTable.confirmed``; Stone Soup: the
tracker's ``tracks``, which its ``MultiMeasurementInitiator`` releases once confirmed), averaged
over all scans including the start-up. Time per scan is ``time.perf_counter`` around the tracker's
own work (ours: ``step`` + ``snapshot``; Stone Soup: ``update_tracker``), not the simulation, the
export or the scoring. BLAS/OpenMP are limited to one thread (set below, before numpy is imported).

Detections are also written as JSON Lines (final convention) with
``dronewall.formats.detections.write_detections`` when that module exists (``--detections-dir``).
"""

from __future__ import annotations

import os

# One core: must be set before numpy (and anything using BLAS) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import importlib  # noqa: E402
import importlib.metadata  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

from dronewall.core.measurements import DetectionBatch, MeasurementKind  # noqa: E402
from dronewall.metrics.gospa import GospaResult, gospa, mean_gospa  # noqa: E402
from dronewall.tracking.imm import drone_imm  # noqa: E402
from dronewall.tracking.tracker import MultiSensorTracker, TrackerConfig  # noqa: E402

# --------------------------------------------------------------------------- parameters

SCAN_S = 1.0  # scan period, s
FPV_SCAN_S = 2.0  # scan period of manoeuvring-fpv, s (see FPV_MANOEUVRES)
HALF_SIDE_M = 5_000.0  # the cv square is ±5 km ...
DENSITY_PER_KM2 = 10.0  # ... and grows beyond 1,000 targets to keep 10 targets per km²
CLUTTER_PER_KM2 = 1.0  # clutter plots per km² per scan (position sensor)
SIGMA_POS_M = 10.0  # position sensor noise per axis
P_D = 0.9
Q_CV = 0.1  # m²/s³, truth and filter of the cv and polar scenarios
Q_CROSSING = 0.01  # m²/s³, truth and filter of the crossing scenario
Q_MANOEUVRING = 9.0  # m²/s³, filter of the manoeuvring scenario (≈ (3 m/s²)² · 1 s)
Q_FPV = 50.0  # m²/s³, Stone Soup's filter on manoeuvring-fpv: the best q of our NCV sweep there
SPEED_MIN, SPEED_MAX = 5.0, 30.0  # m/s, small drones
SWITCH_TURN_RATE = 0.6  # rad/s, ω of manoeuvring-switch (see make_switching)
SWITCH_Q = 0.5  # m²/s³, noise of each of its truth models
SWITCH_STAY = (0.95, 0.9)  # per scan: P(stay straight), P(stay in a turn)
DEATH_P = 0.002  # per scan (cv)
RADAR_SIGMA_RANGE_M = 10.0
RADAR_SIGMA_BEARING_RAD = math.radians(0.5)
RADAR_RANGE_M = (300.0, 5_000.0)  # clutter range interval
RADAR_CLUTTER_PER_SCAN = 100.0
SCALING_MAX_SCANS = 30  # scans of cv-10000 (ours only)
GOSPA_C_M = 100.0
GOSPA_P = 2.0

# Stone Soup trackers (both): the true motion and measurement models of each scenario, and
STONESOUP_INIT_VEL_STD = 20.0  # m/s: prior velocity of a new track (speeds 5-30 m/s)
STONESOUP_MIN_POINTS = 3  # updates before MultiMeasurementInitiator releases a track (ours: 3 of 5)
STONESOUP_HOLD_STEPS = 2  # initiator's UpdateTimeStepsDeleter: a holding track dies at 2 misses
STONESOUP_DELETE_STEPS = 4  # confirmed tracks: UpdateTimeStepsDeleter(4) or ...
STONESOUP_DELETE_POS_STD = 250.0  # ... CovarianceBasedDeleter on sqrt(tr P_pos) > 250 m (as ours)
STONESOUP_GNN_MISSED_DISTANCE = 3.0  # Mahalanobis gate of DistanceHypothesiser (tutorial value)
STONESOUP_PDA_GATE = 0.99  # PDAHypothesiser.prob_gate (χ², 2 dof)
STONESOUP_KDTREE_RADIUS = 500.0  # candidate pre-filter radius in measurement space, see below

# Our tracker, per scenario: TrackerConfig keyword arguments, the true models (NCV where the truth
# is NCV; P_D; clutter density). Keys that the TrackerConfig in use does not know or refuses are
# dropped and the report says which configuration ran. Clutter: ``clutter_density_2d`` (m⁻²) is
# what the final convention's 2-D rows use (polar plots through the range); ``clutter_density``
# (m⁻³) is what --compat-3d rows (z_up = 0, R_up = 1 m²) use: their up component adds about
# ln(2π e S_uu), S_uu ≈ 1.5 m², to every pair cost, which λ₃ = λ₂ / 5 matches. For the radar both
# are the mean over the disc: the true density of plots uniform in (bearing, range) falls as
# 1/range, which one constant cannot say.
_LAMBDA_2D = CLUTTER_PER_KM2 * 1e-6  # m⁻²
_RADAR_LAMBDA_2D = RADAR_CLUTTER_PER_SCAN / (
    math.pi * (RADAR_RANGE_M[1] ** 2 - RADAR_RANGE_M[0] ** 2)
)
_COMMON: dict[str, Any] = {
    "associator": "gnn",
    # Track management for these benchmarks (the tracker's drone defaults are M-of-N 3/5 and a
    # coast limit of min(15 s, 2 s per hit), meant for sensors with P_D well below 0.9; the
    # "defaults" probe below measures them here). The sequential track-score test at a false
    # track probability α = 1e-3 and miss probability β = 0.1: ln((1 - β)/α) = 6.9. A confirmed
    # track is deleted at its 4th missed scan in a row, as Stone Soup's UpdateTimeStepsDeleter(4)
    # does (coast > 3.5 s at 1 s scans).
    "initiator": "llr",
    "llr_confirm": 6.9,
    "confirmed_max_coast_s": 3.5,
    "detection_probability": P_D,
    "init_velocity_std_horizontal": STONESOUP_INIT_VEL_STD,
    "init_velocity_std_vertical": 1.0,
    "q_vertical": 0.01,
    "max_speed": 50.0,
    "clutter_density_2d": _LAMBDA_2D,
    "clutter_density": _LAMBDA_2D / 5,
}
OUR_CONFIG: dict[str, dict[str, Any]] = {
    "cv": {**_COMMON, "motion_model": "ncv", "q_horizontal": Q_CV},
    "polar": {
        **_COMMON,
        "motion_model": "ncv",
        "q_horizontal": Q_CV,
        "clutter_density_2d": _RADAR_LAMBDA_2D,
        "clutter_density": _RADAR_LAMBDA_2D / 5,
    },
    "crossing": {**_COMMON, "motion_model": "ncv", "q_horizontal": Q_CROSSING},
    # The drone IMM (cruise, turns, hover) with the same manoeuvre noise as the NCV peers.
    "manoeuvring": {**_COMMON, "motion_model": "imm", "q_horizontal": Q_MANOEUVRING},
    # Stone Soup's switching truth: the same filter as the manoeuvring drones
    "manoeuvring-switch": {**_COMMON, "motion_model": "imm", "q_horizontal": Q_MANOEUVRING},
    # 2 s scans: a confirmed track still dies at its 4th missed scan in a row
    "manoeuvring-fpv": {
        **_COMMON,
        "motion_model": "imm",
        "q_horizontal": Q_FPV,
        "confirmed_max_coast_s": 3.5 * FPV_SCAN_S,
    },
}

# --probes: extra runs of our tracker with these overrides of OUR_CONFIG, to see in the same run
# what another choice would buy. Rows "ours, probe <name>". A probe whose overrides leave a
# scenario's configuration unchanged is not run for it; "_families" limits a probe to some.
MANOEUVRING = ("manoeuvring", "manoeuvring-fpv", "manoeuvring-switch")
NCV_SWEEP = (0.5, 2.0, 4.0, 9.0, 16.0, 25.0, 50.0, 100.0, 200.0)  # m²/s³
IMM_BANK_RATES = (0.2, 0.5, 1.0)  # rad/s
OUR_PROBES: dict[str, dict[str, Any]] = {
    # the tracker's own track-management defaults
    "defaults": {"initiator": "mofn", "llr_confirm": 9.1, "confirmed_max_coast_s": 15.0},
    "jpda": {"associator": "jpda", "gate_probability": 0.99},
    "imm": {"motion_model": "imm", "_families": ("cv", "crossing")},
    # A richer drone IMM (not yet selectable in TrackerConfig: given to the tracker's constructor):
    # three turn rates a side, a manoeuvre NCV at 4x the manoeuvre noise, shorter sojourns (10 s
    # cruise and hover, 4 s the rest: chosen on seeds 0-3 of the manoeuvring scenarios).
    "imm-bank": {
        "_imm": lambda c: drone_imm(
            turn_rates=IMM_BANK_RATES,
            q_horizontal=c.q_horizontal,
            q_vertical=c.q_vertical,
            manoeuvre_q_horizontal=4.0 * c.q_horizontal,
            mean_sojourn_s=(10.0, *[4.0] * (2 * len(IMM_BANK_RATES) + 1), 10.0),
        ),
        "_families": MANOEUVRING,
        "_doc": (
            f"drone_imm(turn_rates={IMM_BANK_RATES}, manoeuvre_q_horizontal=4 q_horizontal, "
            "mean_sojourn_s=(10, 4, ..., 4, 10)) given to MultiSensorTracker(imm=...)"
        ),
    },
    # The IMM against constant velocity alone: one NCV per q_h of this sweep (the same
    # initiator, association and track management); the report names the best.
    **{
        f"ncv-q{q:g}": {"motion_model": "ncv", "q_horizontal": q, "_families": MANOEUVRING}
        for q in NCV_SWEEP
    },
}

OURS = "dronewall MultiSensorTracker"
SECTION_TITLE = "## Tracking vs Stone Soup"
BEGIN_MARK = "<!-- tracking_vs_stonesoup.py: begin generated -->"
END_MARK = "<!-- tracking_vs_stonesoup.py: end generated -->"
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
FILE_FRAME_LLA = (50.85, 4.35, 0.0)  # nominal ENU origin written to the JSON Lines files
SENSOR_ID = "stonesoup-sim"
EPOCH0 = START.timestamp()


# --------------------------------------------------------------------------- scenarios


@dataclasses.dataclass(kw_only=True)
class Scenario:
    """Simulated truth and detections of one scenario, in Stone Soup objects and as our batches."""

    name: str
    family: str  # key of OUR_CONFIG
    description: str
    n_targets: int
    polar: bool
    q: float  # NCV noise density given to the Stone Soup filters, m²/s³
    measurement_model: Any
    clutter_spatial_density: float  # Stone Soup units (per m² or per rad·m)
    clutter_rate: float
    times: list[datetime.datetime]
    detections: list[set[Any]]  # Stone Soup detections per scan
    truth_xy: list[np.ndarray]  # (K, 2) true positions per scan
    truth_of: dict[int, int]  # id(GroundTruthPath) -> index
    stonesoup: bool = True
    sim_s: float = 0.0
    scan_s: float = SCAN_S

    @property
    def n_detections(self) -> int:
        return sum(len(d) for d in self.detections)


def _seed(base: int, name: str) -> int:
    return int(np.random.SeedSequence([base, *name.encode()]).generate_state(1)[0])


def _cartesian_model(seed: int) -> Any:
    from stonesoup.models.measurement.linear import LinearGaussian

    return LinearGaussian(
        ndim_state=4, mapping=(0, 2), noise_covar=np.diag([SIGMA_POS_M**2] * 2), seed=seed
    )


def _cv_transition(q: float, seed: int) -> Any:
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )

    return CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(q), ConstantVelocity(q)], seed=seed
    )


def _random_states(rng: np.random.Generator, n: int, half: float) -> list[Any]:
    from stonesoup.types.array import StateVector

    pos = rng.uniform(-half, half, (n, 2))
    speed = rng.uniform(SPEED_MIN, SPEED_MAX, n)
    heading = rng.uniform(0.0, 2 * math.pi, n)
    return [
        StateVector([p[0], s * math.cos(h), p[1], s * math.sin(h)])
        for p, s, h in zip(pos, speed, heading, strict=True)
    ]


def _detect(
    truth_sim: Any,
    *,
    measurement_model: Any,
    meas_range: np.ndarray,
    clutter_rate: float,
    seed: int,
) -> tuple[list[datetime.datetime], list[set[Any]], list[np.ndarray], dict[int, int], float]:
    """Run Stone Soup's ``SimpleDetectionSimulator`` over ``truth_sim``; record truth per scan."""
    from stonesoup.simulator.simple import SimpleDetectionSimulator

    sim = SimpleDetectionSimulator(
        groundtruth=truth_sim,
        measurement_model=measurement_model,
        meas_range=meas_range,
        detection_probability=P_D,
        clutter_rate=clutter_rate,
        seed=seed,
    )
    times, dets, truth_xy = [], [], []
    truth_of: dict[int, int] = {}
    for t, scan in sim:
        _, paths = truth_sim.current
        xy = np.array([[p[-1].state_vector[0, 0], p[-1].state_vector[2, 0]] for p in paths])
        for p in paths:
            truth_of.setdefault(id(p), len(truth_of))
        times.append(t)
        dets.append(set(scan))
        truth_xy.append(xy.reshape(-1, 2))
    return times, dets, truth_xy, truth_of, sim.clutter_spatial_density


class _Detected(NamedTuple):
    """What :func:`_detect_in_square` returns."""

    model: Any  # the LinearGaussian position model
    clutter_rate: float  # clutter plots per scan
    times: list[datetime.datetime]
    dets: list[set[Any]]
    xy: list[np.ndarray]
    truth_of: dict[int, int]
    lam: float  # Stone Soup's clutter spatial density

    def scenario_fields(self) -> dict[str, Any]:
        """The :class:`Scenario` fields these detections fill."""
        return {
            "measurement_model": self.model,
            "clutter_spatial_density": self.lam,
            "clutter_rate": self.clutter_rate,
            "times": self.times,
            "detections": self.dets,
            "truth_xy": self.xy,
            "truth_of": self.truth_of,
        }


def _detect_in_square(truth_sim: Any, name: str, seed: int, half: float) -> _Detected:
    """Detect ``truth_sim`` with the position sensor (σ ``SIGMA_POS_M``, ``P_D``) and uniform
    clutter of ``CLUTTER_PER_KM2`` in the square ``±half`` m; seeds derived from ``name``."""
    clutter_rate = CLUTTER_PER_KM2 * (2 * half / 1e3) ** 2
    model = _cartesian_model(_seed(seed, name + "z"))
    times, dets, xy, truth_of, lam = _detect(
        truth_sim,
        measurement_model=model,
        meas_range=np.array([[-half, half], [-half, half]]),
        clutter_rate=clutter_rate,
        seed=_seed(seed, name + "d"),
    )
    return _Detected(model, clutter_rate, times, dets, xy, truth_of, lam)


def make_cv(n: int, n_scans: int, seed: int) -> Scenario:
    from stonesoup.simulator.simple import MultiTargetGroundTruthSimulator
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.state import GaussianState

    name = f"cv-{n}"
    half = HALF_SIDE_M * max(1.0, math.sqrt(n / (DENSITY_PER_KM2 * (2 * HALF_SIDE_M / 1e3) ** 2)))
    rng = np.random.default_rng(_seed(seed, name))
    truth_sim = MultiTargetGroundTruthSimulator(
        transition_model=_cv_transition(Q_CV, _seed(seed, name + "q")),
        initial_state=GaussianState(  # births: anywhere in the square's centre half, ~15 m/s
            StateVector([0, 0, 0, 0]),
            CovarianceMatrix(np.diag([(half / 2) ** 2, 12.0**2, (half / 2) ** 2, 12.0**2])),
            timestamp=START,
        ),
        timestep=datetime.timedelta(seconds=SCAN_S),
        number_steps=n_scans,
        birth_rate=n * DEATH_P,
        death_probability=DEATH_P,
        preexisting_states=_random_states(rng, n, half * 0.9),
        seed=_seed(seed, name + "gt"),
    )
    t0 = time.perf_counter()
    d = _detect_in_square(truth_sim, name, seed, half)
    return Scenario(
        name=name,
        family="cv",
        description=(
            f"{n} NCV targets (q {Q_CV} m²/s³, 5-30 m/s) in {2 * half / 1e3:.1f} km square, "
            f"births/deaths {DEATH_P}/scan; σ {SIGMA_POS_M:.0f} m, P_D {P_D}, "
            f"clutter {d.clutter_rate:.0f}/scan"
        ),
        n_targets=n,
        polar=False,
        q=Q_CV,
        **d.scenario_fields(),
        stonesoup=n <= 1000,
        sim_s=time.perf_counter() - t0,
    )


def make_polar(n: int, n_scans: int, seed: int) -> Scenario:
    from stonesoup.models.measurement.nonlinear import CartesianToBearingRange
    from stonesoup.simulator.simple import MultiTargetGroundTruthSimulator
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.state import GaussianState

    name = "polar"
    rng = np.random.default_rng(_seed(seed, name))
    r = np.sqrt(rng.uniform(500.0**2, 4_500.0**2, n))  # uniform over the annulus
    b = rng.uniform(0, 2 * math.pi, n)
    states = _random_states(rng, n, 1.0)
    for s, ri, bi in zip(states, r, b, strict=True):
        s[0, 0], s[2, 0] = ri * math.cos(bi), ri * math.sin(bi)
    truth_sim = MultiTargetGroundTruthSimulator(
        transition_model=_cv_transition(Q_CV, _seed(seed, name + "q")),
        initial_state=GaussianState(
            StateVector([0, 0, 0, 0]), CovarianceMatrix(np.eye(4)), timestamp=START
        ),
        timestep=datetime.timedelta(seconds=SCAN_S),
        number_steps=n_scans,
        birth_rate=0.0,
        death_probability=0.0,
        preexisting_states=states,
        seed=_seed(seed, name + "gt"),
    )
    model = CartesianToBearingRange(
        ndim_state=4,
        mapping=(0, 2),
        noise_covar=np.diag([RADAR_SIGMA_BEARING_RAD**2, RADAR_SIGMA_RANGE_M**2]),
        translation_offset=StateVector([0.0, 0.0]),
        seed=_seed(seed, name + "z"),
    )
    t0 = time.perf_counter()
    times, dets, xy, truth_of, lam = _detect(
        truth_sim,
        measurement_model=model,
        meas_range=np.array([[-math.pi, math.pi], list(RADAR_RANGE_M)]),
        clutter_rate=RADAR_CLUTTER_PER_SCAN,
        seed=_seed(seed, name + "d"),
    )
    return Scenario(
        name=name,
        family="polar",
        description=(
            f"2-D radar (CartesianToBearingRange σ_r {RADAR_SIGMA_RANGE_M:.0f} m, σ_b "
            f"{math.degrees(RADAR_SIGMA_BEARING_RAD):.1f}°), {n} NCV targets at 0.5-4.5 km, "
            f"P_D {P_D}, clutter {RADAR_CLUTTER_PER_SCAN:.0f}/scan uniform in bearing and "
            f"{RADAR_RANGE_M[0] / 1e3:.1f}-{RADAR_RANGE_M[1] / 1e3:.0f} km range"
        ),
        n_targets=n,
        polar=True,
        q=Q_CV,
        measurement_model=model,
        clutter_spatial_density=lam,
        clutter_rate=RADAR_CLUTTER_PER_SCAN,
        times=times,
        detections=dets,
        truth_xy=xy,
        truth_of=truth_of,
        sim_s=time.perf_counter() - t0,
    )


def make_crossing(n_groups: int, n_scans: int, seed: int) -> Scenario:
    from stonesoup.simulator.simple import MultiTargetGroundTruthSimulator
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.state import GaussianState

    name = "crossing"
    rng = np.random.default_rng(_seed(seed, name))
    t_cross = SCAN_S * (n_scans // 2)
    states = []
    for g in range(n_groups):
        # Groups 2.5 km apart on a circle; inside a group 3 paths through one point, 12-20° apart.
        centre = 2_500.0 * np.array(
            [math.cos(2 * math.pi * g / n_groups), math.sin(2 * math.pi * g / n_groups)]
        )
        heading = rng.uniform(0, 2 * math.pi)
        for k in range(3):
            h = heading + k * math.radians(rng.uniform(12.0, 20.0))
            speed = rng.uniform(10.0, 20.0)
            v = speed * np.array([math.cos(h), math.sin(h)])
            p = centre + rng.normal(0.0, 3.0, 2) - v * t_cross
            states.append(StateVector([p[0], v[0], p[1], v[1]]))
    truth_sim = MultiTargetGroundTruthSimulator(
        transition_model=_cv_transition(Q_CROSSING, _seed(seed, name + "q")),
        initial_state=GaussianState(
            StateVector([0, 0, 0, 0]), CovarianceMatrix(np.eye(4)), timestamp=START
        ),
        timestep=datetime.timedelta(seconds=SCAN_S),
        number_steps=n_scans,
        birth_rate=0.0,
        death_probability=0.0,
        preexisting_states=states,
        seed=_seed(seed, name + "gt"),
    )
    t0 = time.perf_counter()
    d = _detect_in_square(truth_sim, name, seed, HALF_SIDE_M)
    return Scenario(
        name=name,
        family="crossing",
        description=(
            f"{3 * n_groups} targets in {n_groups} groups of 3 crossing one point at t = "
            f"{t_cross:.0f} s, 12-20° apart, 10-20 m/s (q {Q_CROSSING} m²/s³); σ "
            f"{SIGMA_POS_M:.0f} m, P_D {P_D}, clutter {d.clutter_rate:.0f}/scan"
        ),
        n_targets=3 * n_groups,
        polar=False,
        q=Q_CROSSING,
        **d.scenario_fields(),
        sim_s=time.perf_counter() - t0,
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Manoeuvres:
    """How the simulated drones of :func:`manoeuvring_truth` fly (ranges are uniform draws).

    The defaults are the ``manoeuvring`` scenario; :data:`FPV_MANOEUVRES` is ``manoeuvring-fpv``.
    """

    scan_s: float = SCAN_S  # s, sampling period of the returned states
    speed: tuple[float, float] = (SPEED_MIN, SPEED_MAX)  # m/s, cruise speed
    cruise_s: tuple[float, float] = (4.0, 12.0)  # s, length of a straight leg
    turn_p: float = 0.6  # probability that a straight leg ends in a turn (else a stop)
    lateral: tuple[float, float] = (2.0, 5.0)  # m/s², lateral acceleration in a turn
    turn_deg: tuple[float, float] = (45.0, 180.0)  # heading change of one turn
    brake: tuple[float, float] = (2.0, 4.0)  # m/s², braking into a stop
    hold_s: tuple[float, float] = (3.0, 8.0)  # s, time on the spot
    accelerate: tuple[float, float] = (2.0, 4.0)  # m/s², after a stop, to a new cruise speed


#: ``manoeuvring-fpv``: the revisit of a rotating drone radar and how FPV drones fly. Every number
#: is an ASSUMPTION argued here, not a measurement:
#: * scan every 2 s: rotating counter-drone surveillance radars turn at 15-60 rpm (1-4 s revisit);
#:   30 rpm is taken. Sensor noise, P_D and clutter as in the other scenarios.
#: * cruise 15-40 m/s (54-144 km/h): FPV strike drones transit at 50-150 km/h.
#: * straight legs of 15-45 s: a drone flies to its target or waypoint in transit legs of a few
#:   hundred metres to km, and manoeuvres between them (the ``manoeuvring`` scenario's 4-12 s legs,
#:   manoeuvring over half the time, are the extreme of a drone that never flies straight).
#: * turns at 10-20 m/s² lateral (1-2 g), 45-180°: a 5-inch FPV quad has a thrust-to-weight ratio
#:   of 8-14 empty (https://fpvhandbook.com/fundamentals/physics-of-flight); loaded with a
#:   payload, 2-2.3, which still allows a level turn at g·sqrt(TWR² − 1) = 17-20 m/s².
#: * 30 % of legs end in a stop (brake at 5-10 m/s², hold 5-20 s, accelerate at 5-10 m/s² on a
#:   new heading): a drone that stops to search for or wait over its target.
FPV_MANOEUVRES = Manoeuvres(
    scan_s=FPV_SCAN_S,
    speed=(15.0, 40.0),
    cruise_s=(15.0, 45.0),
    turn_p=0.7,
    lateral=(10.0, 20.0),
    turn_deg=(45.0, 180.0),
    brake=(5.0, 10.0),
    hold_s=(5.0, 20.0),
    accelerate=(5.0, 10.0),
)


def manoeuvring_truth(
    n: int, n_scans: int, rng: np.random.Generator, m: Manoeuvres | None = None
) -> np.ndarray:
    """``(n_scans, n, 4)`` states ``(x, vx, y, vy)`` of drones that cruise, turn and hover.

    Integrated at 0.05 s. Modes (ranges from ``m``; defaults in brackets): cruise [4-12 s]; turn
    with lateral acceleration [2-5 m/s²] until the heading has changed by [45-180°] (either
    side); hover: brake at [2-4 m/s²] to < 1 m/s, hold [3-8 s] with 0.3 m/s jitter, then
    accelerate at [2-4 m/s²] to a new cruise speed [5-30 m/s] on a new heading. A straight leg
    ends in a turn with probability [0.6], else in a stop.
    """
    m = Manoeuvres() if m is None else m
    dt, sub = 0.05, round(m.scan_s / 0.05)
    out = np.empty((n_scans, n, 4))
    for i in range(n):
        p = rng.uniform(-4_000.0, 4_000.0, 2)
        speed = rng.uniform(*m.speed)
        heading = rng.uniform(0, 2 * math.pi)
        v = speed * np.array([math.cos(heading), math.sin(heading)])
        mode, left, a1, a2 = "cruise", rng.uniform(*m.cruise_s), 0.0, 0.0
        for k in range(n_scans):
            for _ in range(sub if k else 0):
                if mode == "cruise":
                    left -= dt
                elif mode == "turn":  # a1 = signed turn rate, left = heading still to turn
                    ang = a1 * dt
                    c, s = math.cos(ang), math.sin(ang)
                    v = np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])
                    left -= abs(ang)
                elif mode == "brake":
                    sp = float(np.hypot(*v))
                    v = v * max(sp - a1 * dt, 0.0) / sp if sp > 0 else v
                    left = sp - 0.8
                elif mode == "hold":
                    v = 0.95 * v + rng.normal(0.0, 0.3 * math.sqrt(1 - 0.95**2), 2)
                    left -= dt
                elif mode == "accelerate":  # a1 = acceleration, a2 = target speed, heading kept
                    u = np.array([math.cos(heading), math.sin(heading)])
                    sp = min(float(u @ v) + a1 * dt, a2)
                    v = sp * u
                    left = a2 - sp
                p = p + v * dt
                if left <= 0.0:
                    sp = float(np.hypot(*v))
                    if mode == "cruise":
                        if rng.random() < m.turn_p:
                            lat = rng.uniform(*m.lateral)
                            a1 = lat / max(sp, 1.0) * rng.choice([-1.0, 1.0])
                            mode, left = "turn", math.radians(rng.uniform(*m.turn_deg))
                        else:
                            mode, a1, left = "brake", rng.uniform(*m.brake), 1.0
                    elif mode == "turn":
                        mode, left = "cruise", rng.uniform(*m.cruise_s)
                    elif mode == "brake":
                        mode, left = "hold", rng.uniform(*m.hold_s)
                    elif mode == "hold":
                        heading = rng.uniform(0, 2 * math.pi)
                        mode, a1, a2 = (
                            "accelerate",
                            rng.uniform(*m.accelerate),
                            rng.uniform(*m.speed),
                        )
                        left = a2
                    else:
                        mode, left = "cruise", rng.uniform(*m.cruise_s)
            out[k, i] = (p[0], v[0], p[1], v[1])
    return out


def make_manoeuvring(n: int, n_scans: int, seed: int, *, fpv: bool = False) -> Scenario:
    """``manoeuvring`` (1 s scans, :class:`Manoeuvres` defaults) or ``manoeuvring-fpv``
    (:data:`FPV_MANOEUVRES`, scans every :data:`FPV_SCAN_S`)."""
    from ordered_set import OrderedSet  # a Stone Soup dependency
    from stonesoup.base import Property
    from stonesoup.buffered_generator import BufferedGenerator
    from stonesoup.reader import GroundTruthReader
    from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState

    m = FPV_MANOEUVRES if fpv else Manoeuvres()

    class ReplayGroundTruth(GroundTruthReader):
        """Stone Soup ground-truth reader replaying precomputed states ``(scans, n, 4)``."""

        states: Any = Property(doc="(scans, n, 4) array")

        @BufferedGenerator.generator_method
        def groundtruth_paths_gen(self) -> Iterator[tuple[datetime.datetime, set[Any]]]:
            paths = [GroundTruthPath() for _ in range(self.states.shape[1])]
            for k in range(self.states.shape[0]):
                t = START + datetime.timedelta(seconds=k * m.scan_s)
                for path, s in zip(paths, self.states[k], strict=True):
                    path.append(GroundTruthState(s.reshape(4, 1), timestamp=t))
                yield t, OrderedSet(paths)  # ordered: the simulator draws P_D per path in turn

    name = "manoeuvring-fpv" if fpv else "manoeuvring"
    rng = np.random.default_rng(_seed(seed, name))
    truth_sim = ReplayGroundTruth(states=manoeuvring_truth(n, n_scans, rng, m))
    t0 = time.perf_counter()
    d = _detect_in_square(truth_sim, name, seed, HALF_SIDE_M)
    q = Q_FPV if fpv else Q_MANOEUVRING
    if fpv:
        what = (
            f"{n} FPV drones, a scan every {m.scan_s:g} s: straight legs of "
            f"{m.cruise_s[0]:g}-{m.cruise_s[1]:g} s at {m.speed[0]:g}-{m.speed[1]:g} m/s, hard "
            f"turns at {m.lateral[0]:g}-{m.lateral[1]:g} m/s² lateral ({m.turn_deg[0]:g}-"
            f"{m.turn_deg[1]:g}°), stops (brake/accelerate {m.brake[0]:g}-{m.brake[1]:g} m/s², "
            f"hold {m.hold_s[0]:g}-{m.hold_s[1]:g} s)"
        )
    else:
        what = (
            f"{n} drones: cruise 5-30 m/s, turns at 2-5 m/s² lateral, hover stops (brake/"
            "accelerate 2-4 m/s²)"
        )
    return Scenario(
        name=name,
        family=name,
        description=(
            f"{what}; σ {SIGMA_POS_M:.0f} m, P_D {P_D}, clutter {d.clutter_rate:.0f}/scan; "
            f"Stone Soup filters NCV q {q:g} m²/s³"
        ),
        n_targets=n,
        polar=False,
        q=q,
        **d.scenario_fields(),
        sim_s=time.perf_counter() - t0,
        scan_s=m.scan_s,
    )


def make_switching(n: int, n_scans: int, seed: int, *, turn_rate: float) -> Scenario:
    """``manoeuvring-switch``: Stone Soup's ``SwitchMultiTargetGroundTruthSimulator`` between
    NCV and ``KnownTurnRate(±turn_rate)`` (rad/s), detected as ``cv``.

    The mode chain, per scan: straight → straight ``SWITCH_STAY[0]``, → either turn
    ``(1 − SWITCH_STAY[0]) / 2``; turn → same turn ``SWITCH_STAY[1]``, → straight the rest (a turn
    never reverses into the other at once). Every target starts straight at a uniform position in
    the middle 80 % of the square.
    """
    from stonesoup.models.transition.linear import KnownTurnRate
    from stonesoup.simulator.simple import SwitchMultiTargetGroundTruthSimulator
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.state import GaussianState

    name = "manoeuvring-switch"
    w = float(turn_rate)
    s_cv, s_turn = SWITCH_STAY
    probs = np.array(
        [
            [s_cv, (1 - s_cv) / 2, (1 - s_cv) / 2],
            [1 - s_turn, s_turn, 0.0],
            [1 - s_turn, 0.0, s_turn],
        ]
    )
    models = [
        _cv_transition(SWITCH_Q, _seed(seed, name + "cv")),
        KnownTurnRate([SWITCH_Q, SWITCH_Q], w, seed=_seed(seed, name + "left")),
        KnownTurnRate([SWITCH_Q, SWITCH_Q], -w, seed=_seed(seed, name + "right")),
    ]
    rng = np.random.default_rng(_seed(seed, name))
    t0 = time.perf_counter()
    truth_sim = SwitchMultiTargetGroundTruthSimulator(
        initial_state=GaussianState(  # unused: no births
            StateVector([0.0, 0.0, 0.0, 0.0]), CovarianceMatrix(np.eye(4)), timestamp=START
        ),
        transition_models=models,
        model_probs=probs,
        timestep=datetime.timedelta(seconds=SCAN_S),
        number_steps=n_scans,
        birth_rate=0.0,
        death_probability=0.0,
        preexisting_states=_random_states(rng, n, 0.8 * HALF_SIDE_M),
        seed=_seed(seed, name + "modes"),
    )
    d = _detect_in_square(truth_sim, name, seed, HALF_SIDE_M)
    return Scenario(
        name=f"{name}-w{w:g}",
        family=name,
        description=(
            f"{n} targets from Stone Soup's SwitchMultiTargetGroundTruthSimulator: NCV and "
            f"KnownTurnRate ±{w:g} rad/s (q {SWITCH_Q:g} m²/s³), straight legs of 20 s and turns "
            f"of 10 s on average, speed {SPEED_MIN:g}-{SPEED_MAX:g} m/s; σ {SIGMA_POS_M:.0f} m, "
            f"P_D {P_D}, clutter {d.clutter_rate:.0f}/scan; Stone Soup filters NCV q "
            f"{Q_MANOEUVRING:g} m²/s³"
        ),
        n_targets=n,
        polar=False,
        q=Q_MANOEUVRING,
        **d.scenario_fields(),
        sim_s=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------- export


def to_batches(sc: Scenario, *, compat_3d: bool) -> list[DetectionBatch]:
    """One :class:`DetectionBatch` per scan, in the conventions of the module docstring."""
    from stonesoup.types.detection import TrueDetection

    out = []
    for t, dets in zip(sc.times, sc.detections, strict=True):
        dets = sorted(dets, key=lambda d: tuple(np.asarray(d.state_vector, float).ravel()))
        m = len(dets)
        sv = np.array([np.asarray(d.state_vector, dtype=np.float64).ravel() for d in dets])
        sv = sv.reshape(m, 2)
        cov = np.array([d.measurement_model.covar() for d in dets], dtype=np.float64)
        cov = cov.reshape(m, 2, 2)
        truth = np.array(
            [
                sc.truth_of.get(id(d.groundtruth_path), -1) if isinstance(d, TrueDetection) else -1
                for d in dets
            ],
            dtype=np.int32,
        )
        z = np.full((m, 3), np.nan)
        R = np.zeros((m, 3, 3))
        R[:, 2, 2] = 1.0 if compat_3d else 0.0  # unmeasured: 0, as the detection file reader
        kind = MeasurementKind.POSITION
        if not sc.polar:
            z[:, :2] = sv
            R[:, :2, :2] = cov
            if compat_3d:
                z[:, 2] = 0.0
        else:
            # Stone Soup (φ, ρ), φ counter-clockwise from east -> ours (range, azimuth clockwise
            # from north).
            phi, rng_m = sv[:, 0], sv[:, 1]
            az = np.mod(0.5 * np.pi - phi, 2 * np.pi)
            J = np.array([[0.0, 1.0], [-1.0, 0.0]])  # ∂(range, az)/∂(φ, ρ)
            R_ra = J @ cov @ J.T
            if compat_3d:
                s, c = np.sin(az), np.cos(az)
                Jc = np.stack(
                    [np.stack([s, rng_m * c], -1), np.stack([c, -rng_m * s], -1)], axis=1
                )  # ∂(e, n)/∂(range, az), (m, 2, 2)
                z[:, 0], z[:, 1], z[:, 2] = rng_m * s, rng_m * c, 0.0
                R[:, :2, :2] = Jc @ R_ra @ np.swapaxes(Jc, 1, 2)
            else:
                kind = MeasurementKind.POLAR
                z[:, 0], z[:, 1] = rng_m, az
                R[:, :2, :2] = R_ra
        out.append(
            DetectionBatch.build(
                t=np.full(m, EPOCH0 + (t - START).total_seconds()),
                sensor=0,
                kind=kind,
                z=z,
                R=R,
                sensor_pos=np.zeros(3),
                truth=truth,
            )
        )
    return out


def write_jsonl(sc: Scenario, batches: list[DetectionBatch], folder: Path) -> str:
    """Write the scenario's detections with ``dronewall.formats.detections`` if it exists.

    Always the final convention (2-D: up NaN; radar: POLAR), whatever ``--compat-3d`` says.
    """
    try:
        writer = importlib.import_module("dronewall.formats.detections").write_detections
        from dronewall.geo.frames import LocalFrame
    except (ImportError, AttributeError):
        return "not written (dronewall.formats.detections.write_detections does not exist yet)"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sc.name}.jsonl"
    try:  # the writer is new: (target, batch, frame, sensor_ids, *, frame_name, header)
        frame = LocalFrame(*FILE_FRAME_LLA)
        writer(path, DetectionBatch.concat(batches), frame, [SENSOR_ID], frame_name="bench")
    except Exception as exc:  # a benchmark must not die of an optional side output
        return f"not written ({type(exc).__name__}: {exc})"
    return f"written to {path}"


# --------------------------------------------------------------------------- trackers


@dataclasses.dataclass(kw_only=True)
class RunResult:
    tracker: str
    config: str
    status: str = "ok"  # ok | skipped | over budget
    note: str = ""
    gospa: GospaResult | None = None
    times_s: list[float] = dataclasses.field(default_factory=list)
    mean_confirmed: float = math.nan
    false_ids: int = 0  # distinct confirmed tracks that were ever >= c from every true object

    @property
    def median_ms(self) -> float:
        return 1e3 * statistics.median(self.times_s) if self.times_s else math.nan

    @property
    def mean_ms(self) -> float:
        return 1e3 * statistics.fmean(self.times_s) if self.times_s else math.nan


def gospa_2d(truth: np.ndarray, est: np.ndarray) -> GospaResult:
    """:func:`dronewall.metrics.gospa` of 2-D point sets, split into independent sub-problems.

    Exact: a pair at distance ``>= c`` costs the same as a miss plus a false track, so the optimal
    assignment never links points in different connected components of the graph of pairs closer
    than ``c``. Each component is scored by ``gospa`` and the parts are summed; this keeps 10,000 x
    10,000 problems (a 1.6 GB dense distance array) cheap.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    k, n = truth.shape[0], est.shape[0]
    if k * n <= 250_000:
        return gospa(truth, est, GOSPA_C_M, GOSPA_P)
    pairs = cKDTree(truth).sparse_distance_matrix(cKDTree(est), GOSPA_C_M, output_type="ndarray")
    i, j = pairs["i"], pairs["j"]
    graph = coo_matrix((np.ones(i.shape[0]), (i, k + j)), shape=(k + n, k + n))
    _, label = connected_components(graph, directed=False)
    lt, le = label[:k], label[k:]
    order_t, order_e = np.argsort(lt, kind="stable"), np.argsort(le, kind="stable")
    loc = n_assigned = 0.0
    for c in np.unique(label[k + j]):  # components with at least one close pair
        a = order_t[np.searchsorted(lt[order_t], c) : np.searchsorted(lt[order_t], c, "right")]
        b = order_e[np.searchsorted(le[order_e], c) : np.searchsorted(le[order_e], c, "right")]
        part = gospa(truth[a], est[b], GOSPA_C_M, GOSPA_P)
        loc += part.localisation
        n_assigned += part.n_assigned
    half = GOSPA_C_M**GOSPA_P / 2.0
    missed, false = half * (k - n_assigned), half * (n - n_assigned)
    total_p = loc + missed + false
    return GospaResult(
        total=total_p ** (1.0 / GOSPA_P),
        total_p=total_p,
        localisation=loc,
        missed=missed,
        false=false,
        n_assigned=n_assigned,
        n_missed=k - n_assigned,
        n_false=n - n_assigned,
        c=GOSPA_C_M,
        p=GOSPA_P,
    )


class OverBudget(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise OverBudget


def _run_timed(
    n_scans: int,
    step: Callable[[int], tuple[np.ndarray, np.ndarray]],
    truth_xy: Sequence[np.ndarray],
    budget_s: float,
    result: RunResult,
) -> RunResult:
    """Call ``step(k)`` per scan (timed; returns confirmed positions (N, 2) and their ids (N,)).

    Scores every scan with GOSPA and counts the distinct track ids that were ever further than
    ``c`` from every true object (false tracks: many short ones or a few long ones?).

    A SIGALRM interrupts a run that exceeds ``budget_s`` (also inside a scan), and a run whose
    projected time is over twice the budget after 5 scans is stopped early.
    """
    from scipy.spatial import cKDTree

    results, n_conf = [], []
    false_ids: set[Any] = set()
    used = 0.0
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for k in range(n_scans):
            remaining = budget_s - used
            if k >= 5 and used / k * n_scans > 2 * budget_s:
                raise OverBudget
            if math.isfinite(budget_s):
                signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3))
            t0 = time.perf_counter()
            pos, ids = step(k)
            dt = time.perf_counter() - t0
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            used += dt
            result.times_s.append(dt)
            results.append(gospa_2d(truth_xy[k], pos))
            n_conf.append(pos.shape[0])
            if pos.shape[0]:
                if truth_xy[k].shape[0]:
                    d, _ = cKDTree(truth_xy[k]).query(pos, distance_upper_bound=GOSPA_C_M)
                    far = ~np.isfinite(d)
                else:
                    far = np.ones(pos.shape[0], np.bool_)
                false_ids.update(ids[far].tolist())
    except OverBudget:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        done = len(result.times_s)
        result.status = "over budget"
        result.note = (
            f"stopped after {done} of {n_scans} scans ({used:.0f} s; budget {budget_s:.0f} s)"
        )
        return result
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, old)
    result.gospa = mean_gospa(results)
    result.false_ids = len(false_ids)
    result.mean_confirmed = float(np.mean(n_conf))
    return result


def _stonesoup_parts(sc: Scenario) -> dict[str, Any]:
    from stonesoup.deleter.error import CovarianceBasedDeleter
    from stonesoup.deleter.multi import CompositeDeleter
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater, KalmanUpdater

    predictor = KalmanPredictor(_cv_transition(sc.q, 0))
    updater = (ExtendedKalmanUpdater if sc.polar else KalmanUpdater)(sc.measurement_model)
    v2 = STONESOUP_INIT_VEL_STD**2
    init_hyp = DistanceHypothesiser(
        predictor, updater, Mahalanobis(), missed_distance=STONESOUP_GNN_MISSED_DISTANCE
    )
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(
            StateVector([0, 0, 0, 0]), CovarianceMatrix(np.diag([0, v2, 0, v2])), timestamp=START
        ),
        measurement_model=sc.measurement_model,
        deleter=UpdateTimeStepsDeleter(STONESOUP_HOLD_STEPS),
        data_associator=_kdtree("gnn", init_hyp, predictor, updater),
        updater=updater,
        min_points=STONESOUP_MIN_POINTS,
    )
    deleter = CompositeDeleter(
        [
            UpdateTimeStepsDeleter(STONESOUP_DELETE_STEPS),
            CovarianceBasedDeleter(covar_trace_thresh=STONESOUP_DELETE_POS_STD**2, mapping=[0, 2]),
        ],
        intersect=False,
    )
    return {"predictor": predictor, "updater": updater, "initiator": initiator, "deleter": deleter}


def _kdtree(kind: str, hypothesiser: Any, predictor: Any, updater: Any) -> Any:
    """GNN (``DetectionKDTreeGNN2D``) or JPDA-EHM associator behind Stone Soup's kd-tree pre-filter.

    The kd-tree passes only detections within ``STONESOUP_KDTREE_RADIUS`` (Euclidean, measurement
    space) of a track's predicted measurement to the hypothesiser. For positions this is far
    outside any gate that matters (3σ of a 167 m innovation std); for (bearing, range) plots the
    bearing term is < 2π so it is a ±500 m range window. It changes the speed, not the answer.
    """
    from stonesoup.dataassociator.probability import JPDAwithEHM
    from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D, DetectionKDTreeMixIn

    class DetectionKDTreeJPDAwithEHM(DetectionKDTreeMixIn, JPDAwithEHM):
        """Stone Soup's ``KDTreeJPDA`` composition, with the EHM form of JPDA."""

    cls = DetectionKDTreeGNN2D if kind == "gnn" else DetectionKDTreeJPDAwithEHM
    return cls(
        hypothesiser=hypothesiser,
        predictor=predictor,
        updater=updater,
        max_distance=STONESOUP_KDTREE_RADIUS,
    )


def stonesoup_gnn(sc: Scenario) -> tuple[Any, str]:
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.measures import Mahalanobis
    from stonesoup.tracker.simple import MultiTargetTracker

    p = _stonesoup_parts(sc)
    hyp = DistanceHypothesiser(
        p["predictor"], p["updater"], Mahalanobis(), missed_distance=STONESOUP_GNN_MISSED_DISTANCE
    )
    tracker = MultiTargetTracker(
        initiator=p["initiator"],
        deleter=p["deleter"],
        detector=None,
        data_associator=_kdtree("gnn", hyp, p["predictor"], p["updater"]),
        updater=p["updater"],
    )
    return tracker, "GNNWith2DAssignment (kd-tree)"


def stonesoup_jpda(sc: Scenario) -> tuple[Any, str]:
    from stonesoup.hypothesiser.probability import PDAHypothesiser
    from stonesoup.tracker.simple import MultiTargetMixtureTracker

    p = _stonesoup_parts(sc)
    hyp = PDAHypothesiser(
        predictor=p["predictor"],
        updater=p["updater"],
        clutter_spatial_density=sc.clutter_spatial_density,
        prob_detect=P_D,
        prob_gate=STONESOUP_PDA_GATE,
    )
    tracker = MultiTargetMixtureTracker(
        initiator=p["initiator"],
        deleter=p["deleter"],
        detector=None,
        data_associator=_kdtree("jpda", hyp, p["predictor"], p["updater"]),
        updater=p["updater"],
    )
    return tracker, "JPDAwithEHM (kd-tree)"


def run_stonesoup(sc: Scenario, kind: str, budget_s: float, max_jpda_targets: int) -> RunResult:
    name = f"Stone Soup {kind.upper()}"
    if not sc.stonesoup:
        return RunResult(tracker=name, config="", status="skipped", note="ours-only scaling run")
    if kind == "jpda" and sc.n_targets > max_jpda_targets:
        return RunResult(
            tracker=name,
            config="",
            status="skipped",
            note=f"JPDA above {max_jpda_targets} targets (--max-jpda-targets)",
        )
    tracker, config = (stonesoup_gnn if kind == "gnn" else stonesoup_jpda)(sc)

    def step(k: int) -> tuple[np.ndarray, np.ndarray]:
        _, tracks = tracker.update_tracker(sc.times[k], sc.detections[k])
        tracks = list(tracks)
        pos = np.array([[tr.state_vector[0, 0], tr.state_vector[2, 0]] for tr in tracks])
        return pos.reshape(-1, 2), np.array([tr.id for tr in tracks], dtype=object)

    result = RunResult(tracker=name, config=config)
    return _run_timed(len(sc.times), step, sc.truth_xy, budget_s, result)


def our_config(family: str, probe: str | None = None) -> tuple[TrackerConfig, str]:
    """``TrackerConfig`` from ``OUR_CONFIG[family]`` (and ``OUR_PROBES[probe]``), dropping what
    this version does not accept."""
    overrides = {k: v for k, v in (OUR_PROBES[probe] if probe else {}).items() if k[0] != "_"}
    wanted = {**OUR_CONFIG[family], **overrides}
    known = {f.name for f in dataclasses.fields(TrackerConfig)}
    dropped = {k: wanted.pop(k) for k in list(wanted) if k not in known}
    while True:
        try:
            cfg = TrackerConfig(**wanted)
            break
        except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
            bad = getattr(exc, "field", None)
            if bad not in wanted:  # no field named: give up the most recently listed key
                if not wanted:
                    raise
                bad = next(reversed(wanted))
            dropped[bad] = wanted.pop(bad)
    text = ", ".join(f"{k}={_fmt_value(v)}" for k, v in wanted.items())
    if dropped:
        text += "; not supported, ignored: " + ", ".join(f"{k}={v!r}" for k, v in dropped.items())
    return cfg, text


def probe_applies(probe: str, family: str) -> bool:
    """Whether probe ``probe`` is run on a scenario of ``family``: it is listed for the family
    and changes that family's configuration."""
    o = OUR_PROBES[probe]
    if family not in o.get("_families", (family,)):
        return False
    if "_imm" in o:
        return True
    return any(OUR_CONFIG[family].get(k) != v for k, v in o.items() if k[0] != "_")


def _fmt_value(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else repr(v)


def run_ours(sc: Scenario, batches: list[DetectionBatch], probe: str | None = None) -> RunResult:
    cfg, text = our_config(sc.family, probe)
    make_imm = OUR_PROBES[probe].get("_imm") if probe else None
    imm = make_imm(cfg) if make_imm is not None else None
    if imm is not None:
        text += f"; IMM modes {', '.join(imm.mode_names)}"
    tracker = MultiSensorTracker(cfg, imm=imm)
    t_frames = [EPOCH0 + (t - START).total_seconds() for t in sc.times]

    def step(k: int) -> tuple[np.ndarray, np.ndarray]:
        tracker.step(batches[k], t=t_frames[k])
        table = tracker.snapshot(t_frames[k])
        return table.x[table.confirmed, :2], table.track_id[table.confirmed]

    name = OURS + (f", probe {probe}" if probe else "")
    result = RunResult(tracker=name, config=text)
    return _run_timed(len(sc.times), step, sc.truth_xy, math.inf, result)


# --------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def ver(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    import dronewall

    src = Path(dronewall.__file__).resolve().parent
    try:
        import subprocess

        def git(*a: str) -> str:
            return subprocess.run(
                ["git", *a], cwd=src, capture_output=True, text=True, check=True
            ).stdout.strip()

        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", str(src))
        source = f"{src} at git {head}" + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        source = f"{src} (not a git checkout)"
    return {
        "source": source,
        "cpu": f"{cpu}, {os.cpu_count()} cores{mem} ({platform.node()})",
        "software": (
            f"Python {platform.python_version()}, numpy {ver('numpy')}, scipy {ver('scipy')}, "
            f"stonesoup {ver('stonesoup')}, dronewall {ver('dronewall')}"
        ),
        "threads": "OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1 (set by the script)",
    }


def _f(x: float, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


def results_table(rows: list[tuple[Scenario, RunResult]]) -> str:
    head = (
        "| scenario | tracker | GOSPA (m) | localisation (m²) | missed (m²) | false (m²) "
        "| missed / scan | false / scan | confirmed / scan | false track ids "
        "| time / scan median (ms) | mean (ms) | note |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for sc, r in rows:
        g = r.gospa
        short = r.tracker.replace(OURS, "**ours**")
        note = r.note if r.status == "ok" else f"{r.status}: {r.note}"
        if g is None:
            cells = ["—"] * 8
        else:
            cells = [
                _f(g.total),
                _f(g.localisation, 0),
                _f(g.missed, 0),
                _f(g.false, 0),
                _f(g.n_missed, 2),
                _f(g.n_false, 2),
                _f(r.mean_confirmed, 1),
                f"{r.false_ids:,}",
            ]
        times = [_f(r.median_ms, 2), _f(r.mean_ms, 2)] if r.times_s else ["—", "—"]
        lines.append(f"| {sc.name} | {short} | " + " | ".join([*cells, *times, note]) + " |")
    return head + "\n".join(lines) + "\n"


def imm_vs_cv_table(rows: list[tuple[Scenario, RunResult]]) -> str:
    """Per manoeuvring scenario: our IMMs against the best NCV of the ``ncv-q*`` sweep."""
    out = [
        "| scenario | IMM (ours) | IMM bank (probe) | best NCV | its q_h (m²/s³) "
        "| IMM vs best NCV | bank vs best NCV | NCV q_h 0.5 | IMM vs NCV q_h 0.5 "
        "| localisation IMM / bank / best NCV |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = [sc.name for sc, _ in rows if sc.family in MANOEUVRING]
    for name in dict.fromkeys(names):
        by = {r.tracker: r for sc, r in rows if sc.name == name and r.gospa is not None}
        ours, bank = by.get(OURS), by.get(f"{OURS}, probe imm-bank")
        sweep = {float(t.rsplit("ncv-q", 1)[1]): r for t, r in by.items() if "probe ncv-q" in t}
        if ours is None or ours.gospa is None or not sweep:
            continue
        q_best = min(sweep, key=lambda q: sweep[q].gospa.total)  # type: ignore[union-attr]
        best = sweep[q_best].gospa
        cruise = sweep.get(0.5)
        assert best is not None

        def rel(g: GospaResult | None, ref: GospaResult | None) -> str:
            if g is None or ref is None:
                return "—"
            return f"{100.0 * (g.total / ref.total - 1.0):+.1f} %"

        bg = bank.gospa if bank is not None else None
        cg = cruise.gospa if cruise is not None else None
        out.append(
            f"| {name} | {_f(ours.gospa.total)} | {_f(bg.total) if bg else '—'} "
            f"| {_f(best.total)} | {q_best:g} | {rel(ours.gospa, best)} | {rel(bg, best)} "
            f"| {_f(cg.total) if cg else '—'} | {rel(ours.gospa, cg)} "
            f"| {_f(ours.gospa.localisation, 0)} / {_f(bg.localisation, 0) if bg else '—'} / "
            f"{_f(best.localisation, 0)} |"
        )
    return "\n".join(out) + "\n"


def scaling_table(rows: list[tuple[Scenario, RunResult]]) -> str:
    out = [
        "| targets | clutter / scan | detections / scan | ours median (ms) | ours mean (ms) "
        "| Stone Soup GNN median (ms) | Stone Soup JPDA median (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    by: dict[str, dict[str, RunResult]] = {}
    scs: dict[str, Scenario] = {}
    for sc, r in rows:
        if sc.family == "cv":
            by.setdefault(sc.name, {})[r.tracker] = r
            scs[sc.name] = sc
    for name in sorted(scs, key=lambda s: scs[s].n_targets):
        sc, rr = scs[name], by[name]
        ours = rr.get(OURS)
        gnn, jpda = rr.get("Stone Soup GNN"), rr.get("Stone Soup JPDA")

        def med(r: RunResult | None) -> str:
            if r is None or not r.times_s:
                return "—" if r is None else r.status
            suffix = "" if r.status == "ok" else f" ({r.status}, {len(r.times_s)} scans)"
            return _f(r.median_ms, 2) + suffix

        out.append(
            f"| {sc.n_targets:,} | {sc.clutter_rate:,.0f} | {sc.n_detections / len(sc.times):,.0f} "
            f"| {med(ours)} | {_f(ours.mean_ms, 2) if ours else '—'} | {med(gnn)} | {med(jpda)} |"
        )
    return "\n".join(out) + "\n"


def report(
    rows: list[tuple[Scenario, RunResult]],
    scenarios: list[Scenario],
    args: argparse.Namespace,
    info: dict[str, str],
    loads: list[float],
    wall_s: float,
    notes: list[str],
) -> str:
    pythonpath = os.environ.get("PYTHONPATH")
    env = f"PYTHONPATH={pythonpath} " if pythonpath else ""
    cmd = f"{env}OMP_NUM_THREADS=1 .venv/bin/python " + shlex.join(
        ["benchmarks/tracking_vs_stonesoup.py", *sys.argv[1:]]
    )
    mode = (
        "**--compat-3d** (2-D positions sent as up = 0, R_up = 1 m²; polar plots converted to "
        "positions)"
        if args.compat_3d
        else "final convention (2-D positions with up = NaN, polar plots as kind POLAR)"
    )
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"Date: {today}. Machine: {info['cpu']}; {info['software']}; {info['threads']}.",
        f"dronewall source: {info['source']}.",
        f"1-minute load average sampled before each scenario and at the end: "
        f"{', '.join(f'{x:.1f}' for x in loads)} (a shared 2-core machine: other jobs ran "
        f"alongside, so absolute times are pessimistic; ours and Stone Soup ran interleaved under "
        f"the same load). Whole run {wall_s / 60:.1f} min.",
        "",
        f"Command: `{cmd}`",
        "",
        f"Seed {args.seed}; {args.scans} scans per scenario, {SCAN_S:.0f} s apart "
        f"(manoeuvring-fpv: {FPV_SCAN_S:g} s); export mode: "
        f"{mode}; budget {args.budget_s:.0f} s of tracker time per Stone Soup run. GOSPA α = 2, "
        f"c = {GOSPA_C_M:.0f} m, p = {GOSPA_P:.0f}, 2-D positions, confirmed tracks only, mean "
        "over all scans (start-up included); the parts are means of the per-scan m² terms "
        "(missed and false = c²/2 per object). *false track ids*: distinct confirmed tracks that "
        "were, at some scan, at least c from every true object (many short false tracks or a "
        "few long ones). Our tracker estimates a 3-D NCV state (6 components), Stone Soup a 2-D "
        "one (4).",
        "",
        "Scenarios (simulated by Stone Soup 1.x `MultiTargetGroundTruthSimulator` / "
        "`SimpleDetectionSimulator`, except the manoeuvring truth):",
        "",
    ]
    for sc in scenarios:
        parts.append(
            f"- `{sc.name}`: {sc.description}; {sc.n_detections / len(sc.times):,.0f} detections "
            f"per scan on average (simulation {sc.sim_s:.0f} s)."
        )
    parts += [
        "",
        "Stone Soup trackers (the true models of each scenario; components as in the Stone Soup "
        "tutorials): `KalmanPredictor` with 2-D `ConstantVelocity` at the true q; `KalmanUpdater` "
        "(`ExtendedKalmanUpdater` for the radar); GNN: `MultiTargetTracker` + "
        "`GNNWith2DAssignment` + `DistanceHypothesiser(Mahalanobis, missed_distance="
        f"{STONESOUP_GNN_MISSED_DISTANCE:g})`; JPDA: `MultiTargetMixtureTracker` + `JPDAwithEHM` "
        "(exact JPDA marginals with track clustering; the plain `JPDA` enumerates joint events "
        f"over all tracks at once) + `PDAHypothesiser(P_D {P_D}, true clutter density, prob_gate "
        f"{STONESOUP_PDA_GATE})`; both associators behind Stone Soup's `DetectionKDTreeMixIn` "
        f"({STONESOUP_KDTREE_RADIUS:.0f} m candidate radius); initiation: "
        f"`MultiMeasurementInitiator(min_points={STONESOUP_MIN_POINTS})` (prior velocity std "
        f"{STONESOUP_INIT_VEL_STD:.0f} m/s, GNN + Mahalanobis 3, holding tracks deleted after "
        f"{STONESOUP_HOLD_STEPS} missed scans); deletion: `UpdateTimeStepsDeleter("
        f"{STONESOUP_DELETE_STEPS})` or `CovarianceBasedDeleter` at position std "
        f"{STONESOUP_DELETE_POS_STD:.0f} m.",
        "",
        "Our tracker's configuration per scenario (`TrackerConfig` keyword arguments; the rest "
        "default):",
        "",
    ]
    seen = set()
    for sc, r in rows:
        if r.tracker == OURS and sc.family not in seen:
            seen.add(sc.family)
            parts.append(f"- {sc.family}: {r.config}")
    if args.probes:
        parts += [
            "",
            "Probes (`--probes`): our tracker again with these overrides of the configuration "
            "above, to measure candidate track-management changes in the same run:",
            "",
            *[
                f"- probe {p}: {', '.join(f'{k}={v!r}' for k, v in o.items() if k[0] != '_')}"
                + (("; " if any(k[0] != "_" for k in o) else "") + o["_doc"] if "_doc" in o else "")
                + (f" (only {', '.join(o['_families'])})" if "_families" in o else "")
                for p, o in OUR_PROBES.items()
            ],
        ]
    parts += ["", results_table(rows)]
    if args.probes:
        parts += [
            "The IMM against constant velocity alone (same detections, initiator, association and "
            "track management; the NCV at every q_h of the sweep, the best named; mean GOSPA, m; "
            "localisation, m² per scan):",
            "",
            imm_vs_cv_table(rows),
        ]
    if any(sc.family == "cv" for sc, _ in rows):
        parts += ["Scaling (cv scenarios, time per scan):", "", scaling_table(rows)]
    if notes:
        parts += ["", *[f"- {n}" for n in notes]]
    return "\n".join(_wrap(line) for line in parts) + "\n"


def _wrap(line: str, width: int = 100) -> str:
    """Wrap a prose line or bullet of the report to ``width`` (tables and blocks untouched)."""
    if len(line) <= width or line.startswith("|") or "\n" in line:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(
        line,
        width=width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def update_results_md(path: Path, body: str, block_name: str = "") -> None:
    """Write ``body`` between the markers of the "Tracking vs Stone Soup" section of ``path``.

    ``block_name`` "" is the main block (every scenario). A named block (``--block``, e.g. a
    quality run of the manoeuvring scenarios alone) has markers of its own,
    ``<!-- tracking_vs_stonesoup.py <name>: begin generated -->``, and is first placed right
    after the main block's end marker; the main block and the hand-written text around the
    blocks are kept. The file is read just before it is written.
    """
    begin, end = (
        (BEGIN_MARK, END_MARK)
        if not block_name
        else (
            f"<!-- tracking_vs_stonesoup.py {block_name}: begin generated -->",
            f"<!-- tracking_vs_stonesoup.py {block_name}: end generated -->",
        )
    )
    text = path.read_text()
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        pat = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        text = pat.sub(lambda _m: block, text, count=1)
    elif block_name and SECTION_TITLE in text and END_MARK in text:
        at = text.index(END_MARK) + len(END_MARK)
        text = text[:at] + f"\n\n{block}" + text[at:]
    elif SECTION_TITLE not in text:
        text = text.rstrip() + f"\n\n{SECTION_TITLE}\n\n{block}\n"
    else:
        start = text.index(SECTION_TITLE)
        nxt = text.find("\n## ", start + len(SECTION_TITLE))
        stop = len(text) if nxt < 0 else nxt
        text = text[:start] + f"{SECTION_TITLE}\n\n{block}\n" + text[stop:]
    path.write_text(text)


# --------------------------------------------------------------------------- main

ALL_SCENARIOS = (
    "cv-10",
    "cv-100",
    "cv-1000",
    "cv-10000",
    "polar",
    "crossing",
    "manoeuvring",
    "manoeuvring-fpv",
)


def build(name: str, quick: bool, n_scans: int, seed: int) -> Scenario:
    if name.startswith("cv-"):
        n = int(name[3:])
        # Stone Soup's simulator costs ~1 ms per target and scan (scipy multivariate_normal.rvs).
        return make_cv(n, n_scans if n <= 1000 else min(n_scans, SCALING_MAX_SCANS), seed)
    if name == "polar":
        return make_polar(10 if quick else 20, n_scans, seed)
    if name == "crossing":
        return make_crossing(2 if quick else 4, n_scans, seed)
    if name == "manoeuvring":
        return make_manoeuvring(6 if quick else 20, n_scans, seed)
    if name == "manoeuvring-fpv":
        return make_manoeuvring(6 if quick else 20, n_scans, seed, fpv=True)
    if name == "manoeuvring-switch" or name.startswith("manoeuvring-switch-w"):
        w = float(name.removeprefix("manoeuvring-switch-w")) if "-w" in name else SWITCH_TURN_RATE
        return make_switching(6 if quick else 20, n_scans, seed, turn_rate=w)
    raise SystemExit(f"unknown scenario {name!r}; choose from {', '.join(ALL_SCENARIOS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 10 scans (~1 min)")
    parser.add_argument(
        "--scenarios",
        default=None,
        help=f"comma-separated subset of {','.join(ALL_SCENARIOS)} (default: all; --quick: "
        "cv-10,cv-100,polar,crossing,manoeuvring)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--scans",
        type=int,
        default=None,
        help=f"scans per scenario (60; quick 10; cv-10000 at most {SCALING_MAX_SCANS})",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="tracker seconds allowed per Stone Soup run before it is stopped (900; quick 15)",
    )
    parser.add_argument(
        "--probes", action="store_true", help="also run our tracker with each of OUR_PROBES"
    )
    parser.add_argument(
        "--max-jpda-targets", type=int, default=1000, help="skip Stone Soup JPDA above this"
    )
    parser.add_argument(
        "--compat-3d",
        action="store_true",
        help="send 2-D positions as up=0 (R_up=1) and polar plots as converted positions",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "tracking" / "tracking_vs_stonesoup.md",
        help="results file (markdown)",
    )
    parser.add_argument(
        "--detections-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "dronewall-bench-detections",
        help="where JSON Lines detections go (if the writer exists)",
    )
    parser.add_argument(
        "--update-results",
        action="store_true",
        help="also write the table into the 'Tracking vs Stone Soup' section of RESULTS.md",
    )
    parser.add_argument(
        "--block",
        default="",
        help="with --update-results: write a named block of its own in the section (e.g. "
        "'manoeuvring' for a run of the manoeuvring scenarios) instead of the main block",
    )
    args = parser.parse_args()
    if args.block and not re.fullmatch(r"[a-z0-9-]+", args.block):
        parser.error("--block: lower-case letters, digits and '-' only")
    if args.scans is None:
        args.scans = 10 if args.quick else 60
    if args.budget_s is None:
        args.budget_s = 15.0 if args.quick else 900.0
    default = [s for s in ALL_SCENARIOS if not (args.quick and s in ("cv-1000", "cv-10000"))]
    names = args.scenarios.split(",") if args.scenarios else default
    try:
        import stonesoup  # noqa: F401
    except ImportError:
        raise SystemExit("Stone Soup is missing: .venv/bin/pip install -e '.[bench]'") from None

    info = machine()
    loads = [os.getloadavg()[0]]
    wall0 = time.perf_counter()
    print(f"machine: {info['cpu']}\nsoftware: {info['software']}\n{info['threads']}")
    print(f"dronewall source: {info['source']}")
    print(f"load average at start: {loads[0]:.2f}")
    rows: list[tuple[Scenario, RunResult]] = []
    scenarios: list[Scenario] = []
    notes: list[str] = []
    for name in names:
        if len(scenarios):
            loads.append(os.getloadavg()[0])
        print(f"\n== {name}: simulating ... (load {loads[-1]:.2f})", flush=True)
        sc = build(name.strip(), args.quick, args.scans, args.seed)
        scenarios.append(sc)
        batches = to_batches(sc, compat_3d=args.compat_3d)
        final = batches if not args.compat_3d else to_batches(sc, compat_3d=False)
        print(
            f"   {sc.description}\n   {sc.n_detections} detections in {len(sc.times)} scans "
            f"(simulated in {sc.sim_s:.1f} s); detections file: "
            f"{write_jsonl(sc, final, args.detections_dir)}",
            flush=True,
        )
        runs = [("ours", lambda sc=sc, b=batches: run_ours(sc, b))]
        if args.probes:
            runs += [
                (f"ours, probe {p}", lambda sc=sc, b=batches, p=p: run_ours(sc, b, p))
                for p in OUR_PROBES
                if probe_applies(p, sc.family)
            ]
        runs += [
            (k, lambda sc=sc, k=k: run_stonesoup(sc, k, args.budget_s, args.max_jpda_targets))
            for k in ("gnn", "jpda")
        ]
        for label, run in runs:
            print(f"   {label} ...", end=" ", flush=True)
            r = run()
            g = r.gospa
            print(
                f"{r.status}; GOSPA {_f(g.total) if g else '—'} m; "
                f"{_f(r.median_ms, 2)} ms/scan median {r.note}",
                flush=True,
            )
            rows.append((sc, r))
            if (
                label == "ours"
                and not args.compat_3d
                and g is not None
                and g.n_assigned == 0
                and g.n_false == 0
            ):
                notes.append(
                    f"{sc.name}: our tracker confirmed no track in the final convention: this "
                    "version drops rows with non-finite z (2-D positions, POLAR); use --compat-3d."
                )
    wall = time.perf_counter() - wall0
    loads.append(os.getloadavg()[0])
    text = report(rows, scenarios, args, info, loads, wall, notes)
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(f"# Tracking vs Stone Soup (generated)\n\n{text}")
    print(f"written: {args.out}")
    if args.update_results:
        target = Path(__file__).parent / "RESULTS.md"
        update_results_md(target, text, args.block)
        print(f"updated: {target} ({SECTION_TITLE!r})")


if __name__ == "__main__":
    main()
