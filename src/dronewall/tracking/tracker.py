"""The multi-sensor multi-target tracker: IMM filtering, GNN or JPDA association, track management.

Data layout
-----------
Input is a :class:`~dronewall.core.measurements.DetectionBatch` per call of
:meth:`MultiSensorTracker.step`; output is a :class:`~dronewall.core.tracks.TrackTable` from
:meth:`MultiSensorTracker.snapshot` and, for objects seen by one passive sensor only, a
:class:`~dronewall.tracking.bearing_only.BearingTrackTable` from
:meth:`MultiSensorTracker.bearing_tracks`. Live tracks are kept in a struct-of-arrays
:class:`~dronewall.tracking.bank.TrackBank`, each at the time of its last detection, with its
``r`` mode-conditioned IMM estimates.

Measurements
------------
Every kind enters through the measurement models of :mod:`dronewall.tracking.measurement`
(extended Kalman linearisation at the predicted state; a NaN component of ``z`` is "not
measured"):

* ``POSITION`` (radar plots already converted, ADS-B, Remote ID, EO/IR with a rangefinder; 2-D
  when ``up`` is NaN);
* ``POLAR`` (range, azimuth, elevation from the sensor; 2-D radar when elevation is NaN) with an
  optional range rate, applied as a sequential scalar update;
* ``BEARING`` (azimuth, optional elevation) from RF direction finders, cameras and microphones:
  they update existing 3-D tracks; unused bearings of two or more sensors initiate tracks by
  triangulation at the end of the frame; the rest feed bearing-only tracks;
* ``SIGHTING`` (a person's report) only when ``use_sightings``: it may update an existing track,
  usually long after the fact, but never starts one and never counts as a hit.

Processing
----------
One call of :meth:`~MultiSensorTracker.step` is one *frame* (the caller's tick, typically 1 s).
Rows are split into *scans*, the rows sharing one ``(sensor, t)``, processed in time order, sensor
index breaking ties. Per scan, with every kernel batched over tracks and detections:

1. candidate pairs: a Euclidean KD-tree pre-gate on the detection's position (converted for
   polar plots, horizontal for 2-D data), an angular pre-gate for bearings, a maximum-speed gate
   and a cooperative-identity gate (a track with ICAO address ``a`` never takes a detection
   carrying another address; an RF bearing attributed to the Remote ID the same detector decoded
   in the same scan at its azimuth, :mod:`~dronewall.core.attribution`, goes only to the
   track holding that Remote ID, and unused starts nothing);
2. the candidate tracks are predicted to the scan time with the IMM (mode mixing with the
   time-dependent mode transition matrix, per-mode prediction, moment matching) or, when the scan
   is *older* than the track (an out-of-sequence measurement), retrodicted to it;
3. the χ² gate on ``d²`` with the measurement's own number of degrees of freedom, on the IMM's
   mode mixture (see "Gating");
4. association: GNN (:class:`~dronewall.tracking.association.GNNAssociator`, optimal assignment
   on likelihood costs) or JPDA (:func:`~dronewall.tracking.jpda.jpda_probabilities`, marginal
   probabilities per cluster, exact on small clusters, belief propagation on large ones);
5. update of each mode (Joseph-form EKF) and of the mode probabilities, then the combined
   estimate; under JPDA, each mode's posterior is the β-weighted mixture of its per-detection
   posteriors and its prediction (spread of the means included);
6. one-point initiation of tentative tracks at detections no track took (GNN) or that belong to
   no track with probability at least ``jpda_initiation_threshold`` (JPDA).

Gating
------
The predicted measurement density of an IMM track is the mixture ``Σ_j μ_j N(z; h(x⁻_j), S_j)``.
With ``imm_mixture_gating`` (the default) a pair is inside the gate when it is inside the χ² gate
of any mode's own prediction (``d² = min_j d²_j``) and is scored by the mixture (``ln Σ_j μ_j
N_j``, the GNN cost, the JPDA likelihood),
:func:`~dronewall.tracking.imm.imm_gate_pairs`; otherwise by the moment-matched single Gaussian.
After a straight leg the cruise mode holds ~90 % of the mixture and the moment-matched gate is
nearly its gate, so the first detections of a hard turn fall outside it although a turn mode
predicts them: the track coasts on straight and dies. Measured on ``manoeuvring-fpv`` of
``benchmarks/tracking_vs_stonesoup.py`` (20 FPV drones, 2 s revisit, 10-20 m/s² turns), seeds 0-3:
mean GOSPA 124.6 m moment-matched, 101.6 m on the mixture; no change on ``manoeuvring`` (72.0 m
both; ``benchmarks/tracking/imm_gating.py``). The candidate search covers every mode's gate:
each forward track is searched within ``max_j (‖m_j − c‖ + sqrt(γ (tr C_j + tr R)))`` of its
linear prediction ``c``, with ``m_j``, ``C_j`` the exact position mean and covariance of mode
``j``'s prediction (:func:`~dronewall.tracking.imm.imm_predicted_positions`), so that the search
costs ``O(N r²)`` small products per scan over the live tracks, not a full prediction. Out-of-
sequence pairs keep the single Gaussian of the retrodicted state.

Adaptive turn rate
------------------
With ``imm_adaptive_turn`` the IMM's left and right turn modes are adaptive (the AIMM of
:mod:`~dronewall.tracking.imm`): each track carries a turn-rate estimate ``ω̂`` and its variance
(``TrackBank.turn_rate``, ``turn_rate_var``), updated after every forward update (GNN, or JPDA
where the no-detection weight is below 1/2; otherwise only its variance grows) from the rotation
of the combined velocity since the previous one
(:func:`~dronewall.tracking.imm.turn_rate_update`), and every prediction of the track (scan,
candidate search, coast bound, snapshot) turns its turn modes at ``±clip(|ω̂|,
imm_adaptive_min_rate, 1.5 rad/s)``: ``F``, ``Q`` per track, ``(N, 6, 6)``, batched like the
rest. Out-of-sequence updates leave ``ω̂`` alone. A new track starts at ``ω̂ = 0``.

Out-of-sequence measurements
----------------------------
A detection older than a track's state (a delayed feed; a sighting reported minutes late) updates
it with a one-step retrodiction (after Bar-Shalom, Chen & Mallick 2004): per mode, the state is
predicted back to the measurement time with the NCV model (backward prediction through the hover
mode would amplify errors by ``e^{Δ/τ}``), ``x_d = F(−Δ) x``, ``P_d = F(−Δ) (P + Q(Δ)) F(−Δ)ᵀ``, and
the current state is updated through the cross-covariance ``C = P F(−Δ)ᵀ Hᵀ``:
``x ← x + C S⁻¹ ν``, ``P ← P − C S⁻¹ Cᵀ`` with ``S = H P_d Hᵀ + R``. The correlation between the
current estimation error and the process noise since the measurement is neglected; it is
non-negative, so the update is conservative (Bar-Shalom's Bl1 subtracts an approximation of it).
The track keeps its time and mode probabilities. Lags above ``max_oosm_lag_s`` are not used.

Track management
----------------
At the end of the call the frame is closed:

* **Hits and misses are counted per frame, not per scan.** A track *hits* in a frame when at least
  one detection of any sensor updated it (JPDA: with association probability at least one half), and
  *misses* otherwise. Counting per scan would charge a track a miss for every asynchronous report of
  an unrelated object and for every scan of a sensor that cannot see it. With ``misses_need_scan``
  (off by default, see below) a frame in which none of the sensors that ever fed the track reported
  anything does not count at all: no miss, no shift of the M-of-N window, no track-score penalty,
  and a confirmed track stays ``CONFIRMED`` instead of turning ``COASTING``. Sensors revisit at
  different rates (a drone radar every second, an air-surveillance radar every 6-12 s): a track that
  only the slow radar can see yet would otherwise miss five frames of six and never be confirmed,
  and a Shahed-class munition would be confirmed only when it came into the short-range radar's
  cover, minutes late (seen on ``shahed-wave-with-jamming``: detected at 35-45 km, confirmed at 8
  km). A sensor that reported nothing at all in a frame (no plot, no clutter) looks silent, so its
  frame does not count either; ``tentative_max_coast_s`` deletes a tentative track whose sensors
  fell silent. It is off by default until the picture downstream is re-measured with it: on
  ``eastern-flank-raid`` seed 0 it confirms every threat 13-90 s after its first detection instead
  of 340-1,900 s, but the long-range tracks it adds (cross-range errors of 100-200 m at 30-60 km,
  fragmented where the radar's P_D is low) raise the GOSPA (c = 100 m) from 234 to 283 m, and that
  run had 5 leakers instead of 3. Over 12 paired seeds of that scenario it left the leakers of
  both engagement doctrines where they were (cost-aware 1.0 against 0.9 per run, baseline 0.8
  against 0.6, within the run-to-run spread): the threat score, not confirmation, sets when a
  munition may be engaged (benchmarks/RESULTS.md, "Seeds 1 and 4 traced").
* **Confirmation**: ``initiator="mofn"``: a tentative track is confirmed when it hit in at least
  ``confirm_m`` of its last ``confirm_n`` frames (3 of 5). ``initiator="llr"``: the sequential
  probability ratio test on the track score (Blackman & Popoli 1999, §6.2), the log-likelihood
  ratio of "target" against "false alarm", ``ΔL = ln(P_D N(ν; 0, S) / λ)`` per detection and
  ``ln(1 − P_D)`` per missed frame; confirmed at ``llr_confirm`` = ln((1 − β)/α), deleted below
  ``llr_delete`` = ln(β/(1 − α)). Either way a track is confirmed only once its position is
  *observable*: it has at least ``confirm_min_fixes`` hits from detections that measure range
  (position, polar), or bearings from at least two sensors (a triangulation); and for a
  tentative track a frame counts as a hit only when it was observable (a fix, or bearings from
  two sensors in the frame). One sensor's bearings alone neither confirm a tentative track nor
  keep it alive: the range along the line is unknown, so a clutter plot on a drone's RF bearing
  line cannot grow into a firm track at a made-up range (seen on ``hobby-drone-park``: a false
  track next to the RF detector, below ground, that the advice then proposed to jam).
* **Deletion.** A tentative track is deleted after ``tentative_max_misses`` consecutive missed
  frames, or (M-of-N) as soon as ``M`` of ``N`` has become unreachable. A confirmed track that
  missed the last frame is ``COASTING``; it is deleted when its last detection is older than
  ``min(confirmed_max_coast_s, coast_s_per_hit · hits)`` (with ``misses_need_scan``, the per-hit
  bound is at least two of the track's mean intervals between hits) or when its horizontal
  position standard deviation ``sqrt(P_ee + P_nn)`` predicted to the frame time exceeds
  ``confirmed_max_position_std`` (and, with ``misses_need_scan``, four times its value at the
  last update: a long-range radar's track starts wider than the bound); with
  ``misses_need_scan`` these two are judged only in frames that count for the track (its sensors
  reported), ``confirmed_max_coast_s`` in every frame. With ``confirm_min_fixes`` (the default)
  the same bounds apply to the time since the track's last *observable* update (``t_fix``: a
  fix, or bearings from a second sensor since the last one): one sensor's bearings update a firm
  track but do not keep it alive, so a track whose range is no longer measured is deleted once
  its range would be made up, and the bearings go on as a bearing-only track (seen on
  ``hobby-drone-park`` with birds: a bird's radar track left on a cooperative drone's RF line
  lived for minutes on its bearings alone, was classed a quadcopter from the drone's link and
  proposed for jamming). Otherwise a track that hit in the frame is not deleted.
* **Triangulation**: bearings no track took in the frame, from different sensors, whose lines
  intersect consistently (χ² test) within ``triangulation_window_s``, are paired greedily by
  increasing χ² and start tentative tracks at the least-squares intersection.
* **Merging of duplicates**: a younger firm track is a duplicate of an older one in a frame when
  either both hit from *disjoint* sets of sensors and their states (position and velocity,
  predicted to the frame time) are statistically equal, or the older hit from a sensor that used
  to feed the younger, which got nothing, and their positions are statistically equal. After
  ``merge_frames`` consecutive such frames the younger is merged into the older, whose number is
  kept. One sensor's scan never holds two detections of one object, so tracks that the same
  sensor updates in a frame are never merged: drones in formation seen together stay apart.
* **Track numbers** are never reused; new tracks of a scan are numbered in the order of their
  detections' positions, so numbering does not depend on the order of rows within a scan.

Time
----
Each track stays at the time of its last detection. The frame time is the ``t`` passed to
:meth:`~MultiSensorTracker.step`, else the latest detection time seen; pass ``t`` on ticks without
detections so that coasting tracks age.

Class cues
----------
A detection's class cue (``DetectionBatch.cue``, an EO/IR operator's recognition) is counted per
track and class, ``cue_counts (N, C) int32``, row-aligned with the bank (appended with it,
compacted with it, summed into the older track when duplicates merge) and given out as
``TrackTable.cue_counts``. The tracker never uses the cues itself.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.core.attribution import attribute_bearings
from dronewall.core.errors import ConfigError
from dronewall.core.measurements import I64, DetectionBatch, MeasurementKind
from dronewall.core.tracks import N_CUE_CLASSES, TrackStatus, TrackTable
from dronewall.tracking.association import GNNAssociator
from dronewall.tracking.bank import TrackBank, majority_vote, popcount, several
from dronewall.tracking.bearing_only import BearingOnlyConfig, BearingOnlyTracker, BearingTrackTable
from dronewall.tracking.gating import chi2_threshold, euclidean_candidates
from dronewall.tracking.imm import (
    TURN_RATE_INITIAL_STD,
    TURN_RATE_NOISE,
    InteractingMultipleModel,
    drone_imm,
    imm_combine,
    imm_gate_pairs,
    imm_mix_predict,
    imm_predicted_positions,
    imm_update_probabilities,
    single_model,
    turn_rate_update,
)
from dronewall.tracking.jpda import jpda_probabilities
from dronewall.tracking.kalman import kalman_predict, mahalanobis_pairs, position_update
from dronewall.tracking.measurement import (
    cross_covariance_update,
    initial_state,
    innovation,
    linearised_update,
    masked_jacobian,
    masked_noise,
    pair_statistics,
    predict_measurement,
    range_rate_update,
    wrap_angle,
)
from dronewall.tracking.models import (
    ADAPTIVE_MAX_RATE,
    ADAPTIVE_MIN_RATE,
    AdaptiveTurnModel,
    NearlyConstantVelocityModel,
)
from dronewall.tracking.triangulation import pair_bearings

F64 = NDArray[np.float64]
IntP = NDArray[np.intp]
B = NDArray[np.bool_]

_I3 = np.arange(3)
_MAX_SENSOR_BIT = 62
_LN2PI = math.log(2.0 * math.pi)
_POS = int(MeasurementKind.POSITION)
_BRG = int(MeasurementKind.BEARING)
_SIG = int(MeasurementKind.SIGHTING)
_POL = int(MeasurementKind.POLAR)

MOTION_MODELS = ("imm", "ncv")
ASSOCIATORS = ("gnn", "jpda")
INITIATORS = ("mofn", "llr")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerConfig:
    """Parameters of :class:`MultiSensorTracker`; the defaults are what works best on drones.

    Parameters
    ----------
    motion_model : {"imm", "ncv"}
        ``"imm"``: the interacting multiple model of :func:`~dronewall.tracking.imm.drone_imm`
        (cruise, left and right coordinated turns, hover) with ``q_horizontal``/``q_vertical`` as
        its manoeuvre noise; ``"ncv"``: one nearly-constant-velocity model with those densities.
    imm_mixture_gating : bool
        Gate and score IMM track-detection pairs on the mode mixture
        (:func:`~dronewall.tracking.imm.imm_gate_pairs`): a pair is inside the gate when it is
        inside the χ² gate of any mode's own prediction, and its association likelihood is
        ``Σ_j μ_j N_j``. False: the moment-matched single Gaussian of the mixture, whose gate
        after a straight leg is nearly the cruise mode's and drops the first detections of a hard
        turn (see "Gating" in the module docstring for the measured effect). No effect with one
        mode (``motion_model="ncv"``) or on out-of-sequence detections.
    imm_turn_rates : tuple of float, rad/s
        ``()`` (default): one turn rate each side (0.35 rad/s). Otherwise a bank of fixed rates,
        a left and a right coordinated-turn mode per rate (``turn_rates`` of
        :func:`~dronewall.tracking.imm.drone_imm`); non-zero, finite, distinct in magnitude.
        Only with ``motion_model="imm"``.
    imm_manoeuvre_q_horizontal : float or None, m²/s³
        Add a manoeuvre mode, an NCV with this horizontal density (braking and sprinting no turn
        rate describes: about ``a² T`` for accelerations ``a`` at revisit ``T``). None: no such
        mode. Only with ``motion_model="imm"``.
    imm_adaptive_turn : bool
        The adaptive IMM (Munir & Atherton 1995; :mod:`~dronewall.tracking.imm`, "Adaptive
        IMM"): each track keeps a turn-rate estimate ``ω̂`` from the rotation of its velocity
        (:func:`~dronewall.tracking.imm.turn_rate_update`), and its left and right turn modes
        turn at ``±clip(|ω̂|, imm_adaptive_min_rate, 1.5 rad/s)`` instead of the fixed 0.35 rad/s.
        Off by default (see benchmarks/RESULTS.md). Only with ``motion_model="imm"`` and without
        ``imm_turn_rates``; the state stays the 6-D ``(e, n, u, ve, vn, vu)``.
    imm_adaptive_min_rate : float, rad/s
        Smallest rate of the adaptive turn modes: a straight-flying track (``ω̂ ≈ 0``) keeps
        its turn modes there, ready for the next turn. Only with ``imm_adaptive_turn``.
    imm_turn_rate_noise : float, rad²/s³
        ``q_ω``, the random-walk density of the turn-rate filter: larger follows a turn's onset
        faster and is noisier on straight legs. Only with ``imm_adaptive_turn``.
    associator : {"gnn", "jpda"}
        Global nearest neighbour or joint probabilistic data association.
    initiator : {"mofn", "llr"}
        M-of-N confirmation or the sequential track-score (log-likelihood ratio) test.
    q_horizontal, q_vertical : float, m²/s³
        Acceleration noise densities (east/north, up). 9 ≈ (3 m/s²)² · 1 s covers quadcopters
        and FPV drones turning within a few seconds; vertical motion is gentler.
    gate_probability : float
        χ² gate probability; 0.9999 gives ``γ ≈ 21.1`` at 3 dof (4.6 σ). A wide gate is cheap
        with likelihood costs, which rank the candidates anyway.
    detection_probability : float
        ``P_D`` used in the association costs and the track score.
    clutter_density : float, m⁻³
        Density of false alarms and new targets per scan for 3-D measurements. The default 1e-10
        is 10 false alarms in a 10 km x 10 km x 1 km volume. Polar plots use it through the
        volume element ``r² cos(el)``.
    clutter_density_2d : float, m⁻²
        The same for measurements without height (2-D positions, 2-D radar plots through ``r``):
        the default 1e-7 is 10 per 10 km x 10 km.
    clutter_density_bearing, clutter_density_azimuth : float, rad⁻², rad⁻¹
        The same for bearings with and without elevation: about one false bearing per scan
        spread over the sensor's field of regard (2π x π/2 and 2π).
    clutter_density_sighting : float, m⁻³
        The same for human sighting reports (``use_sightings``): about one unrelated report per
        30 km x 30 km x 1 km per report time, an assumption. Their kilometre-scale errors make
        every likelihood small, so this must be small too or no report is ever associated.
    confirm_m, confirm_n : int
        M-of-N confirmation over frames (3 of 5): a steadily detected object is confirmed after
        3 ticks and two missed frames are tolerated, while a chain of clutter must fall inside
        ever tighter gates three times.
    confirm_min_fixes : int
        Least number of range-measuring hits (every kind but bearings and sightings) before a
        track may be confirmed, unless bearings from two or more sensors updated it (0: no such
        condition). See "Confirmation" in the module docstring.
    tentative_max_misses : int
        Consecutive missed frames that delete a tentative track (2: clutter tracks die fast).
    misses_need_scan : bool
        A frame counts for a track (a hit, or a miss in M-of-N, the track score and
        ``tentative_max_misses``; a confirmed track turning ``COASTING``) only when one of the
        sensors that ever fed the track reported in the frame, or it hit. With False (the
        default for now) every frame counts: a track seen only by a surveillance radar that
        revisits every 6 s on a 1 s tick then misses five frames of six and never confirms. See
        "Hits and misses" in the module docstring.
    tentative_max_coast_s : float, s
        With ``misses_need_scan``, a tentative track is also deleted when its last detection is
        older than this (a sensor that stopped reporting: its frames no longer count). 30 s is
        two missed revisits of a 12 s long-range radar.
    confirmed_max_coast_s : float, s
        Time without detection after which a confirmed track is deleted. Sized for the weakest
        sensors: a small drone at 3-5 km or a bird is seen by the drone radar with ``P_D`` ≈
        0.4-0.5 per 1 s scan. Measured on ``kleine-brogel-night`` (seeds 0-4): 6 s gave 84
        confirmed tracks for 19 objects on average, 15 s 41.
    coast_s_per_hit : float, s
        A confirmed track with ``h`` hits may coast at most ``min(confirmed_max_coast_s,
        coast_s_per_hit · h)``: a barely confirmed track (possibly a chain of clutter) is held
        6 s, an established one the full time. With ``misses_need_scan`` the per-hit bound is at
        least twice the track's mean time between hits, so that a 6 s radar's new track survives
        one missed plot.
    confirmed_max_position_std : float, m
        A coasting track is also deleted once its horizontal position uncertainty
        ``sqrt(P_ee + P_nn)``, predicted to the frame time, exceeds this (``math.inf`` turns the
        test off). Horizontal only: the height of a track fed only 2-D data is never observed
        and keeps its initial ``unobserved_up_std``.
    init_velocity_std_horizontal, init_velocity_std_vertical : float, m/s
        Velocity standard deviation of a one-point initiated track: 40 m/s per horizontal axis
        admits the second detection of every drone class and Shahed-type munition; 10 m/s up.
    unobserved_up_std : float, m
        Standard deviation of the height of a track started from a measurement without height
        (2-D data, azimuth-only triangulation), placed at the sensor's height.
    max_speed : float, m/s
        No pair is gated that would need the track to have moved faster than this.
    use_ident : bool
        Refuse pairs whose cooperative identities (ICAO addresses) are both known and differ.
    initiate_in_confirmed_gates : bool
        Start a tentative track at an unassigned detection even inside the χ² gate of a firm
        track. False suppresses those starts.
    llr_confirm, llr_delete : float
        Track-score thresholds of ``initiator="llr"``: ln((1 − β)/α) and ln(β/(1 − α)) with the
        false-track confirmation probability ``α`` = 1e-4 and the true-track deletion
        probability ``β`` = 0.1 (Blackman & Popoli 1999, §6.2).
    jpda_initiation_threshold : float
        Under JPDA, a detection starts a track when its probability of belonging to no track is
        at least this.
    use_sightings : bool
        Let human sighting reports update existing tracks (never start or confirm one).
    max_oosm_lag_s : float, s
        Out-of-sequence detections older than this relative to a track are not used on it.
    triangulate_bearings : bool
        Start tracks from pairs of bearings of different sensors.
    triangulation_window_s : float, s
        Largest time difference between two bearings triangulated together.
    triangulation_max_chi2 : float
        χ² bound of a bearing pair's intersection residual (1 dof with two elevations; at 99.76 %
        9.21). Two azimuths always intersect: azimuth-only pairs are bounded by range only.
    triangulation_max_range_m : float, m
        Intersections farther than this from either sensor are ignored (passive sensors hear
        small drones to a few km; 20 km is generous).
    merge_frames : int
        Consecutive frames of duplicate evidence before two tracks are merged (0: never).
    merge_gate_probability : float
        χ² probability of the equality tests of duplicate tracks (6 dof on the state, 3 on the
        position).
    bearing_only : bool
        Keep bearing-only tracks for bearings nothing else used.
    attribute_bearings : bool
        Attribute each RF bearing to the Remote ID position the same detector decoded in the
        same scan at that azimuth (:func:`~dronewall.core.attribution.attribute_bearings`):
        such a bearing updates only the track holding that identity and never starts a track,
        so a bird's track lying on a cooperative drone's RF line does not take its bearings.
    """

    motion_model: str = "imm"
    imm_mixture_gating: bool = True
    imm_turn_rates: tuple[float, ...] = ()
    imm_manoeuvre_q_horizontal: float | None = None
    imm_adaptive_turn: bool = False
    imm_adaptive_min_rate: float = ADAPTIVE_MIN_RATE
    imm_turn_rate_noise: float = TURN_RATE_NOISE
    associator: str = "gnn"
    initiator: str = "mofn"
    q_horizontal: float = 9.0
    q_vertical: float = 2.0
    gate_probability: float = 0.9999
    detection_probability: float = 0.9
    clutter_density: float = 1e-10
    clutter_density_2d: float = 1e-7
    clutter_density_bearing: float = 0.1
    clutter_density_azimuth: float = 0.16
    clutter_density_sighting: float = 1e-12
    confirm_m: int = 3
    confirm_n: int = 5
    confirm_min_fixes: int = 2
    tentative_max_misses: int = 2
    misses_need_scan: bool = False
    tentative_max_coast_s: float = 30.0
    confirmed_max_coast_s: float = 15.0
    coast_s_per_hit: float = 2.0
    confirmed_max_position_std: float = 250.0
    init_velocity_std_horizontal: float = 40.0
    init_velocity_std_vertical: float = 10.0
    unobserved_up_std: float = 300.0
    max_speed: float = 300.0
    use_ident: bool = True
    initiate_in_confirmed_gates: bool = True
    llr_confirm: float = 9.1
    llr_delete: float = -2.3
    jpda_initiation_threshold: float = 0.5
    use_sightings: bool = False
    max_oosm_lag_s: float = 600.0
    triangulate_bearings: bool = True
    triangulation_window_s: float = 1.0
    triangulation_max_chi2: float = 9.21
    triangulation_max_range_m: float = 20_000.0
    merge_frames: int = 2
    merge_gate_probability: float = 0.99
    bearing_only: bool = True
    attribute_bearings: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (
            ("motion_model", MOTION_MODELS),
            ("associator", ASSOCIATORS),
            ("initiator", INITIATORS),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    "unknown choice",
                    field=name,
                    expected=" or ".join(allowed),
                    actual=repr(getattr(self, name)),
                )
        positive = (
            "confirmed_max_coast_s",
            "tentative_max_coast_s",
            "coast_s_per_hit",
            "init_velocity_std_horizontal",
            "init_velocity_std_vertical",
            "unobserved_up_std",
            "max_speed",
            "clutter_density",
            "clutter_density_2d",
            "clutter_density_bearing",
            "clutter_density_azimuth",
            "clutter_density_sighting",
            "max_oosm_lag_s",
            "triangulation_window_s",
            "triangulation_max_chi2",
            "triangulation_max_range_m",
        )
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(
                    "must be finite and positive", field=name, expected="> 0", actual=repr(value)
                )
        if not self.confirmed_max_position_std > 0.0:  # inf allowed, NaN refused
            raise ConfigError(
                "must be positive (inf: no bound)",
                field="confirmed_max_position_std",
                expected="> 0",
                actual=repr(self.confirmed_max_position_std),
            )
        if self.confirm_min_fixes < 0:
            raise ConfigError(
                "confirm_min_fixes must be >= 0",
                field="confirm_min_fixes",
                actual=repr(self.confirm_min_fixes),
            )
        if not 1 <= self.confirm_m <= self.confirm_n <= _MAX_SENSOR_BIT:
            raise ConfigError(
                "M-of-N confirmation needs 1 <= M <= N <= 62",
                field="confirm_m",
                expected="1 <= confirm_m <= confirm_n <= 62",
                actual=f"{self.confirm_m} of {self.confirm_n}",
            )
        if self.tentative_max_misses < 1:
            raise ConfigError(
                "must be at least 1",
                field="tentative_max_misses",
                actual=repr(self.tentative_max_misses),
            )
        if self.merge_frames < 0:
            raise ConfigError("must be >= 0", field="merge_frames", actual=repr(self.merge_frames))
        if not (math.isfinite(self.llr_confirm) and math.isfinite(self.llr_delete)) or not (
            self.llr_delete < 0.0 < self.llr_confirm
        ):
            raise ConfigError(
                "track-score thresholds need llr_delete < 0 < llr_confirm",
                field="llr_confirm",
                actual=f"{self.llr_delete}, {self.llr_confirm}",
            )
        for name in ("jpda_initiation_threshold", "merge_gate_probability", "gate_probability"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(
                    "must lie strictly between 0 and 1", field=name, actual=repr(value)
                )
        self._check_imm_fields()
        # The components validate their own parameters.
        self.motion()
        self.associator_gnn()

    def _check_imm_fields(self) -> None:
        if not isinstance(self.imm_mixture_gating, bool | np.bool_):
            raise ConfigError(
                "must be true or false",
                field="imm_mixture_gating",
                expected="bool",
                actual=repr(self.imm_mixture_gating),
            )
        try:
            rates = tuple(float(w) for w in self.imm_turn_rates)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "must be a sequence of turn rates in rad/s",
                field="imm_turn_rates",
                expected="tuple of float",
                actual=repr(self.imm_turn_rates),
            ) from exc
        for k, w in enumerate(rates):
            if not (math.isfinite(w) and w != 0.0):
                raise ConfigError(
                    "turn rates must be finite and non-zero (zero is the cruise mode)",
                    field=f"imm_turn_rates[{k}]",
                    expected="|ω| > 0 rad/s",
                    actual=repr(w),
                )
        if len({abs(w) for w in rates}) != len(rates):
            raise ConfigError(
                "turn rates must differ in magnitude (each gives a left and a right mode)",
                field="imm_turn_rates",
                expected="distinct |ω|",
                actual=repr(rates),
            )
        object.__setattr__(self, "imm_turn_rates", rates)
        q_m = self.imm_manoeuvre_q_horizontal
        if q_m is not None and not (
            isinstance(q_m, int | float)
            and not isinstance(q_m, bool)
            and math.isfinite(q_m)
            and q_m > 0.0
        ):
            raise ConfigError(
                "must be finite and positive, or null for no manoeuvre mode",
                field="imm_manoeuvre_q_horizontal",
                expected="> 0 m²/s³ or None",
                actual=repr(q_m),
            )
        self._check_adaptive_fields(rates)
        if self.motion_model != "imm":
            for name, unset in (
                ("imm_turn_rates", not rates),
                ("imm_manoeuvre_q_horizontal", q_m is None),
                ("imm_adaptive_turn", not self.imm_adaptive_turn),
            ):
                if not unset:
                    raise ConfigError(
                        "an IMM mode option needs motion_model='imm'",
                        field=name,
                        expected="motion_model='imm' (or leave the option unset)",
                        actual=f"motion_model={self.motion_model!r}",
                    )

    def _check_adaptive_fields(self, rates: tuple[float, ...]) -> None:
        if not isinstance(self.imm_adaptive_turn, bool | np.bool_):
            raise ConfigError(
                "must be true or false",
                field="imm_adaptive_turn",
                expected="bool",
                actual=repr(self.imm_adaptive_turn),
            )
        for name, default in (
            ("imm_adaptive_min_rate", ADAPTIVE_MIN_RATE),
            ("imm_turn_rate_noise", TURN_RATE_NOISE),
        ):
            value = getattr(self, name)
            if not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value > 0.0
            ):
                raise ConfigError(
                    "must be finite and positive", field=name, expected="> 0", actual=repr(value)
                )
            if value != default and not self.imm_adaptive_turn:
                raise ConfigError(
                    "an adaptive-turn option needs imm_adaptive_turn=true",
                    field=name,
                    expected="imm_adaptive_turn=true (or leave the option unset)",
                    actual=repr(value),
                )
        if self.imm_adaptive_min_rate > ADAPTIVE_MAX_RATE:
            raise ConfigError(
                "the adaptive turn modes' smallest rate cannot exceed their largest",
                field="imm_adaptive_min_rate",
                expected=f"0 < imm_adaptive_min_rate <= {ADAPTIVE_MAX_RATE} rad/s",
                actual=repr(self.imm_adaptive_min_rate),
            )
        if self.imm_adaptive_turn and rates:
            raise ConfigError(
                "adaptive turn modes replace the turn bank: give one or the other",
                field="imm_adaptive_turn",
                expected="imm_turn_rates=() with imm_adaptive_turn",
                actual=f"imm_turn_rates={rates!r}",
            )

    def ncv_model(self) -> NearlyConstantVelocityModel:
        """The nearly-constant-velocity model with these noise densities."""
        return NearlyConstantVelocityModel(
            q_horizontal=self.q_horizontal, q_vertical=self.q_vertical
        )

    def motion(self) -> InteractingMultipleModel:
        """The (possibly single-mode) interacting multiple model these parameters describe."""
        if self.motion_model == "ncv":
            return single_model(self.ncv_model())
        return drone_imm(
            q_horizontal=self.q_horizontal,
            q_vertical=self.q_vertical,
            turn_rates=self.imm_turn_rates,
            manoeuvre_q_horizontal=self.imm_manoeuvre_q_horizontal,
            adaptive_turn=bool(self.imm_adaptive_turn),
            adaptive_min_rate=self.imm_adaptive_min_rate,
        )

    def associator_gnn(self) -> GNNAssociator:
        """The GNN associator these parameters describe (costs relative to ``clutter_density``)."""
        return GNNAssociator(
            detection_probability=self.detection_probability,
            clutter_density=self.clutter_density,
        )


@dataclass(slots=True)
class _Predicted:
    """Candidate tracks of one scan, predicted (or retrodicted) to the scan time."""

    rows: IntP  # global bank rows (N',)
    forward: B  # (N',) the scan is not older than the track
    mu: F64  # (N', r) predicted mode probabilities (forward rows; copies otherwise)
    xm: F64  # (N', r, 6) per-mode predictions (forward rows)
    Pm: F64  # (N', r, 6, 6)
    x: F64  # (N', 6) combined state at the scan time (retrodicted for backward rows)
    P: F64  # (N', 6, 6)


class MultiSensorTracker:
    """Multi-sensor, multi-target IMM tracker in local ENU with GNN or JPDA association.

    Parameters
    ----------
    config : TrackerConfig
        Parameters; the motion model and associator are built from it unless given.
    imm : InteractingMultipleModel, optional
        A mode set to use instead of the one ``config`` describes. It has adaptive turn modes
        (:attr:`~dronewall.tracking.imm.InteractingMultipleModel.adaptive`) exactly when
        ``config.imm_adaptive_turn`` is set, else :class:`~dronewall.core.errors.ConfigError`.

    Examples
    --------
    >>> tracker = MultiSensorTracker(TrackerConfig())
    >>> tracker.step(batch, t=tick_time)          # doctest: +SKIP
    >>> table = tracker.snapshot(tick_time)       # doctest: +SKIP
    """

    def __init__(
        self, config: TrackerConfig | None = None, *, imm: InteractingMultipleModel | None = None
    ) -> None:
        self._config = TrackerConfig() if config is None else config
        c = self._config
        self._imm = c.motion() if imm is None else imm
        self._r = len(self._imm.models)
        # gate forward pairs on the union of the mode gates (see "Gating" in the module docstring)
        self._mixture = bool(c.imm_mixture_gating) and self._r > 1
        # adaptive IMM: per-track turn rates (see "Adaptive turn rate" in the module docstring)
        self._adaptive = self._imm.adaptive
        if self._adaptive != bool(c.imm_adaptive_turn):
            raise ConfigError(
                "the given IMM and imm_adaptive_turn disagree on adaptive turn modes",
                field="imm_adaptive_turn",
                expected=f"{self._adaptive} (as the given imm)",
                actual=repr(c.imm_adaptive_turn),
            )
        # the rate filter's clip: the largest rate any adaptive turn mode takes
        self._max_turn_rate = max(
            (m.max_rate for m in self._imm.models if isinstance(m, AdaptiveTurnModel)),
            default=ADAPTIVE_MAX_RATE,
        )
        self._ncv = c.ncv_model()
        self._associator = c.associator_gnn()
        self._thr = np.array([0.0] + [chi2_threshold(c.gate_probability, k) for k in (1, 2, 3)])
        self._merge_thr = {k: chi2_threshold(c.merge_gate_probability, k) for k in (3, 6)}
        self._bank = TrackBank.empty(self._r)
        # class-cue counts per bank row (see "Class cues" in the module docstring)
        self._cue_counts = np.zeros((0, N_CUE_CLASSES), np.int32)
        self._next_id = 1
        self._time = math.nan
        self._deleted = np.empty(0, np.int64)
        self._frame_bearings: list[DetectionBatch] = []
        # sensors (bit masks as in TrackBank.sensors) with a detection in the current frame
        self._frame_reporting = 0
        self._vel_std = np.array(
            [c.init_velocity_std_horizontal] * 2 + [c.init_velocity_std_vertical]
        )
        self._bearing_only = BearingOnlyTracker(BearingOnlyConfig(), next_id=self._take_ids)
        self.counters: Counter[str] = Counter()
        """Event counts: ``rows_rejected`` (non-finite values), ``oosm_updates``,
        ``oosm_too_old`` (pairs beyond ``max_oosm_lag_s``), ``triangulated``, ``merged``."""

    @property
    def config(self) -> TrackerConfig:
        """The tracker's parameters."""
        return self._config

    @property
    def imm(self) -> InteractingMultipleModel:
        """The mode set in use (one mode for ``motion_model="ncv"``)."""
        return self._imm

    @property
    def time(self) -> float:
        """Time of the last closed frame, s (NaN before the first one)."""
        return self._time

    @property
    def deleted_ids(self) -> NDArray[np.int64]:
        """``track_id`` of the 3-D tracks deleted or merged away by the last :meth:`step`."""
        return self._deleted.copy()

    def __len__(self) -> int:
        return len(self._bank)

    def _take_ids(self, k: int) -> NDArray[np.int64]:
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        return ids

    # ------------------------------------------------------------------ frame

    def step(self, batch: DetectionBatch, *, t: float | None = None) -> None:
        """Process one frame of detections.

        Parameters
        ----------
        batch : DetectionBatch
            Detections of any sensors, kinds and times (late ones included). Rows with a
            non-finite time, first component of ``z``, second component (except a bearing's
            elevation), noise of a measured component or (polar, bearing) sensor position are
            not used and counted in ``counters["rows_rejected"]``.
        t : float, optional
            Frame time, s (UTC epoch): the tick this call stands for. Defaults to the latest
            detection time (or the previous frame time when ``batch`` is empty).
        """
        self._deleted = np.empty(0, np.int64)
        self._frame_bearings = []
        kind = batch.kind
        used = (kind == _POS) | (kind == _POL) | (kind == _BRG)
        if self._config.use_sightings:
            used |= kind == _SIG
        ok = used & _well_formed(batch)
        self.counters["rows_rejected"] += int(np.count_nonzero(used & ~ok))
        rows = batch.select(ok)
        if self._config.misses_need_scan:
            bits = _sensor_bits(rows.sensor)
            self._frame_reporting = int(np.bitwise_or.reduce(bits, initial=0))
        if len(rows):
            order = np.lexsort((rows.sensor, rows.t))  # by time, then sensor
            rows = rows.select(order)
            new_scan = (np.diff(rows.t) != 0.0) | (np.diff(rows.sensor) != 0)
            bounds = np.concatenate([[0], np.flatnonzero(new_scan) + 1, [len(rows)]])
            claim = (
                attribute_bearings(rows, float(self._thr[1]))
                if self._config.attribute_bearings
                else np.full(len(rows), -1, np.int64)
            )
            self.counters["bearings_attributed"] += int(np.count_nonzero(claim >= 0))
            for a, b in itertools.pairwise(bounds):  # a loop over scans, not detections
                self._scan(rows.select(np.arange(a, b)), claim[a:b])
        t_frame = t
        if t_frame is None:
            latest = float(batch.t.max()) if len(batch) else math.nan
            t_frame = latest if math.isnan(self._time) else max(self._time, latest)
        if not math.isnan(t_frame):
            self._time = float(t_frame)
        self._close_frame(self._time)

    def _scan(self, scan: DetectionBatch, claim: I64) -> None:
        """Predict, gate, associate, update and initiate for one ``(sensor, t)`` scan.

        ``claim (M,)`` is the cooperative identity each bearing is attributed to
        (:func:`~dronewall.core.attribution.attribute_bearings`), ``-1`` none: a claimed
        bearing updates only the track holding that identity and, unused, starts nothing.
        """
        t_s = float(scan.t[0])
        m = len(scan)
        p_free = np.ones(m)
        if len(self._bank):
            p_free = self._associate_and_update(t_s, scan, claim)
        threshold = (
            self._config.jpda_initiation_threshold if self._config.associator == "jpda" else 0.5
        )
        free = p_free >= threshold
        bearing = (scan.kind == _BRG) & (claim < 0)
        if np.any(free & bearing):
            self._frame_bearings.append(scan.select(free & bearing))
        start = free & ((scan.kind == _POS) | (scan.kind == _POL))
        if np.any(start):
            self._initiate(scan.select(start))

    # ------------------------------------------------------------ candidates

    def _log_clutter(self, scan: DetectionBatch) -> F64:
        """``ln λ_j (M,)`` of each detection in its own measurement space."""
        c = self._config
        kind, z = scan.kind, scan.z
        has_up = np.isfinite(z[:, 2])
        has_el = np.isfinite(z[:, 1])
        out = np.where(has_up, math.log(c.clutter_density), math.log(c.clutter_density_2d))
        polar = kind == _POL
        if np.any(polar):
            r = np.maximum(np.abs(z[:, 0]), 1.0)
            el = np.where(has_up, z[:, 2], 0.0)
            vol3 = (
                np.log(c.clutter_density) + 2.0 * np.log(r) + np.log(np.maximum(np.cos(el), 1e-3))
            )
            vol2 = math.log(c.clutter_density_2d) + np.log(r)
            out = np.where(polar, np.where(has_up, vol3, vol2), out)
        out = np.where(kind == _SIG, math.log(c.clutter_density_sighting), out)
        bearing = kind == _BRG
        out = np.where(
            bearing,
            np.where(
                has_el, math.log(c.clutter_density_bearing), math.log(c.clutter_density_azimuth)
            ),
            out,
        )
        result: F64 = np.asarray(out, dtype=np.float64)
        return result

    def _candidates(
        self, scan: DetectionBatch, dt: F64, claim: I64 | None = None
    ) -> tuple[IntP, IntP]:
        """Pre-gated ``(track row, detection row)`` pairs of one scan (``claim``: see
        :meth:`_scan`; None: no bearing is attributed)."""
        bank, cfg = self._bank, self._config
        usable = np.flatnonzero(dt >= -cfg.max_oosm_lag_s)
        self.counters["oosm_too_old"] += 0 if usable.shape[0] == dt.shape[0] else 1
        if usable.shape[0] == 0:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        x = bank.x[usable]
        adt = np.abs(dt[usable])
        pos = x[:, :3] + dt[usable, None] * x[:, 3:]
        P = bank.P[usable]
        tr_pp_h = P[:, 0, 0] + P[:, 1, 1]
        tr_pp = tr_pp_h + P[:, 2, 2]
        tr_pred = self._predicted_position_trace(P, adt)
        # Horizontal only, for 2-D data: a track fed 2-D data keeps an unobserved height.
        tr_pred_h = self._predicted_position_trace(P, adt, axes=2)
        # Mixture gating: forward tracks are searched around every mode's own prediction.
        fwd = np.flatnonzero(dt[usable] >= 0.0) if self._mixture else np.empty(0, np.intp)
        if fwd.shape[0]:
            g = usable[fwd]
            m_pos, m_var = imm_predicted_positions(
                self._imm, bank.mu[g], bank.xm[g], bank.Pm[g], adt[fwd], turn_rate=self._rates(g)
            )
            off = m_pos - pos[fwd, None, :]  # (F, r, 3): each mode's mean from the centre
            modes = {
                3: (np.sqrt(np.sum(off * off, axis=2)), m_var.sum(axis=2)),
                2: (np.hypot(off[..., 0], off[..., 1]), m_var[..., 0] + m_var[..., 1]),
            }
        pts, var = _pseudo_positions(scan)
        ti_parts: list[IntP] = []
        dj_parts: list[IntP] = []
        three = np.flatnonzero(np.all(np.isfinite(pts), axis=1))
        two = np.flatnonzero(np.all(np.isfinite(pts[:, :2]), axis=1) & ~np.isfinite(pts[:, 2]))
        for group, dims, dof, tr in ((three, 3, 3, tr_pred), (two, 2, 2, tr_pred_h)):
            if group.shape[0] == 0:
                continue
            gamma = float(self._thr[dof])
            var_max = float(var[group].max())
            radius = np.sqrt(gamma * (tr + var_max))
            if fwd.shape[0]:
                # |z − m_j| ≤ sqrt(γ λ_max(S_j)) ≤ sqrt(γ (tr C_j + tr R)) inside mode j's gate
                d_off, tr_mode = modes[dims]
                radius[fwd] = np.max(d_off + np.sqrt(gamma * (tr_mode + var_max)), axis=1)
            tp = pos[:, :dims] if dims == 3 else np.column_stack([pos[:, :2], np.zeros(len(pos))])
            dp = (
                pts[group, :dims]
                if dims == 3
                else np.column_stack([pts[group, :2], np.zeros(group.shape[0])])
            )
            ti, dj = euclidean_candidates(tp, radius, dp)
            dj = group[dj]
            pp = tr_pp[ti] if dims == 3 else tr_pp_h[ti]
            reach = cfg.max_speed * adt[ti] + np.sqrt(gamma * (pp + var[dj]))
            moved = pts[dj, :dims] - x[ti, :dims]
            keep = np.einsum("kd,kd->k", moved, moved) <= reach * reach
            ti_parts.append(ti[keep])
            dj_parts.append(dj[keep])
        bearings = np.flatnonzero(scan.kind == _BRG)
        if bearings.shape[0]:
            gamma = float(self._thr[2])
            tr_b = tr_pred
            if fwd.shape[0]:
                # a spread s with sqrt(γ) s = max_j (|m_j − c| + sqrt(γ tr C_j))
                d_off, tr_mode = modes[3]
                tr_b = tr_pred.copy()
                tr_b[fwd] = np.max(d_off / math.sqrt(gamma) + np.sqrt(tr_mode), axis=1) ** 2
            ti, dj = _angular_candidates(pos, tr_b, scan.select(bearings), gamma)
            ti_parts.append(ti)
            dj_parts.append(bearings[dj])
        if not ti_parts:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        ti = np.concatenate(ti_parts)
        dj = np.concatenate(dj_parts)
        if cfg.use_ident:
            a, b = bank.ident[usable[ti]], scan.ident[dj]
            ok = (a < 0) | (b < 0) | (a == b)
            ti, dj = ti[ok], dj[ok]
        c = np.full(dj.shape[0], -1, np.int64) if claim is None else claim[dj]
        if np.any(c >= 0):
            ok = (c < 0) | (bank.ident[usable[ti]] == c)
            ti, dj = ti[ok], dj[ok]
        return usable[ti].astype(np.intp), dj.astype(np.intp)

    def _predicted_position_trace(self, P: F64, dt: F64, axes: int = 3) -> F64:
        """``tr P_pos`` predicted ``dt ≥ 0`` ahead, with the largest mode's process noise, over
        the first ``axes`` position axes (3, or 2 for the horizontal; the noise bound is the 3-D
        one either way)."""
        i = _I3[:axes]
        tr_pp = P[:, i, i].sum(axis=1)
        tr_pv = P[:, i, i + 3].sum(axis=1)
        tr_vv = P[:, i + 3, i + 3].sum(axis=1)
        noise = np.max([m.position_noise_trace(dt) for m in self._imm.models], axis=0)
        out: F64 = tr_pp + 2.0 * dt * tr_pv + dt * dt * tr_vv + noise
        return out

    # ------------------------------------------------------------ prediction

    def _predict(self, rows: IntP, t_s: float) -> _Predicted:
        """Candidate tracks at the scan time: IMM prediction forward, retrodiction backward."""
        bank = self._bank
        dt = t_s - bank.t_update[rows]
        forward = dt >= 0.0
        mu = bank.mu[rows].copy()
        xm = bank.xm[rows].copy()
        Pm = bank.Pm[rows].copy()
        x = bank.x[rows].copy()
        P = bank.P[rows].copy()
        f = np.flatnonzero(forward)
        if f.shape[0]:
            mu_f, xm_f, Pm_f = imm_mix_predict(
                self._imm, mu[f], xm[f], Pm[f], dt[f], turn_rate=self._rates(rows[f])
            )
            mu[f], xm[f], Pm[f] = mu_f, xm_f, Pm_f
            x[f], P[f] = imm_combine(mu_f, xm_f, Pm_f)
        b = np.flatnonzero(~forward)
        if b.shape[0]:
            x[b], P[b] = _retrodict(x[b], P[b], -dt[b], self._ncv)
        return _Predicted(rows=rows, forward=forward, mu=mu, xm=xm, Pm=Pm, x=x, P=P)

    # ----------------------------------------------------------- association

    def _associate_and_update(self, t_s: float, scan: DetectionBatch, claim: I64) -> F64:
        """Update the tracks that take detections; return each detection's probability of
        belonging to no track (0 or 1 under GNN)."""
        bank, cfg = self._bank, self._config
        m = len(scan)
        p_free = np.ones(m)
        ti, dj = self._candidates(scan, t_s - bank.t_update, claim)
        if ti.shape[0] == 0:
            return p_free
        tu, tl = np.unique(ti, return_inverse=True)
        pred = self._predict(tu, t_s)
        d2, log_l, dof = self._pair_statistics(pred, tl, dj, scan)
        inside = (dof > 0) & (d2 <= self._thr[dof])
        tl, dj = tl[inside], dj[inside]
        if tl.shape[0] == 0:
            return p_free
        ln_lam = self._log_clutter(scan)
        ln_ref = math.log(cfg.clutter_density)
        # log(L / λ_j) + ln λ_ref: each detection's likelihood in the reference clutter units.
        loglik = log_l[inside] - ln_lam[dj] + ln_ref
        sighting = scan.kind == _SIG
        if cfg.associator == "gnn":
            cost = -2.0 * loglik - 3.0 * _LN2PI  # the associator adds 3 ln 2π − 2 ln P_D
            asg = self._associator.associate(tu.shape[0], m, tl, dj, cost)
            p_free[asg.detection] = 0.0
            self._apply_pairs(pred, asg.track, asg.detection, scan, t_s, ln_lam)
        else:
            res = jpda_probabilities(
                tu.shape[0],
                m,
                tl,
                dj,
                loglik,
                cfg.detection_probability,
                cfg.gate_probability,
                cfg.clutter_density,
            )
            p_free = np.asarray(res.p_unassociated, dtype=np.float64).copy()
            self._apply_jpda(pred, tl, dj, np.asarray(res.beta), scan, t_s, ln_lam)
        if not cfg.initiate_in_confirmed_gates:
            firm = bank.status[tu[tl]] != TrackStatus.TENTATIVE
            p_free[dj[firm]] = 0.0
        p_free[sighting] = 0.0
        return p_free

    def _pair_statistics(
        self, pred: _Predicted, tl: IntP, dj: IntP, scan: DetectionBatch
    ) -> tuple[F64, F64, IntP]:
        """``d² (K,)``, log-likelihood ``(K,)`` and degrees of freedom ``(K,)`` of the pairs
        ``(tl, dj)`` (rows of ``pred``, rows of ``scan``).

        Moment-matched single Gaussian by default; with mixture gating, forward pairs are scored
        under every mode's prediction at once (pair ``k``, mode ``j`` is row ``tl_k r + j`` of the
        flattened ``(N' r, 6)`` mode predictions) and combined by
        :func:`~dronewall.tracking.imm.imm_gate_pairs`: ``min_j d²_j`` and ``ln Σ_j μ_j N_j``.
        A mode that measures fewer components of the pair than another (a degenerate geometry)
        is left out of that pair. Retrodicted (out-of-sequence) pairs keep the single Gaussian.
        """
        if not self._mixture:
            return _gating_statistics(pred.x, pred.P, tl, dj, scan)
        k = tl.shape[0]
        d2 = np.full(k, np.nan)
        log_l = np.full(k, -np.inf)
        dof = np.zeros(k, np.intp)
        fwd = pred.forward[tl]
        b = np.flatnonzero(~fwd)
        if b.shape[0]:
            d2[b], log_l[b], dof[b] = _gating_statistics(pred.x, pred.P, tl[b], dj[b], scan)
        f = np.flatnonzero(fwd)
        if f.shape[0]:
            r = self._r
            n = pred.xm.shape[0]
            rows = (tl[f, None] * r + np.arange(r)).ravel()
            d2_m, ll_m, dof_m = _gating_statistics(
                pred.xm.reshape(n * r, 6),
                pred.Pm.reshape(n * r, 6, 6),
                rows,
                np.repeat(dj[f], r),
                scan,
            )
            dof_m = dof_m.reshape(-1, r)
            dof_f = dof_m.max(axis=1)
            full = dof_m == dof_f[:, None]
            d2[f], log_l[f] = imm_gate_pairs(
                pred.mu[tl[f]],
                np.where(full, d2_m.reshape(-1, r), np.nan),
                np.where(full, ll_m.reshape(-1, r), -np.inf),
            )
            dof[f] = dof_f
        return d2, log_l, dof

    def _apply_pairs(
        self, pred: _Predicted, k: IntP, d: IntP, scan: DetectionBatch, t_s: float, ln_lam: F64
    ) -> None:
        """Update candidate tracks ``k`` (rows of ``pred``) with detections ``d`` (one each)."""
        if k.shape[0] == 0:
            return
        fwd = pred.forward[k]
        if np.any(fwd):
            self._update_forward(pred, k[fwd], d[fwd], scan, t_s, ln_lam)
        if np.any(~fwd):
            self._update_oosm(pred.rows[k[~fwd]], d[~fwd], scan, t_s)

    def _update_forward(
        self, pred: _Predicted, k: IntP, d: IntP, scan: DetectionBatch, t_s: float, ln_lam: F64
    ) -> None:
        """IMM-EKF update of each mode of tracks ``k`` with one detection each."""
        r = self._r
        n = k.shape[0]
        X = pred.xm[k].reshape(n * r, 6)
        P = pred.Pm[k].reshape(n * r, 6, 6)
        rows = np.repeat(d, r)
        x_new, P_new, ll = _ekf_update(X, P, scan, rows)
        mu = imm_update_probabilities(pred.mu[k], ll.reshape(n, r))
        xm = x_new.reshape(n, r, 6)
        Pm = P_new.reshape(n, r, 6, 6)
        x, Pc = imm_combine(mu, xm, Pm)
        g = pred.rows[k]
        bank = self._bank
        self._update_turn_rates(g, x, Pc, t_s)
        bank.mu[g], bank.xm[g], bank.Pm[g], bank.x[g], bank.P[g] = mu, xm, Pm, x, Pc
        bank.t_update[g] = t_s
        # Track score: ln(P_D L / λ), L the mixture Σ_m μ_m L_m of the mode likelihoods.
        w = np.log(np.maximum(pred.mu[k], 1e-300)) + ll.reshape(n, r)
        w_max = np.max(w, axis=1)
        with np.errstate(invalid="ignore"):
            ln_l = w_max + np.log(np.exp(w - w_max[:, None]).sum(axis=1))
        dl = math.log(self._config.detection_probability) + ln_l - ln_lam[d]
        self._record(g, d, scan, dl)

    def _rates(self, g: IntP) -> F64 | None:
        """Turn-rate estimates of bank rows ``g`` for the predictions (adaptive IMM), else None."""
        return self._bank.turn_rate[g] if self._adaptive else None

    def _update_turn_rates(
        self, g: IntP, x: F64, P: F64, t_s: float, measured: B | None = None
    ) -> None:
        """Adaptive IMM: the turn-rate filter of bank rows ``g`` (before their state is
        overwritten) from their combined state at the last update to ``x``, ``P`` at ``t_s``;
        rows where ``measured`` is False only grow the rate's variance."""
        if not self._adaptive:
            return
        bank = self._bank
        bank.turn_rate[g], bank.turn_rate_var[g] = turn_rate_update(
            bank.turn_rate[g],
            bank.turn_rate_var[g],
            bank.x[g],
            bank.P[g],
            x,
            P,
            t_s - bank.t_update[g],
            rate_noise=self._config.imm_turn_rate_noise,
            max_rate=self._max_turn_rate,
            measured=measured,
        )

    def _update_oosm(self, g: IntP, d: IntP, scan: DetectionBatch, t_s: float) -> None:
        """Out-of-sequence update of tracks (bank rows ``g``) with older detections ``d``."""
        bank = self._bank
        r = self._r
        n = g.shape[0]
        lag = np.repeat(bank.t_update[g] - t_s, r)  # > 0
        X = bank.xm[g].reshape(n * r, 6)
        P = bank.Pm[g].reshape(n * r, 6, 6)
        # Every mode is retrodicted with the NCV model: backward prediction through the hover
        # mode amplifies by e^{lag/τ}, hopeless for a report minutes late.
        Fb = self._ncv.transition(-lag)
        Q = self._ncv.process_noise(lag)
        xd = np.einsum("kij,kj->ki", Fb, X)
        Pd = Fb @ (P + Q) @ np.swapaxes(Fb, 1, 2)
        rows = np.repeat(d, r)
        pm = predict_measurement(scan.kind[rows], xd, scan.sensor_pos[rows], scan.z[rows])
        nu = innovation(scan.kind[rows], scan.z[rows], pm)
        H = masked_jacobian(pm.H, pm.valid)
        Rm = masked_noise(scan.R[rows], pm.valid)
        S = H @ Pd @ np.swapaxes(H, 1, 2) + Rm
        C = P @ np.swapaxes(Fb, 1, 2) @ np.swapaxes(H, 1, 2)
        x_new, P_new = cross_covariance_update(X, P, nu, C, S)
        good = np.all(np.isfinite(x_new), axis=1) & np.all(np.isfinite(P_new), axis=(1, 2))
        x_new = np.where(good[:, None], x_new, X)
        P_new = np.where(good[:, None, None], P_new, P)
        xm = x_new.reshape(n, r, 6)
        Pm = P_new.reshape(n, r, 6, 6)
        bank.xm[g], bank.Pm[g] = xm, Pm
        bank.x[g], bank.P[g] = imm_combine(bank.mu[g], xm, Pm)
        self.counters["oosm_updates"] += n
        self._record(g, d, scan, np.zeros(n))

    def _apply_jpda(
        self,
        pred: _Predicted,
        tl: IntP,
        dj: IntP,
        beta: F64,
        scan: DetectionBatch,
        t_s: float,
        ln_lam: F64,
    ) -> None:
        """JPDA update: each mode's posterior is the β-weighted mixture of its per-detection
        posteriors and its prediction (Bar-Shalom, Willett & Tian 2011, §3.4)."""
        cfg = self._config
        fwd_pair = pred.forward[tl]
        # Out-of-sequence candidates: the most probable pair, when more likely than not.
        back = np.flatnonzero(~fwd_pair)
        if back.shape[0]:
            order = np.lexsort((-beta[back], tl[back]))
            bk = back[order]
            first = _run_starts(tl[bk])
            best = bk[first & (beta[bk] > 0.5)]
            if best.shape[0]:
                self._update_oosm(pred.rows[tl[best]], dj[best], scan, t_s)
        f = np.flatnonzero(fwd_pair)
        tracks = np.unique(tl[f])
        if tracks.shape[0] == 0:
            return
        r = self._r
        n = tracks.shape[0]
        loc = np.searchsorted(tracks, tl[f])  # pair -> local track
        K = f.shape[0]
        X = pred.xm[tl[f]].reshape(K * r, 6)
        P = pred.Pm[tl[f]].reshape(K * r, 6, 6)
        d_rows = np.repeat(dj[f], r)
        x_k, P_k, ll = _ekf_update(X, P, scan, d_rows)
        x_k = x_k.reshape(K, r, 6)
        P_k = P_k.reshape(K, r, 6, 6)
        ll = ll.reshape(K, r)
        b = beta[f]
        b0 = np.clip(1.0 - np.bincount(loc, weights=b, minlength=n), 0.0, 1.0)
        x0 = pred.xm[tracks]  # (n, r, 6) the no-detection hypothesis: the prediction
        P0 = pred.Pm[tracks]
        xm = b0[:, None, None] * x0
        np.add.at(xm, loc, b[:, None, None] * x_k)
        d0 = x0 - xm
        Pm = b0[:, None, None, None] * (P0 + d0[..., :, None] * d0[..., None, :])
        dk = x_k - xm[loc]
        np.add.at(Pm, loc, b[:, None, None, None] * (P_k + dk[..., :, None] * dk[..., None, :]))
        Pm = 0.5 * (Pm + np.swapaxes(Pm, -1, -2))
        # Mode likelihood: (1 − P_D P_G) + Σ_j P_D L_mj / λ_j (in the reference clutter units).
        pd, pg = cfg.detection_probability, cfg.gate_probability
        terms = math.log(pd) + ll - ln_lam[dj[f]][:, None]
        ln_miss = math.log(1.0 - pd * pg)
        peak = np.full((n, r), ln_miss)
        np.maximum.at(peak, loc, terms)
        acc = np.exp(ln_miss - peak)
        np.add.at(acc, loc, np.exp(terms - peak[loc]))
        ln_mode = peak + np.log(acc)
        mu = imm_update_probabilities(pred.mu[tracks], ln_mode)
        x, Pc = imm_combine(mu, xm, Pm)
        g = pred.rows[tracks]
        bank = self._bank
        # the rate filter measures only tracks with a hit (no-detection weight b0 < 0.5): the
        # others' update is mostly their prediction, whose rotation is the model's, not the target's
        self._update_turn_rates(g, x, Pc, t_s, measured=b0 < 0.5)
        bank.mu[g], bank.xm[g], bank.Pm[g], bank.x[g], bank.P[g] = mu, xm, Pm, x, Pc
        bank.t_update[g] = t_s
        # A hit: the most probable detection of a track, when more likely than a miss.
        order = np.lexsort((-b, loc))
        first = _run_starts(loc[order])
        top = order[first]
        hit = b[top] >= 0.5
        # Track score: ln Σ_m μ_m Λ_m, the frame's likelihood ratio of the track.
        w = np.log(np.maximum(pred.mu[tracks], 1e-300)) + ln_mode
        w_max = w.max(axis=1)
        dl = w_max + np.log(np.exp(w - w_max[:, None]).sum(axis=1))
        self._record(g[loc[top]][hit], dj[f][top][hit], scan, dl[loc[top]][hit])

    # ----------------------------------------------------------- bookkeeping

    def _record(self, g: IntP, d: IntP, scan: DetectionBatch, dl: F64) -> None:
        """Attributes of tracks ``g`` updated by detections ``d``: hits, ident, RCS, sensors,
        track score, truth vote. Sightings only move the state: they are not hits."""
        real = scan.kind[d] != _SIG
        g, d, dl = g[real], d[real], dl[real]
        if g.shape[0] == 0:
            return
        bank = self._bank
        bank.hits[g] += 1
        bank.hit_frame[g] = True
        ident = scan.ident[d]
        bank.ident[g] = np.where(ident >= 0, ident, bank.ident[g])
        rcs = scan.rcs_m2[d]
        has_rcs = np.isfinite(rcs) & (rcs > 0.0)
        bank.rcs_db_sum[g] += np.where(has_rcs, 10.0 * np.log10(np.where(has_rcs, rcs, 1.0)), 0)
        bank.rcs_count[g] += has_rcs.astype(np.int32)
        bits = _sensor_bits(scan.sensor[d])
        bank.sensors[g] |= bits
        bank.frame_sensors[g] |= bits
        bearing = scan.kind[d] == _BRG
        np.add.at(bank.fix_hits, g[~bearing], 1)
        bank.frame_fix[g[~bearing]] = True
        np.bitwise_or.at(bank.bearing_sensors, g[bearing], bits[bearing])
        np.bitwise_or.at(bank.frame_bearing_sensors, g[bearing], bits[bearing])
        bank.llr[g] += np.where(np.isfinite(dl), dl, 0.0)
        bank.llr_max[g] = np.maximum(bank.llr_max[g], bank.llr[g])
        # Majority vote on the truth label (evaluation only).
        bank.truth[g], bank.truth_votes[g] = majority_vote(
            bank.truth[g], bank.truth_votes[g], scan.truth[d]
        )
        cue = scan.cue[d]
        cued = cue >= 0
        np.add.at(self._cue_counts, (g[cued], cue[cued].astype(np.intp)), 1)

    def _initiate(self, dets: DetectionBatch) -> None:
        """One-point initiation of tentative tracks at position-like detections ``dets``."""
        cfg = self._config
        x, P, ok = initial_state(
            dets.kind,
            dets.z,
            dets.R,
            dets.sensor_pos,
            velocity_std=self._vel_std,
            unobserved_up_std=cfg.unobserved_up_std,
        )
        ok &= np.all(np.isfinite(x), axis=1) & np.all(np.isfinite(P), axis=(1, 2))
        if not np.any(ok):
            return
        dets = dets.select(ok)
        x, P = x[ok], P[ok]
        # Number new tracks by position, not by row order.
        order = np.lexsort((x[:, 2], x[:, 1], x[:, 0], dets.sensor, dets.t))
        self._add_tracks(dets.select(order), x[order], P[order])

    def _add_tracks(self, dets: DetectionBatch, x: F64, P: F64, n_hits: int = 1) -> None:
        k = len(dets)
        r = self._r
        rcs = dets.rcs_m2
        has_rcs = np.isfinite(rcs) & (rcs > 0.0)
        P = 0.5 * (P + np.swapaxes(P, 1, 2))
        counts = np.zeros((k, N_CUE_CLASSES), np.int32)
        cued = np.flatnonzero(dets.cue >= 0)
        counts[cued, dets.cue[cued].astype(np.intp)] = 1
        self._cue_counts = np.concatenate([self._cue_counts, counts])
        self._bank.extend(
            TrackBank(
                track_id=self._take_ids(k),
                status=np.full(k, TrackStatus.TENTATIVE, np.int8),
                x=x,
                P=P,
                mu=np.broadcast_to(self._imm.initial_probabilities, (k, r)).copy(),
                xm=np.repeat(x[:, None, :], r, axis=1),
                Pm=np.repeat(P[:, None, :, :], r, axis=1),
                t_first=dets.t.copy(),
                t_update=dets.t.copy(),
                hits=np.full(k, n_hits, np.int32),
                misses=np.zeros(k, np.int32),
                history=np.zeros(k, np.int64),
                age=np.zeros(k, np.int32),
                hit_frame=np.ones(k, np.bool_),
                ident=dets.ident.astype(np.int64),
                rcs_db_sum=np.where(has_rcs, 10.0 * np.log10(np.where(has_rcs, rcs, 1.0)), 0.0),
                rcs_count=has_rcs.astype(np.int32),
                sensors=_sensor_bits(dets.sensor),
                truth=dets.truth.astype(np.int32),
                truth_votes=np.ones(k, np.int32),
                llr=np.zeros(k),
                llr_max=np.zeros(k),
                frame_sensors=_sensor_bits(dets.sensor),
                dup_of=np.full(k, -1, np.int64),
                dup_frames=np.zeros(k, np.int32),
                fix_hits=(dets.kind != _BRG).astype(np.int32),
                bearing_sensors=np.where(dets.kind == _BRG, _sensor_bits(dets.sensor), 0),
                frame_fix=dets.kind != _BRG,
                frame_bearing_sensors=np.where(dets.kind == _BRG, _sensor_bits(dets.sensor), 0),
                t_fix=dets.t.copy(),
                bearing_since_fix=np.zeros(k, np.int64),
                turn_rate=np.zeros(k),
                turn_rate_var=np.full(k, TURN_RATE_INITIAL_STD**2),
            )
        )

    def _triangulate(self) -> DetectionBatch:
        """Start tracks at intersections of the frame's free bearings; return the unused ones."""
        cfg = self._config
        if not self._frame_bearings:
            return DetectionBatch.empty()
        brg = DetectionBatch.concat(self._frame_bearings)
        if not cfg.triangulate_bearings or len(brg) < 2:
            return brg
        az, el = brg.z[:, 0], brg.z[:, 1]
        pairs = pair_bearings(
            brg.sensor,
            brg.sensor_pos,
            az,
            el,
            brg.R[:, 0, 0],
            brg.R[:, 1, 1],
            max_chi2=cfg.triangulation_max_chi2,
            max_range_m=cfg.triangulation_max_range_m,
            default_up=float(np.mean(brg.sensor_pos[:, 2])),
            unobserved_up_std=cfg.unobserved_up_std,
        )
        close = np.abs(brg.t[pairs.i] - brg.t[pairs.j]) <= cfg.triangulation_window_s
        close &= np.all(np.isfinite(pairs.position), axis=1)
        cand = np.flatnonzero(close)
        sel = _greedy_pairs(pairs.i[cand], pairs.j[cand], pairs.chi2[cand], len(brg))
        if sel.shape[0] == 0:
            return brg
        sel = cand[sel]
        ii, jj = pairs.i[sel], pairs.j[sel]
        g = sel.shape[0]
        x = np.zeros((g, 6))
        x[:, :3] = pairs.position[sel]
        P = np.zeros((g, 6, 6))
        P[:, :3, :3] = pairs.covariance[sel]
        P[:, 3:, 3:] = np.diag(self._vel_std**2)
        newer = np.where(brg.t[ii] >= brg.t[jj], ii, jj)
        other = np.where(newer == ii, jj, ii)
        self._add_tracks(brg.select(newer), x, P, n_hits=2)
        new_rows = np.arange(len(self._bank) - g, len(self._bank))
        self._bank.sensors[new_rows] |= _sensor_bits(brg.sensor[other])
        self._bank.bearing_sensors[new_rows] |= _sensor_bits(brg.sensor[other])
        self._bank.frame_bearing_sensors[new_rows] |= _sensor_bits(brg.sensor[other])
        self._bank.frame_sensors[new_rows] |= _sensor_bits(brg.sensor[other])
        self.counters["triangulated"] += g
        used_rows = np.concatenate([ii, jj])
        keep = np.ones(len(brg), np.bool_)
        keep[used_rows] = False
        return brg.select(keep)

    def _merge_duplicates(self, t_frame: float) -> IntP:
        """Merge younger duplicate tracks into older ones; return the bank rows merged away."""
        bank, cfg = self._bank, self._config
        none = np.empty(0, np.intp)
        if cfg.merge_frames == 0 or len(bank) < 2:
            return none
        hit = bank.hit_frame
        firm = np.flatnonzero((bank.status != TrackStatus.TENTATIVE) & ~np.isnan(bank.t_update))
        found = np.zeros(len(bank), np.bool_)
        if firm.shape[0] >= 2 and np.any(hit[firm]):
            dt = np.maximum(t_frame - bank.t_update[firm], 0.0)
            x, P = kalman_predict(bank.x[firm], bank.P[firm], dt, self._ncv)
            # Candidates by horizontal distance (the height of 2-D tracks is unobserved).
            sd = np.sqrt(np.maximum(P[:, 0, 0] + P[:, 1, 1], 0.0))
            pairs = cKDTree(x[:, :2]).query_pairs(
                r=float(np.sqrt(self._merge_thr[6]) * 2.0 * sd.max()), output_type="ndarray"
            )
            if pairs.shape[0]:
                a, b = pairs[:, 0], pairs[:, 1]
                diff = x[a] - x[b]
                S = P[a] + P[b]
                with np.errstate(all="ignore"):
                    d2_state = np.einsum(
                        "ki,ki->k", diff, np.linalg.solve(S, diff[..., None])[..., 0]
                    )
                    d2_pos = np.einsum(
                        "ki,ki->k",
                        diff[:, :3],
                        np.linalg.solve(S[:, :3, :3], diff[:, :3, None])[..., 0],
                    )
                ga, gb = firm[a], firm[b]
                older = np.where(bank.track_id[ga] < bank.track_id[gb], ga, gb)
                younger = np.where(older == ga, gb, ga)
                fs, ever = bank.frame_sensors, bank.sensors
                # Both updated, by disjoint sensors, to the same position and velocity.
                split = hit[ga] & hit[gb] & ((fs[ga] & fs[gb]) == 0)
                split &= d2_state <= self._merge_thr[6]
                # A sensor that fed the younger track now feeds the older one at its position,
                # and the younger got nothing.
                switch = hit[older] & ~hit[younger] & ((fs[older] & ever[younger]) != 0)
                switch &= d2_pos <= self._merge_thr[3]
                ia, ib = bank.ident[ga], bank.ident[gb]
                same = (split | switch) & ((ia < 0) | (ib < 0) | (ia == ib))
                older, younger = older[same], younger[same]
                # One partner per younger track: its oldest duplicate.
                order = np.lexsort((bank.track_id[older], younger))
                first = _run_starts(younger[order])
                y, o = younger[order][first], older[order][first]
                cont = bank.dup_of[y] == bank.track_id[o]
                bank.dup_frames[y] = np.where(cont, bank.dup_frames[y] + 1, 1)
                bank.dup_of[y] = bank.track_id[o]
                found[y] = True
        bank.dup_of[~found] = -1
        bank.dup_frames[~found] = 0
        merge = np.flatnonzero(found & (bank.dup_frames >= cfg.merge_frames))
        if merge.shape[0] == 0:
            return none
        keep_row = np.searchsorted(bank.track_id, bank.dup_of[merge])  # ids ascend with rows
        # Transfer the evidence to the older track (scatter-add: a track may absorb several).
        np.add.at(bank.hits, keep_row, bank.hits[merge])
        np.bitwise_or.at(bank.sensors, keep_row, bank.sensors[merge])
        np.add.at(bank.rcs_db_sum, keep_row, bank.rcs_db_sum[merge])
        np.add.at(bank.rcs_count, keep_row, bank.rcs_count[merge])
        np.add.at(self._cue_counts, keep_row, self._cue_counts[merge])
        np.add.at(bank.fix_hits, keep_row, bank.fix_hits[merge])
        np.bitwise_or.at(bank.bearing_sensors, keep_row, bank.bearing_sensors[merge])
        np.maximum.at(bank.t_fix, keep_row, bank.t_fix[merge])
        np.bitwise_or.at(bank.bearing_since_fix, keep_row, bank.bearing_since_fix[merge])
        adopt = (bank.ident[keep_row] < 0) & (bank.ident[merge] >= 0)
        bank.ident[keep_row[adopt]] = bank.ident[merge[adopt]]
        self.counters["merged"] += int(merge.shape[0])
        return merge

    def _close_frame(self, t_frame: float) -> None:
        """Triangulation, bearing-only tracks, merging, confirmation and deletion."""
        cfg = self._config
        rest = self._triangulate()
        if cfg.bearing_only and not math.isnan(t_frame):
            self._bearing_only.step(rest, t_frame)
        self._frame_bearings = []
        bank = self._bank
        if len(bank) == 0:
            return
        merged = (
            self._merge_duplicates(t_frame) if not math.isnan(t_frame) else np.empty(0, np.intp)
        )
        tentative = bank.status == TrackStatus.TENTATIVE
        hit = bank.hit_frame
        fb = bank.frame_bearing_sensors
        fixed_now = bank.hit_frame & (bank.frame_fix | several(fb))  # in this frame
        # since the last fix: a fix, or bearings of two sensors (in this frame or across frames:
        # direction finders that report in turns still measure the range together)
        since = bank.bearing_since_fix | fb
        fixed = bank.hit_frame & (bank.frame_fix | several(since))
        bank.t_fix = np.where(fixed, bank.t_update, bank.t_fix)
        bank.bearing_since_fix = np.where(fixed, 0, since)
        if cfg.confirm_min_fixes > 0:
            # a tentative track hits only on an observable frame (a fix, or bearings from two
            # sensors): one sensor's bearings alone neither confirm it nor keep it alive
            hit = np.where(tentative, fixed_now, hit)
        if cfg.misses_need_scan:
            # the frame counts only if a sensor that fed the track reported in it (or it hit);
            # a track fed only by sensors outside the bit masks' range counts every frame
            scanned = hit | ((bank.sensors & self._frame_reporting) != 0) | (bank.sensors == 0)
        else:
            scanned = np.ones(len(bank), np.bool_)
        window = (1 << cfg.confirm_n) - 1
        bank.history = np.where(
            scanned, ((bank.history << 1) | hit.astype(np.int64)) & window, bank.history
        )
        bank.age += scanned.astype(bank.age.dtype)
        bank.misses = np.where(hit, 0, bank.misses + scanned).astype(np.int32)
        if cfg.initiator == "llr":
            bank.llr = np.where(
                scanned & ~hit, bank.llr + math.log1p(-cfg.detection_probability), bank.llr
            )
            confirm = tentative & (bank.llr >= cfg.llr_confirm)
            still_possible = bank.llr > cfg.llr_delete
        else:
            n_hits = popcount(bank.history, cfg.confirm_n)
            confirm = tentative & (n_hits >= cfg.confirm_m)
            still_possible = n_hits + np.maximum(cfg.confirm_n - bank.age, 0) >= cfg.confirm_m
        if cfg.confirm_min_fixes > 0:
            b = bank.bearing_sensors
            observable = (bank.fix_hits >= cfg.confirm_min_fixes) | several(b)
            confirm &= observable
        tentative &= ~confirm
        firm = ~tentative
        was_tentative = bank.status == TrackStatus.TENTATIVE
        unscanned = np.where(was_tentative, TrackStatus.CONFIRMED, bank.status)
        bank.status = np.where(
            firm,
            np.where(
                hit,
                TrackStatus.CONFIRMED,
                np.where(scanned, TrackStatus.COASTING, unscanned),
            ),
            bank.status,
        ).astype(np.int8)
        drop = tentative & ((bank.misses >= cfg.tentative_max_misses) | ~still_possible)
        if not math.isnan(t_frame):
            coast = np.maximum(t_frame - bank.t_update, 0.0)
            if cfg.misses_need_scan:
                drop |= tentative & ~hit & (coast > cfg.tentative_max_coast_s)
            per_hit = cfg.coast_s_per_hit * bank.hits
            if cfg.misses_need_scan:
                # at least two of the track's own revisit intervals (mean time between its
                # hits): a slow radar's barely confirmed track survives one missed plot
                revisit = (bank.t_update - bank.t_first) / np.maximum(bank.hits - 1, 1)
                per_hit = np.maximum(per_hit, 2.0 * revisit)
            max_coast = np.minimum(cfg.confirmed_max_coast_s, per_hit)
            # the per-hit bound and the covariance bound are judged when the track's sensors
            # looked (a slow radar's track is not dropped between its plots), the overall
            # ``confirmed_max_coast_s`` always
            too_long = (coast > max_coast) & (scanned | (coast > cfg.confirmed_max_coast_s))
            drop |= firm & ~hit & too_long
            if cfg.confirm_min_fixes > 0:
                # nor does one sensor's bearings keep a firm track alive: past the same bound
                # without a fix its range is made up (a bird's track left on a drone's RF line)
                unfixed = np.maximum(t_frame - bank.t_fix, 0.0)
                stale = (unfixed > max_coast) & (scanned | (unfixed > cfg.confirmed_max_coast_s))
                drop |= firm & ~fixed & stale
            # The covariance bound, on the IMM prediction the snapshot would show.
            c = np.flatnonzero(firm & ~hit & ~drop & scanned)
            if c.shape[0] and math.isfinite(cfg.confirmed_max_position_std):
                mu, xm, Pm = imm_mix_predict(
                    self._imm,
                    bank.mu[c],
                    bank.xm[c],
                    bank.Pm[c],
                    coast[c],
                    turn_rate=self._rates(c),
                )
                _, Pc = imm_combine(mu, xm, Pm)
                bound2 = np.full(c.shape[0], cfg.confirmed_max_position_std**2)
                if cfg.misses_need_scan:
                    # grown to four times its standard deviation at the last update
                    bound2 = np.maximum(bound2, 16.0 * (bank.P[c, 0, 0] + bank.P[c, 1, 1]))
                vague = Pc[:, 0, 0] + Pc[:, 1, 1] > bound2
                drop[c[vague]] = True
        drop[merged] = True
        bank.hit_frame = np.zeros(len(bank), np.bool_)
        bank.frame_sensors = np.zeros(len(bank), np.int64)
        bank.frame_fix = np.zeros(len(bank), np.bool_)
        bank.frame_bearing_sensors = np.zeros(len(bank), np.int64)
        self._deleted = np.sort(bank.track_id[drop])
        bank.compact(~drop)
        self._cue_counts = self._cue_counts[~drop]

    # --------------------------------------------------------------- output

    def snapshot(self, t: float) -> TrackTable:
        """All live 3-D tracks predicted to time ``t``, without changing the tracker's state.

        Parameters
        ----------
        t : float, s
            Snapshot time (UTC epoch). Tracks whose last detection is later than ``t`` are reported
            at their own time (no retrodiction).

        Returns
        -------
        TrackTable
            One row per live track (tentative ones included; see ``TrackTable.confirmed``).
        """
        bank = self._bank
        if len(bank) == 0:
            return TrackTable.empty(float(t))
        dt = np.maximum(float(t) - bank.t_update, 0.0)
        rates = bank.turn_rate if self._adaptive else None
        mu, xm, Pm = imm_mix_predict(self._imm, bank.mu, bank.xm, bank.Pm, dt, turn_rate=rates)
        x, P = imm_combine(mu, xm, Pm)
        with np.errstate(invalid="ignore", divide="ignore"):
            rcs = np.where(bank.rcs_count > 0, bank.rcs_db_sum / bank.rcs_count, np.nan)
        return TrackTable(
            t=float(t),
            track_id=bank.track_id.copy(),
            status=bank.status.copy(),
            x=x,
            P=P,
            t_first=bank.t_first.copy(),
            t_update=bank.t_update.copy(),
            hits=bank.hits.copy(),
            misses=bank.misses.copy(),
            ident=bank.ident.copy(),
            rcs_dbsm=rcs,
            sensors=bank.sensors.copy(),
            truth=bank.truth.copy(),
            cue_counts=self._cue_counts.copy(),
        )

    def mode_probabilities(self) -> tuple[NDArray[np.int64], F64]:
        """``(track_id (N,), mu (N, r))``: each live track's IMM mode probabilities at its last
        update (mode order of :attr:`imm`)."""
        return self._bank.track_id.copy(), self._bank.mu.copy()

    def turn_rates(self) -> tuple[NDArray[np.int64], F64]:
        """``(track_id (N,), ω̂ (N,))``: each live track's estimated turn rate at its last update,
        rad/s, positive left (zeros unless the IMM is adaptive, ``imm_adaptive_turn``)."""
        return self._bank.track_id.copy(), self._bank.turn_rate.copy()

    def bearing_tracks(self, t: float) -> BearingTrackTable:
        """The bearing-only tracks (one passive sensor, no 3-D position) predicted to ``t``."""
        return self._bearing_only.snapshot(float(t))


