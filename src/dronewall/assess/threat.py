"""Threat evaluation: a score in [0, 1] per (track, site) and a ranked, explained threat list.

Data layout
-----------
Inputs are ``(N, S)`` geometry (:class:`~dronewall.assess.geometry.SiteGeometry`), ``p_uas (N,)``,
``identity (N,) int8`` and per-site ``(S,)`` radii and values; the score is ``(N, S)`` float64.
The ranked list is a short tuple of :class:`ThreatEntry` (objects at the edge, for people).

Maths
-----
Following Roux & van Vuuren (ORiON 2007): proximity, closest point of approach, time to reach the
asset and the asset's value. With ``r`` the range, ``r_c`` / ``r_a`` the core / alert radii::

    proximity = 1 / (1 + ((r − r_c)⁺ / (r_a − r_c))²)           1 in the core, ½ at alert radius
    approach  = 1 / (1 + ((cpa − r_c)⁺ / r_c)²) · exp(−t_cpa / H)  a CPA inside the core soon → 1
    urgency   = exp(−t_core / T)                                  0 when never entering the core
    kinematic = w_p · proximity + w_a · approach + w_u · urgency   (weights sum to 1)
    value     = v₀ + (1 − v₀) · site.value / 100
    score     = p_uas · kinematic · value                         0 for protected identities

A track inside a core has every kinematic term at 1. A receding track keeps only its proximity
term (its CPA is where it is now, ``t_cpa = 0``, and it never enters the core).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.geometry import SiteGeometry
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import PROTECTED_IDENTITIES, Identity, ObjectClass

F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: Identity codes that score 0 and are never engaged.
PROTECTED_CODES: NDArray[np.int8] = np.array(sorted(int(i) for i in PROTECTED_IDENTITIES), np.int8)
PROTECTED_CODES.setflags(write=False)


def is_protected(identity: I8) -> B:
    """Mask of identity codes in :data:`~dronewall.core.taxonomy.PROTECTED_IDENTITIES`."""
    out: B = np.isin(identity, PROTECTED_CODES)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatConfig:
    """Weights and scales of the threat score (assumptions, A).

    Parameters
    ----------
    w_proximity, w_approach, w_urgency : float
        Weights of the kinematic terms; they must sum to 1.
    cpa_horizon_s : float
        ``H``: a closest approach further ahead than this counts little, s.
    urgency_scale_s : float
        ``T``: time-to-core scale, s; a track 2 min from the core scores ``e⁻¹`` on urgency.
    value_floor : float
        ``v₀``: the value weight of a site of value 0 (no protected site is worth nothing).
    min_listed_score : float
        Tracks whose best score is below this are left out of the ranked threat list.
    max_listed : int
        Longest ranked threat list (the arrays of the assessment still hold every track).
    """

    w_proximity: float = 0.4
    w_approach: float = 0.3
    w_urgency: float = 0.3
    cpa_horizon_s: float = 300.0
    urgency_scale_s: float = 120.0
    value_floor: float = 0.5
    min_listed_score: float = 0.05
    max_listed: int = 100

    def __post_init__(self) -> None:
        w = (self.w_proximity, self.w_approach, self.w_urgency)
        if min(w) < 0 or abs(sum(w) - 1.0) > 1e-9:
            raise ConfigError("threat weights must be >= 0 and sum to 1", field="w_proximity")
        if self.cpa_horizon_s <= 0 or self.urgency_scale_s <= 0:
            raise ConfigError("time scales must be positive", field="cpa_horizon_s")
        if not 0.0 <= self.value_floor <= 1.0 or not 0.0 <= self.min_listed_score <= 1.0:
            raise ConfigError("value_floor and min_listed_score lie in [0, 1]", field="value_floor")
        if self.max_listed < 0:
            raise ConfigError("must be >= 0", field="max_listed")


def threat_scores(
    geometry: SiteGeometry,
    p_uas: F64,
    identity: I8,
    alert_radius_m: F64,
    core_radius_m: F64,
    site_value: F64,
    config: ThreatConfig,
) -> F64:
    """Threat score of every track against every site.

    Parameters
    ----------
    geometry : SiteGeometry
        ``(N, S)`` track-site geometry.
    p_uas : (N,) float64
        Probability that each track is a UAS.
    identity : (N,) int8
        Identity codes; protected ones score 0.
    alert_radius_m, core_radius_m : (S,) float64
        Site radii, m.
    site_value : (S,) float64
        Site values, 0-100.
    config : ThreatConfig
        Weights and scales.

    Returns
    -------
    (N, S) float64
        Scores in ``[0, 1]``; see the module docstring.
    """
    rc = core_radius_m[None, :]
    ra = alert_radius_m[None, :]
    proximity = 1.0 / (1.0 + (np.maximum(geometry.range_m - rc, 0.0) / (ra - rc)) ** 2)
    approach = np.exp(-geometry.tcpa_s / config.cpa_horizon_s) / (
        1.0 + (np.maximum(geometry.cpa_m - rc, 0.0) / rc) ** 2
    )
    urgency = np.exp(-geometry.time_to_core_s / config.urgency_scale_s)  # exp(-inf) = 0
    kinematic = (
        config.w_proximity * proximity + config.w_approach * approach + config.w_urgency * urgency
    )
    value = config.value_floor + (1.0 - config.value_floor) * np.clip(site_value, 0, 100) / 100.0
    score = p_uas[:, None] * kinematic * value[None, :]
    score = np.where(is_protected(identity)[:, None], 0.0, score)
    out: F64 = np.clip(score, 0.0, 1.0)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatEntry:
    """One line of the ranked threat list: a track and the site it threatens most."""

    rank: int
    track_id: int
    site_id: str
    site_name: str
    score: float
    object_class: ObjectClass
    class_p: float
    identity: Identity
    range_m: float
    cpa_m: float
    tcpa_s: float
    time_to_core_s: float
    explanation: str


def format_distance(d_m: float) -> str:
    """``"800 m"`` below 1 km, ``"2.3 km"`` above."""
    return f"{d_m:.0f} m" if d_m < 1000.0 else f"{d_m / 1000.0:.1f} km"


def explain(
    object_class: ObjectClass,
    class_p: float,
    site_name: str,
    range_m: float,
    cpa_m: float,
    tcpa_s: float,
    inside_core: bool,
    range_rate_m_s: float,
) -> str:
    """A plain-words reason for one (track, site).

    For example ``"quadcopter-like (p=0.82), 2.3 km from Doel, CPA 300 m in 95 s"``.
    """
    head = f"{object_class.label}-like (p={class_p:.2f})"
    if inside_core:
        return f"{head}, inside the core of {site_name} ({format_distance(range_m)} from centre)"
    where = f"{format_distance(range_m)} from {site_name}"
    if tcpa_s > 0.0:
        return f"{head}, {where}, CPA {format_distance(cpa_m)} in {tcpa_s:.0f} s"
    motion = "receding" if range_rate_m_s > 0.5 else "holding"
    return f"{head}, {where}, {motion}"


def rank_threats(
    *,
    track_id: I64,
    eligible: B,
    score: F64,
    class_probs: F64,
    identity: I8,
    geometry: SiteGeometry,
    site_ids: tuple[str, ...],
    site_names: tuple[str, ...],
    min_score: float,
    max_listed: int = 100,
) -> tuple[ThreatEntry, ...]:
    """The ranked threat list: one entry per eligible track at its most-threatened site.

    Parameters
    ----------
    track_id : (N,) int64
        Track ids.
    eligible : (N,) bool
        Tracks that may be listed (confirmed ones).
    score : (N, S) float64
        Threat scores.
    class_probs : (N, C) float64
        Class probabilities.
    identity : (N,) int8
        Identity codes.
    geometry : SiteGeometry
        ``(N, S)`` geometry.
    site_ids, site_names : tuple[str, ...]
        ``S`` site ids and names.
    min_score : float
        Least best-site score to be listed.
    max_listed : int
        Longest list returned.

    Returns
    -------
    tuple[ThreatEntry, ...]
        Highest score first (ties: lower track id first); ranks start at 1.
    """
    n, s = score.shape
    if n == 0 or s == 0:
        return ()
    best = np.argmax(score, axis=1)
    rows = np.arange(n)
    top = score[rows, best]
    keep = np.flatnonzero(eligible & (top >= min_score) & (top > 0.0))
    order = keep[np.lexsort((track_id[keep], -top[keep]))][:max_listed]
    cls = np.argmax(class_probs, axis=1)
    entries = []
    for rank, i in enumerate(order, start=1):  # the short list shown to people
        j = int(best[i])
        oc = ObjectClass(int(cls[i]))
        entries.append(
            ThreatEntry(
                rank=rank,
                track_id=int(track_id[i]),
                site_id=site_ids[j],
                site_name=site_names[j],
                score=float(top[i]),
                object_class=oc,
                class_p=float(class_probs[i, cls[i]]),
                identity=Identity(int(identity[i])),
                range_m=float(geometry.range_m[i, j]),
                cpa_m=float(geometry.cpa_m[i, j]),
                tcpa_s=float(geometry.tcpa_s[i, j]),
                time_to_core_s=float(geometry.time_to_core_s[i, j]),
                explanation=explain(
                    oc,
                    float(class_probs[i, cls[i]]),
                    site_names[j],
                    float(geometry.range_m[i, j]),
                    float(geometry.cpa_m[i, j]),
                    float(geometry.tcpa_s[i, j]),
                    bool(geometry.inside_core[i, j]),
                    float(geometry.range_rate_m_s[i, j]),
                ),
            )
        )
    return tuple(entries)
