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
    kinematic = max(w_p · proximity + w_a · approach + w_u · urgency,  (weights sum to 1)
                    exp(−t_core / T_in))                          inbound floor
    T_in      = T_in,fast for a track surely faster than any bird, else T_in
    value     = v₀ + (1 − v₀) · site.value / 100
    score     = p_uas · kinematic · value                         0 for protected identities

A track inside a core has every kinematic term at 1. A receding track keeps only its proximity
term (its CPA is where it is now, ``t_cpa = 0``, and it never enters the core).

The inbound floor makes time, not distance, rule for a track on a course into a core. The
weighted sum is mostly a matter of range: a 50 m/s munition with ``p_uas`` 1 reaches the WARNING
threshold (0.4) 5.5 km from the centre of a site of value 50 with a 1.5 km core, 80 s before it
enters the core (7.4 km and 120 s at value 100), less than an approval, a fly-out, a look and a
second shot take. The floor scores a track ``t_core`` seconds
out at least ``exp(−t_core / T_in)``: with ``T_in`` = 300 s a munition at a top-value site
reaches 0.4 about 270 s before the core (``p_uas`` 1), at a site of value 50 (weight 0.75)
about 190 s. A slow drone is raised less, since its time to the core is long where the sum is
low (a 15 m/s quadcopter at a top-value site, heading for its centre from 4 km: 0.46 on the sum,
0.57 on the floor; from 8 km: 0.15 and 0.24). A track that will
not enter the core (``t_core = ∞``) gets no floor, so a course wandering in and out of the core
at long range moves the score between the two; the alert levels' hysteresis
(:mod:`dronewall.assess.alerts`) keeps that from flapping.