# ------------------------------------------------------------------ kernels


def _greedy_pairs(i: IntP, j: IntP, cost: F64, n: int) -> IntP:
    """Indices of the pairs ``(i, j)`` (of ``n`` items) a greedy matching by increasing ``cost``
    keeps, each item in at most one pair.

    Computed in rounds of *locally dominant* pairs, each the cheapest remaining pair of both its
    items (ties broken by pair index): they are exactly the pairs greedy takes, and each round is
    an array operation, so the loop runs over rounds (a handful), not over pairs.
    """
    rank = np.empty(i.shape[0], np.intp)
    rank[np.lexsort((np.arange(i.shape[0]), cost))] = np.arange(i.shape[0])
    alive = np.ones(i.shape[0], np.bool_)
    free = np.ones(n, np.bool_)
    picked: list[IntP] = []
    while np.any(alive):
        live = np.flatnonzero(alive)
        best = np.full(n, np.iinfo(np.intp).max)
        np.minimum.at(best, i[live], rank[live])
        np.minimum.at(best, j[live], rank[live])
        win = live[(best[i[live]] == rank[live]) & (best[j[live]] == rank[live])]
        picked.append(win)
        free[i[win]] = False
        free[j[win]] = False
        alive &= free[i] & free[j]
    out: IntP = np.sort(np.concatenate(picked)) if picked else np.empty(0, np.intp)
    return out


