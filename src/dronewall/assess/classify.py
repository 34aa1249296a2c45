"""Track classification: class probabilities from kinematics, RCS, RF cues and cooperative ident.

Two classifiers with one interface (``update(t, tracks, detections) -> ClassifierOutput``):

* :class:`TrainedClassifier` (the assess stage's default): a multinomial logistic model trained on
  simulated runs (``tools/train_classifier.py``), shipped as ``data/track_classifier.json``,
  evaluated in numpy over the features of :mod:`dronewall.assess.features`, calibrated by a
  temperature and fused over time; see its docstring and ``docs/classifier.md``.
* :class:`BayesClassifier`: the earlier hand-made naive Bayes over catalogue bands, described
  below; selectable with ``AssessConfig(classifier_kind="rules")``.

Data layout
-----------
Input: a :class:`~dronewall.core.tracks.TrackTable` of ``N`` tracks (``x (N, 6)`` ENU m and m/s,
``P (N, 6, 6)``, ``rcs_dbsm (N,)``, ``ident (N,)``) and the tick's
:class:`~dronewall.core.measurements.DetectionBatch`, of which only RF ``BEARING`` rows are read.
Output: :class:`ClassifierOutput` with probabilities ``(N, C)``, ``C = len(ObjectClass)``,
columns in :class:`~dronewall.core.taxonomy.ObjectClass` order, rows summing to 1.

The class model :class:`ClassModel` is a struct of ``(C,)`` arrays built once from the object
catalogue (``load_world().objects``): the union of the speed and altitude bands of the object types
of each class, the geometric mean of their RCS, which RF protocols they emit and whether they carry
ADS-B. CLUTTER has no catalogue entry; its bands come from :class:`ClassifierConfig`.

Model
-----
For each class ``c`` and feature ``f`` a likelihood ``l_f(y | c)``:

* **Bands** (speed ``s = ‖v‖``, height above the ellipsoid ``h``, climb rate ``|v_u|``): a flat top
  on ``[a_c, b_c]`` with Gaussian shoulders, normalised::

      l(y | c) = exp(-½ (δ / σ)²) / (b_c − a_c + √(2π) σ),   δ = max(a_c − y, 0, y − b_c)

  ``σ² = σ_band² + var(y)``, with ``σ_band`` a share of the band's width (at least a floor) and
  ``var(y)`` the track's own uncertainty from ``P`` (``ŝᵀ P_vv ŝ`` for speed), so a young, noisy
  track is judged leniently. The normaliser makes broad classes (airliner: 0-12 km) pay for their
  breadth.
* **RCS** (dBsm, running mean): Gaussian ``N(μ_c, σ_c²)``; no RCS (NaN) carries no information.
* **RF cue**: an RF bearing (``BEARING`` row with a protocol code, or from a declared RF sensor)
  whose azimuth from its detector lies within ``max(rf_gate_deg, 3σ_az)`` of the track's azimuth
  from that detector (and elevation likewise when measured) cues the track with that protocol ``k``:
  ``l(k | c) = ε + (1 − ε) · share of c's object types emitting k`` (any protocol when ``k = −1``).
  No cue is no information: RF coverage is partial and fibre or autonomous drones are silent.
* **Cooperative ident** (``ident ≥ 0``): ``1`` for classes with ADS-B types (aircraft), ``ε_ident``
  else.

Each feature's log-likelihood is taken relative to its best class and clipped at ``−clip_nats``
(one wild feature may not veto a class alone), then summed: the per-look evidence
``ℓ_c = Σ_f max(log l_f(c) − max_c' log l_f(c'), −clip)``.

Fusion over time, per ``track_id``, with forgetting factor ``λ = exp(−Δt / τ)``::

    Λ_t = λ Λ_{t−1} + (1 − λ) ℓ_t          (Λ = ℓ at a track's first look)
    p(c | track) ∝ π_c · exp(κ Λ_t,c)

``Λ`` is an exponentially weighted mean of the per-look evidence: consecutive looks at one track
are strongly correlated (the same filter state), so adding them as independent evidence would make
a track certain within seconds; averaging smooths noisy looks, a steady track's posterior equals
that of ``κ`` independent looks at its mean features, and a change of behaviour shows within ``τ``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.features import FeatureConfig
from dronewall.assess.geometry import approx_height_m
from dronewall.assess.keyed import match_ids
from dronewall.core.attribution import attribute_bearings
from dronewall.core.errors import ConfigError
from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
from dronewall.core.taxonomy import UAS_CLASSES, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.world.catalogue import ObjectType

F64 = NDArray[np.float64]
I16 = NDArray[np.int16]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

N_CLASSES = len(ObjectClass)
#: Protocol codes with a column in :attr:`ClassModel.rf_lik`; the last column is "any protocol".
RF_CODES: tuple[RfProtocol, ...] = tuple(p for p in RfProtocol if p is not RfProtocol.NONE)

#: Column mask of the UAS classes, in ObjectClass order.
UAS_MASK: B = np.array([c in UAS_CLASSES for c in ObjectClass], dtype=np.bool_)
UAS_MASK.setflags(write=False)

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))

_DEFAULT_PRIORS: dict[ObjectClass, float] = {
    ObjectClass.QUADCOPTER: 0.18,
    ObjectClass.FPV: 0.04,
    ObjectClass.FIXED_WING: 0.04,
    ObjectClass.LOITERING_MUNITION: 0.03,
    ObjectClass.DECOY: 0.03,
    ObjectClass.BIRD: 0.22,
    ObjectClass.LIGHT_AIRCRAFT: 0.16,
    ObjectClass.AIRLINER: 0.15,
    ObjectClass.CLUTTER: 0.15,
}

_DEFAULT_CLIMB_MAX: dict[ObjectClass, float] = {
    ObjectClass.QUADCOPTER: 8.0,
    ObjectClass.FPV: 20.0,
    ObjectClass.FIXED_WING: 6.0,
    ObjectClass.LOITERING_MUNITION: 15.0,
    ObjectClass.DECOY: 15.0,
    ObjectClass.BIRD: 4.0,
    ObjectClass.LIGHT_AIRCRAFT: 10.0,
    ObjectClass.AIRLINER: 20.0,
    ObjectClass.CLUTTER: 10.0,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassifierConfig:
    """Settings of :class:`BayesClassifier`; every figure is an assumption (A) to be tuned.

    Parameters
    ----------
    priors : Mapping[ObjectClass, float]
        Prior class frequencies among tracks over Benelux (normalised here). Birds and clutter are
        common radar tracks; drones are the minority that matters.
    tau_s : float
        Forgetting time constant ``τ`` of the fused evidence, s.
    evidence_gain : float
        ``κ``: how many independent looks a steady track's averaged evidence is worth.
    clip_nats : float
        Floor of each feature's relative log-likelihood (nats).
    band_softness : float
        Shoulder width ``σ_band`` as a share of a band's width.
    speed_sigma_floor_m_s, height_sigma_floor_m, climb_sigma_floor_m_s : float
        Least shoulder widths. The height floor is broad because the catalogue's altitudes are above
        ground while tracks give height above the ellipsoid (terrain and geoid ~50-700 m here).
    rcs_sigma_db : float
        Spread of a class's RCS around its catalogue value, dB.
    climb_max_m_s : Mapping[ObjectClass, float]
        Largest sustained climb/descent rate per class, m/s (band ``[0, max]`` on ``|v_u|``).
    clutter_speed_max_m_s, clutter_height_band_m, clutter_rcs_dbsm, clutter_rcs_sigma_db
        The CLUTTER class, which the catalogue does not hold: nearly still returns of any size.
    rf_gate_deg : float
        Least half-width of the RF bearing gate, degrees.
    rf_epsilon : float
        ``ε``: probability that a class with no such emitter is cued anyway (a wrong pairing).
    rf_memory_s : float
        How long an RF cue stays attached to a track for the respond stage, s.
    ident_epsilon : float
        ``ε_ident``: likelihood of a cooperative ident for a class that never carries one.
    """

    priors: Mapping[ObjectClass, float] = field(default_factory=lambda: dict(_DEFAULT_PRIORS))
    tau_s: float = 20.0
    evidence_gain: float = 1.5
    clip_nats: float = 10.0
    band_softness: float = 0.1
    speed_sigma_floor_m_s: float = 2.0
    height_sigma_floor_m: float = 100.0
    climb_sigma_floor_m_s: float = 1.5
    rcs_sigma_db: float = 6.0
    climb_max_m_s: Mapping[ObjectClass, float] = field(
        default_factory=lambda: dict(_DEFAULT_CLIMB_MAX)
    )
    clutter_speed_max_m_s: float = 3.0
    clutter_height_band_m: tuple[float, float] = (-200.0, 3000.0)
    clutter_rcs_dbsm: float = -10.0
    clutter_rcs_sigma_db: float = 15.0
    rf_gate_deg: float = 3.0
    rf_epsilon: float = 0.02
    rf_memory_s: float = 120.0
    ident_epsilon: float = 1e-4

    def __post_init__(self) -> None:
        for name in (
            "tau_s",
            "evidence_gain",
            "clip_nats",
            "speed_sigma_floor_m_s",
            "height_sigma_floor_m",
            "climb_sigma_floor_m_s",
            "rcs_sigma_db",
            "clutter_rcs_sigma_db",
            "rf_gate_deg",
            "rf_memory_s",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError("must be positive", field=name, actual=repr(value))
        if not 0.0 <= self.band_softness < 1.0:
            raise ConfigError("must lie in [0, 1)", field="band_softness")
        for name in ("rf_epsilon", "ident_epsilon"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError("must lie in (0, 1)", field=name)
        if set(self.priors) != set(ObjectClass) or any(p <= 0 for p in self.priors.values()):
            raise ConfigError(
                "priors must give a positive weight to every object class",
                field="priors",
                expected=", ".join(c.label for c in ObjectClass),
            )
        if set(self.climb_max_m_s) != set(ObjectClass):
            raise ConfigError("climb_max_m_s must name every object class", field="climb_max_m_s")
        lo, hi = self.clutter_height_band_m
        if not lo < hi or self.clutter_speed_max_m_s <= 0:
            raise ConfigError("clutter bands must be non-empty", field="clutter_height_band_m")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassModel:
    """Per-class likelihood parameters, each ``(C,)`` in ObjectClass order (``rf_lik (C, P+1)``)."""

    speed_lo: F64
    speed_hi: F64
    height_lo: F64
    height_hi: F64
    climb_max: F64
    rcs_dbsm: F64
    rcs_sigma_db: F64
    rf_lik: F64
    """``l(k | c)`` for each code of :data:`RF_CODES`, then for "some protocol" (code -1)."""
    coop_lik: F64
    log_prior: F64
    rf_emitting: B
    """Classes with at least one object type that emits an RF link."""


def build_class_model(objects: Mapping[str, ObjectType], config: ClassifierConfig) -> ClassModel:
    """Build the per-class likelihood parameters from the object catalogue.

    Parameters
    ----------
    objects : Mapping[str, ObjectType]
        The catalogue, ``load_world().objects``.
    config : ClassifierConfig
        Softness, clutter and ε settings.

    Returns
    -------
    ClassModel
        Bands are the union over a class's object types; RCS is their mean in dBsm.
    """
    c = N_CLASSES
    speed_lo, speed_hi = np.full(c, np.nan), np.full(c, np.nan)
    height_lo, height_hi = np.full(c, np.nan), np.full(c, np.nan)
    rcs = np.full(c, np.nan)
    rcs_sigma = np.full(c, config.rcs_sigma_db)
    emits = np.zeros((c, len(RF_CODES) + 1))
    coop = np.full(c, config.ident_epsilon)
    for cls in ObjectClass:
        types = [o for o in objects.values() if o.object_class is cls]
        i = int(cls)
        if not types:
            continue
        speed_lo[i] = min(o.speed_min_m_s for o in types)
        speed_hi[i] = max(o.speed_max_m_s for o in types)
        height_lo[i] = min(o.alt_min_m for o in types)
        height_hi[i] = max(o.alt_max_m for o in types)
        rcs[i] = float(np.mean([10.0 * np.log10(o.rcs_m2) for o in types]))
        for j, code in enumerate(RF_CODES):
            emits[i, j] = sum(o.rf_protocol is code for o in types) / len(types)
        emits[i, -1] = sum(o.rf_protocol is not RfProtocol.NONE for o in types) / len(types)
        if any(o.adsb for o in types):
            coop[i] = 1.0
    k = int(ObjectClass.CLUTTER)
    if np.isnan(speed_lo[k]):
        speed_lo[k], speed_hi[k] = 0.0, config.clutter_speed_max_m_s
        height_lo[k], height_hi[k] = config.clutter_height_band_m
        rcs[k], rcs_sigma[k] = config.clutter_rcs_dbsm, config.clutter_rcs_sigma_db
    missing = [cls.label for cls in ObjectClass if np.isnan(speed_lo[int(cls)])]
    if missing:
        raise ConfigError(
            "the object catalogue has no type of some classes", field="objects", actual=str(missing)
        )
    prior = np.array([config.priors[cls] for cls in ObjectClass], dtype=np.float64)
    eps = config.rf_epsilon
    return ClassModel(
        speed_lo=speed_lo,
        speed_hi=speed_hi,
        height_lo=height_lo,
        height_hi=height_hi,
        climb_max=np.array([config.climb_max_m_s[cls] for cls in ObjectClass], dtype=np.float64),
        rcs_dbsm=rcs,
        rcs_sigma_db=rcs_sigma,
        rf_lik=eps + (1.0 - eps) * emits,
        coop_lik=coop,
        log_prior=np.log(prior / prior.sum()),
        rf_emitting=emits[:, -1] > 0.0,
    )


def band_loglik(y: F64, var_y: F64, lo: F64, hi: F64, softness: float, floor: float) -> F64:
    """Log-likelihood of values under flat-topped bands with Gaussian shoulders.

    Parameters
    ----------
    y, var_y : (N,) float64
        Values and their variances (any unit, consistently).
    lo, hi : (C,) float64
        Band edges per class.
    softness, floor : float
        ``σ_band = max(floor, softness · (hi − lo))``.

    Returns
    -------
    (N, C) float64
        ``−½ (δ/σ)² − log(hi − lo + √(2π) σ)`` with ``σ² = σ_band² + var_y``.
    """
    sigma_band = np.maximum(floor, softness * (hi - lo))  # (C,)
    sigma = np.sqrt(sigma_band[None, :] ** 2 + var_y[:, None])  # (N, C)
    delta = np.maximum(np.maximum(lo[None, :] - y[:, None], y[:, None] - hi[None, :]), 0.0)
    out: F64 = -0.5 * (delta / sigma) ** 2 - np.log(hi - lo + _SQRT_2PI * sigma)
    return out


def _relative(loglik: F64, clip: float) -> F64:
    """Each row relative to its best class, clipped at ``-clip``; rows of NaN give 0."""
    best = np.max(loglik, axis=1, keepdims=True)
    rel = np.maximum(loglik - best, -clip)
    out: F64 = np.where(np.isfinite(rel), rel, 0.0)
    return out


def wrap_angle(a: F64) -> F64:
    """Angles wrapped to ``[-π, π)``."""
    out: F64 = (a + np.pi) % (2.0 * np.pi) - np.pi
    return out


def rf_cues(
    pos: F64,
    detections: DetectionBatch,
    gate_deg: float,
    rf_sensors: frozenset[int] | None,
    ident: I64 | None = None,
) -> I16:
    """The RF protocol each track is cued with this tick, from RF bearings.

    A bearing that the detector's own Remote ID decoding attributes to a cooperative drone
    (:func:`~dronewall.core.attribution.attribute_bearings`) cues only the track holding
    that Remote ID: the link is that drone's, not that of whatever else lies on the line.

    Parameters
    ----------
    pos : (N, 3) float64
        Track positions, ENU m.
    detections : DetectionBatch
        The tick's detections; ``BEARING`` rows with a protocol code (or from ``rf_sensors``) count.
    gate_deg : float
        Least half-width of the angular gate, degrees; widened to 3σ of the bearing's noise.
    rf_sensors : frozenset[int] or None
        Sensor indices that are RF detectors; ``None`` takes any bearing with a protocol code.
    ident : (N,) int64, optional
        The tracks' cooperative identities (-1 none); without it attributed bearings cue no
        track.

    Returns
    -------
    (N,) int16
        The protocol of the closest gated bearing (in σ), ``-2`` where no bearing gates;
        ``-1`` means an RF emission of unknown protocol.
    """
    n = pos.shape[0]
    out = np.full(n, -2, dtype=np.int16)
    if n == 0 or len(detections) == 0:
        return out
    is_rf = detections.kind == int(MeasurementKind.BEARING)
    if rf_sensors is None:
        is_rf &= detections.protocol >= 0
    else:
        is_rf &= np.isin(detections.sensor, np.fromiter(rf_sensors, dtype=np.int32))
    if not is_rf.any():
        return out
    claim = attribute_bearings(detections)[is_rf]
    rows = detections.select(is_rf)
    rel = pos[:, None, :] - rows.sensor_pos[None, :, :]  # (N, K, 3)
    az = np.arctan2(rel[..., 0], rel[..., 1])  # clockwise from north
    el = np.arctan2(rel[..., 2], np.hypot(rel[..., 0], rel[..., 1]))
    gate = np.radians(gate_deg)
    s_az = np.maximum(np.sqrt(np.maximum(rows.R[:, 0, 0], 0.0)), gate / 3.0)[None, :]
    s_el = np.maximum(np.sqrt(np.maximum(rows.R[:, 1, 1], 0.0)), gate / 3.0)[None, :]
    d_az = np.abs(wrap_angle(az - rows.z[None, :, 0])) / s_az
    has_el = np.isfinite(rows.z[:, 1])[None, :]
    d_el = np.where(has_el, np.abs(el - np.nan_to_num(rows.z[None, :, 1])) / s_el, 0.0)
    dist = np.where((d_az <= 3.0) & (d_el <= 3.0), np.hypot(d_az, d_el), np.inf)  # (N, K)
    holder = np.full(n, -1, np.int64) if ident is None else ident
    foreign = (claim[None, :] >= 0) & (holder[:, None] != claim[None, :])
    dist = np.where(foreign, np.inf, dist)
    best = np.argmin(dist, axis=1)
    hit = np.isfinite(dist[np.arange(n), best])
    out[hit] = rows.protocol[best[hit]]
    return out


@dataclass(frozen=True, slots=True)
class ClassifierOutput:
    """What :meth:`BayesClassifier.update` returns, rows aligned with the track table.

    Attributes
    ----------
    probs : (N, C) float64
        Fused class probabilities, ObjectClass column order.
    p_uas : (N,) float64
        Probability mass on UAS classes.
    rf_protocol : (N,) int16
        RF protocol cued to the track within ``rf_memory_s`` (``-1`` unknown protocol), ``-2`` none.
    rf_cue_now : (N,) int16
        The cue of this tick alone (same codes).
    """

    probs: F64
    p_uas: F64
    rf_protocol: I16
    rf_cue_now: I16


class BayesClassifier:
    """Naive-Bayes class probabilities per track, fused over time; see the module docstring.

    Parameters
    ----------
    model : ClassModel
        From :func:`build_class_model`.
    config : ClassifierConfig
        Settings.
    origin_h_m : float
        Ellipsoidal height of the ENU frame origin, m.
    rf_sensors : frozenset[int] or None
        Sensor indices of the RF detectors; ``None``: any bearing carrying a protocol code.
    """

    def __init__(
        self,
        model: ClassModel,
        config: ClassifierConfig,
        *,
        origin_h_m: float = 0.0,
        rf_sensors: frozenset[int] | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.origin_h_m = origin_h_m
        self.rf_sensors = rf_sensors
        self._ids: I64 = np.empty(0, np.int64)
        self._evidence: F64 = np.empty((0, N_CLASSES))
        self._t: F64 = np.empty(0)
        self._rf_proto: I16 = np.empty(0, np.int16)
        self._rf_t: F64 = np.empty(0)

    def look_loglik(self, tracks: TrackTable, rf_cue: I16) -> F64:
        """Per-look relative evidence ``ℓ (N, C)`` (nats) of every track; no state is touched."""
        cfg, m = self.config, self.model
        x, p = tracks.x, tracks.P
        vel = x[:, 3:6]
        speed = np.linalg.norm(vel, axis=1)
        safe = np.where(speed > 1e-9, speed, 1.0)
        u = vel / safe[:, None]
        var_speed = np.einsum("ni,nij,nj->n", u, p[:, 3:6, 3:6], u)
        height = approx_height_m(x[:, :3], self.origin_h_m)
        clip = cfg.clip_nats
        soft = cfg.band_softness
        ll = _relative(
            band_loglik(speed, var_speed, m.speed_lo, m.speed_hi, soft, cfg.speed_sigma_floor_m_s),
            clip,
        )
        ll += _relative(
            band_loglik(
                height, p[:, 2, 2], m.height_lo, m.height_hi, soft, cfg.height_sigma_floor_m
            ),
            clip,
        )
        zeros = np.zeros(N_CLASSES)
        ll += _relative(
            band_loglik(
                np.abs(vel[:, 2]), p[:, 5, 5], zeros, m.climb_max, soft, cfg.climb_sigma_floor_m_s
            ),
            clip,
        )
        rcs = tracks.rcs_dbsm
        rcs_ll = -0.5 * ((rcs[:, None] - m.rcs_dbsm[None, :]) / m.rcs_sigma_db[None, :]) ** 2 - (
            np.log(m.rcs_sigma_db[None, :])
        )
        ll += _relative(rcs_ll, clip)  # NaN RCS rows give 0
        cued = rf_cue >= -1
        col = np.full(rf_cue.shape[0], len(RF_CODES), dtype=np.intp)
        code_col = {int(code): j for j, code in enumerate(RF_CODES)}
        for code, j in code_col.items():  # loop over the few protocol codes, not tracks
            col[rf_cue == code] = j
        rf_ll = np.where(cued[:, None], np.log(m.rf_lik[:, col].T), 0.0)
        ll += _relative(rf_ll, clip)
        coop_ll = np.where((tracks.ident >= 0)[:, None], np.log(m.coop_lik)[None, :], 0.0)
        ll += _relative(coop_ll, clip)
        out: F64 = ll
        return out

    def update(self, t: float, tracks: TrackTable, detections: DetectionBatch) -> ClassifierOutput:
        """Fuse this tick's look into each track's evidence and return the posteriors.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s (the snapshot time of ``tracks``).
        tracks : TrackTable
            All live tracks (tentative included); tracks absent from it are forgotten.
        detections : DetectionBatch
            The tick's detections (RF bearings are read).

        Returns
        -------
        ClassifierOutput
            Rows aligned with ``tracks``.
        """
        cfg = self.config
        cue = rf_cues(tracks.x[:, :3], detections, cfg.rf_gate_deg, self.rf_sensors, tracks.ident)
        look = self.look_loglik(tracks, cue)
        found, row = match_ids(self._ids, tracks.track_id)
        prev = self._evidence[row] if self._ids.size else np.zeros_like(look)
        dt = np.where(found, t - (self._t[row] if self._ids.size else 0.0), 0.0)
        lam = np.exp(-np.maximum(dt, 0.0) / cfg.tau_s)[:, None]
        evidence = np.where(found[:, None], lam * prev + (1.0 - lam) * look, look)
        logpost = self.model.log_prior[None, :] + cfg.evidence_gain * evidence
        logpost -= logpost.max(axis=1, keepdims=True)
        probs = np.exp(logpost)
        probs /= probs.sum(axis=1, keepdims=True)

        prev_proto = np.where(found, self._rf_proto[row] if self._ids.size else -2, -2)
        prev_rf_t = np.where(found, self._rf_t[row] if self._ids.size else np.nan, np.nan)
        fresh = cue >= -1
        rf_t = np.where(fresh, t, prev_rf_t)
        proto = np.where(fresh, cue, prev_proto).astype(np.int16)
        stale = ~(t - rf_t <= cfg.rf_memory_s)  # NaN (never cued) counts as stale
        proto = np.where(stale, -2, proto).astype(np.int16)

        self._ids = tracks.track_id.copy()
        self._evidence = evidence
        self._t = np.full(len(tracks), t)
        self._rf_proto = proto
        self._rf_t = rf_t
        return ClassifierOutput(
            probs=probs,
            p_uas=probs[:, UAS_MASK].sum(axis=1),
            rf_protocol=proto,
            rf_cue_now=cue,
        )


# --------------------------------------------------------------------------------------------
# The trained classifier (the default of the assess stage)
# --------------------------------------------------------------------------------------------

#: The shipped model file, rebuilt by ``tools/train_classifier.py``.
MODEL_FILE = "track_classifier.json"
_MODEL_FORMAT = "dronewall-track-classifier"


def default_model_path() -> Path:
    """Path of the shipped model file (package data beside this module)."""
    return Path(__file__).resolve().parent / "data" / MODEL_FILE


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackClassifierModel:
    """A trained multinomial logistic model over track features, evaluated in numpy.

    With features ``f (N, F)`` (:data:`dronewall.assess.features.FEATURE_NAMES` order), hinge
    columns ``h_k = max(0, f_{j_k} − κ_k)`` appended, standardisation ``u = (g − μ) / σ``, the
    logits are ``z = (u Wᵀ + b) / T`` ``(N, C)`` (``W (C, D)``, ``b (C,)``, ``T`` the calibration
    temperature) and the per-look probabilities ``softmax(z)``.
    """

    features: tuple[str, ...]
    classes: tuple[str, ...]
    knot_feature: NDArray[np.intp]
    knot: F64
    mean: F64
    scale: F64
    coef: F64
    intercept: F64
    temperature: float
    training: Mapping[str, object] = field(default_factory=dict)

    def logits(self, x: F64) -> F64:
        """Calibrated logits ``(N, C)`` of feature rows ``x (N, F)``."""
        g = np.concatenate([x, np.maximum(x[:, self.knot_feature] - self.knot[None, :], 0.0)], 1)
        u = (g - self.mean[None, :]) / self.scale[None, :]
        out: F64 = (u @ self.coef.T + self.intercept[None, :]) / self.temperature
        return out

    def predict_proba(self, x: F64) -> F64:
        """Per-look class probabilities ``(N, C)``, rows summing to 1."""
        return _softmax(self.logits(x))


def _softmax(z: F64) -> F64:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: F64 = e / e.sum(axis=1, keepdims=True)
    return out


def load_model(path: Path | str | None = None) -> TrackClassifierModel:
    """Read and check a model file written by ``tools/train_classifier.py``.

    Raises
    ------
    ConfigError
        naming the file and the field when the file is missing, is not JSON, is of another format,
        or does not match this code's feature list and class vocabulary or its own shapes.
    """
    from dronewall.assess.features import FEATURE_NAMES

    p = default_model_path() if path is None else Path(path)
    src = str(p)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("classifier model file not found", source=src) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"classifier model file is not JSON: {exc}", source=src) from exc
    if not isinstance(doc, dict) or doc.get("format") != _MODEL_FORMAT:
        raise ConfigError(
            "not a track-classifier model", source=src, field="format", expected=_MODEL_FORMAT
        )
    if doc.get("version") != 1:
        raise ConfigError(
            "unsupported model version",
            source=src,
            field="version",
            expected="1",
            actual=repr(doc.get("version")),
        )
    features = tuple(doc.get("features", ()))
    if features != FEATURE_NAMES:
        raise ConfigError(
            "model features differ from this code's feature list (retrain)",
            source=src,
            field="features",
            expected=", ".join(FEATURE_NAMES),
            actual=", ".join(map(str, features)),
        )
    classes = tuple(doc.get("classes", ()))
    if classes != tuple(c.label for c in ObjectClass):
        raise ConfigError("model classes differ from ObjectClass", source=src, field="classes")
    try:
        knots = doc["knots"]
        knot_feature = np.array([features.index(str(k[0])) for k in knots], dtype=np.intp)
        knot = np.array([float(k[1]) for k in knots], dtype=np.float64)
        mean = np.asarray(doc["mean"], dtype=np.float64)
        scale = np.asarray(doc["scale"], dtype=np.float64)
        coef = np.asarray(doc["coef"], dtype=np.float64)
        intercept = np.asarray(doc["intercept"], dtype=np.float64)
        temperature = float(doc["temperature"])
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"malformed model: {exc!r}", source=src) from exc
    d = len(features) + knot.shape[0]
    c = len(classes)
    for name, arr, shape in (
        ("mean", mean, (d,)),
        ("scale", scale, (d,)),
        ("coef", coef, (c, d)),
        ("intercept", intercept, (c,)),
    ):
        if arr.shape != shape:
            raise ConfigError(
                f"wrong shape {arr.shape}", source=src, field=name, expected=str(shape)
            )
        if not np.all(np.isfinite(arr)):
            raise ConfigError("non-finite values", source=src, field=name)
    if not np.all(scale > 0) or not temperature > 0:
        raise ConfigError("scale and temperature must be positive", source=src, field="scale")
    training = doc.get("training", {})
    return TrackClassifierModel(
        features=features,
        classes=classes,
        knot_feature=knot_feature,
        knot=knot,
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=intercept,
        temperature=temperature,
        training=training if isinstance(training, dict) else {},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedClassifierConfig:
    """Settings of :class:`TrainedClassifier` (assumptions, A).

    Parameters
    ----------
    tau_s : float
        Forgetting time constant of the fused log-probabilities, s.
    ident_epsilon : float
        Share of the model's own posterior kept beside the aircraft classes on an ADS-B track.
    rf_gate_deg : float
        Least half-width of the RF bearing gate, degrees (as :func:`rf_cues`).
    restart_on_confirm : bool
        Restart a track's fusion at the look at which the tracker confirms it (see
        :class:`TrainedClassifier`).
    features : FeatureConfig
        Settings of the running statistics (must match the training run's; the defaults do).
    model_path : Path or None
        Model file; ``None`` takes the shipped one.
    """

    tau_s: float = 10.0
    ident_epsilon: float = 1e-4
    rf_gate_deg: float = 3.0
    restart_on_confirm: bool = True
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model_path: Path | None = None

    def __post_init__(self) -> None:
        if not self.tau_s > 0:
            raise ConfigError("must be positive", field="tau_s", actual=repr(self.tau_s))
        if not 0.0 < self.ident_epsilon < 1.0:
            raise ConfigError("must lie in (0, 1)", field="ident_epsilon")
        if not self.rf_gate_deg > 0:
            raise ConfigError("must be positive", field="rf_gate_deg")


#: Classes an ADS-B (ICAO) ident is compatible with: manned aircraft.
AIRCRAFT_CLASSES: frozenset[ObjectClass] = frozenset(
    {ObjectClass.LIGHT_AIRCRAFT, ObjectClass.AIRLINER}
)


class TrainedClassifier:
    """Trained per-look probabilities, fused over time per track, plus the hard ADS-B rule.

    Per tick: features ``f`` (:class:`~dronewall.assess.features.TrackFeatures`), calibrated
    logits ``z`` (:class:`TrackClassifierModel`), per-look log-probabilities
    ``ℓ_t = log softmax(z)``; fused per ``track_id`` with ``λ = exp(−Δt / τ)``::

        Λ_t = λ Λ_{t−1} + (1 − λ) ℓ_t       (Λ = ℓ at a track's first look)
        p(c | track) ∝ exp(Λ_t,c)

    ``Λ`` is an exponentially weighted geometric pooling of the looks: their features already carry
    the history (running means), so the looks are strongly correlated and are averaged, not added;
    a steady track's posterior equals its per-look posterior and one odd look moves it by ``1 − λ``.
    The look at which the tracker confirms a track restarts its fusion (``Λ = ℓ``; with
    ``restart_on_confirm``): the looks of a tentative track are conditioned on its maybe being a
    false track of clutter, which confirmation has answered (the ``confirmed`` and track-quality
    features say so), while the running-mean features keep the history. Without the restart a
    young confirmed track kept its tentative looks' lean towards clutter for about ``τ``.
    One hand-made rule is kept, a hard fact: an ADS-B (ICAO) ident marks a manned aircraft. Such a
    track's probabilities become ``(1 − ε) p_A + ε p`` with ``p_A`` the fused posterior restricted
    to the aircraft classes (``softmax`` of ``Λ`` over those columns) and ``ε = ident_epsilon``;
    a spoofed ident is the identify stage's business (it checks the claim against radar and RF).
    Everything else (Remote ID, RF protocols, RCS, kinematics) is learned from simulated runs.

    Same interface as :class:`BayesClassifier`: ``update(t, tracks, detections)``.
    """

    def __init__(
        self,
        model: TrackClassifierModel | None = None,
        config: TrainedClassifierConfig | None = None,
        *,
        origin_h_m: float = 0.0,
        rf_sensors: frozenset[int] | None = None,
    ) -> None:
        from dronewall.assess.features import TrackFeatures

        self.config = TrainedClassifierConfig() if config is None else config
        self.model = load_model(self.config.model_path) if model is None else model
        self.rf_sensors = rf_sensors
        self.features = TrackFeatures(self.config.features, origin_h_m=origin_h_m)
        self._aircraft: NDArray[np.intp] = np.array(
            sorted(int(c) for c in AIRCRAFT_CLASSES), dtype=np.intp
        )
        self._ids: I64 = np.empty(0, np.int64)
        self._fused: F64 = np.empty((0, N_CLASSES))
        self._t: F64 = np.empty(0)
        self._confirmed: B = np.empty(0, np.bool_)

    def look_logprob(
        self, t: float, tracks: TrackTable, detections: DetectionBatch
    ) -> tuple[F64, I16]:
        """Per-look log-probabilities ``(N, C)`` and this tick's RF cue; updates the features."""
        cue = rf_cues(
            tracks.x[:, :3], detections, self.config.rf_gate_deg, self.rf_sensors, tracks.ident
        )
        x = self.features.update(t, tracks, cue)
        z = self.model.logits(x)
        z = z - z.max(axis=1, keepdims=True)
        out: F64 = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return out, cue

    def update(self, t: float, tracks: TrackTable, detections: DetectionBatch) -> ClassifierOutput:
        """Fuse this tick's look into each track's class probabilities; rows aligned with tracks."""
        look, cue = self.look_logprob(t, tracks, detections)
        found, row = match_ids(self._ids, tracks.track_id)
        known = self._ids.size > 0
        prev = self._fused[row] if known else look
        dt = np.where(found, t - (self._t[row] if known else t), 0.0)
        lam = np.exp(-np.maximum(dt, 0.0) / self.config.tau_s)[:, None]
        confirmed = tracks.confirmed
        keep = found
        if self.config.restart_on_confirm:
            was_confirmed = np.where(found, self._confirmed[row] if known else False, False)
            keep = found & ~(confirmed & ~was_confirmed)
        fused = np.where(keep[:, None], lam * prev + (1.0 - lam) * look, look)
        probs = _softmax(fused)
        adsb = (tracks.ident >= 0) & (tracks.ident < (1 << 24))
        if adsb.any():
            # the hard rule: restricted to the aircraft columns, whatever the model thought
            air = self._aircraft
            eps = self.config.ident_epsilon
            p_air = np.zeros((int(adsb.sum()), N_CLASSES))
            p_air[:, air] = _softmax(fused[adsb][:, air])
            probs[adsb] = (1.0 - eps) * p_air + eps * probs[adsb]
        self._ids = tracks.track_id.copy()
        self._fused = fused
        self._t = np.full(len(tracks), float(t))
        self._confirmed = confirmed.copy()
        # the RF protocol attached within the memory, from the feature state (same rows)
        proto = self.features.rf_protocol
        return ClassifierOutput(
            probs=probs, p_uas=probs[:, UAS_MASK].sum(axis=1), rf_protocol=proto, rf_cue_now=cue
        )