A track surely faster than any bird (``fast``, from
:func:`dronewall.assess.identify.surely_faster_than_birds`) may be scored on its own scale
``T_in,fast`` (by default the same 300 s). At 600 s a 50 m/s munition (``p_uas`` 1) reaches 0.4
about 380 s (19 km) before the core of a site of value 50 and 550 s before that of a top-value
site. Only for fast tracks: at 600 s for every track, warnings were raised on bird tracks called
quadcopters 4-6 km out on ``hobby-drone-park`` and ``kleine-brogel-night``. Whether the earlier
warning pays depends on the defence (benchmarks/RESULTS.md, "Earlier warning for fast movers":
fewer leakers on the eastern flank, more at Kleine-Brogel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.geometry import SiteGeometry, approx_height_m
from dronewall.assess.keyed import match_ids
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
    inbound_scale_s : float
        ``T_in``: scale of the inbound floor, s (0 turns it off): a track on a course into a core
        ``t_core`` seconds away scores at least ``exp(−t_core / T_in)`` on the kinematic part.
        The default, 300 s, gives the defence of a site of value 50 about 190 s of warning
        before a 50 m/s munition reaches its core: a 15 s approval, the fly-out of an interceptor
        drone, a look and a second shot (A; measured by ``benchmarks/cost_exchange.py``, see
        benchmarks/RESULTS.md).
    fast_inbound_scale_s : float
        ``T_in,fast``: the same for a track surely faster than any bird (the ``fast`` argument of
        :func:`threat_scores`), s (0 turns it off); by default the same as ``inbound_scale_s``
        (A; module docstring).
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
    inbound_scale_s: float = 300.0
    fast_inbound_scale_s: float = 300.0
    value_floor: float = 0.5
    min_listed_score: float = 0.05
    max_listed: int = 100

    def __post_init__(self) -> None:
        w = (self.w_proximity, self.w_approach, self.w_urgency)
        if min(w) < 0 or abs(sum(w) - 1.0) > 1e-9:
            raise ConfigError("threat weights must be >= 0 and sum to 1", field="w_proximity")
        if self.cpa_horizon_s <= 0 or self.urgency_scale_s <= 0:
            raise ConfigError("time scales must be positive", field="cpa_horizon_s")
        for name in ("inbound_scale_s", "fast_inbound_scale_s"):
            if not getattr(self, name) >= 0:
                raise ConfigError(
                    "must be >= 0 (0: no inbound floor)",
                    field=name,
                    actual=repr(getattr(self, name)),
                )
        if not 0.0 <= self.value_floor <= 1.0 or not 0.0 <= self.min_listed_score <= 1.0:
            raise ConfigError("value_floor and min_listed_score lie in [0, 1]", field="value_floor")
        if self.max_listed < 0:
            raise ConfigError("must be >= 0", field="max_listed")


def value_weight(site_value: F64, config: ThreatConfig) -> F64:
    """``(S,)`` weight of each site's value in the score: ``v₀ + (1 − v₀) · value / 100``."""
    out: F64 = config.value_floor + (1.0 - config.value_floor) * np.clip(site_value, 0, 100) / 100.0
    return out


def threat_scores(
    geometry: SiteGeometry,
    p_uas: F64,
    identity: I8,
    alert_radius_m: F64,
    core_radius_m: F64,
    site_value: F64,
    config: ThreatConfig,
    fast: B | None = None,
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
    fast : (N,) bool, optional
        Tracks surely faster than any bird
        (:func:`~dronewall.assess.identify.surely_faster_than_birds`): their inbound floor has
        the scale ``fast_inbound_scale_s``. None: no track is.

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
    n = geometry.range_m.shape[0]
    is_fast = np.zeros(n, np.bool_) if fast is None else np.asarray(fast, np.bool_)
    if is_fast.shape != (n,):
        raise ValueError(f"fast has shape {is_fast.shape}, expected ({n},)")
    scale = np.where(is_fast, config.fast_inbound_scale_s, config.inbound_scale_s)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # scale 0: no floor
        floor = np.where(scale > 0, np.exp(-geometry.time_to_core_s / scale), 0.0)
    kinematic = np.maximum(kinematic, floor)  # exp(-inf) = 0: no floor outside the core
    value = value_weight(site_value, config)
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
    heading_off_deg: float = float("nan")
    loiter_s: float = 0.0
    height_m: float = float("nan")
    altitude_band: str = ""
    site_value: float = float("nan")


#: Altitude bands (upper bounds, m above the site): the EU "open" category ceiling of 120 m
#: (S: Regulation (EU) 2019/947, UAS.OPEN.010), then A.
ALTITUDE_BANDS: tuple[tuple[float, str], ...] = (
    (120.0, "very low"),
    (600.0, "low"),
    (3000.0, "medium"),
    (float("inf"), "high"),
)


def arrival_score(
    p_uas: F64, identity: I8, site_value: F64, config: ThreatConfig | None = None
) -> F64:
    """The score each track would have inside each site's core, ``(N, S)``: the most it can reach.

    Inside a core every kinematic term is 1, so ``score = p_uas · value`` (``value`` as in
    :func:`threat_scores`), 0 for protected identities. The engagement advice weighs a last
    shot against what the track threatens on arrival, not against its score far out
    (:class:`~dronewall.respond.EngagementConfig`, ``last_chance_surest``).
    """
    cfg = ThreatConfig() if config is None else config
    value = value_weight(site_value, cfg)
    score = np.clip(p_uas, 0.0, 1.0)[:, None] * value[None, :]
    out: F64 = np.where(is_protected(identity)[:, None], 0.0, score)
    return out


def altitude_band(height_m: float) -> str:
    """The band name of a height above the site, m (``""`` when unknown)."""
    if not np.isfinite(height_m):
        return ""
    return next(name for top, name in ALTITUDE_BANDS if height_m < top)


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
    *,
    time_to_core_s: float | None = None,
    heading_off_deg: float | None = None,
    loiter_s: float = 0.0,
    height_m: float | None = None,
    site_value: float | None = None,
) -> str:
    """A plain-words reason for one (track, site).

    For example ``"quadcopter-like (p=0.82), 2.3 km from Doel, CPA 300 m in 95 s"``. The
    keyword arguments, when given, add the time to the core (or that the course never enters
    it), the heading relative to the site (0° straight at it), loitering, the altitude band and
    the site's value: ``"...; due in the core in 120 s; heading 4° off the site; loitering
    95 s; 150 m up (low); site value 100"``.
    """
    head = f"{object_class.label}-like (p={class_p:.2f})"
    if inside_core:
        text = f"{head}, inside the core of {site_name} ({format_distance(range_m)} from centre)"
    else:
        where = f"{format_distance(range_m)} from {site_name}"
        if tcpa_s > 0.0:
            text = f"{head}, {where}, CPA {format_distance(cpa_m)} in {tcpa_s:.0f} s"
        else:
            motion = "receding" if range_rate_m_s > 0.5 else "holding"
            text = f"{head}, {where}, {motion}"
    extra = []
    if time_to_core_s is not None and not inside_core:
        extra.append(
            f"due in the core in {time_to_core_s:.0f} s"
            if np.isfinite(time_to_core_s)
            else "not heading into the core"
        )
    if heading_off_deg is not None and np.isfinite(heading_off_deg) and not inside_core:
        extra.append(f"heading {heading_off_deg:.0f}° off the site")
    if loiter_s > 0.0:
        extra.append(f"loitering for {loiter_s:.0f} s")
    if height_m is not None and np.isfinite(height_m):
        extra.append(f"{height_m:.0f} m up ({altitude_band(height_m)})")
    if site_value is not None and np.isfinite(site_value):
        extra.append(f"site value {site_value:.0f}")
    return "; ".join([text, *extra])


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
    per_site: bool = False,
    heading_off_deg: F64 | None = None,
    loiter_s: F64 | None = None,
    height_m: F64 | None = None,
    site_value: F64 | None = None,
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
    per_site : bool
        One entry per (track, site) pair scoring at least ``min_score`` instead of one per
        track at its top site.
    heading_off_deg, loiter_s : (N, S) float64 or None
        Angle between the track's course and the bearing to the site (deg), time loitering
        near the site (s): added to the entries and their explanations when given.
    height_m : (N,) float64 or None
        Height above the sites (m), likewise.
    site_value : (S,) float64 or None
        Site values (0-100), likewise.

    Returns
    -------
    tuple[ThreatEntry, ...]
        Highest score first (ties: lower track id, then site order); ranks start at 1.
    """
    n, s = score.shape
    if n == 0 or s == 0:
        return ()
    if per_site:
        ii, jj = np.nonzero(eligible[:, None] & (score >= min_score) & (score > 0.0))
    else:
        best = np.argmax(score, axis=1)
        top = score[np.arange(n), best]
        ii = np.flatnonzero(eligible & (top >= min_score) & (top > 0.0))
        jj = best[ii]
    sc = score[ii, jj]
    order = np.lexsort((jj, track_id[ii], -sc))[:max_listed]
    cls = np.argmax(class_probs, axis=1)
    entries = []
    for rank, q in enumerate(order, start=1):  # the short list shown to people
        i, j = int(ii[q]), int(jj[q])
        oc = ObjectClass(int(cls[i]))
        hd = float(heading_off_deg[i, j]) if heading_off_deg is not None else float("nan")
        lo = float(loiter_s[i, j]) if loiter_s is not None else 0.0
        h = float(height_m[i]) if height_m is not None else float("nan")
        v = float(site_value[j]) if site_value is not None else float("nan")
        rich = heading_off_deg is not None or height_m is not None or site_value is not None
        entries.append(
            ThreatEntry(
                rank=rank,
                track_id=int(track_id[i]),
                site_id=site_ids[j],
                site_name=site_names[j],
                score=float(score[i, j]),
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
                    time_to_core_s=float(geometry.time_to_core_s[i, j]) if rich else None,
                    heading_off_deg=hd if rich else None,
                    loiter_s=lo,
                    height_m=h if rich else None,
                    site_value=v if rich else None,
                ),
                heading_off_deg=hd,
                loiter_s=lo,
                height_m=h,
                altitude_band=altitude_band(h),
                site_value=v,
            )
        )
    return tuple(entries)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExplainConfig:
    """When a track counts as loitering near a site (assumptions, A).

    Parameters
    ----------
    loiter_min_s : float
        Least time continuously inside a site's alert radius, s.
    loiter_speed_m_s : float
        Greatest speed made good since it entered (straight-line displacement / time), m/s: a
        hover or an orbit makes little good, a transit its full speed.
    """

    loiter_min_s: float = 60.0
    loiter_speed_m_s: float = 5.0

    def __post_init__(self) -> None:
        if not self.loiter_min_s > 0 or not self.loiter_speed_m_s > 0:
            raise ConfigError("must be positive", field="loiter_min_s")


class ThreatExplainer:
    """Explained, ranked threats per (track, site): the factors behind the score, in words.

    Stateful (one :meth:`update` per tick): keeps, per (track, site), when the track entered the
    site's alert radius and where (keyed by track id), to tell loitering. Per tick, batched
    ``(N, S)``: heading off the bearing to each site (deg), loitering time (s), height above
    the site (m, from the ENU ``up`` with the tangent-plane correction) and the site's value;
    strings only for the listed entries.

    Parameters
    ----------
    site_ids, site_names : tuple[str, ...]
        The ``S`` sites.
    site_enu : (S, 3) float64
        Site centres, ENU m.
    alert_radius_m : (S,) float64
        Alert radii, m.
    site_value : (S,) float64
        Site values, 0-100.
    origin_h_m : float
        Ellipsoidal height of the ENU origin, m.
    config : ExplainConfig or None
        Loitering thresholds.
    """

    def __init__(
        self,
        *,
        site_ids: tuple[str, ...],
        site_names: tuple[str, ...],
        site_enu: F64,
        alert_radius_m: F64,
        site_value: F64,
        origin_h_m: float = 0.0,
        config: ExplainConfig | None = None,
    ) -> None:
        self.site_ids = site_ids
        self.site_names = site_names
        self.site_enu = np.asarray(site_enu, np.float64).reshape(len(site_ids), 3)
        self.alert_radius_m = np.asarray(alert_radius_m, np.float64)
        self.site_value = np.asarray(site_value, np.float64)
        self.origin_h_m = origin_h_m
        self.config = ExplainConfig() if config is None else config
        s = len(site_ids)
        self._ids: I64 = np.empty(0, np.int64)
        self._since: F64 = np.empty((0, s))
        self._entry: F64 = np.empty((0, s, 2))

    def factors(self, t: float, pos: F64, vel: F64, track_id: I64) -> tuple[F64, F64, F64]:
        """Advance the loiter clocks to ``t`` and return the factors.

        Returns
        -------
        heading_off_deg : (N, S) float64
            Angle between the horizontal velocity and the bearing to the site, deg (NaN when
            hovering or at the centre).
        loiter_s : (N, S) float64
            Time inside the alert radius when loitering (see :class:`ExplainConfig`), else 0.
        height_m : (N,) float64
            Height above the sites' ground (the frame origin's height), m.
        """
        d = self.site_enu[None, :, :2] - pos[:, None, :2]  # (N, S, 2) track -> site
        v = vel[:, None, :2]
        dn = np.linalg.norm(d, axis=-1)
        vn = np.linalg.norm(vel[:, :2], axis=-1)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            cosang = np.sum(d * v, axis=-1) / (dn * vn)
        heading = np.where(
            (dn > 0) & (vn > 0.5), np.degrees(np.arccos(np.clip(cosang, -1, 1))), np.nan
        )
        found, row = match_ids(self._ids, track_id)
        n, s = dn.shape
        since = np.full((n, s), np.nan)
        entry = np.zeros((n, s, 2))
        since[found] = self._since[row[found]]
        entry[found] = self._entry[row[found]]
        inside = dn <= self.alert_radius_m[None, :]
        new = inside & np.isnan(since)
        since = np.where(new, t, np.where(inside, since, np.nan))
        entry = np.where(new[..., None], pos[:, None, :2], entry)
        dwell = np.where(inside, t - since, 0.0)
        made_good = np.linalg.norm(pos[:, None, :2] - entry, axis=-1) / np.maximum(dwell, 1e-9)
        cfg = self.config
        loiter = np.where(
            inside & (dwell >= cfg.loiter_min_s) & (made_good <= cfg.loiter_speed_m_s), dwell, 0.0
        )
        self._ids, self._since, self._entry = track_id.copy(), since, entry
        height: F64 = approx_height_m(pos, self.origin_h_m) - self.origin_h_m
        return heading, loiter, height

    def update(
        self,
        t: float,
        pos: F64,
        vel: F64,
        *,
        track_id: I64,
        eligible: B,
        score: F64,
        class_probs: F64,
        identity: I8,
        geometry: SiteGeometry,
        min_score: float = 0.05,
        max_listed: int = 100,
        per_site: bool = True,
    ) -> tuple[ThreatEntry, ...]:
        """The ranked, explained threat list of this tick (see :func:`rank_threats`).

        ``pos, vel (N, 3)`` ENU m and m/s (the track table's ``x``), the rest as in
        :func:`rank_threats` (an :class:`~dronewall.assess.assessor.Assessment` holds them:
        ``threat``, ``class_probs``, ``identity``, ``confirmed``). Call once per tick: the
        loiter clocks advance.
        """
        heading, loiter, height = self.factors(t, pos, vel, track_id)
        return rank_threats(
            track_id=track_id,
            eligible=eligible,
            score=score,
            class_probs=class_probs,
            identity=identity,
            geometry=geometry,
            site_ids=self.site_ids,
            site_names=self.site_names,
            min_score=min_score,
            max_listed=max_listed,
            per_site=per_site,
            heading_off_deg=heading,
            loiter_s=loiter,
            height_m=height,
            site_value=self.site_value,
        )