def _run_starts(keys: NDArray[np.generic]) -> B:
    """Mask of the first element of each run of equal values in sorted ``keys`` (empty-safe)."""
    out = np.ones(keys.shape[0], np.bool_)
    out[1:] = keys[1:] != keys[:-1]
    return out


def _well_formed(batch: DetectionBatch) -> B:
    """Rows the tracker can use: finite time, first two ``z`` components (a bearing's elevation
    may be missing), the noise of every measured component, and the sensor position of angle
    measurements."""
    z, R = batch.z, batch.R
    measured = np.isfinite(z)
    diag = np.diagonal(R, axis1=1, axis2=2)
    # The first component always; the second too, except the elevation of a bearing.
    ok = np.isfinite(batch.t) & measured[:, 0] & (measured[:, 1] | (batch.kind == _BRG))
    ok &= np.all(~measured | (np.isfinite(diag) & (diag > 0.0)), axis=1)
    pair_ok = np.isfinite(R) | ~(measured[:, :, None] & measured[:, None, :])
    ok &= np.all(pair_ok, axis=(1, 2))
    angular = (batch.kind == _POL) | (batch.kind == _BRG)
    ok &= ~angular | np.all(np.isfinite(batch.sensor_pos), axis=1)
    result: B = ok
    return result


def _pseudo_positions(scan: DetectionBatch) -> tuple[F64, F64]:
    """ENU point ``(M, 3)`` (NaN up for 2-D data, all NaN for bearings) and the trace of its
    position covariance ``(M,)`` of each detection, for the Euclidean pre-gate."""
    m = len(scan)
    pts = np.full((m, 3), np.nan)
    var = np.zeros(m)
    kind, z, R, sp = scan.kind, scan.z, scan.R, scan.sensor_pos
    pos = (kind == _POS) | (kind == _SIG)
    pts[pos] = z[pos]
    d = np.diagonal(R, axis1=1, axis2=2)
    var[pos] = np.where(np.isfinite(z[pos]), d[pos], 0.0).sum(axis=1)
    pol = np.flatnonzero(kind == _POL)
    if pol.shape[0]:
        r, az, el = z[pol, 0], z[pol, 1], z[pol, 2]
        flat = ~np.isfinite(el)
        horiz = np.where(flat, r, r * np.cos(np.where(flat, 0.0, el)))
        pts[pol, 0] = sp[pol, 0] + horiz * np.sin(az)
        pts[pol, 1] = sp[pol, 1] + horiz * np.cos(az)
        pts[pol, 2] = np.where(flat, np.nan, sp[pol, 2] + r * np.sin(np.where(flat, 0.0, el)))
        var[pol] = d[pol, 0] + r * r * (d[pol, 1] + np.where(flat, 0.0, d[pol, 2]))
    return pts, var


