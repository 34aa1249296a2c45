"""Track features for the trained classifier, batched over tracks and kept per ``track_id``.

Data layout
-----------
:meth:`TrackFeatures.update` takes the tracker's snapshot (a
:class:`~dronewall.core.tracks.TrackTable` of ``N`` tracks) and the tick's RF cue per track (from
:func:`dronewall.assess.classify.rf_cues`, ``(N,) int16``) and returns ``(N, F)`` float64 features,
columns named by :data:`FEATURE_NAMES`. Only what the tracker and the assess stage see is read
(state, covariance, RCS running mean, cooperative ident, sensor mask, RF cues); the ``truth`` column
never is. State between ticks lives in sorted-by-id arrays (:mod:`dronewall.assess.keyed`).

Running statistics
------------------
Per track, exponentially weighted means with weight ``λ = exp(−Δt / τ)`` (``τ = tau_s``) of the
per-look quantities ``q``::

    m_t = λ m_{t−1} + (1 − λ) q_t        (m = q at a track's first look)

over ``q`` in: speed ``s = ‖v‖`` and ``s²`` (speed variability ``√(E s² − (E s)²)``), height above
the ellipsoid relative to the frame origin ``h``, climb ``|v_u|``, turn rate ``|Δψ| / Δt`` (change
of the horizontal course between looks, only while both looks move faster than ``turn_min_speed``),
hover indicator ``s < hover_speed``, acceleration ``‖Δv‖ / Δt``, "RF-cued this look". The last RF
protocol cued within ``rf_memory_s`` is kept as a one-hot code. Remote ID (ident ≥ 2²⁴) and ADS-B
(ICAO ident in ``[0, 2²⁴)``) flags, the RCS running mean (0 with a "missing" flag when the track has
no radar return), the number of sensors that updated the track and its maturity (age, saturating at
``maturity_s``) and whether the tracker has confirmed it (clutter seldom is) complete the
kinematic and signal part.

Track quality: the hits so far (saturating at ``hits_sat``), the hit rate ``hits / max(age, 1 s)``
(capped at ``hit_rate_cap``; a false track of clutter collects few returns for its age) and the
time since the last detection (saturating at ``stale_s``). All saturate so that how long a track
has lived is not itself a class cue.

EO/IR class cue: from ``TrackTable.cue_counts`` (the detections an EO/IR operator recognised, per
class), the share of the track's cues that named each class (zeros when never cued) and
``log(1 + number of cues)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.geometry import approx_height_m
from dronewall.assess.keyed import match_ids
from dronewall.core.errors import ConfigError
from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.core.tracks import TrackTable

F64 = NDArray[np.float64]
I16 = NDArray[np.int16]
I64 = NDArray[np.int64]

ICAO_LIMIT = 1 << 24
"""Idents below are ICAO 24-bit addresses (ADS-B); at or above, broadcast Remote ID numbers."""

_RF_CODES: tuple[int, ...] = tuple(int(p) for p in RfProtocol if p is not RfProtocol.NONE)

#: Column names of the feature matrix, in order. The model file stores this list and the
#: runtime refuses a model whose list differs.
FEATURE_NAMES: tuple[str, ...] = (
    "speed_mean_m_s",
    "log_speed",
    "speed_std_m_s",
    "speed_cv",
    "height_km",
    "log_height",
    "climb_m_s",
    "turn_rate_deg_s",
    "hover_fraction",
    "accel_m_s2",
    "rcs_dbsm",
    "rcs_missing",
    *(f"rf_{RfProtocol(c).name.lower()}" for c in _RF_CODES),
    "rf_unknown",
    "rf_cued_fraction",
    "adsb_ident",
    "remote_id",
    "n_sensors",
    "maturity",
    "confirmed",
    "hits_sat",
    "hit_rate_hz",
    "stale",
    *(f"cue_{c.label.replace('-', '_')}" for c in ObjectClass),
    "log_cues",
)
N_FEATURES = len(FEATURE_NAMES)

# running-mean columns of the state
_S, _S2, _H, _CLIMB, _TURN, _HOVER, _ACC, _RF = range(8)
_N_RUNNING = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureConfig:
    """Settings of :class:`TrackFeatures` (assumptions, A).

    Parameters
    ----------
    tau_s : float
        Time constant of the running means, s.
    hover_speed_m_s : float
        Below this speed a look counts as hovering, m/s.
    turn_min_speed_m_s : float
        Course changes count only while the track moves faster than this, m/s.
    rf_memory_s : float
        How long the last RF protocol stays attached to a track, s.
    maturity_s : float
        The "maturity" feature is ``min(age, maturity_s) / maturity_s``: it lets the model discount
        a young track's running means and saturates, so that a track's age (a property of the
        scenario, not of the object) is not a class cue, s.
    hits_sat : float
        The "hits_sat" feature is ``min(hits, hits_sat) / hits_sat``.
    hit_rate_cap_hz : float
        Cap of the hit rate ``hits / max(age, 1 s)``, Hz.
    stale_s : float
        The "stale" feature is ``min(t − t_update, stale_s) / stale_s``, s.
    """

    tau_s: float = 15.0
    hover_speed_m_s: float = 2.0
    turn_min_speed_m_s: float = 3.0
    rf_memory_s: float = 120.0
    maturity_s: float = 30.0
    hits_sat: float = 20.0
    hit_rate_cap_hz: float = 5.0
    stale_s: float = 20.0

    def __post_init__(self) -> None:
        for name in (
            "tau_s",
            "hover_speed_m_s",
            "turn_min_speed_m_s",
            "rf_memory_s",
            "maturity_s",
            "hits_sat",
            "hit_rate_cap_hz",
            "stale_s",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError("must be positive", field=name, actual=repr(value))


def _popcount(x: I64) -> F64:
    """Number of set bits of each non-negative int64."""
    v = x.astype(np.uint64)
    count = np.zeros(v.shape, np.float64)
    for _ in range(64):  # fixed 64 bit positions, vectorised over tracks
        count += (v & np.uint64(1)).astype(np.float64)
        v = v >> np.uint64(1)
    return count


class TrackFeatures:
    """Per-track running statistics → feature matrix; see the module docstring.

    Parameters
    ----------
    config : FeatureConfig
        Settings.
    origin_h_m : float
        Ellipsoidal height of the ENU frame origin, m.
    """

    def __init__(self, config: FeatureConfig | None = None, *, origin_h_m: float = 0.0) -> None:
        self.config = FeatureConfig() if config is None else config
        self.origin_h_m = float(origin_h_m)
        self._ids: I64 = np.empty(0, np.int64)
        self._t: F64 = np.empty(0)
        self._mean: F64 = np.empty((0, _N_RUNNING))
        self._vel: F64 = np.empty((0, 3))
        self._rf_proto: I16 = np.empty(0, np.int16)
        self._rf_t: F64 = np.empty(0)

    @property
    def rf_protocol(self) -> I16:
        """``(N,)`` RF protocol attached within ``rf_memory_s`` to the tracks of the last update
        (``-1`` unknown protocol, ``-2`` none), rows as that update's track table."""
        return self._rf_proto.copy()

    def update(self, t: float, tracks: TrackTable, rf_cue: I16) -> F64:
        """Fold this tick's look into each track's statistics and return ``(N, F)`` features.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s.
        tracks : TrackTable
            All live tracks; tracks absent from it are forgotten.
        rf_cue : (N,) int16
            This tick's RF cue per track (``-2`` none, ``-1`` unknown protocol, else a code).
        """
        cfg = self.config
        n = len(tracks)
        x = tracks.x
        vel = x[:, 3:6]
        speed = np.linalg.norm(vel, axis=1)
        found, row = match_ids(self._ids, tracks.track_id)
        known = self._ids.size > 0
        prev_t = np.where(found, self._t[row] if known else t, t)
        dt = np.maximum(t - prev_t, 0.0)
        has_dt = found & (dt > 0.0)
        safe_dt = np.where(has_dt, dt, 1.0)
        prev_vel = self._vel[row] if known else np.zeros((n, 3))
        psi = np.arctan2(vel[:, 0], vel[:, 1])
        prev_psi = np.arctan2(prev_vel[:, 0], prev_vel[:, 1])
        dpsi = np.abs((psi - prev_psi + np.pi) % (2.0 * np.pi) - np.pi)
        moving = (np.hypot(vel[:, 0], vel[:, 1]) > cfg.turn_min_speed_m_s) & (
            np.hypot(prev_vel[:, 0], prev_vel[:, 1]) > cfg.turn_min_speed_m_s
        )
        turn = np.where(has_dt & moving, np.degrees(dpsi) / safe_dt, 0.0)
        acc = np.where(has_dt, np.linalg.norm(vel - prev_vel, axis=1) / safe_dt, 0.0)
        height = approx_height_m(x[:, :3], self.origin_h_m)
        look = np.stack(
            [
                speed,
                speed**2,
                height,
                np.abs(vel[:, 2]),
                turn,
                (speed < cfg.hover_speed_m_s).astype(np.float64),
                acc,
                (rf_cue >= -1).astype(np.float64),
            ],
            axis=1,
        )
        prev_mean = self._mean[row] if known else look
        lam = np.exp(-dt / cfg.tau_s)[:, None]
        mean = np.where(found[:, None], lam * prev_mean + (1.0 - lam) * look, look)
        # turn rate and acceleration need two looks: a new track's first look says nothing
        first = ~found
        mean[first, _TURN] = 0.0
        mean[first, _ACC] = 0.0

        prev_proto = np.where(found, self._rf_proto[row] if known else -2, -2)
        prev_rf_t = np.where(found, self._rf_t[row] if known else np.nan, np.nan)
        fresh = rf_cue >= -1
        rf_t = np.where(fresh, t, prev_rf_t)
        proto = np.where(fresh, rf_cue, prev_proto)
        proto = np.where(~(t - rf_t <= cfg.rf_memory_s), -2, proto).astype(np.int16)

        self._ids = tracks.track_id.copy()
        self._t = np.full(n, float(t))
        self._mean = mean
        self._vel = vel.copy()
        self._rf_proto = proto
        self._rf_t = rf_t
        return self._assemble(t, tracks, mean, proto)

    def _assemble(self, t: float, tracks: TrackTable, mean: F64, proto: I16) -> F64:
        n = len(tracks)
        s = mean[:, _S]
        s_std = np.sqrt(np.maximum(mean[:, _S2] - s**2, 0.0))
        h = mean[:, _H]
        rcs = tracks.rcs_dbsm
        missing = ~np.isfinite(rcs)
        rf = np.zeros((n, len(_RF_CODES) + 1))
        for j, code in enumerate(_RF_CODES):  # the few protocol codes, not tracks
            rf[:, j] = proto == code
        rf[:, -1] = proto == -1
        ident = tracks.ident
        age = np.maximum(t - tracks.t_first, 0.0)
        cfg = self.config
        hits = tracks.hits.astype(np.float64)
        stale = np.maximum(t - tracks.t_update, 0.0)
        counts = tracks.cue_counts.astype(np.float64)
        n_cues = counts.sum(axis=1)
        cue_share = counts / np.maximum(n_cues, 1.0)[:, None]
        cols = [
            s,
            np.log1p(s),
            s_std,
            s_std / (s + 1.0),
            h / 1000.0,
            np.log1p(np.maximum(h, 0.0) / 10.0),
            mean[:, _CLIMB],
            mean[:, _TURN],
            mean[:, _HOVER],
            mean[:, _ACC],
            np.where(missing, 0.0, rcs),
            missing.astype(np.float64),
            *(rf[:, j] for j in range(rf.shape[1])),
            mean[:, _RF],
            ((ident >= 0) & (ident < ICAO_LIMIT)).astype(np.float64),
            (ident >= ICAO_LIMIT).astype(np.float64),
            _popcount(np.maximum(tracks.sensors, 0)),
            np.minimum(age, cfg.maturity_s) / cfg.maturity_s,
            tracks.confirmed.astype(np.float64),
            np.minimum(hits, cfg.hits_sat) / cfg.hits_sat,
            np.minimum(hits / np.maximum(age, 1.0), cfg.hit_rate_cap_hz),
            np.minimum(stale, cfg.stale_s) / cfg.stale_s,
            *(cue_share[:, j] for j in range(cue_share.shape[1])),
            np.log1p(n_cues),
        ]
        out: F64 = np.stack(cols, axis=1) if n else np.empty((0, N_FEATURES))
        return out