def _angular_candidates(
    track_pos: F64, tr_pred: F64, bearings: DetectionBatch, gamma: float
) -> tuple[IntP, IntP]:
    """Tracks whose predicted direction from a bearing's sensor lies within the gate of that
    bearing (dense over tracks x bearings: bearings per scan are few)."""
    d = track_pos[:, None, :] - bearings.sensor_pos[None, :, :]  # (N, B, 3)
    horiz = np.hypot(d[..., 0], d[..., 1])
    rng = np.maximum(np.sqrt(horiz**2 + d[..., 2] ** 2), 1.0)
    az = np.arctan2(d[..., 0], d[..., 1])
    spread = np.sqrt(tr_pred)[:, None] / rng  # angular size of the track's uncertainty, rad
    R = bearings.R
    tol_az = np.sqrt(gamma) * (
        spread / np.maximum(horiz / rng, 1e-3) + np.sqrt(R[:, 0, 0])[None, :]
    )
    ok = np.abs(wrap_angle(az - bearings.z[None, :, 0])) <= tol_az
    el_meas = bearings.z[:, 1]
    has_el = np.isfinite(el_meas)
    if np.any(has_el):
        el = np.arctan2(d[..., 2], horiz)
        tol_el = np.sqrt(gamma) * (spread + np.sqrt(np.where(has_el, R[:, 1, 1], 0.0))[None, :])
        ok &= ~has_el[None, :] | (np.abs(el - np.where(has_el, el_meas, 0.0)[None, :]) <= tol_el)
    ti, bj = np.nonzero(ok)
    return ti.astype(np.intp), bj.astype(np.intp)


def _gating_statistics(
    x: F64, P: F64, tl: IntP, dj: IntP, scan: DetectionBatch
) -> tuple[F64, F64, NDArray[np.intp]]:
    """``d² (K,)``, log-likelihood ``(K,)`` and degrees of freedom ``(K,)`` of the pairs
    ``(tl, dj)`` of predicted states ``x``/``P`` and detections of ``scan``: the closed-form
    position kernel for full 3-D positions, the masked EKF statistics for the rest."""
    kind, z = scan.kind[dj], scan.z[dj]
    fast = ((kind == _POS) | (kind == _SIG)) & np.all(np.isfinite(z), axis=1)
    d2 = np.full(tl.shape[0], np.nan)
    log_l = np.full(tl.shape[0], -np.inf)
    dof = np.full(tl.shape[0], 3, dtype=np.intp)
    f = np.flatnonzero(fast)
    if f.shape[0]:
        d2f, logdet = mahalanobis_pairs(x[:, :3], P[:, :3, :3], scan.z, scan.R, tl[f], dj[f])
        d2[f] = d2f
        log_l[f] = -0.5 * (d2f + logdet + 3.0 * _LN2PI)
    g = np.flatnonzero(~fast)
    if g.shape[0]:
        st = pair_statistics(
            x[tl[g]], P[tl[g]], kind[g], z[g], scan.R[dj[g]], scan.sensor_pos[dj[g]]
        )
        d2[g] = st.d2
        log_l[g] = st.log_likelihood
        dof[g] = st.dof
    return d2, log_l, dof


def _ekf_update(X: F64, P: F64, scan: DetectionBatch, rows: IntP) -> tuple[F64, F64, F64]:
    """EKF update of states ``X (K, 6)`` with detections ``rows (K,)`` of ``scan``; returns the
    posteriors and each pair's log-likelihood (range rate applied sequentially, not scored).

    Full 3-D positions, the bulk of the traffic, take the closed-form path of
    :func:`~dronewall.tracking.kalman.position_update`; every other row the general masked EKF.
    """
    kind, z, R, sp = scan.kind[rows], scan.z[rows], scan.R[rows], scan.sensor_pos[rows]
    x_new, P_new = X.copy(), P.copy()
    ll = np.full(X.shape[0], -np.inf)
    fast = ((kind == _POS) | (kind == _SIG)) & np.all(np.isfinite(z), axis=1)
    if np.any(fast):
        f = np.flatnonzero(fast)
        xf, Pf, d2, logdet = position_update(X[f], P[f], z[f], R[f])
        x_new[f], P_new[f] = xf, Pf
        ll[f] = np.where(np.isfinite(d2), -0.5 * (d2 + logdet + 3.0 * _LN2PI), -np.inf)
    g = np.flatnonzero(~fast)
    if g.shape[0]:
        st = pair_statistics(X[g], P[g], kind[g], z[g], R[g], sp[g])
        usable = np.isfinite(st.d2)  # S positive definite
        u = g[usable]
        if u.shape[0]:
            x_new[u], P_new[u] = linearised_update(
                X[u], P[u], st.nu[usable], st.H[usable], st.R[usable]
            )
        ll[g] = np.where(usable & np.isfinite(st.log_likelihood), st.log_likelihood, -np.inf)
        rr = scan.range_rate[rows][g]
        has_rr = np.isfinite(rr) & (kind[g] == _POL) & usable
        if np.any(has_rr):
            h = g[has_rr]
            x_rr, P_rr, _ = range_rate_update(
                x_new[h], P_new[h], rr[has_rr], scan.range_rate_var[rows][h], sp[h]
            )
            x_new[h], P_new[h] = x_rr, P_rr
    return x_new, P_new, ll


def _retrodict(x: F64, P: F64, lag: F64, model: NearlyConstantVelocityModel) -> tuple[F64, F64]:
    """States ``lag > 0`` seconds back, for gating late detections: ``F(−lag) x`` and
    ``F(−lag)(P + Q)F(−lag)ᵀ`` (the update itself is in ``_update_oosm``)."""
    Fb = model.transition(-lag)
    Q = model.process_noise(lag)
    xd = np.einsum("nij,nj->ni", Fb, x)
    Pd = Fb @ (P + Q) @ np.swapaxes(Fb, 1, 2)
    return xd, 0.5 * (Pd + np.swapaxes(Pd, 1, 2))


def _sensor_bits(sensor: NDArray[np.int32]) -> NDArray[np.int64]:
    """``1 << sensor`` as int64, 0 for indices outside ``[0, 62]``."""
    s = sensor.astype(np.int64)
    valid = (s >= 0) & (s <= _MAX_SENSOR_BIT)
    return np.where(valid, np.left_shift(np.int64(1), np.where(valid, s, 0)), np.int64(0))
